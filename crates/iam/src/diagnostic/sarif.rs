//! Findings as SARIF 2.1.0, as GitHub code scanning takes them: one rule per check of
//! [`checks::ALL`] (with its description, help and a link to its section of
//! `docs/codes.md`), one result per finding, located at its line and column.
//!
//! Source: "SARIF support for code scanning", GitHub Docs
//! (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).

use serde_json::{json, Value};

use super::checks::{self, Check};
use super::{Finding, Severity};

/// Where the findings were made: the file as SARIF names it.
#[derive(Debug, Clone)]
pub struct Artifact<'a> {
    /// The file's URI, relative to the run's working directory when `relative`.
    pub uri: &'a str,
    pub relative: bool,
}

/// `kebab-case` as `PascalCase` (a SARIF rule's `name`, which must differ from its `id`).
fn pascal_case(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// SARIF's level for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::SecurityWarning | Severity::Warning => "warning",
        Severity::Suggestion => "note",
    }
}

fn rule(c: &Check, docs: &str) -> Value {
    let source = c.source.url();
    let mut help = format!("{} Source: {source}", c.summary);
    let mut markdown = format!(
        "{}\n\nSource: [{}]({source}). [Documentation of `{}`]({docs}#{})",
        c.summary,
        if c.issue_code().is_some() {
            "IAM Access Analyzer's policy check reference"
        } else {
            "the rule's page"
        },
        c.id,
        c.id
    );
    if let Some(d) = c.differs {
        help.push_str(&format!(" Vaultward differs: {d}"));
        markdown.push_str(&format!("\n\n**Vaultward differs.** {d}"));
    }
    let mut tags = vec!["iam", "policy"];
    if c.severity == Severity::SecurityWarning {
        tags.push("security");
    }
    json!({
        "id": c.id,
        "name": pascal_case(c.id),
        "shortDescription": {"text": c.summary},
        "fullDescription": {"text": c.summary},
        "help": {"text": help, "markdown": markdown},
        "helpUri": format!("{docs}#{}", c.id),
        "defaultConfiguration": {"level": level(c.severity)},
        "properties": {"tags": tags, "severity": c.severity.as_str()}
    })
}

/// The SARIF log of `findings` about `artifact`; `docs` is the address of
/// `docs/codes.md`, where each rule's section is.
pub fn sarif(findings: &[Finding], artifact: &Artifact<'_>, docs: &str) -> Value {
    let rules: Vec<Value> = checks::ALL.iter().map(|c| rule(c, docs)).collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let id = f.check.map_or(f.code, |c| c.id);
            let mut location = json!({"uri": artifact.uri});
            if artifact.relative {
                if let Some(m) = location.as_object_mut() {
                    m.insert("uriBaseId".into(), json!("%SRCROOT%"));
                }
            }
            let mut result = json!({
                "ruleId": id,
                "level": level(f.severity),
                "message": {"text": match &f.help {
                    Some(h) => format!("{}. {h}", f.message.trim_end_matches('.')),
                    None => f.message.clone(),
                }},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": location,
                        "region": {"startLine": f.line.unwrap_or(1), "startColumn": f.column.unwrap_or(1)}
                    },
                    "logicalLocations": [{"fullyQualifiedName": f.path, "kind": "member"}]
                }],
                "partialFingerprints": {"vaultwardValidate/v1": format!("{id}|{}", f.path)},
                "properties": {"severity": f.severity.as_str(), "path": f.path}
            });
            if let Some(i) = checks::ALL.iter().position(|c| c.id == id) {
                if let Some(m) = result.as_object_mut() {
                    m.insert("ruleIndex".into(), json!(i));
                }
            }
            result
        })
        .collect();
    let mut run = json!({
        "tool": {"driver": {
            "name": "vaultward",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": env!("CARGO_PKG_REPOSITORY"),
            "rules": rules
        }},
        "results": results,
        "columnKind": "unicodeCodePoints"
    });
    if artifact.relative {
        if let Some(m) = run.as_object_mut() {
            m.insert("originalUriBaseIds".into(), json!({"%SRCROOT%": {"description": {"text": "The directory vaultward ran in (the repository's root under code scanning)."}}}));
        }
    }
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [run]
    })
}
