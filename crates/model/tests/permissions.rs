//! The generated permissions file, checked with the engine rather than by string compares:
//! every request of the service table is allowed by its own grant, and the things the
//! service must never do are denied. Evaluation rules: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use serde_json::{json, Value};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request, Severity,
};
use vaultward_model::policies;
use vaultward_model::service::{
    all_steps, steps, Effect, Op, Part, Policy, SampleRequest, Subject, Target, TABLE,
};
use vaultward_model::{generate, AssetType, Bundle, Params};

const ACCT: &str = "111122223333";
const VENDOR: &str = "999988887777";

fn params(assets: &[AssetType]) -> Params {
    Params {
        assets: assets.iter().copied().collect(),
        account: ACCT.into(),
        vendor_account: VENDOR.into(),
        external_id: "ext-42".into(),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        ..Params::default()
    }
}

fn all_assets() -> Params {
    Params {
        continuous_s3: true,
        support_role: true,
        ..params(&[AssetType::S3, AssetType::DynamoDb, AssetType::Ec2])
    }
}

fn policy(doc: &Value, kind: PolicyKind) -> vaultward_iam::Policy {
    let parsed = parse_policy(&doc.to_string(), kind);
    assert!(!parsed.has_errors(), "{:#?}", parsed.findings);
    parsed.policy.unwrap()
}

/// The main role's identity policies.
fn identity(b: &Bundle) -> PolicySet {
    let role = &b.roles[0];
    let identity = b
        .policies
        .iter()
        .filter(|p| role.managed_policies.contains(&p.id))
        .map(|p| NamedPolicy {
            name: p.name.clone(),
            policy: policy(&p.document, PolicyKind::Identity),
        })
        .collect();
    PolicySet {
        identity,
        ..Default::default()
    }
}

fn context(role_arn: &str, extra: &Value) -> Context {
    let mut c = Context::default();
    c.insert("aws:PrincipalArn", ContextValue::Single(role_arn.into()));
    for (k, v) in extra.as_object().unwrap() {
        match v {
            Value::Array(a) => c.insert(
                k,
                ContextValue::Multi(a.iter().map(|x| x.as_str().unwrap().to_string()).collect()),
            ),
            v => c.insert(
                k,
                ContextValue::Single(v.as_str().map_or_else(|| v.to_string(), str::to_string)),
            ),
        }
    }
    c
}

/// A KMS key's policy as AWS creates it by default: the account delegates to IAM policies
/// (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
fn default_key_policy() -> NamedPolicy {
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "kms:*", "Resource": "*"}]});
    NamedPolicy {
        name: "default key policy".into(),
        policy: policy(&doc, PolicyKind::Key),
    }
}

/// The identity policies, plus the default key policy when the resource is a KMS key.
fn with_key_policy(set: &PolicySet, resource: &str) -> PolicySet {
    let mut set = set.clone();
    if resource.starts_with("arn:aws:kms:") {
        set.resource = Some(default_key_policy());
    }
    set
}

fn decide(b: &Bundle, set: &PolicySet, action: &str, resource: &str, extra: Value) -> Decision {
    let p = &b.parameters;
    let session = format!(
        "arn:aws:sts::{ACCT}:assumed-role/{}/backup-1",
        p.role_name()
    );
    let req = Request::new(
        &session,
        action,
        resource,
        Some(ACCT),
        context(&p.role_arn(), &extra),
    )
    .unwrap();
    authorize(&req, &with_key_policy(set, resource)).decision
}

/// The policies a principal of the file holds: the backup role's managed policies, or the
/// support role's inline policy.
fn holder(b: &Bundle, policy: Policy) -> (String, PolicySet) {
    let role = if policy == Policy::Support {
        b.roles.iter().find(|r| r.id == "SupportRole").unwrap()
    } else {
        &b.roles[0]
    };
    let set = if policy == Policy::Support {
        PolicySet {
            identity: role
                .inline_policies
                .iter()
                .map(|i| NamedPolicy {
                    name: i.name.clone(),
                    policy: policy_of(&i.document, PolicyKind::Identity),
                })
                .collect(),
            ..Default::default()
        }
    } else {
        identity(b)
    };
    (role.arn.clone(), set)
}

fn policy_of(doc: &Value, kind: PolicyKind) -> vaultward_iam::Policy {
    policy(doc, kind)
}

/// A sample request of the table, as the role's session makes it. A request into the
/// vendor's account goes under a vendor bucket policy that allows the role, as the check
/// assumes (only the role's side is the customer's).
fn ask(role_arn: &str, set: &PolicySet, r: &SampleRequest) -> vaultward_iam::Response {
    let name = role_arn.rsplit('/').next().unwrap();
    let session = format!("arn:aws:sts::{ACCT}:assumed-role/{name}/backup-1");
    let mut c = Context::default();
    c.insert("aws:PrincipalArn", ContextValue::Single(role_arn.into()));
    for (k, v) in &r.context {
        c.insert(k, ContextValue::Single(v.clone()));
    }
    let req = Request::new(
        &session,
        r.action,
        &r.resource,
        Some(&r.resource_account),
        c,
    )
    .unwrap();
    let mut set = with_key_policy(set, &r.resource);
    if r.resource_account != ACCT {
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "*", "Resource": "*"}]});
        set.resource = Some(NamedPolicy {
            name: "the vendor's bucket policy".into(),
            policy: policy(&doc, PolicyKind::Resource),
        });
    }
    authorize(&req, &set)
}

