//! `vaultward validate POLICY.json --kind KIND [--format json]`: print the structural and
//! catalog findings (unknown actions, resources no action can name, unsupported keys).
//!
//! Exit 0 when there is no error-severity finding, 1 when there is, 2 when the file
//! cannot be read. `--format json` prints `{"file": ..., "kind": ..., "findings": [...]}`,
//! each finding with `severity`, `code`, `message`, `path`, `line`, `column`, `help`.

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use vaultward_catalog::validate_policy;
use vaultward_iam::{diagnostic::render, Finding, PolicyKind, Severity};

use crate::input::{display_name, read_text};

#[derive(clap::Args)]
pub struct Args {
    /// The policy document (`-` for standard input).
    policy: PathBuf,
    /// Where the policy is attached.
    #[arg(long, value_parser = ["identity", "resource", "trust", "scp", "rcp", "boundary", "session", "key", "vault"])]
    kind: String,
    #[arg(long, default_value = "human", value_parser = ["human", "json"])]
    format: String,
}

#[derive(Serialize)]
struct Output<'a> {
    file: &'a str,
    kind: PolicyKind,
    findings: &'a [Finding],
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = display_name(&args.policy);
    let text = read_text(&args.policy)?;
    let kind = PolicyKind::parse(&args.kind)
        .ok_or_else(|| anyhow::anyhow!("unknown policy kind `{}`", args.kind))?;
    let findings = validate_policy(&text, kind);
    if args.format == "json" {
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
