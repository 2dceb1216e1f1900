//! What an IAM write opens: the snapshot as the writer would leave it (the target granted
//! every permission, or its boundary or its Deny policies gone), answered again for the
//! principals the write changes. Their SCPs, RCPs, boundaries and the vault and key
//! policies still cap what they get, so a write opens a route only when the engine finds
//! one for the changed principal.
//!
//! "Permissions boundaries for IAM entities" (a boundary caps what identity policies grant):
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html;
//! "Policy evaluation logic" (an SCP or a resource policy's Deny still applies):
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

use std::collections::BTreeMap;

use serde_json::{json, Value};
use vaultward_snapshot::{RecoveryPoint, Snapshot};

use super::evaluate::{options_for, Evaluator, KeyState};
use super::routes::RouteCtx;
use super::table::{Question, Route};
use super::{Answer, PrincipalKind};
use crate::check::docs_json;

/// The policy an IAM write grants: everything.
fn everything() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "GrantedByAnIamWrite", "Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// What a write does to the IAM export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Change {
    /// Its target (a role, user, group or managed policy) grants everything.
    Grant,
    /// Its target's permissions boundary is gone.
    NoBoundary,
    /// Its target's policies with a Deny statement are gone.
    NoDeny,
    /// The writer (a user) joins the target group, and holds its policies.
    JoinGroup,
    /// Another version of the target policy becomes its default.
    OtherVersion,
}

/// The change of an `audit` iam-write path, by its code; `None`: the write makes the
/// writer act as its target instead (a trust policy, access key or password), which the
/// caller answers from the target's own routes.
pub(super) fn change(code: &str) -> Option<Change> {
    match code {
        "iam-attach-policy" | "iam-put-inline-policy" | "iam-create-policy-version" => {
            Some(Change::Grant)
        }
        "iam-remove-boundary" => Some(Change::NoBoundary),
        "iam-remove-deny" => Some(Change::NoDeny),
        "iam-add-user-to-group" => Some(Change::JoinGroup),
        "iam-set-default-policy-version" => Some(Change::OtherVersion),
        _ => None,
    }
}

/// What a write opens: a route with what it reaches (`Some(Ok)`), possibly one
/// (`Some(Err)`, with why), or nothing.
pub(super) type Opens = Option<Result<String, String>>;

/// The answers of changed snapshots, by writer, target and changes, for one vault and
/// type.
#[derive(Default)]
pub(super) struct Granted {
    cache: BTreeMap<(String, String, Vec<Change>), Opens>,
    pub requests: usize,
}

/// One vault's and type's inputs.
pub(super) struct Inputs<'a, 'c> {
    pub ctx: &'a RouteCtx<'c>,
    pub rps: &'a [&'a RecoveryPoint],
    pub keys: &'a [KeyState],
    pub routes: &'a [&'static Route],
}

impl Granted {
    /// What `writer`'s writes to `target`, all together, open (each write of one principal
    /// to one target: granting a role everything and lifting its boundary is one change).
    pub(super) fn opens(
        &mut self,
        ev: &Evaluator<'_>,
        writer: &str,
        target: &str,
        changes: &[Change],
        inp: &Inputs<'_, '_>,
    ) -> Opens {
        let mut changes = changes.to_vec();
        changes.sort();
        changes.dedup();
        // Only joining a group depends on who writes.
        let who = if changes.contains(&Change::JoinGroup) {
            writer.to_string()
        } else {
            String::new()
        };
        let key = (who, target.to_string(), changes.clone());
        if let Some(o) = self.cache.get(&key) {
            return o.clone();
        }
        // A role or user granted everything may then lift its own boundary or Deny
        // policies, as far as its boundary lets it: so may the writer, through it.
        if changes.contains(&Change::Grant) {
            for _ in 0..2 {
                let more = lifts(ev, writer, target, &changes);
                if more.is_empty() {
                    break;
                }
                changes.extend(more);
                changes.sort();
                changes.dedup();
            }
        }
        let o = match patch(ev.s, writer, target, &changes) {
            Err(why) => Some(Err(why)),
            Ok(variants) => {
                let mut possible = None;
                let mut found = None;
                for (patched, changed) in variants {
                    match self.answer(ev, &patched, changed, inp) {
                        Some(Ok(what)) => {
                            found = Some(what);
                            break;
                        }
                        Some(Err(why)) => possible = possible.or(Some(why)),
                        None => {}
                    }
                }
                found.map(Ok).or(possible.map(Err))
            }
        };
        self.cache.insert(key, o.clone());
        o
    }