/// The table's one definition, held to the engine both ways: every request of every need
/// that applies to a selection (each step `check` evaluates, and each standing need) is
/// allowed by the generated file, and by the very statement the table gives it (so no
/// grant is there without a request it allows, and none allows its requests only by
/// accident of another); every request a Deny refuses is an explicit Deny of that
/// statement. For every combination of asset types, restore, continuous backup and
/// instance roles, with the support role.
#[test]
fn every_request_of_the_table_is_allowed_by_its_own_grant() {
    let mut checked = 0;
    for p in every_combination() {
        let p = Params {
            support_role: true,
            ..p
        };
        let b = generate(&p).unwrap();
        let region = &p.regions[0];
        for grant in TABLE {
            let Some(policy) =
                grant.policies.iter().copied().find(|want| {
                    policies::statement(&p, grant).is_some() && policy_in(&b, &p, *want)
                })
            else {
                continue;
            };
            let (role, set) = holder(&b, policy);
            for need in grant.needs.iter().filter(|n| n.applies(&p)) {
                for r in need.sample_requests(&p, region) {
                    let resp = ask(&role, &set, &r);
                    let by_it = resp
                        .reasons
                        .iter()
                        .any(|x| x.statement.as_deref() == Some(grant.sid));
                    let want = if grant.effect == Effect::Allow {
                        Decision::Allow
                    } else {
                        Decision::ExplicitDeny
                    };
                    assert!(
                        resp.decision == want && by_it,
                        "{:?} {}: {} on {} with {:?} is {:?}, decided by {:?} (for {:?}, restore {}, continuous {}, roles {:?})",
                        need.part,
                        grant.sid,
                        r.action,
                        r.resource,
                        r.context,
                        resp.decision,
                        resp.reasons.iter().map(|x| x.statement.clone()).collect::<Vec<_>>(),
                        p.assets,
                        p.restore,
                        p.continuous_s3,
                        p.restore_instance_roles
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 3000, "{checked}");
}

/// Whether `text` holds a `{name}` template.
fn has_template(text: &str) -> bool {
    text.split('{').skip(1).any(|rest| {
        rest.split_once('}').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
    })
}

/// Whether the file for `p` holds `policy`.
fn policy_in(b: &Bundle, p: &Params, policy: Policy) -> bool {
    let name = format!("{}{}", p.name_token, policy.suffix());
    b.policies.iter().any(|m| m.name == name)
        || b.roles
            .iter()
            .any(|r| r.inline_policies.iter().any(|i| i.name == name))
}

/// The table is well formed: Sids are unique, every grant has needs, only steps are made on
/// the protected resource, its objects or its key, every template fills, and every action is
/// in AWS's reference.
#[test]
fn the_table_is_well_formed() {
    let catalog = vaultward_catalog::catalog();
    let mut sids = BTreeSet::new();
    let p = Params {
        restore_instance_roles: vec!["web-app".into()],
        support_role: true,
        ..all_assets()
    };
    for g in TABLE {
        assert!(sids.insert(g.sid), "{} is twice in the table", g.sid);
        assert!(!g.needs.is_empty(), "{} serves no request", g.sid);
        assert!(!g.policies.is_empty(), "{} is in no policy", g.sid);
        for n in g.needs {
            let on_the_resource =
                matches!(n.target, Target::Resource | Target::Objects | Target::Key);
            assert!(
                !on_the_resource || matches!(n.part, Part::Step(..)),
                "{}: only a step is made on the protected resource ({:?})",
                g.sid,
                n.part
            );
            assert_eq!(
                g.effect == Effect::Deny,
                n.part == Part::Refused,
                "{}: a Deny lists the requests it refuses, an Allow those it allows",
                g.sid
            );
            assert!(!n.why.is_empty(), "{}: a need says why", g.sid);
            for a in n.actions {
                assert!(
                    catalog.action(a).is_some(),
                    "{}: `{a}` is not an action",
                    g.sid
                );
            }
            for r in n.sample_requests(&p, "us-east-1") {
                let text = format!("{} {:?}", r.resource, r.context);
                assert!(
                    !text.contains('{'),
                    "{}: unfilled template in {text}",
                    g.sid
                );
            }
        }
        if let Some(st) = policies::statement(&p, g) {
            let text = st.to_json().to_string();
            assert!(
                !has_template(&text),
                "{}: unfilled template in {text}",
                g.sid
            );
        }
    }
}

#[test]
fn generated_policies_are_valid_and_every_action_resolves() {
    let b = generate(&all_assets()).unwrap();
    let mut docs: Vec<(String, Value, PolicyKind)> = b
        .policies
        .iter()
        .map(|p| (p.name.clone(), p.document.clone(), PolicyKind::Identity))
        .collect();
    for r in &b.roles {
        docs.push((
            format!("{} trust", r.name),
            r.trust_policy.clone(),
            PolicyKind::Trust,
        ));
        for i in &r.inline_policies {
            docs.push((i.name.clone(), i.document.clone(), PolicyKind::Identity));
        }
    }
    for t in &b.topics {
        docs.push((t.name.clone(), t.policy.clone(), PolicyKind::Resource));
    }
    for (name, doc, kind) in docs {
        let findings =
            vaultward_catalog::validate_policy(&serde_json::to_string_pretty(&doc).unwrap(), kind);
        let serious: Vec<_> = findings
            .iter()
            .filter(|f| {
                matches!(f.severity, Severity::Error | Severity::SecurityWarning)
                    || f.code.starts_with("unknown")
                    || f.code.contains("matches-no")
            })
            .collect();
        assert!(serious.is_empty(), "{name}: {serious:#?}");
    }
}

#[test]
fn the_service_is_denied_what_it_must_never_do() {
    let b = generate(&all_assets()).unwrap();
    let set = identity(&b);
    let snap = "arn:aws:ec2:us-east-1::snapshot/snap-0customer";
    let image = "arn:aws:ec2:us-east-1::image/ami-0customer";
    let instance = format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-0customer");
    for (what, action, resource, ctx) in [
        (
            "delete a snapshot without the vendor tag",
            "ec2:DeleteSnapshot",
            snap.to_string(),
            json!({}),
        ),
        (
            "delete a snapshot tagged by someone else",
            "ec2:DeleteSnapshot",
            snap.to_string(),
            json!({"aws:ResourceTag/Vendor": "Other"}),
        ),
        (
            "deregister an image without the vendor tag",
            "ec2:DeregisterImage",
            image.to_string(),
            json!({}),
        ),
        (
            "tag a snapshot outside a create action",
            "ec2:CreateTags",
            snap.to_string(),
            json!({}),
        ),
        (
            "tag an instance outside a create action",
            "ec2:CreateTags",
            instance.clone(),
            json!({"aws:RequestTag/vaultward.restore": "1"}),
        ),
        (
            "terminate an instance without the restore tag",
            "ec2:TerminateInstances",
            instance.clone(),
            json!({}),
        ),
        (
            "delete a table that is not being restored",
            "dynamodb:DeleteTable",
            format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"),
            json!({}),
        ),
        (
            "use a key outside the backed-up services",
            "kms:Decrypt",
            format!("arn:aws:kms:us-east-1:{ACCT}:key/k"),
            json!({"kms:ViaService": "lambda.us-east-1.amazonaws.com"}),
        ),
        (
            "pass an arbitrary role to EventBridge",
            "iam:PassRole",
            format!("arn:aws:iam::{ACCT}:role/Admin"),
            json!({"iam:PassedToService": "events.amazonaws.com"}),
        ),
        (
            "delete a bucket",
            "s3:DeleteBucket",
            "arn:aws:s3:::customer-bucket".to_string(),
            json!({}),
        ),
        (
            "write into another account's bucket",
            "s3:PutObject",
            "arn:aws:s3:::elsewhere/k".to_string(),
            json!({"s3:ResourceAccount": "444455556666"}),
        ),
        (
            "read another account's bucket",
            "s3:GetObject",
            "arn:aws:s3:::elsewhere/k".to_string(),
            json!({"s3:ResourceAccount": "444455556666"}),
        ),
        (
            "change IAM",
            "iam:PutRolePolicy",
            format!("arn:aws:iam::{ACCT}:role/vaultward/VaultwardBackupRole"),
            json!({}),
        ),
    ] {
        let d = decide(&b, &set, action, &resource, ctx);
        assert_ne!(d, Decision::Allow, "the service can {what}");
    }
    // The direct CreateTags is an explicit Deny, so no other policy can open it.
    assert_eq!(
        decide(&b, &set, "ec2:CreateTags", snap, json!({})),
        Decision::ExplicitDeny
    );
}

#[test]
fn without_restore_there_are_no_writes_to_customer_data() {
    let p = Params {
        restore: false,
        ..all_assets()
    };
    let b = generate(&p).unwrap();
    let set = identity(&b);
    for (action, resource) in [
        ("s3:PutObject", "arn:aws:s3:::customer-bucket/k".to_string()),
        (
            "s3:DeleteObject",
            "arn:aws:s3:::customer-bucket/k".to_string(),
        ),
        (
            "dynamodb:PutItem",
            format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"),
        ),
        (
            "dynamodb:BatchWriteItem",
            format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"),
        ),
        (
            "ec2:RunInstances",
            format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-1"),
        ),
    ] {
        assert_ne!(
            decide(
                &b,
                &set,
                action,
                &resource,
                json!({"s3:ResourceAccount": ACCT})
            ),
            Decision::Allow,
            "{action}"
        );
    }
    // With restore selected the same writes are allowed.
    let b = generate(&all_assets()).unwrap();
    assert_eq!(
        decide(
            &b,
            &identity(&b),
            "s3:PutObject",
            "arn:aws:s3:::customer-bucket/k",
            json!({"s3:ResourceAccount": ACCT})
        ),
        Decision::Allow
    );
}

/// Trust-policy evaluation: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
#[test]
fn only_the_control_plane_with_the_external_id_can_assume_the_role() {
    let b = generate(&all_assets()).unwrap();
    let trust = NamedPolicy {
        name: "trust".into(),
        policy: policy(&b.roles[0].trust_policy, PolicyKind::Trust),
    };
    let caller_allows = NamedPolicy {
        name: "caller".into(),
        policy: policy(
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}),
            PolicyKind::Identity,
        ),
    };
    let assume = |principal: &str, principal_arn: &str, external_id: Option<&str>| {
        let mut ctx = Context::default();
        ctx.insert(
            "aws:PrincipalArn",
            ContextValue::Single(principal_arn.into()),
        );
        if let Some(x) = external_id {
            ctx.insert("sts:ExternalId", ContextValue::Single(x.into()));
        }
        let req = Request::new(
            principal,
            "sts:AssumeRole",
            &b.roles[0].arn,
            Some(ACCT),
            ctx,
        )
        .unwrap();
        authorize(
            &req,
            &PolicySet {
                identity: vec![caller_allows.clone()],
                resource: Some(trust.clone()),
                ..Default::default()
            },
        )
        .decision
    };
    let cp = format!("arn:aws:iam::{VENDOR}:role/VaultwardControlPlane");
    let cp_session = format!("arn:aws:sts::{VENDOR}:assumed-role/VaultwardControlPlane/s");
    assert_eq!(assume(&cp_session, &cp, Some("ext-42")), Decision::Allow);
    assert_ne!(assume(&cp_session, &cp, None), Decision::Allow);
    assert_ne!(assume(&cp_session, &cp, Some("other")), Decision::Allow);
    let other = format!("arn:aws:iam::{VENDOR}:role/Other");
    assert_ne!(
        assume(
            &format!("arn:aws:sts::{VENDOR}:assumed-role/Other/s"),
            &other,
            Some("ext-42")
        ),
        Decision::Allow
    );
    assert_ne!(
        assume(
            &format!("arn:aws:iam::{VENDOR}:user/eve"),
            &format!("arn:aws:iam::{VENDOR}:user/eve"),
            Some("ext-42")
        ),
        Decision::Allow
    );
    assert_ne!(
        assume(
            "arn:aws:sts::444455556666:assumed-role/VaultwardControlPlane/s",
            "arn:aws:iam::444455556666:role/VaultwardControlPlane",
            Some("ext-42")
        ),
        Decision::Allow
    );
    assert_ne!(
        assume(
            VENDOR,
            &format!("arn:aws:iam::{VENDOR}:root"),
            Some("ext-42")
        ),
        Decision::Allow
    );
}

#[test]
fn only_this_account_and_its_rules_can_publish_to_the_topic() {
    let b = generate(&all_assets()).unwrap();
    let t = &b.topics[0];
    let topic = NamedPolicy {
        name: "topic".into(),
        policy: policy(&t.policy, PolicyKind::Resource),
    };
    let publisher = NamedPolicy {
        name: "pub".into(),
        policy: policy(
            &json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:*", "Resource": "*"}]}),
            PolicyKind::Identity,
        ),
    };
    let decide = |principal: &str, action: &str, ctx: Value| {
        let req = Request::new(
            principal,
            action,
            &t.arn,
            Some(ACCT),
            context(principal, &ctx),
        )
        .unwrap();
        authorize(
            &req,
            &PolicySet {
                identity: vec![publisher.clone()],
                resource: Some(topic.clone()),
                ..Default::default()
            },
        )
        .decision
    };
    assert_eq!(
        decide(
            &format!("arn:aws:iam::{ACCT}:user/app"),
            "sns:Publish",
            json!({})
        ),
        Decision::Allow
    );
    assert_ne!(
        decide(
            "arn:aws:iam::444455556666:user/mallory",
            "sns:Publish",
            json!({})
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            "events.amazonaws.com",
            "sns:Publish",
            json!({"aws:SourceAccount": ACCT})
        ),
        Decision::Allow
    );
    assert_ne!(
        decide(
            "events.amazonaws.com",
            "sns:Publish",
            json!({"aws:SourceAccount": "444455556666"})
        ),
        Decision::Allow
    );
    let cp_session = format!("arn:aws:sts::{VENDOR}:assumed-role/VaultwardControlPlane/s");
    let mut ctx = json!({});
    ctx["aws:PrincipalArn"] = json!(format!("arn:aws:iam::{VENDOR}:role/VaultwardControlPlane"));
    let req = Request::new(
        &cp_session,
        "sns:Subscribe",
        &t.arn,
        Some(ACCT),
        context(
            &format!("arn:aws:iam::{VENDOR}:role/VaultwardControlPlane"),
            &json!({}),
        ),
    )
    .unwrap();
    assert_eq!(
        authorize(
            &req,
            &PolicySet {
                identity: vec![publisher.clone()],
                resource: Some(topic.clone()),
                ..Default::default()
            }
        )
        .decision,
        Decision::Allow
    );
    assert_ne!(
        decide(
            &format!("arn:aws:iam::{VENDOR}:user/eve"),
            "sns:Subscribe",
            json!({})
        ),
        Decision::Allow
    );
}

fn actions(b: &Bundle) -> BTreeSet<String> {
    b.policies
        .iter()
        .flat_map(|p| p.document["Statement"].as_array().unwrap().clone())
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| {
            s["Action"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn fewer_asset_types_yield_strictly_fewer_actions() {
    use AssetType::*;
    let sets: [&[AssetType]; 7] = [
        &[S3],
        &[DynamoDb],
        &[Ec2],
        &[S3, DynamoDb],
        &[S3, Ec2],
        &[DynamoDb, Ec2],
        &[S3, DynamoDb, Ec2],
    ];
    for small in sets {
        for big in sets {
            if small.len() < big.len() && small.iter().all(|a| big.contains(a)) {
                let (a, b) = (
                    actions(&generate(&params(small)).unwrap()),
                    actions(&generate(&params(big)).unwrap()),
                );
                assert!(a.is_subset(&b) && a.len() < b.len(), "{small:?} vs {big:?}");
            }
        }
    }
    let with = actions(&generate(&all_assets()).unwrap());
    let without = actions(
        &generate(&Params {
            restore: false,
            ..all_assets()
        })
        .unwrap(),
    );
    assert!(without.is_subset(&with) && without.len() < with.len());
}

#[test]
fn no_statement_is_duplicated_and_policies_fit_aws_limits() {
    let p = all_assets();
    let b = generate(&p).unwrap();
    let mut seen = BTreeSet::new();
    for spec in policies::policies(&p) {
        for st in &spec.statements {
            let key =
                serde_json::to_string(&json!([st.allow, st.actions, st.resources, st.condition]))
                    .unwrap();
            assert!(
                seen.insert(key),
                "{} duplicates an earlier statement",
                st.sid
            );
        }
        // AWS limit: a managed policy holds at most 6,144 characters, white space excluded.
        let size = spec
            .document()
            .to_string()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count();
        assert!(size <= 6144, "{} is {size} characters", spec.name);
    }
    // AWS limit: at most 10 managed policies per role by default.
    assert!(b.roles[0].managed_policies.len() <= 10);
}

/// A key action is granted only for the steps of the selection that use it: backing up S3
/// decrypts, and nothing more; `kms:CreateGrant` only for the restores that hand a key to
/// DynamoDB or EC2. (The seed's KMS policy held every key action for every selection.)
#[test]
fn the_kms_policy_holds_only_the_key_actions_of_the_selected_steps() {
    let kms = |p: &Params| -> Vec<(String, Vec<&'static str>)> {
        policies::policies(p)
            .into_iter()
            .find(|s| s.policy == Policy::Kms)
            .unwrap()
            .statements
            .into_iter()
            .map(|s| (s.sid.to_string(), s.actions))
            .collect()
    };
    let s3_backup = Params {
        restore: false,
        ..params(&[AssetType::S3])
    };
    assert_eq!(
        kms(&s3_backup),
        [(
            "UseKeysThroughBackedUpServices".to_string(),
            vec!["kms:Decrypt"]
        )]
    );
    assert_eq!(
        kms(&params(&[AssetType::S3])),
        [(
            "UseKeysThroughBackedUpServices".to_string(),
            vec!["kms:Decrypt", "kms:GenerateDataKey"]
        )]
    );
    let all = kms(&all_assets());
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0].1.len(), 7, "{all:?}");
    assert_eq!(
        all[1],
        (
            "GrantsForAwsResourcesOnly".to_string(),
            vec!["kms:CreateGrant"]
        )
    );
}

/// The steps `check` evaluates are the table's steps, one per action of each need, and
/// carry their grant.
#[test]
fn the_checks_steps_are_the_tables() {
    let from_table: usize = TABLE
        .iter()
        .flat_map(|g| g.needs)
        .filter(|n| matches!(n.part, Part::Step(..)))
        .map(|n| n.actions.len())
        .sum();
    assert_eq!(all_steps().len(), from_table);
    for st in all_steps() {
        assert!(st
            .grant
            .needs
            .iter()
            .any(|n| n.part == Part::Step(st.subject, st.op)
                && n.actions.contains(&st.action)
                && n.target == st.target));
    }
    // Every subject's backup has steps; vaults are only read.
    for subject in Subject::ALL {
        assert!(steps(subject, Op::Backup).next().is_some(), "{subject:?}");
    }
    assert!(steps(Subject::Vault, Op::Restore).next().is_none());
}

/// Every combination of asset types, with and without restore, with and without roles
/// named for restored instances.
fn every_combination() -> Vec<Params> {
    use AssetType::*;
    let mut out = Vec::new();
    for assets in [
        vec![S3],
        vec![DynamoDb],
        vec![Ec2],
        vec![S3, DynamoDb],
        vec![S3, Ec2],
        vec![DynamoDb, Ec2],
        vec![S3, DynamoDb, Ec2],
    ] {
        for restore in [true, false] {
            for roles in [vec![], vec!["web-app".to_string()]] {
                out.push(Params {
                    restore,
                    restore_instance_roles: roles,
                    continuous_s3: assets.contains(&S3),
                    ..params(&assets)
                });
            }
        }
    }
    out
}

/// The multi-step paths a security reviewer tries first, each as the request that would
/// take its first (or its decisive) step; none may be allowed for any asset combination.
/// Sources: the published IAM privilege-escalation methods (Rhino Security Labs, "AWS IAM
/// Privilege Escalation – Methods and Mitigation": PassRole with ec2:RunInstances), the
/// S3 ACL condition keys (Amazon S3 User Guide, "Amazon S3 condition key examples": the
/// `s3:x-amz-acl` and `s3:x-amz-grant-*` keys), EC2's `ec2:CreateAction` (Amazon EC2 User
/// Guide, "Grant permission to tag Amazon EC2 resources during creation").
#[test]
fn no_asset_combination_opens_an_escalation_or_destruction_path() {
    let table = format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/orders");
    let volume = format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-0customer");
    let instance = format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-0customer");
    let image = "arn:aws:ec2:us-east-1::image/ami-0customer".to_string();
    let snapshot = "arn:aws:ec2:us-east-1::snapshot/snap-0customer".to_string();
    let object = "arn:aws:s3:::customer-data/reports/q1.csv".to_string();
    let own = |extra: Value| {
        let mut m = json!({"s3:ResourceAccount": ACCT});
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    };
    // Whatever tags a customer table carries (the role could have set them), it cannot be
    // deleted, updated, emptied or have its backups removed.
    let any_tags =
        json!({"aws:ResourceTag/vaultward.restore": "1", "aws:ResourceTag/Vendor": "Vaultward"});
    let mut nevers: Vec<(&str, &str, String, Value)> = vec![
        (
            "delete a customer table it tagged",
            "dynamodb:DeleteTable",
            table.clone(),
            any_tags.clone(),
        ),
        (
            "tag a customer table",
            "dynamodb:TagResource",
            table.clone(),
            json!({"aws:RequestTag/vaultward.restore": "1", "aws:TagKeys": "vaultward.restore"}),
        ),
        (
            "untag a customer table",
            "dynamodb:UntagResource",
            table.clone(),
            json!({}),
        ),
        (
            "update a customer table",
            "dynamodb:UpdateTable",
            table.clone(),
            any_tags.clone(),
        ),
        (
            "turn off point-in-time recovery",
            "dynamodb:UpdateContinuousBackups",
            table.clone(),
            any_tags.clone(),
        ),
        (
            "set a TTL that expires a customer table's items",
            "dynamodb:UpdateTimeToLive",
            table.clone(),
            any_tags.clone(),
        ),
        (
            "delete a customer table's items",
            "dynamodb:DeleteItem",
            table.clone(),
            any_tags.clone(),
        ),
        (
            "overwrite a customer table's items",
            "dynamodb:PutItem",
            table.clone(),
            any_tags.clone(),
        ),
        (
            "delete a customer table's backups",
            "dynamodb:DeleteBackup",
            format!("{table}/backup/01234567890123-abcdef01"),
            json!({}),
        ),
        (
            "tag a customer snapshot with the vendor tag",
            "ec2:CreateTags",
            snapshot.clone(),
            json!({"aws:RequestTag/Vendor": "Vaultward"}),
        ),
        (
            "tag a customer image with the vendor tag",
            "ec2:CreateTags",
            image.clone(),
            json!({"aws:RequestTag/Vendor": "Vaultward"}),
        ),
        (
            "tag a customer image with the restore tag",
            "ec2:CreateTags",
            image.clone(),
            json!({"aws:RequestTag/vaultward.restore": "1"}),
        ),
        (
            "tag a customer volume with the restore tag",
            "ec2:CreateTags",
            volume.clone(),
            json!({"aws:RequestTag/vaultward.restore": "1"}),
        ),
        (
            "deregister a customer image",
            "ec2:DeregisterImage",
            image.clone(),
            json!({}),
        ),
        (
            "delete a customer volume",
            "ec2:DeleteVolume",
            volume.clone(),
            json!({}),
        ),
        (
            "attach a customer volume to an instance it controls",
            "ec2:AttachVolume",
            volume.clone(),
            json!({}),
        ),
        (
            "detach a customer volume",
            "ec2:DetachVolume",
            volume.clone(),
            json!({}),
        ),
        (
            "move an address off a customer instance",
            "ec2:DisassociateAddress",
            format!("arn:aws:ec2:us-east-1:{ACCT}:elastic-ip/eipalloc-0customer"),
            json!({}),
        ),
        (
            "pass an administrator role to EC2",
            "iam:PassRole",
            format!("arn:aws:iam::{ACCT}:role/Admin"),
            json!({"iam:PassedToService": "ec2.amazonaws.com"}),
        ),
        (
            "launch an instance as an administrator role",
            "ec2:RunInstances",
            format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-0new"),
            json!({"aws:RequestTag/vaultward.restore": "1", "ec2:InstanceProfile": format!("arn:aws:iam::{ACCT}:instance-profile/Admin")}),
        ),
        (
            "launch from another account's public image",
            "ec2:RunInstances",
            image.clone(),
            json!({"ec2:Owner": "amazon"}),
        ),
        (
            "launch from another account's image",
            "ec2:RunInstances",
            image.clone(),
            json!({"ec2:Owner": "444455556666"}),
        ),
        (
            "write a customer object's ACL",
            "s3:PutObjectAcl",
            object.clone(),
            own(json!({})),
        ),
        (
            "make a customer object public with a canned ACL",
            "s3:PutObject",
            object.clone(),
            own(json!({"s3:x-amz-acl": "public-read"})),
        ),
        (
            "make a customer object public with a grant",
            "s3:PutObject",
            object.clone(),
            own(
                json!({"s3:x-amz-grant-read": "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\""}),
            ),
        ),
        (
            "give an object's ACL away",
            "s3:PutObject",
            object.clone(),
            own(json!({"s3:x-amz-grant-full-control": "id=\"abc\""})),
        ),
        (
            "delete a customer object",
            "s3:DeleteObject",
            object.clone(),
            own(json!({})),
        ),
    ];
    nevers.push((
        "delete a customer object version",
        "s3:DeleteObjectVersion",
        object.clone(),
        own(json!({})),
    ));
    for p in every_combination() {
        let b = generate(&p).unwrap();
        let set = identity(&b);
        for (what, action, resource, ctx) in &nevers {
            let d = decide(&b, &set, action, resource, ctx.clone());
            assert_ne!(
                d,
                Decision::Allow,
                "the role for {:?} (restore {}, instance roles {:?}) can {what}",
                p.assets,
                p.restore,
                p.restore_instance_roles
            );
        }
        // The direct tag on any EC2 resource is an explicit Deny: no other policy opens it.
        if p.assets.contains(&AssetType::Ec2) {
            for r in [&snapshot, &image, &volume, &instance] {
                assert_eq!(
                    decide(&b, &set, "ec2:CreateTags", r, json!({})),
                    Decision::ExplicitDeny,
                    "{r}"
                );
            }
        }
    }
}

/// What the restore steps must still be able to do after the must-nevers: attach a
/// restored volume to the (unrestored) instance a restore request names, launch a
/// restored instance with the profile of a role the customer named, from an image of the
/// account, restore a table under the prefix and clean it up.
#[test]
fn restores_still_work_within_the_limits() {
    let p = Params {
        restore_instance_roles: vec!["web-app".into()],
        ..all_assets()
    };
    let b = generate(&p).unwrap();
    let set = identity(&b);
    let restored = json!({"aws:ResourceTag/vaultward.restore": "1"});
    for (what, action, resource, ctx) in [
        (
            "attach a restored volume",
            "ec2:AttachVolume",
            format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-0restored"),
            restored.clone(),
        ),
        (
            "to an instance the request names",
            "ec2:AttachVolume",
            format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-0customer"),
            json!({}),
        ),
        (
            "pass the named role",
            "iam:PassRole",
            format!("arn:aws:iam::{ACCT}:role/web-app"),
            json!({"iam:PassedToService": "ec2.amazonaws.com"}),
        ),
        (
            "launch with its profile",
            "ec2:RunInstances",
            format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-0new"),
            json!({"aws:RequestTag/vaultward.restore": "1", "ec2:InstanceProfile": format!("arn:aws:iam::{ACCT}:instance-profile/web-app")}),
        ),
        (
            "launch without a profile",
            "ec2:RunInstances",
            format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-0new"),
            json!({"aws:RequestTag/vaultward.restore": "1"}),
        ),
        (
            "from an image of the account",
            "ec2:RunInstances",
            "arn:aws:ec2:us-east-1::image/ami-0restored".to_string(),
            json!({"ec2:Owner": ACCT}),
        ),
        (
            "restore a table under the prefix",
            "dynamodb:RestoreTableFromBackup",
            format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/vaultward-restored-orders"),
            json!({}),
        ),
        (
            "from a backup of the table",
            "dynamodb:RestoreTableFromBackup",
            format!(
                "arn:aws:dynamodb:us-east-1:{ACCT}:table/orders/backup/01234567890123-abcdef01"
            ),
            json!({}),
        ),
        (
            "remove a failed restore's table",
            "dynamodb:DeleteTable",
            format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/vaultward-restored-orders"),
            json!({}),
        ),
        (
            "write an object back privately",
            "s3:PutObject",
            "arn:aws:s3:::customer-data/reports/q1.csv".to_string(),
            json!({"s3:ResourceAccount": ACCT, "s3:x-amz-acl": "bucket-owner-full-control"}),
        ),
    ] {
        assert_eq!(
            decide(&b, &set, action, &resource, ctx),
            Decision::Allow,
            "the restore cannot {what}"
        );
    }
}

/// EventBridge rules and S3 event notifications are regional (Amazon EventBridge User
/// Guide, "Amazon EventBridge rules": a rule matches events of its own Region; Amazon S3
/// User Guide, "Event notifications": the destination must be in the bucket's Region), so
/// `--regions` yields a topic and the rules in each region, each rule aimed at its own
/// region's topic or the vendor's bus of its region, and the CloudFormation template
/// creates each region's resources only in that region's stack, IAM only in the first's.
#[test]
fn every_region_gets_its_topic_and_rules() {
    let p = all_assets();
    let b = generate(&p).unwrap();
    let regions: Vec<&str> = b.topics.iter().map(|t| t.region.as_str()).collect();
    assert_eq!(regions, ["us-east-1", "eu-west-1"]);
    for t in &b.topics {
        assert!(t.arn.starts_with(&format!("arn:aws:sns:{}:", t.region)));
    }
    for region in ["us-east-1", "eu-west-1"] {
        let rules: Vec<_> = b.rules.iter().filter(|r| r.region == region).collect();
        assert_eq!(
            rules.len(),
            2,
            "{region}: inventory and continuous-backup rules"
        );
        for r in rules {
            let topic = b.topics.iter().find(|t| t.id == r.topic).unwrap();
            assert_eq!(topic.region, region);
            if let Some(bus) = &r.target_arn {
                assert!(bus.starts_with(&format!("arn:aws:events:{region}:{VENDOR}:")));
            }
        }
    }
    let cfn = vaultward_model::output::cloudformation(&b);
    assert_eq!(cfn["Resources"]["BackupRole"]["Condition"], "InUsEast1");
    assert_eq!(
        cfn["Resources"]["EventTopicEuWest1"]["Condition"],
        "InEuWest1"
    );
    assert_eq!(
        cfn["Conditions"]["InEuWest1"],
        json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]})
    );
    let tf = vaultward_model::output::terraform(&b);
    assert!(tf.contains(
        "resource \"aws_sns_topic\" \"event_topic_eu_west1\" {\n  provider = aws.eu_west_1"
    ));
    // One region: no conditions, no providers.
    let one = generate(&Params {
        regions: vec!["us-east-1".into()],
        ..all_assets()
    })
    .unwrap();
    assert_eq!(one.topics.len(), 1);
    assert!(vaultward_model::output::cloudformation(&one)
        .get("Conditions")
        .is_none());
}

