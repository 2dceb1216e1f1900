//! Scenarios built to make the check say "ok" where a backup or restore fails. None of
//! them may be green; each pins the exact findings, impacts and exit code.
//!
//! Sources: policy evaluation https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html;
//! NotResource https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html;
//! the IAM API returns policy documents URL-encoded (RFC 3986)
//! https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html;
//! `aws:PrincipalArn` carries the role's path https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn;
//! SSE-KMS uploads need `kms:GenerateDataKey`, and multipart uploads `kms:Decrypt`
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms;
//! Object Ownership https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::{json, Value};
use vaultward_backup::check::{Level, Report, RoleError, Status};
use vaultward_backup::{check, AssetType, CheckOptions, Op, Snapshot};

const ROLE: &str = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
const ACCT: &str = "111122223333";
const PARTNER: &str = "444455556666";
const LOCKED_KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

fn demo() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The demo account with one bucket, `b`, holding `objects` (key, size).
fn with_bucket(objects: &[(&str, u64)], policy: Value) -> Value {
    let mut v = demo();
    let objects: Vec<Value> = objects
        .iter()
        .map(|(k, n)| json!({"key": k, "size": n, "owner_account": ACCT}))
        .collect();
    v["buckets"] = json!([{
        "name": "b", "region": "us-east-1", "policy": policy,
        "ownership": "BucketOwnerEnforced", "default_encryption": {"sse": "AES256"},
        "objects": objects,
    }]);
    v
}

fn run_as(v: &Value, role: &str, ops: &[Op]) -> Result<Report, RoleError> {
    let s = Snapshot::from_json("scenario", &v.to_string()).unwrap();
    check(
        &s,
        &CheckOptions::new(
            role,
            [AssetType::S3].into_iter().collect(),
            ops.iter().copied().collect(),
        ),
    )
}

fn run(v: &Value, ops: &[Op]) -> Report {
    run_as(v, ROLE, ops).unwrap()
}

/// Each finding as (code, level, action, objects, bytes), sorted.
fn summary(r: &Report) -> Vec<(&'static str, Level, String, u64, u64)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.code.as_str(),
                f.level,
                f.action.clone(),
                f.impact.objects,
                f.impact.bytes,
            )
        })
        .collect();
    v.sort();
    v
}

fn blocking(
    code: &'static str,
    actions: &[&str],
    objects: u64,
    bytes: u64,
) -> Vec<(&'static str, Level, String, u64, u64)> {
    actions
        .iter()
        .map(|a| (code, Level::Blocking, a.to_string(), objects, bytes))
        .collect()
}

const OBJECTS: &[(&str, u64)] = &[
    ("a.txt", 10),
    ("confidential/x", 20),
    ("confidential/y", 30),
];

fn deny_get(resource_key: &str, pattern: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", resource_key: format!("arn:aws:s3:::b/{pattern}")}]})
}

#[test]
fn a_prefix_deny_counts_its_objects_in_either_listing_order() {
    for order in [OBJECTS.to_vec(), OBJECTS.iter().rev().copied().collect()] {
        let r = run(
            &with_bucket(&order, deny_get("Resource", "confidential/*")),
            &[Op::Backup],
        );
        assert_eq!(r.status, Status::Blocked);
        assert_eq!(r.status.exit_code(), 1);
        assert_eq!(
            summary(&r),
            blocking("explicit-deny-bucket-policy", &["s3:GetObject"], 2, 50),
            "{order:?}"
        );
        assert_eq!(r.findings[0].statement.as_deref(), Some("NoSecrets"));
        assert_eq!(
            (r.totals[0].objects_blocked, r.totals[0].bytes_blocked),
            (2, 50)
        );
    }
}

#[test]
fn a_notresource_deny_blocks_everything_outside_it() {
    let r = run(
        &with_bucket(OBJECTS, deny_get("NotResource", "confidential/*")),
        &[Op::Backup],
    );
    assert_eq!(r.status.exit_code(), 1);
    assert_eq!(
        summary(&r),
        blocking("explicit-deny-bucket-policy", &["s3:GetObject"], 1, 10)
    );
}

