//! The service's rules, driven directly (no HTTP) with a clock the test moves:
//! Vault Lock's grace time and immutability, lifecycle rules, cross-account refusal, and the
//! store surviving a reopen. Sources: AWS Backup developer guide, "AWS Backup Vault Lock";
//! AWS Backup API reference, `Lifecycle` and `UpdateRecoveryPointLifecycle`; the seed's
//! "Access policies" and "Copy tags permissions" sections.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use vaultward_server::config::{Config, Identity};
use vaultward_server::error::ApiError;
use vaultward_server::routes::Route;
use vaultward_server::service::{Clock, Service};
use vaultward_server::store::SqliteStore;

const ACCT: &str = "111122223333";
const DAY: u64 = 86400;

struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now(&self) -> f64 {
        self.0.load(Ordering::SeqCst) as f64
    }
}

struct Fixture {
    service: Service,
    clock: Arc<TestClock>,
    log: Arc<Mutex<Vec<String>>>,
    _dir: Option<TempDir>,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(tag: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!(
        "vaultward-server-{tag}-{}-{}",
        std::process::id(),
        uuid_like()
    ));
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

fn uuid_like() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

fn config() -> Config {
    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["backup:*", "iam:PassRole"], "Resource": "*"}]});
    let admin = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let text = json!({"accounts": [
        {"id": ACCT, "advanced_dynamodb_backup": false,
         "root": {"access_key_id": "AKROOT", "secret_access_key": "s"},
         "users": [{"name": "op", "access_key_id": "AK1", "secret_access_key": "s", "policies": [allow]},
                   {"name": "admin", "access_key_id": "AKADMIN", "secret_access_key": "s", "policies": [admin]}],
         "roles": [{"name": "ReadOnly", "access_key_id": "AK2", "secret_access_key": "s",
                    "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "backup:Describe*", "Resource": "*"}]}]},
                   {"name": "Admin", "path": "/ops/", "policies": [allow],
                    "trust_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:user/op")}, "Action": "sts:AssumeRole"}]}}]},
        {"id": "444455556666",
         "users": [{"name": "partner", "access_key_id": "AK3", "secret_access_key": "s", "policies": [allow]}]}
    ]});
    Config::from_json("test.json", &text.to_string()).unwrap()
}

fn fixture_in(path: &std::path::Path, dir: Option<TempDir>) -> Fixture {
    fixture_of(config(), path, dir)
}

fn fixture_of(config: Config, path: &std::path::Path, dir: Option<TempDir>) -> Fixture {
    let clock = Arc::new(TestClock(AtomicU64::new(1_800_000_000)));
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    let service = Service::new(
        config,
        Arc::new(SqliteStore::open(path).unwrap()),
        clock.clone(),
        Arc::new(move |l| sink.lock().unwrap().push(l)),
    );
    Fixture {
        service,
        clock,
        log,
        _dir: dir,
    }
}

fn fixture() -> Fixture {
    let d = temp_dir("svc");
    let path = d.0.clone();
    fixture_in(&path, Some(d))
}

/// A fixture over the identities file `text`.
fn fixture_with(text: Value) -> Fixture {
    let d = temp_dir("svc");
    let path = d.0.clone();
    fixture_of(
        Config::from_json("test.json", &text.to_string()).unwrap(),
        &path,
        Some(d),
    )
}

// Issue 26's tests, beside this file (one test binary for the crate).
#[path = "service/leaks.rs"]
mod leaks;
#[path = "service/pass_role.rs"]
mod pass_role;
#[path = "service/retention.rs"]
mod retention;

impl Fixture {
    fn who(&self, key: &str) -> Identity {
        self.service.config.identities[key].clone()
    }
    fn call(&self, key: &str, route: Route, body: Value) -> Result<Value, ApiError> {
        self.service
            .handle(&self.who(key), &route, &HashMap::new(), &body)
    }
    /// The partner account (AK3) backs up one of its volumes into its vault `src`; returns
    /// the recovery point's ARN.
    fn partner_recovery_point(&self) -> Value {
        self.call("AK3", Route::CreateBackupVault("src".into()), json!({}))
            .unwrap_or_else(|e| panic!("{e:?}"));
        let job = self
            .call(
                "AK3",
                Route::StartBackupJob,
                json!({"BackupVaultName": "src", "ResourceArn": "arn:aws:ec2:us-east-1:444455556666:volume/vol-9", "IamRoleArn": "arn:aws:iam::444455556666:role/r"}),
            )
            .unwrap();
        job["RecoveryPointArn"].clone()
    }
    /// The partner copies its recovery point `rp` into the vault `vv` of `ACCT`.
    fn partner_copy_into_vv(&self, rp: &Value) -> Result<Value, ApiError> {
        self.call(
            "AK3",
            Route::StartCopyJob,
            json!({"RecoveryPointArn": rp, "SourceBackupVaultName": "src",
                   "DestinationBackupVaultArn": format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:vv"),
                   "IamRoleArn": "arn:aws:iam::444455556666:role/r"}),
        )
    }
    fn advance(&self, days: u64) {
        self.clock.0.fetch_add(days * DAY, Ordering::SeqCst);
    }
    fn backup(&self, vault: &str, resource: &str, delete_after: Option<i64>) -> Value {
        let mut body = json!({"BackupVaultName": vault, "ResourceArn": resource, "IamRoleArn": format!("arn:aws:iam::{ACCT}:role/r")});
        if let Some(d) = delete_after {
            body["Lifecycle"] = json!({"DeleteAfterDays": d});
        }
        let job = self.call("AK1", Route::StartBackupJob, body).unwrap();
        self.call(
            "AK1",
            Route::DescribeBackupJob(job["BackupJobId"].as_str().unwrap().into()),
            json!({}),
        )
        .unwrap()
    }
}