/// The least-privilege must-nevers asked of the SMT comparison, for every principal,
/// resource and context at once rather than by samples: the generated role grants no
/// DynamoDB table delete, update or item write beyond the tables named with the restore
/// prefix, and (with no roles named) no `iam:PassRole` at all.
#[test]
fn compare_proves_the_dynamodb_and_passrole_limits_for_every_request() {
    use vaultward_analysis::{compare, Options, Outcome};
    let p = all_assets();
    let b = generate(&p).unwrap();
    let reference = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": format!("arn:aws:dynamodb:*:{ACCT}:table/vaultward-restored-*")}]}).to_string();
    for m in &b.policies {
        let mut opts = Options::new(PolicyKind::Identity);
        opts.only_actions = [
            "dynamodb:deletetable",
            "dynamodb:updatetable",
            "dynamodb:updatecontinuousbackups",
            "dynamodb:updatetimetolive",
            "dynamodb:putitem",
            "dynamodb:deleteitem",
            "dynamodb:tagresource",
        ]
        .map(String::from)
        .to_vec();
        let o = compare(&reference, &m.document.to_string(), &opts).unwrap();
        assert_eq!(o, Outcome::NoNewAccess, "{}: {o:?}", m.name);
        let mut opts = Options::new(PolicyKind::Identity);
        opts.only_actions = vec!["iam:passrole".into()];
        let nothing = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCT}:role/vaultward/VaultwardS3ContinuousBackupEventBridgeRole"), "Condition": {"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}}}]}).to_string();
        let o = compare(&nothing, &m.document.to_string(), &opts).unwrap();
        assert_eq!(o, Outcome::NoNewAccess, "{}: {o:?}", m.name);
        // Every construct of the generated policies is modelled: against itself no new
        // access is proved (not undecided), and widening a statement is found.
        let d = m.document.to_string();
        let opts = Options::new(PolicyKind::Identity);
        assert_eq!(
            compare(&d, &d, &opts).unwrap(),
            Outcome::NoNewAccess,
            "{}",
            m.name
        );
        let mut wide = m.document.clone();
        if let Some(st) = wide["Statement"]
            .as_array_mut()
            .and_then(|a| a.iter_mut().find(|s| s["Effect"] == "Allow"))
        {
            st["Action"] = json!("*");
            st["Resource"] = json!("*");
            st.as_object_mut().unwrap().remove("Condition");
        }
        assert!(
            matches!(
                compare(&d, &wide.to_string(), &opts).unwrap(),
                Outcome::NewAccess(_)
            ),
            "{}",
            m.name
        );
    }
}