    fn answer(
        &mut self,
        ev: &Evaluator<'_>,
        patched: &Snapshot,
        changed: Vec<(String, PrincipalKind)>,
        inp: &Inputs<'_, '_>,
    ) -> Opens {
        if changed.is_empty() {
            return None;
        }
        let opts = options_for(&changed, ev.facts);
        let mut sub = Evaluator::with(patched, ev.facts, &opts, changed);
        sub.backup_api_only = ev.backup_api_only;
        sub.at = ev.at;
        let mut possible = None;
        for q in [Question::Destroy, Question::Read] {
            let mut a = Answer::empty(q);
            for i in 0..sub.principals.len() {
                sub.principal_answer(i, inp.ctx, inp.rps, inp.keys, inp.routes, q, &mut a);
            }
            if let Some(e) = a.principals.first() {
                self.requests = self.requests.saturating_add(sub.requests());
                let code = e.routes.first().map(|r| r.code.as_str()).unwrap_or("");
                return Some(Ok(format!(
                    "`{}` could then {} ({code})",
                    e.principal,
                    q.name()
                )));
            }
            if possible.is_none() {
                possible = a.unknown.first().map(|u| {
                    format!(
                        "`{}` could then perhaps {} ({}): {}",
                        u.principal,
                        q.name(),
                        u.code,
                        u.settle
                    )
                });
            }
        }
        self.requests = self.requests.saturating_add(sub.requests());
        possible.map(Err)
    }
}

/// The limits the target of `changes`, once changed, may lift from itself
/// (`iam:Delete{Role,User}PermissionsBoundary`, `iam:Delete{Role,User}Policy`).
fn lifts(ev: &Evaluator<'_>, writer: &str, target: &str, changes: &[Change]) -> Vec<Change> {
    let user = target.contains(":user/");
    if !(user || target.contains(":role/")) || target.contains("vaultward-audit-any") {
        return Vec::new();
    }
    let Ok(variants) = patch(ev.s, writer, target, changes) else {
        return Vec::new();
    };
    let Some((patched, changed)) = variants.into_iter().next() else {
        return Vec::new();
    };
    let Some(me) = changed.iter().position(|(a, _)| a == target) else {
        return Vec::new();
    };
    let opts = options_for(&changed, ev.facts);
    let mut sub = Evaluator::with(&patched, ev.facts, &opts, changed.clone());
    let (boundary, deny) = if user {
        ("iam:DeleteUserPermissionsBoundary", "iam:DeleteUserPolicy")
    } else {
        ("iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy")
    };
    let mut out = Vec::new();
    for (action, c) in [(boundary, Change::NoBoundary), (deny, Change::NoDeny)] {
        if changes.contains(&c) {
            continue;
        }
        if let super::evaluate::Outcome::Allowed(_) =
            // IAM is global: its requests go to us-east-1.
            sub.request(me, action, target, &[], None, None, "us-east-1")
        {
            out.push(c);
        }
    }
    out
}

type Changed = Vec<(String, PrincipalKind)>;

