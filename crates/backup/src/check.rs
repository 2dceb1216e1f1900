//! The pre-flight check: for every protected resource and every backup or restore
//! operation, will the role's requests be allowed? If not, which statement stops them,
//! what would be lost, and what to change.
//!
//! Every request goes through the engine with the role's identity policies, its
//! permissions boundary, the resource's policy (bucket, key or vault policy), and the
//! organization's SCPs and RCPs, as a session of the role makes it: over TLS, from no VPC,
//! with the role's tags as principal tags.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;
use vaultward_iam::authorizer::PolicyType;
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, Policy, PolicyKind,
    PolicySet, Request, Response,
};

use crate::params::AssetType;

mod render;
use crate::inventory::Inventory;
use crate::snapshot::{Bucket, Snapshot};
pub use render::{html, sarif};

/// Backup or restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Backup,
    Restore,
}

impl Op {
    pub fn parse(s: &str) -> Option<Op> {
        match s.trim() {
            "backup" => Some(Op::Backup),
            "restore" => Some(Op::Restore),
            _ => None,
        }
    }
}

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The backup role's ARN (with its path).
    pub role_arn: String,
    pub assets: BTreeSet<AssetType>,
    pub operations: BTreeSet<Op>,
}

/// How bad a finding is: `blocking` (the operation fails or skips data), `unknown` (the
/// snapshot lacks what is needed to decide), or `warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Blocking,
    Unknown,
    Warning,
}

/// What a finding costs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// Objects that would be skipped (S3), when the finding is about objects.
    pub objects: u64,
    pub bytes: u64,
    /// In words: "backup fails", "3 objects (12 KB) skipped".
    pub summary: String,
}

/// One problem, with its evidence and its fix.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable kebab-case code (see the README).
    pub code: &'static str,
    pub level: Level,
    pub resource: String,
    pub operation: Op,
    pub action: String,
    /// The policy and statement that decided, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    pub reason: String,
    pub impact: Impact,
    pub fix: String,
}

/// One cell of the resource × operation matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub resource: String,
    pub operation: Op,
    /// `ok`, `blocked` or `unknown`.
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub account: String,
    pub role: String,
    pub findings: Vec<Finding>,
    pub matrix: Vec<Cell>,
    /// Requests evaluated (objects are evaluated once per group of key and owner).
    pub requests: usize,
}

impl Report {
    pub fn blocks(&self) -> bool {
        self.findings.iter().any(|f| f.level == Level::Blocking)
    }
}

/// Reads a policy field of the snapshot (a document, or a string holding one).
fn parse_doc(v: &Value, kind: PolicyKind) -> Option<Policy> {
    match v {
        Value::String(s) => parse_policy(s, kind).policy,
        other => parse_policy(&other.to_string(), kind).policy,
    }
}

fn named(v: &Value, default_name: String, kind: PolicyKind) -> Option<NamedPolicy> {
    let (name, doc) = match (v.get("name"), v.get("document")) {
        (Some(Value::String(n)), Some(d)) => (n.clone(), d),
        _ => (default_name, v),
    };
    parse_doc(doc, kind).map(|policy| NamedPolicy { name, policy })
}

/// The role's side: identity policies, boundary, tags; or why it is unknown.
struct RoleSide {
    identity: Vec<NamedPolicy>,
    boundary: Option<NamedPolicy>,
    tags: Vec<(String, String)>,
}

