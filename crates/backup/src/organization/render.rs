//! The organization's report in words, as SARIF, and as one HTML page that starts from
//! the organization and opens each account.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::{AccountResult, OrgReport};
use crate::check::html::{esc, md, STYLE};
use crate::check::{count, human_bytes, render_groups, sarif, Report, Source, Status};

fn verdict(r: &OrgReport) -> &'static str {
    match r.status {
        Status::Blocked => "BLOCKED: some backups or restores will fail",
        Status::Unknown => {
            "UNKNOWN: nothing is known to fail, but some accounts or pairs could not be decided"
        }
        Status::Ok => "ALL CLEAR: every backup and restore checked will work, in every account",
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Blocked => "blocked",
        Status::Unknown => "unknown",
    }
}

/// The organization's report in words: the verdict and totals, each account's status,
/// then each cause once, with the accounts it stops.
pub fn render_human(r: &OrgReport) -> String {
    let mut out = format!("{}\n", verdict(r));
    for t in &r.totals {
        let op = t.operation.map_or("", crate::check::Op::name);
        let floor = if t.at_least { "at least " } else { "" };
        let _ = writeln!(
            out,
            "  {op}: {} of {} ok, {} blocked, {} unknown; at stake: {floor}{} ({}) blocked, {floor}{} ({}) unknown",
            t.ok,
            count(t.resources as u64, "resource"),
            t.blocked,
            t.unknown,
            count(t.objects_blocked, "object"),
            human_bytes(t.bytes_blocked),
            count(t.objects_unknown, "object"),
            human_bytes(t.bytes_unknown),
        );
    }
    let n = |s: Status| r.accounts.iter().filter(|a| a.status == s).count();
    let _ = writeln!(
        out,
        "Organization: {}, role {}: {} ok, {} blocked, {} unknown\n",
        count(r.accounts.len() as u64, "account"),
        r.role,
        n(Status::Ok),
        n(Status::Blocked),
        n(Status::Unknown)
    );
    for a in &r.accounts {
        let name = a
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let mgmt = if a.management {
            " [management account]"
        } else {
            ""
        };
        let detail = match &a.reason {
            Some(why) => format!(": {why}"),
            None if a.findings.is_empty() => String::new(),
            None => format!(": {}", count(a.findings.len() as u64, "finding")),
        };
        let _ = writeln!(
            out,
            "  {}{name}{mgmt} {}{detail}",
            a.account,
            status_word(a.status)
        );
    }
    out.push('\n');
    let findings: Vec<_> = r.findings().map(|f| f.finding.clone()).collect();
    out.push_str(&render_groups(&r.groups, &findings));
    let _ = writeln!(
        out,
        "{} requests evaluated across the organization",
        r.requests
    );
    out
}

/// One account's part as a report of its own (without its matrix, which the
/// organization's report does not keep).
fn account_report(r: &OrgReport, a: &AccountResult) -> Report {
    Report {
        status: a.status,
        account: a.account.clone(),
        role: vaultward_snapshot::org::role_arn(&a.account, &r.role),
        totals: a.totals.clone(),
        findings: a.findings.clone(),
        groups: Vec::new(),
        matrix: Vec::new(),
        requests: a.requests,
    }
}

/// SARIF 2.1.0: one run, one rule per code, each result located in its account's file
/// (`accounts/ACCOUNT.json` under `dir`).
pub fn sarif_org(r: &OrgReport, dir: &str) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    let mut driver = Value::Null;
    for a in &r.accounts {
        let report = account_report(r, a);
        let name = format!("{}/accounts/{}.json", dir.trim_end_matches('/'), a.account);
        let run = sarif(
            &report,
            &Source {
                name: &name,
                text: None,
                generated: None,
            },
        );
        let first = &run["runs"][0];
        if driver.is_null() {
            driver = first["tool"]["driver"].clone();
        }
        for rule in first["tool"]["driver"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if !rules.iter().any(|x| x["id"] == rule["id"]) {
                rules.push(rule.clone());
            }
        }
        for mut res in first["results"].as_array().cloned().into_iter().flatten() {
            res["properties"]["account"] = json!(a.account);
            results.push(res);
        }
    }
    // Result rule indexes point into the merged rule list.
    for res in &mut results {
        if let Some(id) = res["ruleId"].as_str() {
            if let Some(i) = rules.iter().position(|x| x["id"] == id) {
                res["ruleIndex"] = json!(i);
            }
        }
    }
    if driver.is_null() {
        driver = json!({"name": "vaultward", "informationUri": env!("CARGO_PKG_REPOSITORY")});
    }
    driver["rules"] = json!(rules);
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}]
    })
}