/// The context a row's requests carry is the request-context model's: a global key, or a
/// condition key AWS's reference lists for the action or for the resource types it is
/// authorized on (Service Authorization Reference, through the catalog).
#[test]
fn every_context_key_of_the_table_is_one_the_action_carries() {
    let catalog = vaultward_catalog::catalog();
    let p = Params {
        restore_instance_roles: vec!["web-app".into()],
        support_role: true,
        ..all_assets()
    };
    let mut unknown = Vec::new();
    for g in TABLE {
        for n in g.needs {
            for r in n.sample_requests(&p, "us-east-1") {
                let (service, action) = catalog.action(r.action).unwrap();
                for (key, _) in &r.context {
                    let known = vaultward_catalog::global_key(key).is_some()
                        || action
                            .condition_keys
                            .iter()
                            .any(|k| vaultward_catalog::key_matches(k, key))
                        || action.resource_types.iter().any(|rt| {
                            service.resource_type(rt.name).is_some_and(|t| {
                                t.condition_keys
                                    .iter()
                                    .any(|k| vaultward_catalog::key_matches(k, key))
                            })
                        });
                    if !known {
                        unknown.push(format!("{}: `{key}` on {}", g.sid, r.action));
                    }
                }
            }
        }
    }
    assert!(unknown.is_empty(), "{unknown:#?}");
}
