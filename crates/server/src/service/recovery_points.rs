//! Recovery points and their lifecycles.

use super::lifecycle::{cold_storage_at, is_advanced_dynamodb, Lifecycle};
use super::listing::Filter;
use super::locks::{refuses_deletion, refuses_lifecycle};
use super::*;

impl Service {
    /// The operations on recovery points.
    pub(super) fn recovery_points(
        &self,
        who: &Identity,
        route: &Route,
        q: &HashMap<String, String>,
        body: &Value,
        action: &str,
    ) -> Res {
        match route {
            Route::ListRecoveryPointsByBackupVault(name) => {
                let (_, arn) = self.authorized_vault(who, action, name, q, &[])?;
                let (after, limit) = page_args(q)?;
                let filter = Filter::new(
                    q,
                    &[
                        ("resourceArn", "ResourceArn"),
                        ("resourceType", "ResourceType"),
                        // No recovery point here comes from a plan or has a parent.
                        ("backupPlanId", "BackupPlanId"),
                        ("parentRecoveryPointArn", "ParentRecoveryPointArn"),
                    ],
                    &[
                        ("createdBefore", "CreationDate", false),
                        ("createdAfter", "CreationDate", true),
                    ],
                )?;
                let (items, next) =
                    self.filtered(Kind::RecoveryPoint, &arn, after, limit, |rp| {
                        filter.keeps(rp)
                    })?;
                Ok(with_token(json!({"RecoveryPoints": items}), next))
            }
            Route::DescribeRecoveryPoint(name, rp_arn) => {
                let (_, rp) = self.authorized_recovery_point(who, action, name, rp_arn, q)?;
                Ok(rp)
            }
            Route::UpdateRecoveryPointLifecycle(name, rp_arn) => {
                let lifecycle = Lifecycle::from_request(body.get("Lifecycle"))?;
                let (v, rp) = self.authorized_recovery_point(who, action, name, rp_arn, q)?;
                let ty = rp.at("ResourceType").as_str().unwrap_or("");
                lifecycle.check_cold_storage(ty, is_advanced_dynamodb(&rp))?;
                let created = rp.at("CreationDate").as_f64().unwrap_or(0.0);
                let now = self.clock.now();
                // Once in cold storage, the transition cannot be changed (`Lifecycle`).
                let in_cold = rp.at("StorageClass") == "COLD"
                    || cold_storage_at(&rp).is_some_and(|at| now >= at);
                let old_cold = rp.at("Lifecycle").at("MoveToColdStorageAfterDays").as_i64();
                if in_cold && lifecycle.cold != old_cold {
                    return Err(ApiError::request(
                        "the recovery point is already in cold storage; its MoveToColdStorageAfterDays cannot change",
                    ));
                }
                if let Some(why) = refuses_lifecycle(&v, &rp, &lifecycle) {
                    return Err(ApiError::request(format!("Vault lock: {why}")));
                }
                let mut rp = rp;
                put(&mut rp, "Lifecycle", lifecycle.to_json());
                put(
                    &mut rp,
                    "CalculatedLifecycle",
                    lifecycle.calculated(created),
                );
                self.store.replace(Kind::RecoveryPoint, rp_arn, &rp)?;
                Ok(json!({
                    "BackupVaultArn": v.at("BackupVaultArn"), "RecoveryPointArn": rp_arn,
                    "Lifecycle": rp.at("Lifecycle"), "CalculatedLifecycle": rp.at("CalculatedLifecycle"),
                }))
            }
            Route::DeleteRecoveryPoint(name, rp_arn) => {
                let (v, rp) = self.authorized_recovery_point(who, action, name, rp_arn, q)?;
                if let Some(why) = refuses_deletion(&v, &rp, self.clock.now()) {
                    return Err(ApiError::request(format!("Vault lock: {why}")));
                }
                self.store.delete(Kind::RecoveryPoint, rp_arn)?;
                Ok(json!({}))
            }
            other => Err(ApiError::internal(format!(
                "{} was routed to the recovery points module",
                other.name()
            ))),
        }
    }

    /// A recovery point of the vault `name` (of the account `q` names, the caller's by
    /// default), once `who` may perform `action` on it: the vault's record and the recovery
    /// point's. Authorized before either is looked up where they could belong to another
    /// account, so the answer there does not depend on whether they exist.
    pub(super) fn authorized_recovery_point(
        &self,
        who: &Identity,
        action: &str,
        name: &str,
        rp_arn: &str,
        q: &HashMap<String, String>,
    ) -> Result<(Value, Value), ApiError> {
        let account = vault_account(who, q);
        if account != who.account {
            self.authorize(who, action, rp_arn, account, None, &[])?;
        }
        let vault = self
            .store
            .get(Kind::Vault, &self.vault_arn(account, name))?;
        let rp = match &vault {
            Some(v) => self.recovery_point_in(v, rp_arn)?,
            None => None,
        };
        self.authorize(who, action, rp_arn, account, vault.as_ref(), &[])?;
        match (vault, rp) {
            (Some(v), Some(rp)) => Ok((v, rp)),
            (Some(v), None) => Err(rp_not_found(rp_arn, &v)),
            (None, _) => Err(vault_not_found(name, account)),
        }
    }

