//! The check's report in words (for people at a terminal) and as SARIF 2.1.0 (for GitHub
//! code scanning and other SARIF tools); the HTML page is in `html.rs`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Value};

use super::locate::locate;
use super::{count, human_bytes, CauseGroup, Code, Finding, Impact, Level, Op, Report, Status};

/// Where a report came from: what SARIF and the HTML header say of it.
#[derive(Debug, Clone, Default)]
pub struct Source<'a> {
    /// The snapshot file as the user named it.
    pub name: &'a str,
    /// The snapshot's text, to locate each deciding statement (SARIF regions) and show it
    /// (HTML); without it findings carry no line.
    pub text: Option<&'a str>,
    /// When the report was made (RFC 3339, UTC), for the HTML header.
    pub generated: Option<String>,
}

/// The page of the repository that documents every finding code (one section per code).
pub const CODES_DOC: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/codes.md");

/// A sentence: the text with a full stop unless it ends with punctuation already.
fn sentence(s: &str) -> String {
    let t = s.trim();
    match t.chars().last() {
        None => String::new(),
        Some('.' | '!' | '?' | ':') => t.to_string(),
        Some(_) => format!("{t}."),
    }
}

/// A URI for the snapshot file as SARIF wants it: relative to the working directory (the
/// repository, for code scanning) when it can be, with `/` separators and percent-encoded;
/// a `file://` URI otherwise.
pub fn artifact_uri(name: &str) -> (String, bool) {
    let path = std::path::Path::new(name);
    let rel = if path.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|d| path.strip_prefix(d).ok().map(|p| p.to_path_buf()))
    } else {
        Some(path.to_path_buf())
    };
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                out.push(b as char);
            } else {
                let _ = write!(out, "%{b:02X}");
            }
        }
        out
    };
    match rel {
        Some(p) => {
            let text = p.to_string_lossy().replace('\\', "/");
            let text = text.strip_prefix("./").unwrap_or(&text).to_string();
            (enc(&text), true)
        }
        None => (format!("file://{}", enc(&path.to_string_lossy())), false),
    }
}

