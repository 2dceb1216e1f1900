//! `vaultward audit`: the privilege-escalation, exposure and destruction paths a role's
//! effective permissions open (identity policies within its boundary, under the
//! organization's SCPs and RCPs and the resources' own policies), each confirmed by the
//! engine: a path is reported only when every request it takes is allowed, never on a
//! pattern match alone.
//!
//! Path classes and their sources (anchors this audit matches and goes beyond):
//! - AssumeRole into another role whose trust policy allows the role (PMapper's STS edge),
//!   the trust policy evaluated by the engine (a trust naming the role's ARN in the same
//!   account grants on its own).
//! - Code injection into compute that already runs as a role (Rhino Security Labs:
//!   lambda:UpdateFunctionCode, glue:UpdateDevEndpoint; ssm:SendCommand, ssm:StartSession,
//!   EC2 Instance Connect).
//! - PassRole with a compute or orchestration service: Rhino Security Labs, "AWS IAM
//!   Privilege Escalation – Methods and Mitigation" (iam:PassRole with ec2:RunInstances,
//!   lambda:CreateFunction, glue:CreateDevEndpoint, cloudformation:CreateStack,
//!   datapipeline:CreatePipeline); PMapper's edges (nccgroup/PMapper `principalmapper/graphing`:
//!   EC2, Lambda, CloudFormation, CodeBuild, SageMaker, ECS); here only to roles of the
//!   export whose trust policy lets that service assume them.
//! - IAM writes on the role itself or others (policy versions, attachments, inline policies,
//!   trust policies, access keys, login profiles, group membership, removing a boundary):
//!   the same list, and Cloudsplaining's PrivilegeEscalation category.
//! - Tag, then act: any Allow gated by `aws:ResourceTag/K` where the role can set `K` on a
//!   resource it did not create (IAM User Guide, "Controlling access to AWS resources using
//!   tags"; EC2 tags set inside a create action carry `ec2:CreateAction` and cannot reach an
//!   existing resource).
//! - Resource-policy writes (bucket, key, vault, topic, queue, function, secret, table
//!   policies) and public exposure (ACLs, public access blocks, snapshot and image sharing):
//!   Cloudsplaining's ResourceExposure category; Amazon S3 User Guide, "Blocking public
//!   access to your Amazon S3 storage".
//! - KMS key abuse: key policy writes, grants not limited to AWS resources
//!   (`kms:GrantIsForAWSResource`), disabling or scheduling deletion (AWS KMS Developer
//!   Guide, "Grants in AWS KMS", "Deleting AWS KMS keys").
//! - Secrets read (Cloudsplaining's DataExfiltration, limited to secrets and parameters: a
//!   backup role reads customer data by design).
//! - Data destruction on resources the role did not create (no tags of its own).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};
use vaultward_iam::policy::Effect;
use vaultward_iam::{Decision, NamedPolicy, PolicyKind, Response};

use crate::check::{docs, resource_policy, CheckOptions, Plan, RoleError};
use vaultward_snapshot::Snapshot;

/// The kinds of path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathClass {
    AssumeRole,
    PassRole,
    CodeInjection,
    IamWrite,
    TagThenAct,
    ResourcePolicyWrite,
    PublicExposure,
    KmsAbuse,
    SecretsRead,
    DataDestruction,
}

impl PathClass {
    pub fn name(self) -> &'static str {
        match self {
            PathClass::AssumeRole => "assume-role",
            PathClass::PassRole => "pass-role",
            PathClass::CodeInjection => "code-injection",
            PathClass::IamWrite => "iam-write",
            PathClass::TagThenAct => "tag-then-act",
            PathClass::ResourcePolicyWrite => "resource-policy-write",
            PathClass::PublicExposure => "public-exposure",
            PathClass::KmsAbuse => "kms-abuse",
            PathClass::SecretsRead => "secrets-read",
            PathClass::DataDestruction => "data-destruction",
        }
    }

    /// What the class is, for reports and SARIF rules.
    pub fn description(self) -> &'static str {
        match self {
            PathClass::AssumeRole => "The role can assume another role (its identity policy allows sts:AssumeRole and the other role's trust policy allows the role): it gains that role's permissions.",
            PathClass::CodeInjection => "The role can change or run code in existing compute (a function's code, a development endpoint's keys, commands on an instance) and so act as the role that compute runs as.",
            PathClass::PassRole => "The role can pass another role to a compute or orchestration service and start it, so code runs with that role's permissions (privilege escalation).",
            PathClass::IamWrite => "The role can change IAM: policy versions, attachments, inline or trust policies, credentials, group membership or its own boundary, and so grant itself or another principal more (privilege escalation).",
            PathClass::TagThenAct => "An Allow is gated by a resource tag the role can set itself on resources it did not create: it tags, then acts (an ABAC bypass).",
            PathClass::ResourcePolicyWrite => "The role can rewrite a resource policy (bucket, key, vault, topic, queue, function, secret, table) and so open the resource to anyone (resource exposure).",
            PathClass::PublicExposure => "The role can make data public: object or bucket ACLs, the public access block, snapshot or image sharing.",
            PathClass::KmsAbuse => "The role can rewrite a key policy, grant a key to any principal, or disable or delete a customer key (and with it, the data).",
            PathClass::SecretsRead => "The role can read secrets or parameters, which a backup service does not need (data exfiltration).",
            PathClass::DataDestruction => "The role can delete or disable protection of data it did not create.",
        }
    }
}

