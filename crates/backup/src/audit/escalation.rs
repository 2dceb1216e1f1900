//! IAM writes: what the role can grant itself or others by changing IAM, and the export's
//! roles, users, groups and policies they act on (which `pivots.rs` reads too).

use serde_json::Value;
use vaultward_iam::policy::Effect;
use vaultward_snapshot::Snapshot;

use super::methods::{fill, method};
use super::versions::{grants_more, versions};
use super::{Auditor, PathClass};
use crate::check::docs;

/// An IAM principal or policy of the export.
pub(super) struct Principal {
    pub arn: String,
    pub trust: Option<Value>,
    /// The instance profiles that hold the role (`InstanceProfileList`); `None` when the
    /// export does not say.
    pub profiles: Option<Vec<String>>,
}

pub(super) struct Targets {
    pub roles: Vec<Principal>,
    users: Vec<String>,
    groups: Vec<String>,
    /// Customer managed policies (AWS managed ones cannot be changed by anyone).
    policies: Vec<String>,
}

pub(super) fn export_list<'a>(iam: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    iam.get(key).and_then(Value::as_array).into_iter().flatten()
}

pub(super) fn arn_of(v: &Value) -> Option<String> {
    v.get("Arn").and_then(Value::as_str).map(str::to_string)
}

pub(super) fn targets(s: &Snapshot) -> Targets {
    let iam = s.iam.clone().unwrap_or(Value::Null);
    Targets {
        roles: export_list(&iam, "RoleDetailList")
            .filter_map(|r| {
                Some(Principal {
                    arn: arn_of(r)?,
                    trust: r.get("AssumeRolePolicyDocument").and_then(docs::json),
                    profiles: r
                        .get("InstanceProfileList")
                        .and_then(Value::as_array)
                        .map(|l| l.iter().filter_map(arn_of).collect()),
                })
            })
            .collect(),
        users: export_list(&iam, "UserDetailList")
            .filter_map(arn_of)
            .collect(),
        groups: export_list(&iam, "GroupDetailList")
            .filter_map(arn_of)
            .collect(),
        policies: export_list(&iam, "Policies")
            .filter_map(arn_of)
            .filter(|a| !a.starts_with("arn:aws:iam::aws:"))
            .collect(),
    }
}

pub(super) fn as_strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a trust policy lets `service` assume the role (an Allow naming the service
/// principal, or `*`, for `sts:AssumeRole`).
pub(crate) fn trusts_service(trust: &Value, service: &str) -> bool {
    let statements = match trust.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => Vec::new(),
    };
    statements.iter().any(|st| {
        let allow = st.get("Effect").and_then(Value::as_str) == Some("Allow");
        let action = as_strings(st.get("Action")).iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a == "sts:assumerole" || a == "sts:*" || a == "*"
        });
        let principal = match st.get("Principal") {
            Some(Value::String(s)) => s == "*",
            Some(p) => as_strings(p.get("Service")).iter().any(|s| s == service),
            None => false,
        };
        allow && action && principal
    })
}