#[test]
fn a_vault_lock_is_immutable_after_its_grace_time() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("locked".into()), json!({}))
        .unwrap();
    let put = |body: Value| {
        f.call(
            "AK1",
            Route::PutBackupVaultLockConfiguration("locked".into()),
            body,
        )
    };
    // AWS's validation: ChangeableForDays at least 3; min not above max; max at most 36500.
    assert_eq!(
        put(json!({"ChangeableForDays": 2})).unwrap_err().code,
        "InvalidParameterValueException"
    );
    assert_eq!(
        put(json!({"MinRetentionDays": 10, "MaxRetentionDays": 5}))
            .unwrap_err()
            .code,
        "InvalidParameterValueException"
    );
    assert_eq!(
        put(json!({"MaxRetentionDays": 36501})).unwrap_err().code,
        "InvalidParameterValueException"
    );
    put(json!({"MinRetentionDays": 7, "MaxRetentionDays": 30, "ChangeableForDays": 3})).unwrap();
    // Within the grace time: changeable.
    f.advance(2);
    put(json!({"MinRetentionDays": 7, "MaxRetentionDays": 60, "ChangeableForDays": 3})).unwrap();
    // The new configuration restarted the grace time (3 days from now); after it: immutable.
    f.advance(3);
    let e = put(json!({"MinRetentionDays": 1})).unwrap_err();
    assert_eq!(e.code, "InvalidRequestException");
    let e = f
        .call(
            "AK1",
            Route::DeleteBackupVaultLockConfiguration("locked".into()),
            json!({}),
        )
        .unwrap_err();
    assert_eq!(e.code, "InvalidRequestException");
    // Retention outside the range fails the job; inside it completes.
    let j = f.backup(
        "locked",
        &format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-1"),
        Some(3),
    );
    assert_eq!(j["State"], "FAILED");
    assert!(j["StatusMessage"]
        .as_str()
        .unwrap()
        .contains("minimum of 7 days"));
    let j = f.backup(
        "locked",
        &format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-1"),
        None,
    );
    assert_eq!(j["State"], "FAILED", "kept forever exceeds the maximum");
    let j = f.backup(
        "locked",
        &format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-1"),
        Some(14),
    );
    assert_eq!(j["State"], "COMPLETED");
    // A recovery point cannot be deleted before its retention ends (14 days, not the lock's
    // minimum of 7), then can.
    let rp = j["RecoveryPointArn"].as_str().unwrap().to_string();
    let del = || {
        f.call(
            "AK1",
            Route::DeleteRecoveryPoint("locked".into(), rp.clone()),
            json!({}),
        )
    };
    assert_eq!(del().unwrap_err().code, "InvalidRequestException");
    f.advance(7);
    assert_eq!(del().unwrap_err().code, "InvalidRequestException");
    f.advance(7);
    del().unwrap();
}

#[test]
fn governance_mode_locks_can_be_removed() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("gov".into()), json!({}))
        .unwrap();
    f.call(
        "AK1",
        Route::PutBackupVaultLockConfiguration("gov".into()),
        json!({"MinRetentionDays": 1}),
    )
    .unwrap();
    f.advance(10_000);
    f.call(
        "AK1",
        Route::DeleteBackupVaultLockConfiguration("gov".into()),
        json!({}),
    )
    .unwrap();
    let d = f
        .call("AK1", Route::DescribeBackupVault("gov".into()), json!({}))
        .unwrap();
    assert_eq!(d["Locked"], false);
}

