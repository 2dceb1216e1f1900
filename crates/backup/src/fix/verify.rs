//! Verification of a patch: the findings it is for are gone, and no other principal gains
//! any access (`vaultward compare` where it can decide, a sweep of requests by every other
//! principal where it cannot).

use std::collections::BTreeSet;

use serde_json::Value;
use vaultward_analysis::{compare, Options, Outcome};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request,
};
use vaultward_snapshot::Snapshot;

use super::docs::{as_list, iam_list};
use super::{FindingRef, Verification};
use crate::check::docs::json as doc_json;
use crate::check::DocRef;

/// The principals whose access must not change, with their `aws:PrincipalArn`.
pub(super) fn other_principals(s: &Snapshot, role: &str) -> Vec<(String, Option<String>)> {
    let acct = &s.account_id;
    let mut out: Vec<(String, Option<String>)> = vec![
        ("*".into(), None),
        (
            "123456789012".into(),
            Some("arn:aws:iam::123456789012:root".into()),
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/Outsider/s".into(),
            Some("arn:aws:iam::123456789012:role/Outsider".into()),
        ),
        (acct.clone(), Some(format!("arn:aws:iam::{acct}:root"))),
        (
            format!("arn:aws:sts::{acct}:assumed-role/SomeOtherRole/s"),
            Some(format!("arn:aws:iam::{acct}:role/SomeOtherRole")),
        ),
    ];
    for r in iam_list(s, "RoleDetailList") {
        let (Some(arn), Some(name)) = (
            r.get("Arn").and_then(Value::as_str),
            r.get("RoleName").and_then(Value::as_str),
        ) else {
            continue;
        };
        if arn != role {
            out.push((
                format!("arn:aws:sts::{acct}:assumed-role/{name}/s"),
                Some(arn.to_string()),
            ));
        }
    }
    for u in iam_list(s, "UserDetailList") {
        if let Some(arn) = u.get("Arn").and_then(Value::as_str) {
            out.push((arn.to_string(), Some(arn.to_string())));
        }
    }
    out
}

/// Every action a document's `Action` values cover, for the verification sweep.
pub(super) fn covered_actions(doc: &Value) -> BTreeSet<String> {
    let c = vaultward_catalog::catalog();
    let mut out = BTreeSet::new();
    for st in as_list(&doc["Statement"]) {
        for p in as_list(&st["Action"]) {
            let Some(p) = p.as_str() else { continue };
            if p.contains('*') || p.contains('?') {
                out.extend(
                    c.expand(p)
                        .into_iter()
                        .map(|(s, a)| format!("{}:{}", s.prefix, a.name)),
                );
            } else {
                out.insert(p.to_string());
            }
        }
    }
    out
}

pub(super) fn named(v: &Value, kind: PolicyKind, name: &str) -> Option<NamedPolicy> {
    parse_policy(&v.to_string(), kind)
        .policy
        .map(|policy| NamedPolicy {
            name: name.into(),
            policy,
        })
}

pub(super) const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
pub(super) const ALLOW_ALL_PRINCIPALS: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#;

/// The policy sets in which `doc` (as `p`) is the only thing that can make a difference:
/// everything else allows.
pub(super) fn settings(doc: &DocRef, p: Option<NamedPolicy>) -> Vec<PolicySet> {
    let all = |k| {
        let v: Value = serde_json::from_str(if k == PolicyKind::Resource {
            ALLOW_ALL_PRINCIPALS
        } else {
            ALLOW_ALL
        })
        .unwrap_or_default();
        named(&v, k, "allow-all")
    };
    let identity: Vec<NamedPolicy> = all(PolicyKind::Identity).into_iter().collect();
    match doc {
        DocRef::BucketPolicy { .. } | DocRef::KeyPolicy { .. } | DocRef::VaultPolicy { .. } => {
            vec![PolicySet {
                identity,
                resource: p,
                ..Default::default()
            }]
        }
        // Alone at its level, and beside an SCP that allows everything (so a changed Deny
        // shows even when another SCP of the level allows).
        DocRef::Scp { .. } | DocRef::ScpLevel { .. } => {
            let beside: Vec<NamedPolicy> = p.iter().cloned().chain(all(PolicyKind::Scp)).collect();
            [p.into_iter().collect(), beside]
                .into_iter()
                .map(|level: Vec<NamedPolicy>| PolicySet {
                    identity: identity.clone(),
                    resource: all(PolicyKind::Resource),
                    scps: Some(vec![level]),
                    ..Default::default()
                })
                .collect()
        }
        DocRef::Rcp { .. } => vec![PolicySet {
            identity,
            resource: all(PolicyKind::Resource),
            rcps: Some(vec![p.into_iter().collect()]),
            ..Default::default()
        }],
        DocRef::Boundary { .. } => vec![PolicySet {
            identity,
            boundary: p,
            resource: all(PolicyKind::Resource),
            ..Default::default()
        }],
        DocRef::ManagedPolicy { .. } | DocRef::InlinePolicy { .. } => vec![PolicySet {
            identity: p.into_iter().collect(),
            ..Default::default()
        }],
        DocRef::RoleIdentity { .. } | DocRef::OwnershipControls { .. } | DocRef::Vendor => {
            Vec::new()
        }
    }
}

pub(super) fn policy_kind(doc: &DocRef) -> PolicyKind {
    match doc {
        DocRef::BucketPolicy { .. } => PolicyKind::Resource,
        DocRef::KeyPolicy { .. } => PolicyKind::Key,
        DocRef::VaultPolicy { .. } => PolicyKind::Vault,
        DocRef::Scp { .. } | DocRef::ScpLevel { .. } => PolicyKind::Scp,
        DocRef::Rcp { .. } => PolicyKind::Rcp,
        DocRef::Boundary { .. } => PolicyKind::Boundary,
        _ => PolicyKind::Identity,
    }
}