impl Auditor<'_, '_> {
    pub(super) fn iam_writes(&mut self, t: &Targets) {
        let self_arn = self.role.clone();
        let self_arn = self_arn.as_str();
        let any = |kind: &str| format!("arn:aws:iam::{}:{kind}/vaultward-audit-any", self.account);
        let mut roles: Vec<String> = t.roles.iter().map(|r| r.arn.clone()).collect();
        roles.push(any("role"));
        let mut users = t.users.clone();
        users.push(any("user"));
        let mut groups = t.groups.clone();
        groups.push(any("group"));
        let mut policies = t.policies.clone();
        policies.push(any("policy"));
        let own = |arn: &str| if arn == self_arn { " (itself)" } else { "" };
        let fix = |action: &str| {
            format!("remove `{action}` from the role's policies, or limit it to resources that grant nothing (and deny it in a permissions boundary)")
        };
        for p in &policies {
            self.path(
                PathClass::IamWrite,
                "iam-create-policy-version",
                format!("`iam:CreatePolicyVersion` on `{p}`: rewrite what the policy grants"),
                p,
                &[("iam:CreatePolicyVersion", p.clone(), Vec::new(), None)],
                fix("iam:CreatePolicyVersion"),
            );
        }
        self.policy_versions(&fix("iam:SetDefaultPolicyVersion"));
        for r in &roles {
            for (action, code) in [
                ("iam:AttachRolePolicy", "iam-attach-policy"),
                ("iam:PutRolePolicy", "iam-put-inline-policy"),
                ("iam:UpdateAssumeRolePolicy", "iam-update-trust-policy"),
            ] {
                self.path(
                    PathClass::IamWrite,
                    code,
                    format!("`{action}` on `{r}`{}", own(r)),
                    r,
                    &[(action, r.clone(), Vec::new(), None)],
                    fix(action),
                );
            }
        }
        // A user lifts its own with the user forms of the actions (IAM API reference,
        // DeleteUserPermissionsBoundary, DeleteUserPolicy, DetachUserPolicy).
        let user = self_arn.contains(":user/");
        let (boundary, remove) = if user {
            (
                [
                    "iam:DeleteUserPermissionsBoundary",
                    "iam:PutUserPermissionsBoundary",
                ],
                ["iam:DeleteUserPolicy", "iam:DetachUserPolicy"],
            )
        } else {
            (
                [
                    "iam:DeleteRolePermissionsBoundary",
                    "iam:PutRolePermissionsBoundary",
                ],
                ["iam:DeleteRolePolicy", "iam:DetachRolePolicy"],
            )
        };
        for action in boundary {
            self.path(
                PathClass::IamWrite,
                "iam-remove-boundary",
                format!("`{action}` on itself: lift its own permissions boundary"),
                self_arn,
                &[(action, self_arn.to_string(), Vec::new(), None)],
                fix(action),
            );
        }
        // Deleting or detaching a policy of its own lifts the Deny statements in it.
        let denies = self.plan.identity_policies().iter().any(|p| {
            p.policy
                .statements
                .iter()
                .any(|st| st.effect == Effect::Deny)
        });
        if denies {
            for action in remove {
                self.path(
                    PathClass::IamWrite,
                    "iam-remove-deny",
                    format!("`{action}` on itself: remove a policy whose Deny limits it"),
                    self_arn,
                    &[(action, self_arn.to_string(), Vec::new(), None)],
                    fix(action),
                );
            }
        }
        // CodeStar attaches its project policy to the team member it is told to add.
        if let Some(m) = method("codestar-associate-team-member") {
            let probe: Vec<_> = m
                .calls
                .iter()
                .map(|(a, r)| {
                    (
                        *a,
                        fill(r, &self.region, &self.account, ""),
                        Vec::new(),
                        None,
                    )
                })
                .collect();
            self.path(
                PathClass::IamWrite,
                m.code,
                "create a CodeStar project and add a user of its choosing as its owner".into(),
                "*",
                &probe,
                fix("codestar:AssociateTeamMember"),
            );
        }
        for u in &users {
            for (action, code) in [
                ("iam:AttachUserPolicy", "iam-attach-policy"),
                ("iam:PutUserPolicy", "iam-put-inline-policy"),
                ("iam:CreateAccessKey", "iam-create-access-key"),
                ("iam:CreateLoginProfile", "iam-login-profile"),
                ("iam:UpdateLoginProfile", "iam-login-profile"),
            ] {
                self.path(
                    PathClass::IamWrite,
                    code,
                    format!("`{action}` on `{u}`"),
                    u,
                    &[(action, u.clone(), Vec::new(), None)],
                    fix(action),
                );
            }
        }
        for g in &groups {
            for (action, code) in [
                ("iam:AttachGroupPolicy", "iam-attach-policy"),
                ("iam:PutGroupPolicy", "iam-put-inline-policy"),
                ("iam:AddUserToGroup", "iam-add-user-to-group"),
            ] {
                self.path(
                    PathClass::IamWrite,
                    code,
                    format!("`{action}` on `{g}`"),
                    g,
                    &[(action, g.clone(), Vec::new(), None)],
                    fix(action),
                );
            }
        }
    }
}

impl Auditor<'_, '_> {
    /// `iam:SetDefaultPolicyVersion` on each customer managed policy of the export that has
    /// a version granting more than its default one (the engine compares them).
    fn policy_versions(&mut self, fix: &str) {
        let iam = self.snapshot.iam.clone().unwrap_or(Value::Null);
        for v in versions(&iam) {
            // A request only another version allows (decided or not), or why it may be one.
            let found: Option<(bool, String)> = v.others.iter().find_map(|(id, p)| {
                match (&v.default, p) {
                    (Some(d), Some(p)) => grants_more(p, d, &self.account).map(|w| {
                        (
                            w.decided,
                            format!(
                                "version `{id}` allows `{}` on `{}`, which the default version does not{}",
                                w.action,
                                w.resource,
                                if w.decided { "" } else { " (depending on conditions)" }
                            ),
                        )
                    }),
                    (None, _) => Some((false, format!("the default version cannot be read: version `{id}` may grant more"))),
                    (_, None) => Some((false, format!("version `{id}` cannot be read: it may grant more"))),
                }
            });
            let Some((decided, what)) = found else {
                continue;
            };
            let before = self.paths.len();
            if self.path(
                PathClass::IamWrite,
                "iam-set-default-policy-version",
                format!("`iam:SetDefaultPolicyVersion` on `{}`: {what}", v.arn),
                &v.arn,
                &[(
                    "iam:SetDefaultPolicyVersion",
                    v.arn.clone(),
                    Vec::new(),
                    None,
                )],
                fix.to_string(),
            ) && !decided
            {
                if let Some(p) = self.paths.get_mut(before) {
                    p.possible = true;
                    p.depends_on.push(what);
                }
            }
        }
    }
}
