//! The check's report as one HTML page, for people: no external resources, filterable
//! findings, each with the statement that decided it.

use std::fmt::Write as _;

use super::locate::{locate, Located};
use super::render::Source;
use super::{human_bytes, Finding, Level, Op, Report, Status};

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Escaped text with Markdown code spans (`` `x` ``) as `<code>`; text with an unpaired
/// backtick is only escaped.
pub(crate) fn md(s: &str) -> String {
    if s.matches('`').count() % 2 == 1 {
        return esc(s);
    }
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    out
}

/// The id of the `n`th finding (1-based): unique, and valid as an HTML id and a URL
/// fragment (letters, digits and hyphens only).
pub fn finding_id(n: usize, f: &Finding) -> String {
    format!("finding-{n}-{}", f.code)
}

pub(crate) const STYLE: &str = "\
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;padding:1em;max-width:72em;color:#1d1d1f;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.5em}
.verdict{padding:.1em .5em;border-radius:.3em;color:#fff}.verdict.ok{background:#2a7d2a}.verdict.blocked{background:#b42318}.verdict.unknown{background:#666}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.5em 0}dl.meta dt{font-weight:600}dl.meta dd{margin:0;overflow-wrap:anywhere}
ul.totals{padding-left:1.2em}.counts span{margin-right:.8em;white-space:nowrap}
table.matrix{border-collapse:collapse;width:100%;table-layout:fixed}
table.matrix th,table.matrix td{border:1px solid #ccc;padding:.3em .5em;text-align:left;overflow-wrap:anywhere}
table.matrix thead th:first-child{width:60%}
td.ok{background:#d7f5d7}td.blocked{background:#f8d0d0}td.unknown{background:#e8e8e8}td a{color:inherit;font-weight:600}
form.filters{display:flex;flex-wrap:wrap;gap:.5em 1em;margin:.5em 0}form.filters label{display:flex;gap:.3em;align-items:center}
details.finding{margin:.5em 0;padding:.4em .6em;border-left:4px solid #999;background:#fafafa}
details.blocking{border-color:#b42318}details.unknown{border-color:#777}details.warning{border-color:#d98b00}
details:target{outline:2px solid #36c}summary{cursor:pointer;overflow-wrap:anywhere}
details dl dt{font-weight:600;margin-top:.4em}details dl dd{margin-left:1em;overflow-wrap:anywhere}
code{background:#eef;padding:0 .2em;border-radius:.2em}pre{background:#f4f4f4;padding:.5em;overflow-x:auto;max-width:100%}pre code{background:none;padding:0}
.level{font-size:.8em;text-transform:uppercase;font-weight:700;margin-right:.4em}
@media (max-width:600px){body{padding:.5em;font-size:15px}table.matrix thead th:first-child{width:50%}}
";

/// Opens the finding a link points to (and clears filters that would hide it), and
/// filters the findings by level, code and resource. Inline: the page loads nothing.
const SCRIPT: &str = "\
(function(){
var findings=[].slice.call(document.querySelectorAll('details.finding'));
var lv=document.getElementById('f-level'),cd=document.getElementById('f-code'),rs=document.getElementById('f-resource');
function apply(){var l=lv.value,c=cd.value,r=rs.value.toLowerCase();var shown=0;
findings.forEach(function(d){var ok=(!l||d.dataset.level===l)&&(!c||d.dataset.code===c)&&(!r||d.dataset.resource.toLowerCase().indexOf(r)>=0);d.hidden=!ok;if(ok)shown++;});
document.getElementById('shown').textContent=shown+' of '+findings.length+' shown';}
function open(){var id=decodeURIComponent(location.hash.slice(1));var d=id&&document.getElementById(id);
if(d&&d.classList.contains('finding')){if(d.hidden){lv.value='';cd.value='';rs.value='';apply();}d.open=true;d.scrollIntoView({block:'start'});}}
[lv,cd].forEach(function(e){e.addEventListener('change',apply);});rs.addEventListener('input',apply);
window.addEventListener('hashchange',open);apply();open();
})();
";

/// One self-contained HTML page: a header with the verdict, the totals at stake per
/// operation, counts per level, time, tool version and source snapshot; the resource ×
/// operation matrix (each blocked or unknown cell links to its first finding); and every
/// finding with its evidence, deciding statement (as JSON), impact and fix, filterable by
/// level, code and resource. No external resources: styles and the small script are
/// inline.
/// The report as one self-contained HTML page: the verdict, the totals and the matrix,
/// then every finding with its deciding statement, filterable by level, code and resource.
pub fn html(r: &Report, src: &Source<'_>) -> String {
    let located = src
        .text
        .map_or_else(|| vec![None; r.findings.len()], |t| locate(t, &r.findings));
    let ids: Vec<String> = r
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| finding_id(i + 1, f))
        .collect();
    let mut page = String::with_capacity(16 * 1024);
    header(&mut page, r, src);
    matrix(&mut page, r, &ids);
    filters(&mut page, r);
    for ((f, id), at) in r.findings.iter().zip(&ids).zip(&located) {
        finding(&mut page, f, id, at.as_ref(), src);
    }
    let _ = write!(
        page,
        "</main>\n<script>\n{SCRIPT}</script>\n</body></html>\n"
    );
    page
}

/// The page's head, the verdict, what was checked, the totals at stake and the counts.
fn header(page: &mut String, r: &Report, src: &Source<'_>) {
    let verdict = r.status.name();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Vaultward check: {acct} ({verdict})</title>\n<style>\n{STYLE}</style></head>\n<body>\n\
         <header><h1>Vaultward check: <span class=\"verdict {verdict}\" id=\"verdict\">{verdict}</span></h1>\n<dl class=\"meta\">\
         <dt>Account</dt><dd><code>{acct}</code></dd><dt>Role</dt><dd><code>{role}</code></dd>\
         <dt>Snapshot</dt><dd><code>{source}</code></dd><dt>Generated</dt><dd>{time}</dd>\
         <dt>Tool</dt><dd>vaultward {version}</dd><dt>Requests evaluated</dt><dd>{req}</dd></dl>\n",
        acct = esc(&r.account),
        role = esc(&r.role),
        source = esc(src.name),
        time = esc(src.generated.as_deref().unwrap_or("not recorded")),
        version = env!("CARGO_PKG_VERSION"),
        req = r.requests,
    );
    // Totals at stake per operation.
    page.push_str("<ul class=\"totals\" id=\"totals\">\n");
    for t in &r.totals {
        let Some(op) = t.operation else { continue };
        let at_least = if t.at_least { "at least " } else { "" };
        let _ = write!(
            page,
            "<li><strong>{op}</strong>: {n} resource{s}, {ok} ok, {b} blocked, {u} unknown",
            op = op.name(),
            n = t.resources,
            s = if t.resources == 1 { "" } else { "s" },
            ok = t.ok,
            b = t.blocked,
            u = t.unknown,
        );
        if t.objects_blocked > 0 || t.bytes_blocked > 0 {
            let _ = write!(
                page,
                "; {at_least}{} object{} ({}) not {}",
                t.objects_blocked,
                if t.objects_blocked == 1 { "" } else { "s" },
                human_bytes(t.bytes_blocked),
                op.done()
            );
        }
        if t.objects_unknown > 0 || t.bytes_unknown > 0 {
            let _ = write!(
                page,
                "; {at_least}{} object{} ({}) unknown",
                t.objects_unknown,
                if t.objects_unknown == 1 { "" } else { "s" },
                human_bytes(t.bytes_unknown)
            );
        }
        page.push_str("</li>\n");
    }
    page.push_str("</ul>\n");
    let count = |l: Level| r.findings.iter().filter(|f| f.level == l).count();
    let _ = writeln!(
        page,
        "<p class=\"counts\" id=\"counts\">Findings: <span class=\"blocking\">{} blocking</span> <span class=\"unknown\">{} unknown</span> <span class=\"warning\">{} warning{}</span></p></header>",
        count(Level::Blocking),
        count(Level::Unknown),
        count(Level::Warning),
        if count(Level::Warning) == 1 { "" } else { "s" }
    );
}

/// The resource × operation matrix, each cell linked to its first finding.
fn matrix(page: &mut String, r: &Report, ids: &[String]) {
    let mut resources: Vec<&str> = r.matrix.iter().map(|c| c.resource.as_str()).collect();
    resources.sort_unstable();
    resources.dedup();
    page.push_str("<main>\n<h2>Resources</h2>\n<table class=\"matrix\" id=\"matrix\"><thead><tr><th>resource</th><th>backup</th><th>restore</th></tr></thead><tbody>\n");
    for res in &resources {
        let _ = write!(page, "<tr><th scope=\"row\">{}</th>", esc(res));
        for op in [Op::Backup, Op::Restore] {
            let cell = r
                .matrix
                .iter()
                .find(|c| c.resource == *res && c.operation == op);
            match cell {
                None => page.push_str("<td class=\"na\">–</td>"),
                Some(c) if c.status == Status::Ok => page.push_str("<td class=\"ok\">ok</td>"),
                Some(c) => {
                    let mine: Vec<usize> = r
                        .findings
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f.resource == *res && f.operation == op)
                        .map(|(i, _)| i)
                        .collect();
                    let label = match mine.len() {
                        0 | 1 => c.status.name().to_string(),
                        n => format!("{} ({n} findings)", c.status.name()),
                    };
                    match mine.first() {
                        Some(&i) => {
                            let _ = write!(
                                page,
                                "<td class=\"{}\"><a href=\"#{}\">{label}</a></td>",
                                c.status.name(),
                                ids[i]
                            );
                        }
                        None => {
                            let _ = write!(page, "<td class=\"{}\">{label}</td>", c.status.name());
                        }
                    }
                }
            }
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody></table>\n");
}

/// The filters of the findings' list.
fn filters(page: &mut String, r: &Report) {
    let mut codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    page.push_str("<h2>Findings</h2>\n<form class=\"filters\" id=\"filters\" onsubmit=\"return false\"><label>Level <select id=\"f-level\"><option value=\"\">all</option><option value=\"blocking\">blocking</option><option value=\"unknown\">unknown</option><option value=\"warning\">warning</option></select></label><label>Code <select id=\"f-code\"><option value=\"\">all</option>");
    for c in &codes {
        let _ = write!(page, "<option value=\"{c}\">{c}</option>");
    }
    page.push_str("</select></label><label>Resource <input id=\"f-resource\" type=\"search\" placeholder=\"name or ARN\"></label><span id=\"shown\"></span></form>\n");
    if r.findings.is_empty() {
        page.push_str("<p>No findings: every resource × operation pair was decided ok.</p>\n");
    }
}

/// One finding, with its deciding statement located in the snapshot.
fn finding(page: &mut String, f: &Finding, id: &str, at: Option<&Located>, src: &Source<'_>) {
    let level = f.level.name();
    let _ = write!(
        page,
        "<details id=\"{id}\" class=\"finding {level}\" data-level=\"{level}\" data-code=\"{code}\" data-resource=\"{res}\"><summary><span class=\"level\">{level}</span><code>{code}</code> {res_html} — {op} <code>{action}</code></summary><dl>",
        code = f.code,
        res = esc(&f.resource),
        res_html = esc(&f.resource),
        op = f.operation.name(),
        action = esc(&f.action),
    );
    match (&f.policy, &f.statement) {
        (Some(p), Some(s)) => {
            let _ = write!(
                page,
                "<dt>Decided by</dt><dd>{}, statement <code>{}</code></dd>",
                md(p),
                esc(s)
            );
        }
        (Some(p), None) => {
            let _ = write!(page, "<dt>Decided by</dt><dd>{}</dd>", md(p));
        }
        _ => {}
    }
    if let Some(Located {
        line,
        statement: Some(st),
        ..
    }) = at
    {
        let pretty = serde_json::to_string_pretty(st).unwrap_or_default();
        let what = if f
            .decided_by
            .as_ref()
            .is_some_and(|d| d.statement_index.is_some())
        {
            "Statement"
        } else {
            "Policy (no statement of it allows)"
        };
        let _ = write!(
            page,
            "<dt>{what} <small>({}, line {line})</small></dt><dd><pre><code>{}</code></pre></dd>",
            esc(src.name),
            esc(&pretty)
        );
    }
    let _ = write!(page, "<dt>Why</dt><dd>{}</dd>", md(&f.reason));
    if !f.impact.summary.trim().is_empty() {
        let _ = write!(page, "<dt>Impact</dt><dd>{}</dd>", md(&f.impact.summary));
    }
    if !f.parse_errors.is_empty() {
        page.push_str("<dt>Parse errors</dt><dd><ul>");
        for e in &f.parse_errors {
            let _ = write!(page, "<li>{}</li>", esc(&e.to_string()));
        }
        page.push_str("</ul></dd>");
    }
    if !f.fix.trim().is_empty() {
        let _ = write!(page, "<dt>Fix</dt><dd>{}</dd>", md(&f.fix));
    }
    let _ = writeln!(
        page,
        "<dt>About <code>{c}</code></dt><dd>{}</dd></dl></details>",
        md(f.code.help().0),
        c = f.code
    );
}
