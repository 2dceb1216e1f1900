//! The exposure in words, as SARIF and as one HTML page; what protects a vault, in words;
//! and the route codes for `docs/codes.md`, written from the table.

use serde_json::{json, Value};
use vaultward_snapshot::{Vault, VaultLockMode};

use super::evaluate::{KeyState, Lock};
use super::table::{self, Question};
use super::{Answer, Exposure, Status, Verdict};
use crate::check::html::esc;

/// The Vault Lock in words: what it stops, and what it does not.
pub(super) fn lock_words(v: &Vault, lock: &Lock) -> String {
    let keys =
        "it never stops the deletion or disabling of a key that encrypts the recovery points";
    let days =
        |l: &vaultward_snapshot::VaultLock| match (l.min_retention_days, l.max_retention_days) {
            (Some(a), Some(b)) => format!(", retention {a} to {b} days"),
            (Some(a), None) => format!(", minimum retention {a} days"),
            (None, Some(b)) => format!(", maximum retention {b} days"),
            _ => String::new(),
        };
    match (lock, &v.lock) {
        (Lock::Unknown(why), _) => format!("unknown: {why}"),
        (Lock::None, _) => "no Vault Lock: whoever the policies allow may delete recovery points or shorten their retention".into(),
        (Lock::Removable, Some(l)) if l.mode == Some(VaultLockMode::Compliance) => format!(
            "Vault Lock in compliance mode{}, still in its grace time (until {}): until then it can be removed (backup:DeleteBackupVaultLockConfiguration); {keys}",
            days(l),
            l.lock_date.as_deref().unwrap_or("?")
        ),
        (Lock::Removable, Some(l)) => format!(
            "Vault Lock in governance mode{}: it stops deleting recovery points before their retention, but whoever may call backup:DeleteBackupVaultLockConfiguration can remove it and then delete; {keys}",
            days(l)
        ),
        (Lock::Immutable, Some(l)) => format!(
            "Vault Lock in compliance mode{}, immutable since {}: no one, AWS included, can delete a recovery point before its retention or remove the lock; {keys}",
            days(l),
            l.lock_date.as_deref().unwrap_or("?")
        ),
        _ => "Vault Lock set".into(),
    }
}

/// What protects a resource type's recovery points, in words.
pub(super) fn protects(
    v: &Vault,
    lock: &Lock,
    fully_managed: bool,
    service: &str,
    keys: &[KeyState],
) -> Vec<String> {
    let mut out = Vec::new();
    if fully_managed {
        out.push("fully managed by AWS Backup: only AWS Backup's API reaches them, so the vault access policy (with the principals' own policies) governs every access".into());
    } else {
        out.push(format!("also reachable through {service}'s own API, which the vault access policy does not govern: only the principals' IAM policies, boundaries and SCPs do"));
    }
    if v.vault_type.as_deref() == Some("LOGICALLY_AIR_GAPPED_BACKUP_VAULT") {
        out.push("a logically air-gapped vault: its recovery points are held by AWS Backup outside the account (under an AWS owned key, or the customer managed key it was created with), reachable only through AWS Backup; an account it is shared with through AWS RAM can restore them".into());
    }
    out.push(lock_words(v, lock));
    let mut seen = Vec::new();
    for k in keys {
        let line = match k {
            KeyState::Customer { arn, .. } => format!("encrypted under customer managed key `{arn}`: whoever may schedule its deletion or disable it destroys them, whatever the lock"),
            KeyState::AwsManaged { arn } => format!("encrypted under AWS managed key `{arn}`: no one can delete it, and snapshots under it cannot be shared"),
            KeyState::Unencrypted => "not encrypted: a share is all another account needs, and it may be public".into(),
            KeyState::Unknown(why) => format!("key unknown: {why}"),
        };
        if !seen.contains(&line) {
            seen.push(line);
        }
    }
    out.extend(seen);
    out
}

fn status_words(a: &Answer) -> String {
    match a.status {
        Status::Exposed => format!("{} principal(s)", a.principals.len()),
        Status::None => "none".into(),
        Status::Unknown => "unknown".into(),
    }
}

