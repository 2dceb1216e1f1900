//! Reading a policy document into a [`Policy`], collecting every problem at once.

use crate::condition::{parse_value, Operator};
use crate::diagnostic::{Finding, Severity};
use crate::edit_distance;
use crate::glob::Glob;
use crate::json::{self, Json, Member, Span, Value};
use crate::principal::PrincipalEntry;
use crate::template::Template;

use super::{
    ActionElement, Condition, Effect, Policy, PolicyKind, PrincipalElement, PrincipalRaw,
    ResourceElement, Statement, Version,
};

/// The outcome of reading a policy: the policy when it can be evaluated, and all findings.
#[derive(Debug, Clone)]
pub struct ParsedPolicy {
    pub policy: Option<Policy>,
    pub findings: Vec<Finding>,
}

impl ParsedPolicy {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Reads a policy from JSON text. The text may also be a JSON string holding the
/// policy, URL-encoded or not, as IAM returns it.
pub fn parse_policy(src: &str, kind: PolicyKind) -> ParsedPolicy {
    let arena = json::Arena::with_capacity(src.len());
    match json::parse(src, &arena) {
        Ok(j) => parse_policy_json(&j, src, kind),
        Err(e) => ParsedPolicy {
            policy: None,
            findings: vec![json_error(src, &e)],
        },
    }
}

fn json_error(src: &str, e: &json::JsonError) -> Finding {
    Finding::new(
        Severity::Error,
        "json-syntax",
        format!("invalid JSON: {e}"),
        "$",
    )
    .at(src, Span::new(e.offset(), e.offset()))
    .help("fix the JSON syntax; a policy is one JSON object")
    .fatal()
}

/// Reads a policy from an already-parsed JSON value of `src`.
pub fn parse_policy_json(j: &Json<'_>, src: &str, kind: PolicyKind) -> ParsedPolicy {
    if let Value::String(text) = &j.value {
        return parse_embedded(text, j.span, src, kind);
    }
    let mut r = Reader {
        kind,
        findings: Vec::new(),
        path: Vec::new(),
        substitute: true,
        locator: json::Locator::new(src),
        dropped: 0,
        dropped_fatal: false,
        scratch: Finding::new(Severity::Warning, "dropped", String::new(), String::new()),
    };
    let policy = r.policy(j);
    let text = src
        .get(j.span.start as usize..j.span.end as usize)
        .unwrap_or(src);
    if let Some((limit, counted, how)) = size_limit(kind, text) {
        let (line, column) = r.locator.locate(j.span.start as usize);
        let mut f = Finding::new(
            Severity::Error,
            "policy-too-large",
            format!(
                "the policy has {counted} {how}; AWS accepts at most {limit} for {}",
                kind.with_article()
            ),
            "$",
        );
        f.line = Some(line);
        f.column = Some(column);
        f.help = Some("split it into several policies, or remove what it does not need".into());
        r.findings.push(f);
    }
    if r.dropped > 0 {
        let mut f = Finding::new(
            if r.dropped_fatal {
                Severity::Error
            } else {
                Severity::Warning
            },
            "too-many-findings",
            format!(
                "{} more findings are not listed (only the first {MAX_FINDINGS} are)",
                r.dropped
            ),
            "$",
        );
        f.fatal = r.dropped_fatal;
        r.findings.push(f);
    }
    let fatal = r.findings.iter().any(|f| f.fatal);
    ParsedPolicy {
        policy: if fatal { None } else { policy },
        findings: r.findings,
    }
}

/// AWS's size limit for a policy of `kind`, when `text` exceeds it: (limit, size, unit).
/// IAM counts characters without white space ("IAM and AWS STS quotas", IAM User Guide:
/// managed policies 6,144; a role's inline policies 10,240 together; role trust policies
/// 2,048, up to 4,096 on request; session policies 2,048); AWS Organizations counts every
/// character of an SCP or RCP (5,120; "Quotas for AWS Organizations"); S3 bucket policies
/// are at most 20 KB and KMS key policies 32 KB. Vault access policies have no documented
/// limit here and are not checked.
fn size_limit(kind: PolicyKind, text: &str) -> Option<(usize, usize, &'static str)> {
    let packed = || text.chars().filter(|c| !c.is_whitespace()).count();
    let (limit, counted, how) = match kind {
        PolicyKind::Identity => (10_240, packed(), "characters without white space"),
        PolicyKind::Boundary => (6_144, packed(), "characters without white space"),
        PolicyKind::Trust => (4_096, packed(), "characters without white space"),
        PolicyKind::Session => (2_048, packed(), "characters without white space"),
        PolicyKind::Scp | PolicyKind::Rcp => (5_120, text.chars().count(), "characters"),
        PolicyKind::Resource => (20_480, text.len(), "bytes"),
        PolicyKind::Key => (32_768, text.len(), "bytes"),
        PolicyKind::Vault => return None,
    };
    (counted > limit).then_some((limit, counted, how))
}

/// A policy held in a JSON string: decode it (URL-encoding too) and read it. Findings
/// inside it are placed at the string in the outer text.
fn parse_embedded(text: &str, span: Span, src: &str, kind: PolicyKind) -> ParsedPolicy {
    let decoded;
    let inner: &str = if text.trim_start().starts_with('%') {
        match percent_decode(text) {
            Some(d) => {
                decoded = d;
                &decoded
            }
            None => {
                let f = Finding::new(
                    Severity::Error,
                    "invalid-encoding",
                    "policy string is not valid URL encoding",
                    "$",
                )
                .at(src, span)
                .fatal();
                return ParsedPolicy {
                    policy: None,
                    findings: vec![f],
                };
            }
        }
    } else {
        text
    };
    let mut parsed = parse_policy(inner, kind);
    for f in &mut parsed.findings {
        let (line, column) = (f.line, f.column);
        *f = f.clone().at(src, span);
        f.message = match (line, column) {
            (Some(l), Some(c)) => format!(
                "{} (line {l}, column {c} of the policy held in this string)",
                f.message
            ),
            _ => format!("{} (in the policy held in this string)", f.message),
        };
    }
    parsed
}

/// Decodes `%XX` escapes and `+` (as IAM's URL-encoded policy documents use them).
pub fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        out.push(match b {
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?
            }
            b'+' => b' ',
            c => c,
        });
    }
    String::from_utf8(out).ok()
}