/// The snapshots `changes` by `writer` to `target` may leave (one per other version of a
/// policy whose default version is set; else one), each with the principals it changes.
fn patch(
    s: &Snapshot,
    writer: &str,
    target: &str,
    changes: &[Change],
) -> Result<Vec<(Snapshot, Changed)>, String> {
    let mut base = s.clone();
    let Some(iam) = base.iam.as_mut() else {
        return Err("the IAM export was not collected".into());
    };
    let mut changed: Changed = Vec::new();
    let is_any = target.contains("vaultward-audit-any");
    let kind = target
        .split(':')
        .nth(5)
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    let inline_of = |k: &str| match k {
        "role" => ("RoleDetailList", PrincipalKind::Role, "RolePolicyList"),
        "user" => ("UserDetailList", PrincipalKind::User, "UserPolicyList"),
        _ => ("GroupDetailList", PrincipalKind::User, "GroupPolicyList"),
    };
    let policies = managed_denies(iam);
    for c in changes.iter().filter(|c| **c != Change::OtherVersion) {
        match (kind, is_any, c) {
            ("role" | "user", true, Change::Grant) => {
                let (list, pk, inline) = inline_of(kind);
                let name = if kind == "role" {
                    "RoleName"
                } else {
                    "UserName"
                };
                let entry = json!({name: "vaultward-audit-any", "Arn": target, "Path": "/",
                    inline: [{"PolicyName": "vaultward-exposure-granted", "PolicyDocument": everything()}],
                    "AttachedManagedPolicies": [], "Tags": [], "GroupList": [], "InstanceProfileList": []});
                match iam.get_mut(list).and_then(Value::as_array_mut) {
                    Some(a) => a.push(entry),
                    None => iam[list] = json!([entry]),
                }
                changed.push((target.to_string(), pk));
            }
            // A new group or policy grants no one until it is attached: other paths say so.
            (_, true, _) => {}
            ("group", false, Change::JoinGroup) => {
                let name = target.rsplit('/').next().unwrap_or("").to_string();
                if let Some(u) = entry_mut(iam, "UserDetailList", writer) {
                    match u.get_mut("GroupList").and_then(Value::as_array_mut) {
                        Some(g) => g.push(Value::String(name)),
                        None => u["GroupList"] = json!([name]),
                    }
                    changed.push((writer.to_string(), PrincipalKind::User));
                }
            }
            ("role" | "user" | "group", false, _) => {
                let (list, pk, inline) = inline_of(kind);
                if let Some(e) = entry_mut(iam, list, target) {
                    apply(e, *c, inline, &policies);
                    if kind == "group" {
                        let name = target.rsplit('/').next().unwrap_or("").to_string();
                        changed.extend(members(iam, &name));
                    } else {
                        changed.push((target.to_string(), pk));
                    }
                }
            }
            ("policy", false, Change::Grant) => {
                set_default(iam, target, None);
                changed.extend(attached(iam, target));
            }
            _ => {}
        }
    }
    let mut variants = Vec::new();
    if changes.contains(&Change::OtherVersion) && kind == "policy" {
        let holders = attached(iam, target);
        for id in other_versions(iam, target) {
            let mut v = base.clone();
            if let Some(iam) = v.iam.as_mut() {
                set_default(iam, target, Some(&id));
            }
            let mut c = changed.clone();
            c.extend(holders.iter().cloned());
            variants.push((v, c));
        }
    }
    if variants.is_empty() {
        variants.push((base, changed));
    }
    for (_, c) in &mut variants {
        c.sort();
        c.dedup();
    }
    Ok(variants)
}

/// Makes version `id` the default of policy `arn` (`None`: its default grants
/// everything).
fn set_default(iam: &mut Value, arn: &str, id: Option<&str>) {
    let Some(e) = entry_mut(iam, "Policies", arn) else {
        return;
    };
    for v in e
        .get_mut("PolicyVersionList")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let this = v
            .get("VersionId")
            .and_then(Value::as_str)
            .map(str::to_string);
        match id {
            None if v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true) => {
                v["Document"] = everything();
            }
            None => {}
            Some(id) => v["IsDefaultVersion"] = Value::Bool(this.as_deref() == Some(id)),
        }
    }
    if let Some(id) = id {
        e["DefaultVersionId"] = Value::String(id.to_string());
    }
}