/// The line of the snapshot where the resource is described (its name or ARN), for a
/// finding no statement decided.
fn resource_line(text: &str, resource: &str) -> Option<usize> {
    let short = resource
        .rsplit([':', '/'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(resource);
    [resource, short]
        .iter()
        .find_map(|needle| text.find(&format!("\"{needle}\"")))
        .map(|at| vaultward_iam::json::line_col(text, at).0)
}

/// The message of a result or a finding's summary line, in sentences.
fn message(f: &Finding) -> String {
    let verb = match f.level {
        Level::Blocking => "is blocked",
        Level::Unknown => "cannot be decided",
        Level::Warning => "needs attention",
    };
    let mut m = format!(
        "{} of `{}` ({}) {verb}. {}",
        capitalized(f.operation.name()),
        f.resource,
        f.action,
        sentence(&f.reason)
    );
    if let (Some(p), Some(s)) = (&f.policy, &f.statement) {
        let _ = write!(m, " Decided by {p}, statement {s}.");
    }
    if !f.impact.summary.trim().is_empty() {
        let _ = write!(m, " Impact: {}", sentence(&f.impact.summary));
    }
    if !f.fix.trim().is_empty() {
        let _ = write!(m, " Fix: {}", sentence(&f.fix));
    }
    m
}

/// `kebab-case` as `PascalCase` (a SARIF rule's `name`, which must differ from its `id`).
pub(crate) fn pascal_case(kebab: &str) -> String {
    kebab.split('-').map(capitalized).collect()
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// SARIF 2.1.0 as GitHub code scanning takes it: one rule per finding code (with its full
/// description, help and a link to its section of `docs/codes.md`), one result per
/// finding, located at the deciding statement's line of the snapshot (relative URI), with
/// the resource as a logical location.
pub fn sarif(r: &Report, src: &Source<'_>) -> Value {
    let mut codes: Vec<super::Code> = r.findings.iter().map(|f| f.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| {
            let (full, fix) = c.help();
            let level = r
                .findings
                .iter()
                .find(|f| f.code == *c)
                .map_or("error", |f| sarif_level(f.level));
            let short = full.split(". ").next().unwrap_or(full).trim_end_matches('.');
            json!({
                "id": c.as_str(),
                "name": pascal_case(c.as_str()),
                "shortDescription": {"text": sentence(short)},
                "fullDescription": {"text": full},
                "help": {
                    "text": format!("{full} Fix: {fix} See {CODES_DOC}#{c}"),
                    "markdown": format!("{full}\n\n**Fix.** {fix}\n\n[Documentation of `{c}`]({CODES_DOC}#{c})")
                },
                "helpUri": format!("{CODES_DOC}#{c}"),
                "defaultConfiguration": {"level": level},
                "properties": {"tags": ["security", "backup", "iam"]}
            })
        })
        .collect();
    let located = src
        .text
        .map_or_else(|| vec![None; r.findings.len()], |t| locate(t, &r.findings));
    let (uri, relative) = artifact_uri(src.name);
    let results: Vec<Value> = r
        .findings
        .iter()
        .zip(&located)
        .map(|(f, at)| {
            let mut artifact = json!({"uri": uri});
            if relative {
                artifact["uriBaseId"] = json!("%SRCROOT%");
            }
            let line = at
                .as_ref()
                .map(|l| (l.line, l.column))
                .or_else(|| src.text.and_then(|t| resource_line(t, &f.resource)).map(|l| (l, 1)))
                .unwrap_or((1, 1));
            json!({
                "ruleId": f.code,
                "level": sarif_level(f.level),
                "message": {"text": message(f)},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": {"startLine": line.0, "startColumn": line.1}
                    },
                    "logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}]
                }],
                "partialFingerprints": {"vaultwardFinding/v1": format!("{}|{}|{}|{}", f.code, f.resource, f.operation.name(), f.action)},
                "properties": {"operation": f.operation.name(), "action": f.action, "policy": f.policy, "statement": f.statement, "objects": f.impact.objects, "bytes": f.impact.bytes}
            })
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
    if relative {
        run["originalUriBaseIds"] = json!({"%SRCROOT%": {"description": {"text": "The directory vaultward ran in (the repository's root under code scanning)."}}});
    }
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [run]
    })
}

fn sarif_level(l: Level) -> &'static str {
    match l {
        Level::Blocking => "error",
        Level::Warning => "warning",
        Level::Unknown => "note",
    }
}

/// The report for people: the verdict and the totals first, then the findings, the ones
/// with the most data at stake first.
pub fn render_human(r: &Report) -> String {
    let verdict = match r.status {
        Status::Blocked => "BLOCKED: some backups or restores will fail",
        Status::Unknown => "UNKNOWN: nothing is known to fail, but some pairs could not be decided",
        Status::Ok if r.findings.iter().any(|f| f.code == Code::OrganizationPoliciesNotCollected) => {
            "ALL CLEAR, as assumed: every backup and restore checked will work if the organization's uncollected policies deny nothing"
        }
        Status::Ok => "ALL CLEAR: every backup and restore checked will work",
    };
    let mut out = format!("{verdict}\n");
    for t in &r.totals {
        let op = t.operation.map_or("", Op::name);
        let floor = if t.at_least { "at least " } else { "" };
        out.push_str(&format!(
            "  {op}: {} of {} ok, {} blocked, {} unknown; at stake: {floor}{} ({}) blocked, {floor}{} ({}) unknown\n",
            t.ok,
            count(t.resources as u64, "resource"),
            t.blocked,
            t.unknown,
            count(t.objects_blocked, "object"),
            human_bytes(t.bytes_blocked),
            count(t.objects_unknown, "object"),
            human_bytes(t.bytes_unknown),
        ));
    }
    out.push_str(&format!("Account {}, role {}\n\n", r.account, r.role));
    out.push_str(&render_groups(&r.groups, &r.findings));
    out.push_str(&format!(
        "{} resource/operation pairs: {} ok, {} blocked, {} unknown ({} requests evaluated)\n",
        r.matrix.len(),
        r.matrix.iter().filter(|c| c.status == Status::Ok).count(),
        r.matrix
            .iter()
            .filter(|c| c.status == Status::Blocked)
            .count(),
        r.matrix
            .iter()
            .filter(|c| c.status == Status::Unknown)
            .count(),
        r.requests
    ));
    out
}