/// A statement's members, gathered in one pass (the hot path of parsing).
#[derive(Default)]
struct Fields<'j> {
    span: Span,
    slots: [Option<&'j Json<'j>>; 10],
}

impl<'j> Fields<'j> {
    fn slot(name: &str) -> Option<usize> {
        Some(match name {
            "Sid" => 0,
            "Effect" => 1,
            "Principal" => 2,
            "NotPrincipal" => 3,
            "Action" => 4,
            "NotAction" => 5,
            "Resource" => 6,
            "NotResource" => 7,
            "Condition" => 8,
            "Id" => 9,
            _ => return None,
        })
    }

    fn get(&self, name: &str) -> Option<&'j Json<'j>> {
        Self::slot(name).and_then(|i| self.slots.get(i).copied().flatten())
    }
}

/// An element found in a statement: its name, whether it is the `Not` form, its value.
type Found<'j> = (&'static str, bool, &'j Json<'j>);

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

struct Reader<'s, 'j> {
    kind: PolicyKind,
    findings: Vec<Finding>,
    path: Vec<Seg<'j>>,
    substitute: bool,
    /// Locates findings in time linear in the text.
    locator: json::Locator<'s>,
    /// Findings past [`MAX_FINDINGS`]: counted, not kept.
    dropped: usize,
    dropped_fatal: bool,
    /// Where a dropped finding is written.
    scratch: Finding,
}

/// Findings kept per policy: enough to fix any real one, and the cost of a hostile one
/// stays linear in its size.
pub const MAX_FINDINGS: usize = 200;

const TOP_KEYS: [&str; 3] = ["Version", "Id", "Statement"];
const STATEMENT_KEYS: [&str; 10] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Id",
];

