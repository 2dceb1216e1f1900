//! Issue 26: the vault keeps AWS Backup's retention promises. Vault Lock as the developer
//! guide describes it ("AWS Backup Vault Lock",
//! https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html), in governance and
//! compliance mode, within and after the grace time, for every principal; lifecycles that
//! happen (`Lifecycle`,
//! https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html), moved forward
//! with the test clock instead of editing the database.

use super::*;

const VOLUME: &str = "arn:aws:ec2:us-east-1:111122223333:volume/vol-1";
const FILES: &str = "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1";
const DB: &str = "arn:aws:rds:us-east-1:111122223333:db:orders";

/// The callers every lock must stop: an operator allowed `backup:*`, an administrator allowed
/// `*`, and the account's root user.
const EVERYONE: [&str; 3] = ["AK1", "AKADMIN", "AKROOT"];

impl Fixture {
    /// A completed backup of `resource` into `vault` with `lifecycle`; its recovery point ARN.
    fn point(&self, vault: &str, resource: &str, lifecycle: Value) -> String {
        let job = self
            .call(
                "AK1",
                Route::StartBackupJob,
                json!({"BackupVaultName": vault, "ResourceArn": resource, "Lifecycle": lifecycle,
                       "IamRoleArn": format!("arn:aws:iam::{ACCT}:role/r")}),
            )
            .unwrap_or_else(|e| panic!("{e:?}"));
        let id = job["BackupJobId"].as_str().unwrap().to_string();
        let d = self
            .call("AK1", Route::DescribeBackupJob(id), json!({}))
            .unwrap();
        assert_eq!(d["State"], "COMPLETED", "{d}");
        job["RecoveryPointArn"].as_str().unwrap().to_string()
    }
    fn lock(&self, vault: &str, lock: Value) {
        self.call(
            "AK1",
            Route::PutBackupVaultLockConfiguration(vault.into()),
            lock,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
    }
    fn delete_point(&self, key: &str, vault: &str, rp: &str) -> Result<Value, ApiError> {
        self.call(
            key,
            Route::DeleteRecoveryPoint(vault.into(), rp.into()),
            json!({}),
        )
    }
    fn update(&self, key: &str, vault: &str, rp: &str, l: Value) -> Result<Value, ApiError> {
        self.call(
            key,
            Route::UpdateRecoveryPointLifecycle(vault.into(), rp.into()),
            json!({"Lifecycle": l}),
        )
    }
    fn describe_point(&self, vault: &str, rp: &str) -> Result<Value, ApiError> {
        self.call(
            "AK1",
            Route::DescribeRecoveryPoint(vault.into(), rp.into()),
            json!({}),
        )
    }
    fn restore(&self, rp: &str) -> Result<Value, ApiError> {
        self.call(
            "AK1",
            Route::StartRestoreJob,
            json!({"RecoveryPointArn": rp, "Metadata": {},
                   "IamRoleArn": format!("arn:aws:iam::{ACCT}:role/r")}),
        )
    }
    fn sweep_all(&self) -> vaultward_server::service::SweepReport {
        let mut total = vaultward_server::service::SweepReport::default();
        loop {
            let r = self.service.sweep(100).unwrap();
            total.add(&r);
            if !r.more {
                return total;
            }
        }
    }
}

fn refused(r: Result<Value, ApiError>, what: &str) {
    match r {
        Err(e) => assert_eq!(
            (e.status, e.code),
            (400, "InvalidRequestException"),
            "{what}: {}",
            e.message
        ),
        Ok(v) => panic!("{what} was allowed: {v}"),
    }
}

/// "If any user (including the root user) attempts to delete a backup or change the
/// lifecycle properties in a locked vault, AWS Backup will deny the operation" (Vault Lock
/// page); PutBackupVaultLockConfiguration "prevent[s] attempts to delete any recovery point
/// stored in or created in a backup vault" and "attempts to update the lifecycle policy that
/// controls the retention period of any recovery point currently stored"
/// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html).
/// Every mode (governance; compliance within and after the grace time), every kind of lock
/// (minimum and maximum, only a maximum, no retention settings), points stored before and
/// after the lock, and every principal, on each operation the lock guards: DeleteRecoveryPoint
/// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteRecoveryPoint.html),
/// UpdateRecoveryPointLifecycle
/// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateRecoveryPointLifecycle.html)
/// and DeleteBackupVault ("A vault can be deleted only if it is empty",
/// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVault.html), each
/// refused with InvalidRequestException. The outside tester's findings 1 and 2.
#[test]
fn a_lock_keeps_every_point_until_its_retention_ends() {
    let modes = [
        ("governance", None, 0),
        ("compliance in its grace time", Some(30), 0),
        ("compliance after its grace time", Some(3), 4),
    ];
    let locks = [
        json!({"MinRetentionDays": 7, "MaxRetentionDays": 400}),
        json!({"MaxRetentionDays": 400}),
        json!({}),
    ];
    for (mode, changeable, days_after) in modes {
        for (li, lock) in locks.iter().enumerate() {
            let f = fixture();
            let vault = "locked";
            f.call("AK1", Route::CreateBackupVault(vault.into()), json!({}))
                .unwrap();
            // Stored before the lock: kept a year, and kept indefinitely.
            let before = f.point(vault, VOLUME, json!({"DeleteAfterDays": 365}));
            let forever = f.point(vault, FILES, json!({}));
            let mut lock = lock.clone();
            if let Some(c) = changeable {
                lock["ChangeableForDays"] = json!(c);
            }
            f.lock(vault, lock.clone());
            let after = f.point(vault, DB, json!({"DeleteAfterDays": 365}));
            f.advance(days_after);
            // Past the lock's minimum of 7 days, well before the points' retention ends.
            f.advance(8);
            let case = format!("{mode}, lock {lock}");
            for key in EVERYONE {
                for rp in [&before, &forever, &after] {
                    refused(
                        f.delete_point(key, vault, rp),
                        &format!("{case}: {key} deleting {rp}"),
                    );
                }
                // Shortening, to the tester's 7 and 11 days, or to nothing at all.
                for l in [
                    json!({"DeleteAfterDays": 7}),
                    json!({"DeleteAfterDays": 11}),
                ] {
                    refused(
                        f.update(key, vault, &before, l.clone()),
                        &format!("{case}: {key} shortening to {l}"),
                    );
                    refused(
                        f.update(key, vault, &forever, l.clone()),
                        &format!("{case}: {key} giving an indefinite point {l}"),
                    );
                }
                // Outside the lock's range, though longer.
                if li < 2 {
                    refused(
                        f.update(key, vault, &after, json!({"DeleteAfterDays": 401})),
                        &format!("{case}: {key} beyond the maximum"),
                    );
                    refused(
                        f.update(key, vault, &after, json!({"DeleteAfterDays": -1})),
                        &format!("{case}: {key} kept forever beyond the maximum"),
                    );
                }
                refused(
                    f.call(key, Route::DeleteBackupVault(vault.into()), json!({})),
                    &format!("{case}: {key} deleting the vault"),
                );
            }
            // Longer, within the range: allowed (the lock protects retention, it does not
            // freeze it).
            let out = f
                .update("AK1", vault, &after, json!({"DeleteAfterDays": 380}))
                .unwrap_or_else(|e| panic!("{case}: lengthening: {e:?}"));
            assert_eq!(out["Lifecycle"]["DeleteAfterDays"], 380);
            // Every point is still there.
            for rp in [&before, &forever, &after] {
                f.describe_point(vault, rp)
                    .unwrap_or_else(|e| panic!("{case}: {rp} is gone: {e:?}"));
            }
            // Once its retention ends, a point goes; the indefinite one stays.
            f.advance(360);
            f.delete_point("AK1", vault, &before)
                .unwrap_or_else(|e| panic!("{case}: after its retention: {e:?}"));
            refused(
                f.delete_point("AKROOT", vault, &forever),
                &format!("{case}: the indefinite point, a year on"),
            );
        }
    }
}

/// "Vaults locked in governance mode can have the lock removed by users with sufficient IAM
/// permissions"; "Vaults locked in compliance mode cannot be deleted once the cooling-off
/// period ("grace time") expires" (Vault Lock page); DeleteBackupVaultLockConfiguration
/// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVaultLockConfiguration.html):
/// "If the Vault Lock configuration is immutable, then you cannot delete Vault Lock using API
/// operations, and you will receive an InvalidRequestException if you attempt to do so".
#[test]
fn a_governance_lock_is_removed_by_who_may_and_a_compliance_lock_by_nobody() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("gov".into()), json!({}))
        .unwrap();
    let rp = f.point("gov", VOLUME, json!({"DeleteAfterDays": 365}));
    f.lock("gov", json!({"MinRetentionDays": 30}));
    f.advance(100);
    // The read-only role is not allowed backup:DeleteBackupVaultLockConfiguration.
    let e = f
        .call(
            "AK2",
            Route::DeleteBackupVaultLockConfiguration("gov".into()),
            json!({}),
        )
        .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    refused(
        f.delete_point("AK1", "gov", &rp),
        "before the lock is removed",
    );
    // The root user is: it holds every permission of its account.
    f.call(
        "AKROOT",
        Route::DeleteBackupVaultLockConfiguration("gov".into()),
        json!({}),
    )
    .unwrap();
    f.delete_point("AK1", "gov", &rp).unwrap();

    f.call("AK1", Route::CreateBackupVault("comp".into()), json!({}))
        .unwrap();
    let rp = f.point("comp", VOLUME, json!({"DeleteAfterDays": 365}));
    f.lock(
        "comp",
        json!({"MinRetentionDays": 30, "ChangeableForDays": 3}),
    );
    f.advance(3);
    for key in EVERYONE {
        refused(
            f.call(
                key,
                Route::DeleteBackupVaultLockConfiguration("comp".into()),
                json!({}),
            ),
            &format!("{key} removing a compliance lock"),
        );
        refused(
            f.call(
                key,
                Route::PutBackupVaultLockConfiguration("comp".into()),
                json!({"MinRetentionDays": 1}),
            ),
            &format!("{key} weakening a compliance lock"),
        );
        refused(
            f.delete_point(key, "comp", &rp),
            &format!("{key} deleting in a compliance vault"),
        );
    }
}

