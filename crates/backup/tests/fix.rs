//! Verified fixes on the demo account: each clears its finding and opens nothing for
//! anyone else. The recommended form of exemption is an `ArnNotLike` condition on
//! `aws:PrincipalArn`, not `NotPrincipal`
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use vaultward_backup::fix::fixes;
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

#[test]
fn every_demo_finding_gets_a_verified_fix() {
    let s = demo();
    let list = fixes(&s, &opts()).unwrap();
    let codes: Vec<&str> = list.iter().map(|f| f.code).collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    for f in &list {
        assert!(
            f.verification.verified(),
            "{} on {} is not verified: {:?}",
            f.code,
            f.resource,
            f.verification
        );
        assert!(
            f.diff.starts_with(&format!("--- a/{}", f.file)),
            "{}",
            f.diff
        );
    }
    let bucket = list
        .iter()
        .find(|f| f.code == "explicit-deny-bucket-policy")
        .unwrap();
    let after: Value = serde_json::from_str(&bucket.after).unwrap();
    assert_eq!(
        after["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"][0],
        ROLE
    );
    assert!(
        bucket.verification.actions_checked > 100,
        "all s3 actions are swept"
    );
    let key = list
        .iter()
        .find(|f| f.code == "kms-key-policy-denies")
        .unwrap();
    assert_eq!(key.target, "key-policy");
    assert!(list.iter().any(|f| f.code == "object-owner-mismatch"
        && f.caveat.as_deref().unwrap().contains("disables ACLs")));
}

#[test]
fn applying_every_fix_leaves_nothing_blocking() {
    let s = demo();
    let mut v: Value = serde_json::to_value(&s).unwrap();
    for f in fixes(&s, &opts()).unwrap() {
        let after: Value = serde_json::from_str(&f.after).unwrap();
        let name = f.resource.trim_start_matches("arn:aws:s3:::");
        match f.target {
            "bucket-policy" => {
                let b = v["buckets"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|b| b["name"] == name)
                    .unwrap();
                b["policy"] = after;
            }
            "key-policy" => {
                let k = v["kms_keys"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|k| k["arn"] == f.patched.as_str())
                    .unwrap();
                k["policy"] = after;
            }
            "ownership-controls" => {
                let b = v["buckets"]
                    .as_array_mut()
                    .unwrap()
                    .iter_mut()
                    .find(|b| b["name"] == name)
                    .unwrap();
                b["ownership"] = after["OwnershipControls"]["Rules"][0]["ObjectOwnership"].clone();
                for o in b["objects"].as_array_mut().unwrap() {
                    o["owner_account"] = Value::String("111122223333".into());
                }
            }
            other => panic!("unexpected target {other}"),
        }
    }
    let fixed = Snapshot::from_json("fixed", &v.to_string()).unwrap();
    let r = check(&fixed, &opts()).unwrap();
    assert!(!r.blocks(), "{:#?}", r.findings);
}

#[test]
fn a_missing_identity_permission_gets_the_models_statement() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["buckets"]
        .as_array_mut()
        .unwrap()
        .retain(|b| b["name"] == "clean-bucket");
    v["iam"]["RoleDetailList"][0]["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["PolicyName"] != "VaultwardS3BackupPolicy");
    let s = Snapshot::from_json("t", &v.to_string()).unwrap();
    let list = fixes(&s, &opts()).unwrap();
    let f = list
        .iter()
        .find(|f| f.code == "missing-identity-permission")
        .unwrap();
    assert!(f.verification.verified(), "{:?}", f.verification);
    let after: Value = serde_json::from_str(&f.after).unwrap();
    assert_eq!(after["Statement"][0]["Sid"], "ReadBucketsForBackup");
    assert_eq!(f.target, "inline-policy");
}
