//! Drift: the deployed roles and policies (as `aws iam get-account-authorization-details`
//! prints them) against what the permissions file says.
//!
//! Findings have the shape of `validate`'s: severity, stable code, message, the JSON path
//! (and line and column) in the export. Loosening is a security warning; anything that
//! would make backups fail is an error or a warning.

use std::collections::BTreeSet;

use serde_json::Value;
use vaultward_analysis::{compare, Options, Outcome};
use vaultward_iam::diagnostic::{Finding, Severity};
use vaultward_iam::glob::Glob;
use vaultward_iam::json::{self, Json, Span};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request,
};

use vaultward_model::bundle::{Bundle, Role};
use vaultward_model::Params;

/// The export could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("the IAM export is not valid JSON: {0} (line {1}, column {2})")]
    Json(String, usize, usize),
    #[error("the IAM export has no `RoleDetailList`: give the output of `aws iam get-account-authorization-details`")]
    NotAnExport,
}

struct Export<'a> {
    src: &'a str,
    root: Json<'a>,
}

impl<'a> Export<'a> {
    fn roles(&self) -> Vec<(usize, &'a Json<'a>)> {
        match self.root.get("RoleDetailList").map(|j| j.value) {
            Some(json::Value::Array(a)) => a.iter().enumerate().collect(),
            _ => Vec::new(),
        }
    }

    fn policies(&self) -> Vec<(usize, &'a Json<'a>)> {
        match self.root.get("Policies").map(|j| j.value) {
            Some(json::Value::Array(a)) => a.iter().enumerate().collect(),
            _ => Vec::new(),
        }
    }
}

fn finding(
    src: &str,
    severity: Severity,
    code: &'static str,
    message: String,
    path: String,
    span: Span,
    help: Option<&str>,
) -> Finding {
    let mut f = Finding::new(severity, code, message, path).at(src, span);
    f.help = help.map(str::to_string);
    f
}

/// A policy document as the export holds it: an object, or a (URL-encoded) string.
fn document(j: &Json<'_>) -> Option<Value> {
    match j.value {
        json::Value::String(s) => {
            let text = if s.trim_start().starts_with('%') {
                vaultward_iam::policy::percent_decode(s)?
            } else {
                s.to_string()
            };
            serde_json::from_str(&text).ok()
        }
        _ => Some(j.to_serde()),
    }
}

/// Compares the export `actual_src` with the expected bundle.
pub fn drift(expected: &Bundle, actual_src: &str) -> Result<Vec<Finding>, DriftError> {
    let arena = json::Arena::new();
    let root = json::parse(actual_src, &arena).map_err(|e| {
        let (l, c) = json::line_col(actual_src, e.offset());
        DriftError::Json(e.to_string(), l, c)
    })?;
    if root.get("RoleDetailList").is_none() {
        return Err(DriftError::NotAnExport);
    }
    let export = Export {
        src: actual_src,
        root,
    };
    let mut out = Vec::new();
    for role in &expected.roles {
        compare_role(expected, role, &export, &mut out);
    }
    Ok(out)
}

fn compare_role(b: &Bundle, role: &Role, ex: &Export<'_>, out: &mut Vec<Finding>) {
    let src = ex.src;
    let Some((i, actual)) = ex
        .roles()
        .into_iter()
        .find(|(_, r)| r.get("RoleName").and_then(Json::as_str) == Some(role.name.as_str()))
    else {
        out.push(finding(
            src,
            Severity::Error,
            "missing-role",
            format!("role `{}` is not deployed", role.name),
            "$.RoleDetailList".into(),
            ex.root.span,
            Some("deploy the permissions file"),
        ));
        return;
    };
    let base = format!("$.RoleDetailList[{i}]");
    // Trust policy: judged by what it lets assume the role, not by its text.
    if let Some(t) = actual.get("AssumeRolePolicyDocument") {
        if let Some(doc) = document(t) {
            compare_trust(
                b,
                role,
                &doc,
                src,
                &format!("{base}.AssumeRolePolicyDocument"),
                t.span,
                out,
            );
        }
    }
    compare_boundary(role, ex.src, actual, &base, out);
    compare_attachments(b, role, ex.src, actual, &base, out);
    compare_managed_documents(b, role, ex, out);
    compare_inline(role, ex.src, actual, &base, out);
}