/// One self-contained page: the organization's verdict and totals, the causes with the
/// accounts they stop, and each account, opening to its findings.
pub fn html_org(r: &OrgReport, generated: Option<&str>) -> String {
    let mut p = String::with_capacity(16 * 1024);
    let status = status_word(r.status);
    let _ = write!(
        p,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Vaultward check: organization, {status}</title><style>{STYLE}</style></head><body>"
    );
    let _ = write!(
        p,
        "<h1>Vaultward check of the organization <span class=\"verdict {status}\">{}</span></h1><dl class=\"meta\"><dt>Role</dt><dd>{}</dd><dt>Accounts</dt><dd>{}</dd>",
        esc(status),
        esc(&r.role),
        r.accounts.len()
    );
    if let Some(g) = generated {
        let _ = write!(p, "<dt>Generated</dt><dd>{}</dd>", esc(g));
    }
    p.push_str("</dl><ul class=\"totals\">");
    for t in &r.totals {
        let _ = write!(
            p,
            "<li>{}: {} of {} resources ok, {} blocked, {} unknown; {} objects ({}) blocked</li>",
            t.operation.map_or("", crate::check::Op::name),
            t.ok,
            t.resources,
            t.blocked,
            t.unknown,
            t.objects_blocked,
            esc(&human_bytes(t.bytes_blocked))
        );
    }
    p.push_str("</ul><h2>Causes</h2>");
    for g in &r.groups {
        let level = match g.level {
            crate::check::Level::Blocking => "blocking",
            crate::check::Level::Unknown => "unknown",
            crate::check::Level::Warning => "warning",
        };
        let _ = write!(
            p,
            "<details class=\"finding {level}\"><summary><span class=\"level\">{level}</span><code>{}</code> {} in {}</summary><dl>",
            esc(g.code.as_str()),
            esc(g.resources.first().map_or("", String::as_str)),
            count(g.accounts.len().max(1) as u64, "account")
        );
        if let (Some(pol), Some(st)) = (&g.policy, &g.statement) {
            let _ = write!(
                p,
                "<dt>Decided by</dt><dd>{}, statement {}</dd>",
                esc(pol),
                esc(st)
            );
        }
        let _ = write!(
            p,
            "<dt>Why</dt><dd>{}</dd><dt>Accounts</dt><dd>{}</dd><dt>Resources</dt><dd>{}</dd><dt>Fix</dt><dd>{}</dd></dl></details>",
            md(&g.reason),
            g.accounts
                .iter()
                .map(|a| format!("<a href=\"#account-{0}\">{0}</a>", esc(a)))
                .collect::<Vec<_>>()
                .join(", "),
            esc(&g.resources.join(", ")),
            md(&g.fix)
        );
    }
    p.push_str("<h2>Accounts</h2>");
    for a in &r.accounts {
        let s = status_word(a.status);
        let _ = write!(
            p,
            "<details class=\"finding {}\" id=\"account-{}\"><summary><span class=\"verdict {s}\">{s}</span> {}{}</summary>",
            if a.status == Status::Ok { "" } else { "blocking" },
            esc(&a.account),
            esc(&a.account),
            a.name.as_deref().map(|n| format!(" ({})", esc(n))).unwrap_or_default()
        );
        if let Some(why) = &a.reason {
            let _ = write!(p, "<p>{}</p>", md(why));
        }
        p.push_str("<dl>");
        for f in &a.findings {
            let _ = write!(
                p,
                "<dt><code>{}</code> {} ({}, {})</dt><dd>{}<br>Fix: {}</dd>",
                esc(f.code.as_str()),
                esc(&f.resource),
                esc(f.operation.name()),
                esc(&f.action),
                md(&f.reason),
                md(&f.fix)
            );
        }
        p.push_str("</dl></details>");
    }
    p.push_str("</body></html>\n");
    p
}
