//! Who can change who can, through IAM writes an adversarial review found missed: each
//! scenario is one a reviewer wrote, asserting the writer is listed (or unknown) and the
//! control case is not.
//!
//! Sources (IAM API reference): SetDefaultPolicyVersion
//! (https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetDefaultPolicyVersion.html),
//! AddUserToGroup (https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddUserToGroup.html),
//! CreatePolicyVersion on a boundary (a boundary's new default changes what it lets
//! through: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html),
//! DeleteRolePermissionsBoundary, DeleteUserPolicy, PutRolePolicy ("NoSuchEntity" for a
//! role that does not exist:
//! https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html), and
//! "Grants in AWS KMS" for a key a service may use
//! (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html).

use serde_json::{json, Value};
use vaultward_backup::vaults::{exposure, ExposureOptions, Question, Status};

use super::account::*;

const S3_POINT: &str =
    "arn:aws:backup:us-east-1:111122223333:recovery-point:0a1b2c3d-0000-4000-8000-000000000005";

/// A vault with one S3 recovery point (fully managed by AWS Backup) under a key of the
/// default policy, no vault policy, no lock, and an SCP that keeps the root user out.
fn base() -> Account {
    let mut a = Account::new();
    a.key(KEY, json!([]))
        .vault("prod", Value::Null, unlocked())
        .point("prod", S3_POINT, "S3", Some(KEY))
        .scp(json!([{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": ROOT}}}]));
    a
}

fn change_of(a: &Account) -> (Vec<String>, Vec<String>) {
    let e = run(&a.snapshot());
    let c = answer_of(&e, "prod", "S3", Question::Change);
    (
        c.principals.iter().map(|p| p.principal.clone()).collect(),
        c.unknown.iter().map(|u| u.principal.clone()).collect(),
    )
}

fn policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCT}:policy/{name}")
}

#[test]
fn setting_another_default_version_counts() {
    let mut a = base();
    a.policies.push(json!({"PolicyName": "Ops", "Arn": policy_arn("Ops"), "Path": "/", "DefaultVersionId": "v1",
        "PolicyVersionList": [
            {"Document": doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])), "VersionId": "v1", "IsDefaultVersion": true},
            {"Document": doc(json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}])), "VersionId": "v2", "IsDefaultVersion": false}]}));
    a.role(
        "Dev",
        json!([{"Effect": "Allow", "Action": "iam:SetDefaultPolicyVersion", "Resource": policy_arn("Ops")}]),
    );
    a.roles.last_mut().unwrap()["AttachedManagedPolicies"] =
        json!([{"PolicyName": "Ops", "PolicyArn": policy_arn("Ops")}]);
    let (listed, _) = change_of(&a);
    assert!(listed.contains(&role_arn("Dev")), "{listed:?}");
}

#[test]
fn adding_oneself_to_a_group_counts() {
    let mut a = base();
    a.groups.push(json!({"GroupName": "BreakGlass", "Arn": format!("arn:aws:iam::{ACCT}:group/BreakGlass"), "Path": "/",
        "GroupPolicyList": [{"PolicyName": "all", "PolicyDocument": doc(json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]))}],
        "AttachedManagedPolicies": []}));
    a.user(
        "helpdesk",
        json!([{"Effect": "Allow", "Action": "iam:AddUserToGroup", "Resource": format!("arn:aws:iam::{ACCT}:group/BreakGlass")}]),
        None,
    )
    .user("nobody", json!([]), None);
    let (listed, _) = change_of(&a);
    assert!(listed.contains(&user_arn("helpdesk")), "{listed:?}");
    assert!(!listed.contains(&user_arn("nobody")), "{listed:?}");
}

