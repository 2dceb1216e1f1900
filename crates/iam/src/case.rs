//! The `vaultward authorize` input: one request and the policies that apply to it.
//!
//! ```json
//! {"request": {"principal": "arn:aws:sts::111122223333:assumed-role/BackupRole/s1",
//!              "action": "s3:GetObject", "resource": "arn:aws:s3:::hd-test/a.txt",
//!              "resource_account": "111122223333",
//!              "context": {"aws:SourceVpc": "vpc-1", "aws:TagKeys": ["a", "b"]}},
//!  "identity_policies": [], "resource_policy": null, "permissions_boundary": null,
//!  "session_policy": null, "scps": [[]], "rcps": [[]]}
//! ```
//! Every policy field takes a document, a JSON string holding one (URL-encoded too), or
//! `{"name": "...", "document": ...}`. Absent fields mean "none"; `scps`/`rcps` absent
//! means the account is not in an organization. Optional: `resource_policy_kind`
//! (`standard`, `key`, `trust`; inferred from the request when absent) and
//! `management_account`.
//!
//! A context value that is present but not known is `{"unknown": true}`, optionally with
//! what it can be: `"one_of": [...]`, `"none_of": [...]`, `"between": [date, date]`;
//! `"maybe_absent": true` when the request may also not carry the key at all;
//! `"multivalued": true` for a set; `"settled_by": "..."`, what would settle it.

use crate::authorizer::{NamedPolicy, PolicySet, ResourceRule};
use crate::condition::parse_date;
use crate::context::{Context, ContextValue, Domain, Unknown};
use crate::diagnostic::{Finding, Severity};
use crate::json::{self, Json, Value};
use crate::managed::Managed;
use crate::policy::{parse_policy_json, Policy, PolicyKind};
use crate::request::Request;

mod cache;
use cache::DocCache;
pub use cache::{CachedCase, CaseParser, PolicySetSource};

/// A case ready to evaluate, with the non-fatal findings about its policies.
#[derive(Debug, Clone)]
pub struct Case {
    pub request: Request,
    pub policies: PolicySet,
    pub findings: Vec<Finding>,
}

/// Everything wrong with a case, each finding located.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[error("the case is not valid ({} problem(s))", findings.len())]
pub struct CaseError {
    #[related]
    pub findings: Vec<Finding>,
}

pub(crate) const CASE_KEYS: [&str; 9] = [
    "request",
    "identity_policies",
    "resource_policy",
    "permissions_boundary",
    "session_policy",
    "scps",
    "rcps",
    "resource_policy_kind",
    "management_account",
];
const REQUEST_KEYS: [&str; 5] = [
    "principal",
    "action",
    "resource",
    "resource_account",
    "context",
];

/// Reads a case from JSON text.
pub fn parse_case(src: &str) -> Result<Case, CaseError> {
    let arena = json::Arena::with_capacity(src.len());
    let j = json::parse(src, &arena).map_err(|e| json_error(src, &e))?;
    read_case(src, &j, None)
}

/// The error of a case that is not JSON.
pub(crate) fn json_error(src: &str, e: &json::JsonError) -> CaseError {
    CaseError {
        findings: vec![Finding::new(
            Severity::Error,
            "json-syntax",
            format!("invalid JSON: {e}"),
            "$",
        )
        .at(src, json::Span::new(e.offset(), e.offset()))
        .fatal()],
    }
}

/// Reads a case from its JSON, reusing the documents of `docs` (and adding to it).
pub(crate) fn read_case(
    src: &str,
    j: &Json<'_>,
    docs: Option<&mut DocCache>,
) -> Result<Case, CaseError> {
    let mut r = CaseReader::new(src, docs);
    let case = r.case(j);
    match case {
        Some(c) if r.errors.is_empty() => Ok(Case {
            findings: r.findings,
            ..c
        }),
        _ => Err(CaseError { findings: r.errors }),
    }
}

/// Which kind of resource policy a case's `resource_policy` is: as `resource_policy_kind`
/// says, or inferred from the request (a trust action, a KMS key).
pub(crate) fn resource_kind(rule: Option<ResourceRule>, request: Option<&Request>) -> PolicyKind {
    match (rule, request) {
        (Some(ResourceRule::KeyPolicy), _) => PolicyKind::Key,
        (Some(ResourceRule::TrustPolicy), _) => PolicyKind::Trust,
        (Some(ResourceRule::Standard), _) => PolicyKind::Resource,
        (None, Some(r)) if r.is_trust_action() => PolicyKind::Trust,
        (None, Some(r))
            if r.resource.starts_with("arn:") && r.resource.split(':').nth(2) == Some("kms") =>
        {
            PolicyKind::Key
        }
        _ => PolicyKind::Resource,
    }
}

