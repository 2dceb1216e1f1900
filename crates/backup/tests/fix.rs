//! Verified fixes on the demo account: each clears its finding and opens nothing for
//! anyone else. The recommended form of exemption is an `ArnNotLike` condition on
//! `aws:PrincipalArn`, not `NotPrincipal`
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use serde_json::{json, Value};
use vaultward_backup::check::{Code, DocRef, RoleError, Status};
use vaultward_backup::fix::{fixes, FixStatus, Manual, Patch};
use vaultward_backup::{check, AssetType, CheckOptions, Op, Snapshot};

const ROLE: &str = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";

fn demo() -> Snapshot {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    Snapshot::from_json("demo", &text).unwrap()
}

fn opts() -> CheckOptions {
    CheckOptions::new(
        ROLE,
        [AssetType::S3, AssetType::DynamoDb, AssetType::Ec2]
            .into_iter()
            .collect(),
        [Op::Backup, Op::Restore].into_iter().collect(),
    )
}

fn entry<'a>(v: &'a mut Value, list: &str, key: &str, value: &str) -> &'a mut Value {
    v[list]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|x| x[key] == value)
        .unwrap()
}

fn demo_json() -> Value {
    serde_json::to_value(demo()).unwrap()
}

fn snap(v: &Value) -> Snapshot {
    Snapshot::from_json("t", &v.to_string()).unwrap()
}

fn only_bucket(v: &mut Value, bucket: &str) {
    v["buckets"]
        .as_array_mut()
        .unwrap()
        .retain(|b| b["name"] == bucket);
    for list in [
        "backup_vaults",
        "ebs_volumes",
        "dynamodb_tables",
        "ec2_instances",
    ] {
        v[list] = json!([]);
    }
}

