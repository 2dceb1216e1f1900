//! Issue 26, finding 4: authorize before you look. Every operation on another account's vault
//! or recovery point answers the same whether the target exists or not, so no caller learns
//! what another account holds: each operation that takes a vault name with
//! `BackupVaultAccountId`, a recovery point, or an ARN (`ListTags`, `TagResource`,
//! `UntagResource`, `StartRestoreJob`, `StartCopyJob`'s destination) is asked while the
//! partner's vault and recovery points exist and again after they are deleted, and the
//! answers must be identical, byte for byte.

use super::*;

const OTHER: &str = "444455556666";

/// Every operation of another account's `vault` and recovery points `rps`, as
/// (what, route, query, body).
fn probes(
    vault: &str,
    rps: &[String],
    own_rp: &str,
) -> Vec<(String, Route, HashMap<String, String>, Value)> {
    let q: HashMap<String, String> =
        [("backupVaultAccountId".to_string(), OTHER.to_string())].into();
    let none = HashMap::new();
    let filtered: HashMap<String, String> = [
        ("backupVaultAccountId".to_string(), OTHER.to_string()),
        ("resourceType".to_string(), "EBS".to_string()),
    ]
    .into();
    let vault_arn = format!("arn:aws:backup:us-east-1:{OTHER}:backup-vault:{vault}");
    let role = format!("arn:aws:iam::{ACCT}:role/r");
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
        "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]})
    .to_string();
    let v = || vault.to_string();
    let mut out = vec![
        (
            "DescribeBackupVault".into(),
            Route::DescribeBackupVault(v()),
            q.clone(),
            json!({}),
        ),
        (
            "DeleteBackupVault".into(),
            Route::DeleteBackupVault(v()),
            q.clone(),
            json!({}),
        ),
        (
            "PutBackupVaultAccessPolicy".into(),
            Route::PutBackupVaultAccessPolicy(v()),
            q.clone(),
            json!({"Policy": policy}),
        ),
        (
            "GetBackupVaultAccessPolicy".into(),
            Route::GetBackupVaultAccessPolicy(v()),
            q.clone(),
            json!({}),
        ),
        (
            "DeleteBackupVaultAccessPolicy".into(),
            Route::DeleteBackupVaultAccessPolicy(v()),
            q.clone(),
            json!({}),
        ),
        (
            "PutBackupVaultLockConfiguration".into(),
            Route::PutBackupVaultLockConfiguration(v()),
            q.clone(),
            json!({"MinRetentionDays": 1}),
        ),
        (
            "DeleteBackupVaultLockConfiguration".into(),
            Route::DeleteBackupVaultLockConfiguration(v()),
            q.clone(),
            json!({}),
        ),
        (
            "ListRecoveryPointsByBackupVault".into(),
            Route::ListRecoveryPointsByBackupVault(v()),
            q.clone(),
            json!({}),
        ),
        (
            "ListRecoveryPointsByBackupVault, filtered".into(),
            Route::ListRecoveryPointsByBackupVault(v()),
            filtered,
            json!({}),
        ),
        (
            "ListTags of the vault".into(),
            Route::ListTags(vault_arn.clone()),
            none.clone(),
            json!({}),
        ),
        (
            "TagResource of the vault".into(),
            Route::TagResource(vault_arn.clone()),
            none.clone(),
            json!({"Tags": {"mine": "now"}}),
        ),
        (
            "UntagResource of the vault".into(),
            Route::UntagResource(vault_arn.clone()),
            none.clone(),
            json!({"TagKeyList": ["team"]}),
        ),
        (
            "StartCopyJob into the vault".into(),
            Route::StartCopyJob,
            none.clone(),
            json!({"RecoveryPointArn": own_rp, "SourceBackupVaultName": "mine",
                   "DestinationBackupVaultArn": vault_arn, "IamRoleArn": role}),
        ),
    ];
    for rp in rps {
        let r = || rp.to_string();
        out.extend([
            (format!("DescribeRecoveryPoint {rp}"), Route::DescribeRecoveryPoint(v(), r()), q.clone(), json!({})),
            (
                format!("UpdateRecoveryPointLifecycle {rp}"),
                Route::UpdateRecoveryPointLifecycle(v(), r()),
                q.clone(),
                json!({"Lifecycle": {"DeleteAfterDays": 5}}),
            ),
            (format!("DeleteRecoveryPoint {rp}"), Route::DeleteRecoveryPoint(v(), r()), q.clone(), json!({})),
            (format!("ListTags {rp}"), Route::ListTags(r()), none.clone(), json!({})),
            (
                format!("TagResource {rp}"),
                Route::TagResource(r()),
                none.clone(),
                json!({"Tags": {"mine": "now"}}),
            ),
            (
                format!("UntagResource {rp}"),
                Route::UntagResource(r()),
                none.clone(),
                json!({"TagKeyList": ["team"]}),
            ),
            (
                format!("StartRestoreJob {rp}"),
                Route::StartRestoreJob,
                none.clone(),
                json!({"RecoveryPointArn": rp, "Metadata": {}, "IamRoleArn": role}),
            ),
            (
                format!("StartCopyJob of {rp}"),
                Route::StartCopyJob,
                none.clone(),
                json!({"RecoveryPointArn": rp, "SourceBackupVaultName": vault,
                       "DestinationBackupVaultArn": format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:mine"),
                       "IamRoleArn": role}),
            ),
        ]);
    }
    out
}