/// Every document of the IAM export URL-encoded, as the IAM API and the SDKs return them:
/// read the same as decoded, so the clean bucket is ok (and was really evaluated).
#[test]
fn a_url_encoded_export_is_read() {
    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    let mut v = with_bucket(OBJECTS, Value::Null);
    for p in v["iam"]["Policies"].as_array_mut().unwrap() {
        for ver in p["PolicyVersionList"].as_array_mut().unwrap() {
            let doc = ver["Document"].to_string();
            ver["Document"] = json!(encode(&doc));
        }
    }
    let role = &mut v["iam"]["RoleDetailList"][0];
    for p in role["RolePolicyList"].as_array_mut().unwrap() {
        if let Some(doc) = p["PolicyDocument"].as_object() {
            p["PolicyDocument"] = json!(encode(&Value::Object(doc.clone()).to_string()));
        }
    }
    let r = run(&v, &[Op::Backup, Op::Restore]);
    assert_eq!(r.status, Status::Ok, "{:#?}", r.findings);
    assert!(r.requests > 10 && r.matrix.iter().all(|c| c.status.name() == "ok"));
    assert_eq!(
        r.matrix
            .iter()
            .filter(|c| c.resource == "arn:aws:s3:::b")
            .count(),
        2
    );

    // One byte cut from one managed policy: unknown, with the parser's error.
    let doc = v["iam"]["Policies"][0]["PolicyVersionList"][0]["Document"]
        .as_str()
        .unwrap()
        .to_string();
    v["iam"]["Policies"][0]["PolicyVersionList"][0]["Document"] = json!(doc[..doc.len() - 3]);
    let r = run(&v, &[Op::Backup]);
    assert_eq!(r.status.exit_code(), 3);
    assert!(r.findings.iter().all(|f| f.level == Level::Unknown));
    assert!(r.findings.iter().any(|f| !f.parse_errors.is_empty()));
}

#[test]
fn a_truncated_deny_all_bucket_policy_is_unknown_with_its_parse_error() {
    let cut = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*";
    let r = run(&with_bucket(OBJECTS, json!(cut)), &[Op::Backup]);
    assert_eq!((r.status, r.status.exit_code()), (Status::Unknown, 3));
    assert!(!r.findings.is_empty());
    for f in &r.findings {
        assert_eq!(
            (f.code.as_str(), f.level),
            ("unreadable-policy", Level::Unknown)
        );
        let e = &f.parse_errors[0];
        assert_eq!(e.line, Some(1), "{e:?}");
        assert!(e.column.is_some(), "{e:?}");
    }
    // The objects at stake are counted as unknown, not as ok.
    assert_eq!(
        (r.totals[0].objects_unknown, r.totals[0].bytes_unknown),
        (3, 60)
    );

    // A duplicated key is as unreadable.
    let dup = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}";
    let r = run(&with_bucket(OBJECTS, json!(dup)), &[Op::Backup]);
    assert_eq!(r.status.exit_code(), 3, "{:#?}", r.findings);
}

#[test]
fn the_role_is_named_by_its_exact_arn() {
    let v = with_bucket(OBJECTS, Value::Null);
    match run_as(
        &v,
        "arn:aws:iam::111122223333:role/VaultwardBackupRole",
        &[Op::Backup],
    ) {
        Err(RoleError::NotInExport { same_name, .. }) => {
            assert_eq!(same_name, vec![ROLE.to_string()])
        }
        other => panic!("{other:?}"),
    }
    match run_as(
        &v,
        "arn:aws:iam::444455556666:role/vaultward/VaultwardBackupRole",
        &[Op::Backup],
    ) {
        Err(RoleError::NotInExport { same_name, .. }) => {
            assert_eq!(same_name, vec![ROLE.to_string()])
        }
        other => panic!("{other:?}"),
    }
    match run_as(&v, "arn:aws:iam::111122223333:role/Nobody", &[Op::Backup]) {
        Err(e @ RoleError::NotInExport { .. }) => assert!(e.to_string().contains("full ARN")),
        other => panic!("{other:?}"),
    }
}