#[test]
fn every_demo_finding_gets_a_verified_patch_one_per_document() {
    let s = demo();
    let r = fixes(&s, &opts()).unwrap();
    assert_eq!(r.status, FixStatus::Fixed);
    assert_eq!(r.exit_code(), 0);
    assert_eq!(r.manuals().count(), 0);
    let patches: Vec<&Patch> = r.patches().collect();
    let targets: Vec<&str> = patches.iter().map(|p| p.target).collect();
    assert_eq!(
        targets,
        ["bucket-policy", "key-policy", "ownership-controls"],
        "one patch per document"
    );
    for p in &patches {
        assert!(p.verification.verified(), "{p:?}");
        assert!(
            p.diff.starts_with(&format!("--- a/{}", p.file)),
            "{}",
            p.diff
        );
        assert!(
            p.apply.contains(&format!("file://{}", p.file)),
            "{}",
            p.apply
        );
    }
    let bucket = patches[0];
    assert!(
        bucket.findings.len() > 1,
        "every finding of the bucket policy"
    );
    assert_eq!(
        bucket.apply,
        format!(
            "aws s3api put-bucket-policy --bucket hd-test --policy file://{}",
            bucket.file
        )
    );
    let after: Value = serde_json::from_str(&bucket.after).unwrap();
    assert_eq!(
        after["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"][0],
        ROLE
    );
    assert!(
        bucket.verification.actions_checked > 100,
        "all s3 actions are swept"
    );
    let key = patches[1];
    assert!(key
        .apply
        .starts_with("aws kms put-key-policy --key-id arn:aws:kms:"));
    let after: Value = serde_json::from_str(&key.after).unwrap();
    let added = after["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "AllowVaultwardBackupRole")
        .unwrap();
    // Only what failed, only through the service that failed, only for the role.
    assert_eq!(added["Principal"]["AWS"], ROLE);
    assert_eq!(
        added["Condition"]["StringEquals"]["kms:ViaService"],
        json!(["s3.us-east-1.amazonaws.com"])
    );
    assert!(added["Action"].as_array().unwrap().iter().all(|a| [
        "kms:Decrypt",
        "kms:GenerateDataKey"
    ]
    .contains(&a.as_str().unwrap())));
    assert!(patches[2]
        .caveats
        .iter()
        .any(|c| c.contains("disables ACLs")));
    assert_eq!(
        serde_json::from_str::<Value>(&patches[2].after).unwrap(),
        json!({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}),
        "the file is what `--ownership-controls file://` takes"
    );
}

/// The files are what a user applies: putting each one where its apply command puts it
/// (independently of how `fix` builds its patched snapshot) leaves nothing blocking.
#[test]
fn applying_the_written_files_leaves_nothing_to_fix() {
    let s = demo();
    let mut v = demo_json();
    for p in fixes(&s, &opts()).unwrap().patches() {
        let after: Value = serde_json::from_str(&p.after).unwrap();
        match &p.document {
            DocRef::BucketPolicy { bucket } => {
                entry(&mut v, "buckets", "name", bucket)["policy"] = after;
            }
            DocRef::KeyPolicy { key } => {
                entry(&mut v, "kms_keys", "arn", key)["policy"] = after;
            }
            DocRef::OwnershipControls { bucket } => {
                let b = entry(&mut v, "buckets", "name", bucket);
                b["ownership"] = after["Rules"][0]["ObjectOwnership"].clone();
                for o in b["objects"].as_array_mut().unwrap() {
                    o["owner_account"] = json!("111122223333");
                }
            }
            other => panic!("unexpected document {other:?}"),
        }
    }
    let r = check(&snap(&v), &opts()).unwrap();
    assert_eq!(r.status, Status::Ok, "{:#?}", r.findings);
    // And `fix` on the fixed account has nothing to do.
    let again = fixes(&snap(&v), &opts()).unwrap();
    assert!(again.entries.is_empty() && again.exit_code() == 0);
}

#[test]
fn a_missing_identity_permission_gets_the_models_statement() {
    let mut v = demo_json();
    only_bucket(&mut v, "clean-bucket");
    v["iam"]["RoleDetailList"][0]["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["PolicyName"] != "VaultwardS3BackupPolicy");
    let r = fixes(&snap(&v), &opts()).unwrap();
    let patches: Vec<&Patch> = r.patches().collect();
    assert_eq!(patches.len(), 1, "one inline policy: {:#?}", r.entries);
    let p = patches[0];
    assert!(p.verification.verified(), "{:?}", p.verification);
    assert_eq!(p.target, "inline-policy");
    assert_eq!(p.apply, format!("aws iam put-role-policy --role-name VaultwardBackupRole --policy-name VaultwardMissingPermissions --policy-document file://{}", p.file));
    let after: Value = serde_json::from_str(&p.after).unwrap();
    assert_eq!(after["Statement"][0]["Sid"], "ReadBucketsForBackup");
    assert_eq!(r.status, FixStatus::Fixed);
}

/// Same role rule as `check`: a role named without its path is not in the export, and
/// `fix` writes nothing for it (bad input), rather than an exception for an ARN that does
/// not exist.
#[test]
fn a_role_without_its_path_is_bad_input() {
    let e = fixes(
        &demo(),
        &CheckOptions::new(
            "arn:aws:iam::111122223333:role/VaultwardBackupRole",
            opts().assets,
            opts().operations,
        ),
    );
    assert!(matches!(e, Err(RoleError::NotInExport { .. })), "{e:?}");
}

/// KMS rejects a key policy naming a principal that does not exist, so without an IAM
/// export there is no key-policy patch: every pair is unknown and `fix` says what to do.
#[test]
fn without_the_iam_export_nothing_is_patched_and_fix_fails() {
    let mut v = demo_json();
    only_bucket(&mut v, "finance-encrypted");
    v.as_object_mut().unwrap().remove("iam");
    let r = fixes(&snap(&v), &opts()).unwrap();
    assert_eq!(r.patches().count(), 0, "{:#?}", r.entries);
    assert!(r.manuals().count() > 0);
    assert_eq!((r.status, r.exit_code()), (FixStatus::Incomplete, 1));
    assert_ne!(r.after, Status::Ok);
}

/// One document, one patch: a key used by three buckets gets one patched key policy.
#[test]
fn a_key_used_by_three_buckets_gets_one_patch() {
    let mut v = demo_json();
    let template = v["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "finance-encrypted")
        .unwrap()
        .clone();
    let mut buckets = Vec::new();
    for name in ["fin-a", "fin-b", "fin-c"] {
        let mut b = template.clone();
        b["name"] = json!(name);
        buckets.push(b);
    }
    v["buckets"] = Value::Array(buckets);
    for list in [
        "backup_vaults",
        "ebs_volumes",
        "dynamodb_tables",
        "ec2_instances",
    ] {
        v[list] = json!([]);
    }
    let r = fixes(&snap(&v), &opts()).unwrap();
    let patches: Vec<&Patch> = r.patches().collect();
    assert_eq!(patches.len(), 1, "{:#?}", r.entries);
    let resources: BTreeSet<&str> = patches[0]
        .findings
        .iter()
        .map(|f| f.resource.as_str())
        .collect();
    assert_eq!(resources.len(), 3);
    assert_eq!(r.status, FixStatus::Fixed);
}

/// The patch goes to the statement the engine named, by position: two unnamed Denies, only
/// the second of which applies to the role, get an exception in the second only.
#[test]
fn the_exception_goes_into_the_deciding_statement_only() {
    let mut v = demo_json();
    only_bucket(&mut v, "clean-bucket");
    v["buckets"][0]["policy"] = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::clean-bucket"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::clean-bucket/*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}
    ]});
    let r = fixes(&snap(&v), &opts()).unwrap();
    let p = r.patches().next().unwrap();
    let after: Value = serde_json::from_str(&p.after).unwrap();
    assert!(after["Statement"][0].get("Condition").is_none(), "{after}");
    assert_eq!(
        after["Statement"][1]["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
        json!([ROLE])
    );
    assert!(p.verification.verified());
    assert_eq!(r.status, FixStatus::Fixed);
}

/// Findings that no policy change can fix get a manual entry with the reason, and `fix`
/// fails: an AWS managed key cannot be edited ("AWS managed keys", AWS KMS Developer Guide,
/// https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key).
#[test]
fn an_aws_managed_key_is_a_manual_step_and_fix_fails() {
    let mut v = demo_json();
    only_bucket(&mut v, "finance-encrypted");
    v["kms_keys"][0]["manager"] = json!("AWS");
    let r = fixes(&snap(&v), &opts()).unwrap();
    assert_eq!(r.patches().count(), 0);
    let m: Vec<&Manual> = r.manuals().collect();
    assert_eq!(m.len(), 1, "{m:#?}");
    assert!(m[0].findings.iter().all(|f| f.code == Code::AwsManagedKey));
    assert!(m[0].why.contains("AWS managed key"), "{}", m[0].why);
    assert!(m[0]
        .steps
        .iter()
        .any(|s| s.contains("customer managed key")));
    assert_eq!((r.status, r.exit_code()), (FixStatus::Incomplete, 1));
    assert!(!r.remaining.is_empty());
}
