//! Catalog-backed policy validation: the structural findings of `vaultward-iam`, plus what
//! only the service reference can tell (unknown actions, resources no action can name,
//! condition keys an action does not support, operators of the wrong type).
//!
//! Source of the rules: the Service Authorization Reference
//! (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
//! and IAM Access Analyzer policy checks
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).

use vaultward_iam::condition::{OpKind, Operator, SetOp, ValueType};
use vaultward_iam::diagnostic::checks::{self, Check};
use vaultward_iam::diagnostic::Finding;
use vaultward_iam::json::{self, Json, Span, Value};
use vaultward_iam::policy::percent_decode;
use vaultward_iam::{parse_policy, PolicyKind};

use crate::overlap::overlaps;

mod arns;
mod grants;
mod keys;
mod principals;
mod values;
use crate::{catalog, global_key, Action, Catalog, Service};

/// Validates a policy document: every structural finding and every catalog finding, in
/// one pass (the catalog checks run on every statement, whatever else is wrong), and the
/// security checks Access Analyzer users expect.
pub fn validate_policy(src: &str, kind: PolicyKind) -> Vec<Finding> {
    validate_policy_in(src, kind, None)
}

/// As [`validate_policy`], knowing the account the policy lives in (`account`), so that a
/// trust policy's cross-account principals are told from its own account's.
pub fn validate_policy_in(src: &str, kind: PolicyKind, account: Option<&str>) -> Vec<Finding> {
    named(validate_unnamed(src, kind, account))
}

/// Every finding under its check's own id (the reader keeps legacy codes for other crates).
fn named(findings: Vec<Finding>) -> Vec<Finding> {
    findings.into_iter().map(Finding::named).collect()
}

fn validate_unnamed(src: &str, kind: PolicyKind, account: Option<&str>) -> Vec<Finding> {
    let arena = json::Arena::new();
    let Ok(root) = json::parse(src, &arena) else {
        return parse_policy(src, kind).findings;
    };
    // A lone statement (or a list of them), as the seed's KMS block: one hint, then the
    // statement's own checks, rather than a finding for every key the policy lacks.
    if let Some(statements) = fragment(&root) {
        let mut f = Finding::of(
            &checks::POLICY_FRAGMENT,
            "this is a statement, not a policy: a policy is `{\"Version\": \"2012-10-17\", \"Statement\": [...]}`".to_string(),
            "$".to_string(),
        )
        .at(src, root.span);
        f.help = Some(
            "wrap it in a policy: `{\"Version\": \"2012-10-17\", \"Statement\": [ ...this... ]}`"
                .into(),
        );
        f.fatal = true;
        let mut out = vec![f];
        let mut checker = Checker {
            src,
            kind,
            account,
            catalog: catalog(),
            out: Vec::new(),
        };
        for (i, s) in statements {
            checker.statement(s, &idx("$", i));
        }
        out.append(&mut checker.out);
        return out;
    }
    let mut findings = parse_policy(src, kind).findings;
    let mut extra = match root.value {
        Value::String(text) => {
            // A policy held in a JSON string: read it, and place findings at the string.
            let decoded = if text.trim_start().starts_with('%') {
                percent_decode(text)
            } else {
                Some(text.to_string())
            };
            let Some(inner) = decoded else {
                return findings;
            };
            let inner_arena = json::Arena::new();
            let Ok(j) = json::parse(&inner, &inner_arena) else {
                return findings;
            };
            Checker {
                src: &inner,
                kind,
                account,
                catalog: catalog(),
                out: Vec::new(),
            }
            .policy(&j)
            .into_iter()
            .map(|f| f.at(src, root.span))
            .collect()
        }
        _ => Checker {
            src,
            kind,
            account,
            catalog: catalog(),
            out: Vec::new(),
        }
        .policy(&root),
    };
    // An unknown action reported with a suggestion replaces the plain syntax error.
    findings.retain(|f| {
        !(f.code == checks::INVALID_ACTION.id
            && extra.iter().any(|e| {
                (e.code == checks::INVALID_ACTION.id
                    || e.code == checks::INVALID_SERVICE_IN_ACTION.id)
                    && e.path == f.path
            }))
    });
    findings.append(&mut extra);
    findings
}

