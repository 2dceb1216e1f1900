//! `vaultward audit` follows chains to their end and reads the account's real facts:
//! assuming or passing a role is a path only when that role opens one (hop by hop, with
//! the engine, cycles cut); a deleted role ends nothing; instance profiles come from the
//! export's `InstanceProfileList`; `iam:SetDefaultPolicyVersion` is a path only when a
//! non-default version of the export grants more; compute the snapshot does not list
//! makes a path possible (exit 3), never clean.
//!
//! Sources: trust policies and role chaining, "Methods to assume a role"
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html);
//! instance profiles, "Use instance profiles"
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html)
//! and `ec2:InstanceProfile`
//! (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html);
//! GetAccountAuthorizationDetails' `InstanceProfileList` and `PolicyVersionList`
//! (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html);
//! policy versions, "Versioning IAM policies"
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use vaultward_backup::audit::{audit, render_human, Audit, Verdict};
use vaultward_backup::{RequestFacts, Snapshot};

const ACCT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/audited";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:role/{name}")
}

/// A role of the export: its name, trust statements, inline statements, profiles.
fn role(name: &str, trust: Value, statements: Value, profiles: Value) -> Value {
    json!({"RoleName": name, "Arn": arn(name), "Path": "/",
           "AssumeRolePolicyDocument": doc(trust),
           "RolePolicyList": [{"PolicyName": format!("{name}-policy"), "PolicyDocument": doc(statements)}],
           "AttachedManagedPolicies": [], "InstanceProfileList": profiles})
}

/// A trust that lets `who` (role names of the account) assume the role.
fn trusting(who: &[&str]) -> Value {
    let arns: Vec<String> = who.iter().map(|w| arn(w)).collect();
    json!([{"Effect": "Allow", "Principal": {"AWS": arns}, "Action": "sts:AssumeRole"}])
}

fn service_trust(service: &str) -> Value {
    json!([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])
}

fn admin() -> Value {
    json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
}

/// The account: the audited role with `statements`, then `roles`, and `policies`.
fn account(statements: Value, roles: Vec<Value>, policies: Value) -> Value {
    let mut all = vec![role(
        "audited",
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}]),
        statements,
        json!([]),
    )];
    all.extend(roles);
    json!({
        "account_id": ACCT,
        "organization": {"scps": [[{"name": "FullAWSAccess", "document": doc(admin())}]], "rcps": [[]]},
        "iam": {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": all, "Policies": policies},
        "buckets": [], "kms_keys": [], "dynamodb_tables": [], "ec2_instances": [], "ebs_volumes": [], "backup_vaults": []
    })
}

fn run(v: &Value) -> Audit {
    let s = Snapshot::from_json("audit-chains", &v.to_string()).unwrap();
    audit(&s, ROLE, &RequestFacts::default()).unwrap()
}

fn assume(target: &str) -> Value {
    json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": arn(target)})
}

/// Two hops to the administrator: each hop, with the statement that allows it, then
/// what the last role opens, as that role.
#[test]
fn a_chain_is_reported_with_every_hop_to_its_end() {
    let v = account(
        json!([assume("Jump")]),
        vec![
            role(
                "Jump",
                trusting(&["audited"]),
                json!([assume("Admin")]),
                json!([]),
            ),
            role("Admin", trusting(&["Jump"]), admin(), json!([])),
        ],
        json!([]),
    );
    let a = run(&v);
    assert_eq!(a.verdict, Verdict::Paths, "{:#?}", a.paths);
    let p = a
        .paths
        .iter()
        .find(|p| p.code == "assume-role")
        .expect("the chain");
    let hops: Vec<(&str, &str)> = p
        .chain
        .iter()
        .map(|h| (h.from.as_str(), h.to.as_str()))
        .collect();
    assert_eq!(
        hops,
        vec![
            (ROLE, arn("Jump").as_str()),
            (arn("Jump").as_str(), arn("Admin").as_str())
        ]
    );
    assert_eq!(p.target, arn("Jump"));
    // First hop by the audited role's own statement, the second by Jump's.
    assert_eq!(p.steps[0].action, "sts:AssumeRole");
    assert!(p.steps[0].principal.is_none());
    assert!(
        p.steps[0]
            .allowed_by
            .iter()
            .any(|r| r.contains("audited-policy")),
        "{:?}",
        p.steps[0]
    );
    assert_eq!(p.steps[1].principal.as_deref(), Some(arn("Jump").as_str()));
    assert!(
        p.steps[1]
            .allowed_by
            .iter()
            .any(|r| r.contains("Jump-policy")),
        "{:?}",
        p.steps[1]
    );
    // The end: a path of Admin's, its steps made as Admin.
    let end = p.reaches.as_ref().unwrap();
    assert_eq!(end.role, arn("Admin"));
    assert!(end.more > 0);
    assert!(p.steps[2..]
        .iter()
        .all(|s| s.principal.as_deref() == Some(arn("Admin").as_str())));
    let text = render_human(&a);
    assert!(
        text.contains("hop [assume-role]") && text.contains("reaches:"),
        "{text}"
    );
}

