//! `vaultward exposure`: the formats (human, JSON, SARIF, HTML) and the exit codes (0 no
//! principal can, 1 one can, 3 unknown, 2 bad input).
//!
//! Source: AWS Backup, "Vault access policies" (EBS snapshots are reachable through EC2's
//! API, which the vault policy does not govern):
//! https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use serde_json::{json, Value};

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/demo-account.json"
);
const SHARER: &str = "arn:aws:iam::111122223333:role/Sharer";

fn vaultward(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(args)
        .output()
        .unwrap()
}

/// The demo account with its recovery points collected (`points`), its vault unlocked,
/// and a role that may share snapshots.
fn demo(points: Value) -> Value {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(DEMO).unwrap()).unwrap();
    v["backup_vaults"][0]["lock"] = json!({"locked": false});
    v["recovery_points"] = points;
    v["iam"]["RoleDetailList"].as_array_mut().unwrap().push(json!({
        "RoleName": "Sharer", "Arn": SHARER, "Path": "/",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": [{"PolicyName": "share", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": "Share", "Effect": "Allow", "Action": "ec2:ModifySnapshotAttribute", "Resource": "*"}]}}],
        "AttachedManagedPolicies": [], "InstanceProfileList": []}));
    v
}

fn write(name: &str, v: &Value) -> String {
    let dir = std::env::temp_dir().join(format!("vaultward-exposure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).unwrap();
    p.to_string_lossy().to_string()
}

#[test]
fn exposure_formats_and_exit_codes() {
    // The demo account as shipped: its recovery points were not collected (exit 3).
    let out = vaultward(&["exposure", DEMO, "--no-fix"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("recovery_points"));

    // Collected, and none: nothing to destroy or read (exit 0).
    let empty = write("empty.json", &demo(json!([])));
    let out = vaultward(&["exposure", &empty, "--no-fix"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // An unencrypted EBS point: the role shares it through EC2 (exit 1).
    let exposed = write(
        "exposed.json",
        &demo(
            json!([{"arn": "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0",
            "vault_arn": "arn:aws:backup:us-east-1:111122223333:backup-vault:Default",
            "resource_type": "EBS", "is_encrypted": false, "status": "COMPLETED"}]),
        ),
    );
    let out = vaultward(&["exposure", &exposed]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("who can read or take them")
            && text.contains(SHARER)
            && text.contains("[ec2-share-snapshot]"),
        "{text}"
    );
    assert!(text.contains("fix (verified"), "{text}");

    let out = vaultward(&["exposure", &exposed, "--format", "json", "--no-fix"]);
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["verdict"], "exposed");
    let t = &r["vaults"][0]["types"][0];
    assert_eq!(t["resource_type"], "EBS");
    assert_eq!(t["fully_managed"], false);
    let read = t["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "read")
        .unwrap();
    assert_eq!(read["status"], "exposed");
    let sharer = read["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["principal"] == SHARER)
        .unwrap();
    assert_eq!(sharer["kind"], "role");
    assert_eq!(
        sharer["routes"][0]["steps"][0]["action"],
        "ec2:ModifySnapshotAttribute"
    );
    assert!(sharer["routes"][0]["steps"][0]["allowed_by"][0]
        .as_str()
        .unwrap()
        .contains("share/Share"));

    let out = vaultward(&["exposure", &exposed, "--format", "SARIF", "--no-fix"]);
    assert_eq!(out.status.code(), Some(1));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(s["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["ruleId"] == "exposure-read"
            && x["message"]["text"].as_str().unwrap().contains(SHARER)));

    let html_out = write("report.html", &json!(null));
    let out = vaultward(&[
        "exposure", &exposed, "--format", "html", "--no-fix", "--out", &html_out,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let page = std::fs::read_to_string(&html_out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains(SHARER));

    // Bad input: a vault the snapshot does not hold, a file that is not a snapshot.
    let out = vaultward(&["exposure", &exposed, "--vault", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`nope`"));
    let bad = write("bad.json", &json!({"account_id": 7}));
    let out = vaultward(&["exposure", &bad]);
    assert_eq!(out.status.code(), Some(2));

    // The example the README walks through: a compliance lock after its grace time, and
    // still a key administrator who destroys, an operator who shares.
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/exposure-account.json"
    );
    let out = vaultward(&["exposure", example, "--format", "json", "--no-fix"]);
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let answers = r["vaults"][0]["types"][0]["answers"].as_array().unwrap();
    let names = |q: &str| -> Vec<String> {
        let a = answers.iter().find(|a| a["question"] == q).unwrap();
        a["principals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["principal"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names("destroy"),
        [
            "arn:aws:iam::111122223333:role/KeyAdmin",
            "arn:aws:iam::111122223333:root"
        ]
    );
    assert_eq!(
        names("read"),
        [
            "arn:aws:iam::111122223333:role/Operator",
            "arn:aws:iam::111122223333:root"
        ]
    );
}

/// `serve`'s data directory with its configuration: the vaults and recovery points of its
/// store (read read-only), the principals of its configuration, only its AWS Backup API
/// behind the points; a directory without `--serve-config`, or without a store, is bad
/// input.
#[test]
fn exposure_answers_serves_data_directory() {
    use vaultward_server::store::{Kind, SqliteStore, Store};
    let dir = std::env::temp_dir().join(format!("vaultward-exposure-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let vault = "arn:aws:backup:us-east-1:111122223333:backup-vault:prod";
    let point = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0";
    {
        let store = SqliteStore::open(&dir).unwrap();
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "OnlyAdmin", "Effect": "Deny", "Principal": "*",
            "Action": "backup:DeleteRecoveryPoint", "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/BackupAdmin"}}}]});
        store
            .insert(
                Kind::Vault,
                vault,
                Some("111122223333"),
                &json!({"BackupVaultName": "prod", "BackupVaultArn": vault,
            "AccountId": "111122223333", "CreationDate": 1.0, "Policy": policy.to_string(),
            "EncryptionKeyArn": "arn:aws:kms:us-east-1:111122223333:key/aws-backup-default"}),
            )
            .unwrap();
        store.insert(Kind::RecoveryPoint, point, Some(vault), &json!({"RecoveryPointArn": point, "BackupVaultName": "prod",
            "BackupVaultArn": vault, "ResourceArn": "arn:aws:ec2:us-east-1:111122223333:volume/vol-0a", "ResourceType": "EBS",
            "Status": "COMPLETED", "EncryptionKeyArn": "arn:aws:kms:us-east-1:111122223333:key/aws-backup-default", "IsEncrypted": true})).unwrap();
    }
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/identities.json"
    );
    let d = dir.to_string_lossy().to_string();
    let out = vaultward(&[
        "exposure",
        &d,
        "--serve-config",
        config,
        "--format",
        "json",
        "--no-fix",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &reports[0];
    let t = &r["vaults"][0]["types"][0];
    assert_eq!(t["fully_managed"], true, "{t}");
    let destroy = t["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "destroy")
        .unwrap();
    let who: Vec<&str> = destroy["principals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["principal"].as_str().unwrap())
        .collect();
    // Exactly: the configuration gives the account no root keys, so the root is no
    // principal; the auditor may only read the configuration.
    assert_eq!(
        who,
        [
            "arn:aws:iam::111122223333:role/BackupAdmin",
            "arn:aws:iam::111122223333:user/operator"
        ],
        "{destroy}"
    );
    // The operator may call backup:* but the vault denies it the delete; it may still
    // rewrite the policy, then delete.
    let operator = destroy["principals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["principal"] == "arn:aws:iam::111122223333:user/operator")
        .unwrap();
    let codes: Vec<&str> = operator["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.contains(&"backup-delete") && codes.contains(&"backup-rewrite-policy-delete"),
        "{codes:?}"
    );
    assert!(!who.contains(&"arn:aws:iam::111122223333:user/auditor"));
    // No EC2 behind the vault service: no sharing route.
    let read = t["answers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["question"] == "read")
        .unwrap();
    assert!(read.to_string().find("ec2-share").is_none(), "{read}");
    // The operator restores by passing BackupAdmin, which trusts it and not AWS Backup:
    // `serve` checks only iam:PassRole. BackupAdmin may restore but pass no role.
    let readers: Vec<&str> = read["principals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["principal"].as_str().unwrap())
        .collect();
    assert_eq!(
        readers,
        ["arn:aws:iam::111122223333:user/operator"],
        "{read}"
    );
    assert_eq!(read["unknown"], json!([]), "{read}");
    let restore = &read["principals"][0]["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "backup-restore")
        .unwrap()["steps"];
    assert_eq!(restore[1]["action"], "iam:PassRole", "{restore}");
    assert_eq!(
        restore[1]["resource"],
        "arn:aws:iam::111122223333:role/BackupAdmin"
    );

    let out = vaultward(&["exposure", &d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--serve-config"));
    let empty =
        std::env::temp_dir().join(format!("vaultward-exposure-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = vaultward(&[
        "exposure",
        &empty.to_string_lossy(),
        "--serve-config",
        config,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("vaultward.sqlite3"));
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&empty).unwrap();
}