/// The statements of a policy fragment: a statement object, or a list of them, at the top.
fn fragment<'j>(root: &'j Json<'j>) -> Option<Vec<(Option<usize>, &'j Json<'j>)>> {
    let is_statement = |j: &Json<'_>| {
        j.get("Statement").is_none()
            && ["Effect", "Action", "NotAction"]
                .iter()
                .any(|k| j.get(k).is_some())
    };
    match &root.value {
        Value::Object(_) if is_statement(root) => Some(vec![(None, root)]),
        Value::Array(a) if !a.is_empty() && a.iter().all(is_statement) => {
            Some(a.iter().enumerate().map(|(i, v)| (Some(i), v)).collect())
        }
        _ => None,
    }
}

/// Whether the text inside `${...}` is a policy variable: `service:key` (with an optional
/// `, 'default'`), or one of the escapes `*`, `?`, `$`.
fn is_policy_variable(inner: &str) -> bool {
    if matches!(inner, "*" | "?" | "$") {
        return true;
    }
    let name = inner.split(',').next().unwrap_or("").trim();
    match name.split_once(':') {
        Some((svc, key)) => {
            !svc.is_empty()
                && svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !key.is_empty()
                && !key.starts_with(':')
        }
        None => false,
    }
}

/// The account an AWS principal names: an account id, or the account field of an ARN.
fn principal_account(p: &str) -> Option<&str> {
    let is_id = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
    if is_id(p) {
        return Some(p);
    }
    p.split(':').nth(4).filter(|a| is_id(a))
}

struct Checker<'a> {
    src: &'a str,
    kind: PolicyKind,
    /// The account the policy lives in, when known.
    account: Option<&'a str>,
    catalog: &'static Catalog,
    out: Vec<Finding>,
}

/// One action of a statement, as resolved against the catalog.
struct Resolved {
    actions: Vec<(&'static Service, &'static Action)>,
    /// Whether the statement's action list has a wildcard (so resource checks are looser).
    wildcard: bool,
}

fn items<'j>(j: &'j Json<'j>) -> Vec<(Option<usize>, &'j Json<'j>)> {
    match j.value {
        Value::Array(a) => a.iter().enumerate().map(|(i, v)| (Some(i), v)).collect(),
        _ => vec![(None, j)],
    }
}

fn idx(path: &str, i: Option<usize>) -> String {
    match i {
        Some(i) => format!("{path}[{i}]"),
        None => path.to_string(),
    }
}