fn role_side(s: &Snapshot, role_arn: &str) -> Result<RoleSide, String> {
    let iam = s
        .iam
        .as_ref()
        .ok_or("the IAM authorization details were not collected")?;
    let roles = iam
        .get("RoleDetailList")
        .and_then(Value::as_array)
        .ok_or("the IAM export has no `RoleDetailList`")?;
    let role_name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let role = roles
        .iter()
        .find(|r| r.get("Arn").and_then(Value::as_str) == Some(role_arn))
        .or_else(|| {
            roles
                .iter()
                .find(|r| r.get("RoleName").and_then(Value::as_str) == Some(role_name))
        })
        .ok_or_else(|| format!("role `{role_arn}` is not in the IAM export"))?;
    let policies = iam
        .get("Policies")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let managed_doc = |arn: &str| -> Option<Value> {
        let p = policies
            .iter()
            .find(|p| p.get("Arn").and_then(Value::as_str) == Some(arn))?;
        let versions = p.get("PolicyVersionList")?.as_array()?;
        versions
            .iter()
            .find(|v| v.get("IsDefaultVersion") == Some(&Value::Bool(true)))
            .and_then(|v| v.get("Document"))
            .cloned()
    };
    let mut identity = Vec::new();
    for a in role
        .get("AttachedManagedPolicies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let arn = a.get("PolicyArn").and_then(Value::as_str).unwrap_or("");
        let name = a
            .get("PolicyName")
            .and_then(Value::as_str)
            .unwrap_or(arn)
            .to_string();
        let doc = managed_doc(arn).ok_or_else(|| {
            format!("managed policy `{name}` attached to the role is not in the IAM export")
        })?;
        identity.push(
            parse_doc(&doc, PolicyKind::Identity)
                .map(|policy| NamedPolicy {
                    name: name.clone(),
                    policy,
                })
                .ok_or_else(|| format!("managed policy `{name}` is not a valid policy"))?,
        );
    }
    for i in role
        .get("RolePolicyList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = i
            .get("PolicyName")
            .and_then(Value::as_str)
            .unwrap_or("inline")
            .to_string();
        let doc = i
            .get("PolicyDocument")
            .ok_or_else(|| format!("inline policy `{name}` has no document"))?;
        identity.push(
            parse_doc(doc, PolicyKind::Identity)
                .map(|policy| NamedPolicy {
                    name: name.clone(),
                    policy,
                })
                .ok_or_else(|| format!("inline policy `{name}` is not a valid policy"))?,
        );
    }
    let boundary = match role
        .get("PermissionsBoundary")
        .and_then(|b| b.get("PermissionsBoundaryArn"))
        .and_then(Value::as_str)
    {
        None => None,
        Some(arn) => {
            let doc = managed_doc(arn).ok_or_else(|| {
                format!("the role's permissions boundary `{arn}` is not in the IAM export")
            })?;
            Some(NamedPolicy {
                name: arn.rsplit('/').next().unwrap_or(arn).to_string(),
                policy: parse_doc(&doc, PolicyKind::Boundary)
                    .ok_or("the permissions boundary is not a valid policy")?,
            })
        }
    };
    let tags = role
        .get("Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t.get("Key")?.as_str()?.to_string(),
                t.get("Value")?.as_str()?.to_string(),
            ))
        })
        .collect();
    Ok(RoleSide {
        identity,
        boundary,
        tags,
    })
}

struct Checker<'s> {
    s: &'s Snapshot,
    opts: &'s CheckOptions,
    /// The role's tags, as principal tags.
    tags: Vec<(String, String)>,
    /// Everything but the resource policy, built once: each request only swaps that in.
    base: PolicySet,
    inventory: Option<&'s Inventory>,
    report: Report,
}

fn levels(levels: &[Vec<Value>], kind: PolicyKind, prefix: &str) -> Vec<Vec<NamedPolicy>> {
    levels
        .iter()
        .enumerate()
        .map(|(l, level)| {
            level
                .iter()
                .enumerate()
                .filter_map(|(i, p)| named(p, format!("{prefix}[{l}][{i}]"), kind))
                .collect()
        })
        .collect()
}

pub use crate::inventory::{Group, GroupKey};

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