pub(crate) struct CaseReader<'s, 'c> {
    src: &'s str,
    pub(crate) errors: Vec<Finding>,
    pub(crate) findings: Vec<Finding>,
    /// Documents read before, by content: each is read once.
    docs: Option<&'c mut DocCache>,
}

impl<'s, 'c> CaseReader<'s, 'c> {
    pub(crate) fn new(src: &'s str, docs: Option<&'c mut DocCache>) -> Self {
        CaseReader {
            src,
            errors: Vec::new(),
            findings: Vec::new(),
            docs,
        }
    }

    pub(crate) fn error(&mut self, path: &str, j: &Json<'_>, message: String, help: Option<&str>) {
        let mut f = Finding::new(Severity::Error, "invalid-case", message, path)
            .at(self.src, j.span)
            .fatal();
        f.help = help.map(str::to_string);
        self.errors.push(f);
    }

    pub(crate) fn check_keys(&mut self, j: &Json<'_>, known: &[&str], path: &str) {
        for m in j.as_object().unwrap_or_default() {
            if !known.contains(&m.key) {
                let f = Finding::new(
                    Severity::Error,
                    "unknown-element",
                    format!("unknown field `{}`", m.key),
                    path,
                )
                .at(self.src, m.key_span)
                .help(format!("the fields here are {}", known.join(", ")))
                .fatal();
                self.errors.push(f);
            }
        }
    }

    fn case(&mut self, j: &Json<'_>) -> Option<Case> {
        if j.as_object().is_none() {
            self.error(
                "$",
                j,
                format!("a case must be a JSON object, not {}", j.kind()),
                None,
            );
            return None;
        }
        self.check_keys(j, &CASE_KEYS, "$");
        let Some(rq) = j.get("request") else {
            self.error(
                "$",
                j,
                "the case has no `request`".into(),
                Some("add `\"request\": {\"principal\": ..., \"action\": ..., \"resource\": ...}`"),
            );
            return None;
        };
        let request = self.request(rq);
        let rule = self.rule(j);
        let policies = self.policies(j, rule, resource_kind(rule, request.as_ref()));
        Some(Case {
            request: request?,
            policies,
            findings: Vec::new(),
        })
    }

    /// `resource_policy_kind`, when given (an invalid one is reported).
    pub(crate) fn rule(&mut self, j: &Json<'_>) -> Option<ResourceRule> {
        let k = j.get("resource_policy_kind")?;
        match k.as_str() {
            Some("standard") => Some(ResourceRule::Standard),
            Some("key") => Some(ResourceRule::KeyPolicy),
            Some("trust") => Some(ResourceRule::TrustPolicy),
            _ => {
                self.error(
                    "$.resource_policy_kind",
                    k,
                    "`resource_policy_kind` must be `standard`, `key` or `trust`".into(),
                    None,
                );
                None
            }
        }
    }