/// The versions of policy `arn` that are not its default.
fn other_versions(iam: &Value, arn: &str) -> Vec<String> {
    iam.get("Policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| p.get("Arn").and_then(Value::as_str) == Some(arn))
        .flat_map(|p| {
            p.get("PolicyVersionList")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) != Some(true))
        .filter_map(|v| {
            v.get("VersionId")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

/// The entry of `list` whose `Arn` is `arn`.
fn entry_mut<'v>(iam: &'v mut Value, list: &str, arn: &str) -> Option<&'v mut Value> {
    iam.get_mut(list)?
        .as_array_mut()?
        .iter_mut()
        .find(|e| e.get("Arn").and_then(Value::as_str) == Some(arn))
}

/// The managed policies of the export whose default version holds a Deny.
fn managed_denies(iam: &Value) -> Vec<String> {
    iam.get("Policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|p| {
            p.get("PolicyVersionList")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|v| v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("Document").and_then(docs_json))
                .any(|d| has_deny(&d))
        })
        .filter_map(|p| p.get("Arn").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn has_deny(doc: &Value) -> bool {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a
            .iter()
            .any(|s| s.get("Effect").and_then(Value::as_str) == Some("Deny")),
        Some(s) => s.get("Effect").and_then(Value::as_str) == Some("Deny"),
        None => false,
    }
}

/// Applies `c` to one role, user or group entry.
fn apply(e: &mut Value, c: Change, inline: &str, managed_with_deny: &[String]) {
    match c {
        Change::Grant => {
            let granted =
                json!({"PolicyName": "vaultward-exposure-granted", "PolicyDocument": everything()});
            match e.get_mut(inline).and_then(Value::as_array_mut) {
                Some(a) => a.push(granted),
                None => e[inline] = json!([granted]),
            }
        }
        Change::NoBoundary => {
            if let Some(o) = e.as_object_mut() {
                o.remove("PermissionsBoundary");
            }
        }
        Change::NoDeny => {
            if let Some(a) = e.get_mut(inline).and_then(Value::as_array_mut) {
                a.retain(|p| {
                    !p.get("PolicyDocument")
                        .and_then(docs_json)
                        .is_some_and(|d| has_deny(&d))
                });
            }
            if let Some(a) = e
                .get_mut("AttachedManagedPolicies")
                .and_then(Value::as_array_mut)
            {
                a.retain(|p| {
                    !p.get("PolicyArn")
                        .and_then(Value::as_str)
                        .is_some_and(|arn| managed_with_deny.iter().any(|d| d == arn))
                });
            }
        }
        // Applied to the writer and the policy, not to an entry.
        Change::JoinGroup | Change::OtherVersion => {}
    }
}

/// The users of group `name`.
fn members(iam: &Value, name: &str) -> Vec<(String, PrincipalKind)> {
    iam.get("UserDetailList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|u| {
            u.get("GroupList")
                .and_then(Value::as_array)
                .is_some_and(|g| g.iter().any(|x| x.as_str() == Some(name)))
        })
        .filter_map(|u| u.get("Arn").and_then(Value::as_str))
        .map(|a| (a.to_string(), PrincipalKind::User))
        .collect()
}

/// The roles and users a managed policy is attached to, directly or through a group, or
/// bounds.
fn attached(iam: &Value, policy: &str) -> Vec<(String, PrincipalKind)> {
    // Attached, or its permissions boundary (a new default version of a boundary
    // widens what it lets through).
    let has = |e: &Value| {
        e.get("AttachedManagedPolicies")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter()
                    .any(|p| p.get("PolicyArn").and_then(Value::as_str) == Some(policy))
            })
            || e.pointer("/PermissionsBoundary/PermissionsBoundaryArn")
                .and_then(Value::as_str)
                == Some(policy)
    };
    let list = |k: &str| -> Vec<&Value> {
        iam.get(k)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect()
    };
    let mut out = Vec::new();
    for (k, pk) in [
        ("RoleDetailList", PrincipalKind::Role),
        ("UserDetailList", PrincipalKind::User),
    ] {
        for e in list(k).into_iter().filter(|e| has(e)) {
            if let Some(a) = e.get("Arn").and_then(Value::as_str) {
                out.push((a.to_string(), pk));
            }
        }
    }
    for g in list("GroupDetailList").into_iter().filter(|e| has(e)) {
        if let Some(name) = g.get("GroupName").and_then(Value::as_str) {
            out.extend(members(iam, name));
        }
    }
    out
}
