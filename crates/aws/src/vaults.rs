//! AWS Backup vaults: each with its access policy, encryption key and Vault Lock
//! (`ListBackupVaults`), and its recovery points (`ListRecoveryPointsByBackupVault`); and the
//! policies of the keys they name that the Region's key listing did not hold (another
//! account's key, say).

use std::collections::BTreeSet;

use aws_config::SdkConfig;
use aws_sdk_backup::types::{BackupVaultListMember, RecoveryPointByBackupVault};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use futures_util::future::join_all;
use serde_json::Value;
use vaultward_snapshot::{Collected, KmsKey, Lifecycle, RecoveryPoint, Vault, VaultLock};

use crate::api::Api;
use crate::ctx::{Ctx, Fetch};
use crate::policy_document;

fn date(d: Option<&DateTime>) -> Option<String> {
    d.and_then(|d| d.fmt(Format::DateTime).ok())
}

/// A vault as `ListBackupVaults` describes it (the lock's fields are those of
/// `DescribeBackupVault`: AWS Backup API reference, BackupVaultListMember).
pub fn vault(v: &BackupVaultListMember, access_policy: Collected) -> Option<Vault> {
    Some(Vault {
        name: v.backup_vault_name()?.to_string(),
        arn: v.backup_vault_arn()?.to_string(),
        access_policy,
        encryption_key_arn: v.encryption_key_arn().map(str::to_string),
        vault_type: v.vault_type().map(|t| t.as_str().to_string()),
        lock: Some(VaultLock::from_fields(
            v.locked(),
            v.min_retention_days(),
            v.max_retention_days(),
            date(v.lock_date()),
        )),
        not_collected: Default::default(),
    })
}

/// A recovery point as `ListRecoveryPointsByBackupVault` describes it.
pub fn recovery_point(p: &RecoveryPointByBackupVault, vault_arn: &str) -> Option<RecoveryPoint> {
    let lifecycle = match (p.lifecycle(), p.calculated_lifecycle()) {
        (None, None) => None,
        (l, c) => Some(Lifecycle {
            delete_after_days: l.and_then(|l| l.delete_after_days()),
            move_to_cold_storage_after_days: l.and_then(|l| l.move_to_cold_storage_after_days()),
            delete_at: date(c.and_then(|c| c.delete_at())),
            move_to_cold_storage_at: date(c.and_then(|c| c.move_to_cold_storage_at())),
        }),
    };
    Some(RecoveryPoint {
        arn: p.recovery_point_arn()?.to_string(),
        vault_arn: p.backup_vault_arn().unwrap_or(vault_arn).to_string(),
        resource_type: p.resource_type().map(str::to_string),
        resource_arn: p.resource_arn().map(str::to_string),
        encryption_key_arn: p.encryption_key_arn().map(str::to_string),
        is_encrypted: Some(p.is_encrypted()),
        status: p.status().map(|s| s.as_str().to_string()),
        creation_date: date(p.creation_date()),
        lifecycle,
    })
}