    /// Every policy of a case (or of a policy set), with its resource policy read as
    /// `resource_kind`.
    pub(crate) fn policies(
        &mut self,
        j: &Json<'_>,
        rule: Option<ResourceRule>,
        resource_kind: PolicyKind,
    ) -> PolicySet {
        let identity = match j.get("identity_policies") {
            None => Vec::new(),
            Some(list) => self.policy_list(
                list,
                "$.identity_policies",
                "identity_policies",
                PolicyKind::Identity,
            ),
        };
        let resource = self.optional_policy(j, "resource_policy", resource_kind);
        let boundary = self.optional_policy(j, "permissions_boundary", PolicyKind::Boundary);
        let session = self.optional_policy(j, "session_policy", PolicyKind::Session);
        let scps = self.levels(j, "scps", PolicyKind::Scp);
        let rcps = self.levels(j, "rcps", PolicyKind::Rcp);
        let management_account = j.get("management_account").and_then(|m| match m.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(
                    "$.management_account",
                    m,
                    "`management_account` must be an account id string".into(),
                    None,
                );
                None
            }
        });
        PolicySet {
            identity,
            resource,
            resource_rule: rule,
            boundary,
            session,
            scps,
            rcps,
            management_account,
        }
    }

    pub(crate) fn request(&mut self, j: &Json<'_>) -> Option<Request> {
        if j.as_object().is_none() {
            self.error(
                "$.request",
                j,
                format!("`request` must be an object, not {}", j.kind()),
                None,
            );
            return None;
        }
        self.check_keys(j, &REQUEST_KEYS, "$.request");
        let mut field = |name: &str, required: bool| -> Option<String> {
            match j.get(name) {
                Some(v) => match v.as_str() {
                    Some(s) => Some(s.to_string()),
                    None => {
                        self.error(
                            &format!("$.request.{name}"),
                            v,
                            format!("`{name}` must be a string, not {}", v.kind()),
                            None,
                        );
                        None
                    }
                },
                None if required => {
                    self.error("$.request", j, format!("the request has no `{name}`"), None);
                    None
                }
                None => None,
            }
        };
        let principal = field("principal", true);
        let action = field("action", true);
        let resource = field("resource", true);
        let resource_account = field("resource_account", false);
        let context = match j.get("context") {
            None => Context::default(),
            Some(c) => self.context(c)?,
        };
        let (principal, action, resource) = (principal?, action?, resource?);
        // A request's action is `service:Action`, one colon, no wildcard: what AWS
        // authorizes is always a concrete action of a service.
        let action_ok = crate::request::is_action_name(&action);
        if !action_ok {
            if let Some(a) = j.get("action") {
                self.error(
                    "$.request.action",
                    a,
                    format!("`{action}` is not an action: a request names one action as `service:Action`, for example `s3:GetObject`"),
                    None,
                );
            }
            return None;
        }
        match Request::from_parts(&principal, action, resource, resource_account, context) {
            Ok(r) => Some(r),
            Err(e) => {
                if let Some(p) = j.get("principal") {
                    self.error("$.request.principal", p, e.0, None);
                }
                None
            }
        }
    }

    fn context(&mut self, j: &Json<'_>) -> Option<Context> {
        let Some(members) = j.as_object() else {
            self.error(
                "$.request.context",
                j,
                format!(
                    "`context` must be an object of condition keys, not {}",
                    j.kind()
                ),
                None,
            );
            return None;
        };
        // Room for the keys derived from the principal and the resource too.
        let mut ctx = Context::with_capacity(members.len().saturating_add(6));
        let mut ok = true;
        for m in members {
            // Written only when needed: the key's JSON path, for an error.
            let path = || {
                format!(
                    "$.request.context[{}]",
                    serde_json::Value::String(m.key.to_string())
                )
            };
            let scalar = |v: &Json<'_>| -> Option<String> {
                match &v.value {
                    Value::String(s) => Some(s.to_string()),
                    Value::Number(n) => Some((*n).to_string()),
                    Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                }
            };
            let value = match &m.value.value {
                Value::Array(items) => items
                    .iter()
                    .map(scalar)
                    .collect::<Option<Vec<_>>>()
                    .map(ContextValue::Multi),
                Value::Object(_) => match self.unknown(&m.value, &path()) {
                    Some(u) => Some(ContextValue::Unknown(u)),
                    None => {
                        ok = false;
                        continue;
                    }
                },
                _ => scalar(&m.value).map(ContextValue::Single),
            };
            match value {
                Some(v) => ctx.insert(m.key, v),
                None => {
                    ok = false;
                    self.error(
                        &path(),
                        &m.value,
                        "a context value must be a string, number, boolean or an array of them, or `{\"unknown\": true}`"
                            .into(),
                        None,
                    );
                }
            }
        }
        ok.then_some(ctx)
    }

    /// `{"unknown": true}`: the key is present with a value that is not known, with
    /// optionally what it can be (`one_of`, `none_of`, `between` two dates), whether it is
    /// a set (`multivalued`) and what would settle it (`settled_by`).
    fn unknown(&mut self, j: &Json<'_>, path: &str) -> Option<Unknown> {
        const KEYS: [&str; 7] = [
            "unknown",
            "maybe_absent",
            "one_of",
            "none_of",
            "between",
            "multivalued",
            "settled_by",
        ];
        let before = self.errors.len();
        self.check_keys(j, &KEYS, path);
        if j.get("unknown").map(|v| &v.value) != Some(&Value::Bool(true)) {
            self.error(
                path,
                j,
                "an object as a context value must say `\"unknown\": true`".into(),
                Some("write a known value as a string or an array, and a present but unknown one as `{\"unknown\": true}`"),
            );
            return None;
        }
        let mut u = Unknown::default();
        let strings = |r: &mut Self, field: &str| -> Option<Vec<String>> {
            let v = j.get(field)?;
            let Value::Array(items) = &v.value else {
                r.error(
                    &format!("{path}.{field}"),
                    v,
                    format!("`{field}` must be an array of strings"),
                    None,
                );
                return None;
            };
            let out: Option<Vec<String>> = items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect();
            if out.is_none() {
                r.error(
                    &format!("{path}.{field}"),
                    v,
                    format!("`{field}` must be an array of strings"),
                    None,
                );
            }
            out
        };
        let one_of = strings(self, "one_of");
        let none_of = strings(self, "none_of");
        let between = strings(self, "between");
        let chosen = [one_of.is_some(), none_of.is_some(), between.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if chosen > 1 {
            self.error(
                path,
                j,
                "give at most one of `one_of`, `none_of` and `between`".into(),
                None,
            );
        }
        if let Some(vs) = one_of {
            if vs.is_empty() {
                self.error(
                    &format!("{path}.one_of"),
                    j,
                    "`one_of` must name at least one value".into(),
                    None,
                );
            }
            u.domain = Domain::OneOf(vs);
        }
        if let Some(vs) = none_of {
            u.domain = Domain::NoneOf(vs);
        }
        if let Some(vs) = between {
            match vs.as_slice() {
                [a, b] => match (parse_date(a), parse_date(b)) {
                    (Some(a), Some(b)) if a <= b => u.domain = Domain::Between(a, b),
                    _ => self.error(
                        &format!("{path}.between"),
                        j,
                        "`between` takes two dates, the earlier first (ISO 8601 or epoch seconds)"
                            .into(),
                        None,
                    ),
                },
                _ => self.error(
                    &format!("{path}.between"),
                    j,
                    "`between` takes two dates, the earlier first".into(),
                    None,
                ),
            }
        }
        if let Some(v) = j.get("multivalued") {
            match v.value {
                Value::Bool(b) => u.multivalued = b,
                _ => self.error(
                    &format!("{path}.multivalued"),
                    v,
                    "`multivalued` must be `true` or `false`".into(),
                    None,
                ),
            }
        }
        if let Some(v) = j.get("maybe_absent") {
            match v.value {
                Value::Bool(b) => u.maybe_absent = b,
                _ => self.error(
                    &format!("{path}.maybe_absent"),
                    v,
                    "`maybe_absent` must be `true` or `false`".into(),
                    None,
                ),
            }
        }
        if let Some(v) = j.get("settled_by") {
            match v.as_str() {
                Some(s) => u.settled_by = Some(s.to_string()),
                None => self.error(
                    &format!("{path}.settled_by"),
                    v,
                    "`settled_by` must be a string".into(),
                    None,
                ),
            }
        }
        (self.errors.len() == before).then_some(u)
    }

    fn optional_policy(
        &mut self,
        j: &Json<'_>,
        field: &str,
        kind: PolicyKind,
    ) -> Option<NamedPolicy> {
        match j.get(field) {
            None => None,
            Some(v) if v.value == Value::Null => None,
            Some(v) => self.named_policy(v, &format!("$.{field}"), field.to_string(), kind),
        }
    }

    fn policy_list(
        &mut self,
        j: &Json<'_>,
        path: &str,
        name: &str,
        kind: PolicyKind,
    ) -> Vec<NamedPolicy> {
        let Value::Array(items) = &j.value else {
            self.error(
                path,
                j,
                format!("this field must be an array of policies, not {}", j.kind()),
                None,
            );
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, it)| {
                self.named_policy(it, &format!("{path}[{i}]"), format!("{name}[{i}]"), kind)
            })
            .collect()
    }

    fn levels(
        &mut self,
        j: &Json<'_>,
        field: &str,
        kind: PolicyKind,
    ) -> Option<Vec<Vec<NamedPolicy>>> {
        let v = j.get(field)?;
        if v.value == Value::Null {
            return None;
        }
        let path = format!("$.{field}");
        let Value::Array(levels) = &v.value else {
            self.error(
                &path,
                v,
                format!("`{field}` must be an array of levels, each an array of policies"),
                None,
            );
            return None;
        };
        let mut out = Vec::new();
        for (l, level) in levels.iter().enumerate() {
            if !matches!(level.value, Value::Array(_)) {
                self.error(&format!("{path}[{l}]"), level, format!("each level of `{field}` must be an array of policies, not {}", level.kind()),
                    Some("write one array per OU level from the root down, for example `[[root_policies], [ou_policies]]`"));
                continue;
            }
            out.push(self.policy_list(
                level,
                &format!("{path}[{l}]"),
                &format!("{field}[{l}]"),
                kind,
            ));
        }
        Some(out)
    }

    fn named_policy(
        &mut self,
        j: &Json<'_>,
        path: &str,
        default_name: String,
        kind: PolicyKind,
    ) -> Option<NamedPolicy> {
        let is_named = j.get("document").is_some() && j.get("Statement").is_none();
        let (name, doc, doc_path) = if is_named {
            self.check_keys(j, &["name", "document"], path);
            let name = match j.get("name") {
                None => default_name,
                Some(n) => match n.as_str() {
                    Some(s) => s.to_string(),
                    None => {
                        self.error(
                            &format!("{path}.name"),
                            n,
                            "`name` must be a string".into(),
                            None,
                        );
                        default_name
                    }
                },
            };
            (name, j.get("document")?, format!("{path}.document"))
        } else {
            (default_name, j, path.to_string())
        };
        let text = self
            .src
            .get(doc.span.start as usize..doc.span.end as usize)
            .unwrap_or_default();
        let (policy, findings) = match self.docs.as_deref_mut() {
            Some(cache) => {
                let (policy, relative) = cache.read(kind, doc, self.src, text, &name);
                let origin = if relative.iter().any(|f| f.line.is_some()) {
                    json::line_col(self.src, doc.span.start as usize)
                } else {
                    (1, 1)
                };
                let findings = relative.iter().map(|f| at_origin(f.clone(), origin));
                (policy, findings.collect())
            }
            None => read_document(kind, doc, self.src, text, &name),
        };
        for f in findings {
            let f = f.under(&doc_path);
            if f.fatal {
                self.errors.push(f);
            } else {
                self.findings.push(f);
            }
        }
        policy.map(|policy| NamedPolicy { name, policy })
    }
}

