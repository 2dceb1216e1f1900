//! Catalog-backed policy validation: the structural findings of `vaultward-iam`, plus what
//! only the service reference can tell (unknown actions, resources no action can name,
//! condition keys an action does not support, operators of the wrong type).
//!
//! Source of the rules: the Service Authorization Reference
//! (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
//! and IAM Access Analyzer policy checks
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).

use vaultward_iam::condition::{OpKind, Operator, SetOp, ValueType};
use vaultward_iam::diagnostic::{Finding, Severity};
use vaultward_iam::json::{self, Json, Span, Value};
use vaultward_iam::policy::percent_decode;
use vaultward_iam::{parse_policy, PolicyKind};

use crate::overlap::overlaps;
use crate::{catalog, global_key, Action, Catalog, Service};

/// Validates a policy document: every structural finding and every catalog finding.
pub fn validate_policy(src: &str, kind: PolicyKind) -> Vec<Finding> {
    let mut findings = parse_policy(src, kind).findings;
    if findings.iter().any(|f| f.fatal) {
        return findings;
    }
    let arena = json::Arena::new();
    let Ok(root) = json::parse(src, &arena) else {
        return findings;
    };
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
            catalog: catalog(),
            out: Vec::new(),
        }
        .policy(&root),
    };
    // An unknown action reported with a suggestion replaces the plain syntax error.
    findings.retain(|f| {
        !(f.code == "invalid-action"
            && extra
                .iter()
                .any(|e| e.code == "unknown-action" && e.path == f.path))
    });
    findings.append(&mut extra);
    findings
}

struct Checker<'a> {
    src: &'a str,
    kind: PolicyKind,
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
    fn report(
        &mut self,
        severity: Severity,
        code: &'static str,
        message: String,
        path: String,
        span: Span,
        help: Option<String>,
    ) {
        let mut f = Finding::new(severity, code, message, path).at(self.src, span);
        f.help = help;
        self.out.push(f);
    }

    fn policy(mut self, j: &Json<'_>) -> Vec<Finding> {
        if let Some(st) = j.get("Statement") {
            for (i, s) in items(st) {
                self.statement(s, &idx("$.Statement", i));
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
                Severity::SecurityWarning,
                "allow-with-notaction",
                "`NotAction` with `Allow` grants every action not listed, in every service, including ones AWS adds later".into(),
                apath.clone(),
                key.1.span,
                Some("list the actions to allow in `Action` instead".into()),
            );
        }
        let resolved = self.actions(key.1, &apath);
        if negated {
            return;
        }
        if let Some(r) = s.get("Resource") {
            self.resources(r, &format!("{path}.Resource"), &resolved, allow);
        }
        if let Some(c) = s.get("Condition") {
            self.conditions(c, &format!("{path}.Condition"), &resolved, allow);
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
                    Severity::Error,
                    "vault-action-wildcard",
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
                    Severity::Error,
                    "unknown-service",
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
                        Severity::Warning,
                        "action-wildcard-matches-nothing",
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
                        Severity::Error,
                        "unknown-action",
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
                        Severity::Warning,
                        "resource-matches-no-action",
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
            if !without.is_empty() {
                if let Some(span) = values.first().map(|v| v.2) {
                    self.report(
                        Severity::Warning,
                        "action-matches-no-resource",
                        format!(
                            "{} cannot apply to any resource listed here",
                            without.join(", ")
                        ),
                        path.to_string(),
                        span,
                        Some(
                            "actions without resource-level permissions need `\"Resource\": \"*\"`"
                                .into(),
                        ),
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
                    Severity::Suggestion,
                    "resource-wildcard",
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
                        Severity::Warning,
                        "unknown-condition-key",
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
                    Severity::Warning,
                    "unsupported-condition-key",
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
                Severity::Warning,
                "condition-operator-type-mismatch",
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
                Severity::Warning,
                "single-value-operator-on-multivalued-key",
                format!("`{key}` can hold several values; `{}` without `ForAnyValue:` or `ForAllValues:` does not match a multivalued key", op.name()),
                path.to_string(),
                span,
                Some("prefix the operator with `ForAnyValue:` or `ForAllValues:`".into()),
            ),
            (Some(set), false) => self.report(
                if set == SetOp::ForAllValues && allow { Severity::SecurityWarning } else { Severity::Warning },
                "set-operator-on-single-valued-key",
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
