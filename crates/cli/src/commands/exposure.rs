//! `vaultward exposure SNAPSHOT [--vault NAME ...] [--format human|json|sarif|html]
//! [--out FILE] [--no-fix]`: for every backup vault of the snapshot and each resource type
//! of its recovery points, who can destroy the backups, who can read or take them, and who
//! can change who can, over every principal (docs/exposure.md). Exit 0 when no principal
//! can, 1 when one can, 3 when none is confirmed but the snapshot lacks what would settle
//! one, 2 for bad input. `--context`, `--network` and `--at` give request values.

use std::path::PathBuf;
use std::process::ExitCode;

use vaultward_backup::vaults::{exposure, html, render_human, sarif, ExposureOptions};

use crate::input::display_name;
use crate::output::write_atomically;
use crate::selection;

#[derive(clap::Args)]
pub struct Args {
    /// The account snapshot (see docs/snapshot.md).
    snapshot: PathBuf,
    /// Only this vault, by name or ARN (repeatable; default: every vault).
    #[arg(long = "vault", value_name = "NAME")]
    vaults: Vec<String>,
    /// Output format.
    #[arg(long, default_value = "human", value_parser = ["human", "json", "sarif", "html"], ignore_case = true)]
    format: String,
    /// Write the report here (atomically) instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Do not propose and verify a fix per exposure (faster).
    #[arg(long)]
    no_fix: bool,
    #[command(flatten)]
    facts: selection::FactArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = display_name(&args.snapshot);
    let (snapshot, _) = match selection::snapshot_and_text(&args.snapshot)? {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let facts = match args.facts.read()? {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let opts = ExposureOptions {
        vaults: args.vaults,
        facts,
        fixes: !args.no_fix,
    };
    let report = match exposure(&snapshot, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: `--vault`: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let text = match args.format.to_ascii_lowercase().as_str() {
        "json" => format!("{}\n", serde_json::to_string_pretty(&report)?),
        "sarif" => format!(
            "{}\n",
            serde_json::to_string_pretty(&sarif(&report, &name))?
        ),
        "html" => html(&report),
        _ => render_human(&report),
    };
    match args.out {
        Some(path) => write_atomically(&path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(ExitCode::from(report.verdict.exit_code()))
}