/// The exposure in words.
pub fn render_human(e: &Exposure) -> String {
    let mut out = format!(
        "exposure of account {}: {} ({} principals, {} requests)\n",
        e.account,
        match e.verdict {
            Verdict::Protected => "no principal can destroy, read or change who can",
            Verdict::Exposed => "exposed",
            Verdict::Unknown =>
                "unknown: no exposure confirmed, but the snapshot lacks what would settle some",
        },
        e.principals,
        e.requests
    );
    for v in &e.vaults {
        out.push_str(&format!(
            "\nvault {} ({})\n  lock: {}\n",
            v.name, v.arn, v.lock
        ));
        for n in &v.not_collected {
            out.push_str(&format!("  not collected: {n}\n"));
        }
        if v.types.is_empty() {
            out.push_str("  no recovery points\n");
        }
        for t in &v.types {
            out.push_str(&format!(
                "\n  {} ({} recovery point(s))\n",
                t.resource_type, t.recovery_points
            ));
            for p in &t.protects {
                out.push_str(&format!("    protects: {p}\n"));
            }
            for a in &t.answers {
                out.push_str(&format!(
                    "    {}: {}\n",
                    a.question.title(),
                    status_words(a)
                ));
                for p in &a.principals {
                    out.push_str(&format!("      {}\n", p.principal));
                    for r in &p.routes {
                        out.push_str(&format!("        [{}] {}\n", r.code, r.title));
                        for h in &r.chain {
                            out.push_str(&format!(
                                "          hop [{}]: {} -> {}\n",
                                h.code, h.from, h.to
                            ));
                        }
                        for (i, s) in r.steps.iter().enumerate() {
                            let ctx: Vec<String> =
                                s.context.iter().map(|(k, v)| format!("{k}={v}")).collect();
                            out.push_str(&format!(
                                "          {}. {}{} on {}{} (allowed by {})\n",
                                i + 1,
                                s.principal
                                    .as_deref()
                                    .map(|p| format!("as {p}: "))
                                    .unwrap_or_default(),
                                s.action,
                                s.resource,
                                if ctx.is_empty() {
                                    String::new()
                                } else {
                                    format!(" with {}", ctx.join(", "))
                                },
                                s.allowed_by.join("; ")
                            ));
                        }
                    }
                }
                for u in &a.unknown {
                    out.push_str(&format!(
                        "      unknown: {} [{}]: {}\n",
                        u.principal, u.code, u.settle
                    ));
                }
                for r in &a.refused {
                    out.push_str(&format!(
                        "      refused: {} `{}`: {} ({})\n",
                        r.principal, r.action, r.why, r.source
                    ));
                }
                if let Some(f) = &a.fix {
                    out.push_str(&format!(
                        "      fix ({}): add to an SCP {}\n",
                        if f.verified {
                            "verified: closes it, opens nothing"
                        } else {
                            "not verified"
                        },
                        f.scp
                    ));
                    if let Some(w) = &f.not_verified {
                        out.push_str(&format!("        {w}\n"));
                    }
                    for h in &f.hints {
                        out.push_str(&format!("        hint: {h}\n"));
                    }
                }
            }
        }
    }
    for n in &e.notes {
        out.push_str(&format!("\nnote: {n}\n"));
    }
    out
}

/// The exposure as SARIF 2.1.0: one rule per question, one result per principal that
/// can (error) or may (warning).
pub fn sarif(e: &Exposure, source: &str) -> Value {
    let (uri, relative) = crate::check::artifact_uri(source);
    let mut artifact = json!({"uri": uri});
    if relative {
        artifact["uriBaseId"] = json!("%SRCROOT%");
    }
    let help_uri = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/exposure.md");
    let rules: Vec<Value> = Question::ALL
        .iter()
        .map(|q| {
            json!({
                "id": format!("exposure-{}", q.name()),
                "name": crate::check::pascal_case(&format!("exposure-{}", q.name())),
                "shortDescription": {"text": q.title()},
                "helpUri": help_uri,
                "defaultConfiguration": {"level": "error"}
            })
        })
        .collect();
    let mut results = Vec::new();
    for v in &e.vaults {
        for t in &v.types {
            for a in &t.answers {
                let rule = format!("exposure-{}", a.question.name());
                for p in &a.principals {
                    let codes: Vec<&str> = p.routes.iter().map(|r| r.code.as_str()).collect();
                    results.push(json!({
                        "ruleId": rule,
                        "level": "error",
                        "message": {"text": format!("{} can {} the {} recovery points of vault `{}` ({})", p.principal, a.question.name(), t.resource_type, v.name, codes.join(", "))},
                        "locations": [{"physicalLocation": {"artifactLocation": artifact}}],
                        "properties": {"vault": v.arn, "resourceType": t.resource_type, "principal": p.principal, "routes": p.routes},
                    }));
                }
                for u in &a.unknown {
                    results.push(json!({
                        "ruleId": rule,
                        "level": "warning",
                        "message": {"text": format!("{} may {} the {} recovery points of vault `{}` [{}]: {}", u.principal, a.question.name(), t.resource_type, v.name, u.code, u.settle)},
                        "locations": [{"physicalLocation": {"artifactLocation": artifact}}],
                    }));
                }
            }
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "vaultward", "informationUri": env!("CARGO_PKG_REPOSITORY"), "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results
        }]
    })
}