impl Checker<'_> {
    fn request(
        &mut self,
        action: &str,
        resource: &str,
        resource_account: &str,
        extra: &[(&str, &str)],
    ) -> Option<Request> {
        let role_name = self.opts.role_arn.rsplit('/').next().unwrap_or("role");
        let session = format!(
            "arn:aws:sts::{}:assumed-role/{role_name}/vaultward-check",
            self.s.account_id
        );
        let mut ctx = Context::default();
        ctx.insert(
            "aws:PrincipalArn",
            ContextValue::Single(self.opts.role_arn.clone()),
        );
        ctx.insert("aws:SecureTransport", ContextValue::Single("true".into()));
        if let Some(id) = self.s.organization.as_ref().and_then(|o| o.id.clone()) {
            ctx.insert("aws:PrincipalOrgID", ContextValue::Single(id));
        }
        for (k, v) in &self.tags {
            ctx.insert(
                &format!("aws:PrincipalTag/{k}"),
                ContextValue::Single(v.clone()),
            );
        }
        // S3 sets s3:ResourceAccount to the bucket owner's account on every request.
        if action.starts_with("s3:") {
            ctx.insert(
                "s3:ResourceAccount",
                ContextValue::Single(resource_account.to_string()),
            );
        }
        for (k, v) in extra {
            ctx.insert(k, ContextValue::Single((*v).to_string()));
        }
        self.report.requests += 1;
        Request::new(&session, action, resource, Some(resource_account), ctx).ok()
    }

    fn evaluate(&mut self, req: &Request, resource_policy: Option<NamedPolicy>) -> Response {
        self.base.resource = resource_policy;
        let r = authorize(req, &self.base);
        self.base.resource = None;
        r
    }

    fn cell(&mut self, resource: &str, op: Op, status: &'static str) {
        if let Some(c) = self
            .report
            .matrix
            .iter_mut()
            .find(|c| c.resource == resource && c.operation == op)
        {
            let rank = |s: &str| match s {
                "blocked" => 2,
                "unknown" => 1,
                _ => 0,
            };
            if rank(status) > rank(c.status) {
                c.status = status;
            }
        } else {
            self.report.matrix.push(Cell {
                resource: resource.into(),
                operation: op,
                status,
            });
        }
    }

    /// Turns a denial into a finding: which policy decided, in the user's words, and the fix.
    #[expect(
        clippy::too_many_arguments,
        reason = "each argument is one piece of the finding's evidence"
    )]
    fn denied(
        &mut self,
        r: &Response,
        resource: &str,
        op: Op,
        action: &str,
        kind: &str,
        aws_managed_key: bool,
        impact: Impact,
        resource_policy_text: Option<&Value>,
    ) {
        let deciding = r.reasons.first();
        let policy_type = deciding.map(|d| d.policy_type);
        let (code, fix) = match (r.decision, policy_type, kind) {
            (_, Some(PolicyType::Resource), "key") if aws_managed_key => ("aws-managed-key", "an AWS managed key's policy cannot be edited and allows only its own service in its own account: re-encrypt the data with a customer managed key whose policy names the role (or copy it under the bucket's default customer managed key)".to_string()),
            (_, Some(PolicyType::Resource), "key") => ("kms-key-policy-denies", format!("add to the key policy a statement allowing `kms:Decrypt` and `kms:GenerateDataKey*` to `{}` (run `vaultward fix`)", self.opts.role_arn)),
            (Decision::ExplicitDeny, Some(PolicyType::Resource), "bucket") => ("explicit-deny-bucket-policy", format!("add an `ArnNotLike` `aws:PrincipalArn` exception for `{}` to the Deny statement's condition (not a `NotPrincipal`)", self.opts.role_arn)),
            (_, Some(PolicyType::Resource), "vault") => ("vault-policy-denies", format!("exempt `{}` in the vault access policy's Deny, or allow it there", self.opts.role_arn)),
            (_, Some(PolicyType::Resource), _) => ("resource-policy-denies", "change the resource policy to allow the role".to_string()),
            (_, Some(PolicyType::Scp), _) => ("scp-denies", "ask the organization's administrators to exempt the role in the SCP (an `ArnNotLike` `aws:PrincipalArn` condition)".to_string()),
            (_, Some(PolicyType::Rcp), _) => ("rcp-denies", "ask the organization's administrators to exempt the role in the RCP (an `ArnNotLike` `aws:PrincipalArn` condition)".to_string()),
            (_, Some(PolicyType::Boundary), _) => ("boundary-denies", "allow the action in the role's permissions boundary".to_string()),
            (Decision::ExplicitDeny, Some(PolicyType::Identity), _) => ("identity-policy-denies", "remove the Deny from the role's policies".to_string()),
            _ => ("missing-identity-permission", format!("add `{action}` to the role's policies: regenerate them with `vaultward permissions`")),
        };
        let mut reason = deciding
            .map(|d| d.message.clone())
            .unwrap_or_else(|| "denied".into());
        if let Some(doc) = resource_policy_text {
            if r.decision == Decision::ExplicitDeny && has_notprincipal_wildcard(doc) {
                self.report.findings.push(Finding {
                    code: "notprincipal-wildcard",
                    level: Level::Warning,
                    resource: resource.into(),
                    operation: op,
                    action: action.into(),
                    policy: deciding.and_then(|d| d.policy.clone()),
                    statement: deciding.and_then(|d| d.statement.clone()),
                    reason: "the policy's `NotPrincipal` lists an ARN with a wildcard; AWS does not match wildcards there, so the role is not exempted".into(),
                    impact: Impact::default(),
                    fix: format!("replace the `NotPrincipal` with `\"Principal\": \"*\"` and an `ArnNotLike` condition on `aws:PrincipalArn` listing `{}`", self.opts.role_arn),
                });
                reason.push_str(" (its NotPrincipal has a wildcard ARN, which AWS never matches)");
            }
        }
        self.report.findings.push(Finding {
            code,
            level: Level::Blocking,
            resource: resource.into(),
            operation: op,
            action: action.into(),
            policy: deciding.and_then(|d| d.policy.clone()),
            statement: deciding.and_then(|d| d.statement.clone()),
            reason,
            impact,
            fix,
        });
        self.cell(resource, op, "blocked");
    }

    fn unknown(&mut self, resource: &str, op: Op, action: &str, why: String) {
        self.report.findings.push(Finding {
            code: "unknown",
            level: Level::Unknown,
            resource: resource.into(),
            operation: op,
            action: action.into(),
            policy: None,
            statement: None,
            reason: format!("unknown: {why}"),
            impact: Impact {
                summary: "cannot tell".into(),
                ..Impact::default()
            },
            fix: "collect the missing part (see `vaultward collect`) and check again".into(),
        });
        self.cell(resource, op, "unknown");
    }

    fn bucket(&mut self, b: &Bucket, op: Op) {
        let acct = self.s.account_id.clone();
        let bucket_arn = format!("arn:aws:s3:::{}", b.name);
        let policy = match (&b.policy, b.policy.unknown_reason()) {
            (_, Some(why)) => {
                self.unknown(
                    &bucket_arn,
                    op,
                    "s3:ListBucket",
                    format!("bucket policy {why}"),
                );
                return;
            }
            (c, None) => c
                .document()
                .and_then(|d| named(d, format!("{} bucket policy", b.name), PolicyKind::Resource)),
        };
        let policy_doc = b.policy.document().cloned();
        let listed = self.inventory.and_then(|i| i.buckets.get(&b.name));
        let total_objects =
            b.objects.len() as u64 + listed.map_or(0, |g| g.values().map(|v| v.0).sum());
        let total_bytes: u64 = b.objects.iter().map(|o| o.size).sum::<u64>()
            + listed.map_or(0, |g| g.values().map(|v| v.1).sum());
        let all = Impact {
            objects: total_objects,
            bytes: total_bytes,
            summary: format!(
                "{} fails: {total_objects} objects ({}) not {}",
                if op == Op::Backup {
                    "backup"
                } else {
                    "restore"
                },
                human_bytes(total_bytes),
                if op == Op::Backup {
                    "backed up"
                } else {
                    "restored"
                }
            ),
        };
        let bucket_action = if op == Op::Backup {
            "s3:ListBucket"
        } else {
            "s3:PutObject"
        };
        let bucket_resource = if op == Op::Backup {
            bucket_arn.clone()
        } else {
            format!("{bucket_arn}/*")
        };
        let Some(req) = self.request(bucket_action, &bucket_resource, &acct, &[]) else {
            return;
        };
        let r = self.evaluate(&req, policy.clone());
        if r.decision != Decision::Allow {
            self.denied(
                &r,
                &bucket_arn,
                op,
                bucket_action,
                "bucket",
                false,
                all,
                policy_doc.as_ref(),
            );
            return;
        }
        self.cell(&bucket_arn, op, "ok");
        if op == Op::Restore {
            return;
        }
        // Objects the collector could not list, or whose encryption keys it could not read,
        // are unknown unless an inventory listing gives them.
        if listed.is_none() {
            for field in ["objects", "object_encryption"] {
                if let Some(why) = b.not_collected.get(field) {
                    let what = if field == "objects" {
                        "the bucket's objects were not collected"
                    } else {
                        "the objects' encryption keys were not collected"
                    };
                    self.unknown(
                        &bucket_arn,
                        op,
                        "s3:GetObject",
                        format!("{what} ({why}); pass an S3 Inventory listing with --inventory"),
                    );
                    return;
                }
            }
        }
        // Objects, once per group of (encryption key, owner).
        let mut groups: BTreeMap<GroupKey, Group> = BTreeMap::new();
        let default_key = b
            .default_encryption
            .as_ref()
            .filter(|e| e.sse.starts_with("aws:kms"))
            .and_then(|e| e.kms_key_id.clone());
        for o in &b.objects {
            let key = o.kms_key_id.clone().or_else(|| default_key.clone());
            let e = groups
                .entry((key, o.owner_account.clone()))
                .or_insert((0, 0, o.key.clone()));
            e.0 += 1;
            e.1 += o.size;
        }
        if let Some(listed) = self.inventory.and_then(|i| i.buckets.get(&b.name)) {
            for ((key, owner), (count, bytes, sample)) in listed {
                let key = key.clone().or_else(|| default_key.clone());
                let e = groups
                    .entry((key, owner.clone()))
                    .or_insert((0, 0, sample.clone()));
                e.0 += count;
                e.1 += bytes;
            }
        }
        for ((key, owner), (count, bytes, sample_key)) in groups {
            let impact = Impact {
                objects: count,
                bytes,
                summary: format!("{count} objects ({}) skipped", human_bytes(bytes)),
            };
            let object_arn = format!("{bucket_arn}/{sample_key}");
            // Objects written by another account while ACLs are enabled belong to that account.
            match (owner.as_deref(), b.ownership.as_deref()) {
                (Some(o), Some("ObjectWriter" | "BucketOwnerPreferred")) if o != acct => {
                    self.report.findings.push(Finding {
                        code: "object-owner-mismatch",
                        level: Level::Blocking,
                        resource: bucket_arn.clone(),
                        operation: op,
                        action: "s3:GetObject".into(),
                        policy: None,
                        statement: None,
                        reason: format!("{count} objects are owned by account {o}, and the bucket's Object Ownership (`{}`) keeps ACLs in force, so the bucket owner's role gets 403 on them", b.ownership.as_deref().unwrap_or("")),
                        impact,
                        fix: "set Object Ownership to `BucketOwnerEnforced` (ACLs are then disabled and the bucket owner owns every object; check first that nothing relies on ACLs)".into(),
                    });
                    self.cell(&bucket_arn, op, "blocked");
                    continue;
                }
                (None, Some(mode @ ("ObjectWriter" | "BucketOwnerPreferred"))) => {
                    self.unknown(&bucket_arn, op, "s3:GetObject", format!("{count} objects have no recorded owner, and with Object Ownership `{mode}` another account may own them"));
                    continue;
                }
                (Some(o), None) if o != acct => {
                    self.unknown(&bucket_arn, op, "s3:GetObject", format!("{count} objects are owned by account {o} and the bucket's Object Ownership was not collected"));
                    continue;
                }
                _ => {}
            }
            let Some(req) = self.request("s3:GetObject", &object_arn, &acct, &[]) else {
                continue;
            };
            let r = self.evaluate(&req, policy.clone());
            if r.decision != Decision::Allow {
                self.denied(
                    &r,
                    &bucket_arn,
                    op,
                    "s3:GetObject",
                    "bucket",
                    false,
                    impact,
                    policy_doc.as_ref(),
                );
                continue;
            }
            if let Some(key_id) = key {
                let region = b.region.clone().unwrap_or_else(|| "us-east-1".into());
                self.key_use(
                    &key_id,
                    &bucket_arn,
                    op,
                    &format!("s3.{region}.amazonaws.com"),
                    impact,
                );
            }
        }
    }

    /// Decrypting with a KMS key through a service: the key policy must allow.
    fn key_use(&mut self, key_id: &str, resource: &str, op: Op, via: &str, impact: Impact) {
        let Some(key) = self.s.key(key_id).cloned() else {
            self.unknown(
                resource,
                op,
                "kms:Decrypt",
                format!("key policy not collected for `{key_id}`"),
            );
            return;
        };
        if let Some(why) = key.policy.unknown_reason() {
            self.unknown(
                resource,
                op,
                "kms:Decrypt",
                format!("key policy of `{}` {why}", key.arn),
            );
            return;
        }
        let policy = key
            .policy
            .document()
            .and_then(|d| named(d, format!("key policy of {}", key.arn), PolicyKind::Key));
        let account = vaultward_iam::arn::Arn::parse(&key.arn)
            .map(|a| a.account.to_string())
            .unwrap_or_else(|| self.s.account_id.clone());
        let action = if op == Op::Backup {
            "kms:Decrypt"
        } else {
            "kms:GenerateDataKey"
        };
        let Some(req) = self.request(
            action,
            &key.arn,
            &account,
            &[
                ("kms:ViaService", via),
                ("kms:CallerAccount", &self.s.account_id.clone()),
            ],
        ) else {
            return;
        };
        let r = self.evaluate(&req, policy);
        if r.decision != Decision::Allow {
            let aws = key.manager.as_deref() == Some("AWS");
            let doc = key.policy.document().cloned();
            self.denied(&r, resource, op, action, "key", aws, impact, doc.as_ref());
            // Name the key even when no statement decided (the key policy just lacks an Allow).
            if let Some(last) = self.report.findings.last_mut() {
                if last.policy.is_none() {
                    last.policy = Some(format!("key policy of {}", key.arn));
                }
            }
        }
    }

    fn simple(
        &mut self,
        resource: &str,
        account: &str,
        op: Op,
        actions: &[&str],
        extra: &[(&str, &str)],
        resource_policy: Option<(NamedPolicy, &'static str)>,
    ) -> bool {
        for action in actions {
            let Some(req) = self.request(action, resource, account, extra) else {
                continue;
            };
            let (rp, kind) = match &resource_policy {
                Some((p, k)) => (Some(p.clone()), *k),
                None => (None, "none"),
            };
            let r = self.evaluate(&req, rp);
            if r.decision != Decision::Allow {
                let impact = Impact {
                    summary: format!(
                        "{} fails",
                        if op == Op::Backup {
                            "backup"
                        } else {
                            "restore"
                        }
                    ),
                    ..Impact::default()
                };
                self.denied(&r, resource, op, action, kind, false, impact, None);
                return false;
            }
        }
        self.cell(resource, op, "ok");
        true
    }
}