#[test]
fn lifecycle_rules() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("vv".into()), json!({}))
        .unwrap();
    // Without advanced DynamoDB backup, a table's recovery point is a DynamoDB backup ARN.
    let j = f.backup(
        "vv",
        &format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/T"),
        Some(200),
    );
    let rp = j["RecoveryPointArn"].as_str().unwrap().to_string();
    assert!(
        rp.starts_with(&format!(
            "arn:aws:dynamodb:us-east-1:{ACCT}:table/T/backup/"
        )),
        "{rp}"
    );
    // A DynamoDB backup (not an AWS Backup recovery point) has no cold storage ("Feature
    // availability by resource", https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html).
    let e = f
        .call(
            "AK1",
            Route::UpdateRecoveryPointLifecycle("vv".into(), rp.clone()),
            json!({"Lifecycle": {"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 100}}),
        )
        .unwrap_err();
    assert_eq!(e.code, "InvalidParameterValueException", "{}", e.message);
    let j = f.backup(
        "vv",
        &format!("arn:aws:elasticfilesystem:us-east-1:{ACCT}:file-system/fs-1"),
        Some(200),
    );
    let rp = j["RecoveryPointArn"].as_str().unwrap().to_string();
    let upd = |l: Value| {
        f.call(
            "AK1",
            Route::UpdateRecoveryPointLifecycle("vv".into(), rp.clone()),
            json!({"Lifecycle": l}),
        )
    };
    assert_eq!(
        upd(json!({"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 99}))
            .unwrap_err()
            .code,
        "InvalidParameterValueException",
        "cold storage lasts at least 90 days"
    );
    assert_eq!(
        upd(json!({"DeleteAfterDays": 0})).unwrap_err().code,
        "InvalidParameterValueException"
    );
    let out = upd(json!({"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 100})).unwrap();
    let created = 1_800_000_000.0;
    assert_eq!(
        out["CalculatedLifecycle"]["DeleteAt"],
        json!(created + 100.0 * 86400.0)
    );
    // After the transition, the cold storage setting cannot change.
    f.advance(11);
    assert_eq!(
        upd(json!({"MoveToColdStorageAfterDays": 20, "DeleteAfterDays": 200}))
            .unwrap_err()
            .code,
        "InvalidRequestException"
    );
    upd(json!({"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 200})).unwrap();
}

#[test]
fn identity_policies_and_cross_account_rules() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("vv".into()), json!({}))
        .unwrap();
    // The read-only role may describe, not delete; the log names the reason.
    f.call("AK2", Route::DescribeBackupVault("vv".into()), json!({}))
        .unwrap();
    let e = f
        .call("AK2", Route::DeleteBackupVault("vv".into()), json!({}))
        .unwrap_err();
    assert_eq!((e.status, e.code), (403, "AccessDeniedException"));
    assert!(
        e.message
            .contains("because no identity-based policy allows"),
        "{}",
        e.message
    );
    assert!(f
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("backup:DeleteBackupVault")));
    // Another account, even with a vault policy allowing it, is refused everything but
    // CopyIntoBackupVault (the seed: cross-account access is for copies).
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": ["backup:DescribeBackupVault", "backup:CopyIntoBackupVault"], "Resource": "*"}]});
    f.call(
        "AK1",
        Route::PutBackupVaultAccessPolicy("vv".into()),
        json!({"Policy": policy.to_string()}),
    )
    .unwrap();
    let q: HashMap<String, String> =
        [("backupVaultAccountId".to_string(), ACCT.to_string())].into();
    let e = f
        .service
        .handle(
            &f.who("AK3"),
            &Route::DescribeBackupVault("vv".into()),
            &q,
            &json!({}),
        )
        .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(f
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("cross-account")));
    // The partner copies into the vault: its own vault and recovery point, the destination
    // allowing CopyIntoBackupVault.
    let rp = f.partner_recovery_point();
    let copy = f.partner_copy_into_vv(&rp).unwrap();
    let cj = f
        .service
        .handle(
            &f.who("AK3"),
            &Route::DescribeCopyJob(copy["CopyJobId"].as_str().unwrap().into()),
            &HashMap::new(),
            &json!({}),
        )
        .unwrap();
    assert_eq!(cj["CopyJob"]["State"], "COMPLETED");
    let listed = f
        .call(
            "AK1",
            Route::ListRecoveryPointsByBackupVault("vv".into()),
            json!({}),
        )
        .unwrap();
    assert_eq!(listed["RecoveryPoints"].as_array().unwrap().len(), 1);
}

#[test]
fn vault_names_and_policies_are_validated() {
    let f = fixture();
    for bad in ["a", "has space", &"x".repeat(51), "dots.not.allowed"] {
        let e = f
            .call("AK1", Route::CreateBackupVault(bad.into()), json!({}))
            .unwrap_err();
        assert_eq!(e.code, "InvalidParameterValueException", "{bad}");
    }
    f.call(
        "AK1",
        Route::CreateBackupVault("ok_name-1".into()),
        json!({}),
    )
    .unwrap();
    let put = |p: Value| {
        f.call(
            "AK1",
            Route::PutBackupVaultAccessPolicy("ok_name-1".into()),
            json!({"Policy": p.to_string()}),
        )
    };
    for bad in [
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "backup:Delete*", "Resource": "*"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]}),
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]}),
    ] {
        assert_eq!(put(bad).unwrap_err().code, "InvalidParameterValueException");
    }
    let e = f
        .call(
            "AK1",
            Route::GetBackupVaultAccessPolicy("ok_name-1".into()),
            json!({}),
        )
        .unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
}

#[test]
fn records_survive_reopening_the_store() {
    let dir = temp_dir("reopen");
    {
        let f = fixture_in(&dir.0, None);
        f.call("AK1", Route::CreateBackupVault("keep".into()), json!({}))
            .unwrap();
        f.backup(
            "keep",
            &format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-1"),
            None,
        );
    }
    let f = fixture_in(&dir.0, None);
    let d = f
        .call("AK1", Route::DescribeBackupVault("keep".into()), json!({}))
        .unwrap();
    assert_eq!(d["NumberOfRecoveryPoints"], 1);
}

fn between<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = xml.find(&open).unwrap() + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
    &xml[start..end]
}

