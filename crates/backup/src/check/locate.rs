//! Where a finding's deciding statement stands in the snapshot file, and its JSON: SARIF
//! regions (so that a code-scanning alert lands on the statement's line) and the HTML
//! report's policy snippets. The snapshot is read once with the engine's position-keeping
//! JSON reader; documents held as JSON strings (the IAM export's form) are located at the
//! string, since a line inside an escaped string is not a line of the file.

use serde_json::Value;
use vaultward_iam::json::{self, Arena, Json, Locator};

use super::contract::DocRef;
use super::Finding;

/// A deciding statement, located.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// 1-based line and column (in characters) of the statement in the snapshot file, or of
    /// its document when the document is a JSON string.
    pub line: usize,
    pub column: usize,
    /// The statement as JSON (the whole document when no statement decided).
    pub statement: Option<Value>,
}

/// Locates each finding's deciding document and statement in the snapshot's text; `None`
/// for a finding no document of the snapshot decided (the vendor's side, a session
/// policy) or a text that is not the snapshot's JSON.
pub fn locate(src: &str, findings: &[Finding]) -> Vec<Option<Located>> {
    let arena = Arena::new();
    let Ok(root) = json::parse(src, &arena) else {
        return vec![None; findings.len()];
    };
    let mut lines = Locator::new(src);
    findings
        .iter()
        .map(|f| {
            let d = f.decided_by.as_ref()?;
            let doc = document(&root, d.document.as_ref()?)?;
            Some(statement(doc, d.statement_index, &mut lines))
        })
        .collect()
}

fn statement(doc: &Json<'_>, index: Option<usize>, lines: &mut Locator<'_>) -> Located {
    let node = match (doc.get("Statement"), index) {
        (Some(st), Some(i)) => match st.value {
            json::Value::Array(items) => items.get(i).unwrap_or(st),
            _ => st,
        },
        _ => doc,
    };
    let (line, column) = lines.locate(node.span.start as usize);
    // A document held as a string: its statement from the parsed text.
    let statement = match doc.value {
        json::Value::String(_) => super::docs::json(&doc.to_serde()).map(|d| match index {
            Some(i) => match &d["Statement"] {
                Value::Array(items) => items.get(i).cloned().unwrap_or(Value::Null),
                other => other.clone(),
            },
            None => d,
        }),
        _ => Some(node.to_serde()),
    }
    .filter(|v| !v.is_null());
    Located {
        line,
        column,
        statement,
    }
}

/// The element of `list` whose member `key` is the string `want`.
fn find<'a>(list: Option<&'a Json<'a>>, key: &str, want: &str) -> Option<&'a Json<'a>> {
    match list?.value {
        json::Value::Array(items) => items
            .iter()
            .find(|e| e.get(key).and_then(Json::as_str) == Some(want)),
        _ => None,
    }
}

fn index<'a>(list: Option<&'a Json<'a>>, i: usize) -> Option<&'a Json<'a>> {
    match list?.value {
        json::Value::Array(items) => items.get(i),
        _ => None,
    }
}

/// The document a `DocRef` names, in the snapshot's layout (`docs/snapshot.md`).
fn document<'a>(root: &'a Json<'a>, doc: &DocRef) -> Option<&'a Json<'a>> {
    let iam = |list: &str| root.get("iam").and_then(|i| i.get(list));
    let d = match doc {
        DocRef::BucketPolicy { bucket } => find(root.get("buckets"), "name", bucket)?.get("policy"),
        DocRef::KeyPolicy { key } => find(root.get("kms_keys"), "arn", key)?.get("policy"),
        DocRef::VaultPolicy { vault } => {
            find(root.get("backup_vaults"), "arn", vault)?.get("access_policy")
        }
        DocRef::Scp {
            level, index: i, ..
        }
        | DocRef::Rcp {
            level, index: i, ..
        } => {
            let list = if matches!(doc, DocRef::Scp { .. }) {
                "scps"
            } else {
                "rcps"
            };
            let org = root.get("organization")?;
            let e = index(index(org.get(list), *level), *i)?;
            Some(e.get("document").unwrap_or(e))
        }
        DocRef::Boundary { policy } | DocRef::ManagedPolicy { policy } => {
            let p = find(iam("Policies"), "Arn", policy)?;
            match p.get("PolicyVersionList")?.value {
                json::Value::Array(vs) => vs
                    .iter()
                    .find(|v| {
                        matches!(
                            v.get("IsDefaultVersion").map(|b| b.value),
                            Some(json::Value::Bool(true))
                        )
                    })?
                    .get("Document"),
                _ => None,
            }
        }
        DocRef::InlinePolicy { role, name } => {
            let r = find(iam("RoleDetailList"), "Arn", role)?;
            find(r.get("RolePolicyList"), "PolicyName", name)?.get("PolicyDocument")
        }
        DocRef::OwnershipControls { bucket } => {
            find(root.get("buckets"), "name", bucket)?.get("ownership")
        }
        DocRef::ScpLevel { level } => index(root.get("organization")?.get("scps"), *level),
        DocRef::RoleIdentity { role } => find(iam("RoleDetailList"), "Arn", role),
        DocRef::Vendor => None,
    }?;
    Some(d)
}