#[test]
fn a_new_version_of_a_boundary_counts() {
    let mut a = base();
    let b = a.managed(
        "Bound",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
    );
    a.role_trusting(
        "Worker",
        json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]),
        Some(&b),
        json!({"Service": "ec2.amazonaws.com"}),
    )
    .role(
        "Writer",
        json!([{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": b}]),
    );
    let (listed, _) = change_of(&a);
    assert!(listed.contains(&role_arn("Writer")), "{listed:?}");
    assert!(!listed.contains(&role_arn("Worker")), "{listed:?}");
}

/// Granting a bounded role everything opens nothing; with lifting its boundary too, it
/// does; and a role granted everything whose boundary lets it lift the boundary does too.
#[test]
fn writes_to_one_target_count_together() {
    let mut a = base();
    let b = a.managed(
        "Bound",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
    );
    a.role_trusting(
        "Target",
        json!([]),
        Some(&b),
        json!({"Service": "ec2.amazonaws.com"}),
    )
    .role(
        "Granter",
        json!([{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": role_arn("Target")}]),
    )
    .role(
        "Writer",
        json!([{"Effect": "Allow", "Action": ["iam:PutRolePolicy", "iam:DeleteRolePermissionsBoundary"], "Resource": role_arn("Target")}]),
    );
    // The account's backup role is bounded too, so no one writes to an unbounded one.
    a.roles[0]["PermissionsBoundary"] =
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": b});
    let (listed, _) = change_of(&a);
    assert!(listed.contains(&role_arn("Writer")), "{listed:?}");
    assert!(!listed.contains(&role_arn("Granter")), "{listed:?}");
    // A boundary that lets IAM through lets the granted role lift it.
    let lax = a.managed(
        "Lax",
        json!([{"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}]),
    );
    a.roles[1]["PermissionsBoundary"] =
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": lax});
    let (listed, _) = change_of(&a);
    assert!(listed.contains(&role_arn("Granter")), "{listed:?}");
}

/// A user lifts its own Deny with the user form of the action.
#[test]
fn a_user_removing_its_own_deny_counts() {
    let mut a = base();
    a.user(
        "u",
        json!([{"Effect": "Allow", "Action": ["backup:*", "iam:DeleteUserPolicy"], "Resource": "*"}]),
        None,
    );
    a.users[0]["UserPolicyList"]
        .as_array_mut()
        .unwrap()
        .push(json!({"PolicyName": "guard", "PolicyDocument": doc(json!([{"Effect": "Deny", "Action": "backup:*", "Resource": "*"}]))}));
    let (listed, _) = change_of(&a);
    assert!(listed.contains(&user_arn("u")), "{listed:?}");
}

/// A write to `role/*` reaches a role of no existing name only if it may create one.
#[test]
fn a_write_to_a_role_that_does_not_exist_needs_it_created() {
    let mut a = base();
    let b = a.managed(
        "Bound",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
    );
    a.roles[0]["PermissionsBoundary"] =
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": b});
    a.role(
        "Writer",
        json!([{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"}]),
    )
    .role(
        "Creator",
        json!([{"Effect": "Allow", "Action": ["iam:PutRolePolicy", "iam:CreateRole"], "Resource": "*"}]),
    );
    // Writer and Creator may write their own policies: a boundary on themselves lets
    // through only these two actions (with iam:* they would grant themselves everything,
    // lift the boundary and destroy: `writes_to_one_target_count_together`).
    let iam_only = a.managed(
        "IamOnly",
        json!([{"Effect": "Allow", "Action": ["iam:PutRolePolicy", "iam:CreateRole"], "Resource": "*"}]),
    );
    for r in a.roles.iter_mut().skip(1) {
        r["PermissionsBoundary"] =
            json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": iam_only});
    }
    let (listed, _) = change_of(&a);
    assert!(!listed.contains(&role_arn("Writer")), "{listed:?}");
    assert!(listed.contains(&role_arn("Creator")), "{listed:?}");
}

/// A chain into a principal that may destroy (unknown) is unknown, not none.
#[test]
fn a_chain_into_an_unknown_principal_is_unknown() {
    let mut a = base();
    a.role_trusting(
        "B",
        json!([{"Effect": "Allow", "Action": "backup:DeleteRecoveryPoint", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]),
        None,
        json!({"AWS": role_arn("A")}),
    )
    .role(
        "A",
        json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn("B")}]),
    );
    let e = run(&a.snapshot());
    let destroy = answer_of(&e, "prod", "S3", Question::Destroy);
    assert!(destroy.unknown.iter().any(|u| u.principal == role_arn("B")));
    let change = answer_of(&e, "prod", "S3", Question::Change);
    assert_ne!(change.status, Status::None, "{change:?}");
    assert!(
        change
            .unknown
            .iter()
            .any(|u| u.principal == role_arn("A") && u.code == "chain"),
        "{:?}",
        change.unknown
    );
}

/// A key a service principal may use is no key another account may use: a share of a
/// snapshot under it still needs a grant.
#[test]
fn a_key_a_service_may_use_is_not_shared_with_an_account() {
    let mut a = Account::new();
    a.role(
        "Sharer",
        json!([{"Effect": "Allow", "Action": "ec2:ModifySnapshotAttribute", "Resource": "*"}]),
    )
    .key(KEY, json!([{"Sid": "Logs", "Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
        "Action": "kms:Decrypt", "Resource": "*"}]))
    .vault("prod", Value::Null, unlocked())
    .ebs_point("prod", SNAP, Some(KEY));
    let e = run(&a.snapshot());
    assert!(!who(&e, "prod", Question::Read).contains(&role_arn("Sharer")));
}

/// A fix denies the kind of resource, not the example: with six points it verifies.
#[test]
fn a_fix_covers_every_point_of_the_kind() {
    let mut a = Account::new();
    a.role(
        "Sharer",
        json!([{"Effect": "Allow", "Action": "ec2:ModifySnapshotAttribute", "Resource": "*"}]),
    )
    .vault("prod", Value::Null, unlocked());
    for i in 0..6 {
        a.ebs_point(
            "prod",
            &format!("arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef{i}"),
            None,
        );
    }
    let e = exposure(
        &a.snapshot(),
        &ExposureOptions {
            fixes: true,
            ..ExposureOptions::default()
        },
    )
    .unwrap();
    let fix = answer(&e, "prod", Question::Read).fix.clone().unwrap();
    assert!(fix.verified, "{fix:?}");
    assert!(
        fix.scp
            .to_string()
            .contains("arn:aws:ec2:us-east-1::snapshot/*"),
        "{}",
        fix.scp
    );
}

/// The AWS managed key's style of statement (`Principal: *` held by `kms:CallerAccount` to
/// the account) lets no other account use the key: a share still needs a grant.
/// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
#[test]
fn a_key_held_to_its_account_by_caller_account_is_not_shared() {
    let statement = |account: &str| {
        json!([{"Sid": "ThroughEc2", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:CreateGrant"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": account, "kms:ViaService": "ec2.us-east-1.amazonaws.com"}}}])
    };
    for (account, shared) in [(ACCT, false), ("444455556666", true)] {
        let mut a = Account::new();
        a.role(
            "Sharer",
            json!([{"Effect": "Allow", "Action": "ec2:ModifySnapshotAttribute", "Resource": "*"}]),
        )
        .key(KEY, statement(account))
        .vault("prod", Value::Null, unlocked())
        .ebs_point("prod", SNAP, Some(KEY));
        let e = run(&a.snapshot());
        assert_eq!(
            who(&e, "prod", Question::Read).contains(&role_arn("Sharer")),
            shared,
            "kms:CallerAccount {account}"
        );
    }
}