/// STS AssumeRole: the trust policy decides who may assume the role
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html, trust
/// policy), and temporary credentials expire.
#[test]
fn assume_role_by_trust_policy_and_expiry() {
    let f = fixture();
    let role = format!("arn:aws:iam::{ACCT}:role/ops/Admin");
    let form = |session: &str| -> HashMap<String, String> {
        [
            ("Action", "AssumeRole"),
            ("RoleArn", role.as_str()),
            ("RoleSessionName", session),
            ("DurationSeconds", "900"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let xml = f.service.sts(&f.who("AK1"), &form("night-shift")).unwrap();
    assert_eq!(
        between(&xml, "Arn"),
        format!("arn:aws:sts::{ACCT}:assumed-role/Admin/night-shift")
    );
    let key = between(&xml, "AccessKeyId").to_string();
    let token = between(&xml, "SessionToken").to_string();
    let who = f.service.session_identity(&key, Some(&token)).unwrap();
    assert_eq!(who.principal_arn, role);
    // The session has the role's permissions.
    f.service
        .handle(
            &who,
            &Route::CreateBackupVault("from-session".into()),
            &HashMap::new(),
            &json!({}),
        )
        .unwrap();
    assert_eq!(
        f.service
            .session_identity(&key, Some("wrong"))
            .unwrap_err()
            .code,
        "UnrecognizedClientException"
    );
    f.clock.0.fetch_add(901, Ordering::SeqCst);
    assert_eq!(
        f.service
            .session_identity(&key, Some(&token))
            .unwrap_err()
            .code,
        "ExpiredTokenException"
    );
    // The read-only role's session and the other account's user are not trusted.
    for k in ["AK2", "AK3"] {
        let e = f.service.sts(&f.who(k), &form("x1")).unwrap_err();
        assert_eq!((e.status, e.code), (403, "AccessDenied"), "{k}");
    }
    assert_eq!(
        f.service
            .sts(&f.who("AK1"), &form("bad name!"))
            .unwrap_err()
            .code,
        "ValidationError"
    );
}

/// Listings page with `maxResults`/`nextToken` and apply their filters (AWS Backup API
/// reference, ListBackupJobs and ListRecoveryPointsByBackupVault); a filter this service
/// does not know is refused rather than ignored.
#[test]
fn listings_page_and_filter() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("pages".into()), json!({}))
        .unwrap();
    for i in 0..5 {
        f.backup(
            "pages",
            &format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-{i}"),
            None,
        );
        f.advance(1);
    }
    let list = |q: &[(&str, &str)]| {
        let q: HashMap<String, String> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        f.service.handle(
            &f.who("AK1"),
            &Route::ListRecoveryPointsByBackupVault("pages".into()),
            &q,
            &json!({}),
        )
    };
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut q = vec![("maxResults", "2")];
        if let Some(t) = &token {
            q.push(("nextToken", t.as_str()));
        }
        let page = list(&q).unwrap();
        let items = page["RecoveryPoints"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|r| r["ResourceArn"].as_str().unwrap().to_string()),
        );
        match page.get("NextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    // Created after the third backup (day 2): two recovery points.
    let after = list(&[("createdAfter", "2027-01-17T08:00:01Z")]).unwrap();
    assert_eq!(
        after["RecoveryPoints"].as_array().unwrap().len(),
        2,
        "{after}"
    );
    let epoch = list(&[("createdBefore", "1800000001")]).unwrap();
    assert_eq!(epoch["RecoveryPoints"].as_array().unwrap().len(), 1);
    let none = list(&[("backupPlanId", "plan-1")]).unwrap();
    assert!(none["RecoveryPoints"].as_array().unwrap().is_empty());
    assert_eq!(
        list(&[("byWhatever", "x")]).unwrap_err().code,
        "InvalidParameterValueException"
    );
    assert_eq!(
        list(&[("createdAfter", "yesterday")]).unwrap_err().code,
        "InvalidParameterValueException"
    );
    // Jobs: a filter on state pages through the account's jobs.
    let failed = f
        .call(
            "AK1",
            Route::StartBackupJob,
            json!({"BackupVaultName": "pages", "ResourceArn": "arn:aws:sqs:us-east-1:111122223333:q", "IamRoleArn": format!("arn:aws:iam::{ACCT}:role/r")}),
        )
        .unwrap_err();
    assert_eq!(
        failed.code, "InvalidParameterValueException",
        "not a protected resource type"
    );
    let jobs = |q: &[(&str, &str)]| {
        let q: HashMap<String, String> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        f.service
            .handle(&f.who("AK1"), &Route::ListBackupJobs, &q, &json!({}))
            .unwrap()
    };
    let done = jobs(&[("state", "COMPLETED"), ("maxResults", "3")]);
    assert_eq!(done["BackupJobs"].as_array().unwrap().len(), 3);
    let t = done["NextToken"].as_str().unwrap().to_string();
    let rest = jobs(&[
        ("state", "COMPLETED"),
        ("maxResults", "3"),
        ("nextToken", &t),
    ]);
    assert_eq!(rest["BackupJobs"].as_array().unwrap().len(), 2);
    assert!(rest.get("NextToken").is_none());
    assert!(jobs(&[("state", "FAILED")])["BackupJobs"]
        .as_array()
        .unwrap()
        .is_empty());
}

/// Session tags need `sts:TagSession` in the trust policy and then act as
/// `aws:PrincipalTag/...` of the session ("Passing session tags in AWS STS", IAM User
/// Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html); the
/// session policy narrows the session ("Session policies", IAM User Guide,
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session).
#[test]
fn session_tags_and_session_policies_are_enforced() {
    let allow_by_tag = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "backup:CreateBackupVault", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "storage"}}}]});
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:user/op")},
        "Action": ["sts:AssumeRole", "sts:TagSession"]}]});
    let text = json!({"accounts": [{"id": ACCT,
        "users": [{"name": "op", "access_key_id": "AK1", "secret_access_key": "s",
                   "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]}]}],
        "roles": [{"name": "Tagged", "policies": [allow_by_tag], "trust_policy": trust}]}]});
    let config = Config::from_json("t.json", &text.to_string()).unwrap();
    let d = temp_dir("tags");
    let service = Service::new(
        config,
        Arc::new(SqliteStore::open(&d.0).unwrap()),
        Arc::new(TestClock(AtomicU64::new(1_800_000_000))),
        Arc::new(|_| {}),
    );
    let op = service.config.identities["AK1"].clone();
    let assume = |extra: &[(&str, &str)]| {
        let mut form: HashMap<String, String> = [
            ("Action", "AssumeRole"),
            ("RoleArn", &*format!("arn:aws:iam::{ACCT}:role/Tagged")),
            ("RoleSessionName", "s1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let xml = service.sts(&op, &form)?;
        Ok::<Identity, ApiError>(
            service
                .session_identity(
                    between(&xml, "AccessKeyId"),
                    Some(between(&xml, "SessionToken")),
                )
                .unwrap(),
        )
    };
    let create = |who: &Identity, name: &str| {
        service.handle(
            who,
            &Route::CreateBackupVault(name.into()),
            &HashMap::new(),
            &json!({}),
        )
    };
    // Without the tag the role's policy does not allow; with it, it does.
    let plain = assume(&[]).unwrap();
    assert_eq!(
        create(&plain, "v-plain").unwrap_err().code,
        "AccessDeniedException"
    );
    let tagged = assume(&[
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "storage"),
    ])
    .unwrap();
    create(&tagged, "v-tagged").unwrap();
    // A session policy that allows something else leaves nothing of the role's Allow.
    let other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"backup:ListBackupVaults","Resource":"*"}]}"#;
    let narrowed = assume(&[
        ("Tags.member.1.Key", "team"),
        ("Tags.member.1.Value", "storage"),
        ("Policy", other),
    ])
    .unwrap();
    assert_eq!(
        create(&narrowed, "v-narrow").unwrap_err().code,
        "AccessDeniedException"
    );
    // The trust policy does not allow sts:SetSourceIdentity.
    assert_eq!(
        assume(&[("SourceIdentity", "alice")]).unwrap_err().code,
        "AccessDenied"
    );
}

