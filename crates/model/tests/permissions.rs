//! The generated permissions file, checked with the engine rather than by string compares:
//! every grant is sufficient for its operation, and the things the service must never do
//! are denied. Evaluation rules: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use serde_json::{json, Value};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request, Severity,
};
use vaultward_model::policies::Operation;
use vaultward_model::{generate, policies as model, AssetType, Bundle, Params};

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

#[test]
fn every_grant_allows_its_operation() {
    for p in [
        all_assets(),
        params(&[AssetType::S3]),
        params(&[AssetType::Ec2]),
        Params {
            restore: false,
            ..all_assets()
        },
    ] {
        let b = generate(&p).unwrap();
        let set = identity(&b);
        let mut checked = 0;
        for spec in model::policies(&p) {
            for g in spec.grants.iter().filter(|g| g.allow) {
                let sample = g.sample.as_ref().unwrap();
                for action in &g.actions {
                    let d = decide(&b, &set, action, &sample.resource, sample.context.clone());
                    assert_eq!(
                        d,
                        Decision::Allow,
                        "{} / {}: {action} on {}",
                        spec.name,
                        g.sid,
                        sample.resource
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 20, "{checked}");
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
fn no_statement_is_duplicated_or_unreachable_and_policies_fit_aws_limits() {
    let p = all_assets();
    let b = generate(&p).unwrap();
    let set = identity(&b);
    let mut seen = BTreeSet::new();
    for spec in model::policies(&p) {
        for g in &spec.grants {
            let key = serde_json::to_string(&json!([g.allow, g.actions, g.resources, g.condition]))
                .unwrap();
            assert!(
                seen.insert(key),
                "{} duplicates an earlier statement",
                g.sid
            );
            // Reachable: each Allow decides its own sample (checked above), and the sample
            // is allowed *by this statement* among the deciding ones.
            if let Some(s) = &g.sample {
                let session = format!("arn:aws:sts::{ACCT}:assumed-role/{}/x", p.role_name());
                let req = Request::new(
                    &session,
                    g.actions[0],
                    &s.resource,
                    Some(ACCT),
                    context(&p.role_arn(), &s.context),
                )
                .unwrap();
                let r = authorize(&req, &with_key_policy(&set, &s.resource));
                assert!(
                    r.reasons
                        .iter()
                        .any(|r| r.statement.as_deref() == Some(g.sid.as_str())),
                    "{} is never what allows its sample: {r:?}",
                    g.sid
                );
            }
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
    assert!(model::policies(&p)
        .iter()
        .flat_map(|s| &s.grants)
        .any(|g| g.operation == Operation::ContinuousBackup));
}

/// A sample ARN for a step's target, with the context keys the check adds for it.
fn step_request(
    step: &vaultward_model::operations::Step,
    names: &vaultward_model::operations::Names,
) -> (String, Value) {
    use vaultward_model::operations::{Subject, Target};
    let region = "us-east-1";
    let (resource, name) = match step.subject {
        Subject::Bucket => ("arn:aws:s3:::customer-data".to_string(), "customer-data"),
        Subject::Table => (
            format!("arn:aws:dynamodb:{region}:{ACCT}:table/orders"),
            "orders",
        ),
        Subject::Volume => (
            format!("arn:aws:ec2:{region}:{ACCT}:volume/vol-0123456789abcdef0"),
            "vol-0123456789abcdef0",
        ),
        Subject::Instance => (
            format!("arn:aws:ec2:{region}:{ACCT}:instance/i-0123456789abcdef0"),
            "i-0123456789abcdef0",
        ),
        Subject::Vault => (
            format!("arn:aws:backup:{region}:{ACCT}:backup-vault:main"),
            "main",
        ),
    };
    let fill = [
        ("region", region),
        ("account", ACCT),
        ("resource", resource.as_str()),
        ("resource_name", name),
    ];
    let mut ctx = serde_json::Map::new();
    for (k, v) in step.context {
        ctx.insert(names.fill(k, &fill), json!(names.fill(v, &fill)));
    }
    let arn = match step.target {
        Target::Resource => resource.clone(),
        Target::Objects => format!("{resource}/reports/2026/q1.csv"),
        Target::Key => {
            ctx.insert(
                "kms:ViaService".into(),
                json!(format!("{}.{region}.amazonaws.com", step.subject.service())),
            );
            ctx.insert("kms:CallerAccount".into(), json!(ACCT));
            format!("arn:aws:kms:{region}:{ACCT}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
        }
        Target::Arn(t) | Target::Vendor(t) => names.fill(t, &fill),
    };
    if step.action.starts_with("s3:") {
        let owner = if matches!(step.target, Target::Vendor(_)) {
            VENDOR
        } else {
            ACCT
        };
        ctx.insert("s3:ResourceAccount".into(), json!(owner));
    }
    (arn, Value::Object(ctx))
}

/// The operations' steps ([`vaultward_model::operations`]) are what `check` evaluates; the
/// permission model is what `permissions` generates. They must agree both ways: every
/// step is allowed by the generated role (else the check blocks a role we generated), and
/// every action the Backup, Restore, ContinuousBackup and Kms grants name is some step's
/// (else the role holds a permission no operation uses).
#[test]
fn the_generated_role_allows_every_step_and_grants_no_action_no_step_uses() {
    // Without roles named for restored instances (no PassRole at all), and with one.
    for roles in [vec![], vec!["web-app".to_string()]] {
        let p = Params {
            restore_instance_roles: roles,
            ..all_assets()
        };
        steps_and_grants_agree(&p);
    }
}

fn steps_and_grants_agree(p: &Params) {
    use vaultward_model::operations::{Names, When, STEPS};
    let b = generate(p).unwrap();
    let set = identity(&b);
    let names = Names::from(p);
    let mut denied = Vec::new();
    let applies = |s: &vaultward_model::operations::Step| {
        s.when != When::InstanceRoles || names.restore_instance_role.is_some()
    };
    for step in STEPS.iter().filter(|s| applies(s)) {
        let (arn, ctx) = step_request(step, &names);
        if decide(&b, &set, step.action, &arn, ctx.clone()) != Decision::Allow {
            denied.push(format!(
                "{:?} {:?}: {} on {arn} with {ctx}",
                step.subject, step.op, step.action
            ));
        }
    }
    assert!(
        denied.is_empty(),
        "steps the generated role does not allow:\n{}",
        denied.join("\n")
    );

    let used: BTreeSet<&str> = STEPS
        .iter()
        .filter(|s| applies(s))
        .map(|s| s.action)
        .collect();
    let unused: BTreeSet<&str> = model::policies(p)
        .iter()
        .flat_map(|spec| spec.grants.iter())
        .filter(|g| {
            g.allow
                && matches!(
                    g.operation,
                    Operation::Backup
                        | Operation::Restore
                        | Operation::ContinuousBackup
                        | Operation::Kms
                )
        })
        .flat_map(|g| g.actions.iter().copied())
        .filter(|a| !used.contains(a))
        .collect();
    assert!(
        unused.is_empty(),
        "granted actions no operation step uses: {unused:?}"
    );
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
