//! `vaultward validate POLICY.json --kind KIND [--format json]`: print the structural and
//! catalog findings (unknown actions, resources no action can name, unsupported keys).
//!
//! Exit 0 when there is no error-severity finding, 1 when there is, 2 when the file
//! cannot be read. `--format json` prints `{"file": ..., "kind": ..., "findings": [...]}`,
//! each finding with `severity`, `code`, `message`, `path`, `line`, `column`, `help`.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use vaultward_catalog::validate_policy_in;
use vaultward_iam::{diagnostic::render, Finding, PolicyKind, Severity};

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
    /// Output format.
    #[arg(long, default_value = "human", value_parser = ["human", "json"], ignore_case = true)]
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
        let mut f = Finding::new(
            Severity::Warning,
            "utf8-bom",
            "the file starts with a UTF-8 byte-order mark, which is not part of JSON (RFC 8259, section 8.1)".to_string(),
            "$".to_string(),
        );
        f.line = Some(1);
        f.column = Some(1);
        f.help = Some("save the file as UTF-8 without a byte-order mark".into());
        findings.insert(0, f);
    }
    if args.format.eq_ignore_ascii_case("json") {
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