#[test]
fn a_principal_defined_twice_is_refused() {
    let text = json!({"accounts": [{"id": ACCT, "users": [
        {"name": "op", "access_key_id": "AK1", "secret_access_key": "s"},
        {"name": "op", "access_key_id": "AK2", "secret_access_key": "s"}]}]});
    let e = Config::from_json("t.json", &text.to_string()).unwrap_err();
    assert!(e.to_string().contains("already defined"), "{e}");
}

/// A vault and its tags are written and deleted together: a vault deleted and created
/// again under the same name does not inherit the old tags.
#[test]
fn a_vault_and_its_tags_live_and_die_together() {
    let f = fixture();
    f.call(
        "AK1",
        Route::CreateBackupVault("tagged".into()),
        json!({"BackupVaultTags": {"env": "old"}}),
    )
    .unwrap();
    let arn = format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:tagged");
    let tags = f
        .call("AK1", Route::ListTags(arn.clone()), json!({}))
        .unwrap();
    assert_eq!(tags["Tags"], json!({"env": "old"}));
    f.call("AK1", Route::DeleteBackupVault("tagged".into()), json!({}))
        .unwrap();
    f.call("AK1", Route::CreateBackupVault("tagged".into()), json!({}))
        .unwrap();
    let tags = f.call("AK1", Route::ListTags(arn), json!({})).unwrap();
    assert_eq!(tags["Tags"], json!({}), "{tags}");
    assert_eq!(
        f.call("AK1", Route::CreateBackupVault("tagged".into()), json!({}))
            .unwrap_err()
            .code,
        "AlreadyExistsException"
    );
}

