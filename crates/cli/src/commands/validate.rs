//! `vaultward validate POLICY.json --kind KIND [--format human|json|sarif]`: run every
//! check of the table `vaultward_iam::diagnostic::checks` (IAM Access Analyzer's policy
//! checks under their names and severities, and Vaultward's own) and print the findings.
//!
//! Exit 0 when there is no error-severity finding, 1 when there is, 2 when the file
//! cannot be read. `--format json` prints `{"file": ..., "kind": ..., "findings": [...]}`,
//! each finding with `severity`, `code`, `message`, `path`, `line`, `column`, `help`;
//! `--format sarif` prints SARIF 2.1.0 with one rule per check.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use vaultward_catalog::validate_policy_in;
use vaultward_iam::diagnostic::{checks, render, sarif};
use vaultward_iam::{Finding, PolicyKind, Severity};

use crate::input::{display_name, has_utf8_bom, read_bytes};

#[derive(clap::Args)]
pub struct Args {
    /// The policy document (`-` for standard input).
    policy: PathBuf,
    /// Where the policy is attached.
    #[arg(long, value_parser = ["identity", "resource", "trust", "scp", "rcp", "boundary", "session", "key", "vault"], ignore_case = true)]
    kind: String,
    /// The account the policy lives in: a trust policy's principals of other accounts are
    /// then told from its own (cross-account trusts need `sts:ExternalId`).
    #[arg(long)]
    account: Option<String>,
    /// Output format: `human`, `json`, or `sarif` (SARIF 2.1.0, one rule per check).
    #[arg(long, default_value = "human", value_parser = ["human", "json", "sarif"], ignore_case = true)]
    format: String,
}

#[derive(Serialize)]
struct Output<'a> {
    file: &'a str,
    kind: PolicyKind,
    findings: &'a [Finding],
}

/// The text of bytes already read (the encoding checks of `read_text`).
fn read_text_from(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<String> {
    crate::input::decode(&display_name(path), bytes)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = display_name(&args.policy);
    // Read once: standard input cannot be read twice.
    let bytes = read_bytes(&args.policy)?;
    let text = match read_text_from(&args.policy, &bytes) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let kind = PolicyKind::parse(&args.kind.to_ascii_lowercase())
        .ok_or_else(|| anyhow::anyhow!("unknown policy kind `{}`", args.kind))?;
    let mut findings = validate_policy_in(&text, kind, args.account.as_deref());
    if has_utf8_bom(&bytes) {
        let mut f = Finding::of(
            &checks::UTF8_BOM,
            "the file starts with a UTF-8 byte-order mark, which is not part of JSON (RFC 8259, section 8.1)".to_string(),
            "$".to_string(),
        );
        f.line = Some(1);
        f.column = Some(1);
        f.help = Some("save the file as UTF-8 without a byte-order mark".into());
        findings.insert(0, f);
    }
    if args.format.eq_ignore_ascii_case("sarif") {
        let (uri, relative) = vaultward_backup::check::artifact_uri(&name);
        let artifact = sarif::Artifact {
            uri: &uri,
            relative,
        };
        let log = sarif::sarif(&findings, &artifact, vaultward_backup::check::CODES_DOC);
        println!("{}", serde_json::to_string_pretty(&log)?);
    } else if args.format.eq_ignore_ascii_case("json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&Output {
                file: &name,
                kind,
                findings: &findings
            })?
        );
    } else if findings.is_empty() {
        println!("{name}: no findings");
    } else {
        print!("{}", render(&name, &findings));
    }
    let errors = findings.iter().any(|f| f.severity == Severity::Error);
    Ok(if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The checks `validate` runs, for `--help`: one line each (id, severity, kinds), from the table.
pub fn checks_help() -> String {
    let mut out = String::from(
        "Checks (IAM Access Analyzer's under their names and severities, then Vaultward's; docs/codes.md describes each):\n",
    );
    for c in checks::ALL {
        let kinds: Vec<&str> = c.kinds.iter().map(|k| kind_name(*k)).collect();
        let kinds = if c.kinds.len() == checks::ANY.len() {
            "every kind".to_string()
        } else {
            kinds.join(", ")
        };
        let retired = if c.raised {
            ""
        } else {
            " (not raised: see docs)"
        };
        out.push_str(&format!(
            "  {:<58} {:<16} {kinds}{retired}\n",
            c.id,
            c.severity.as_str()
        ));
    }
    out
}

fn kind_name(k: PolicyKind) -> &'static str {
    match k {
        PolicyKind::Identity => "identity",
        PolicyKind::Resource => "resource",
        PolicyKind::Trust => "trust",
        PolicyKind::Scp => "scp",
        PolicyKind::Rcp => "rcp",
        PolicyKind::Boundary => "boundary",
        PolicyKind::Session => "session",
        PolicyKind::Key => "key",
        PolicyKind::Vault => "vault",
    }
}
