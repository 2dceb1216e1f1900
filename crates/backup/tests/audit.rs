//! `vaultward audit`: each path class has a role that opens it and one that does not;
//! paths are confirmed by the engine (an SCP that denies the step closes the path, a
//! pattern match alone never reports one); the generated role, for every asset
//! combination, audits clean.
//!
//! Sources: Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation"
//! (PassRole with ec2:RunInstances / lambda:CreateFunction, CreatePolicyVersion,
//! AttachRolePolicy, CreateAccessKey, UpdateAssumeRolePolicy); Cloudsplaining's
//! ResourceExposure and DataExfiltration categories; IAM User Guide, "Controlling access
//! to AWS resources using tags" (a tag the principal may set grants what it gates);
//! policy evaluation: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use vaultward_backup::audit::{audit, sarif, Audit, PathClass, Verdict};
use vaultward_backup::{RequestFacts, Snapshot};
use vaultward_model::{generate, AssetType, Params};

const ACCT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/audited";
const ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The account: the audited role with `statements` inline, an operator role the account
/// may assume (it can rewrite bucket policies), an administrator role that EC2, Lambda and
/// CloudFormation may assume (in an instance profile not named after it), a user, a group,
/// a customer managed policy, a bucket, a table, an instance, and `scps` as the
/// organization's second SCP level.
fn account(statements: Value, scps: Value) -> Value {
    let admin_trust = doc(
        json!([{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com", "cloudformation.amazonaws.com"]}, "Action": "sts:AssumeRole"}]),
    );
    let vendor_trust = doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:role/ControlPlane"}, "Action": "sts:AssumeRole"}]),
    );
    let root = json!([{"name": "FullAWSAccess", "document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}]);
    // An SCP level with no policy allows nothing: add the second level only when given.
    let levels = if scps.as_array().is_some_and(|a| a.is_empty()) {
        json!([root])
    } else {
        json!([root, scps])
    };
    json!({
        "account_id": ACCT,
        "organization": {"scps": levels, "rcps": [[]]},
        "iam": {
            "UserDetailList": [{"UserName": "alice", "Arn": format!("arn:aws:iam::{ACCT}:user/alice")}],
            "GroupDetailList": [{"GroupName": "ops", "Arn": format!("arn:aws:iam::{ACCT}:group/ops")}],
            "RoleDetailList": [
                {"RoleName": "audited", "Arn": ROLE, "Path": "/", "AssumeRolePolicyDocument": vendor_trust,
                 "RolePolicyList": [{"PolicyName": "under-audit", "PolicyDocument": doc(statements)}],
                 "AttachedManagedPolicies": [], "InstanceProfileList": []},
                {"RoleName": "Ops", "Arn": format!("arn:aws:iam::{ACCT}:role/Ops"), "Path": "/",
                 "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole"}])),
                 "RolePolicyList": [{"PolicyName": "ops", "PolicyDocument": doc(json!([{"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::data"}]))}],
                 "AttachedManagedPolicies": [], "InstanceProfileList": []},
                {"RoleName": "Admin", "Arn": ADMIN, "Path": "/", "AssumeRolePolicyDocument": admin_trust,
                 "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}],
                 "AttachedManagedPolicies": [],
                 "InstanceProfileList": [{"InstanceProfileName": "web-tier", "Arn": format!("arn:aws:iam::{ACCT}:instance-profile/web-tier"), "Roles": []}]}
            ],
            "Policies": [{"PolicyName": "ops", "Arn": format!("arn:aws:iam::{ACCT}:policy/ops"), "Path": "/", "DefaultVersionId": "v1",
                          "PolicyVersionList": [{"Document": doc(json!([{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}])), "VersionId": "v1", "IsDefaultVersion": true}]}]
        },
        "buckets": [{"name": "data", "region": "us-east-1", "policy": null, "ownership": "BucketOwnerEnforced", "objects": []}],
        "kms_keys": [],
        "dynamodb_tables": [{"arn": format!("arn:aws:dynamodb:us-east-1:{ACCT}:table/orders"), "tags": {"team": "sales"}}],
        "ec2_instances": [{"arn": format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-0prod"), "tags": {}}],
        "ebs_volumes": [],
        "backup_vaults": []
    })
}

fn run(v: &Value, role: &str) -> Audit {
    let s = Snapshot::from_json("audit-test", &v.to_string()).unwrap();
    audit(&s, role, &RequestFacts::default()).unwrap()
}

fn codes(a: &Audit, class: PathClass) -> Vec<String> {
    a.paths
        .iter()
        .filter(|p| p.class == class)
        .map(|p| p.code.clone())
        .collect()
}

/// (class, the code it must report, a role that opens it, a role that does not)
fn cases() -> Vec<(PathClass, &'static str, Value, Value)> {
    vec![
        (
            PathClass::AssumeRole,
            "assume-role",
            json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]),
            // The chained role's trust policy does not name the audited role.
            json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ADMIN}]),
        ),
        (
            PathClass::CodeInjection,
            "lambda-update-code",
            json!([{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode", "Resource": "*"}]),
            json!([{"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "*"}]),
        ),
        (
            PathClass::PassRole,
            "passrole-ec2",
            json!([{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]),
            // PassRole only to EventBridge: the admin role cannot be handed to EC2.
            json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": {"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}}},
                   {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]),
        ),
        (
            PathClass::PassRole,
            "passrole-lambda",
            json!([{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]),
            // Creating functions without invoking them, or passing roles to no one.
            json!([{"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]),
        ),
        (
            PathClass::IamWrite,
            "iam-create-policy-version",
            json!([{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": format!("arn:aws:iam::{ACCT}:policy/*")}]),
            json!([{"Effect": "Allow", "Action": ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicies"], "Resource": "*"}]),
        ),
        (
            PathClass::IamWrite,
            "iam-attach-policy",
            json!([{"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": ROLE}]),
            json!([{"Effect": "Allow", "Action": "iam:ListAttachedRolePolicies", "Resource": ROLE}]),
        ),
        (
            PathClass::IamWrite,
            "iam-create-access-key",
            json!([{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": format!("arn:aws:iam::{ACCT}:user/*")}]),
            json!([{"Effect": "Allow", "Action": "iam:ListAccessKeys", "Resource": format!("arn:aws:iam::{ACCT}:user/*")}]),
        ),
        (
            PathClass::IamWrite,
            "iam-update-trust-policy",
            json!([{"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", "Resource": ADMIN}]),
            json!([{"Effect": "Allow", "Action": "iam:GetRole", "Resource": ADMIN}]),
        ),
        (
            PathClass::TagThenAct,
            "tag-then-act",
            // The seed's shape: tag any table, delete tables carrying the tag.
            json!([{"Effect": "Allow", "Action": "dynamodb:TagResource", "Resource": format!("arn:aws:dynamodb:*:{ACCT}:table/*")},
                   {"Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": format!("arn:aws:dynamodb:*:{ACCT}:table/*"), "Condition": {"StringLike": {"aws:ResourceTag/restore": "*"}}}]),
            // EC2's way: tags only inside a create action, so an existing instance cannot
            // be marked, and terminating is gated by the mark.
            json!([{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {"StringEquals": {"ec2:CreateAction": "RunInstances"}}},
                   {"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {"Null": {"ec2:CreateAction": "true"}}},
                   {"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": format!("arn:aws:ec2:*:{ACCT}:instance/*"), "Condition": {"StringLike": {"aws:ResourceTag/restore": "*"}}}]),
        ),
        (
            PathClass::ResourcePolicyWrite,
            "bucket-policy-write",
            json!([{"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "*"}]),
            json!([{"Effect": "Allow", "Action": "s3:GetBucketPolicy", "Resource": "*"}]),
        ),
        (
            PathClass::PublicExposure,
            "s3-object-acl",
            json!([{"Effect": "Allow", "Action": "s3:PutObjectAcl", "Resource": "arn:aws:s3:::*/*"}]),
            json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*/*",
                    "Condition": {"StringEqualsIfExists": {"s3:x-amz-acl": "private"},
                                  "Null": {"s3:x-amz-grant-read": "true", "s3:x-amz-grant-full-control": "true", "s3:x-amz-grant-read-acp": "true", "s3:x-amz-grant-write-acp": "true"}}}]),
        ),
        (
            PathClass::PublicExposure,
            "s3-public-upload",
            json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::*/*"}]),
            json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/*"}]),
        ),
        (
            PathClass::KmsAbuse,
            "kms-grant-to-anyone",
            json!([{"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": format!("arn:aws:kms:*:{ACCT}:key/*")}]),
            json!([{"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": format!("arn:aws:kms:*:{ACCT}:key/*"), "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}]),
        ),
        (
            PathClass::SecretsRead,
            "secrets-read",
            json!([{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]),
            json!([{"Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"}]),
        ),
        (
            PathClass::DataDestruction,
            "data-destruction",
            json!([{"Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": format!("arn:aws:dynamodb:*:{ACCT}:table/*")}]),
            json!([{"Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": format!("arn:aws:dynamodb:*:{ACCT}:table/vaultward-restored-*")}]),
        ),
    ]
}

#[test]
fn every_path_class_is_found_where_open_and_only_there() {
    for (class, code, has, has_not) in cases() {
        let a = run(&account(has, json!([])), ROLE);
        // Which role existing compute runs as is not in this snapshot: possible (exit 3).
        let want = if class == PathClass::CodeInjection {
            Verdict::Unknown
        } else {
            Verdict::Paths
        };
        assert_eq!(a.verdict, want, "{code}: {a:#?}");
        assert!(
            codes(&a, class).iter().any(|c| c == code),
            "{code} not found: {:?}",
            a.paths.iter().map(|p| &p.code).collect::<Vec<_>>()
        );
        // Every step of every path is an allowed request, with the statement allowing it:
        // the audited role's own steps by its policy, a later hop's by that role's.
        for p in &a.paths {
            assert!(!p.steps.is_empty());
            for s in &p.steps {
                let own = s.principal.is_none();
                assert!(
                    !s.allowed_by.is_empty()
                        && (!own
                            || s.allowed_by
                                .iter()
                                .any(|r| r.contains("under-audit") || r.contains("trust policy"))),
                    "{code}: step {} not attributed: {:?}",
                    s.action,
                    s.allowed_by
                );
            }
        }
        let b = run(&account(has_not, json!([])), ROLE);
        assert!(
            codes(&b, class).is_empty(),
            "{code}: the role that does not open it reports {:?}",
            b.paths
        );
    }
}

/// A path is what the engine allows, not what a statement says: an SCP denying the decisive
/// step closes it.
#[test]
fn an_scp_that_denies_the_step_closes_the_path() {
    let open = json!([{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances", "iam:CreatePolicyVersion"], "Resource": "*"}]);
    let a = run(&account(open.clone(), json!([])), ROLE);
    assert!(!codes(&a, PathClass::PassRole).is_empty());
    assert!(!codes(&a, PathClass::IamWrite).is_empty());
    let deny_iam = json!([{"name": "NoIam", "document": doc(json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]))}]);
    let b = run(&account(open, deny_iam), ROLE);
    assert!(codes(&b, PathClass::PassRole).is_empty(), "{:?}", b.paths);
    assert!(codes(&b, PathClass::IamWrite).is_empty(), "{:?}", b.paths);
    assert_eq!(b.verdict, Verdict::Clean);
}

/// A trust policy that names the role itself grants on its own in the same account: the
/// path exists with no identity permission at all (IAM User Guide, "Policy evaluation
/// logic", resource-based policies: a grant to the principal's ARN in the same account
/// needs no identity-based Allow). A pattern match on the role's own policies misses it.
#[test]
fn a_trust_policy_naming_the_role_opens_a_path_without_any_identity_grant() {
    let mut v = account(
        json!([{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]),
        json!([]),
    );
    v["iam"]["RoleDetailList"][1]["AssumeRolePolicyDocument"] =
        doc(json!([{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"}]));
    let a = run(&v, ROLE);
    let p = a
        .paths
        .iter()
        .find(|p| p.class == PathClass::AssumeRole)
        .expect("the chained role");
    assert!(p.target.ends_with("role/Ops"));
    // The chain ends in what Ops opens, as Ops.
    let end = p.reaches.as_ref().expect("what the chain reaches");
    assert_eq!(end.code, "bucket-policy-write");
    assert!(p
        .steps
        .iter()
        .any(|s| s.principal.as_deref() == Some(p.target.as_str())));
    assert!(
        p.steps[0]
            .allowed_by
            .iter()
            .all(|r| r.contains("trust policy")),
        "{:?}",
        p.steps
    );
}

/// A role whose policies cannot all be read is never clean: a path could hide there.
#[test]
fn an_unreadable_policy_makes_the_audit_unknown() {
    let mut v = account(
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
        json!([]),
    );
    v["iam"]["RoleDetailList"][0]["AttachedManagedPolicies"] =
        json!([{"PolicyName": "gone", "PolicyArn": format!("arn:aws:iam::{ACCT}:policy/gone")}]);
    let a = run(&v, ROLE);
    assert_eq!(a.verdict, Verdict::Unknown);
    assert_eq!(a.verdict.exit_code(), 3);
    assert!(
        a.unknown.iter().any(|u| u.contains("gone")),
        "{:?}",
        a.unknown
    );
}

#[test]
fn a_role_not_in_the_export_is_bad_input() {
    let s = Snapshot::from_json("t", &account(json!([]), json!([])).to_string()).unwrap();
    assert!(audit(
        &s,
        "arn:aws:iam::111122223333:role/nobody",
        &RequestFacts::default()
    )
    .is_err());
}

/// The account with the generated bundle deployed (as `tools/make-demo-account.py` lays
/// it out), beside the administrator role and resources of [`account`].
fn with_bundle(p: &Params) -> (Value, String) {
    let b = generate(p).unwrap();
    let mut v = account(json!([]), json!([]));
    let roles = v["iam"]["RoleDetailList"].as_array_mut().unwrap();
    for r in &b.roles {
        roles.push(json!({
            "RoleName": r.name, "Arn": r.arn, "Path": r.path,
            "AssumeRolePolicyDocument": r.trust_policy,
            "RolePolicyList": r.inline_policies.iter().map(|i| json!({"PolicyName": i.name, "PolicyDocument": i.document})).collect::<Vec<_>>(),
            "AttachedManagedPolicies": b.policies.iter().filter(|m| r.managed_policies.contains(&m.id)).map(|m| json!({"PolicyName": m.name, "PolicyArn": m.arn})).collect::<Vec<_>>(),
        }));
    }
    let policies = v["iam"]["Policies"].as_array_mut().unwrap();
    for m in &b.policies {
        policies.push(json!({"PolicyName": m.name, "Arn": m.arn, "Path": m.path, "DefaultVersionId": "v1",
            "PolicyVersionList": [{"Document": m.document, "VersionId": "v1", "IsDefaultVersion": true}]}));
    }
    (v, p.role_arn())
}

#[test]
fn the_generated_role_audits_clean_for_every_asset_combination() {
    use AssetType::*;
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
                let p = Params {
                    assets: assets.iter().copied().collect(),
                    restore,
                    continuous_s3: assets.contains(&S3),
                    support_role: true,
                    restore_instance_roles: roles,
                    account: ACCT.into(),
                    vendor_account: "999988887777".into(),
                    external_id: "ext-42".into(),
                    ..Params::default()
                };
                let (v, role) = with_bundle(&p);
                let a = run(&v, &role);
                assert_eq!(
                    a.verdict,
                    Verdict::Clean,
                    "{assets:?} restore {restore}: {:#?}",
                    a.paths
                );
            }
        }
    }
}

/// The audit reports for the role's own request only what the role opens: the
/// administrator role in the same account has every path, and the report says so.
#[test]
fn an_administrator_has_every_class_of_path() {
    let a = run(&account(json!([]), json!([])), ADMIN);
    for class in [
        PathClass::CodeInjection,
        PathClass::IamWrite,
        PathClass::TagThenAct,
        PathClass::ResourcePolicyWrite,
        PathClass::PublicExposure,
        PathClass::KmsAbuse,
        PathClass::SecretsRead,
        PathClass::DataDestruction,
    ] {
        // Tag-then-act needs a tag-gated Allow; the administrator's policy has none.
        if class == PathClass::TagThenAct {
            assert!(codes(&a, class).is_empty());
            continue;
        }
        assert!(!codes(&a, class).is_empty(), "{class:?}");
    }
    let s = sarif(&a, "account.json", None);
    assert_eq!(s["version"], "2.1.0");
    let loc = &s["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "account.json");
    assert_eq!(loc["region"]["startLine"], 1);
    assert_eq!(
        s["runs"][0]["results"].as_array().unwrap().len(),
        a.paths.len()
    );
}

/// Time keys are never absent (issue 25): every role session carries
/// `aws:TokenIssueTime`, within its maximum duration (12 hours) before the request, and
/// every request `aws:CurrentTime` ("AWS global condition context keys",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-tokenissuetime).
/// A grant under a date condition far from now is a confirmed path; one that depends on
/// a value the snapshot lacks is possible, and the audit is never clean (exit 3).
#[test]
fn time_keys_are_never_absent_and_unknowns_are_never_clean() {
    let grant = |cond: Value| json!([{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": cond}]);
    for cond in [
        json!({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}),
        json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
    ] {
        let a = run(&account(grant(cond.clone()), json!([])), ROLE);
        assert_eq!(a.verdict, Verdict::Paths, "{cond}");
        assert!(
            codes(&a, PathClass::IamWrite)
                .iter()
                .any(|c| c.contains("policy-version")),
            "{cond}"
        );
    }
    // Allowed only from an address the snapshot does not know: possible, exit 3.
    let a = run(
        &account(
            grant(json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),
            json!([]),
        ),
        ROLE,
    );
    assert_eq!(a.verdict, Verdict::Unknown);
    assert_eq!(a.verdict.exit_code(), 3);
    let p = a
        .paths
        .iter()
        .find(|p| p.possible)
        .expect("a possible path");
    assert!(p.steps.iter().any(|s| s
        .depends_on
        .as_deref()
        .is_some_and(|d| d.contains("aws:SourceIp"))));
    // With the address given, decided.
    let s = Snapshot::from_json(
        "audit-test",
        &account(
            grant(json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})),
            json!([]),
        )
        .to_string(),
    )
    .unwrap();
    let facts = RequestFacts {
        context: vec![(
            "aws:SourceIp".into(),
            vaultward_iam::ContextValue::Single("198.51.100.1".into()),
        )],
        ..RequestFacts::default()
    };
    let a = audit(&s, ROLE, &facts).unwrap();
    assert!(
        a.paths.iter().all(|p| !p.code.contains("policy-version")),
        "{:?}",
        a.paths
    );
}