/// One request of a path, allowed by the engine.
#[derive(Debug, Clone, Serialize)]
pub struct PathStep {
    pub action: String,
    pub resource: String,
    pub context: BTreeMap<String, String>,
    /// The statements that allow it (`type:policy/statement`).
    pub allowed_by: Vec<String>,
}

/// A path the role's permissions open.
#[derive(Debug, Clone, Serialize)]
pub struct Path {
    pub class: PathClass,
    /// A stable code per kind of path (`passrole-ec2`, `iam-create-policy-version`, ...).
    pub code: String,
    pub title: String,
    /// The resource the path ends at (the role passed, the policy changed, the table deleted).
    pub target: String,
    pub steps: Vec<PathStep>,
    pub fix: String,
}

/// The verdict: `clean` only when the role's side was read in full and no path is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Clean,
    Paths,
    Unknown,
}

impl Verdict {
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Clean => 0,
            Verdict::Paths => 1,
            Verdict::Unknown => 3,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub role: String,
    pub verdict: Verdict,
    pub paths: Vec<Path>,
    /// What could not be read, so that a path could hide there.
    pub unknown: Vec<String>,
    pub notes: Vec<String>,
    /// Requests the engine evaluated.
    pub requests: usize,
}

/// An IAM principal or policy of the export.
struct Principal {
    arn: String,
    trust: Option<Value>,
}

struct Targets {
    roles: Vec<Principal>,
    users: Vec<String>,
    groups: Vec<String>,
    /// Customer managed policies (AWS managed ones cannot be changed by anyone).
    policies: Vec<String>,
}

fn export_list<'a>(iam: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    iam.get(key).and_then(Value::as_array).into_iter().flatten()
}

fn arn_of(v: &Value) -> Option<String> {
    v.get("Arn").and_then(Value::as_str).map(str::to_string)
}

