//! Reading the policy documents a snapshot holds, in every form AWS produces them: a JSON
//! object, a JSON string holding one, or a URL-encoded string (the IAM API's and the
//! SDKs' form of `get-account-authorization-details`). A document that cannot be read is
//! never taken as absent: the caller gets its parse errors and reports the pairs that
//! depend on it as unknown.

use serde::Serialize;
use serde_json::Value;
use vaultward_iam::policy::percent_decode;
use vaultward_iam::{parse_policy, NamedPolicy, PolicyKind, Severity};
use vaultward_snapshot::Collected;

/// One error of a document that cannot be read: the parser's code, message, JSON path and
/// position (line and column inside the document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocError {
    pub code: String,
    pub message: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl std::fmt::Display for DocError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}", self.message, self.path)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, " (line {l}, column {c})")?;
        }
        write!(f, " [{}]", self.code)
    }
}

/// A document that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// What it is, in words: "bucket policy of `b`".
    pub what: String,
    pub errors: Vec<DocError>,
}

impl Unreadable {
    pub fn new(what: impl Into<String>, message: impl Into<String>) -> Unreadable {
        Unreadable {
            what: what.into(),
            errors: vec![DocError {
                code: "unreadable".into(),
                message: message.into(),
                path: "$".into(),
                line: None,
                column: None,
            }],
        }
    }

    /// The reason, in words, for a finding.
    pub fn reason(&self) -> String {
        if self.errors.iter().all(|e| e.code == "not-collected") {
            let why: Vec<&str> = self.errors.iter().map(|e| e.message.as_str()).collect();
            return format!("the {} was not collected: {}", self.what, why.join("; "));
        }
        let errors: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        format!("the {} cannot be read: {}", self.what, errors.join("; "))
    }
}

/// The text of a document field: objects as JSON, strings decoded when URL-encoded.
fn text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => {
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                Ok(s.clone())
            } else if t.starts_with('%') {
                percent_decode(s).ok_or_else(|| "the string is not valid URL encoding".into())
            } else {
                Ok(s.clone())
            }
        }
        Value::Object(_) => Ok(v.to_string()),
        other => Err(format!(
            "a policy document is a JSON object or a string holding one, not {}",
            match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::Array(_) => "an array",
                _ => "this",
            }
        )),
    }
}

/// Reads one document as a policy of `kind`, named `name`; `what` describes it in errors.
pub fn read(
    v: &Value,
    name: &str,
    what: &str,
    kind: PolicyKind,
) -> Result<NamedPolicy, Unreadable> {
    read_noting(v, name, what, kind).map(|(p, _)| p)
}

/// [`read`], with the positions of the Deny statements whose `NotPrincipal` holds a
/// wildcard ARN (tolerated, see [`narrows_only`]): the check warns when one decides.
pub fn read_noting(
    v: &Value,
    name: &str,
    what: &str,
    kind: PolicyKind,
) -> Result<(NamedPolicy, Vec<usize>), Unreadable> {
    let src = text(v).map_err(|m| Unreadable::new(what, m))?;
    let parsed = parse_policy(&src, kind);
    let mut tolerated = Vec::new();
    let errors: Vec<_> = parsed
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        // A collected document AWS accepted (perhaps under a raised quota) means what it
        // says, whatever its size.
        .filter(|f| f.code != "policy-too-large")
        .filter(|f| match narrows_only(&src, f.code, &f.path) {
            Some(i) => {
                tolerated.push(i);
                false
            }
            None => true,
        })
        .collect();
    tolerated.sort_unstable();
    tolerated.dedup();
    match parsed.policy {
        Some(policy) if errors.is_empty() => Ok((
            NamedPolicy {
                name: name.to_string(),
                policy,
            },
            tolerated,
        )),
        _ => Err(Unreadable {
            what: what.to_string(),
            errors: errors
                .into_iter()
                .map(|f| DocError {
                    code: f.code.to_string(),
                    message: f.message.clone(),
                    path: f.path.clone(),
                    line: f.line,
                    column: f.column,
                })
                .collect(),
        }),
    }
}

/// Whether an error leaves the document a meaning that can only deny more than AWS would:
/// a wildcard ARN inside the `NotPrincipal` of a Deny names nobody to the engine, so the
/// Deny applies to every principal (IAM User Guide, "AWS JSON policy elements:
/// NotPrincipal": wildcards are not matched there). AWS refuses such a document when it is
/// written, so one found in a snapshot was hand-made (often from the troubleshooting
/// guide's advice); the check evaluates it and warns, never passes what it denies.
///
/// Returns the statement's position when the error is of that kind.
fn narrows_only(src: &str, code: &str, path: &str) -> Option<usize> {
    if code != "principal-wildcard" || !path.contains(".NotPrincipal") {
        return None;
    }
    let doc = serde_json::from_str::<Value>(src).ok()?;
    let statements = &doc["Statement"];
    let (index, statement) = match path
        .strip_prefix("$.Statement[")
        .and_then(|r| r.split(']').next())
        .and_then(|i| i.parse::<usize>().ok())
    {
        Some(i) => (i, &statements[i]),
        None if path.starts_with("$.Statement.") => (0, statements),
        None => return None,
    };
    (statement["Effect"] == "Deny").then_some(index)
}