    /// A recovery point of `vault`, by its ARN.
    fn recovery_point_in(&self, vault: &Value, rp_arn: &str) -> Result<Option<Value>, ApiError> {
        Ok(self
            .store
            .get(Kind::RecoveryPoint, rp_arn)?
            .filter(|rp| rp.at("BackupVaultArn") == vault.at("BackupVaultArn")))
    }

    /// A recovery point named by its ARN alone (StartRestoreJob), with its vault, once `who`
    /// may perform `action` on it. An ARN naming another account is refused before it is
    /// looked up; one naming no account (EC2 snapshots and images) is looked up, and a
    /// point of another account's vault is answered as one that does not exist. Either way
    /// the answer does not say whether another account's recovery point exists.
    pub(super) fn authorized_recovery_point_by_arn(
        &self,
        who: &Identity,
        action: &str,
        rp_arn: &str,
    ) -> Result<(Value, Value), ApiError> {
        let named = arn_account(rp_arn);
        if named.is_some_and(|a| a != who.account) {
            let account = named.unwrap_or_default();
            self.authorize(who, action, rp_arn, account, None, &[])?;
        }
        let found = match self.store.get(Kind::RecoveryPoint, rp_arn)? {
            Some(rp) => self
                .store
                .get(Kind::Vault, rp.at("BackupVaultArn").as_str().unwrap_or(""))?
                .filter(|v| account_of(v) == who.account)
                .map(|v| (v, rp)),
            None => None,
        };
        self.authorize(
            who,
            action,
            rp_arn,
            &who.account,
            found.as_ref().map(|(v, _)| v),
            &[],
        )?;
        found.ok_or_else(|| ApiError::not_found(format!("Recovery point {rp_arn} does not exist")))
    }

    /// A new recovery point ARN for a backup of `resource` into a vault of `account`.
    pub(super) fn new_recovery_point_arn(
        &self,
        resource: &str,
        ty: &str,
        account: &str,
        now: f64,
    ) -> String {
        let advanced = self.advanced_dynamodb_backup(account);
        recovery_point_arn(resource, ty, &self.config.region, account, advanced, now)
    }

    /// AWS Backup's "Advanced DynamoDB backup" setting of an account (on unless configured
    /// off, as for accounts since November 2021).
    pub(super) fn advanced_dynamodb_backup(&self, account: &str) -> bool {
        self.config
            .accounts
            .get(account)
            .is_none_or(|a| a.advanced_dynamodb_backup)
    }

    /// The vault a taggable ARN belongs to: the vault itself, or a recovery point's vault.
    pub(super) fn owning_vault(&self, arn: &str) -> Result<Option<Value>, ApiError> {
        if let Some(v) = self.store.get(Kind::Vault, arn)? {
            return Ok(Some(v));
        }
        match self.store.get(Kind::RecoveryPoint, arn)? {
            Some(rp) => Ok(self
                .store
                .get(Kind::Vault, rp.at("BackupVaultArn").as_str().unwrap_or(""))?),
            None => Ok(None),
        }
    }
}

/// The account an ARN names, if it names one (EC2 snapshot and image ARNs do not).
pub(super) fn arn_account(arn: &str) -> Option<&str> {
    vaultward_iam::arn::Arn::parse(arn)
        .map(|a| a.account)
        .filter(|a| !a.is_empty())
}

/// The account whose vault a request addresses: `BackupVaultAccountId`, or the caller's.
pub(super) fn vault_account<'a>(who: &'a Identity, q: &'a HashMap<String, String>) -> &'a str {
    q.get("backupVaultAccountId")
        .map_or(who.account.as_str(), String::as_str)
}

pub(super) fn vault_not_found(name: &str, account: &str) -> ApiError {
    ApiError::not_found(format!(
        "Backup vault {name} does not exist in account {account}"
    ))
}

fn rp_not_found(rp_arn: &str, vault: &Value) -> ApiError {
    ApiError::not_found(format!(
        "Recovery point {rp_arn} does not exist in backup vault {}",
        vault.at("BackupVaultName").as_str().unwrap_or("")
    ))
}