fn has_notprincipal_wildcard(doc: &Value) -> bool {
    let text = match doc {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    parse_policy(&text, PolicyKind::Resource)
        .findings
        .iter()
        .any(|f| f.code == "principal-wildcard" && f.path.contains("NotPrincipal"))
}

/// Checks every selected asset and operation of the snapshot.
pub fn check(s: &Snapshot, opts: &CheckOptions) -> Report {
    check_with_inventory(s, opts, None)
}

/// Like [`check`], with objects also read from S3 Inventory listings (see [`Inventory`]).
pub fn check_with_inventory(
    s: &Snapshot,
    opts: &CheckOptions,
    inventory: Option<&Inventory>,
) -> Report {
    let mut report = Report {
        account: s.account_id.clone(),
        role: opts.role_arn.clone(),
        findings: Vec::new(),
        matrix: Vec::new(),
        requests: 0,
    };
    let role = match role_side(s, &opts.role_arn) {
        Ok(r) => r,
        Err(why) => {
            for op in &opts.operations {
                report.findings.push(Finding {
                    code: "unknown",
                    level: Level::Unknown,
                    resource: opts.role_arn.clone(),
                    operation: *op,
                    action: "*".into(),
                    policy: None,
                    statement: None,
                    reason: format!("unknown: {why}"),
                    impact: Impact { summary: "cannot tell".into(), ..Impact::default() },
                    fix: "collect the IAM authorization details (`aws iam get-account-authorization-details`)".into(),
                });
            }
            return report;
        }
    };
    let org = s.organization.clone();
    if let Some(why) = org.as_ref().and_then(|o| o.policies_not_collected.as_ref()) {
        for op in &opts.operations {
            report.findings.push(Finding {
                code: "organization-policies-not-collected",
                level: Level::Unknown,
                resource: format!("account {}", s.account_id),
                operation: *op,
                action: "*".into(),
                policy: None,
                statement: None,
                reason: format!("unknown: the organization's SCPs and RCPs were not collected ({why}); the verdicts below assume they deny nothing"),
                impact: Impact { summary: "an SCP or RCP may still deny".into(), ..Impact::default() },
                fix: "collect from the management account or a delegated administrator (organizations:ListParents, ListPoliciesForTarget, DescribePolicy), or add the policies to the snapshot".into(),
            });
        }
    }
    let base = PolicySet {
        identity: role.identity,
        boundary: role.boundary,
        scps: org
            .as_ref()
            .map(|o| levels(&o.scps, PolicyKind::Scp, "scp")),
        rcps: org
            .as_ref()
            .map(|o| levels(&o.rcps, PolicyKind::Rcp, "rcp")),
        management_account: org.as_ref().and_then(|o| o.management_account.clone()),
        ..PolicySet::default()
    };
    let mut c = Checker {
        s,
        opts,
        tags: role.tags,
        base,
        inventory,
        report,
    };
    let acct = s.account_id.clone();
    for op in opts.operations.iter().copied() {
        if opts.assets.contains(&AssetType::S3) {
            for b in &s.buckets {
                c.bucket(b, op);
            }
        }
        if opts.assets.contains(&AssetType::DynamoDb) {
            for t in &s.dynamodb_tables {
                let actions: &[&str] = if op == Op::Backup {
                    &[
                        "dynamodb:DescribeTable",
                        "dynamodb:ExportTableToPointInTime",
                    ]
                } else {
                    &["dynamodb:PutItem", "dynamodb:BatchWriteItem"]
                };
                if c.simple(&t.arn, &acct, op, actions, &[], None) {
                    if let Some(k) = &t.kms_key_id {
                        let region = vaultward_iam::arn::Arn::parse(&t.arn)
                            .map(|a| a.region.to_string())
                            .unwrap_or_default();
                        c.key_use(
                            k,
                            &t.arn,
                            op,
                            &format!("dynamodb.{region}.amazonaws.com"),
                            Impact {
                                summary: "backup fails".into(),
                                ..Impact::default()
                            },
                        );
                    }
                }
            }
        }
        if opts.assets.contains(&AssetType::Ec2) {
            for v in &s.ebs_volumes {
                let (actions, extra): (&[&str], Vec<(&str, &str)>) = if op == Op::Backup {
                    (&["ec2:CreateSnapshot"], vec![])
                } else {
                    (
                        &["ec2:CreateVolume"],
                        vec![("aws:RequestTag/vaultward.restore", "1")],
                    )
                };
                if c.simple(&v.arn, &acct, op, actions, &extra, None) {
                    if let Some(k) = &v.kms_key_id {
                        let region = vaultward_iam::arn::Arn::parse(&v.arn)
                            .map(|a| a.region.to_string())
                            .unwrap_or_default();
                        c.key_use(
                            k,
                            &v.arn,
                            op,
                            &format!("ec2.{region}.amazonaws.com"),
                            Impact {
                                summary: "backup fails".into(),
                                ..Impact::default()
                            },
                        );
                    }
                }
            }
        }
        if op == Op::Backup {
            for v in &s.backup_vaults {
                match (&v.access_policy, v.access_policy.unknown_reason()) {
                    (_, Some(why)) => c.unknown(
                        &v.arn,
                        op,
                        "backup:DescribeBackupVault",
                        format!("vault access policy {why}"),
                    ),
                    (p, None) => {
                        // The service reads vaults to see what AWS Backup already protects.
                        let policy = p.document().and_then(|d| {
                            named(d, format!("{} access policy", v.name), PolicyKind::Vault)
                        });
                        c.simple(
                            &v.arn,
                            &acct,
                            op,
                            &[
                                "backup:DescribeBackupVault",
                                "backup:ListRecoveryPointsByBackupVault",
                            ],
                            &[],
                            policy.map(|p| (p, "vault")),
                        );
                    }
                }
            }
        }
    }
    c.report.findings.sort_by(|a, b| {
        (a.level, &a.resource, a.operation).cmp(&(b.level, &b.resource, b.operation))
    });
    c.report
}

/// The report for people: one block per finding, then a summary.
pub fn render_human(r: &Report) -> String {
    let mut out = format!("Account {}, role {}\n\n", r.account, r.role);
    for f in &r.findings {
        let tag = match f.level {
            Level::Blocking => "BLOCKED",
            Level::Unknown => "UNKNOWN",
            Level::Warning => "WARNING",
        };
        out.push_str(&format!(
            "{tag} [{}] {} ({:?}, {})\n",
            f.code, f.resource, f.operation, f.action
        ));
        if let (Some(p), Some(s)) = (&f.policy, &f.statement) {
            out.push_str(&format!("  decided by: {p}, statement {s}\n"));
        }
        out.push_str(&format!(
            "  why:    {}\n  impact: {}\n  fix:    {}\n\n",
            f.reason, f.impact.summary, f.fix
        ));
    }
    let count = |s: &str| r.matrix.iter().filter(|c| c.status == s).count();
    out.push_str(&format!(
        "{} resource/operation pairs: {} ok, {} blocked, {} unknown ({} requests evaluated)\n",
        r.matrix.len(),
        count("ok"),
        count("blocked"),
        count("unknown"),
        r.requests
    ));
    out
}