/// An expired session token says so even after its session was evicted, and STS answers
/// with STS's error codes.
#[test]
fn an_expired_token_stays_expired_after_eviction() {
    let f = fixture();
    let form: HashMap<String, String> = [
        ("Action", "AssumeRole"),
        ("RoleArn", &*format!("arn:aws:iam::{ACCT}:role/ops/Admin")),
        ("RoleSessionName", "s1"),
        ("DurationSeconds", "900"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let xml = f.service.sts(&f.who("AK1"), &form).unwrap();
    let (key, token) = (
        between(&xml, "AccessKeyId").to_string(),
        between(&xml, "SessionToken").to_string(),
    );
    f.clock.0.fetch_add(901, Ordering::SeqCst);
    // Another AssumeRole evicts the expired session.
    f.service.sts(&f.who("AK1"), &form).unwrap();
    let e = f.service.session_identity(&key, Some(&token)).unwrap_err();
    assert_eq!(e.code, "ExpiredTokenException");
    assert!(vaultward_server::sts::error_xml(&e).contains("<Code>ExpiredToken</Code>"));
    let e = f
        .service
        .session_identity("ASIAUNKNOWN", Some("x"))
        .unwrap_err();
    assert!(vaultward_server::sts::error_xml(&e).contains("<Code>InvalidClientTokenId</Code>"));
}

/// A filter that matches little reads a bounded number of records per call and answers a
/// short page with a token (issue 13: a listing matching nothing scanned every job); the
/// pages together still hold every match.
#[test]
fn a_filtered_listing_reads_a_bounded_number_of_records_per_call() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("many".into()), json!({}))
        .unwrap();
    for i in 0..1_203 {
        f.backup(
            "many",
            &format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-{i}"),
            None,
        );
    }
    let target = format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-1202");
    let mut token: Option<String> = None;
    let mut calls = 0;
    let mut found = Vec::new();
    loop {
        let mut q: HashMap<String, String> = [("resourceArn".to_string(), target.clone())].into();
        if let Some(t) = &token {
            q.insert("nextToken".into(), t.clone());
        }
        let page = f
            .service
            .handle(&f.who("AK1"), &Route::ListBackupJobs, &q, &json!({}))
            .unwrap();
        calls += 1;
        found.extend(page["BackupJobs"].as_array().unwrap().iter().cloned());
        match page.get("NextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert!(calls >= 2, "{calls} calls: the first read every job");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["ResourceArn"], json!(target));
}

/// The service's runtime runs at most `STORE_THREADS` store calls at once and queues the
/// rest, however many requests wait (tokio's default would start up to 512 threads).
#[test]
fn store_calls_run_on_a_bounded_pool() {
    let rt = vaultward_server::runtime().unwrap();
    let running = Arc::new(AtomicU64::new(0));
    let most = Arc::new(AtomicU64::new(0));
    rt.block_on(async {
        let calls: Vec<_> = (0..64)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::task::spawn_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for c in calls {
            c.await.unwrap();
        }
    });
    let most = most.load(Ordering::SeqCst);
    assert!(
        most >= 2 && most <= vaultward_server::STORE_THREADS as u64,
        "{most} store calls ran at once"
    );
}

/// `aws:PrincipalOrgID`/`aws:PrincipalOrgPaths` and `aws:ResourceOrgID`/`aws:ResourceOrgPaths`
/// are filled for accounts configured in an organization and absent otherwise ("AWS global
/// condition context keys",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
/// the copy into another account's vault that AWS Backup's access-control page describes,
/// allowed to the organization only.
#[test]
fn organization_keys_fill_the_context_for_configured_accounts() {
    const ORG: &str = "o-exampleorg1";
    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["backup:*", "iam:PassRole"], "Resource": "*"}]});
    let account = |id: &str, key: &str, org: Option<Value>| {
        let mut a = json!({"id": id, "users": [{"name": "u", "access_key_id": key, "secret_access_key": "s", "policies": [allow]}]});
        if let Some(o) = org {
            a["organization"] = o;
        }
        a
    };
    let text = json!({"accounts": [
        account(ACCT, "AKA", Some(json!({"id": ORG, "path": format!("{ORG}/r-ab12/ou-ab12-11111111/")}))),
        account("444455556666", "AKB", Some(json!({"id": ORG}))),
        account("777788889999", "AKC", None),
    ]});
    let config = Config::from_json("org.json", &text.to_string()).unwrap();
    let dir = temp_dir("org");
    let service = Service::new(
        config,
        Arc::new(SqliteStore::open(&dir.0).unwrap()),
        Arc::new(TestClock(AtomicU64::new(1_800_000_000))),
        Arc::new(|_| {}),
    );
    let who = |key: &str| service.config.identities[key].clone();
    let call = |key: &str, route: Route, body: Value| {
        service.handle(&who(key), &route, &HashMap::new(), &body)
    };
    call("AKA", Route::CreateBackupVault("shared".into()), json!({})).unwrap();
    let copy_from_org = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
        "Action": "backup:CopyIntoBackupVault", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}}}]});
    call(
        "AKA",
        Route::PutBackupVaultAccessPolicy("shared".into()),
        json!({"Policy": copy_from_org.to_string()}),
    )
    .unwrap();
    let dest = format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:shared");
    let copy = |key: &str, account: &str| {
        call(key, Route::CreateBackupVault("src".into()), json!({})).unwrap();
        let job = call(
            key,
            Route::StartBackupJob,
            json!({"BackupVaultName": "src", "ResourceArn": format!("arn:aws:ec2:us-east-1:{account}:volume/vol-1"),
                   "IamRoleArn": format!("arn:aws:iam::{account}:role/r")}),
        )
        .unwrap();
        call(
            key,
            Route::StartCopyJob,
            json!({"RecoveryPointArn": job["RecoveryPointArn"], "SourceBackupVaultName": "src",
                   "DestinationBackupVaultArn": dest, "IamRoleArn": format!("arn:aws:iam::{account}:role/r")}),
        )
    };
    copy("AKB", "444455556666").unwrap_or_else(|e| panic!("a member of {ORG} copies: {e:?}"));
    let e = copy("AKC", "777788889999").unwrap_err();
    assert_eq!(e.code, "AccessDeniedException", "an account outside {ORG}");

    // The paths, principal and resource side: a Deny under the OU applies to A's caller on
    // A's vault, and not to an OU A is not in.
    for (key, ou, denied) in [
        ("aws:PrincipalOrgPaths", "ou-ab12-11111111", true),
        ("aws:ResourceOrgPaths", "ou-ab12-11111111", true),
        ("aws:ResourceOrgID", "", true),
        ("aws:PrincipalOrgPaths", "ou-ab12-22222222", false),
    ] {
        let condition = if ou.is_empty() {
            json!({"StringEquals": {key: ORG}})
        } else {
            json!({"ForAnyValue:StringLike": {key: format!("{ORG}/r-ab12/{ou}/*")}})
        };
        let guard = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
            "Action": "backup:DescribeBackupVault", "Resource": "*", "Condition": condition}]});
        call(
            "AKA",
            Route::PutBackupVaultAccessPolicy("shared".into()),
            json!({"Policy": guard.to_string()}),
        )
        .unwrap();
        let r = call(
            "AKA",
            Route::DescribeBackupVault("shared".into()),
            json!({}),
        );
        assert_eq!(r.is_err(), denied, "{key} under {ou}: {r:?}");
    }

    // Organization ids and paths are checked, the error naming where.
    for (org, at) in [
        (json!({"id": "o-short"}), "$.accounts[0].organization.id"),
        (
            json!({"id": "O-EXAMPLEORG1"}),
            "$.accounts[0].organization.id",
        ),
        (
            json!({"id": ORG, "path": format!("{ORG}/r-ab12/ou-ab12-11111111")}),
            "$.accounts[0].organization.path",
        ),
        (
            json!({"id": ORG, "path": "o-otherorg99/r-ab12/"}),
            "$.accounts[0].organization.path",
        ),
        (
            json!({"id": ORG, "path": format!("{ORG}/ou-ab12-11111111/")}),
            "$.accounts[0].organization.path",
        ),
        (
            json!({"id": ORG, "path": format!("{ORG}/r-ab12/ou-ab12-1/")}),
            "$.accounts[0].organization.path",
        ),
        (json!({"id": ORG, "root": "r-ab12"}), "unknown field `root`"),
    ] {
        let text = json!({"accounts": [account(ACCT, "AKA", Some(org.clone()))]});
        let e = Config::from_json("org.json", &text.to_string()).unwrap_err();
        assert!(e.to_string().contains(at), "{org}: {e}");
    }
}

/// A policy that reads a vault's tags only through a policy variable still gets them: the
/// ABAC Deny "unless the caller's team tag equals the vault's" applies to a caller of
/// another team ("IAM policy elements: Variables and tags",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html).
#[test]
fn resource_tags_reach_policy_variables() {
    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]});
    let user = |name: &str, key: &str, team: &str| json!({"name": name, "access_key_id": key, "secret_access_key": "s", "tags": {"team": team}, "policies": [allow]});
    let text = json!({"accounts": [{"id": ACCT, "users": [user("a", "AKA", "alpha"), user("b", "AKB", "beta")]}]});
    let config = Config::from_json("abac.json", &text.to_string()).unwrap();
    let dir = temp_dir("abac");
    let service = Service::new(
        config,
        Arc::new(SqliteStore::open(&dir.0).unwrap()),
        Arc::new(TestClock(AtomicU64::new(1_800_000_000))),
        Arc::new(|_| {}),
    );
    let call = |key: &str, route: Route, body: Value| {
        service.handle(
            &service.config.identities[key].clone(),
            &route,
            &HashMap::new(),
            &body,
        )
    };
    call(
        "AKA",
        Route::CreateBackupVault("alpha-vault".into()),
        json!({"BackupVaultTags": {"team": "alpha"}}),
    )
    .unwrap();
    let same_team = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
        "Action": "backup:DescribeBackupVault", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}}}]});
    call(
        "AKA",
        Route::PutBackupVaultAccessPolicy("alpha-vault".into()),
        json!({"Policy": same_team.to_string()}),
    )
    .unwrap();
    call(
        "AKA",
        Route::DescribeBackupVault("alpha-vault".into()),
        json!({}),
    )
    .unwrap_or_else(|e| panic!("alpha's own team: {e:?}"));
    let e = call(
        "AKB",
        Route::DescribeBackupVault("alpha-vault".into()),
        json!({}),
    )
    .unwrap_err();
    assert_eq!(
        e.code, "AccessDeniedException",
        "team beta on alpha's vault"
    );
}

