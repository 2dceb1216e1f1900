//! Policy versions from the export (`Policies[].PolicyVersionList`), and whether one
//! grants more than another: `iam:SetDefaultPolicyVersion` is a path only when a
//! non-default version of the policy does (Rhino Security Labs' method 2: what it reaches
//! is what the inactive version grants, which may be nothing more). The versions are compared with the engine, request by request: every action an
//! Allow of the version names (expanded with the service authorization reference, every
//! action for a `NotAction`), on the resources it names, with every condition key either
//! version reads unknown; a request the version allows and the default version refuses is
//! the witness.

use serde_json::Value;
use vaultward_iam::context::Unknown;
use vaultward_iam::policy::{Effect, Policy};
use vaultward_iam::{
    authorize, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet, Request,
};

use super::escalation::{arn_of, export_list};
use super::tags::instantiate;
use crate::check::docs;

/// A customer managed policy's versions.
pub(super) struct PolicyVersions {
    pub arn: String,
    /// The default version's document; `None` when it cannot be read.
    pub default: Option<Policy>,
    /// The other versions: id and document (`None`: it cannot be read, or the export does
    /// not list the versions, so any of them may grant more).
    pub others: Vec<(String, Option<Policy>)>,
}

/// A request one version allows and the other does not.
pub(super) struct Witness {
    pub action: String,
    pub resource: String,
    /// `false` when the version allows it only for some values of its conditions.
    pub decided: bool,
}

fn parse(doc: Option<&Value>) -> Option<Policy> {
    let v = docs::json(doc?)?;
    vaultward_iam::parse_policy(&v.to_string(), PolicyKind::Identity).policy
}

/// The versions of every customer managed policy of the export that has more than its
/// default one (AWS managed policies' default versions are AWS's to set).
pub(super) fn versions(iam: &Value) -> Vec<PolicyVersions> {
    let mut out = Vec::new();
    for p in export_list(iam, "Policies") {
        let Some(arn) = arn_of(p) else { continue };
        if arn.starts_with("arn:aws:iam::aws:") {
            continue;
        }
        let default_id = p.get("DefaultVersionId").and_then(Value::as_str);
        let Some(list) = p.get("PolicyVersionList").and_then(Value::as_array) else {
            out.push(PolicyVersions {
                arn,
                default: None,
                others: vec![("(any: the export lists none)".into(), None)],
            });
            continue;
        };
        let mut default = None;
        let mut others = Vec::new();
        for v in list {
            let id = v.get("VersionId").and_then(Value::as_str).unwrap_or("?");
            let is_default = v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true)
                || default_id == Some(id);
            let doc = parse(v.get("Document"));
            if is_default {
                default = doc;
            } else {
                others.push((id.to_string(), doc));
            }
        }
        if !others.is_empty() {
            out.push(PolicyVersions {
                arn,
                default,
                others,
            });
        }
    }
    out
}

/// The actions an Allow statement names.
fn actions(st: &vaultward_iam::policy::Statement) -> Vec<String> {
    let c = vaultward_catalog::catalog();
    let name = |(s, a): (&vaultward_catalog::Service, &vaultward_catalog::Action)| {
        format!("{}:{}", s.prefix, a.name)
    };
    if st.action.negated {
        return c.expand("*").into_iter().map(name).collect();
    }
    let mut out = Vec::new();
    for g in &st.action.patterns {
        let text = g.pattern_text();
        if text.contains('*') || text.contains('?') {
            out.extend(c.expand(&text).into_iter().map(name));
        } else {
            out.push(text);
        }
    }
    out
}

/// The first request `version` allows that `default` does not, if any.
pub(super) fn grants_more(version: &Policy, default: &Policy, account: &str) -> Option<Witness> {
    let role = format!("arn:aws:iam::{account}:role/vaultward-audit");
    let session = format!("arn:aws:sts::{account}:assumed-role/vaultward-audit/vaultward-audit");
    let mut ctx = Context::default();
    ctx.insert("aws:PrincipalArn", ContextValue::Single(role));
    for st in version.statements.iter().chain(&default.statements) {
        for c in &st.conditions {
            if ctx.get(&c.key).is_none() {
                let u = Unknown {
                    maybe_absent: true,
                    ..Unknown::any("the request's context")
                };
                ctx.insert(&c.key, ContextValue::Unknown(u));
            }
        }
    }
    let set = |p: &Policy, name: &str| PolicySet {
        identity: vec![NamedPolicy {
            name: name.to_string(),
            policy: p.clone(),
        }],
        ..PolicySet::default()
    };
    let (with_version, with_default) = (set(version, "version"), set(default, "default"));
    let mut undecided = None;
    for st in &version.statements {
        if st.effect != Effect::Allow {
            continue;
        }
        let resources: Vec<String> = match &st.resource {
            Some(r) if !r.negated => r
                .patterns
                .iter()
                .map(|p| instantiate(&p.text(), "us-east-1", account))
                .collect(),
            _ => vec!["*".to_string()],
        };
        for action in actions(st) {
            for resource in &resources {
                let Ok(req) = Request::new(&session, &action, resource, Some(account), ctx.clone())
                else {
                    continue;
                };
                let by_version = authorize(&req, &with_version).decision;
                if !matches!(by_version, Decision::Allow | Decision::Undecided) {
                    continue;
                }
                // What the default version may allow is not more.
                if matches!(
                    authorize(&req, &with_default).decision,
                    Decision::Allow | Decision::Undecided
                ) {
                    continue;
                }
                let w = Witness {
                    action: action.clone(),
                    resource: resource.clone(),
                    decided: by_version == Decision::Allow,
                };
                if w.decided {
                    return Some(w);
                }
                undecided.get_or_insert(w);
            }
        }
    }
    undecided
}
