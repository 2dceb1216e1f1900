//! Reading a policy document into a [`Policy`], collecting every problem at once.
//!
//! Each finding is one of the checks of [`crate::diagnostic::checks`], named as IAM Access
//! Analyzer names it and with its severity. A finding is fatal (the policy is not
//! evaluated) only where IAM itself refuses to store the document; everything IAM stores
//! is read with the meaning AWS gives it (a condition that cannot match does not match).
//! The reader is split by what it reads: statements and their elements (`statement.rs`),
//! principals (`principal.rs`) and conditions (`condition.rs`).

use crate::diagnostic::checks::{self, Check};
use crate::diagnostic::{Finding, Severity};
use crate::edit_distance;
use crate::json::{self, Json, Member, Span, Value};

use super::{Policy, PolicyKind, Version};

mod condition;
mod principal;
pub use principal::valid_service_principal;
mod statement;
#[cfg(test)]
mod tests;

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
    Finding::of(
        &checks::JSON_SYNTAX_ERROR,
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
    if let Some((check, limit, counted, how)) = size_limit(kind, text) {
        let (line, column) = r.locator.locate(j.span.start as usize);
        let mut f = Finding::of(
            check,
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
        let mut f = Finding::of(
            &checks::TOO_MANY_FINDINGS,
            format!(
                "{} more findings are not listed (only the first {MAX_FINDINGS} are)",
                r.dropped
            ),
            "$",
        );
        if r.dropped_fatal {
            // A finding not listed makes the policy unreadable: say so at its severity.
            f.severity = Severity::Error;
            f.fatal = true;
        }
        r.findings.push(f);
    }
    let fatal = r.findings.iter().any(|f| f.fatal);
    ParsedPolicy {
        policy: if fatal { None } else { policy },
        findings: r.findings,
    }
}

/// AWS's size limit for a policy of `kind`, when `text` exceeds it: (check, limit, size,
/// unit). IAM counts characters without white space ("IAM and AWS STS quotas", IAM User
/// Guide: managed policies 6,144; a role's inline policies 10,240 together; role trust
/// policies 2,048, up to 4,096 on request; session policies 2,048); AWS Organizations
/// counts every character of an SCP or RCP (5,120; "Quotas for AWS Organizations"); S3
/// bucket policies are at most 20 KB and KMS key policies 32 KB. Vault access policies
/// have no documented limit here and are not checked.
fn size_limit(
    kind: PolicyKind,
    text: &str,
) -> Option<(&'static Check, usize, usize, &'static str)> {
    let packed = || packed_len(text);
    const PACKED: &str = "characters without white space";
    let identity = &checks::POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA;
    let (check, limit, counted, how) = match kind {
        PolicyKind::Identity => (identity, 10_240, packed(), PACKED),
        PolicyKind::Boundary => (identity, 6_144, packed(), PACKED),
        PolicyKind::Session => (identity, 2_048, packed(), PACKED),
        PolicyKind::Trust => (
            &checks::POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA,
            4_096,
            packed(),
            PACKED,
        ),
        PolicyKind::Scp | PolicyKind::Rcp => (
            &checks::POLICY_SIZE_EXCEEDS_SCP_QUOTA,
            5_120,
            char_count(text),
            "characters",
        ),
        PolicyKind::Resource => (
            &checks::POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA,
            20_480,
            text.len(),
            "bytes",
        ),
        PolicyKind::Key => (
            &checks::POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA,
            32_768,
            text.len(),
            "bytes",
        ),
        PolicyKind::Vault => return None,
    };
    (counted > limit).then_some((check, limit, counted, how))
}

/// The characters of `text` that are not white space (`char::is_whitespace`), counted a
/// byte at a time where the text is ASCII: this runs on every policy read.
pub(crate) fn packed_len(text: &str) -> usize {
    if text.is_ascii() {
        // The ASCII characters `char::is_whitespace` holds: tab, line feed, vertical tab,
        // form feed, carriage return and space.
        // (Tab to carriage return are 9 to 13. Summed without a branch and without the
        // overflow check `sum` has in this build, which the compiler then vectorizes;
        // the count is at most the length, so it cannot wrap.)
        let space = text.bytes().fold(0usize, |n, b| {
            n.wrapping_add(usize::from(b == b' ' || b.wrapping_sub(b'\t') < 5))
        });
        text.len().saturating_sub(space)
    } else {
        text.chars().filter(|c| !c.is_whitespace()).count()
    }
}

/// The characters of `text` (its length in bytes when it is ASCII).
fn char_count(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
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
                let f = Finding::of(
                    &checks::INVALID_ENCODING,
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

/// The names seen so far among an object's members, each with its first spelling: a
/// scan over the few that a policy's objects have, a hash map past that (a hostile
/// document's thousands of keys stay linear).
#[derive(Default)]
struct Seen<'j> {
    few: Vec<&'j str>,
    /// Keyed by the name lowercased when names are compared ignoring case, as written
    /// otherwise.
    many: Option<std::collections::HashMap<std::borrow::Cow<'j, str>, &'j str>>,
}

/// Past this many names a scan costs more than hashing.
const SEEN_SCAN: usize = 16;

impl<'j> Seen<'j> {
    /// The first spelling of `name` seen before (`None` the first time, when it is
    /// recorded). With `ignore_case` names are compared ignoring ASCII case.
    fn first(&mut self, name: &'j str, ignore_case: bool) -> Option<&'j str> {
        let key = |n: &'j str| -> std::borrow::Cow<'j, str> {
            if ignore_case {
                n.to_ascii_lowercase().into()
            } else {
                n.into()
            }
        };
        if let Some(map) = &mut self.many {
            return match map.entry(key(name)) {
                std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(name);
                    None
                }
            };
        }
        let same = |seen: &&str| {
            if ignore_case {
                seen.eq_ignore_ascii_case(name)
            } else {
                *seen == name
            }
        };
        if let Some(first) = self.few.iter().find(|s| same(s)) {
            return Some(first);
        }
        self.few.push(name);
        if self.few.len() > SEEN_SCAN {
            self.many = Some(self.few.drain(..).map(|n| (key(n), n)).collect());
        }
        None
    }
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A string of a list, with where it is: its span and its index in the array (`None`
/// when the value was a lone string).
type Item<'j> = (&'j str, Span, Option<usize>);

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

impl<'j> Reader<'_, 'j> {
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

    /// Reports a finding of `check` at `span` (nothing when the check does not apply to
    /// the policy's kind).
    fn report(
        &mut self,
        check: &'static Check,
        message: String,
        span: Span,
        help: Option<String>,
    ) -> &mut Finding {
        if !check.applies_to(self.kind) {
            self.scratch.fatal = false;
            return &mut self.scratch;
        }
        if self.findings.len() >= MAX_FINDINGS {
            self.dropped = self.dropped.saturating_add(1);
            self.scratch.fatal = false;
            return &mut self.scratch;
        }
        let mut f = Finding::of(check, message, self.path_string());
        let (line, column) = self.locator.locate(span.start as usize);
        f.line = Some(line);
        f.column = Some(column);
        f.help = help;
        self.findings.push(f);
        // Just pushed, so `last_mut` is `Some`; the sink keeps this free of a panic path.
        self.findings.last_mut().unwrap_or(&mut self.scratch)
    }

    /// Reports a finding that leaves the policy unreadable (IAM refuses to store it).
    fn fatal(&mut self, check: &'static Check, message: String, span: Span, help: Option<String>) {
        if self.findings.len() >= MAX_FINDINGS {
            self.dropped_fatal = true;
        }
        self.report(check, message, span, help).fatal = true;
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

    /// Reports duplicate and unknown keys of an object; `unknown` is the check for a key
    /// not in `known`.
    fn check_keys(
        &mut self,
        members: &'j [Member<'j>],
        known: &[&str],
        what: &str,
        unknown: &'static Check,
    ) {
        let mut seen = Seen::default();
        for m in members {
            if seen.first(m.key, false).is_some() {
                self.duplicate_key(m, what);
            } else if !known.contains(&m.key) {
                self.unknown_key(m, known, what, unknown);
            }
        }
    }

    fn duplicate_key(&mut self, m: &Member<'_>, what: &str) {
        self.fatal(
            &checks::DUPLICATE_KEY,
            format!("`{}` appears more than once in the {what}", m.key),
            m.key_span,
            Some("keep one; JSON readers disagree on which duplicate wins".into()),
        );
    }

    fn unknown_key(&mut self, m: &Member<'_>, known: &[&str], what: &str, check: &'static Check) {
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
            check,
            format!("unknown element `{}` in the {what}", m.key),
            m.key_span,
            Some(hint),
        );
    }

    fn policy(&mut self, j: &'j Json<'j>) -> Option<Policy> {
        let Some(members) = j.as_object() else {
            self.fatal(
                &checks::DATA_TYPE_MISMATCH,
                format!("a policy must be a JSON object, not {}", j.kind()),
                j.span,
                None,
            );
            return None;
        };
        self.check_keys(
            members,
            &TOP_KEYS,
            "policy",
            &checks::INVALID_POLICY_ELEMENT,
        );
        let version = match j.get("Version") {
            None => {
                self.report(
                    &checks::MISSING_VERSION,
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
                        &checks::INVALID_VERSION,
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
                    &checks::MISSING_STATEMENT,
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

    fn string(&mut self, j: &Json<'_>, what: &str) -> Option<String> {
        match j.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.fatal(
                    &checks::DATA_TYPE_MISMATCH,
                    format!("{what} must be a string, not {}", j.kind()),
                    j.span,
                    None,
                );
                None
            }
        }
    }

    /// A string or an array of strings. An empty array is reported as `empty` (it names
    /// nothing, which AWS accepts).
    fn string_list(&mut self, j: &'j Json<'j>, what: &str, empty: &'static Check) -> Vec<Item<'j>> {
        match &j.value {
            Value::String(s) => vec![(s, j.span, None)],
            Value::Array(items) => {
                if items.is_empty() {
                    self.report(
                        empty,
                        format!("the {what} list is empty, so it names nothing"),
                        j.span,
                        Some(format!("list the {what}s, or remove the statement")),
                    );
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    match it.as_str() {
                        Some(s) => out.push((s, it.span, Some(i))),
                        None => self.with(Seg::Index(i), |r| {
                            r.fatal(
                                &checks::DATA_TYPE_MISMATCH,
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
                    &checks::DATA_TYPE_MISMATCH,
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

    /// A value holding `${...}` under Version 2008-10-17 (or none), where AWS reads it
    /// literally.
    fn variables_not_substituted(&mut self, span: Span) {
        self.report(
            &checks::VARIABLE_UNSUPPORTED_IN_VERSION,
            "this value holds `${...}`, but the policy's version is not 2012-10-17, so it is read literally".into(),
            span,
            Some("set `\"Version\": \"2012-10-17\"`".into()),
        );
    }
}

fn show(j: &Json<'_>) -> String {
    match j.as_str() {
        Some(s) => format!("`{s}`"),
        None => j.kind().to_string(),
    }
}

/// The variable check a malformed `${...}` in `text` fails: a missing `}`, an empty name,
/// a space in the name or a default not in quotes.
fn variable_check(text: &str) -> &'static Check {
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = rest.get(i.saturating_add(2)..).unwrap_or_default();
        let Some(close) = after.find('}') else {
            return &checks::MISSING_BRACE_IN_VARIABLE;
        };
        let body = after.get(..close).unwrap_or_default();
        let (name, default) = match body.split_once(',') {
            Some((n, d)) => (n, Some(d.trim())),
            None => (body, None),
        };
        if name.trim().is_empty() {
            return &checks::EMPTY_VARIABLE;
        }
        if name.trim().contains(char::is_whitespace) {
            return &checks::UNSUPPORTED_SPACE_IN_VARIABLE;
        }
        if default.is_some_and(|d| !(d.len() >= 2 && d.starts_with('\'') && d.ends_with('\''))) {
            return &checks::MISSING_QUOTE_IN_VARIABLE;
        }
        rest = after.get(close..).unwrap_or_default();
    }
    &checks::MISSING_BRACE_IN_VARIABLE
}
