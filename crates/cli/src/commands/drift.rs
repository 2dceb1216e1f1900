//! `vaultward drift --expected FILE --actual IAM_EXPORT.json [--format json]`: compare the
//! deployed roles and policies with the permissions file. `FILE` is the output of
//! `vaultward permissions --format json`; the export is the output of
//! `aws iam get-account-authorization-details`. Exit 0 without drift, 1 with drift, 2 for
//! unreadable input.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;
use vaultward_backup::drift;
use vaultward_iam::{diagnostic::render, Finding};
use vaultward_model::Bundle;

use crate::input::{display_name, read_text};

#[derive(clap::Args)]
pub struct Args {
    /// The permissions file, as `vaultward permissions --format json` writes it.
    #[arg(long)]
    expected: PathBuf,
    /// The output of `aws iam get-account-authorization-details`.
    #[arg(long)]
    actual: PathBuf,
    /// Output format.
    #[arg(long, default_value = "human", value_parser = ["human", "json"], ignore_case = true)]
    format: String,
}

#[derive(Serialize)]
struct Output<'a> {
    file: &'a str,
    findings: &'a [Finding],
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let expected_name = display_name(&args.expected);
    let bundle: Bundle = serde_json::from_str(&read_text(&args.expected)?).with_context(|| {
        format!("`{expected_name}` is not a permissions file: write one with `vaultward permissions --format json`")
    })?;
    let actual_name = display_name(&args.actual);
    let text = read_text(&args.actual)?;
    let findings = drift(&bundle, &text).with_context(|| format!("cannot read `{actual_name}`"))?;
    if args.format.eq_ignore_ascii_case("json") {
        println!(
            "{}",
            serde_json::to_string_pretty(&Output {
                file: &actual_name,
                findings: &findings
            })?
        );
    } else if findings.is_empty() {
        println!("{actual_name}: no drift from {expected_name}");
    } else {
        print!("{}", render(&actual_name, &findings));
    }
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