/// `vaultward compare` of the original and the patched document, the role left out.
pub(super) fn compare_docs(
    kind: PolicyKind,
    role: &str,
    old: Option<&Value>,
    new: &Value,
) -> Result<Outcome, vaultward_analysis::CompareError> {
    compare_docs_excluding(kind, &[role.to_string()], old, new)
}

/// [`compare_docs`] for every principal but `roles` (ARNs, or ARN patterns).
pub(crate) fn compare_docs_excluding(
    kind: PolicyKind,
    roles: &[String],
    old: Option<&Value>,
    new: &Value,
) -> Result<Outcome, vaultward_analysis::CompareError> {
    let mut opts = Options::new(kind);
    opts.exclude_principals = roles.to_vec();
    let text = |v: &Value| match doc_json(v) {
        Some(j) => j.to_string(),
        None => v.to_string(),
    };
    let new_text = text(new);
    match old {
        Some(o) => compare(&text(o), &new_text, &opts),
        // No document before: the patched one against a document that neither allows
        // nor denies anything a real request could ask (no document at all).
        None => {
            let nothing = if matches!(
                kind,
                PolicyKind::Resource | PolicyKind::Key | PolicyKind::Vault | PolicyKind::Trust
            ) {
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/nobody"}, "Action": "none:none", "Resource": "arn:aws:none:::none"}]}"#
            } else {
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "none:none", "Resource": "arn:aws:none:::none"}]}"#
            };
            compare(nothing, &new_text, &opts)
        }
    }
}

/// Compares what every other principal may do on `resources` under the old and the new
/// document, everything else allowing (so only the document can make a difference).
pub(super) fn sweep(
    s: &Snapshot,
    role: &str,
    doc: &DocRef,
    old: Option<&Value>,
    new: &Value,
    resources: &[(String, String)],
) -> Verification {
    let kind = policy_kind(doc);
    let old_sets = settings(doc, old.and_then(|v| named(v, kind, "policy")));
    let new_sets = settings(doc, named(new, kind, "policy"));
    let mut actions = covered_actions(new);
    if let Some(o) = old {
        actions.extend(covered_actions(o));
    }
    let principals = if new_sets.is_empty() {
        Vec::new()
    } else {
        other_principals(s, role)
    };
    let mut gained = Vec::new();
    for (p, parn) in &principals {
        for action in &actions {
            for (resource, account) in resources {
                let mut ctx = Context::default();
                ctx.insert("aws:SecureTransport", ContextValue::Single("true".into()));
                if let Some(a) = parn {
                    ctx.insert("aws:PrincipalArn", ContextValue::Single(a.clone()));
                }
                let Ok(req) = Request::new(p, action, resource, Some(account), ctx) else {
                    continue;
                };
                for (o, n) in old_sets.iter().zip(&new_sets) {
                    let before = authorize(&req, o).decision;
                    let after = authorize(&req, n).decision;
                    if after == Decision::Allow && before != Decision::Allow {
                        gained.push(format!("{p} gains {action} on {resource}"));
                        break;
                    }
                }
            }
        }
    }
    gained.dedup();
    // The exact check: no request by any principal other than the role is allowed by the
    // patched document and not by the original (an SMT solver decides it for every
    // principal, action, resource and context; the probes above stay as a second check).
    // Object Ownership is a setting, not a policy: it can take ACL access away, never add.
    let compare = if matches!(doc, DocRef::OwnershipControls { .. }) {
        "no new access (a setting, not a policy)".to_string()
    } else if matches!(doc, DocRef::InlinePolicy { role: r, .. } if r == role) {
        // The role's own inline policy grants no one else anything.
        "no new access (the role's own inline policy applies to no other principal)".to_string()
    } else {
        match compare_docs(kind, role, old, new) {
            Ok(Outcome::NoNewAccess) => "no new access".to_string(),
            Ok(Outcome::NewAccess(w)) => {
                gained.push(format!(
                    "{} gains {} on {}",
                    w["request"]["principal"].as_str().unwrap_or("a principal"),
                    w["request"]["action"].as_str().unwrap_or("an action"),
                    w["request"]["resource"].as_str().unwrap_or("a resource")
                ));
                format!("new access: {}", w["request"])
            }
            Ok(Outcome::Undecided(why)) => format!("undecided: {why}"),
            Err(e) => format!("undecided: {e}"),
        }
    };
    let compared_clean = compare.starts_with("no new access");
    Verification {
        finding_cleared: false,
        no_new_access: gained.is_empty() && compared_clean,
        compare,
        principals_checked: principals.len(),
        actions_checked: if principals.is_empty() {
            0
        } else {
            actions.len()
        },
        gained,
    }
}

/// The resources the verification sweep asks about, with their accounts.
pub(super) fn sweep_resources(
    s: &Snapshot,
    doc: &DocRef,
    findings: &[FindingRef],
) -> Vec<(String, String)> {
    let account_of = |arn: &str| {
        vaultward_iam::arn::Arn::parse(arn)
            .map(|a| a.account.to_string())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| s.account_id.clone())
    };
    let mut out: BTreeSet<(String, String)> = BTreeSet::new();
    match doc {
        DocRef::KeyPolicy { key } => {
            out.insert((key.clone(), account_of(key)));
        }
        DocRef::VaultPolicy { vault } => {
            out.insert((vault.clone(), account_of(vault)));
        }
        _ => {
            for f in findings {
                out.insert((f.resource.clone(), account_of(&f.resource)));
                if f.resource.starts_with("arn:aws:s3:::") {
                    out.insert((format!("{}/any-object", f.resource), s.account_id.clone()));
                }
            }
        }
    }
    out.into_iter().collect()
}