/// The role's permissions boundary: removed or changed is a security warning.
fn compare_boundary(role: &Role, src: &str, actual: &Json<'_>, base: &str, out: &mut Vec<Finding>) {
    match (
        &role.permissions_boundary,
        actual.get("PermissionsBoundary"),
    ) {
        (Some(pb), None) => out.push(finding(
            src,
            Severity::SecurityWarning,
            "boundary-removed",
            format!(
                "role `{}` has lost its permissions boundary `{pb}`",
                role.name
            ),
            base.to_string(),
            actual.span,
            None,
        )),
        (Some(pb), Some(a))
            if a.get("PermissionsBoundaryArn").and_then(Json::as_str) != Some(pb.as_str()) =>
        {
            out.push(finding(
                src,
                Severity::SecurityWarning,
                "boundary-changed",
                format!(
                    "role `{}` has another permissions boundary than `{pb}`",
                    role.name
                ),
                format!("{base}.PermissionsBoundary"),
                a.span,
                None,
            ));
        }
        _ => {}
    }
}

/// The managed policies attached to the role: each of the file's, and no other.
fn compare_attachments(
    b: &Bundle,
    role: &Role,
    src: &str,
    actual: &Json<'_>,
    base: &str,
    out: &mut Vec<Finding>,
) {
    let attached: Vec<(usize, &Json<'_>)> =
        match actual.get("AttachedManagedPolicies").map(|j| j.value) {
            Some(json::Value::Array(a)) => a.iter().enumerate().collect(),
            _ => Vec::new(),
        };
    let expected_names: Vec<String> = role
        .managed_policies
        .iter()
        .filter_map(|id| b.policies.iter().find(|p| &p.id == id))
        .map(|p| p.name.clone())
        .collect();
    for name in &expected_names {
        let is_attached = attached
            .iter()
            .any(|(_, a)| a.get("PolicyName").and_then(Json::as_str) == Some(name.as_str()));
        if !is_attached {
            out.push(finding(
                src,
                Severity::Error,
                "policy-not-attached",
                format!("`{name}` is not attached to `{}`", role.name),
                format!("{base}.AttachedManagedPolicies"),
                actual
                    .get("AttachedManagedPolicies")
                    .map_or(actual.span, |j| j.span),
                None,
            ));
        }
    }
    for (k, a) in &attached {
        let name = a.get("PolicyName").and_then(Json::as_str).unwrap_or("");
        if !expected_names.iter().any(|n| n == name) {
            out.push(finding(
                src,
                Severity::SecurityWarning,
                "extra-policy",
                format!(
                    "`{name}` is attached to `{}` but is not in the permissions file",
                    role.name
                ),
                format!("{base}.AttachedManagedPolicies[{k}]"),
                a.span,
                Some("detach it, or add it to the permissions file on purpose"),
            ));
        }
    }
}

/// The default version of each of the role's managed policies, against the file's document.
fn compare_managed_documents(b: &Bundle, role: &Role, ex: &Export<'_>, out: &mut Vec<Finding>) {
    let src = ex.src;
    for p in b
        .policies
        .iter()
        .filter(|p| role.managed_policies.contains(&p.id))
    {
        let found = ex
            .policies()
            .into_iter()
            .find(|(_, j)| j.get("PolicyName").and_then(Json::as_str) == Some(p.name.as_str()));
        let Some((pi, pj)) = found else {
            out.push(finding(
                src,
                Severity::Error,
                "missing-policy",
                format!("managed policy `{}` is not in the export", p.name),
                "$.Policies".into(),
                ex.root.span,
                None,
            ));
            continue;
        };
        let versions = match pj.get("PolicyVersionList").map(|j| j.value) {
            Some(json::Value::Array(a)) => a.iter().enumerate().collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        let default = versions.iter().find(|(_, v)| {
            v.get("IsDefaultVersion").map(|j| j.value) == Some(json::Value::Bool(true))
        });
        if let Some((vi, v)) = default {
            if let Some(d) = v.get("Document") {
                if let Some(doc) = document(d) {
                    let path = format!("$.Policies[{pi}].PolicyVersionList[{vi}].Document");
                    compare_document(&p.name, &p.document, &doc, src, &path, d.span, out);
                }
            }
        }
    }
}

/// The role's inline policies: each of the file's, as written there, and no other.
fn compare_inline(role: &Role, src: &str, actual: &Json<'_>, base: &str, out: &mut Vec<Finding>) {
    let inline: Vec<(usize, &Json<'_>)> = match actual.get("RolePolicyList").map(|j| j.value) {
        Some(json::Value::Array(a)) => a.iter().enumerate().collect(),
        _ => Vec::new(),
    };
    for ip in &role.inline_policies {
        match inline
            .iter()
            .find(|(_, j)| j.get("PolicyName").and_then(Json::as_str) == Some(ip.name.as_str()))
        {
            None => out.push(finding(
                src,
                Severity::Error,
                "missing-policy",
                format!(
                    "inline policy `{}` of `{}` is not deployed",
                    ip.name, role.name
                ),
                format!("{base}.RolePolicyList"),
                actual.span,
                None,
            )),
            Some((k, j)) => {
                if let Some(d) = j.get("PolicyDocument") {
                    if let Some(doc) = document(d) {
                        compare_document(
                            &ip.name,
                            &ip.document,
                            &doc,
                            src,
                            &format!("{base}.RolePolicyList[{k}].PolicyDocument"),
                            d.span,
                            out,
                        );
                    }
                }
            }
        }
    }
    for (k, j) in &inline {
        let name = j.get("PolicyName").and_then(Json::as_str).unwrap_or("");
        if !role.inline_policies.iter().any(|p| p.name == name) {
            out.push(finding(
                src,
                Severity::SecurityWarning,
                "extra-policy",
                format!(
                    "inline policy `{name}` of `{}` is not in the permissions file",
                    role.name
                ),
                format!("{base}.RolePolicyList[{k}]"),
                j.span,
                None,
            ));
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn statements(doc: &Value) -> Vec<Value> {
    match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        Value::Object(_) => vec![doc["Statement"].clone()],
        _ => Vec::new(),
    }
}

/// Every catalog action a list of action patterns covers (lowercased).
fn expand(patterns: &[String]) -> BTreeSet<String> {
    let c = vaultward_catalog::catalog();
    patterns
        .iter()
        .flat_map(|p| {
            if p.contains('*') || p.contains('?') {
                c.expand(p)
                    .into_iter()
                    .map(|(s, a)| format!("{}:{}", s.prefix, a.name).to_ascii_lowercase())
                    .collect::<Vec<_>>()
            } else {
                vec![p.to_ascii_lowercase()]
            }
        })
        .collect()
}

fn compare_document(
    name: &str,
    expected: &Value,
    actual: &Value,
    src: &str,
    path: &str,
    span: Span,
    out: &mut Vec<Finding>,
) {
    widening(name, expected, actual, src, path, span, out);
    let exp = statements(expected);
    let act = statements(actual);
    let sid = |s: &Value| s["Sid"].as_str().unwrap_or("").to_string();
    for e in &exp {
        let Some((k, a)) = act.iter().enumerate().find(|(_, a)| sid(a) == sid(e)) else {
            out.push(finding(
                src,
                Severity::Warning,
                "missing-statement",
                format!(
                    "`{name}` has lost statement `{}`: the operations it serves will fail",
                    sid(e)
                ),
                path.to_string(),
                span,
                None,
            ));
            continue;
        };
        let at = format!("{path}.Statement[{k}]");
        compare_statement(name, e, a, src, &at, span, out);
    }
    for (k, a) in act.iter().enumerate() {
        if !exp.iter().any(|e| sid(e) == sid(a)) && a["Effect"] == "Allow" {
            out.push(finding(
                src,
                Severity::SecurityWarning,
                "extra-statement",
                format!(
                    "`{name}` has a statement `{}` that the permissions file does not",
                    sid(a)
                ),
                format!("{path}.Statement[{k}]"),
                span,
                None,
            ));
        }
    }
}

/// Whether the deployed document allows any request (any action, resource, context) the
/// permissions file does not: an SMT solver decides it for all requests at once (`vaultward
/// compare`); the textual findings say where.
fn widening(
    name: &str,
    expected: &Value,
    actual: &Value,
    src: &str,
    path: &str,
    span: Span,
    out: &mut Vec<Finding>,
) {
    let mut opts = Options::new(PolicyKind::Identity);
    opts.timeout = std::time::Duration::from_secs(10);
    match compare(&expected.to_string(), &actual.to_string(), &opts) {
        Ok(Outcome::NoNewAccess) => {}
        Ok(Outcome::NewAccess(w)) => out.push(finding(
            src,
            Severity::SecurityWarning,
            "widened",
            format!(
                "`{name}` allows requests the permissions file does not, for example `{}` on `{}` (the engine confirms it; `vaultward compare` prints the whole request)",
                w["request"]["action"].as_str().unwrap_or("?"),
                w["request"]["resource"].as_str().unwrap_or("?")
            ),
            path.to_string(),
            span,
            None,
        )),
        Ok(Outcome::Undecided(why)) => out.push(finding(
            src,
            Severity::Warning,
            "widening-undecided",
            format!("whether `{name}` allows more than the permissions file could not be decided: {why}"),
            path.to_string(),
            span,
            None,
        )),
        Err(e) => out.push(finding(
            src,
            Severity::Warning,
            "widening-undecided",
            format!("whether `{name}` allows more than the permissions file could not be decided: {e}"),
            path.to_string(),
            span,
            None,
        )),
    }
}

/// One statement of the file (`e`) against the deployed statement of its Sid (`a`, at `at`):
/// its effect, actions, resources and condition.
fn compare_statement(
    name: &str,
    e: &Value,
    a: &Value,
    src: &str,
    at: &str,
    span: Span,
    out: &mut Vec<Finding>,
) {
    let sid = |s: &Value| s["Sid"].as_str().unwrap_or("").to_string();
    if e["Effect"] != a["Effect"] {
        out.push(finding(
            src,
            Severity::SecurityWarning,
            "effect-changed",
            format!(
                "`{name}` statement `{}` is now `{}`",
                sid(e),
                a["Effect"].as_str().unwrap_or("?")
            ),
            at.to_string(),
            span,
            None,
        ));
    }
    let (ea, aa) = (
        expand(&strings(&e["Action"])),
        expand(&strings(&a["Action"])),
    );
    let extra: Vec<&String> = aa.difference(&ea).collect();
    let missing: Vec<&String> = ea.difference(&aa).collect();
    if !extra.is_empty() && e["Effect"] == "Allow" {
        let shown: Vec<String> = extra.iter().take(8).map(|s| format!("`{s}`")).collect();
        out.push(finding(
            src,
            Severity::SecurityWarning,
            "extra-actions",
            format!(
                "`{name}` statement `{}` allows {} more action(s) than the permissions file: {}{}",
                sid(e),
                extra.len(),
                shown.join(", "),
                if extra.len() > 8 { ", ..." } else { "" }
            ),
            format!("{at}.Action"),
            span,
            None,
        ));
    }
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(8).map(|s| format!("`{s}`")).collect();
        let sev = if e["Effect"] == "Allow" {
            Severity::Warning
        } else {
            Severity::SecurityWarning
        };
        out.push(finding(
            src,
            sev,
            "missing-actions",
            format!("`{name}` statement `{}` lacks {}", sid(e), shown.join(", ")),
            format!("{at}.Action"),
            span,
            None,
        ));
    }
    let (er, ar) = (strings(&e["Resource"]), strings(&a["Resource"]));
    for r in &ar {
        let covered = er.iter().any(|p| Glob::new(p).is_match(r));
        if !covered && e["Effect"] == "Allow" {
            out.push(finding(
                src,
                Severity::SecurityWarning,
                "widened-resource",
                format!(
                    "`{name}` statement `{}` now covers `{r}`, beyond {}",
                    sid(e),
                    er.iter()
                        .map(|x| format!("`{x}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!("{at}.Resource"),
                span,
                None,
            ));
        }
    }
    if e["Condition"] != a["Condition"] {
        let dropped = a.get("Condition").is_none_or(Value::is_null);
        let (code, sev, what) = if dropped && e["Effect"] == "Allow" {
            ("condition-dropped", Severity::SecurityWarning, "has lost its condition, so it applies without the limits the permissions file sets")
        } else {
            (
                "condition-changed",
                Severity::Warning,
                "has a different condition than the permissions file",
            )
        };
        out.push(finding(
            src,
            sev,
            code,
            format!("`{name}` statement `{}` {what}", sid(e)),
            format!("{at}.Condition"),
            span,
            None,
        ));
    }
}

/// A request that tries to assume the role: who, principal, `aws:PrincipalArn`,
/// `sts:ExternalId`, and whether it comes from a service.
type Probe<'a> = (String, String, Option<String>, Option<&'a str>, bool);

/// Judges the deployed trust policy by the requests it allows: it must let the control
/// plane in with the external id, and nobody the expected one keeps out.
fn compare_trust(
    b: &Bundle,
    role: &Role,
    actual: &Value,
    src: &str,
    path: &str,
    span: Span,
    out: &mut Vec<Finding>,
) {
    let parse = |doc: &Value| parse_policy(&doc.to_string(), PolicyKind::Trust).policy;
    let (Some(exp), Some(act)) = (parse(&role.trust_policy), parse(actual)) else {
        out.push(finding(
            src,
            Severity::Error,
            "trust-policy-unreadable",
            format!("the trust policy of `{}` cannot be read", role.name),
            path.to_string(),
            span,
            None,
        ));
        return;
    };
    let p = &b.parameters;
    for (who, principal, arn, ext, service) in trust_probes(p) {
        let e = assume(p, &role.arn, &exp, &principal, arn.as_deref(), ext, service);
        let a = assume(p, &role.arn, &act, &principal, arn.as_deref(), ext, service);
        if e != Decision::Allow && a == Decision::Allow {
            out.push(finding(
                src,
                Severity::SecurityWarning,
                "trust-policy-loosened",
                format!(
                    "the trust policy of `{}` now lets {who} assume it",
                    role.name
                ),
                path.to_string(),
                span,
                Some("restore the trust policy from the permissions file"),
            ));
        } else if e == Decision::Allow && a != Decision::Allow {
            out.push(finding(src, Severity::Error, "trust-policy-broken", format!("the trust policy of `{}` no longer lets {who} assume it: the backup service cannot work", role.name), path.to_string(), span, None));
        }
    }
}

/// Who tries to assume the role: (who, principal, `aws:PrincipalArn`, `sts:ExternalId`, is a
/// service principal).
fn trust_probes(p: &Params) -> Vec<Probe<'_>> {
    let cp = p.control_plane_arn();
    let cp_session = format!(
        "arn:aws:sts::{}:assumed-role/{}/probe",
        p.vendor_account, p.control_plane_role
    );
    vec![
        (
            "the control plane with the external id".into(),
            cp_session.clone(),
            Some(cp.clone()),
            Some(p.external_id.as_str()),
            false,
        ),
        (
            "the control plane without the external id".into(),
            cp_session.clone(),
            Some(cp.clone()),
            None,
            false,
        ),
        (
            "another role of the vendor's account".into(),
            format!("arn:aws:sts::{}:assumed-role/Other/probe", p.vendor_account),
            Some(format!("arn:aws:iam::{}:role/Other", p.vendor_account)),
            Some(p.external_id.as_str()),
            false,
        ),
        (
            "the vendor account's root".into(),
            p.vendor_account.clone(),
            None,
            Some(p.external_id.as_str()),
            false,
        ),
        (
            "a role of another account".into(),
            "arn:aws:sts::444455556666:assumed-role/Any/probe".into(),
            Some("arn:aws:iam::444455556666:role/Any".into()),
            Some(p.external_id.as_str()),
            false,
        ),
        (
            "a role of this account".into(),
            format!("arn:aws:sts::{}:assumed-role/Any/probe", p.account),
            Some(format!("arn:aws:iam::{}:role/Any", p.account)),
            Some(p.external_id.as_str()),
            false,
        ),
        (
            "anonymous callers".into(),
            "*".into(),
            None,
            Some(p.external_id.as_str()),
            false,
        ),
        (
            "EventBridge".into(),
            "events.amazonaws.com".into(),
            None,
            None,
            true,
        ),
        ("EC2".into(), "ec2.amazonaws.com".into(), None, None, true),
    ]
}

/// The decision on `sts:AssumeRole` of `role_arn` under the trust policy `policy`, for a
/// caller its own account allows.
fn assume(
    p: &Params,
    role_arn: &str,
    policy: &vaultward_iam::Policy,
    principal: &str,
    principal_arn: Option<&str>,
    external_id: Option<&str>,
    service: bool,
) -> Decision {
    let allow_all = parse_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}}"#, PolicyKind::Identity).policy;
    let mut ctx = Context::default();
    if let Some(a) = principal_arn {
        ctx.insert("aws:PrincipalArn", ContextValue::Single(a.into()));
    }
    if let Some(x) = external_id {
        ctx.insert("sts:ExternalId", ContextValue::Single(x.into()));
    }
    if service {
        ctx.insert("aws:SourceAccount", ContextValue::Single(p.account.clone()));
    }
    let Ok(req) = Request::new(principal, "sts:AssumeRole", role_arn, Some(&p.account), ctx) else {
        return Decision::ImplicitDeny;
    };
    let identity = allow_all
        .map(|policy| NamedPolicy {
            name: "caller".into(),
            policy,
        })
        .into_iter()
        .collect();
    authorize(
        &req,
        &PolicySet {
            identity,
            resource: Some(NamedPolicy {
                name: "trust".into(),
                policy: policy.clone(),
            }),
            ..Default::default()
        },
    )
    .decision
}
