//! Issue 26, finding 5: the `iam:PassRole` check of backup, restore and copy jobs carries
//! `iam:PassedToService` (`backup.amazonaws.com`) and `iam:AssociatedResourceArn` ("IAM and
//! AWS STS condition context keys",
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService),
//! so AWS's recommended Allow lets every job pass its role and a Deny on the key stops each.

use super::*;

const ROLE: &str = "arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole";
const VOLUME: &str = "arn:aws:ec2:us-east-1:111122223333:volume/vol-1";

/// AWS's recommended statement: "IAM: Pass an IAM role to a specific AWS service"
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam-passrole-service.html),
/// for AWS Backup as its managed policies write it (`IamPassRole` in
/// AWSServiceRolePolicyForBackupRestoreTesting,
/// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSServiceRolePolicyForBackupRestoreTesting.html).
fn recommended() -> Value {
    json!({"Sid": "IamPassRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
           "Condition": {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}})
}

/// A backup into `vault`, a restore of `rp` and a copy of `rp` into `dest`, as `AKJ`: the
/// three answers (the job's id, or the error code).
fn jobs(f: &Fixture, vault: &str, rp: &str, dest: &str) -> [Result<String, &'static str>; 3] {
    let id = |r: Result<Value, ApiError>, key: &str| {
        r.map(|v| v[key].as_str().unwrap_or_default().to_string())
            .map_err(|e| e.code)
    };
    [
        id(
            f.call(
                "AKJ",
                Route::StartBackupJob,
                json!({"BackupVaultName": vault, "ResourceArn": VOLUME, "IamRoleArn": ROLE}),
            ),
            "BackupJobId",
        ),
        id(
            f.call(
                "AKJ",
                Route::StartRestoreJob,
                json!({"RecoveryPointArn": rp, "Metadata": {}, "IamRoleArn": ROLE}),
            ),
            "RestoreJobId",
        ),
        id(
            f.call(
                "AKJ",
                Route::StartCopyJob,
                json!({"RecoveryPointArn": rp, "SourceBackupVaultName": "main",
                       "DestinationBackupVaultArn": format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:{dest}"),
                       "IamRoleArn": ROLE}),
            ),
            "CopyJobId",
        ),
    ]
}

/// A vault `main` with one recovery point, and vaults `copies` and `other`; the point's ARN.
fn vaults(f: &Fixture) -> String {
    for v in ["main", "copies", "other"] {
        f.call("AKJ", Route::CreateBackupVault(v.into()), json!({}))
            .unwrap();
    }
    // The point is made by a user allowed to pass any role to anything.
    let job = f
        .service
        .handle(
            &f.who("AKSETUP"),
            &Route::StartBackupJob,
            &HashMap::new(),
            &json!({"BackupVaultName": "main", "ResourceArn": VOLUME, "IamRoleArn": ROLE}),
        )
        .unwrap();
    job["RecoveryPointArn"].as_str().unwrap().to_string()
}

fn with_setup_user(mut text: Value) -> Value {
    text["accounts"][0]["users"].as_array_mut().unwrap().push(
        json!({"name": "setup", "access_key_id": "AKSETUP", "secret_access_key": "s",
            "policies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["backup:*", "iam:PassRole"], "Resource": "*"}]}]}),
    );
    text
}

/// A fixture whose user `AKJ` has `backup:*` and the statements `pass`, beside a user
/// `AKSETUP` allowed everything it needs to make the recovery point the jobs start from.
fn jobs_fixture_with_setup(pass: Vec<Value>) -> Fixture {
    let mut statements = vec![json!({"Effect": "Allow", "Action": "backup:*", "Resource": "*"})];
    statements.extend(pass);
    fixture_with(with_setup_user(json!({"accounts": [{"id": ACCT, "users": [
        {"name": "jobs", "access_key_id": "AKJ", "secret_access_key": "s",
         "policies": [{"Version": "2012-10-17", "Statement": statements}]}]}]})))
}

fn all_pass(answers: &[Result<String, &'static str>; 3], what: &str) {
    for (job, a) in ["backup", "restore", "copy"].iter().zip(answers) {
        assert!(a.is_ok(), "{what}: the {job} job was refused: {a:?}");
    }
}

fn all_denied(answers: &[Result<String, &'static str>; 3], what: &str) {
    for (job, a) in ["backup", "restore", "copy"].iter().zip(answers) {
        assert_eq!(a, &Err("AccessDeniedException"), "{what}: the {job} job");
    }
}

#[test]
fn the_recommended_allow_lets_every_job_pass_its_role() {
    let f = jobs_fixture_with_setup(vec![recommended()]);
    let rp = vaults(&f);
    all_pass(
        &jobs(&f, "main", &rp, "copies"),
        "iam:PassedToService = backup",
    );
    // Limited to another service, it allows no job.
    let f = jobs_fixture_with_setup(vec![
        json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}),
    ]);
    let rp = vaults(&f);
    all_denied(
        &jobs(&f, "main", &rp, "copies"),
        "iam:PassedToService = ec2",
    );
    // Without any iam:PassRole, none either.
    let f = jobs_fixture_with_setup(Vec::new());
    let rp = vaults(&f);
    all_denied(&jobs(&f, "main", &rp, "copies"), "no iam:PassRole");
}

#[test]
fn a_deny_on_passing_roles_to_backup_stops_every_job() {
    let deny = json!({"Sid": "NoRolesForBackup", "Effect": "Deny", "Action": "iam:PassRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}});
    let f = jobs_fixture_with_setup(vec![
        json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
        deny,
    ]);
    let rp = vaults(&f);
    all_denied(
        &jobs(&f, "main", &rp, "copies"),
        "Deny iam:PassedToService = backup",
    );
    assert!(f
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("NoRolesForBackup")));
}

/// `iam:AssociatedResourceArn` is the AWS Backup resource the role acts for: the vault a
/// backup or a copy writes into, the recovery point a restore reads.
#[test]
fn the_associated_resource_is_the_vault_written_or_the_point_restored() {
    let main = format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:main");
    let copies = format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:copies");
    let f = jobs_fixture_with_setup(vec![
        json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"},
                      "ArnLike": {"iam:AssociatedResourceArn": [main, copies, "arn:aws:ec2:*::snapshot/*"]}}}),
    ]);
    let rp = vaults(&f);
    all_pass(
        &jobs(&f, "main", &rp, "copies"),
        "the allowed vaults and points",
    );
    let [backup, _, copy] = jobs(&f, "other", &rp, "other");
    assert_eq!(
        backup,
        Err("AccessDeniedException"),
        "a backup into another vault"
    );
    assert_eq!(
        copy,
        Err("AccessDeniedException"),
        "a copy into another vault"
    );
    // A Deny on one recovery point stops its restore only.
    let f = jobs_fixture_with_setup(vec![
        recommended(),
        json!({"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*",
               "Condition": {"ArnLike": {"iam:AssociatedResourceArn": "arn:aws:ec2:*::snapshot/*"}}}),
    ]);
    let rp = vaults(&f);
    let [backup, restore, copy] = jobs(&f, "main", &rp, "copies");
    assert!(backup.is_ok() && copy.is_ok(), "{backup:?} {copy:?}");
    assert_eq!(restore, Err("AccessDeniedException"));
}