fn targets(s: &Snapshot) -> Targets {
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

fn as_strings(v: Option<&Value>) -> Vec<String> {
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
fn trusts_service(trust: &Value, service: &str) -> bool {
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

/// A concrete ARN matching `pattern`: wildcards in the region and account fields become the
/// probe's region and account, elsewhere `vaultward-audit`.
fn instantiate(pattern: &str, region: &str, account: &str) -> String {
    let fields: Vec<&str> = pattern.splitn(6, ':').collect();
    let wild = |f: &str| f.contains('*') || f.contains('?');
    let fill = |f: &str| f.replace('*', "vaultward-audit").replace('?', "x");
    if fields.len() == 6 {
        let region_field = fields.get(3).copied().unwrap_or("");
        let account_field = fields.get(4).copied().unwrap_or("");
        let region = if wild(region_field) {
            region.to_string()
        } else {
            region_field.to_string()
        };
        let account = if wild(account_field) {
            account.to_string()
        } else {
            account_field.to_string()
        };
        format!(
            "{}:{}:{}:{region}:{account}:{}",
            fill(fields.first().copied().unwrap_or("arn")),
            fill(fields.get(1).copied().unwrap_or("aws")),
            fill(fields.get(2).copied().unwrap_or("")),
            fill(fields.get(5).copied().unwrap_or(""))
        )
    } else {
        fill(pattern)
    }
}

/// The account an ARN names, else `default`.
fn account_of(arn: &str, default: &str) -> String {
    match arn.split(':').nth(4) {
        Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => a.to_string(),
        _ => default.to_string(),
    }
}

fn ctx(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A tag value that satisfies a condition value as written (wildcards filled in).
fn value_for(text: &str) -> String {
    let v = text.replace(['*', '?'], "x");
    if v.is_empty() {
        "x".into()
    } else {
        v
    }
}

/// The tagging action of a service, and whether its tags reach existing resources.
fn tag_action(service: &str, resource: &str) -> String {
    match service {
        "ec2" => "ec2:CreateTags".into(),
        "s3" if resource.contains('/') => "s3:PutObjectTagging".into(),
        "s3" => "s3:PutBucketTagging".into(),
        "rds" => "rds:AddTagsToResource".into(),
        "sqs" => "sqs:TagQueue".into(),
        "iam" if resource.contains(":user/") => "iam:TagUser".into(),
        "iam" => "iam:TagRole".into(),
        "elasticloadbalancing" => "elasticloadbalancing:AddTags".into(),
        other => format!("{other}:TagResource"),
    }
}

/// One request of a candidate path: action, resource, context, resource policy.
type ProbeStep<'a> = (
    &'a str,
    String,
    Vec<(String, String)>,
    Option<&'a NamedPolicy>,
);

/// A service principal, the path's code, and the requests that start the service.
type ServiceStart = (&'static str, &'static str, Vec<(&'static str, String)>);

struct Auditor<'p, 's> {
    plan: &'p mut Plan<'s>,
    account: String,
    region: String,
    /// Request keys the role's own Allows ask for, which the caller sets freely: request
    /// tags and tag keys.
    request_keys: Vec<(String, String)>,
    paths: Vec<Path>,
    errors: Vec<String>,
}

impl Auditor<'_, '_> {
    /// The step, when the engine allows it with `context`, or with `context` and the
    /// request tags the role's policies ask for.
    fn allowed(
        &mut self,
        action: &str,
        resource: &str,
        context: &[(String, String)],
        rp: Option<&NamedPolicy>,
    ) -> Option<PathStep> {
        let account = account_of(resource, &self.account);
        let mut with_tags = self.request_keys.clone();
        with_tags.extend(context.iter().cloned());
        for c in [context.to_vec(), with_tags] {
            match self.plan.decide(action, resource, &account, &c, rp) {
                Ok(r) if r.decision == Decision::Allow => {
                    return Some(PathStep {
                        action: action.to_string(),
                        resource: resource.to_string(),
                        context: c.into_iter().collect(),
                        allowed_by: allowed_by(&r),
                    })
                }
                Ok(_) => {}
                Err(e) => self.errors.push(e),
            }
        }
        None
    }

    /// Records a path when every step is allowed.
    fn path(
        &mut self,
        class: PathClass,
        code: &str,
        title: String,
        target: &str,
        steps: &[ProbeStep<'_>],
        fix: String,
    ) -> bool {
        let mut done = Vec::new();
        for (action, resource, c, rp) in steps {
            match self.allowed(action, resource, c, *rp) {
                Some(s) => done.push(s),
                None => return false,
            }
        }
        self.paths.push(Path {
            class,
            code: code.to_string(),
            title,
            target: target.to_string(),
            steps: done,
            fix,
        });
        true
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            self.region, self.account
        )
    }

    fn pass_role(&mut self, t: &Targets, self_arn: &str) {
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
    fn assume_role(&mut self, t: &Targets, self_arn: &str) {
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
    fn code_injection(&mut self) {
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

    fn iam_writes(&mut self, t: &Targets, self_arn: &str) {
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

    /// Every Allow gated by a resource tag: can the role set that tag on a resource it did
    /// not create, then act?
    fn tag_then_act(&mut self, snapshot: &Snapshot) {
        let mut gated: BTreeSet<(String, String, String, String)> = BTreeSet::new();
        for p in self.plan.identity_policies() {
            for st in &p.policy.statements {
                if st.effect != Effect::Allow || st.action.negated {
                    continue;
                }
                let Some(res) = &st.resource else { continue };
                if res.negated {
                    continue;
                }
                for c in &st.conditions {
                    let key = c.key.as_str();
                    let lower = key.to_ascii_lowercase();
                    let tag = if lower.starts_with("aws:resourcetag/") {
                        key.get("aws:ResourceTag/".len()..)
                    } else if lower.ends_with(":resourcetag/") || lower.contains(":resourcetag/") {
                        key.split_once('/').map(|(_, t)| t)
                    } else {
                        None
                    };
                    let Some(tag) = tag else { continue };
                    let value = c
                        .value_texts()
                        .first()
                        .map(|v| value_for(v))
                        .unwrap_or_else(|| "x".into());
                    for a in &st.action.patterns {
                        let action = a.pattern_text();
                        if action.contains('*') || action.contains('?') {
                            continue;
                        }
                        for r in &res.patterns {
                            gated.insert((
                                action.clone(),
                                r.text(),
                                tag.to_string(),
                                value.clone(),
                            ));
                        }
                    }
                }
            }
        }
        let mut seen = BTreeSet::new();
        for (action, pattern, tag, value) in gated {
            if pattern.contains("${") {
                continue;
            }
            let resource = instantiate(&pattern, &self.region, &self.account);
            let service = action.split(':').next().unwrap_or("").to_ascii_lowercase();
            // A resource of the snapshot the pattern matches and that lacks the tag, else
            // the pattern's own instance (a resource the role did not create: no tags).
            let existing = snapshot_resources(snapshot)
                .into_iter()
                .find(|(arn, tags)| {
                    vaultward_iam::glob::Glob::new(&pattern).is_match(arn)
                        && !tags.contains_key(&tag)
                });
            let (resource, tags) = existing.unwrap_or((resource, BTreeMap::new()));
            let tagger = tag_action(&service, &resource);
            if !seen.insert((action.clone(), resource.clone(), tag.clone())) {
                continue;
            }
            let mut before: Vec<(String, String)> = tags
                .iter()
                .map(|(k, v)| (format!("aws:ResourceTag/{k}"), v.clone()))
                .collect();
            let mut tagging = before.clone();
            tagging.push((format!("aws:RequestTag/{tag}"), value.clone()));
            tagging.push(("aws:TagKeys".into(), tag.clone()));
            before.push((format!("aws:ResourceTag/{tag}"), value.clone()));
            self.path(
                PathClass::TagThenAct,
                "tag-then-act",
                format!("tag `{resource}` with `{tag}`, then `{action}` on it"),
                &resource,
                &[
                    (tagger.as_str(), resource.clone(), tagging, None),
                    (action.as_str(), resource.clone(), before, None),
                ],
                format!("let the role set `{tag}` only while creating a resource (EC2: deny `ec2:CreateTags` where `ec2:CreateAction` is null), deny `{tagger}` of `{tag}` on resources that do not carry it, or gate `{action}` on something the role cannot set (a name prefix)"),
            );
        }
    }

    fn exposure(&mut self, snapshot: &Snapshot) -> Result<(), String> {
        let acct = self.account.clone();
        let mut buckets: Vec<(String, Option<NamedPolicy>)> = Vec::new();
        for b in &snapshot.buckets {
            let rp = resource_policy(
                &b.policy,
                &format!("bucket policy of {}", b.name),
                &format!("the bucket policy of `{}`", b.name),
                PolicyKind::Resource,
            )?;
            buckets.push((b.name.clone(), rp));
        }
        buckets.push(("vaultward-audit-any".into(), None));
        let own = |extra: &[(&str, &str)]| {
            let mut c = ctx(&[("s3:ResourceAccount", &acct)]);
            c.extend(ctx(extra));
            c
        };
        for (name, rp) in &buckets {
            let bucket = format!("arn:aws:s3:::{name}");
            let object = format!("{bucket}/vaultward-audit");
            let rp = rp.as_ref();
            let fix_acl = "grant no `s3:PutObjectAcl`/`s3:PutBucketAcl`, and `s3:PutObject` only with `s3:x-amz-acl` private (`StringEqualsIfExists`) and every `s3:x-amz-grant-*` null; keep the public access block on".to_string();
            for (code, title, action, resource, c) in [
                (
                    "s3-object-acl",
                    "write any ACL on objects (in the body: no condition key sees it)",
                    "s3:PutObjectAcl",
                    object.clone(),
                    own(&[]),
                ),
                (
                    "s3-public-upload",
                    "upload objects with a public-read ACL",
                    "s3:PutObject",
                    object.clone(),
                    own(&[("s3:x-amz-acl", "public-read")]),
                ),
                (
                    "s3-public-upload",
                    "upload objects granting read to everyone",
                    "s3:PutObject",
                    object.clone(),
                    own(&[(
                        "s3:x-amz-grant-read",
                        "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
                    )]),
                ),
                (
                    "s3-bucket-acl",
                    "write the bucket's ACL",
                    "s3:PutBucketAcl",
                    bucket.clone(),
                    own(&[]),
                ),
                (
                    "s3-public-access-block",
                    "turn off the bucket's public access block",
                    "s3:PutBucketPublicAccessBlock",
                    bucket.clone(),
                    own(&[]),
                ),
            ] {
                self.path(
                    PathClass::PublicExposure,
                    code,
                    format!("{title} in `{name}`"),
                    &resource,
                    &[(action, resource.clone(), c, rp)],
                    fix_acl.clone(),
                );
            }
            for action in ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"] {
                self.path(
                    PathClass::ResourcePolicyWrite,
                    "bucket-policy-write",
                    format!("`{action}` on `{name}`"),
                    &bucket,
                    &[(action, bucket.clone(), own(&[]), rp)],
                    format!("remove `{action}` from the role's policies"),
                );
            }
            for (action, resource) in [
                ("s3:DeleteObject", object.clone()),
                ("s3:DeleteObjectVersion", object.clone()),
                ("s3:DeleteBucket", bucket.clone()),
                ("s3:PutLifecycleConfiguration", bucket.clone()),
            ] {
                self.path(PathClass::DataDestruction, "s3-delete", format!("`{action}` in `{name}`"), &resource, &[(action, resource.clone(), own(&[]), rp)], format!("remove `{action}`, or limit it to what the role creates (a prefix it owns)"));
            }
        }
        self.path(
            PathClass::PublicExposure,
            "s3-account-public-access-block",
            "turn off the account's S3 public access block".into(),
            "*",
            &[(
                "s3:PutAccountPublicAccessBlock",
                "*".into(),
                Vec::new(),
                None,
            )],
            "remove `s3:PutAccountPublicAccessBlock`".into(),
        );
        for (action, resource, code) in [
            (
                "ec2:ModifySnapshotAttribute",
                "arn:aws:ec2:{region}::snapshot/snap-0vaultwardaudit"
                    .replace("{region}", &self.region),
                "ec2-share-snapshot",
            ),
            (
                "ec2:ModifyImageAttribute",
                "arn:aws:ec2:{region}::image/ami-0vaultwardaudit".replace("{region}", &self.region),
                "ec2-share-image",
            ),
            (
                "rds:ModifyDBSnapshotAttribute",
                self.arn("rds", "snapshot:vaultward-audit"),
                "rds-share-snapshot",
            ),
        ] {
            self.path(PathClass::PublicExposure, code, format!("`{action}`: share `{resource}` with any account, or everyone"), &resource, &[(action, resource.clone(), Vec::new(), None)], format!("remove `{action}`, or limit it to resources the role creates (a tag set only at creation)"));
        }
        let policy_writes: Vec<(&str, String)> = vec![
            (
                "backup:PutBackupVaultAccessPolicy",
                self.arn("backup", "backup-vault:vaultward-audit"),
            ),
            ("sns:SetTopicAttributes", self.arn("sns", "vaultward-audit")),
            ("sns:AddPermission", self.arn("sns", "vaultward-audit")),
            ("sqs:SetQueueAttributes", self.arn("sqs", "vaultward-audit")),
            ("sqs:AddPermission", self.arn("sqs", "vaultward-audit")),
            (
                "lambda:AddPermission",
                self.arn("lambda", "function:vaultward-audit"),
            ),
            (
                "secretsmanager:PutResourcePolicy",
                self.arn("secretsmanager", "secret:vaultward-audit"),
            ),
            (
                "dynamodb:PutResourcePolicy",
                self.arn("dynamodb", "table/vaultward-audit"),
            ),
            (
                "ecr:SetRepositoryPolicy",
                self.arn("ecr", "repository/vaultward-audit"),
            ),
        ];
        for (action, resource) in policy_writes {
            self.path(
                PathClass::ResourcePolicyWrite,
                "resource-policy-write",
                format!("`{action}` on `{resource}`"),
                &resource,
                &[(action, resource.clone(), Vec::new(), None)],
                format!("remove `{action}` from the role's policies"),
            );
        }
        Ok(())
    }

    fn kms(&mut self, snapshot: &Snapshot) -> Result<(), String> {
        let mut keys: Vec<(String, Option<NamedPolicy>)> = Vec::new();
        for k in &snapshot.kms_keys {
            if k.manager.as_deref() == Some("AWS") {
                continue;
            }
            let rp = resource_policy(
                &k.policy,
                &format!("key policy of {}", k.arn),
                &format!("the key policy of `{}`", k.arn),
                PolicyKind::Resource,
            )?;
            keys.push((k.arn.clone(), rp));
        }
        // A key the snapshot does not hold, under the default key policy (the account's
        // IAM policies decide).
        let any = self.arn("kms", "key/00000000-0000-0000-0000-0000vaultwrd");
        let default = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", self.account)}, "Action": "kms:*", "Resource": "*"}]});
        let default = resource_policy(
            &vaultward_snapshot::Collected::Document(default),
            "default key policy",
            "the default key policy",
            PolicyKind::Resource,
        )?;
        keys.push((any, default));
        for (arn, rp) in &keys {
            let rp = rp.as_ref();
            for (action, code, c, title) in [
                (
                    "kms:PutKeyPolicy",
                    "kms-key-policy-write",
                    Vec::new(),
                    "rewrite the key policy",
                ),
                (
                    "kms:CreateGrant",
                    "kms-grant-to-anyone",
                    ctx(&[("kms:GrantIsForAWSResource", "false")]),
                    "grant the key to any principal (not only to AWS services for a resource)",
                ),
                (
                    "kms:ScheduleKeyDeletion",
                    "kms-delete-key",
                    Vec::new(),
                    "schedule the key's deletion (its data becomes unreadable)",
                ),
                (
                    "kms:DisableKey",
                    "kms-disable-key",
                    Vec::new(),
                    "disable the key",
                ),
            ] {
                self.path(PathClass::KmsAbuse, code, format!("{title}: `{arn}`"), arn, &[(action, arn.clone(), c, rp)], format!("remove `{action}`, or condition `kms:CreateGrant` on `kms:GrantIsForAWSResource`"));
            }
        }
        Ok(())
    }

    fn secrets(&mut self) {
        for (action, resource) in [
            (
                "secretsmanager:GetSecretValue",
                self.arn("secretsmanager", "secret:vaultward-audit"),
            ),
            (
                "ssm:GetParameter",
                self.arn("ssm", "parameter/vaultward-audit"),
            ),
            (
                "ssm:GetParametersByPath",
                self.arn("ssm", "parameter/vaultward-audit"),
            ),
        ] {
            self.path(
                PathClass::SecretsRead,
                "secrets-read",
                format!("`{action}` on `{resource}`"),
                &resource,
                &[(action, resource.clone(), Vec::new(), None)],
                format!("remove `{action}`: a backup service reads data, not secrets"),
            );
        }
    }

    /// Deletes and protection changes on resources the role did not create: the snapshot's
    /// own (with their tags) and, for each type, one without tags.
    fn destruction(&mut self, snapshot: &Snapshot) {
        let region = self.region.clone();
        let mut tables: Vec<(String, BTreeMap<String, String>)> = snapshot
            .dynamodb_tables
            .iter()
            .map(|t| (t.arn.clone(), t.tags.clone()))
            .collect();
        tables.push((
            self.arn("dynamodb", "table/vaultward-audit"),
            BTreeMap::new(),
        ));
        let mut volumes: Vec<(String, BTreeMap<String, String>)> = snapshot
            .ebs_volumes
            .iter()
            .map(|v| (v.arn.clone(), v.tags.clone()))
            .collect();
        volumes.push((
            self.arn("ec2", "volume/vol-0vaultwardaudit"),
            BTreeMap::new(),
        ));
        let mut instances: Vec<(String, BTreeMap<String, String>)> = snapshot
            .ec2_instances
            .iter()
            .map(|i| (i.arn.clone(), i.tags.clone()))
            .collect();
        instances.push((
            self.arn("ec2", "instance/i-0vaultwardaudit"),
            BTreeMap::new(),
        ));
        let mut cases: Vec<(&str, String, BTreeMap<String, String>)> = Vec::new();
        for (arn, tags) in &tables {
            for a in [
                "dynamodb:DeleteTable",
                "dynamodb:UpdateTable",
                "dynamodb:UpdateContinuousBackups",
                "dynamodb:UpdateTimeToLive",
                "dynamodb:DeleteItem",
                "dynamodb:BatchWriteItem",
            ] {
                cases.push((a, arn.clone(), tags.clone()));
            }
            cases.push((
                "dynamodb:DeleteBackup",
                format!("{arn}/backup/01234567890123-abcdef01"),
                BTreeMap::new(),
            ));
        }
        for (arn, tags) in &volumes {
            for a in ["ec2:DeleteVolume", "ec2:DetachVolume"] {
                cases.push((a, arn.clone(), tags.clone()));
            }
        }
        for (arn, tags) in &instances {
            for a in ["ec2:TerminateInstances", "ec2:StopInstances"] {
                cases.push((a, arn.clone(), tags.clone()));
            }
        }
        cases.push((
            "ec2:DeleteSnapshot",
            format!("arn:aws:ec2:{region}::snapshot/snap-0vaultwardaudit"),
            BTreeMap::new(),
        ));
        cases.push((
            "ec2:DeregisterImage",
            format!("arn:aws:ec2:{region}::image/ami-0vaultwardaudit"),
            BTreeMap::new(),
        ));
        let vault = self.arn("backup", "backup-vault:vaultward-audit");
        cases.push(("backup:DeleteBackupVault", vault.clone(), BTreeMap::new()));
        cases.push((
            "backup:DeleteRecoveryPoint",
            self.arn("backup", "recovery-point:vaultward-audit"),
            BTreeMap::new(),
        ));
        for a in [
            "rds:DeleteDBInstance",
            "rds:DeleteDBCluster",
            "rds:DeleteDBSnapshot",
        ] {
            let kind = match a {
                "rds:DeleteDBInstance" => "db:vaultward-audit",
                "rds:DeleteDBCluster" => "cluster:vaultward-audit",
                _ => "snapshot:vaultward-audit",
            };
            cases.push((a, self.arn("rds", kind), BTreeMap::new()));
        }
        for (action, resource, tags) in cases {
            let c: Vec<(String, String)> = tags
                .iter()
                .map(|(k, v)| (format!("aws:ResourceTag/{k}"), v.clone()))
                .collect();
            self.path(PathClass::DataDestruction, "data-destruction", format!("`{action}` on `{resource}`, which the role did not create"), &resource, &[(action, resource.clone(), c, None)], format!("remove `{action}`, or limit it to what the role creates: a tag set only at creation (`ec2:CreateAction`) or a name prefix"));
        }
    }
}

/// The snapshot's taggable resources with their tags.
fn snapshot_resources(s: &Snapshot) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    out.extend(
        s.dynamodb_tables
            .iter()
            .map(|t| (t.arn.clone(), t.tags.clone())),
    );
    out.extend(
        s.ebs_volumes
            .iter()
            .map(|v| (v.arn.clone(), v.tags.clone())),
    );
    out.extend(
        s.ec2_instances
            .iter()
            .map(|i| (i.arn.clone(), i.tags.clone())),
    );
    out.extend(
        s.buckets
            .iter()
            .map(|b| (format!("arn:aws:s3:::{}", b.name), b.tags.clone())),
    );
    out
}

/// The statements that allowed a request.
fn allowed_by(r: &Response) -> Vec<String> {
    r.reasons
        .iter()
        .filter(|x| x.effect == Some(Effect::Allow))
        .map(|x| x.statement_ref.clone().unwrap_or_else(|| x.message.clone()))
        .collect()
}

/// The attacker-set request keys the role's Allows name: request tags and tag keys.
fn request_keys(policies: &[NamedPolicy]) -> Vec<(String, String)> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for p in policies {
        for st in &p.policy.statements {
            if st.effect != Effect::Allow {
                continue;
            }
            for c in &st.conditions {
                let lower = c.key.to_ascii_lowercase();
                if lower.starts_with("aws:requesttag/") || lower == "aws:tagkeys" {
                    if let Some(v) = c.value_texts().first() {
                        out.entry(c.key.clone()).or_insert_with(|| value_for(v));
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Audits `role_arn` in the snapshot. `Err` when the role is not in the IAM export (bad input).
pub fn audit(s: &Snapshot, role_arn: &str) -> Result<Audit, RoleError> {
    let opts = CheckOptions::new(role_arn, BTreeSet::new(), BTreeSet::new());
    let mut plan = Plan::new(s, &opts)?;
    let mut unknown = plan.role_unreadable();
    let mut notes = Vec::new();
    if s.organization
        .as_ref()
        .is_some_and(|o| o.policies_not_collected.is_some())
        || s.organization.is_none()
    {
        notes.push("the organization's SCPs and RCPs are not in the snapshot: a path reported here may still be blocked by one (they can only deny, so none is missed)".into());
    }
    let region = s
        .buckets
        .iter()
        .find_map(|b| b.region.clone())
        .or_else(|| {
            s.dynamodb_tables
                .iter()
                .find_map(|t| t.arn.split(':').nth(3).map(str::to_string))
        })
        .unwrap_or_else(|| "us-east-1".into());
    let request_keys = request_keys(plan.identity_policies());
    let t = targets(s);
    let mut a = Auditor {
        plan: &mut plan,
        account: s.account_id.clone(),
        region,
        request_keys,
        paths: Vec::new(),
        errors: Vec::new(),
    };
    a.assume_role(&t, role_arn);
    a.pass_role(&t, role_arn);
    a.code_injection();
    a.iam_writes(&t, role_arn);
    a.tag_then_act(s);
    if let Err(e) = a.exposure(s) {
        unknown.push(e);
    }
    if let Err(e) = a.kms(s) {
        unknown.push(e);
    }
    a.secrets();
    a.destruction(s);
    let paths = std::mem::take(&mut a.paths);
    unknown.extend(std::mem::take(&mut a.errors));
    let verdict = if !paths.is_empty() {
        Verdict::Paths
    } else if !unknown.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Clean
    };
    Ok(Audit {
        role: role_arn.to_string(),
        verdict,
        paths,
        unknown,
        notes,
        requests: plan.requests(),
    })
}

/// The audit in words.
pub fn render_human(a: &Audit) -> String {
    let mut out = format!(
        "audit of {}: {}\n",
        a.role,
        match a.verdict {
            Verdict::Clean => "no escalation, exposure or destruction path".to_string(),
            Verdict::Paths => format!("{} path(s) open", a.paths.len()),
            Verdict::Unknown => "unknown: part of the role's side could not be read".to_string(),
        }
    );
    let mut class = None;
    for p in &a.paths {
        if class != Some(p.class) {
            out.push_str(&format!(
                "\n{}: {}\n",
                p.class.name(),
                p.class.description()
            ));
            class = Some(p.class);
        }
        out.push_str(&format!("  [{}] {}\n", p.code, p.title));
        for (i, s) in p.steps.iter().enumerate() {
            out.push_str(&format!(
                "    {}. {} on {}{} (allowed by {})\n",
                i + 1,
                s.action,
                s.resource,
                if s.context.is_empty() {
                    String::new()
                } else {
                    format!(
                        " with {}",
                        s.context
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                s.allowed_by.join("; ")
            ));
        }
        out.push_str(&format!("    fix: {}\n", p.fix));
    }
    for u in &a.unknown {
        out.push_str(&format!("\nunknown: {u}\n"));
    }
    for n in &a.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    out
}

/// The audit as SARIF 2.1.0: one rule per path class, one result per path.
///
/// `source` is the snapshot file as named, `text` its content: each result is located at the
/// audited role's entry of the snapshot (a relative URI, as GitHub code scanning wants).
pub fn sarif(a: &Audit, source: &str, text: Option<&str>) -> Value {
    let (uri, relative) = crate::check::artifact_uri(source);
    let line = text
        .and_then(|t| {
            t.find(&format!("\"{}\"", a.role))
                .map(|at| vaultward_iam::json::line_col(t, at).0)
        })
        .unwrap_or(1);
    let mut artifact = json!({"uri": uri});
    if relative {
        artifact["uriBaseId"] = json!("%SRCROOT%");
    }
    let help_uri = concat!(
        env!("CARGO_PKG_REPOSITORY"),
        "/blob/main/README.md#vaultward-audit"
    );
    let classes = [
        PathClass::AssumeRole,
        PathClass::PassRole,
        PathClass::CodeInjection,
        PathClass::IamWrite,
        PathClass::TagThenAct,
        PathClass::ResourcePolicyWrite,
        PathClass::PublicExposure,
        PathClass::KmsAbuse,
        PathClass::SecretsRead,
        PathClass::DataDestruction,
    ];
    let rules: Vec<Value> = classes
        .iter()
        .map(|c| {
            json!({
                "id": c.name(),
                "name": crate::check::pascal_case(c.name()),
                "shortDescription": {"text": c.description()},
                "fullDescription": {"text": c.description()},
                "help": {"text": format!("{} Each result lists the requests the engine allowed and the statements that allowed them; its fix closes the first step.", c.description())},
                "helpUri": help_uri,
                "defaultConfiguration": {"level": "error"}
            })
        })
        .collect();
    let results: Vec<Value> = a
        .paths
        .iter()
        .map(|p| {
            let steps: Vec<String> = p
                .steps
                .iter()
                .map(|s| format!("{} on {} (allowed by {})", s.action, s.resource, s.allowed_by.join("; ")))
                .collect();
            json!({
                "ruleId": p.class.name(),
                "level": "error",
                "message": {"text": format!("{}. Steps: {}. Fix: {}.", p.title, steps.join("; then "), p.fix)},
                "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": line}}}],
                "properties": {"code": p.code, "target": p.target}
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "vaultward-audit", "version": env!("CARGO_PKG_VERSION"), "informationUri": env!("CARGO_PKG_REPOSITORY"), "rules": rules}},
            "results": results
        }]
    })
}