/// "AWS Backup transitions and expires backups automatically according to the lifecycle
/// that you define" (`Lifecycle`): the sweeper moves points to cold storage at
/// MoveToColdStorageAfterDays and deletes them at DeleteAfterDays, in locked vaults too; an
/// expired point is not restored, before the sweep (refused) or after (gone). A sweep
/// changes nothing before its time, and a second sweep nothing the first did. The outside
/// tester's finding 3. UpdateRecoveryPointLifecycle
/// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateRecoveryPointLifecycle.html):
/// "The “transition to cold after days” setting cannot be changed after a backup has been
/// transitioned to cold"; StartRestoreJob
/// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartRestoreJob.html) of a
/// point that is gone: ResourceNotFoundException.
#[test]
fn the_sweeper_moves_to_cold_storage_and_expires_on_time() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("vv".into()), json!({}))
        .unwrap();
    f.lock("vv", json!({"MinRetentionDays": 3}));
    let db = f.point("vv", DB, json!({"DeleteAfterDays": 3}));
    let files = f.point(
        "vv",
        FILES,
        json!({"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 100}),
    );
    let volume = f.point("vv", VOLUME, json!({}));
    let empty = vaultward_server::service::SweepReport::default();
    assert_eq!(f.sweep_all(), empty, "nothing is due on day 0");
    // Day 3: the database backup's retention ends. Until the sweep it is not restored.
    f.advance(3);
    let e = f.restore(&db).unwrap_err();
    assert_eq!(e.code, "InvalidRequestException", "{}", e.message);
    assert!(e.message.contains("expired"), "{}", e.message);
    let r = f.sweep_all();
    assert_eq!((r.expired, r.moved_to_cold), (1, 0));
    assert_eq!(f.sweep_all(), empty, "a second sweep changes nothing");
    assert_eq!(
        f.describe_point("vv", &db).unwrap_err().code,
        "ResourceNotFoundException"
    );
    assert_eq!(
        f.restore(&db).unwrap_err().code,
        "ResourceNotFoundException"
    );
    // Day 9: not yet in cold storage.
    f.advance(6);
    assert_eq!(f.sweep_all(), empty);
    assert_eq!(
        f.describe_point("vv", &files).unwrap()["StorageClass"],
        "WARM"
    );
    // Day 10: moved; its move date is then fixed, and it is still restorable.
    f.advance(1);
    let r = f.sweep_all();
    assert_eq!((r.expired, r.moved_to_cold), (0, 1));
    assert_eq!(
        f.describe_point("vv", &files).unwrap()["StorageClass"],
        "COLD"
    );
    refused(
        f.update(
            "AK1",
            "vv",
            &files,
            json!({"MoveToColdStorageAfterDays": 20, "DeleteAfterDays": 200}),
        ),
        "changing the move date once in cold storage",
    );
    f.restore(&files).unwrap();
    // Day 100: deleted from cold storage; the indefinite point stays.
    f.advance(90);
    assert_eq!(f.sweep_all().expired, 1);
    assert_eq!(
        f.describe_point("vv", &files).unwrap_err().code,
        "ResourceNotFoundException"
    );
    f.advance(10_000);
    assert_eq!(f.sweep_all(), empty);
    f.describe_point("vv", &volume).unwrap();
}

/// A sweep's batch is bounded, the batches together reach every due point, and a point whose
/// lifecycle was lengthened before the sweep reached it is kept.
#[test]
fn sweeps_are_bounded_batches_that_together_reach_every_due_point() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("vv".into()), json!({}))
        .unwrap();
    let mut points = Vec::new();
    for i in 0..230 {
        let res = format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-{i}");
        points.push(f.point("vv", &res, json!({"DeleteAfterDays": 1 + i % 5})));
    }
    let kept = points[4].clone(); // due on day 5
    f.update("AK1", "vv", &kept, json!({"DeleteAfterDays": 30}))
        .unwrap();
    f.advance(5);
    let first = f.service.sweep(100).unwrap();
    assert_eq!((first.expired, first.more), (100, true));
    let second = f.service.sweep(100).unwrap();
    assert_eq!((second.expired, second.more), (100, true));
    let third = f.service.sweep(100).unwrap();
    assert_eq!((third.expired, third.more), (29, false));
    let left = f
        .call(
            "AK1",
            Route::ListRecoveryPointsByBackupVault("vv".into()),
            json!({}),
        )
        .unwrap();
    let left: Vec<&str> = left["RecoveryPoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rp| rp["RecoveryPointArn"].as_str().unwrap())
        .collect();
    assert_eq!(left, [kept.as_str()]);
}