impl Checker<'_> {
    /// Reports a finding of `check` (nothing when it does not apply to the policy's kind).
    fn report(
        &mut self,
        check: &'static Check,
        message: String,
        path: String,
        span: Span,
        help: Option<String>,
    ) {
        if !check.applies_to(self.kind) {
            return;
        }
        let mut f = Finding::of(check, message, path).at(self.src, span);
        f.help = help;
        self.out.push(f);
    }

    fn policy(mut self, j: &Json<'_>) -> Vec<Finding> {
        if let Some(st) = j.get("Statement") {
            let mut seen: Vec<serde_json::Value> = Vec::new();
            for (i, s) in items(st) {
                let path = idx("$.Statement", i);
                self.statement(s, &path);
                let mut same = s.to_serde();
                if let Some(m) = same.as_object_mut() {
                    m.remove("Sid");
                }
                if seen.contains(&same) {
                    self.report(
                        &checks::REDUNDANT_STATEMENT,
                        "this statement repeats an earlier one (but for its `Sid`)".into(),
                        path,
                        s.span,
                        Some("remove one of them".into()),
                    );
                } else {
                    seen.push(same);
                }
            }
        }
        self.out
    }

    fn statement(&mut self, s: &Json<'_>, path: &str) {
        let allow = s.get("Effect").and_then(Json::as_str) == Some("Allow");
        let (key, negated) = match (s.get("Action"), s.get("NotAction")) {
            (Some(a), _) => (("Action", a), false),
            (None, Some(n)) => (("NotAction", n), true),
            (None, None) => return,
        };
        let apath = format!("{path}.{}", key.0);
        if negated && allow {
            self.report(
                &checks::ALLOW_WITH_NOTACTION,
                "`NotAction` with `Allow` grants every action not listed, in every service, including ones AWS adds later".into(),
                apath.clone(),
                key.1.span,
                Some("list the actions to allow in `Action` instead".into()),
            );
        }
        self.security(s, path, allow);
        let resolved = self.actions(key.1, &apath);
        self.statement_checks(s, path, allow, negated, &resolved);
        if negated {
            return;
        }
        // A trust policy's `Resource` is already an error of its own (`resource-not-allowed`):
        // no advice about what it should hold.
        if let Some(r) = s.get("Resource").filter(|_| self.kind != PolicyKind::Trust) {
            self.resources(r, &format!("{path}.Resource"), &resolved, allow);
        }
        if let Some(c) = s.get("Condition") {
            self.conditions(c, &format!("{path}.Condition"), &resolved, allow);
        }
    }

    /// The security checks: trusts and grants anyone may use, cross-account trusts
    /// without a confused-deputy guard, placeholders left in ARNs. Sources: IAM Access
    /// Analyzer policy checks; IAM User Guide, "The confused deputy problem" (use
    /// `sts:ExternalId`, `aws:PrincipalOrgID`, `aws:SourceAccount`); "Policy variables".
    fn security(&mut self, s: &Json<'_>, path: &str, allow: bool) {
        for key in ["Resource", "NotResource"] {
            if let Some(r) = s.get(key) {
                for (i, v) in items(r) {
                    if let Some(t) = v.as_str() {
                        self.placeholder(t, idx(&format!("{path}.{key}"), i), v.span);
                    }
                }
            }
        }
        let principal = s.get("Principal");
        let mut aws: Vec<(&str, String, Span)> = Vec::new();
        let mut anyone = false;
        match principal {
            Some(p) if p.as_str() == Some("*") => anyone = true,
            Some(p) => {
                if let Some(a) = p.get("AWS") {
                    for (i, v) in items(a) {
                        if let Some(t) = v.as_str() {
                            anyone |= t == "*";
                            aws.push((t, idx(&format!("{path}.Principal.AWS"), i), v.span));
                        }
                    }
                }
            }
            None => {}
        }
        for (t, p, span) in &aws {
            self.placeholder(t, p.clone(), *span);
        }
        if !allow {
            return;
        }
        let keys: Vec<String> = s
            .get("Condition")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
            .flat_map(|op| op.value.as_object().into_iter().flatten())
            .map(|m| m.key.to_ascii_lowercase())
            .collect();
        let has = |names: &[&str]| keys.iter().any(|k| names.contains(&k.as_str()));
        let ppath = format!("{path}.Principal");
        let pspan = principal.map_or(s.span, |p| p.span);
        match self.kind {
            PolicyKind::Trust => {
                let narrowing = [
                    "aws:principalarn",
                    "aws:principalaccount",
                    "aws:principalorgid",
                    "aws:principalorgpaths",
                    "aws:sourceaccount",
                    "aws:sourcearn",
                    "aws:sourceorgid",
                    "sts:externalid",
                    "aws:userid",
                    "aws:username",
                ];
                if anyone && !has(&narrowing) {
                    self.report(
                        &checks::TRUST_ANY_PRINCIPAL,
                        "any AWS principal, in any account, may assume this role".into(),
                        ppath.clone(),
                        pspan,
                        Some("name the principals in `Principal`, or narrow `*` with a condition on `aws:PrincipalArn`, `aws:PrincipalOrgID` or `sts:ExternalId`".into()),
                    );
                }
                let assumes = s
                    .get("Action")
                    .map(items)
                    .into_iter()
                    .flatten()
                    .any(|(_, v)| {
                        v.as_str().is_some_and(|a| {
                            let a = a.to_ascii_lowercase();
                            a == "sts:assumerole" || a == "sts:*" || a == "*"
                        })
                    });
                let guarded = has(&[
                    "sts:externalid",
                    "aws:principalorgid",
                    "aws:sourceaccount",
                    "aws:sourceorgid",
                ]);
                if assumes && !guarded {
                    let mut seen = Vec::new();
                    for (t, p, span) in &aws {
                        let Some(acct) = principal_account(t) else {
                            continue;
                        };
                        if self.account == Some(acct) || seen.contains(&acct) {
                            continue;
                        }
                        seen.push(acct);
                        let message = match self.account {
                            Some(own) => format!("account {acct} (not this role's account {own}) may assume the role with no `sts:ExternalId` (or `aws:PrincipalOrgID`, `aws:SourceAccount`) condition: a confused deputy can use it"),
                            None => format!("`{t}` names account {acct}: if that is another account, it may assume the role with no `sts:ExternalId` (or `aws:PrincipalOrgID`, `aws:SourceAccount`) condition, and a confused deputy can use it"),
                        };
                        self.report(
                            &checks::TRUST_CROSS_ACCOUNT_WITHOUT_EXTERNAL_ID,
                            message,
                            p.clone(),
                            *span,
                            Some(if self.account.is_some() {
                                "add `\"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"...\"}}` (the id the other account's service gives you)".into()
                            } else {
                                "add an `sts:ExternalId` condition, or pass `--account` with the role's account to check precisely".into()
                            }),
                        );
                    }
                }
            }
            PolicyKind::Resource | PolicyKind::Key | PolicyKind::Vault
                if anyone && s.get("Condition").is_none() =>
            {
                self.report(
                    &checks::RESOURCE_POLICY_PUBLIC,
                    format!("the statement allows `*` (anyone, in any account, and anonymous callers where the service allows them) with no condition, in {}", self.kind.with_article()),
                    ppath,
                    pspan,
                    Some("name the principals, or add a condition such as `aws:PrincipalOrgID` or `aws:SourceAccount`".into()),
                );
            }
            _ => {}
        }
    }

    /// Placeholder text left in an ARN: `<ACCOUNT_ID>`, or `${...}` that is no policy
    /// variable (a CloudFormation `Fn::Sub` or Terraform interpolation).
    fn placeholder(&mut self, text: &str, path: String, span: Span) {
        if let Some(a) = text.find('<') {
            if let Some(len) = text.get(a..).and_then(|t| t.find('>')) {
                let shown = text.get(a..=a.saturating_add(len)).unwrap_or(text);
                self.report(
                    &checks::PLACEHOLDER_IN_ARN,
                    format!("`{text}` holds `{shown}`, a placeholder: it matches no real resource or principal"),
                    path,
                    span,
                    Some("replace the placeholder with the real value".into()),
                );
                return;
            }
        }
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = rest.get(start.saturating_add(2)..).unwrap_or("");
            let Some(end) = after.find('}') else { break };
            let inner = after.get(..end).unwrap_or("");
            if !is_policy_variable(inner) {
                self.report(
                    &checks::PLACEHOLDER_IN_ARN,
                    format!("`${{{inner}}}` in `{text}` is not a policy variable (those are `${{service:key}}`): it looks like a template placeholder (CloudFormation `Fn::Sub`, Terraform), which IAM does not substitute"),
                    path,
                    span,
                    Some("substitute it before using the policy, or use a policy variable such as `${aws:PrincipalAccount}`".into()),
                );
                return;
            }
            rest = after.get(end..).unwrap_or("");
        }
    }

    fn actions(&mut self, a: &Json<'_>, path: &str) -> Resolved {
        let mut resolved = Resolved {
            actions: Vec::new(),
            wildcard: false,
        };
        for (i, v) in items(a) {
            let Some(text) = v.as_str() else { continue };
            let p = idx(path, i);
            if self.kind == PolicyKind::Vault && (text.contains('*') || text.contains('?')) {
                self.report(
                    &checks::VAULT_ACTION_WILDCARD,
                    format!("`{text}`: AWS Backup rejects wildcards in the actions of a vault access policy"),
                    p.clone(),
                    v.span,
                    Some("list each `backup:` action by name".into()),
                );
            }
            if text == "*" {
                resolved.wildcard = true;
                continue;
            }
            let (prefix, name) = text.split_once(':').unwrap_or((text, ""));
            let Some(service) = self.catalog.service(prefix.trim()) else {
                let help = self
                    .catalog
                    .suggest_service(prefix)
                    .map(|s| format!("did you mean `{s}`?"));
                self.report(
                    &checks::INVALID_SERVICE_IN_ACTION,
                    format!("`{prefix}` is not an AWS service prefix"),
                    p,
                    v.span,
                    help,
                );
                continue;
            };
            if name.contains('*') || name.contains('?') {
                resolved.wildcard = true;
                let matched = self.catalog.expand(text);
                if matched.is_empty() {
                    self.report(
                        &checks::ACTION_WILDCARD_MATCHES_NOTHING,
                        format!("`{text}` matches no action of `{prefix}`"),
                        p,
                        v.span,
                        None,
                    );
                }
                resolved.actions.extend(matched);
                continue;
            }
            match service.action(name) {
                Some(action) => resolved.actions.push((service, action)),
                None => {
                    let help = self.action_help(service, name);
                    self.report(
                        &checks::INVALID_ACTION,
                        format!("`{text}` is not an action of {}", service.name),
                        p,
                        v.span,
                        help,
                    );
                }
            }
        }
        resolved
    }

    fn action_help(&self, service: &Service, name: &str) -> Option<String> {
        // Two actions run together (`DescribeContinuousBackups- dynamodb:DescribeTable`).
        let parts: Vec<String> = name
            .split(|c: char| c.is_whitespace() || c == ',')
            .map(|p| p.trim_matches(|c: char| c == '-' || c == ',' || c == ';'))
            .filter(|p| !p.is_empty())
            .filter_map(|p| match p.split_once(':') {
                Some((svc, act)) => self
                    .catalog
                    .action(&format!("{svc}:{act}"))
                    .map(|(s, a)| format!("`{}:{}`", s.prefix, a.name)),
                None => service
                    .action(p)
                    .map(|a| format!("`{}:{}`", service.prefix, a.name)),
            })
            .collect();
        if parts.len() > 1 {
            return Some(format!(
                "this looks like several actions run together: {}; list each as its own string",
                parts.join(", ")
            ));
        }
        self.catalog
            .suggest_action(service, name)
            .map(|a| format!("did you mean `{}:{a}`?", service.prefix))
    }

    fn resources(&mut self, r: &Json<'_>, path: &str, resolved: &Resolved, allow: bool) {
        let values: Vec<(String, &str, Span)> = items(r)
            .into_iter()
            .filter_map(|(i, v)| v.as_str().map(|t| (idx(path, i), t, v.span)))
            .collect();
        let star = values.iter().any(|(_, t, _)| *t == "*");
        let fits = |a: &Action, svc: &Service, res: &str| -> bool {
            res == "*"
                || a.resource_types.iter().any(|rt| {
                    svc.resource_type(rt.name)
                        .is_some_and(|t| overlaps(res, t.arn_format))
                })
        };
        if !resolved.wildcard {
            for (p, text, span) in &values {
                if *text == "*" {
                    continue;
                }
                if !resolved.actions.iter().any(|(svc, a)| fits(a, svc, text))
                    && !resolved.actions.is_empty()
                {
                    self.report(
                        &checks::RESOURCE_MATCHES_NO_ACTION,
                        format!("`{text}` matches none of the resource types of the statement's actions, so it grants or denies nothing"),
                        p.clone(),
                        *span,
                        Some("check the ARN against the resource types in `vaultward actions show`".into()),
                    );
                }
            }
            let without: Vec<String> = resolved
                .actions
                .iter()
                .filter(|(svc, a)| !values.iter().any(|(_, t, _)| fits(a, svc, t)))
                .map(|(s, a)| format!("`{}:{}`", s.prefix, a.name))
                .collect();
            let missing: Vec<&(&Service, &Action)> = resolved
                .actions
                .iter()
                .filter(|(svc, a)| !values.iter().any(|(_, t, _)| fits(a, svc, t)))
                .collect();
            // Whether every such action lacks resource-level permissions (then `*` is the fix).
            let unscoped = missing.iter().all(|(_, a)| a.resource_types.is_empty());
            let first = missing
                .iter()
                .find(|(_, a)| !a.resource_types.is_empty())
                .map(|(s, a)| format!("{}:{}", s.prefix, a.name));
            if !without.is_empty() {
                if let Some(span) = values.first().map(|v| v.2) {
                    self.report(
                        &checks::ACTION_MATCHES_NO_RESOURCE,
                        format!(
                            "{} cannot apply to any resource listed here",
                            without.join(", ")
                        ),
                        path.to_string(),
                        span,
                        Some(if unscoped {
                            "actions without resource-level permissions need `\"Resource\": \"*\"`".into()
                        } else {
                            format!("name a resource of a type these actions support (`vaultward actions show {}`), or use `\"Resource\": \"*\"` for those without resource-level permissions", first.unwrap_or_default())
                        }),
                    );
                }
            }
        }
        if allow && star {
            let scoped: Vec<String> = resolved
                .actions
                .iter()
                .filter(|(_, a)| !a.resource_types.is_empty())
                .take(5)
                .map(|(s, a)| format!("`{}:{}`", s.prefix, a.name))
                .collect();
            if !scoped.is_empty() && !resolved.wildcard {
                let span = values.iter().find(|v| v.1 == "*").map_or(r.span, |v| v.2);
                self.report(
                    &checks::RESOURCE_WILDCARD,
                    format!("{} support resource-level permissions, but the statement allows them on every resource", scoped.join(", ")),
                    path.to_string(),
                    span,
                    Some("name the resources (see `vaultward actions show`) to grant least privilege".into()),
                );
            }
        }
    }

    fn conditions(&mut self, c: &Json<'_>, path: &str, resolved: &Resolved, allow: bool) {
        let Some(ops) = c.as_object() else { return };
        for op_member in ops {
            let Some(op) = Operator::parse(op_member.key) else {
                continue;
            };
            let Some(keys) = op_member.value.as_object() else {
                continue;
            };
            for key_member in keys {
                let key = key_member.key;
                let p = format!("{path}.{}[{}]", op_member.key, serde_json_string(key));
                self.condition(op, key, &p, key_member.key_span, resolved, allow);
                self.values(op, key, &key_member.value, &p);
            }
        }
    }

    fn condition(
        &mut self,
        op: Operator,
        key: &str,
        path: &str,
        span: Span,
        resolved: &Resolved,
        allow: bool,
    ) {
        let (prefix, _) = key.split_once(':').unwrap_or(("", key));
        if !self.key_exists(key, path, span) {
            return;
        }
        let (key_type, known): (Option<(&str, bool)>, bool) = if let Some(g) = global_key(key) {
            (Some((g.key_type, g.multivalued)), true)
        } else if let Some(svc) = self.catalog.service(prefix) {
            match svc.condition_key(key) {
                Some(k) => {
                    let multi = k.key_type.starts_with("ArrayOf");
                    (
                        Some((k.key_type.trim_start_matches("ArrayOf"), multi)),
                        true,
                    )
                }
                None => {
                    self.report(
                        &checks::INVALID_SERVICE_CONDITION_KEY,
                        format!("`{key}` is not a condition key of {}", svc.name),
                        path.to_string(),
                        span,
                        None,
                    );
                    (None, false)
                }
            }
        } else {
            (None, false)
        };
        // Keys of a service are only set for the actions that support them.
        if known && global_key(key).is_none() && !resolved.wildcard && !resolved.actions.is_empty()
        {
            let supported = resolved.actions.iter().any(|(svc, a)| {
                a.condition_keys.iter().any(|k| crate::key_matches(k, key))
                    || a.resource_types.iter().any(|rt| {
                        svc.resource_type(rt.name).is_some_and(|t| {
                            t.condition_keys.iter().any(|k| crate::key_matches(k, key))
                        })
                    })
            });
            if !supported {
                self.report(
                    &checks::UNSUPPORTED_ACTION_FOR_CONDITION_KEY,
                    format!("none of the statement's actions supports `{key}`, so the key is absent from their requests"),
                    path.to_string(),
                    span,
                    Some("see the condition keys each action supports in `vaultward actions show`".into()),
                );
            }
        }
        let Some((ty, multi)) = key_type else { return };
        if op.kind != OpKind::Null && !operator_fits(op.kind.value_type(), ty) {
            self.report(
                &checks::TYPE_MISMATCH,
                format!(
                    "`{}` compares {} values, but `{key}` is a {ty} key",
                    op.name(),
                    type_words(op.kind.value_type())
                ),
                path.to_string(),
                span,
                Some(format!("use a {ty} operator")),
            );
        }
        match (op.set, multi) {
            (None, true) if op.kind != OpKind::Null => self.report(
                &checks::MISSING_QUALIFIER,
                format!("`{key}` can hold several values; `{}` without `ForAnyValue:` or `ForAllValues:` does not match a multivalued key", op.name()),
                path.to_string(),
                span,
                Some("prefix the operator with `ForAnyValue:` or `ForAllValues:`".into()),
            ),
            (Some(set), false) => self.report(
                if set == SetOp::ForAllValues && allow { &checks::FORALLVALUES_WITH_SINGLE_VALUED_KEY } else { &checks::SET_OPERATOR_ON_SINGLE_VALUED_KEY },
                format!("`{key}` is single-valued; a set operator on it{}", if set == SetOp::ForAllValues && allow { " is true when the key is absent, so this Allow grants more than it seems" } else { " is not needed" }),
                path.to_string(),
                span,
                Some("drop the `ForAnyValue:`/`ForAllValues:` prefix".into()),
            ),
            _ => {}
        }
    }
}

fn operator_fits(op: ValueType, key_type: &str) -> bool {
    match key_type {
        "String" => matches!(op, ValueType::String),
        // ARN keys take ARN operators and, as AWS allows, string operators.
        "ARN" => matches!(op, ValueType::Arn | ValueType::String),
        "Bool" => matches!(op, ValueType::Bool),
        "Date" => matches!(op, ValueType::Date | ValueType::Numeric),
        "Numeric" => matches!(op, ValueType::Numeric),
        "IPAddress" => matches!(op, ValueType::Ip),
        "Binary" => matches!(op, ValueType::Binary),
        _ => true,
    }
}

fn type_words(t: ValueType) -> &'static str {
    match t {
        ValueType::String => "string",
        ValueType::Numeric => "numeric",
        ValueType::Date => "date",
        ValueType::Bool => "boolean",
        ValueType::Binary => "binary",
        ValueType::Ip => "IP address",
        ValueType::Arn => "ARN",
        ValueType::Null => "null",
    }
}

fn serde_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
