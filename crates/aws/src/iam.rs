//! `iam:GetAccountAuthorizationDetails`, all pages, written in the shape of the AWS CLI's
//! output (`aws iam get-account-authorization-details`), which the snapshot keeps verbatim:
//! each role with its instance profiles (`InstanceProfileList`), each customer managed
//! policy with every version and which is the default (`PolicyVersionList`).

use aws_config::SdkConfig;
use aws_sdk_iam::types::{
    AttachedPermissionsBoundary, AttachedPolicy, InstanceProfile, PolicyDetail, Tag,
};
use serde_json::{json, Map, Value};

use crate::api::Api;
use crate::ctx::{Ctx, Fetch};
use crate::policy_document;

fn tags(t: &[Tag]) -> Value {
    Value::Array(
        t.iter()
            .map(|t| json!({"Key": t.key(), "Value": t.value()}))
            .collect(),
    )
}

fn attached(a: &[AttachedPolicy]) -> Value {
    Value::Array(
        a.iter()
            .map(|p| json!({"PolicyName": p.policy_name(), "PolicyArn": p.policy_arn()}))
            .collect(),
    )
}

fn inline(p: &[PolicyDetail]) -> Value {
    Value::Array(
        p.iter()
            .map(|p| {
                json!({
                    "PolicyName": p.policy_name(),
                    "PolicyDocument": p.policy_document().map(policy_document),
                })
            })
            .collect(),
    )
}

/// The instance profiles a role is in, as the AWS CLI writes them (each with its roles).
fn profiles(p: &[InstanceProfile]) -> Value {
    Value::Array(
        p.iter()
            .map(|p| {
                json!({
                    "Path": p.path(),
                    "InstanceProfileName": p.instance_profile_name(),
                    "InstanceProfileId": p.instance_profile_id(),
                    "Arn": p.arn(),
                    "Roles": p.roles().iter().map(|r| json!({
                        "Path": r.path(),
                        "RoleName": r.role_name(),
                        "RoleId": r.role_id(),
                        "Arn": r.arn(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn boundary(b: Option<&AttachedPermissionsBoundary>, obj: &mut Map<String, Value>) {
    if let Some(b) = b {
        obj.insert(
            "PermissionsBoundary".into(),
            json!({
                "PermissionsBoundaryType": b.permissions_boundary_type().map(|t| t.as_str()),
                "PermissionsBoundaryArn": b.permissions_boundary_arn(),
            }),
        );
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The account's users, groups, roles and customer managed policies; `None` when refused
/// (recorded).
pub async fn authorization_details(ctx: &Ctx, conf: &SdkConfig) -> Option<Value> {
    let client = aws_sdk_iam::Client::new(conf);
    let pages = ctx
        .call(
            Api::GetAccountAuthorizationDetails,
            "account",
            &[],
            client
                .get_account_authorization_details()
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await;
    let Fetch::Got(pages) = pages else {
        return None;
    };
    let (mut users, mut groups, mut roles, mut policies) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for page in &pages {
        for u in page.user_detail_list() {
            let mut o = object(json!({
                "Path": u.path(),
                "UserName": u.user_name(),
                "UserId": u.user_id(),
                "Arn": u.arn(),
                "UserPolicyList": inline(u.user_policy_list()),
                "GroupList": u.group_list(),
                "AttachedManagedPolicies": attached(u.attached_managed_policies()),
                "Tags": tags(u.tags()),
            }));
            boundary(u.permissions_boundary(), &mut o);
            users.push(Value::Object(o));
        }
        for g in page.group_detail_list() {
            groups.push(json!({
                "Path": g.path(),
                "GroupName": g.group_name(),
                "GroupId": g.group_id(),
                "Arn": g.arn(),
                "GroupPolicyList": inline(g.group_policy_list()),
                "AttachedManagedPolicies": attached(g.attached_managed_policies()),
            }));
        }
        for r in page.role_detail_list() {
            let mut o = object(json!({
                "Path": r.path(),
                "RoleName": r.role_name(),
                "RoleId": r.role_id(),
                "Arn": r.arn(),
                "AssumeRolePolicyDocument": r.assume_role_policy_document().map(policy_document),
                "RolePolicyList": inline(r.role_policy_list()),
                "AttachedManagedPolicies": attached(r.attached_managed_policies()),
                "InstanceProfileList": profiles(r.instance_profile_list()),
                "Tags": tags(r.tags()),
            }));
            boundary(r.permissions_boundary(), &mut o);
            roles.push(Value::Object(o));
        }
        for p in page.policies() {
            policies.push(json!({
                "PolicyName": p.policy_name(),
                "PolicyId": p.policy_id(),
                "Arn": p.arn(),
                "Path": p.path(),
                "DefaultVersionId": p.default_version_id(),
                "AttachmentCount": p.attachment_count(),
                "PermissionsBoundaryUsageCount": p.permissions_boundary_usage_count(),
                "IsAttachable": p.is_attachable(),
                "PolicyVersionList": p.policy_version_list().iter().map(|v| json!({
                    "Document": v.document().map(policy_document),
                    "VersionId": v.version_id(),
                    "IsDefaultVersion": v.is_default_version(),
                })).collect::<Vec<_>>(),
            }));
        }
    }
    Some(json!({
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    }))
}