/// Assuming a role that grants nothing of consequence, or one whose own hops lead only
/// back (a cycle), opens nothing: the audit is clean, and it ends.
#[test]
fn a_role_that_grants_nothing_and_a_cycle_are_clean() {
    let v = account(
        json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]),
        vec![
            role(
                "Empty",
                trusting(&["audited"]),
                json!([{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]),
                json!([]),
            ),
            role(
                "A",
                trusting(&["audited", "B"]),
                json!([assume("B")]),
                json!([]),
            ),
            role(
                "B",
                trusting(&["A"]),
                json!([assume("A"), assume("audited")]),
                json!([]),
            ),
        ],
        json!([]),
    );
    let a = run(&v);
    assert_eq!(a.verdict, Verdict::Clean, "{:#?}", a.paths);
}

/// A role allowed to assume an administrator role that the export no longer holds
/// (deleted) reaches nothing; the same account with the role present does.
#[test]
fn a_chain_to_a_deleted_admin_role_is_not_reported() {
    let statements = json!([assume("Admin")]);
    let gone = account(statements.clone(), vec![], json!([]));
    assert_eq!(run(&gone).verdict, Verdict::Clean);
    let present = account(
        statements,
        vec![role("Admin", trusting(&["audited"]), admin(), json!([]))],
        json!([]),
    );
    assert_eq!(run(&present).verdict, Verdict::Paths);
}