/// The keys a request fills itself: `aws:RequestTag/…` and `aws:TagKeys` on
/// `CreateBackupVault` and `TagResource`, `aws:TagKeys` on `UntagResource`, and
/// `backup:MinRetentionDays`/`MaxRetentionDays`/`ChangeableForDays` on
/// `PutBackupVaultLockConfiguration` (Service Authorization Reference, "Actions, resources,
/// and condition keys for AWS Backup",
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html).
/// Without them a tag-governance Deny never applies (or always does).
#[test]
fn request_keys_fill_the_context() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "backup:*", "Resource": "*"},
        {"Sid": "VaultsNeedATeam", "Effect": "Deny", "Action": "backup:CreateBackupVault", "Resource": "*",
         "Condition": {"Null": {"aws:RequestTag/team": "true"}}},
        {"Sid": "KnownEnvironments", "Effect": "Deny", "Action": ["backup:CreateBackupVault", "backup:TagResource"], "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestTag/env": ["prod", "dev"]}, "Null": {"aws:RequestTag/env": "false"}}},
        {"Sid": "OwnerIsFixed", "Effect": "Deny", "Action": ["backup:TagResource", "backup:UntagResource"], "Resource": "*",
         "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": "owner"}}},
        {"Sid": "LocksKeep30Days", "Effect": "Deny", "Action": "backup:PutBackupVaultLockConfiguration", "Resource": "*",
         "Condition": {"NumericLessThanIfExists": {"backup:MinRetentionDays": "30"}}},
        {"Sid": "LocksHaveAMinimum", "Effect": "Deny", "Action": "backup:PutBackupVaultLockConfiguration", "Resource": "*",
         "Condition": {"Null": {"backup:MinRetentionDays": "true"}}}]});
    let text = json!({"accounts": [{"id": ACCT, "users": [
        {"name": "u", "access_key_id": "AK", "secret_access_key": "s", "policies": [policy]}]}]});
    let config = Config::from_json("keys.json", &text.to_string()).unwrap();
    let dir = temp_dir("keys");
    let service = Service::new(
        config,
        Arc::new(SqliteStore::open(&dir.0).unwrap()),
        Arc::new(TestClock(AtomicU64::new(1_800_000_000))),
        Arc::new(|_| {}),
    );
    let call = |route: Route, body: Value| {
        service.handle(
            &service.config.identities["AK"].clone(),
            &route,
            &HashMap::new(),
            &body,
        )
    };
    let denied = |r: Result<Value, ApiError>, what: &str| match r {
        Err(e) => assert_eq!(e.code, "AccessDeniedException", "{what}: {e:?}"),
        Ok(v) => panic!("{what} was allowed: {v}"),
    };
    let create = |name: &str, tags: Value| {
        call(
            Route::CreateBackupVault(name.into()),
            json!({"BackupVaultTags": tags}),
        )
    };
    denied(create("v1", json!({})), "a vault without tags");
    denied(
        create("v1", json!({"env": "prod"})),
        "a vault without a team",
    );
    denied(
        create("v1", json!({"team": "a", "env": "staging"})),
        "an unknown environment",
    );
    create("v1", json!({"team": "a", "env": "prod", "owner": "ops"})).unwrap();
    let vault = format!("arn:aws:backup:us-east-1:{ACCT}:backup-vault:v1");
    let tag = |tags: Value| call(Route::TagResource(vault.clone()), json!({"Tags": tags}));
    let untag = |keys: Value| {
        call(
            Route::UntagResource(vault.clone()),
            json!({"TagKeyList": keys}),
        )
    };
    denied(tag(json!({"owner": "me"})), "retagging the owner");
    denied(
        tag(json!({"env": "test"})),
        "tagging an unknown environment",
    );
    tag(json!({"cost": "1"})).unwrap();
    denied(untag(json!(["cost", "owner"])), "untagging the owner");
    untag(json!(["cost"])).unwrap();
    let e = untag(json!(["cost", 5])).unwrap_err();
    assert_eq!(e.code, "InvalidParameterValueException", "{e:?}");
    let lock = |body: Value| call(Route::PutBackupVaultLockConfiguration("v1".into()), body);
    denied(
        lock(json!({"MaxRetentionDays": 90})),
        "a lock without a minimum",
    );
    denied(
        lock(json!({"MinRetentionDays": 7})),
        "a lock shorter than 30 days",
    );
    lock(json!({"MinRetentionDays": 30, "MaxRetentionDays": 90})).unwrap();
}