pub async fn vaults(ctx: &Ctx, conf: &SdkConfig, region: &str) -> (Vec<Vault>, Vec<RecoveryPoint>) {
    let client = aws_sdk_backup::Client::new(conf);
    let listed = ctx
        .call(
            Api::ListBackupVaults,
            &format!("backup vaults in {region}"),
            &[],
            client
                .list_backup_vaults()
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await
        .ok()
        .unwrap_or_default();
    let members: Vec<_> = listed.iter().flat_map(|p| p.backup_vault_list()).collect();
    let read = join_all(members.into_iter().map(|v| {
        let client = &client;
        async move {
            let name = v.backup_vault_name()?.to_string();
            let arn = v.backup_vault_arn()?.to_string();
            let item = format!("vault {arn}");
            let (policy, points) = tokio::join!(
                ctx.call(
                    Api::GetBackupVaultAccessPolicy,
                    &item,
                    &["ResourceNotFoundException"],
                    client
                        .get_backup_vault_access_policy()
                        .backup_vault_name(&name)
                        .send(),
                ),
                ctx.call(
                    Api::ListRecoveryPointsByBackupVault,
                    &item,
                    &[],
                    client
                        .list_recovery_points_by_backup_vault()
                        .backup_vault_name(&name)
                        .into_paginator()
                        .send()
                        .try_collect(),
                ),
            );
            let access_policy = match policy {
                Fetch::Got(p) => {
                    Collected::Document(p.policy().map_or(Value::Null, policy_document))
                }
                Fetch::Absent => Collected::Document(Value::Null),
                Fetch::Failed(e) => Collected::NotCollected { not_collected: e },
            };
            let mut out = vault(v, access_policy)?;
            let points = match points {
                Fetch::Got(pages) => pages
                    .iter()
                    .flat_map(|p| p.recovery_points())
                    .filter_map(|p| recovery_point(p, &arn))
                    .collect(),
                Fetch::Absent => Vec::new(),
                Fetch::Failed(e) => {
                    out.not_collected.insert("recovery_points".into(), e);
                    Vec::new()
                }
            };
            Some((out, points))
        }
    }))
    .await;
    let mut vaults = Vec::new();
    let mut points = Vec::new();
    for (v, p) in read.into_iter().flatten() {
        vaults.push(v);
        points.extend(p);
    }
    (vaults, points)
}

/// The keys the vaults and their recovery points name that `known` does not hold: each
/// described and its policy read by ARN (refusals recorded, as for any key).
pub async fn named_keys(
    ctx: &Ctx,
    conf: &SdkConfig,
    vaults: &[Vault],
    points: &[RecoveryPoint],
    known: &[KmsKey],
) -> Vec<KmsKey> {
    let wanted: BTreeSet<&str> = vaults
        .iter()
        .filter_map(|v| v.encryption_key_arn.as_deref())
        .chain(
            points
                .iter()
                .filter_map(|p| p.encryption_key_arn.as_deref()),
        )
        .filter(|arn| arn.starts_with("arn:") && !known.iter().any(|k| k.arn == *arn))
        .collect();
    let client = aws_sdk_kms::Client::new(conf);
    join_all(wanted.into_iter().map(|arn| {
        let client = &client;
        crate::regional::describe_key(ctx, client, arn, arn.to_string(), Vec::new())
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_backup::types as bt;

    #[test]
    fn a_compliance_lock_is_the_one_with_a_lock_date() {
        // "If you applied Vault Lock to your vault without specifying a lock date, you can
        // change any of your Vault Lock settings, or delete Vault Lock from the vault
        // entirely, at any time" (AWS Backup API reference, DescribeBackupVault, LockDate;
        // https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html).
        let member = |lock_date: Option<DateTime>| {
            bt::BackupVaultListMember::builder()
                .backup_vault_name("v")
                .backup_vault_arn("arn:aws:backup:us-east-1:111122223333:backup-vault:v")
                .encryption_key_arn("arn:aws:kms:us-east-1:111122223333:key/k")
                .locked(true)
                .min_retention_days(7)
                .max_retention_days(365)
                .set_lock_date(lock_date)
                .build()
        };
        let governance = vault(&member(None), Collected::Unknown).unwrap();
        let lock = governance.lock.unwrap();
        assert_eq!(
            lock.mode,
            Some(vaultward_snapshot::VaultLockMode::Governance)
        );
        assert_eq!(
            (lock.min_retention_days, lock.max_retention_days),
            (Some(7), Some(365))
        );
        let compliance = vault(
            &member(Some(DateTime::from_secs(1_800_000_000))),
            Collected::Unknown,
        )
        .unwrap();
        let lock = compliance.lock.unwrap();
        assert_eq!(
            lock.mode,
            Some(vaultward_snapshot::VaultLockMode::Compliance)
        );
        assert_eq!(lock.lock_date.as_deref(), Some("2027-01-15T08:00:00Z"));
        assert_eq!(
            compliance.encryption_key_arn.as_deref(),
            Some("arn:aws:kms:us-east-1:111122223333:key/k")
        );
        let unlocked = bt::BackupVaultListMember::builder()
            .backup_vault_name("u")
            .backup_vault_arn("arn:aws:backup:us-east-1:111122223333:backup-vault:u")
            .build();
        let lock = vault(&unlocked, Collected::Unknown).unwrap().lock.unwrap();
        assert!(!lock.locked);
        assert_eq!(lock.mode, None);
    }

    #[test]
    fn a_recovery_point_keeps_its_key_status_and_lifecycle() {
        let p = bt::RecoveryPointByBackupVault::builder()
            .recovery_point_arn("arn:aws:ec2:us-east-1::snapshot/snap-0abc")
            .backup_vault_arn("arn:aws:backup:us-east-1:111122223333:backup-vault:v")
            .resource_type("EBS")
            .resource_arn("arn:aws:ec2:us-east-1:111122223333:volume/vol-0abc")
            .encryption_key_arn("arn:aws:kms:us-east-1:111122223333:key/k")
            .is_encrypted(true)
            .status(bt::RecoveryPointStatus::Completed)
            .creation_date(DateTime::from_secs(1_700_000_000))
            .lifecycle(bt::Lifecycle::builder().delete_after_days(35).build())
            .calculated_lifecycle(
                bt::CalculatedLifecycle::builder()
                    .delete_at(DateTime::from_secs(1_703_024_000))
                    .build(),
            )
            .build();
        let r = recovery_point(&p, "unused").unwrap();
        assert_eq!(r.resource_type.as_deref(), Some("EBS"));
        assert_eq!(r.status.as_deref(), Some("COMPLETED"));
        assert_eq!(r.creation_date.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(r.is_encrypted, Some(true));
        let l = r.lifecycle.unwrap();
        assert_eq!(l.delete_after_days, Some(35));
        assert_eq!(l.delete_at.as_deref(), Some("2023-12-19T22:13:20Z"));
        assert_eq!(
            r.vault_arn,
            "arn:aws:backup:us-east-1:111122223333:backup-vault:v"
        );
    }
}