/// PassRole then AssumeRole: the function's role can assume the administrator.
#[test]
fn a_chain_mixes_methods() {
    let v = account(
        json!([{"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}]),
        vec![
            role(
                "Fn",
                service_trust("lambda.amazonaws.com"),
                json!([assume("Admin")]),
                json!([]),
            ),
            role("Admin", trusting(&["Fn"]), admin(), json!([])),
        ],
        json!([]),
    );
    let a = run(&v);
    let p = a
        .paths
        .iter()
        .find(|p| p.code == "passrole-lambda")
        .expect("the chain");
    let codes: Vec<&str> = p.chain.iter().map(|h| h.code.as_str()).collect();
    assert_eq!(codes, ["passrole-lambda", "assume-role"]);
    assert_eq!(p.reaches.as_ref().unwrap().role, arn("Admin"));
}

/// The chain's end depends on a value the snapshot lacks: the chain is possible.
#[test]
fn a_chain_to_a_possible_path_is_possible() {
    let v = account(
        json!([assume("Ops")]),
        vec![role(
            "Ops",
            trusting(&["audited"]),
            json!([{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]),
            json!([]),
        )],
        json!([]),
    );
    let a = run(&v);
    assert_eq!(a.verdict, Verdict::Unknown, "{:#?}", a.paths);
    assert!(a.paths.iter().all(|p| p.possible));
}

fn ec2_role(profiles: Value) -> Value {
    role("Web", service_trust("ec2.amazonaws.com"), admin(), profiles)
}

fn profile(name: &str) -> Value {
    json!([{"InstanceProfileName": name, "Arn": format!("arn:aws:iam::{ACCT}:instance-profile/{name}"), "Roles": []}])
}

fn run_instances(profile_arn: &str) -> Value {
    json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn("Web")},
           {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
            "Condition": {"ArnEquals": {"ec2:InstanceProfile": profile_arn}}}])
}

/// RunInstances limited to the real instance profile (named otherwise than the role) is
/// found; limited to a profile the role is not in, it is not.
#[test]
fn instance_profiles_come_from_the_export() {
    let real = format!("arn:aws:iam::{ACCT}:instance-profile/web-tier");
    let a = run(&account(
        run_instances(&real),
        vec![ec2_role(profile("web-tier"))],
        json!([]),
    ));
    let p = a
        .paths
        .iter()
        .find(|p| p.code == "passrole-ec2")
        .expect("passrole-ec2");
    assert!(!p.possible);
    let launch = p
        .steps
        .iter()
        .find(|s| s.action == "ec2:RunInstances")
        .unwrap();
    assert_eq!(launch.context.get("ec2:InstanceProfile"), Some(&real));
    let b = run(&account(
        run_instances(&format!("arn:aws:iam::{ACCT}:instance-profile/Web")),
        vec![ec2_role(profile("web-tier"))],
        json!([]),
    ));
    assert!(
        b.paths.iter().all(|p| p.code != "passrole-ec2"),
        "{:#?}",
        b.paths
    );
}

/// A role in no instance profile can be launched only after putting it in one.
#[test]
fn a_role_in_no_profile_needs_one_created() {
    let pass = json!([{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]);
    let a = run(&account(pass.clone(), vec![ec2_role(json!([]))], json!([])));
    assert!(
        a.paths.iter().all(|p| p.code != "passrole-ec2"),
        "{:#?}",
        a.paths
    );
    let mut more = pass.as_array().unwrap().clone();
    more.push(json!({"Effect": "Allow", "Action": ["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"], "Resource": "*"}));
    let b = run(&account(
        Value::Array(more),
        vec![ec2_role(json!([]))],
        json!([]),
    ));
    let p = b
        .paths
        .iter()
        .find(|p| p.code == "passrole-ec2")
        .expect("passrole-ec2");
    assert!(p
        .steps
        .iter()
        .any(|s| s.action == "iam:AddRoleToInstanceProfile"));
    // An export without the list: a guess, so possible.
    let mut v = account(pass, vec![ec2_role(json!([]))], json!([]));
    v["iam"]["RoleDetailList"][1]
        .as_object_mut()
        .unwrap()
        .remove("InstanceProfileList");
    let c = run(&v);
    let p = c
        .paths
        .iter()
        .find(|p| p.code == "passrole-ec2")
        .expect("passrole-ec2");
    assert!(
        p.possible
            && p.depends_on
                .iter()
                .any(|d| d.contains("InstanceProfileList")),
        "{p:#?}"
    );
}

fn policy(versions: &[(&str, Value, bool)]) -> Value {
    let list: Vec<Value> = versions
        .iter()
        .map(|(id, d, default)| json!({"VersionId": id, "Document": doc(d.clone()), "IsDefaultVersion": default}))
        .collect();
    let default = versions.iter().find(|v| v.2).map(|v| v.0).unwrap();
    json!([{"PolicyName": "app", "Arn": format!("arn:aws:iam::{ACCT}:policy/app"), "Path": "/", "DefaultVersionId": default, "PolicyVersionList": list}])
}

/// SetDefaultPolicyVersion: a single version, or other versions granting no more, is
/// clean; a version granting more is a path naming what it grants.
#[test]
fn set_default_policy_version_needs_a_version_that_grants_more() {
    let set =
        json!([{"Effect": "Allow", "Action": "iam:SetDefaultPolicyVersion", "Resource": "*"}]);
    let read =
        json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]);
    let found = |pol: Value| {
        let a = run(&account(set.clone(), vec![], pol));
        a.paths
            .into_iter()
            .find(|p| p.code == "iam-set-default-policy-version")
    };
    assert!(found(policy(&[("v1", read.clone(), true)])).is_none());
    // v2 grants less (a subset), v3 the same under another form.
    let less =
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]);
    let same = json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]);
    assert!(found(policy(&[
        ("v1", read.clone(), true),
        ("v2", less, false),
        ("v3", same, false)
    ]))
    .is_none());
    // A Deny in the version takes back what its Allow names.
    let denied = json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Effect": "Deny", "NotAction": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]);
    assert!(found(policy(&[("v1", read.clone(), true), ("v2", denied, false)])).is_none());
    let more = json!([{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]);
    let p = found(policy(&[("v1", read, true), ("v2", more, false)])).expect("v2 grants more");
    assert!(!p.possible);
    assert!(
        p.title.contains("`v2`") && p.title.contains("iam:"),
        "{}",
        p.title
    );
}