/// AssumeRole sees the caller's keys as every call does, plus `sts:RoleSessionName`; a
/// session's calls carry the keys of temporary credentials (`aws:TokenIssueTime`,
/// `aws:MultiFactorAuthPresent`), and every call `aws:ViaAWSService` ("AWS global condition
/// context keys",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html;
/// "Available keys for AWS STS",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html).
#[test]
fn sts_and_sessions_see_every_key_the_service_knows() {
    const T0: u64 = 1_800_000_000;
    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["backup:*", "sts:*"], "Resource": "*"}]});
    // Sessions named after the user (the IAM User Guide's `${aws:username}` pattern), never
    // from 10.0.0.0/8.
    let trust = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:RoleSessionName": "${aws:username}"}}},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]});
    let text = json!({"accounts": [{"id": ACCT,
        "users": [{"name": "op", "access_key_id": "AK1", "secret_access_key": "s", "policies": [allow]}],
        "roles": [{"name": "R", "policies": [allow], "trust_policy": trust}]}]});
    let config = Config::from_json("t.json", &text.to_string()).unwrap();
    let d = temp_dir("ctx");
    let clock = Arc::new(TestClock(AtomicU64::new(T0)));
    let service = Service::new(
        config,
        Arc::new(SqliteStore::open(&d.0).unwrap()),
        clock.clone(),
        Arc::new(|_| {}),
    );
    let from = |ip: &str| {
        let mut who = service.config.identities["AK1"].clone();
        who.request.source_ip = Some(ip.parse().unwrap());
        who
    };
    let assume = |who: &Identity, session: &str| {
        let form: HashMap<String, String> = [
            ("Action", "AssumeRole"),
            ("RoleArn", &*format!("arn:aws:iam::{ACCT}:role/R")),
            ("RoleSessionName", session),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let xml = service.sts(who, &form)?;
        Ok::<Identity, ApiError>(
            service
                .session_identity(
                    between(&xml, "AccessKeyId"),
                    Some(between(&xml, "SessionToken")),
                )
                .unwrap(),
        )
    };
    let e = assume(&from("192.0.2.1"), "someone-else").unwrap_err();
    assert_eq!(e.code, "AccessDenied", "a session not named after the user");
    let e = assume(&from("10.1.2.3"), "op").unwrap_err();
    assert_eq!(e.code, "AccessDenied", "from 10.0.0.0/8");
    let session = assume(&from("192.0.2.1"), "op").unwrap();

    let user = from("192.0.2.1");
    service
        .handle(
            &user,
            &Route::CreateBackupVault("vv".into()),
            &HashMap::new(),
            &json!({}),
        )
        .unwrap();
    let guard = |condition: Value| {
        let p = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
            "Action": "backup:DescribeBackupVault", "Resource": "*", "Condition": condition}]});
        service
            .handle(
                &user,
                &Route::PutBackupVaultAccessPolicy("vv".into()),
                &HashMap::new(),
                &json!({"Policy": p.to_string()}),
            )
            .unwrap();
    };
    let describe = |who: &Identity| {
        service
            .handle(
                who,
                &Route::DescribeBackupVault("vv".into()),
                &HashMap::new(),
                &json!({}),
            )
            .is_ok()
    };
    // Sessions issued before a cut-off are refused (revoking older sessions); the user's
    // long-term keys carry no issue time.
    clock.0.fetch_add(60, Ordering::SeqCst);
    let cut = vaultward_server::arns::iso8601((T0 + 30) as f64);
    guard(json!({"DateLessThan": {"aws:TokenIssueTime": cut}}));
    assert!(!describe(&session), "a session issued before the cut-off");
    assert!(describe(&user), "long-term keys have no aws:TokenIssueTime");
    guard(json!({"Bool": {"aws:MultiFactorAuthPresent": "false"}}));
    assert!(!describe(&session), "a session without MFA");
    assert!(
        describe(&user),
        "long-term keys have no aws:MultiFactorAuthPresent"
    );
    // The client's User-Agent header, when it sends one.
    guard(json!({"StringLike": {"aws:UserAgent": "curl/*"}}));
    let mut curl = user.clone();
    curl.request.user_agent = Some("curl/8.5.0".into());
    assert!(!describe(&curl), "a Deny on the user agent");
    assert!(
        describe(&user),
        "no User-Agent header, an empty aws:UserAgent"
    );
    guard(json!({"Bool": {"aws:ViaAWSService": "false"}}));
    assert!(!describe(&user) && !describe(&session), "direct calls");
}

/// A copy into a vault whose policy reads `aws:RequestTag`/`aws:TagKeys` for
/// `CopyIntoBackupVault` is refused: AWS lists the key for the action (Service
/// Authorization Reference, "Actions, resources, and condition keys for AWS Backup",
/// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html)
/// without saying which tags a copy carries, and deciding on an absent key would let a
/// Deny on it pass. A statement for other actions reading the key does not matter.
#[test]
fn copies_under_policies_on_unknowable_request_tags_are_refused() {
    let f = fixture();
    f.call("AK1", Route::CreateBackupVault("vv".into()), json!({}))
        .unwrap();
    let rp = f.partner_recovery_point();
    let allow = json!({"Sid": "PartnerCopies", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "backup:CopyIntoBackupVault", "Resource": "*"});
    let copy = |extra: Value| {
        let policy = json!({"Version": "2012-10-17", "Statement": [allow, extra]});
        f.call(
            "AK1",
            Route::PutBackupVaultAccessPolicy("vv".into()),
            json!({"Policy": policy.to_string()}),
        )
        .unwrap();
        f.partner_copy_into_vv(&rp)
    };
    let e = copy(json!({"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*", "Action": "backup:CopyIntoBackupVault", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestTag/classification": "secret"}}}))
    .unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert!(f
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("statement NoSecrets") && l.contains("refused rather than guessed")));
    copy(json!({"Sid": "TagsOnlyByOps", "Effect": "Deny", "Principal": "*", "Action": "backup:TagResource", "Resource": "*",
        "Condition": {"Null": {"aws:RequestTag/owner": "true"}}}))
    .unwrap_or_else(|e| panic!("a statement for tagging does not block copies: {e:?}"));
}
