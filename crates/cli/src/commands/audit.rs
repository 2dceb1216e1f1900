//! `vaultward audit SNAPSHOT --role ARN [--format human|json|sarif] [--out FILE]`: the
//! privilege-escalation, exposure and destruction paths the role's effective permissions
//! open, each confirmed by the engine, hops into other roles followed to their end. Exit 0
//! when none is open and the role's side was read in full, 1 when a path is open, 3 when
//! part of the role's side could not be read or a path is possible only for some values or
//! lists the snapshot does not hold (and no path was confirmed), 2 for bad input.
//! `--context`, `--network` and `--at` give those values.

use std::path::PathBuf;
use std::process::ExitCode;

use vaultward_backup::audit::{audit, render_human, sarif};

use crate::input::display_name;
use crate::output::write_atomically;
use crate::selection;

#[derive(clap::Args)]
pub struct Args {
    /// The account snapshot (see docs/snapshot.md).
    snapshot: PathBuf,
    /// The role to audit: its ARN, with its path (the generated role, or a vendor's role).
    #[arg(long)]
    role: String,
    /// Output format.
    #[arg(long, default_value = "human", value_parser = ["human", "json", "sarif"], ignore_case = true)]
    format: String,
    /// Write the report here (atomically) instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    facts: selection::FactArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = display_name(&args.snapshot);
    let (snapshot, source) = match selection::snapshot_and_text(&args.snapshot)? {
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
    let report = match audit(&snapshot, &args.role, &facts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: `--role`: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let text = match args.format.to_ascii_lowercase().as_str() {
        "json" => format!("{}\n", serde_json::to_string_pretty(&report)?),
        "sarif" => format!(
            "{}\n",
            serde_json::to_string_pretty(&sarif(&report, &name, Some(&source)))?
        ),
        _ => render_human(&report),
    };
    match args.out {
        Some(path) => write_atomically(&path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(ExitCode::from(report.verdict.exit_code()))
}