type Answer = Result<String, ApiError>;

fn ask(f: &Fixture, probes: &[(String, Route, HashMap<String, String>, Value)]) -> Vec<Answer> {
    let who = f.who("AK1");
    probes
        .iter()
        .map(|(_, route, q, body)| f.service.handle_text(&who, route, q, body))
        .collect()
}

#[test]
fn another_accounts_vaults_and_points_answer_alike_whether_they_exist_or_not() {
    let f = fixture();
    // The caller's own vault and recovery point (the source of a copy into the partner's vault).
    f.call("AK1", Route::CreateBackupVault("mine".into()), json!({}))
        .unwrap();
    let own = f.backup(
        "mine",
        &format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-1"),
        None,
    )["RecoveryPointArn"]
        .as_str()
        .unwrap()
        .to_string();
    // The partner's vault, tagged, with an EBS snapshot (its ARN names no account) and an EFS
    // recovery point (its ARN names the partner's account).
    let vault = "secret-vault";
    f.call(
        "AK3",
        Route::CreateBackupVault(vault.into()),
        json!({"BackupVaultTags": {"team": "partner"}}),
    )
    .unwrap();
    let mut rps = Vec::new();
    for res in [
        format!("arn:aws:ec2:us-east-1:{OTHER}:volume/vol-9"),
        format!("arn:aws:elasticfilesystem:us-east-1:{OTHER}:file-system/fs-9"),
    ] {
        let job = f
            .call(
                "AK3",
                Route::StartBackupJob,
                json!({"BackupVaultName": vault, "ResourceArn": res,
                       "IamRoleArn": format!("arn:aws:iam::{OTHER}:role/r"),
                       "RecoveryPointTags": {"team": "partner"}}),
            )
            .unwrap();
        rps.push(job["RecoveryPointArn"].as_str().unwrap().to_string());
    }
    assert!(
        rps[0].starts_with("arn:aws:ec2:us-east-1::snapshot/"),
        "{}",
        rps[0]
    );
    assert!(
        rps[1].contains(&format!(":{OTHER}:recovery-point:")),
        "{}",
        rps[1]
    );
    let probes = probes(vault, &rps, &own);
    let existing = ask(&f, &probes);
    // The probes changed nothing of the partner's: its tags are its own.
    let vault_arn = format!("arn:aws:backup:us-east-1:{OTHER}:backup-vault:{vault}");
    for arn in rps.iter().chain([&vault_arn]) {
        let tags = f
            .call("AK3", Route::ListTags(arn.clone()), json!({}))
            .unwrap();
        assert_eq!(tags["Tags"], json!({"team": "partner"}), "{arn}");
    }
    // The partner deletes everything; the same questions again.
    for rp in &rps {
        f.call(
            "AK3",
            Route::DeleteRecoveryPoint(vault.into(), rp.clone()),
            json!({}),
        )
        .unwrap();
    }
    f.call("AK3", Route::DeleteBackupVault(vault.into()), json!({}))
        .unwrap();
    let missing = ask(&f, &probes);
    for (((what, ..), e), m) in probes.iter().zip(&existing).zip(&missing) {
        assert!(
            e.is_err(),
            "{what} on another account's resource succeeded: {e:?}"
        );
        assert_eq!(e, m, "{what} answers differently whether the target exists");
    }
}

/// Within an account too, a caller not allowed an action learns nothing of whether its
/// target exists: AccessDenied for a vault that exists and for one that does not.
#[test]
fn a_caller_not_allowed_an_action_learns_nothing_of_existence() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("temp".into()), json!({}))
        .unwrap();
    let ask = || {
        f.call("AK2", Route::DeleteBackupVault("temp".into()), json!({}))
            .unwrap_err()
    };
    let existing = ask();
    assert_eq!(existing.code, "AccessDeniedException");
    f.call("AK1", Route::DeleteBackupVault("temp".into()), json!({}))
        .unwrap();
    assert_eq!(ask(), existing);
}
