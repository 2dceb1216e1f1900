//! Drift between the permissions file and a deployed account, read from the output of
//! `aws iam get-account-authorization-details`
//! (https://docs.aws.amazon.com/cli/latest/reference/iam/get-account-authorization-details.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use vaultward_backup::drift;
use vaultward_iam::Severity;
use vaultward_model::{generate, AssetType, Bundle, Params};

fn bundle() -> Bundle {
    generate(&Params {
        assets: [AssetType::S3, AssetType::Ec2].into_iter().collect(),
        account: "111122223333".into(),
        vendor_account: "999988887777".into(),
        external_id: "ext-42".into(),
        support_role: true,
        ..Params::default()
    })
    .unwrap()
}

/// IAM returns policy documents URL-encoded.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What the account looks like after deploying the bundle as it is.
fn deployed(b: &Bundle) -> Value {
    let roles: Vec<Value> = b
        .roles
        .iter()
        .map(|r| {
            json!({
                "Path": r.path, "RoleName": r.name, "RoleId": "AROAEXAMPLE", "Arn": r.arn,
                "AssumeRolePolicyDocument": url_encode(&r.trust_policy.to_string()),
                "RolePolicyList": r.inline_policies.iter().map(|i| json!({"PolicyName": i.name, "PolicyDocument": url_encode(&i.document.to_string())})).collect::<Vec<_>>(),
                "AttachedManagedPolicies": r.managed_policies.iter().map(|id| {
                    let p = b.policies.iter().find(|p| &p.id == id).unwrap();
                    json!({"PolicyName": p.name, "PolicyArn": p.arn})
                }).collect::<Vec<_>>(),
                "Tags": []
            })
        })
        .collect();
    let policies: Vec<Value> = b
        .policies
        .iter()
        .map(|p| json!({"PolicyName": p.name, "Arn": p.arn, "Path": p.path, "DefaultVersionId": "v1", "PolicyVersionList": [{"Document": p.document, "VersionId": "v1", "IsDefaultVersion": true}]}))
        .collect();
    json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles, "Policies": policies})
}

fn codes(findings: &[vaultward_iam::Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code).collect()
}

#[test]
fn a_faithful_deployment_has_no_drift() {
    let b = bundle();
    let f = drift(&b, &serde_json::to_string_pretty(&deployed(&b)).unwrap()).unwrap();
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn widened_resources_extra_actions_and_dropped_conditions_are_security_warnings() {
    let b = bundle();
    let mut ex = deployed(&b);
    let ec2 = ex["Policies"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["PolicyName"] == "VaultwardEc2BackupPolicy")
        .unwrap();
    let doc = &mut ec2["PolicyVersionList"][0]["Document"];
    let st = doc["Statement"].as_array_mut().unwrap();
    let del = st
        .iter_mut()
        .find(|s| s["Sid"] == "DeleteOnlyVendorSnapshots")
        .unwrap();
    del.as_object_mut().unwrap().remove("Condition");
    let snap = st
        .iter_mut()
        .find(|s| s["Sid"] == "ReadSnapshotBlocks")
        .unwrap();
    snap["Resource"] = json!("*");
    snap["Action"].as_array_mut().unwrap().push(json!("ebs:*"));
    let text = serde_json::to_string_pretty(&ex).unwrap();
    let f = drift(&b, &text).unwrap();
    let c = codes(&f);
    assert!(
        c.contains(&"condition-dropped")
            && c.contains(&"widened-resource")
            && c.contains(&"extra-actions")
            && c.contains(&"widened"),
        "{f:#?}"
    );
    assert!(
        f.iter().all(|f| f.severity == Severity::SecurityWarning),
        "{f:#?}"
    );
    let widened = f.iter().find(|f| f.code == "widened-resource").unwrap();
    assert!(
        widened.path.starts_with("$.Policies[") && widened.path.ends_with(".Resource"),
        "{}",
        widened.path
    );
    assert!(widened.line.is_some());
}

/// Widening is judged by what the document allows, not by its text: a condition written
/// differently but allowing no more (a second, narrower Allow alongside) is a textual
/// change only, no `widened`; a resource list reordered is no change at all.
#[test]
fn widening_is_semantic_not_textual() {
    let b = bundle();
    let mut ex = deployed(&b);
    let ec2 = ex["Policies"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|p| p["PolicyName"] == "VaultwardEc2BackupPolicy")
        .unwrap();
    let doc = &mut ec2["PolicyVersionList"][0]["Document"];
    let st = doc["Statement"].as_array_mut().unwrap();
    let del = st
        .iter_mut()
        .find(|s| s["Sid"] == "DeleteOnlyVendorSnapshots")
        .unwrap();
    // Narrower: the vendor tag and, in addition, the restore tag.
    let cond = del["Condition"]["StringEquals"].clone();
    let mut narrower = cond.clone();
    narrower["aws:ResourceTag/vaultward.restore"] = json!("1");
    del["Condition"]["StringEquals"] = narrower;
    let text = serde_json::to_string_pretty(&ex).unwrap();
    let f = drift(&b, &text).unwrap();
    let c = codes(&f);
    assert!(c.contains(&"condition-changed"), "{f:#?}");
    assert!(!c.contains(&"widened"), "{f:#?}");
}

#[test]
fn a_loosened_or_broken_trust_policy_is_found() {
    let b = bundle();
    let mut ex = deployed(&b);
    // The external id condition removed, and any principal of the vendor account trusted.
    let loose = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}]});
    ex["RoleDetailList"][0]["AssumeRolePolicyDocument"] = json!(url_encode(&loose.to_string()));
    let f = drift(&b, &ex.to_string()).unwrap();
    let loosened: Vec<&str> = f
        .iter()
        .filter(|f| f.code == "trust-policy-loosened")
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        loosened
            .iter()
            .any(|m| m.contains("without the external id")),
        "{f:#?}"
    );
    assert!(
        loosened
            .iter()
            .any(|m| m.contains("another role of the vendor's account")),
        "{f:#?}"
    );
    // A trust policy naming another external id locks the service out.
    let wrong = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:role/VaultwardControlPlane"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "other"}}}]});
    ex["RoleDetailList"][0]["AssumeRolePolicyDocument"] = wrong;
    let f = drift(&b, &ex.to_string()).unwrap();
    assert!(codes(&f).contains(&"trust-policy-broken"), "{f:#?}");
}

#[test]
fn missing_and_extra_policies() {
    let b = bundle();
    let mut ex = deployed(&b);
    let attached = ex["RoleDetailList"][0]["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap();
    attached.retain(|p| p["PolicyName"] != "VaultwardKmsPolicy");
    attached.push(json!({"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}));
    ex["RoleDetailList"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["RoleName"] != "VaultwardSupportRole");
    let f = drift(&b, &ex.to_string()).unwrap();
    let c = codes(&f);
    assert!(
        c.contains(&"policy-not-attached")
            && c.contains(&"extra-policy")
            && c.contains(&"missing-role"),
        "{f:#?}"
    );
    let admin = f.iter().find(|f| f.code == "extra-policy").unwrap();
    assert!(admin.message.contains("AdministratorAccess"));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let b = bundle();
    assert!(drift(&b, "{not json").is_err());
    assert!(drift(&b, r#"{"Users": []}"#).is_err());
}