/// The key policy lets the role decrypt but not generate data keys: backup works, restore
/// of every object under the key fails, and the large object's multipart upload needs
/// `kms:Decrypt` too (allowed here).
#[test]
fn restore_into_sse_kms_without_generate_data_key_is_blocked() {
    let mut v = with_bucket(&[("small", 100), ("big", 20 * 1024 * 1024)], Value::Null);
    v["buckets"][0]["default_encryption"] = json!({"sse": "aws:kms", "kms_key_id": LOCKED_KEY});
    v["kms_keys"][0]["policy"] = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:role/FinanceAdmin")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "DecryptOnly", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}]});
    let r = run(&v, &[Op::Backup]);
    assert_eq!(r.status, Status::Ok, "{:#?}", r.findings);
    let r = run(&v, &[Op::Restore]);
    assert_eq!(r.status.exit_code(), 1);
    assert_eq!(
        summary(&r),
        blocking(
            "kms-key-policy-denies",
            &["kms:GenerateDataKey"],
            2,
            100 + 20 * 1024 * 1024
        )
    );

    // Without Decrypt as well, the large object's multipart upload fails on it too.
    v["kms_keys"][0]["policy"]["Statement"][1]["Action"] = json!("kms:DescribeKey");
    let r = run(&v, &[Op::Restore]);
    let mut want = blocking(
        "kms-key-policy-denies",
        &["kms:Decrypt"],
        1,
        20 * 1024 * 1024,
    );
    want.extend(blocking(
        "kms-key-policy-denies",
        &["kms:GenerateDataKey"],
        2,
        100 + 20 * 1024 * 1024,
    ));
    assert_eq!(summary(&r), want);
}

/// Objects another account wrote under ACLs and encrypted under a key the role may not
/// use: both causes, each with the objects it costs.
#[test]
fn foreign_objects_under_a_locked_key_get_both_causes() {
    let mut v = with_bucket(&[("mine", 5)], Value::Null);
    v["buckets"][0]["ownership"] = json!("ObjectWriter");
    for (k, n) in [("theirs/1", 7), ("theirs/2", 11)] {
        v["buckets"][0]["objects"]
            .as_array_mut()
            .unwrap()
            .push(json!({"key": k, "size": n, "owner_account": PARTNER, "kms_key_id": LOCKED_KEY}));
    }
    let r = run(&v, &[Op::Backup]);
    assert_eq!(r.status.exit_code(), 1);
    let mut want = blocking("kms-key-policy-denies", &["kms:Decrypt"], 2, 18);
    want.extend(blocking("object-owner-mismatch", &["s3:GetObject"], 2, 18));
    assert_eq!(summary(&r), want);
    // The objects at stake are counted once, not once per cause.
    assert_eq!(
        (r.totals[0].objects_blocked, r.totals[0].bytes_blocked),
        (2, 18)
    );
}

#[test]
fn organization_policies_not_collected_are_unknown_unless_assumed() {
    let mut v = with_bucket(OBJECTS, Value::Null);
    v["organization"] = json!({"id": "o-abc", "policies_not_collected": "AccessDenied"});
    let r = run(&v, &[Op::Backup]);
    assert_eq!((r.status, r.status.exit_code()), (Status::Unknown, 3));
    assert!(
        r.matrix.iter().all(|c| c.status.name() == "unknown"),
        "{:?}",
        r.matrix
    );
    assert_eq!(r.findings[0].code, "organization-policies-not-collected");
    assert_eq!(r.findings[0].level, Level::Unknown);

    let s = Snapshot::from_json("scenario", &v.to_string()).unwrap();
    let mut o = CheckOptions::new(
        ROLE,
        [AssetType::S3].into_iter().collect(),
        [Op::Backup].into_iter().collect(),
    );
    o.assume_org_policies_allow = true;
    let r = check(&s, &o).unwrap();
    assert_eq!(r.status, Status::Ok);
    assert_eq!(
        summary(&r),
        vec![(
            "organization-policies-not-collected",
            Level::Warning,
            "*".to_string(),
            0,
            0
        )]
    );
}

