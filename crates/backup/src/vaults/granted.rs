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

use super::evaluate::{Evaluator, KeyState};
use super::routes::RouteCtx;
use super::table::{Question, Route};
use super::{Answer, PrincipalKind};
use crate::audit::Path;
use crate::check::{docs_json, CheckOptions};

/// The policy an IAM write grants: everything.
fn everything() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Sid": "GrantedByAnIamWrite", "Effect": "Allow", "Action": "*", "Resource": "*"}]})
}

/// What a write does to the IAM export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Its target (a role, user, group or managed policy) grants everything.
    Grant,
    /// Its target's permissions boundary is gone.
    NoBoundary,
    /// Its target's policies with a Deny statement are gone.
    NoDeny,
}

/// The change of an `audit` iam-write path, by its code; `None`: the write makes the
/// writer act as its target instead (a trust policy, access key or password), which the
/// caller answers from the target's own routes.
fn change(code: &str) -> Option<Change> {
    match code {
        "iam-attach-policy" | "iam-put-inline-policy" | "iam-create-policy-version" => {
            Some(Change::Grant)
        }
        "iam-remove-boundary" => Some(Change::NoBoundary),
        "iam-remove-deny" => Some(Change::NoDeny),
        _ => None,
    }
}

/// What a write opens: a route with what it reaches (`Some(Ok)`), possibly one
/// (`Some(Err)`, with why), or nothing.
pub(super) type Opens = Option<Result<String, String>>;

/// The answers of changed snapshots, by change and target, for one vault and type.
#[derive(Default)]
pub(super) struct Granted {
    cache: BTreeMap<(String, String), Opens>,
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
    /// What `p` (an iam-write path of `audit`) opens.
    pub(super) fn opens(&mut self, ev: &Evaluator<'_>, p: &Path, inp: &Inputs<'_, '_>) -> Opens {
        let c = change(&p.code)?;
        let key = (format!("{c:?}"), p.target.clone());
        if let Some(o) = self.cache.get(&key) {
            return o.clone();
        }
        let o = self.answer(ev, c, &p.target, inp);
        self.cache.insert(key, o.clone());
        o
    }

    fn answer(
        &mut self,
        ev: &Evaluator<'_>,
        c: Change,
        target: &str,
        inp: &Inputs<'_, '_>,
    ) -> Opens {
        let (patched, changed) = match patch(ev.s, c, target) {
            Ok(x) => x,
            Err(why) => return Some(Err(why)),
        };
        if changed.is_empty() {
            return None;
        }
        let opts: Vec<CheckOptions> = changed
            .iter()
            .map(|(arn, _)| {
                let mut o = CheckOptions::new(arn, Default::default(), Default::default());
                o.facts = ev.facts.clone();
                o
            })
            .collect();
        let mut sub = Evaluator::with(&patched, ev.facts, &opts, changed);
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

/// The snapshot with `c` applied to `target`, and the principals it changes.
fn patch(
    s: &Snapshot,
    c: Change,
    target: &str,
) -> Result<(Snapshot, Vec<(String, PrincipalKind)>), String> {
    let mut p = s.clone();
    let Some(iam) = p.iam.as_mut() else {
        return Err("the IAM export was not collected".into());
    };
    let mut changed: Vec<(String, PrincipalKind)> = Vec::new();
    let is_any = target.contains("vaultward-audit-any");
    let kind = target
        .split(':')
        .nth(5)
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    match (kind, is_any) {
        ("role" | "user", true) if c == Change::Grant => {
            let (list, pk, inline) = if kind == "role" {
                ("RoleDetailList", PrincipalKind::Role, "RolePolicyList")
            } else {
                ("UserDetailList", PrincipalKind::User, "UserPolicyList")
            };
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
        (_, true) => {}
        ("role" | "user", false) => {
            let (list, pk, inline) = if kind == "role" {
                ("RoleDetailList", PrincipalKind::Role, "RolePolicyList")
            } else {
                ("UserDetailList", PrincipalKind::User, "UserPolicyList")
            };
            let policies = managed_denies(iam);
            if let Some(e) = entry_mut(iam, list, target) {
                apply(e, c, inline, &policies);
                changed.push((target.to_string(), pk));
            }
        }
        ("group", false) => {
            let policies = managed_denies(iam);
            let name = target.rsplit('/').next().unwrap_or("").to_string();
            if let Some(e) = entry_mut(iam, "GroupDetailList", target) {
                apply(e, c, "GroupPolicyList", &policies);
                changed.extend(members(iam, &name));
            }
        }
        ("policy", false) if c == Change::Grant => {
            if let Some(e) = entry_mut(iam, "Policies", target) {
                for v in e
                    .get_mut("PolicyVersionList")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    if v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true) {
                        v["Document"] = everything();
                    }
                }
                changed.extend(attached(iam, target));
            }
        }
        _ => {}
    }
    changed.sort();
    changed.dedup();
    Ok((p, changed))
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

/// The roles and users a managed policy is attached to, directly or through a group.
fn attached(iam: &Value, policy: &str) -> Vec<(String, PrincipalKind)> {
    let has = |e: &Value| {
        e.get("AttachedManagedPolicies")
            .and_then(Value::as_array)
            .is_some_and(|a| {
                a.iter()
                    .any(|p| p.get("PolicyArn").and_then(Value::as_str) == Some(policy))
            })
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