/// The sweeper's changes are durable and a restart carries on: a store reopened after a sweep
/// stopped part way (as after `kill -9`) holds every point not yet due, and the next sweep
/// finishes the rest. (The process-level `kill -9` test is in crates/cli/tests/serve.rs.)
#[test]
fn a_sweep_cut_short_is_finished_by_the_next_one_after_a_restart() {
    let dir = temp_dir("sweep-restart");
    let mut due = Vec::new();
    let mut later = Vec::new();
    {
        let f = fixture_in(&dir.0, None);
        f.call("AK1", Route::CreateBackupVault("vv".into()), json!({}))
            .unwrap();
        for i in 0..40 {
            let res = format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-{i}");
            let days = if i % 2 == 0 { 2 } else { 50 };
            let rp = f.point("vv", &res, json!({"DeleteAfterDays": days}));
            if days == 2 {
                due.push(rp)
            } else {
                later.push(rp)
            }
        }
        f.advance(3);
        let r = f.service.sweep(7).unwrap();
        assert_eq!((r.expired, r.more), (7, true));
    }
    let f = fixture_in(&dir.0, None);
    f.advance(3);
    for rp in &later {
        f.describe_point("vv", rp).unwrap();
    }
    assert_eq!(f.sweep_all().expired, due.len() - 7);
    for rp in &due {
        assert_eq!(
            f.describe_point("vv", rp).unwrap_err().code,
            "ResourceNotFoundException"
        );
    }
}

