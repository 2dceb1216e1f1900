//! The check's report as SARIF 2.1.0 (for code-scanning tools) and as one self-contained
//! HTML page (the resource × operation matrix, each finding a click away).

use serde_json::{json, Value};

use super::{Level, Op, Report, Status};

fn op_name(op: Op) -> &'static str {
    match op {
        Op::Backup => "backup",
        Op::Restore => "restore",
    }
}

/// SARIF 2.1.0: one rule per finding code, one result per finding, the resource as a
/// logical location and the snapshot file as the artifact.
pub fn sarif(r: &Report, snapshot_file: &str) -> Value {
    let mut codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|c| json!({"id": c, "name": c, "shortDescription": {"text": c.replace('-', " ")}, "helpUri": "https://example.invalid/vaultward#vaultward-check"}))
        .collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let level = match f.level {
                Level::Blocking => "error",
                Level::Warning => "warning",
                Level::Unknown => "note",
            };
            json!({
                "ruleId": f.code,
                "level": level,
                "message": {"text": format!("{} ({} {}): {} Impact: {}. Fix: {}", f.resource, op_name(f.operation), f.action, f.reason, f.impact.summary, f.fix)},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": snapshot_file}},
                    "logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}]
                }],
                "properties": {"operation": op_name(f.operation), "action": f.action, "policy": f.policy, "statement": f.statement, "objects": f.impact.objects, "bytes": f.impact.bytes}
            })
        })
        .collect();
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "vaultward", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}]
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One self-contained HTML page: no scripts, no external assets.
pub fn html(r: &Report) -> String {
    let mut resources: Vec<&str> = r.matrix.iter().map(|c| c.resource.as_str()).collect();
    resources.sort_unstable();
    resources.dedup();
    let ops = [Op::Backup, Op::Restore];
    let mut rows = String::new();
    for res in &resources {
        rows.push_str(&format!("<tr><th>{}</th>", esc(res)));
        for op in ops {
            let cell = r
                .matrix
                .iter()
                .find(|c| c.resource == *res && c.operation == op);
            match cell {
                None => rows.push_str("<td class=\"na\">–</td>"),
                Some(c) if c.status == Status::Ok => rows.push_str("<td class=\"ok\">ok</td>"),
                Some(c) => {
                    let anchor = format!("{}-{}", esc(res).replace([':', '/'], "_"), op_name(op));
                    rows.push_str(&format!(
                        "<td class=\"{}\"><a href=\"#{anchor}\">{}</a></td>",
                        c.status.name(),
                        c.status.name()
                    ));
                }
            }
        }
        rows.push_str("</tr>\n");
    }
    let mut details = String::new();
    for f in &r.findings {
        let anchor = format!(
            "{}-{}",
            esc(&f.resource).replace([':', '/'], "_"),
            op_name(f.operation)
        );
        let evidence = match (&f.policy, &f.statement) {
            (Some(p), Some(s)) => format!(
                "<dt>Decided by</dt><dd>{}, statement <code>{}</code></dd>",
                esc(p),
                esc(s)
            ),
            (Some(p), None) => format!("<dt>Decided by</dt><dd>{}</dd>", esc(p)),
            _ => String::new(),
        };
        details.push_str(&format!(
            "<details id=\"{anchor}\" class=\"{level:?}\"><summary><code>{code}</code> {res} — {op} <code>{action}</code></summary><dl>{evidence}<dt>Why</dt><dd>{reason}</dd><dt>Impact</dt><dd>{impact}</dd><dt>Fix</dt><dd>{fix}</dd></dl></details>\n",
            level = f.level,
            code = esc(f.code.as_str()),
            res = esc(&f.resource),
            op = op_name(f.operation),
            action = esc(&f.action),
            reason = esc(&f.reason),
            impact = esc(&f.impact.summary),
            fix = esc(&f.fix),
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Vaultward check: {acct}</title>\n<style>\nbody{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}th,td{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}\ntd.ok{{background:#d7f5d7}}td.blocked{{background:#f8d0d0}}td.unknown{{background:#eee}}td a{{color:inherit}}\ndetails{{margin:.5em 0;padding:.4em;border-left:4px solid #999}}details.Blocking{{border-color:#c33}}details.Unknown{{border-color:#999}}details.Warning{{border-color:#d90}}\ndetails:target{{outline:2px solid #36c}}dt{{font-weight:bold}}code{{background:#f4f4f4}}\n</style></head><body>\n<h1>Vaultward check</h1><p>Account <code>{acct}</code>, role <code>{role}</code>: {n} findings, {req} requests evaluated.</p>\n<table><thead><tr><th>resource</th><th>backup</th><th>restore</th></tr></thead><tbody>\n{rows}</tbody></table>\n<h2>Findings</h2>\n{details}</body></html>\n",
        acct = esc(&r.account),
        role = esc(&r.role),
        n = r.findings.len(),
        req = r.requests,
    )
}