/// Reads an SCP or RCP entry: a document, or `{"name": ..., "document": ...}`.
pub fn read_named(
    v: &Value,
    default_name: String,
    kind: PolicyKind,
) -> Result<NamedPolicy, Unreadable> {
    let (name, doc) = match (v.get("name"), v.get("document")) {
        (Some(Value::String(n)), Some(d)) => (n.clone(), d),
        _ => (default_name, v),
    };
    // AWS's own `FullAWSAccess` and `RCPFullAWSAccess` are read as AWS attaches them, in
    // whatever form the export gives them (an RCP may allow only as that one policy).
    let id = v.get("id").and_then(Value::as_str);
    let content = match doc {
        Value::Null => None,
        d => text(d).ok(),
    };
    if let Some(m) = vaultward_iam::managed::Managed::recognize(
        kind,
        id.or(Some(name.as_str())),
        content.as_deref(),
    ) {
        return Ok(NamedPolicy {
            name,
            policy: m.policy(),
        });
    }
    read(doc, &name, &format!("{} `{name}`", kind.describe()), kind)
}

/// A document as plain JSON (decoded), for code that inspects or patches it.
pub fn json(v: &Value) -> Option<Value> {
    match v {
        Value::String(_) => serde_json::from_str(&text(v).ok()?).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

/// What the check knows of a resource's policy.
pub(super) enum Doc {
    /// Collected: there is none.
    None,
    /// The policy, and the positions of its Deny statements whose `NotPrincipal` holds a
    /// wildcard ARN (AWS matches nobody there).
    Some(Box<NamedPolicy>, Vec<usize>),
    /// Not collected, or cannot be read.
    Unknown(Unreadable),
}

/// A resource policy of the snapshot: `Ok(None)` when there is none, `Err` when it was not
/// collected or cannot be read.
pub(crate) fn resource_policy(
    c: &Collected,
    name: &str,
    what: &str,
    kind: PolicyKind,
) -> Result<Option<NamedPolicy>, String> {
    match Doc::read(c, name, what, kind) {
        Doc::None => Ok(None),
        Doc::Some(p, _) => Ok(Some(*p)),
        Doc::Unknown(u) => Err(u.reason()),
    }
}

impl Doc {
    pub(super) fn read(c: &Collected, name: &str, what: &str, kind: PolicyKind) -> Doc {
        let missing = |m: String| {
            Doc::Unknown(Unreadable {
                what: what.to_string(),
                errors: vec![DocError {
                    code: "not-collected".into(),
                    message: m,
                    path: "$".into(),
                    line: None,
                    column: None,
                }],
            })
        };
        match c {
            Collected::Unknown => missing("not in the snapshot".into()),
            Collected::NotCollected { not_collected } => missing(not_collected.clone()),
            Collected::Document(Value::Null) => Doc::None,
            Collected::Document(v) => match read_noting(v, name, what, kind) {
                Ok((p, wild)) => Doc::Some(Box::new(p), wild),
                Err(e) => Doc::Unknown(e),
            },
        }
    }

    pub(super) fn policy(&self) -> Option<&NamedPolicy> {
        match self {
            Doc::Some(p, _) => Some(p),
            _ => None,
        }
    }

    pub(super) fn wild(&self) -> &[usize] {
        match self {
            Doc::Some(_, w) => w,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    /// The IAM API returns documents URL-encoded (RFC 3986): "GetAccountAuthorizationDetails",
    /// IAM API Reference (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).
    #[test]
    fn every_form_of_a_document_is_read() {
        let encoded = DOC
            .replace('%', "%25")
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
            .replace(':', "%3A")
            .replace(',', "%2C")
            .replace('[', "%5B")
            .replace(']', "%5D");
        for v in [
            serde_json::from_str::<Value>(DOC).unwrap_or_default(),
            Value::String(DOC.into()),
            Value::String(encoded),
        ] {
            let p = read(&v, "p", "inline policy `p`", PolicyKind::Identity);
            assert!(p.is_ok(), "{v}: {p:?}");
        }
    }

    #[test]
    fn a_broken_document_is_unreadable_with_located_errors() {
        let truncated = Value::String(DOC[..DOC.len() - 10].into());
        let e = read(
            &truncated,
            "b",
            "bucket policy of `b`",
            PolicyKind::Resource,
        )
        .err()
        .unwrap_or_else(|| Unreadable::new("x", "read"));
        assert_eq!(e.what, "bucket policy of `b`");
        assert!(e.errors.iter().all(|d| d.line.is_some()), "{e:?}");
        let dup = Value::String(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#.into(),
        );
        let e = read(&dup, "b", "bucket policy of `b`", PolicyKind::Resource);
        assert!(e.is_err(), "a duplicated key is an error: {e:?}");
        assert!(read(&Value::Bool(true), "b", "b", PolicyKind::Resource).is_err());
    }
}
