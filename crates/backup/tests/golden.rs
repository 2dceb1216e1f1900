//! One broken state per file, pinned: the findings `check` reports and the fixes `fix`
//! writes for it. Each state is the demo account (`examples/demo-account.json`) with one
//! thing wrong. Run with `UPDATE_SNAPSHOTS=1` after an intended change and review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{json, Value};
use vaultward_backup::fix::fixes;
use vaultward_backup::{check, AssetType, CheckOptions, Op, Snapshot};

const ROLE: &str = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";

fn demo() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn keep(v: &mut Value, bucket: &str) {
    v["buckets"]
        .as_array_mut()
        .unwrap()
        .retain(|b| b["name"] == bucket);
    v["backup_vaults"] = json!([]);
    v["ebs_volumes"] = json!([]);
    v["dynamodb_tables"] = json!([]);
}

fn states() -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let mut v = demo();
    keep(&mut v, "hd-test");
    out.push(("vpc-deny-bucket-policy", v.clone()));
    let mut p: Value = serde_json::from_str(v["buckets"][0]["policy"].as_str().unwrap()).unwrap();
    let st = p["Statement"][0].as_object_mut().unwrap();
    st.remove("Principal");
    st.insert("NotPrincipal".into(), json!({"AWS": ["arn:aws:iam::111122223333:root", ROLE, "arn:aws:sts::111122223333:assumed-role/VaultwardBackupRole/daebaksrv-*"]}));
    v["buckets"][0]["policy"] = p;
    out.push(("notprincipal-wildcard", v));

    let mut v = demo();
    keep(&mut v, "finance-encrypted");
    out.push(("kms-key-policy-omits-role", v.clone()));
    v["kms_keys"][0]["manager"] = json!("AWS");
    v["kms_keys"][0]["policy"] = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}}]});
    out.push(("aws-managed-key", v));

    let mut v = demo();
    keep(&mut v, "partner-uploads");
    out.push(("object-owner-mismatch", v));

    let mut v = demo();
    keep(&mut v, "clean-bucket");
    out.push(("clean", v.clone()));
    let mut m = v.clone();
    m["iam"]["RoleDetailList"][0]["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["PolicyName"] != "VaultwardS3BackupPolicy");
    out.push(("missing-identity-permission", m));
    let mut m = v.clone();
    m["organization"]["scps"][0].as_array_mut().unwrap().push(json!({"name": "NoS3", "document": {"Version": "2012-10-17", "Statement": [{"Sid": "NoS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}}));
    out.push(("scp-denies", m));
    let mut m = v.clone();
    m["organization"]["rcps"] = json!([[{"name": "OrgOnly", "document": {"Version": "2012-10-17", "Statement": [{"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}}]}}]]);
    out.push(("rcp-denies", m));
    let mut m = v.clone();
    let boundary = "arn:aws:iam::111122223333:policy/Boundary";
    m["iam"]["RoleDetailList"][0]["PermissionsBoundary"] =
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary});
    m["iam"]["Policies"].as_array_mut().unwrap().push(json!({"PolicyName": "Boundary", "Arn": boundary, "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}, "IsDefaultVersion": true}]}));
    out.push(("boundary-denies", m));
    let mut m = v.clone();
    m["buckets"][0].as_object_mut().unwrap().remove("policy");
    out.push(("unknown-bucket-policy", m));

    let mut v = demo();
    v["buckets"] = json!([]);
    v["ebs_volumes"] = json!([]);
    v["dynamodb_tables"] = json!([]);
    v["backup_vaults"][0]["access_policy"] = json!({"Version": "2012-10-17", "Statement": [{"Sid": "LockDown", "Effect": "Deny", "Principal": "*", "Action": "backup:*", "Resource": "*"}]});
    out.push(("vault-policy-denies", v));
    out
}

fn pin(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no golden file {name}: run with UPDATE_SNAPSHOTS=1"));
    assert!(pinned == text, "{name} changed; run with UPDATE_SNAPSHOTS=1 if intended\n--- pinned\n{pinned}\n--- now\n{text}");
}

#[test]
fn each_broken_state_has_pinned_findings_and_fixes() {
    let opts = CheckOptions::new(
        ROLE,
        [AssetType::S3, AssetType::DynamoDb, AssetType::Ec2]
            .into_iter()
            .collect(),
        [Op::Backup, Op::Restore].into_iter().collect(),
    );
    for (name, v) in states() {
        let s = Snapshot::from_json(name, &v.to_string()).unwrap();
        let report = check(&s, &opts).unwrap();
        let findings: Vec<Value> = report.findings.iter().map(|f| json!({"code": f.code, "level": f.level, "resource": f.resource, "operation": f.operation, "action": f.action, "policy": f.policy, "statement": f.statement, "reason": f.reason, "impact": f.impact, "fix": f.fix})).collect();
        pin(
            &format!("{name}.check.json"),
            &format!(
                "{}\n",
                serde_json::to_string_pretty(
                    &json!({"status": report.status, "totals": report.totals, "findings": findings, "matrix": report.matrix})
                )
                .unwrap()
            ),
        );
        let mut text = String::new();
        for f in fixes(&s, &opts).unwrap() {
            text.push_str(&format!("# {} on {}: {}\n# verified: {} (finding cleared: {}, no new access: {}, {} principals x {} actions)\n{}\n", f.code, f.resource, f.description, f.verification.verified(), f.verification.finding_cleared, f.verification.no_new_access, f.verification.principals_checked, f.verification.actions_checked, f.diff));
            assert!(f.verification.verified(), "{name}: {f:?}");
        }
        pin(&format!("{name}.fixes.diff"), &text);
    }
}