impl<'s, 'j> Reader<'s, 'j> {
    fn path_string(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.path {
            match seg {
                Seg::Key(k) if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                    s.push('.');
                    s.push_str(k);
                }
                Seg::Key(k) => s.push_str(&format!(
                    "[{}]",
                    serde_json::Value::String((*k).to_string())
                )),
                Seg::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }

    fn report(
        &mut self,
        severity: Severity,
        code: &'static str,
        message: String,
        span: Span,
        help: Option<String>,
    ) -> &mut Finding {
        if self.findings.len() >= MAX_FINDINGS {
            self.dropped = self.dropped.saturating_add(1);
            self.scratch.fatal = false;
            return &mut self.scratch;
        }
        let mut f = Finding::new(severity, code, message, self.path_string());
        let (line, column) = self.locator.locate(span.start as usize);
        f.line = Some(line);
        f.column = Some(column);
        f.help = help;
        self.findings.push(f);
        // Just pushed, so `last_mut` is `Some`; the sink keeps this free of a panic path.
        self.findings.last_mut().unwrap_or(&mut self.scratch)
    }

    /// Like `report`, for closures that must return `()`.
    fn fatal(&mut self, code: &'static str, message: String, span: Span, help: Option<String>) {
        if self.findings.len() >= MAX_FINDINGS {
            self.dropped_fatal = true;
        }
        self.report(Severity::Error, code, message, span, help)
            .fatal = true;
    }

    /// Runs `f` at the array item `index`, if the value was an array.
    fn with_item<T>(&mut self, index: Option<usize>, f: impl FnOnce(&mut Self) -> T) -> T {
        match index {
            Some(i) => self.with(Seg::Index(i), f),
            None => f(self),
        }
    }

    fn with<T>(&mut self, seg: Seg<'j>, f: impl FnOnce(&mut Self) -> T) -> T {
        self.path.push(seg);
        let r = f(self);
        self.path.pop();
        r
    }

    /// Reports duplicate and unknown keys of an object.
    fn check_keys(&mut self, members: &'j [Member<'j>], known: &[&str], what: &str) {
        let mut seen = std::collections::HashSet::with_capacity(members.len());
        for m in members {
            if !seen.insert(m.key) {
                self.duplicate_key(m, what);
            } else if !known.contains(&m.key) {
                self.unknown_key(m, known, what);
            }
        }
    }

    fn duplicate_key(&mut self, m: &Member<'_>, what: &str) {
        self.fatal(
            "duplicate-key",
            format!("`{}` appears more than once in the {what}", m.key),
            m.key_span,
            Some("keep one; JSON readers disagree on which duplicate wins".into()),
        );
    }

    fn unknown_key(&mut self, m: &Member<'_>, known: &[&str], what: &str) {
        let hint = known
            .iter()
            .map(|k| {
                (
                    edit_distance(&k.to_ascii_lowercase(), &m.key.to_ascii_lowercase()),
                    *k,
                )
            })
            .filter(|(d, _)| *d <= 2)
            .min()
            .map_or_else(
                || format!("the {what} elements are {}", known.join(", ")),
                |(_, k)| format!("did you mean `{k}`? element names are case-sensitive"),
            );
        self.fatal(
            "unknown-element",
            format!("unknown element `{}` in the {what}", m.key),
            m.key_span,
            Some(hint),
        );
    }

    fn policy(&mut self, j: &'j Json<'j>) -> Option<Policy> {
        let Some(members) = j.as_object() else {
            self.fatal(
                "invalid-type",
                format!("a policy must be a JSON object, not {}", j.kind()),
                j.span,
                None,
            );
            return None;
        };
        self.check_keys(members, &TOP_KEYS, "policy");
        let version = match j.get("Version") {
            None => {
                self.report(
                    Severity::Warning,
                    "missing-version",
                    "the policy has no `Version`, so AWS reads it as 2008-10-17, where policy variables are not substituted".into(),
                    j.span,
                    Some("add `\"Version\": \"2012-10-17\"`".into()),
                );
                None
            }
            Some(v) => self.with(Seg::Key("Version"), |r| match v.as_str() {
                Some("2012-10-17") => Some(Version::V2012_10_17),
                Some("2008-10-17") => Some(Version::V2008_10_17),
                _ => {
                    r.fatal(
                        "invalid-version",
                        format!(
                            "`Version` must be `2012-10-17` or `2008-10-17`, not {}",
                            show(v)
                        ),
                        v.span,
                        Some("use `2012-10-17`".into()),
                    );
                    None
                }
            }),
        };
        self.substitute = version == Some(Version::V2012_10_17);
        let id = j
            .get("Id")
            .and_then(|v| self.with(Seg::Key("Id"), |r| r.string(v, "`Id`")));
        let statements = match j.get("Statement") {
            None => {
                self.fatal(
                    "missing-element",
                    "the policy has no `Statement`".into(),
                    j.span,
                    None,
                );
                Vec::new()
            }
            Some(s) => self.with(Seg::Key("Statement"), |r| r.statements(s)),
        };
        Some(Policy {
            version,
            id,
            statements,
        })
    }

