//! The collector needs only what the generated inventory policy grants: every API call it can
//! make ([`Api::ALL`]) is evaluated, with the engine, against the inventory policy alone.
//! Actions per call: the Service Authorization Reference
//! (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html);
//! evaluation: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vaultward_aws::api::Api;
use vaultward_catalog::catalog;
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request,
};
use vaultward_model::{generate, Params};

const ACCT: &str = "111122223333";

fn inventory_policy() -> NamedPolicy {
    let b = generate(&Params {
        account: ACCT.into(),
        vendor_account: "999988887777".into(),
        external_id: "ext".into(),
        ..Params::default()
    })
    .unwrap();
    let p = b
        .policies
        .iter()
        .find(|p| p.name.ends_with("InventoryPolicy"))
        .unwrap();
    let parsed = parse_policy(&p.document.to_string(), PolicyKind::Identity);
    NamedPolicy {
        name: p.name.clone(),
        policy: parsed.policy.unwrap(),
    }
}

/// A key's default policy, which lets IAM policies grant its use
/// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): without
/// a key policy allowing the account, no identity policy can.
fn default_key_policy() -> NamedPolicy {
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "kms:*", "Resource": "*"}]});
    NamedPolicy {
        name: "default key policy".into(),
        policy: parse_policy(&doc.to_string(), PolicyKind::Key)
            .policy
            .unwrap(),
    }
}

#[test]
fn every_call_the_collector_makes_is_granted_by_the_inventory_policy() {
    let set = PolicySet {
        identity: vec![inventory_policy()],
        ..PolicySet::default()
    };
    let role = format!("arn:aws:iam::{ACCT}:role/vaultward/VaultwardBackupRole");
    let session = format!("arn:aws:sts::{ACCT}:assumed-role/VaultwardBackupRole/collect");
    let mut checked = 0;
    for api in Api::ALL {
        for action in api.actions() {
            // The action exists in the catalog (no typo can hide here).
            assert!(
                catalog().action(action).is_some(),
                "{api:?}: {action} is not in the catalog"
            );
            let resource = api.sample_resource(ACCT, "us-east-1");
            let mut ctx = Context::default();
            ctx.insert("aws:PrincipalArn", ContextValue::Single(role.clone()));
            if action.starts_with("s3:") {
                ctx.insert("s3:ResourceAccount", ContextValue::Single(ACCT.into()));
            }
            let req = Request::new(&session, action, &resource, Some(ACCT), ctx).unwrap();
            let mut set = set.clone();
            if resource.starts_with("arn:aws:kms:") {
                set.resource = Some(default_key_policy());
            }
            let d = authorize(&req, &set);
            assert_eq!(
                d.decision,
                Decision::Allow,
                "{api:?} needs {action} on {resource}, which the inventory policy does not grant"
            );
            checked += 1;
        }
    }
    // GetCallerIdentity needs no permission; every other call has at least one action.
    assert_eq!(
        Api::ALL.iter().filter(|a| a.action().is_none()).count(),
        1,
        "only sts:GetCallerIdentity is free"
    );
    assert!(checked >= Api::ALL.len());
}

#[test]
fn the_inventory_policy_does_not_read_other_accounts_objects() {
    // The object reads are scoped with s3:ResourceAccount: a bucket in another account is
    // not readable through the inventory policy.
    let set = PolicySet {
        identity: vec![inventory_policy()],
        ..PolicySet::default()
    };
    let mut ctx = Context::default();
    ctx.insert(
        "s3:ResourceAccount",
        ContextValue::Single("444455556666".into()),
    );
    let session = format!("arn:aws:sts::{ACCT}:assumed-role/VaultwardBackupRole/collect");
    let req = Request::new(
        &session,
        "s3:GetObject",
        "arn:aws:s3:::someone-else/a.txt",
        Some(ACCT),
        ctx,
    )
    .unwrap();
    assert_ne!(authorize(&req, &set).decision, Decision::Allow);
}

/// The management-side policy of `docs/collect.md`, between its markers.
fn documented_management_policy() -> serde_json::Value {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/collect.md"
    ))
    .unwrap();
    let start = doc.find("<!-- management-policy -->").unwrap();
    let end = doc.find("<!-- /management-policy -->").unwrap();
    let block = &doc[start..end];
    let json = &block[block.find("```json").unwrap() + 7..block.rfind("```").unwrap()];
    serde_json::from_str(json).unwrap()
}

#[test]
fn the_documented_management_policy_grants_exactly_the_calls_of_collect_org() {
    let doc = documented_management_policy();
    let parsed = parse_policy(&doc.to_string(), PolicyKind::Identity);
    let set = PolicySet {
        identity: vec![NamedPolicy {
            name: "management".into(),
            policy: parsed.policy.unwrap(),
        }],
        ..PolicySet::default()
    };
    // The caller is in the management account; AssumeRole also needs the member role's
    // trust policy (docs/collect.md's, with the external id), the other half of a
    // cross-account request (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
    let management = "444455556666";
    let caller = format!("arn:aws:iam::{management}:role/Collector");
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{management}:root")},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "ext"}}}]});
    let trust = NamedPolicy {
        name: "member role trust".into(),
        policy: parse_policy(&trust.to_string(), PolicyKind::Trust)
            .policy
            .unwrap(),
    };
    let mut needed = std::collections::BTreeSet::new();
    for api in Api::MANAGEMENT {
        for action in api.actions() {
            assert!(catalog().action(action).is_some(), "{api:?}: {action}");
            let resource = api.sample_resource(ACCT, "us-east-1");
            let mut ctx = Context::default();
            let mut set = set.clone();
            // The organization's calls are made in the caller's own account.
            let mut account = management;
            if *api == Api::AssumeRole {
                account = ACCT;
                ctx.insert("sts:ExternalId", ContextValue::Single("ext".into()));
                set.resource = Some(trust.clone());
            }
            let req = Request::new(&caller, action, &resource, Some(account), ctx).unwrap();
            assert_eq!(
                authorize(&req, &set).decision,
                Decision::Allow,
                "{api:?} needs {action} on {resource}, which docs/collect.md does not grant"
            );
            needed.insert(action.to_string());
        }
    }
    // Nothing more: every action the document names is one of the calls.
    let mut granted = std::collections::BTreeSet::new();
    for s in doc["Statement"].as_array().unwrap() {
        match &s["Action"] {
            serde_json::Value::String(a) => {
                granted.insert(a.clone());
            }
            serde_json::Value::Array(v) => {
                granted.extend(v.iter().map(|a| a.as_str().unwrap().to_string()))
            }
            other => panic!("{other}"),
        }
    }
    assert_eq!(granted, needed);
}
