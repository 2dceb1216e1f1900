//! Escalation paths: assuming another role, passing a role to a compute or orchestration
//! service, injecting code into compute that runs as a role, and writes to IAM.

use serde_json::Value;
use vaultward_iam::{NamedPolicy, PolicyKind};
use vaultward_snapshot::Snapshot;

use super::{ctx, Auditor, PathClass};
use crate::check::docs;

/// An IAM principal or policy of the export.
pub(super) struct Principal {
    arn: String,
    trust: Option<Value>,
}

pub(super) struct Targets {
    roles: Vec<Principal>,
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
pub(super) fn trusts_service(trust: &Value, service: &str) -> bool {
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

/// A service principal, the path's code, and the requests that start the service.
pub(super) type ServiceStart = (&'static str, &'static str, Vec<(&'static str, String)>);

impl Auditor<'_, '_> {
    pub(super) fn pass_role(&mut self, t: &Targets, self_arn: &str) {
        // (service principal, code, the requests that start it with the passed role)
        let services: [ServiceStart; 8] = [
            (
                "ec2.amazonaws.com",
                "passrole-ec2",
                vec![(
                    "ec2:RunInstances",
                    self.arn("ec2", "instance/i-0vaultwardaudit"),
                )],
            ),
            (
                "lambda.amazonaws.com",
                "passrole-lambda",
                vec![
                    (
                        "lambda:CreateFunction",
                        self.arn("lambda", "function:vaultward-audit"),
                    ),
                    (
                        "lambda:InvokeFunction",
                        self.arn("lambda", "function:vaultward-audit"),
                    ),
                ],
            ),
            (
                "ecs-tasks.amazonaws.com",
                "passrole-ecs",
                vec![
                    ("ecs:RegisterTaskDefinition", "*".to_string()),
                    (
                        "ecs:RunTask",
                        self.arn("ecs", "task-definition/vaultward-audit:1"),
                    ),
                ],
            ),
            (
                "glue.amazonaws.com",
                "passrole-glue",
                vec![(
                    "glue:CreateDevEndpoint",
                    self.arn("glue", "devEndpoint/vaultward-audit"),
                )],
            ),
            (
                "cloudformation.amazonaws.com",
                "passrole-cloudformation",
                vec![(
                    "cloudformation:CreateStack",
                    self.arn("cloudformation", "stack/vaultward-audit/1"),
                )],
            ),
            (
                "datapipeline.amazonaws.com",
                "passrole-datapipeline",
                vec![
                    ("datapipeline:CreatePipeline", "*".to_string()),
                    ("datapipeline:PutPipelineDefinition", "*".to_string()),
                    ("datapipeline:ActivatePipeline", "*".to_string()),
                ],
            ),
            (
                "sagemaker.amazonaws.com",
                "passrole-sagemaker",
                vec![(
                    "sagemaker:CreateNotebookInstance",
                    self.arn("sagemaker", "notebook-instance/vaultward-audit"),
                )],
            ),
            (
                "codebuild.amazonaws.com",
                "passrole-codebuild",
                vec![
                    (
                        "codebuild:CreateProject",
                        self.arn("codebuild", "project/vaultward-audit"),
                    ),
                    (
                        "codebuild:StartBuild",
                        self.arn("codebuild", "project/vaultward-audit"),
                    ),
                ],
            ),
        ];
        for role in &t.roles {
            if role.arn == self_arn {
                continue;
            }
            let Some(trust) = &role.trust else { continue };
            let name = role.arn.rsplit('/').next().unwrap_or(&role.arn).to_string();
            for (service, code, starts) in &services {
                if !trusts_service(trust, service) {
                    continue;
                }
                let mut steps = vec![(
                    "iam:PassRole",
                    role.arn.clone(),
                    ctx(&[("iam:PassedToService", service)]),
                    None,
                )];
                for (action, resource) in starts {
                    let mut c = Vec::new();
                    if *action == "ec2:RunInstances" {
                        c.push((
                            "ec2:InstanceProfile".to_string(),
                            format!("arn:aws:iam::{}:instance-profile/{name}", self.account),
                        ));
                    }
                    steps.push((action, resource.clone(), c, None));
                }
                self.path(
                    PathClass::PassRole,
                    code,
                    format!("pass `{name}` to {service} and run code as it"),
                    &role.arn,
                    &steps,
                    format!("limit `iam:PassRole` to the roles the role must pass (their ARNs in `Resource`, with `iam:PassedToService`), or keep `{service}` out of `{name}`'s trust policy"),
                );
            }
        }
    }

    /// Role chaining: PMapper's STS edge. The other role's trust policy is its resource
    /// policy for `sts:AssumeRole`, evaluated by the engine as AWS does.
    pub(super) fn assume_role(&mut self, t: &Targets, self_arn: &str) {
        for role in &t.roles {
            if role.arn == self_arn {
                continue;
            }
            let Some(trust) = &role.trust else { continue };
            let parsed = vaultward_iam::parse_policy(&trust.to_string(), PolicyKind::Trust);
            let Some(policy) = parsed.policy else {
                continue;
            };
            let rp = NamedPolicy {
                name: format!("trust policy of {}", role.arn),
                policy,
            };
            let name = role.arn.rsplit('/').next().unwrap_or(&role.arn).to_string();
            self.path(
                PathClass::AssumeRole,
                "assume-role",
                format!("assume `{name}` and act with its permissions"),
                &role.arn,
                &[("sts:AssumeRole", role.arn.clone(), Vec::new(), Some(&rp))],
                format!("remove the role from `{name}`'s trust policy, or `sts:AssumeRole` on it from the role's policies"),
            );
        }
    }

    /// Changing or running code in compute that already runs as some role (Rhino Security
    /// Labs: lambda:UpdateFunctionCode, glue:UpdateDevEndpoint; ssm:SendCommand).
    pub(super) fn code_injection(&mut self) {
        for (action, resource, code) in [
            (
                "lambda:UpdateFunctionCode",
                self.arn("lambda", "function:vaultward-audit"),
                "lambda-update-code",
            ),
            (
                "glue:UpdateDevEndpoint",
                self.arn("glue", "devEndpoint/vaultward-audit"),
                "glue-update-dev-endpoint",
            ),
            (
                "ssm:SendCommand",
                self.arn("ec2", "instance/i-0vaultwardaudit"),
                "ssm-send-command",
            ),
            (
                "ssm:StartSession",
                self.arn("ec2", "instance/i-0vaultwardaudit"),
                "ssm-start-session",
            ),
            (
                "ec2-instance-connect:SendSSHPublicKey",
                self.arn("ec2", "instance/i-0vaultwardaudit"),
                "ec2-instance-connect",
            ),
        ] {
            self.path(
                PathClass::CodeInjection,
                code,
                format!("`{action}` on `{resource}`: run code as the role it runs as"),
                &resource,
                &[(action, resource.clone(), Vec::new(), None)],
                format!("remove `{action}`, or limit it to compute the role creates"),
            );
        }
    }

    pub(super) fn iam_writes(&mut self, t: &Targets, self_arn: &str) {
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
            for (action, code) in [
                ("iam:CreatePolicyVersion", "iam-create-policy-version"),
                (
                    "iam:SetDefaultPolicyVersion",
                    "iam-set-default-policy-version",
                ),
            ] {
                self.path(
                    PathClass::IamWrite,
                    code,
                    format!("`{action}` on `{p}`: rewrite what the policy grants"),
                    p,
                    &[(action, p.clone(), Vec::new(), None)],
                    fix(action),
                );
            }
        }
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
        for action in [
            "iam:DeleteRolePermissionsBoundary",
            "iam:PutRolePermissionsBoundary",
        ] {
            self.path(
                PathClass::IamWrite,
                "iam-remove-boundary",
                format!("`{action}` on itself: lift its own permissions boundary"),
                self_arn,
                &[(action, self_arn.to_string(), Vec::new(), None)],
                fix(action),
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