/// The cold-storage rules on every request that sets a lifecycle (StartBackupJob,
/// StartCopyJob, UpdateRecoveryPointLifecycle): at least 90 days in cold storage (`Lifecycle`),
/// cold storage only for resource types that have it ("Feature availability by resource",
/// https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html#features-by-resource),
/// and -1 for "keep indefinitely", which the API takes.
#[test]
fn cold_storage_rules_hold_on_every_request_that_sets_a_lifecycle() {
    let f = fixture();
    for v in ["vv", "dest"] {
        f.call("AK1", Route::CreateBackupVault(v.into()), json!({}))
            .unwrap();
    }
    let role = format!("arn:aws:iam::{ACCT}:role/r");
    let dest = format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:dest");
    let backup = |res: &str, l: Value| {
        f.call(
            "AK1",
            Route::StartBackupJob,
            json!({"BackupVaultName": "vv", "ResourceArn": res, "IamRoleArn": role, "Lifecycle": l}),
        )
    };
    let db = f.point("vv", DB, json!({"DeleteAfterDays": 30}));
    let files = f.point("vv", FILES, json!({"DeleteAfterDays": 300}));
    let copy = |rp: &str, l: Value| {
        f.call(
            "AK1",
            Route::StartCopyJob,
            json!({"RecoveryPointArn": rp, "SourceBackupVaultName": "vv",
                   "DestinationBackupVaultArn": dest, "IamRoleArn": role, "Lifecycle": l}),
        )
    };
    let invalid = |r: Result<Value, ApiError>, what: &str| match r {
        Err(e) => assert_eq!(e.code, "InvalidParameterValueException", "{what}: {e:?}"),
        Ok(v) => panic!("{what} was accepted: {v}"),
    };
    let short_cold = json!({"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 119});
    let cold = json!({"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120});
    invalid(backup(FILES, short_cold.clone()), "backup: 89 days in cold");
    invalid(copy(&files, short_cold.clone()), "copy: 89 days in cold");
    invalid(
        f.update("AK1", "vv", &files, short_cold.clone()),
        "update: 89 days in cold",
    );
    invalid(backup(DB, cold.clone()), "backup: RDS into cold storage");
    invalid(copy(&db, cold.clone()), "copy: RDS into cold storage");
    invalid(
        f.update("AK1", "vv", &db, cold.clone()),
        "update: RDS into cold storage",
    );
    invalid(
        backup(
            &format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-1"),
            cold.clone(),
        ),
        "backup: EC2 into cold storage",
    );
    backup(FILES, cold.clone()).unwrap();
    copy(&files, cold.clone()).unwrap();
    f.update("AK1", "vv", &files, cold.clone()).unwrap();
    // -1: kept indefinitely, on each of them.
    let never = json!({"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": -1});
    let job = backup(DB, never.clone()).unwrap();
    let rp = job["RecoveryPointArn"].as_str().unwrap();
    let d = f.describe_point("vv", rp).unwrap();
    assert_eq!(d["Lifecycle"], json!({}), "{d}");
    assert_eq!(d["CalculatedLifecycle"], json!({}), "{d}");
    copy(&db, never.clone()).unwrap();
    let out = f.update("AK1", "vv", &db, never).unwrap();
    assert_eq!(out["CalculatedLifecycle"], json!({}));
}