/// Reads one policy document of a case: `doc`, whose text is `text`, in `src`. Its
/// findings' paths are the document's own (`$...`).
pub(crate) fn read_document(
    kind: PolicyKind,
    doc: &Json<'_>,
    src: &str,
    text: &str,
    name: &str,
) -> (Option<Policy>, Vec<Finding>) {
    // The AWS-managed organization policies are read as AWS attaches them, whatever form
    // the case gives them in (by name, or by content). Only SCPs and RCPs can be one.
    if matches!(kind, PolicyKind::Scp | PolicyKind::Rcp) {
        let content = match doc.as_str() {
            Some(t) => t,
            None => text,
        };
        if let Some(m) = Managed::recognize(kind, Some(name), Some(content)) {
            return (Some(m.policy()), Vec::new());
        }
    }
    let parsed = parse_policy_json(doc, src, kind);
    (parsed.policy, parsed.findings)
}

/// A finding placed relative to `origin` (the line and column where its document starts)
/// placed back in the text: the document's first line continues the origin's line.
pub(crate) fn at_origin(mut f: Finding, origin: (usize, usize)) -> Finding {
    if let (Some(line), Some(column)) = (f.line, f.column) {
        let (l0, c0) = origin;
        if line == 1 {
            f.column = Some(c0.saturating_add(column).saturating_sub(1));
            f.line = Some(l0);
        } else {
            f.line = Some(l0.saturating_add(line).saturating_sub(1));
        }
    }
    f
}

/// A finding located in a text, placed relative to `origin` (where its document starts
/// in that text): the inverse of [`at_origin`].
pub(crate) fn from_origin(mut f: Finding, origin: (usize, usize)) -> Finding {
    if let (Some(line), Some(column)) = (f.line, f.column) {
        let (l0, c0) = origin;
        if line == l0 {
            f.line = Some(1);
            f.column = Some(column.saturating_add(1).saturating_sub(c0));
        } else {
            f.line = Some(line.saturating_add(1).saturating_sub(l0));
        }
    }
    f
}