/// The exposure as one self-contained HTML page.
pub fn html(e: &Exposure) -> String {
    let mut body = String::new();
    for v in &e.vaults {
        body.push_str(&format!(
            "<section><h2>Vault {}</h2><p><code>{}</code></p><p>{}</p>",
            esc(&v.name),
            esc(&v.arn),
            esc(&v.lock)
        ));
        for t in &v.types {
            body.push_str(&format!(
                "<h3>{} ({} recovery points)</h3><ul>",
                esc(&t.resource_type),
                t.recovery_points
            ));
            for p in &t.protects {
                body.push_str(&format!("<li>{}</li>", esc(p)));
            }
            body.push_str(
                "</ul><table><tr><th>question</th><th>answer</th><th>principals</th></tr>",
            );
            for a in &t.answers {
                let mut cell = String::new();
                for p in &a.principals {
                    let routes: Vec<String> = p
                        .routes
                        .iter()
                        .map(|r| format!("<code>{}</code> {}", esc(&r.code), esc(&r.title)))
                        .collect();
                    cell.push_str(&format!(
                        "<p><b>{}</b><br>{}</p>",
                        esc(&p.principal),
                        routes.join("<br>")
                    ));
                }
                for u in &a.unknown {
                    cell.push_str(&format!(
                        "<p class=\"unknown\">unknown: {} <code>{}</code>: {}</p>",
                        esc(&u.principal),
                        esc(&u.code),
                        esc(&u.settle)
                    ));
                }
                for r in &a.refused {
                    cell.push_str(&format!("<p class=\"refused\">refused: {} <code>{}</code>: {} (<a href=\"{}\">source</a>)</p>", esc(&r.principal), esc(&r.action), esc(&r.why), esc(&r.source)));
                }
                if let Some(f) = &a.fix {
                    cell.push_str(&format!(
                        "<p class=\"fix\">fix ({}): <code>{}</code></p>",
                        if f.verified {
                            "verified"
                        } else {
                            "not verified"
                        },
                        esc(&f.scp.to_string())
                    ));
                }
                body.push_str(&format!(
                    "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>",
                    match a.status {
                        Status::Exposed => "exposed",
                        Status::None => "none",
                        Status::Unknown => "unknown",
                    },
                    esc(a.question.title()),
                    esc(&status_words(a)),
                    cell
                ));
            }
            body.push_str("</table>");
        }
        body.push_str("</section>");
    }
    let notes: String = e
        .notes
        .iter()
        .map(|n| format!("<p class=\"note\">{}</p>", esc(n)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>vaultward exposure: {acct}</title>\
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.4em;vertical-align:top}}\
tr.exposed td:nth-child(2){{color:#b00}}tr.unknown td:nth-child(2){{color:#a60}}tr.none td:nth-child(2){{color:#070}}</style></head>\
<body><h1>Who can destroy, read or give away the backups of account {acct}</h1><p>verdict: <b>{verdict:?}</b></p>{body}{notes}</body></html>\n",
        acct = esc(&e.account),
        verdict = e.verdict,
    )
}

/// The exposure section of `docs/codes.md`, from the table.
pub fn codes_markdown() -> String {
    let mut out = String::from("## Exposure\n\nThe questions of `vaultward exposure` (the SARIF rule ids) and the route codes of each answer (the JSON report's `routes[].code`); the table they come from is `crates/backup/src/vaults/table.rs`, and [exposure.md](exposure.md) explains them.\n");
    for q in Question::ALL {
        out.push_str(&format!(
            "\n### exposure-{}\n\n{}.\n\n",
            q.name(),
            capital(q.title())
        ));
        let mut rows: Vec<(&str, &str)> = table::BACKUP_ROUTES
            .iter()
            .chain(table::KEY_ROUTES)
            .chain(table::TYPES.iter().flat_map(|t| t.routes))
            .filter(|r| r.question == q)
            .map(|r| (r.code, r.title))
            .collect();
        if q == Question::Read {
            rows.push(("existing-share", "another account may already hold a share of the recovery point (unknown: sharing is not collected)"));
        }
        if q == Question::Change {
            rows.extend([
                ("vault-policy-write", "write or delete the vault access policy"),
                ("key-policy-write", "write the key policy"),
                ("key-grant", "grant the key to any principal"),
                ("iam-write", "an IAM write of `audit` (iam-write class)"),
                ("chain", "hops of `audit` (assume-role, pass-role, code-injection) to a principal that destroys, reads or changes"),
            ]);
        }
        let mut seen = Vec::new();
        for (code, title) in rows {
            if !seen.contains(&code) {
                seen.push(code);
                out.push_str(&format!("- `{code}`: {title}\n"));
            }
        }
    }
    out
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