/// Compute the snapshot does not list: a path that needs it is possible, with what
/// would settle it, and the audit exits 3.
#[test]
fn unlisted_compute_is_possible_never_clean() {
    let a = run(&account(
        json!([{"Effect": "Allow", "Action": "cloudformation:UpdateStack", "Resource": "*"}]),
        vec![],
        json!([]),
    ));
    assert_eq!(a.verdict, Verdict::Unknown);
    assert_eq!(a.verdict.exit_code(), 3);
    let p = a
        .paths
        .iter()
        .find(|p| p.code == "cloudformation-update-stack")
        .unwrap();
    assert!(p.possible);
    assert!(
        p.depends_on
            .iter()
            .any(|d| d.contains("CloudFormation stacks")),
        "{:?}",
        p.depends_on
    );
    let text = render_human(&a);
    assert!(text.contains("depends on: "), "{text}");
}

/// A role reached whose policies cannot be read could grant anything: possible, never clean.
#[test]
fn a_chain_to_a_role_that_cannot_be_read_is_possible() {
    let v = account(
        json!([assume("Odd")]),
        vec![role("Odd", trusting(&["audited"]), json!([]), json!([]))],
        json!([]),
    );
    let a = run(&v);
    assert_eq!(a.verdict, Verdict::Unknown, "{:#?}", a.paths);
    let p = a.paths.iter().find(|p| p.code == "assume-role").unwrap();
    assert!(
        p.possible && p.depends_on.iter().any(|d| d.contains("Odd-policy")),
        "{p:#?}"
    );
}