fn write(path: &Path, v: &Value) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// AWS CLI outputs without the bucket's object listing or its encryption: unknown, never
/// "0 objects".
#[test]
fn aws_cli_outputs_without_objects_or_encryption_are_unknown() {
    let dir = std::env::temp_dir().join(format!("vaultward-scenario-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let demo = demo();
    write(
        &dir.join("caller-identity.json"),
        &json!({"UserId": "AIDA", "Account": ACCT, "Arn": format!("arn:aws:iam::{ACCT}:user/admin")}),
    );
    write(&dir.join("iam.json"), &demo["iam"]);
    let d = dir.join("s3").join("b");
    write(
        &d.join("location.json"),
        &json!({"LocationConstraint": null}),
    );
    write(
        &d.join("ownership.json"),
        &json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}),
    );
    std::fs::write(d.join("policy.error"), "An error occurred (NoSuchBucketPolicy) when calling the GetBucketPolicy operation: The bucket policy does not exist").unwrap();
    write(
        &dir.join("backup/vaults.json"),
        &json!({"BackupVaultList": []}),
    );
    let s = vaultward_snapshot::awscli::from_aws_cli(&dir).unwrap();
    let o = CheckOptions::new(
        ROLE,
        [AssetType::S3].into_iter().collect(),
        [Op::Backup].into_iter().collect(),
    );
    let r = check(&s, &o).unwrap();
    assert_eq!(
        (r.status, r.status.exit_code()),
        (Status::Unknown, 3),
        "{:#?}",
        r.findings
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.level == Level::Unknown && f.reason.contains("objects")),
        "{:#?}",
        r.findings
    );

    // With the listing but without `encryption.json`: the objects' key is unknown.
    write(
        &d.join("objects.json"),
        &json!({"Versions": [{"Key": "a", "VersionId": "v1", "Size": 3, "IsLatest": true}]}),
    );
    let s = vaultward_snapshot::awscli::from_aws_cli(&dir).unwrap();
    let r = check(&s, &o).unwrap();
    assert_eq!(r.status, Status::Unknown, "{:#?}", r.findings);
    assert!(r.findings.iter().all(|f| f.level == Level::Unknown));
    assert_eq!(
        (r.totals[0].objects_unknown, r.totals[0].bytes_unknown),
        (1, 3)
    );

    // With both: ok.
    write(
        &d.join("encryption.json"),
        &json!({"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}),
    );
    let s = vaultward_snapshot::awscli::from_aws_cli(&dir).unwrap();
    let r = check(&s, &o).unwrap();
    assert_eq!(r.status, Status::Ok, "{:#?}", r.findings);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A sample of the listing (`collect --objects sample:N`): figures are "at least".
#[test]
fn a_truncated_listing_says_at_least() {
    let mut v = with_bucket(OBJECTS, deny_get("Resource", "confidential/*"));
    v["buckets"][0]["objects_truncated"] = json!(true);
    let r = run(&v, &[Op::Backup]);
    assert_eq!(r.status.exit_code(), 1);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "explicit-deny-bucket-policy")
        .unwrap();
    assert!(
        f.impact.at_least && f.impact.summary.contains("at least"),
        "{:?}",
        f.impact
    );
    assert!(r.totals[0].at_least);
    assert!(r
        .findings
        .iter()
        .any(|f| f.code == "listing-truncated" && f.level == Level::Unknown));
}

/// A resource list the snapshot does not have (absent from the file, not asked of the
/// collector, or refused to it) is not "no resources": its pairs are unknown.
#[test]
fn resource_lists_not_collected_are_unknown_not_empty() {
    let mut v = with_bucket(OBJECTS, Value::Null);
    v.as_object_mut().unwrap().remove("buckets");
    let r = run(&v, &[Op::Backup]);
    assert_eq!((r.status, r.status.exit_code()), (Status::Unknown, 3));
    let f = r
        .findings
        .iter()
        .find(|f| f.resource == format!("S3 buckets of account {ACCT}"))
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!(
        (f.code.as_str(), f.level),
        ("not-collected", Level::Unknown)
    );
    assert!(
        f.reason.contains("absent from the snapshot"),
        "{}",
        f.reason
    );

    // An empty list is "there are none": ok.
    v["buckets"] = json!([]);
    assert_eq!(run(&v, &[Op::Backup]).status, Status::Ok);

    // The collector was refused the vault list: the vaults are unknown.
    v["not_collected"] =
        json!({"backup_vaults": "ListBackupVaults (region us-east-1): AccessDenied"});
    let r = run(&v, &[Op::Backup]);
    assert_eq!(r.status, Status::Unknown);
    assert!(r.findings.iter().any(|f| f.reason.contains("AccessDenied")));
    // Restore reads no vault: unaffected.
    assert_eq!(run(&v, &[Op::Restore]).status, Status::Ok);
}