/// The findings by cause, in words: one entry per deciding statement, with every
/// resource, operation and action it stops; what makes everything unknown first.
pub fn render_groups(groups: &[CauseGroup], findings: &[Finding]) -> String {
    let mut out = String::new();
    let account_wide = |g: &&CauseGroup| {
        g.findings
            .iter()
            .any(|i| findings.get(*i).is_some_and(|f| f.action == "*"))
    };
    for g in groups
        .iter()
        .filter(account_wide)
        .chain(groups.iter().filter(|g| !account_wide(g)))
    {
        let tag = match g.level {
            Level::Blocking => "BLOCKED",
            Level::Unknown => "UNKNOWN",
            Level::Warning => "WARNING",
        };
        let first = g.resources.first().map_or("", String::as_str);
        let more = match g.resources.len() {
            0 | 1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        out.push_str(&format!("{tag} [{}] {first}{more}\n", g.code));
        if !g.accounts.is_empty() {
            out.push_str(&format!(
                "  accounts: {} ({})\n",
                g.accounts.join(", "),
                g.accounts.len()
            ));
        }
        if g.resources.len() > 1 {
            out.push_str(&format!("  resources: {}\n", g.resources.join(", ")));
        }
        let ops: Vec<String> = g
            .operations
            .iter()
            .map(|(op, actions)| format!("{} ({})", op.name(), actions.join(", ")))
            .collect();
        out.push_str(&format!("  stops:  {}\n", ops.join("; ")));
        match (&g.policy, &g.statement) {
            (Some(p), Some(s)) => out.push_str(&format!("  decided by: {p}, statement {s}\n")),
            (Some(p), None) => out.push_str(&format!("  policy: {p}\n")),
            _ => {}
        }
        out.push_str(&format!("  why:    {}\n", g.reason));
        let mut errors: Vec<String> = Vec::new();
        for f in g.findings.iter().filter_map(|i| findings.get(*i)) {
            for e in &f.parse_errors {
                let e = e.to_string();
                if !errors.contains(&e) {
                    errors.push(e);
                }
            }
        }
        for e in errors {
            out.push_str(&format!("    - {e}\n"));
        }
        // Per operation: the objects at stake, each resource counted once.
        let mut impacts = Vec::new();
        for op in g.operations.keys() {
            let mut per: BTreeMap<&str, Impact> = BTreeMap::new();
            for f in g
                .findings
                .iter()
                .filter_map(|i| findings.get(*i))
                .filter(|f| f.operation == *op)
            {
                let e = per.entry(f.resource.as_str()).or_default();
                e.objects = e.objects.max(f.impact.objects);
                e.bytes = e.bytes.max(f.impact.bytes);
                e.at_least |= f.impact.at_least;
            }
            let total = per.values().fold(Impact::default(), |mut t, i| {
                t.objects = t.objects.saturating_add(i.objects);
                t.bytes = t.bytes.saturating_add(i.bytes);
                t.at_least |= i.at_least;
                t
            });
            let words = super::report::summary(g.level, *op, &total);
            if !words.is_empty() {
                impacts.push(words);
            }
        }
        if !impacts.is_empty() {
            out.push_str(&format!("  impact: {}\n", impacts.join("; ")));
        }
        out.push_str(&format!("  fix:    {}\n\n", g.fix));
    }
    out
}