/// A confirmed end farther away wins over a possible one nearer: the chain goes on past
/// a role whose own path depends on an unknown address, through a cycle, to the admin.
#[test]
fn a_chain_prefers_a_confirmed_end() {
    let maybe = json!({"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}});
    let v = account(
        json!([assume("Near")]),
        vec![
            role(
                "Near",
                trusting(&["audited", "Loop"]),
                json!([maybe, assume("Loop")]),
                json!([]),
            ),
            role(
                "Loop",
                trusting(&["Near"]),
                json!([assume("Near"), assume("Admin")]),
                json!([]),
            ),
            role("Admin", trusting(&["Loop"]), admin(), json!([])),
        ],
        json!([]),
    );
    let a = run(&v);
    assert_eq!(a.verdict, Verdict::Paths, "{:#?}", a.paths);
    let p = a.paths.iter().find(|p| p.code == "assume-role").unwrap();
    assert!(!p.possible);
    let to: Vec<&str> = p.chain.iter().map(|h| h.to.as_str()).collect();
    assert_eq!(to, [arn("Near"), arn("Loop"), arn("Admin")]);
}

/// The snapshot's compute, each with the role it runs as (docs/snapshot.md): a method that
/// takes it over reaches that role, followed like any hop; an empty list means there is
/// none. Sources: UpdateFunctionCode runs the function's code as its execution role
/// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html); a stack
/// update runs as the stack's service role, no iam:PassRole
/// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html);
/// Run Command runs as the instance profile's role
/// (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html).
fn with_compute(statements: Value, compute: Value) -> Value {
    let mut v = account(
        statements,
        vec![
            role(
                "FnAdmin",
                service_trust("lambda.amazonaws.com"),
                admin(),
                json!([]),
            ),
            role(
                "Quiet",
                service_trust("lambda.amazonaws.com"),
                json!([{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]),
                json!([]),
            ),
            role(
                "StackRole",
                service_trust("cloudformation.amazonaws.com"),
                admin(),
                json!([]),
            ),
            role(
                "Box",
                service_trust("ec2.amazonaws.com"),
                admin(),
                profile("box-profile"),
            ),
        ],
        json!([]),
    );
    for (k, val) in compute.as_object().unwrap() {
        v[k] = val.clone();
    }
    v
}

fn function(name: &str, role_name: &str) -> Value {
    json!({"arn": format!("arn:aws:lambda:us-east-1:{ACCT}:function:{name}"), "name": name, "role": arn(role_name)})
}

#[test]
fn existing_compute_runs_as_the_role_the_snapshot_lists() {
    let update = |resource: &str| json!([{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode", "Resource": resource}]);
    let functions = json!({"lambda_functions": [function("quiet", "Quiet"), function("admin-fn", "FnAdmin")],
        "lambda_event_source_mappings": [{"uuid": "1", "function_arn": format!("arn:aws:lambda:us-east-1:{ACCT}:function:admin-fn"),
            "event_source_arn": format!("arn:aws:sqs:us-east-1:{ACCT}:jobs"), "state": "Enabled"}]});
    let a = run(&with_compute(update("*"), functions.clone()));
    assert_eq!(a.verdict, Verdict::Paths, "{:#?}", a.paths);
    let p: Vec<_> = a
        .paths
        .iter()
        .filter(|p| p.code == "lambda-update-code")
        .collect();
    // The function whose role grants nothing of consequence opens nothing.
    assert_eq!(p.len(), 1, "{p:#?}");
    assert!(p[0].target.ends_with("function:admin-fn") && !p[0].possible);
    // It runs with no InvokeFunction, when its queue delivers.
    assert!(
        p[0].title.contains("sqs:us-east-1:111122223333:jobs"),
        "{}",
        p[0].title
    );
    assert_eq!(p[0].reaches.as_ref().unwrap().role, arn("FnAdmin"));
    // Limited to the quiet function: clean.
    let b = run(&with_compute(
        update(&format!("arn:aws:lambda:*:{ACCT}:function:quiet")),
        functions,
    ));
    assert_eq!(b.verdict, Verdict::Clean, "{:#?}", b.paths);
    // None at all: clean.
    let c = run(&with_compute(update("*"), json!({"lambda_functions": []})));
    assert_eq!(c.verdict, Verdict::Clean, "{:#?}", c.paths);
}

#[test]
fn a_stack_update_runs_as_its_service_role_and_a_stack_without_one_as_the_caller() {
    let update =
        json!([{"Effect": "Allow", "Action": "cloudformation:UpdateStack", "Resource": "*"}]);
    let stack = |role: Value| json!({"cloudformation_stacks": [{"arn": format!("arn:aws:cloudformation:us-east-1:{ACCT}:stack/app/0123"), "name": "app", "role_arn": role}]});
    let a = run(&with_compute(
        update.clone(),
        stack(json!(arn("StackRole"))),
    ));
    let p = a
        .paths
        .iter()
        .find(|p| p.code == "cloudformation-update-stack")
        .expect("the stack's role");
    assert!(!p.possible);
    assert_eq!(
        p.steps[0].resource,
        format!("arn:aws:cloudformation:us-east-1:{ACCT}:stack/app/0123")
    );
    assert!(p.steps.iter().all(|s| s.action != "iam:PassRole"));
    let b = run(&with_compute(update, stack(Value::Null)));
    assert_eq!(b.verdict, Verdict::Clean, "{:#?}", b.paths);
}

#[test]
fn a_managed_instance_runs_as_its_instance_profile_role() {
    let send = json!([{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*"}]);
    let node = |profile: &str| {
        json!({"ssm_managed_instances": [{"instance_id": "i-0abc", "arn": format!("arn:aws:ec2:us-east-1:{ACCT}:instance/i-0abc"),
                "resource_type": "EC2Instance", "instance_profile_arn": format!("arn:aws:iam::{ACCT}:instance-profile/{profile}")}]})
    };
    let a = run(&with_compute(send.clone(), node("box-profile")));
    let p = a
        .paths
        .iter()
        .find(|p| p.code == "ssm-send-command")
        .expect("the profile's role");
    assert_eq!(p.reaches.as_ref().unwrap().role, arn("Box"));
    assert!(!p.possible);
    // A profile no role of the export is in: which role is not known, so possible.
    let b = run(&with_compute(send, node("gone")));
    let p = b
        .paths
        .iter()
        .find(|p| p.code == "ssm-send-command")
        .unwrap();
    assert!(
        p.possible && p.depends_on.iter().any(|d| d.contains("gone")),
        "{p:#?}"
    );
}

/// An export entry without its versions cannot say whether another version grants more:
/// possible, never clean.
#[test]
fn a_policy_whose_versions_are_not_in_the_export_is_possible() {
    let set =
        json!([{"Effect": "Allow", "Action": "iam:SetDefaultPolicyVersion", "Resource": "*"}]);
    let pol = json!([{"PolicyName": "app", "Arn": format!("arn:aws:iam::{ACCT}:policy/app"), "Path": "/", "DefaultVersionId": "v3"}]);
    let a = run(&account(set, vec![], pol));
    assert_eq!(a.verdict, Verdict::Unknown, "{:#?}", a.paths);
    let p = a
        .paths
        .iter()
        .find(|p| p.code == "iam-set-default-policy-version")
        .unwrap();
    assert!(p.possible);
}