    fn statements(&mut self, j: &'j Json<'j>) -> Vec<Statement> {
        let items: Vec<(Option<usize>, &'j Json<'j>)> = match &j.value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, s)| (Some(i), s))
                .collect(),
            Value::Object(_) => vec![(None, j)],
            _ => {
                self.fatal(
                    "invalid-type",
                    format!(
                        "`Statement` must be an object or an array, not {}",
                        j.kind()
                    ),
                    j.span,
                    None,
                );
                return Vec::new();
            }
        };
        if items.is_empty() {
            self.report(
                Severity::Error,
                "empty-policy",
                "`Statement` is empty: the policy grants nothing".into(),
                j.span,
                None,
            );
        }
        let mut out = Vec::with_capacity(items.len());
        let mut sids: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (i, s) in items {
            let st = match i {
                Some(i) => self.with(Seg::Index(i), |r| r.statement(s)),
                None => self.statement(s),
            };
            let Some(st) = st else { continue };
            if let (Some(sid_json), Some(i)) = (s.get("Sid"), i) {
                if let Some(sid) = sid_json.as_str() {
                    if !sids.insert(sid) {
                        self.with(Seg::Index(i), |r| {
                            r.with(Seg::Key("Sid"), |r| {
                                r.report(
                                    Severity::Error,
                                    "duplicate-sid",
                                    format!("`Sid` `{sid}` is used by more than one statement"),
                                    sid_json.span,
                                    Some("give each statement its own `Sid`".into()),
                                );
                            })
                        });
                    }
                }
            }
            out.push(st);
        }
        out
    }

    fn statement(&mut self, j: &'j Json<'j>) -> Option<Statement> {
        let Some(members) = j.as_object() else {
            self.fatal(
                "invalid-type",
                format!("a statement must be an object, not {}", j.kind()),
                j.span,
                None,
            );
            return None;
        };
        let mut fields = Fields {
            span: j.span,
            ..Fields::default()
        };
        for m in members {
            match Fields::slot(m.key).and_then(|i| fields.slots.get_mut(i)) {
                Some(Some(_)) => self.duplicate_key(m, "statement"),
                Some(slot) => *slot = Some(&m.value),
                None => self.unknown_key(m, &STATEMENT_KEYS, "statement"),
            }
        }
        let j = &fields;
        let sid = j
            .get("Sid")
            .and_then(|v| self.with(Seg::Key("Sid"), |r| r.string(v, "`Sid`")));
        let effect = match j.get("Effect") {
            None => {
                self.fatal(
                    "missing-element",
                    "the statement has no `Effect`".into(),
                    j.span,
                    Some("add `\"Effect\": \"Allow\"` or `\"Deny\"`".into()),
                );
                None
            }
            Some(e) => self.with(Seg::Key("Effect"), |r| match e.as_str() {
                Some("Allow") => Some(Effect::Allow),
                Some("Deny") => Some(Effect::Deny),
                _ => {
                    r.fatal(
                        "invalid-effect",
                        format!("`Effect` must be `Allow` or `Deny`, not {}", show(e)),
                        e.span,
                        Some("the value is case-sensitive".into()),
                    );
                    None
                }
            }),
        };
        let principal = self.principal(j, effect);
        let action = self.action(j);
        let resource = self.resource(j, effect);
        if self.kind == PolicyKind::Rcp {
            self.rcp_rules(j, effect, principal.as_ref(), action.as_ref());
        }
        let conditions = match j.get("Condition") {
            None => Vec::new(),
            Some(c) => self.with(Seg::Key("Condition"), |r| r.conditions(c)),
        };
        Some(Statement {
            sid,
            effect: effect?,
            principal,
            action: action?,
            resource,
            conditions,
        })
    }

    /// What AWS Organizations accepts in an RCP ("RCP syntax"): `Allow` only in the managed
    /// `RCPFullAWSAccess`, `Principal` only `"*"`, no `NotAction`, and no `"*"` alone in `Action`.
    fn rcp_rules(
        &mut self,
        j: &Fields<'j>,
        effect: Option<Effect>,
        principal: Option<&PrincipalElement>,
        action: Option<&ActionElement>,
    ) {
        const HELP: &str = "see \"RCP syntax\" in the AWS Organizations User Guide";
        if let (Some(Effect::Allow), Some(e)) = (effect, j.get("Effect")) {
            self.with(Seg::Key("Effect"), |r| {
                r.report(Severity::Error, "rcp-allow", "an RCP supports `Allow` only in the AWS-managed `RCPFullAWSAccess`, which is always attached".into(), e.span, Some(HELP.into()));
            });
        }
        if let Some(p) = principal {
            if p.negated || p.entries != [PrincipalEntry::Everyone] {
                let key = if p.negated {
                    "NotPrincipal"
                } else {
                    "Principal"
                };
                if let Some(v) = j.get(key) {
                    self.with(Seg::Key(key), |r| {
                        r.report(Severity::Error, "rcp-principal", "an RCP statement must have `\"Principal\": \"*\"`; use conditions such as `aws:PrincipalOrgID` to narrow it".into(), v.span, Some(HELP.into()));
                    });
                }
            }
        }
        if let Some(v) = j.get("NotAction") {
            self.with(Seg::Key("NotAction"), |r| {
                r.report(
                    Severity::Error,
                    "rcp-notaction",
                    "an RCP cannot use `NotAction`: list the actions in `Action`".into(),
                    v.span,
                    Some(HELP.into()),
                );
            });
        }
        if let (Some(a), Some(v)) = (action, j.get("Action")) {
            if !a.negated && a.patterns.contains(&Glob::Any) {
                self.with(Seg::Key("Action"), |r| {
                    r.report(Severity::Error, "rcp-action-wildcard", "an RCP cannot use `*` alone in `Action`: name the service, for example `s3:*`".into(), v.span, Some(HELP.into()));
                });
            }
        }
    }

    /// Which of an element and its `Not` form the statement has. Both at once is reported
    /// (and gives `Err`); neither gives `Ok(None)`.
    fn either(
        &mut self,
        j: &Fields<'j>,
        pos: &'static str,
        neg: &'static str,
    ) -> Result<Option<Found<'j>>, ()> {
        match (j.get(pos), j.get(neg)) {
            (Some(_), Some(n)) => {
                self.with(Seg::Key(neg), |r| {
                    r.fatal(
                        "conflicting-elements",
                        format!("a statement cannot have both `{pos}` and `{neg}`"),
                        n.span,
                        None,
                    )
                });
                Err(())
            }
            (Some(v), None) => Ok(Some((pos, false, v))),
            (None, Some(v)) => Ok(Some((neg, true, v))),
            (None, None) => Ok(None),
        }
    }

    fn principal(&mut self, j: &Fields<'j>, effect: Option<Effect>) -> Option<PrincipalElement> {
        let (key, negated, value) = match self.either(j, "Principal", "NotPrincipal") {
            Err(()) => return None,
            Ok(Some(found)) => found,
            Ok(None) => {
                if self.kind.has_principal() {
                    self.fatal(
                        "missing-principal",
                        format!(
                            "a statement in {} must name a `Principal`",
                            self.kind.with_article()
                        ),
                        j.span,
                        Some(
                            "add `\"Principal\": {\"AWS\": \"arn:aws:iam::ACCOUNT:role/NAME\"}`"
                                .into(),
                        ),
                    );
                }
                return None;
            }
        };
        self.with(Seg::Key(key), |r| {
            if !r.kind.has_principal() {
                r.fatal(
                    "principal-not-allowed",
                    format!("{} cannot have `{key}`: it applies to the principal it is attached to", r.kind.with_article()),
                    value.span,
                    Some(format!("remove `{key}`, or validate the document as a resource policy")),
                );
                return None;
            }
            // "You cannot use the NotPrincipal element in an IAM role trust policy" (IAM
            // User Guide, NotPrincipal element): IAM rejects it.
            if negated && r.kind == PolicyKind::Trust {
                r.fatal(
                    "notprincipal-in-trust-policy",
                    "a trust policy cannot use `NotPrincipal`: IAM rejects it".into(),
                    value.span,
                    Some("name the principals that may assume the role in `Principal`".into()),
                );
                return None;
            }
            if negated && effect == Some(Effect::Allow) {
                r.report(
                    Severity::Error,
                    "notprincipal-with-allow",
                    "`NotPrincipal` with `Allow` grants access to everyone not listed, including anonymous users".into(),
                    value.span,
                    Some("use `Principal` with the principals to allow".into()),
                );
            }
            r.principal_value(value, negated)
        })
    }

    fn principal_value(&mut self, value: &'j Json<'j>, negated: bool) -> Option<PrincipalElement> {
        if value.as_str() == Some("*") {
            return Some(PrincipalElement {
                negated,
                entries: vec![PrincipalEntry::Everyone],
                raw: PrincipalRaw::Star,
            });
        }
        let Some(members) = value.as_object() else {
            self.fatal(
                "invalid-principal",
                format!(
                    "`Principal` must be `\"*\"` or an object such as `{{\"AWS\": ...}}`, not {}",
                    show(value)
                ),
                value.span,
                None,
            );
            return None;
        };
        self.check_keys(
            members,
            &["AWS", "Service", "Federated", "CanonicalUser"],
            "principal",
        );
        let mut entries = Vec::new();
        let mut raw = Vec::new();
        for m in members {
            let values = self.with(Seg::Key(m.key), |r| r.string_list(&m.value, "principal"));
            for (v, span, item) in values.iter() {
                let entry = match m.key {
                    "AWS" => PrincipalEntry::aws(v),
                    "Service" if v.contains('*') => PrincipalEntry::Unmatchable(v.to_string()),
                    "Service" => PrincipalEntry::Service(v.to_ascii_lowercase()),
                    "Federated" => PrincipalEntry::Federated(v.to_string()),
                    "CanonicalUser" => PrincipalEntry::CanonicalUser(v.to_string()),
                    _ => continue,
                };
                if let PrincipalEntry::Unmatchable(v) = &entry {
                    let seg = item.map(Seg::Index);
                    self.with(Seg::Key(m.key), |r| {
                        if let Some(seg) = seg {
                            r.path.push(seg);
                        }
                        if v.contains('*') || v.contains('?') {
                            r.report(
                                Severity::Error,
                                "principal-wildcard",
                                format!("`{v}` has a wildcard inside a principal: AWS does not match wildcards there, so it names nobody"),
                                *span,
                                Some(if negated {
                                    "in a Deny, replace `NotPrincipal` with `Principal: \"*\"` and a condition `ArnNotLike` on `aws:PrincipalArn` listing the ARNs to exempt".into()
                                } else {
                                    "use `\"*\"` with a condition `ArnLike` on `aws:PrincipalArn`".into()
                                }),
                            );
                        } else {
                            r.report(Severity::Error, "invalid-principal", format!("`{v}` is not an account id or an IAM or STS principal ARN"), *span, None);
                        }
                        if seg.is_some() {
                            r.path.pop();
                        }
                    });
                }
                entries.push(entry);
            }
            raw.push((
                m.key.to_string(),
                values.into_iter().map(|(v, _, _)| v.to_string()).collect(),
            ));
        }
        Some(PrincipalElement {
            negated,
            entries,
            raw: PrincipalRaw::Map(raw),
        })
    }

    fn action(&mut self, j: &Fields<'j>) -> Option<ActionElement> {
        let (key, negated, value) = match self.either(j, "Action", "NotAction") {
            Err(()) => return None,
            Ok(Some(found)) => found,
            Ok(None) => {
                self.fatal(
                    "missing-element",
                    "the statement has no `Action` or `NotAction`".into(),
                    j.span,
                    None,
                );
                return None;
            }
        };
        self.with(Seg::Key(key), |r| {
            let values = r.string_list(value, "action");
            let mut patterns = Vec::with_capacity(values.len());
            for (v, span, item) in &values {
                // IAM rejects such a policy ("Actions/Conditions must be prefaced by a
                // vendor"), so the engine does not evaluate it either.
                if *v != "*" && !valid_action(v) {
                    r.with_item(*item, |r| r.fatal(
                        "invalid-action",
                        format!("`{v}` is not an action: write `service:Action`, for example `s3:GetObject`"),
                        *span,
                        None,
                    ));
                }
                patterns.push(Glob::new(v));
            }
            Some(ActionElement { negated, patterns })
        })
    }

    fn resource(&mut self, j: &Fields<'j>, effect: Option<Effect>) -> Option<ResourceElement> {
        let (key, negated, value) = match self.either(j, "Resource", "NotResource") {
            Err(()) => return None,
            Ok(Some(found)) => found,
            Ok(None) => {
                if self.kind != PolicyKind::Trust {
                    self.fatal(
                        "missing-element",
                        "the statement has no `Resource` or `NotResource`".into(),
                        j.span,
                        Some("add `\"Resource\": \"*\"` or the ARNs the statement covers".into()),
                    );
                }
                return None;
            }
        };
        self.with(Seg::Key(key), |r| {
            if r.kind == PolicyKind::Trust {
                r.report(Severity::Error, "resource-not-allowed", format!("a trust policy cannot have `{key}`"), value.span, Some(format!("remove `{key}`")));
            }
            if negated && effect == Some(Effect::Allow) {
                r.report(
                    Severity::SecurityWarning,
                    "allow-with-notresource",
                    "`NotResource` with `Allow` grants the actions on every resource not listed, including ones created later".into(),
                    value.span,
                    Some("list the resources to allow in `Resource` instead".into()),
                );
            }
            let values = r.string_list(value, "resource");
            let mut patterns = Vec::with_capacity(values.len());
            for (v, span, item) in &values {
                // IAM rejects a policy with such a resource, so the engine does not
                // evaluate it either (IAM User Guide, Resource element: "specify a resource
                // using its ARN", or `*`).
                if *v != "*" && !v.starts_with("arn:") {
                    r.with_item(*item, |r| r.fatal("invalid-resource", format!("`{v}` is not `*` or an ARN"), *span, Some("write the resource as `arn:partition:service:region:account:resource`".into())));
                }
                match Template::new(v, r.substitute, true) {
                    Ok(t) => {
                        if !r.substitute && v.contains("${") {
                            r.with_item(*item, |r| r.variables_not_substituted(*span));
                        }
                        patterns.push(t)
                    }
                    Err(e) => r.with_item(*item, |r| r.fatal("invalid-variable", e.message, *span, None)),
                }
            }
            Some(ResourceElement { negated, patterns })
        })
    }

    fn variables_not_substituted(&mut self, span: Span) {
        self.report(
            Severity::Warning,
            "variables-not-substituted",
            "this value holds `${...}`, but the policy's version is not 2012-10-17, so it is read literally".into(),
            span,
            Some("set `\"Version\": \"2012-10-17\"`".into()),
        );
    }

    fn conditions(&mut self, j: &'j Json<'j>) -> Vec<Condition> {
        let Some(ops) = j.as_object() else {
            self.fatal(
                "invalid-type",
                format!("`Condition` must be an object, not {}", j.kind()),
                j.span,
                None,
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen_ops = std::collections::HashSet::with_capacity(ops.len());
        for op_member in ops {
            if !seen_ops.insert(op_member.key) {
                self.fatal(
                    "duplicate-key",
                    format!(
                        "condition operator `{}` appears more than once",
                        op_member.key
                    ),
                    op_member.key_span,
                    Some("merge the two blocks into one".into()),
                );
                continue;
            }
            self.with(Seg::Key(op_member.key), |r| {
                let Some(operator) = Operator::parse(op_member.key) else {
                    let help = match Operator::suggest(op_member.key) {
                        Some(s) => format!("did you mean `{s}`? operator names are case-sensitive"),
                        None => "see the list of condition operators in the IAM User Guide".into(),
                    };
                    r.fatal(
                        "unknown-condition-operator",
                        format!("unknown condition operator `{}`", op_member.key),
                        op_member.key_span,
                        Some(help),
                    );
                    return;
                };
                let Some(keys) = op_member.value.as_object() else {
                    r.fatal(
                        "invalid-type",
                        format!(
                            "the `{}` block must be an object of condition keys, not {}",
                            op_member.key,
                            op_member.value.kind()
                        ),
                        op_member.value.span,
                        None,
                    );
                    return;
                };
                let mut seen_keys = std::collections::HashSet::with_capacity(keys.len());
                for key_member in keys {
                    if !seen_keys.insert(key_member.key.to_ascii_lowercase()) {
                        r.fatal(
                            "duplicate-key",
                            format!(
                                "condition key `{}` appears more than once under `{}`",
                                key_member.key, op_member.key
                            ),
                            key_member.key_span,
                            Some("put all values in one array".into()),
                        );
                        continue;
                    }
                    if let Some(c) = r.with(Seg::Key(key_member.key), |r| {
                        r.condition(operator, key_member)
                    }) {
                        out.push(c);
                    }
                }
            });
        }
        out
    }

    fn condition(&mut self, operator: Operator, m: &'j Member<'j>) -> Option<Condition> {
        let raw = self.scalar_list(&m.value);
        if raw.is_empty() {
            self.fatal(
                "invalid-condition-value",
                format!("condition key `{}` has no values", m.key),
                m.value.span,
                None,
            );
            return None;
        }
        let mut values = Vec::with_capacity(raw.len());
        let mut ok = true;
        for (v, span, item) in &raw {
            match parse_value(operator.kind, v, self.substitute) {
                Ok(cv) => values.push(cv),
                Err(msg) => {
                    ok = false;
                    self.with_item(*item, |r| {
                        r.fatal(
                            "invalid-condition-value",
                            format!("{msg} (for `{}`)", operator.name()),
                            *span,
                            None,
                        )
                    });
                }
            }
            if !self.substitute
                && v.contains("${")
                && operator.kind.value_type() == crate::condition::ValueType::String
            {
                self.with_item(*item, |r| r.variables_not_substituted(*span));
            }
        }
        if m.key.is_empty() {
            self.fatal(
                "invalid-condition-key",
                "condition key name is empty".into(),
                m.key_span,
                None,
            );
            return None;
        }
        ok.then(|| Condition {
            operator,
            key: m.key.to_string(),
            raw_values: if values.iter().all(|v| v.text().is_some()) {
                None
            } else {
                Some(raw.into_iter().map(|(v, _, _)| v.to_string()).collect())
            },
            values,
        })
    }

    fn string(&mut self, j: &Json<'_>, what: &str) -> Option<String> {
        match j.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.fatal(
                    "invalid-type",
                    format!("{what} must be a string, not {}", j.kind()),
                    j.span,
                    None,
                );
                None
            }
        }
    }

    /// A string or an array of strings.
    fn string_list(&mut self, j: &'j Json<'j>, what: &str) -> Vec<(&'j str, Span, Option<usize>)> {
        match &j.value {
            Value::String(s) => vec![(s, j.span, None)],
            Value::Array(items) => {
                if items.is_empty() {
                    self.fatal(
                        "invalid-type",
                        format!("the {what} list is empty"),
                        j.span,
                        None,
                    );
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    match it.as_str() {
                        Some(s) => out.push((s, it.span, Some(i))),
                        None => self.with(Seg::Index(i), |r| {
                            r.fatal(
                                "invalid-type",
                                format!("each {what} must be a string, not {}", it.kind()),
                                it.span,
                                None,
                            )
                        }),
                    }
                }
                out
            }
            _ => {
                self.fatal(
                    "invalid-type",
                    format!(
                        "the {what} must be a string or an array of strings, not {}",
                        j.kind()
                    ),
                    j.span,
                    None,
                );
                Vec::new()
            }
        }
    }

    /// Condition values: strings, numbers or booleans, alone or in an array.
    fn scalar_list(&mut self, j: &'j Json<'j>) -> Vec<(&'j str, Span, Option<usize>)> {
        let one = |r: &mut Self,
                   v: &'j Json<'j>,
                   i: Option<usize>|
         -> Option<(&'j str, Span, Option<usize>)> {
            match &v.value {
                Value::String(s) => Some((s, v.span, i)),
                Value::Number(n) => Some((n, v.span, i)),
                Value::Bool(b) => Some((if *b { "true" } else { "false" }, v.span, i)),
                _ => {
                    r.fatal(
                        "invalid-type",
                        format!(
                            "a condition value must be a string, number or boolean, not {}",
                            v.kind()
                        ),
                        v.span,
                        None,
                    );
                    None
                }
            }
        };
        match &j.value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, it)| self.with(Seg::Index(i), |r| one(r, it, Some(i))))
                .collect(),
            _ => one(self, j, None).into_iter().collect(),
        }
    }
}

fn show(j: &Json<'_>) -> String {
    match j.as_str() {
        Some(s) => format!("`{s}`"),
        None => j.kind().to_string(),
    }
}

/// `service:action`, where the service prefix is lowercase letters, digits and `-`.
fn valid_action(a: &str) -> bool {
    match a.split_once(':') {
        Some((svc, act)) => {
            !svc.is_empty()
                && svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !act.is_empty()
                && act.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || b == b'*' || b == b'?' || b == b'-' || b == b'_'
                })
        }
        None => false,
    }
}
