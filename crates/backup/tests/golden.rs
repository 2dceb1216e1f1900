//! One broken state per file, pinned: the findings `check` reports and the fixes `fix`
//! writes for it. Each state is the demo account (`examples/demo-account.json`) with one
//! thing wrong. Run with `UPDATE_SNAPSHOTS=1` after an intended change and review the diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use std::collections::BTreeSet;

use serde_json::{json, Value};
use vaultward_backup::check::Level;
use vaultward_backup::fix::{fixes, Entry, FixReport};
use vaultward_backup::{check, AssetType, CheckOptions, Op, Snapshot, Status};

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
    out.push(("aws-managed-key", v.clone()));
    v["kms_keys"][0]["manager"] = json!("CUSTOMER");
    v["kms_keys"][0]["policy"] = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "Backup", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"},
        {"Sid": "OnlyFromVpc", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}
    ]});
    out.push(("kms-key-policy-deny-statement", v));

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
    // A level of SCPs below the root whose only SCP allows nothing the backup needs.
    let mut m = v.clone();
    m["organization"]["scps"].as_array_mut().unwrap().push(json!([{"name": "Ec2Only", "id": "p-ec2only1", "document": {"Version": "2012-10-17", "Statement": [{"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}}]));
    out.push(("scp-level-allows-nothing", m));
    // A Deny in the role's own inline policy, and in a customer managed policy.
    let mut m = v.clone();
    m["iam"]["RoleDetailList"][0]["RolePolicyList"] = json!([{"PolicyName": "NoReads", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Sid": "NoGet", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]}}]);
    out.push(("identity-policy-denies", m));
    let mut m = v.clone();
    let guard = "arn:aws:iam::111122223333:policy/Guardrails";
    m["iam"]["RoleDetailList"][0]["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap()
        .push(json!({"PolicyName": "Guardrails", "PolicyArn": guard}));
    m["iam"]["Policies"].as_array_mut().unwrap().push(json!({"PolicyName": "Guardrails", "Arn": guard, "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}]}, "IsDefaultVersion": true}]}));
    out.push(("managed-policy-denies", m));
    // The same Deny in an AWS managed policy, which cannot be edited: manual.
    let mut m = v.clone();
    let deny_all = "arn:aws:iam::aws:policy/AWSDenyAll";
    m["iam"]["RoleDetailList"][0]["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap()
        .push(json!({"PolicyName": "AWSDenyAll", "PolicyArn": deny_all}));
    m["iam"]["Policies"].as_array_mut().unwrap().push(json!({"PolicyName": "AWSDenyAll", "Arn": deny_all, "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [{"Sid": "DenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}]}, "IsDefaultVersion": true}]}));
    out.push(("aws-managed-policy-denies", m));

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

fn fixes_text(r: &FixReport) -> String {
    let mut text = format!(
        "# status: {:?} (exit {}); the patched snapshot checks {}\n",
        r.status,
        r.exit_code(),
        r.after.name()
    );
    for e in &r.entries {
        match e {
            Entry::Patch(p) => {
                let v = &p.verification;
                let codes: BTreeSet<&str> = p.findings.iter().map(|f| f.code.as_str()).collect();
                text.push_str(&format!(
                    "# patch {} ({} findings: {}): {}\n# apply ({:?}): {}\n# verified: {} (finding cleared: {}, no new access: {}, {} principals x {} actions)\n",
                    p.target,
                    p.findings.len(),
                    codes.into_iter().collect::<Vec<_>>().join(", "),
                    p.description,
                    p.applied_by,
                    p.apply,
                    v.verified(),
                    v.finding_cleared,
                    v.no_new_access,
                    v.principals_checked,
                    v.actions_checked
                ));
                for c in &p.caveats {
                    text.push_str(&format!("# caveat: {c}\n"));
                }
                text.push_str(&format!("{}\n", p.diff));
            }
            Entry::Manual(m) => {
                let codes: BTreeSet<&str> = m.findings.iter().map(|f| f.code.as_str()).collect();
                text.push_str(&format!(
                    "# manual ({} findings: {}) on {}\n# why: {}\n",
                    m.findings.len(),
                    codes.into_iter().collect::<Vec<_>>().join(", "),
                    m.findings[0].resource,
                    m.why
                ));
                for st in &m.steps {
                    text.push_str(&format!("#   - {st}\n"));
                }
                text.push('\n');
            }
        }
    }
    text
}

fn all_options() -> CheckOptions {
    CheckOptions::new(
        ROLE,
        [AssetType::S3, AssetType::DynamoDb, AssetType::Ec2]
            .into_iter()
            .collect(),
        [Op::Backup, Op::Restore].into_iter().collect(),
    )
}

/// For every broken state: `fix` exits 0 exactly when `check` of the patched snapshot it
/// writes (read back from its JSON, as a user would) exits 0; every blocking or unknown
/// finding is in exactly one entry; every patch offered as verified is, and is applied.
#[test]
fn check_on_the_patched_snapshot_agrees_with_fixs_exit_code() {
    let opts = all_options();
    let mut seen_fixed = 0;
    let mut seen_incomplete = 0;
    for (name, v) in states() {
        let s = Snapshot::from_json(name, &v.to_string()).unwrap();
        let before = check(&s, &opts).unwrap();
        let r = fixes(&s, &opts).unwrap();
        let written = serde_json::to_string_pretty(&r.patched).unwrap();
        let reread = Snapshot::from_json("patched-snapshot.json", &written).unwrap();
        let after = check(&reread, &opts).unwrap();
        assert_eq!(after.status, r.after, "{name}");
        assert_eq!(
            after.status.exit_code() == 0,
            r.exit_code() == 0,
            "{name}: check says {:?}, fix exits {}",
            after.status,
            r.exit_code()
        );
        if r.exit_code() == 0 {
            seen_fixed += 1;
            assert!(r.patches().all(|p| p.verification.verified()), "{name}");
            assert_eq!(r.manuals().count(), 0, "{name}");
        } else {
            seen_incomplete += 1;
            assert!(!r.remaining.is_empty(), "{name}");
        }
        // Every finding of the first check that is still there is in exactly one entry.
        for f in after.findings.iter().filter(|f| f.level != Level::Warning) {
            let n = r
                .entries
                .iter()
                .filter(|e| match e {
                    Entry::Patch(p) => p.findings.iter().any(|x| {
                        x.code == f.code
                            && x.resource == f.resource
                            && x.action == f.action
                            && x.operation == f.operation
                    }),
                    Entry::Manual(m) => m.findings.iter().any(|x| {
                        x.code == f.code
                            && x.resource == f.resource
                            && x.action == f.action
                            && x.operation == f.operation
                    }),
                })
                .count();
            assert_eq!(
                n, 1,
                "{name}: {} {} {} is in {n} entries",
                f.code, f.resource, f.action
            );
        }
        assert!(
            before.status != Status::Ok || r.entries.is_empty(),
            "{name}: nothing to fix on an ok account"
        );
    }
    assert!(
        seen_fixed >= 8 && seen_incomplete >= 3,
        "{seen_fixed} {seen_incomplete}"
    );
}

#[test]
fn each_broken_state_has_pinned_findings_and_fixes() {
    let opts = all_options();
    for (name, v) in states() {
        let s = Snapshot::from_json(name, &v.to_string()).unwrap();
        let report = check(&s, &opts).unwrap();
        let findings: Vec<Value> = report.findings.iter().map(|f| json!({"code": f.code, "level": f.level, "resource": f.resource, "resource_kind": f.resource_kind, "operation": f.operation, "action": f.action, "policy": f.policy, "statement": f.statement, "decided_by": f.decided_by, "reason": f.reason, "impact": f.impact, "fix": f.fix})).collect();
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
        let text = fixes_text(&fixes(&s, &opts).unwrap());
        pin(&format!("{name}.fixes.diff"), &text);
    }
}
