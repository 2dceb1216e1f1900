//! The audit in words, and as SARIF.

use serde_json::{json, Value};

use super::{Audit, PathClass, Verdict};

/// The audit in words.
pub fn render_human(a: &Audit) -> String {
    let mut out = format!(
        "audit of {}: {}\n",
        a.role,
        match a.verdict {
            Verdict::Clean => "no escalation, exposure or destruction path".to_string(),
            Verdict::Paths => format!(
                "{} path(s) open",
                a.paths.iter().filter(|p| !p.possible).count()
            ),
            Verdict::Unknown if a.paths.iter().any(|p| p.possible) => format!(
                "unknown: {} path(s) possible, depending on values the snapshot does not hold",
                a.paths.iter().filter(|p| p.possible).count()
            ),
            Verdict::Unknown => "unknown: part of the role's side could not be read".to_string(),
        }
    );
    let mut class = None;
    for p in &a.paths {
        if class != Some(p.class) {
            out.push_str(&format!(
                "\n{}: {}\n",
                p.class.name(),
                p.class.description()
            ));
            class = Some(p.class);
        }
        let possible = if p.possible { " (possible)" } else { "" };
        out.push_str(&format!("  [{}]{possible} {}\n", p.code, p.title));
        for (i, s) in p.steps.iter().enumerate() {
            out.push_str(&format!(
                "    {}. {} on {}{} (allowed by {})\n",
                i + 1,
                s.action,
                s.resource,
                if s.context.is_empty() {
                    String::new()
                } else {
                    format!(
                        " with {}",
                        s.context
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                s.allowed_by.join("; ")
            ));
            if let Some(d) = &s.depends_on {
                out.push_str(&format!("       {d}\n"));
            }
        }
        out.push_str(&format!("    fix: {}\n", p.fix));
    }
    for u in &a.unknown {
        out.push_str(&format!("\nunknown: {u}\n"));
    }
    for n in &a.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    out
}

/// The audit as SARIF 2.1.0: one rule per path class, one result per path.
///
/// `source` is the snapshot file as named, `text` its content: each result is located at the
/// audited role's entry of the snapshot (a relative URI, as GitHub code scanning wants).
pub fn sarif(a: &Audit, source: &str, text: Option<&str>) -> Value {
    let (uri, relative) = crate::check::artifact_uri(source);
    let line = text
        .and_then(|t| {
            t.find(&format!("\"{}\"", a.role))
                .map(|at| vaultward_iam::json::line_col(t, at).0)
        })
        .unwrap_or(1);
    let mut artifact = json!({"uri": uri});
    if relative {
        artifact["uriBaseId"] = json!("%SRCROOT%");
    }
    let help_uri = concat!(
        env!("CARGO_PKG_REPOSITORY"),
        "/blob/main/README.md#vaultward-audit"
    );
    let classes = [
        PathClass::AssumeRole,
        PathClass::PassRole,
        PathClass::CodeInjection,
        PathClass::IamWrite,
        PathClass::TagThenAct,
        PathClass::ResourcePolicyWrite,
        PathClass::PublicExposure,
        PathClass::KmsAbuse,
        PathClass::SecretsRead,
        PathClass::DataDestruction,
    ];
    let rules: Vec<Value> = classes
        .iter()
        .map(|c| {
            json!({
                "id": c.name(),
                "name": crate::check::pascal_case(c.name()),
                "shortDescription": {"text": c.description()},
                "fullDescription": {"text": c.description()},
                "help": {"text": format!("{} Each result lists the requests the engine allowed and the statements that allowed them; its fix closes the first step.", c.description())},
                "helpUri": help_uri,
                "defaultConfiguration": {"level": "error"}
            })
        })
        .collect();
    let results: Vec<Value> = a
        .paths
        .iter()
        .map(|p| {
            let steps: Vec<String> = p
                .steps
                .iter()
                .map(|s| format!("{} on {} (allowed by {})", s.action, s.resource, s.allowed_by.join("; ")))
                .collect();
            json!({
                "ruleId": p.class.name(),
                // A path possible only for some values the snapshot lacks is a warning.
                "level": if p.possible { "warning" } else { "error" },
                "message": {"text": format!("{}. Steps: {}. Fix: {}.", p.title, steps.join("; then "), p.fix)},
                "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": line}}}],
                "properties": {"code": p.code, "target": p.target}
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "vaultward-audit", "version": env!("CARGO_PKG_VERSION"), "informationUri": env!("CARGO_PKG_REPOSITORY"), "rules": rules}},
            "results": results
        }]
    })
}
