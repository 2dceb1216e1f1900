//! `vaultward exposure SNAPSHOT [--vault NAME ...] [--format human|json|sarif|html]
//! [--out FILE] [--no-fix]`: for every backup vault of the snapshot and each resource type
//! of its recovery points, who can destroy the backups, who can read or take them, and who
//! can change who can, over every principal (docs/exposure.md). `SNAPSHOT` may be
//! `serve`'s data directory, with `--serve-config` its configuration: one report per
//! account. Exit 0 when no principal can, 1 when one can, 3 when none is confirmed but the
//! snapshot lacks what would settle one, 2 for bad input. `--context`, `--network` and
//! `--at` give request values.

use std::path::PathBuf;
use std::process::ExitCode;

use vaultward_backup::vaults::{exposure, html, render_human, sarif, ExposureOptions, Verdict};
use vaultward_backup::Snapshot;

use crate::input::{display_name, read_text};
use crate::output::write_atomically;
use crate::selection;

#[derive(clap::Args)]
pub struct Args {
    /// The account snapshot (see docs/snapshot.md), or `vaultward serve`'s data directory
    /// (with `--serve-config`).
    snapshot: PathBuf,
    /// `vaultward serve`'s configuration (its `--config`), when SNAPSHOT is its data
    /// directory: the principals and their policies.
    #[arg(long, value_name = "FILE")]
    serve_config: Option<PathBuf>,
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

/// The snapshots to answer: the file, or one per account of `serve`'s data directory;
/// each with whether its root user may call.
fn snapshots(args: &Args) -> anyhow::Result<Result<Vec<(Snapshot, bool)>, String>> {
    if !args.snapshot.is_dir() {
        return Ok(selection::snapshot_and_text(&args.snapshot)?.map(|(s, _)| vec![(s, true)]));
    }
    let Some(config) = &args.serve_config else {
        return Ok(Err(format!(
            "{} is a directory: give `--serve-config FILE` (its `vaultward serve --config`) to answer serve's data directory, or a snapshot file",
            args.snapshot.display()
        )));
    };
    let text = read_text(config)?;
    Ok(crate::served::snapshots(
        &display_name(config),
        &text,
        &args.snapshot,
    ))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = display_name(&args.snapshot);
    let served = args.snapshot.is_dir();
    let snapshots = match snapshots(&args)? {
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
        vaults: args.vaults.clone(),
        facts,
        fixes: !args.no_fix,
        backup_api_only: served,
        without_root: false,
    };
    let mut reports = Vec::new();
    for (snapshot, root) in &snapshots {
        // Across a data directory's accounts, a vault named is looked for in each.
        let mut o = opts.clone();
        o.without_root = !root;
        if served {
            o.vaults.retain(|v| {
                snapshot
                    .backup_vaults
                    .iter()
                    .any(|x| &x.name == v || &x.arn == v)
            });
            if !opts.vaults.is_empty() && o.vaults.is_empty() {
                continue;
            }
        }
        match exposure(snapshot, &o) {
            Ok(r) => reports.push(r),
            Err(e) => {
                eprintln!("error: `--vault`: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    if served && !opts.vaults.is_empty() && reports.is_empty() {
        eprintln!(
            "error: `--vault`: no account of the data directory holds {}",
            opts.vaults.join(", ")
        );
        return Ok(ExitCode::from(2));
    }
    let text = match args.format.to_ascii_lowercase().as_str() {
        "json" if served => format!("{}\n", serde_json::to_string_pretty(&reports)?),
        "json" => format!("{}\n", serde_json::to_string_pretty(&reports.first())?),
        "sarif" => reports
            .iter()
            .map(|r| {
                Ok(format!(
                    "{}\n",
                    serde_json::to_string_pretty(&sarif(r, &name))?
                ))
            })
            .collect::<anyhow::Result<String>>()?,
        "html" => reports.iter().map(html).collect(),
        _ => reports
            .iter()
            .map(render_human)
            .collect::<Vec<_>>()
            .join("\n"),
    };
    match args.out {
        Some(path) => write_atomically(&path, text.as_bytes())?,
        None => print!("{text}"),
    }
    let worst = reports
        .iter()
        .map(|r| r.verdict)
        .max_by_key(|v| match v {
            Verdict::Protected => 0,
            Verdict::Unknown => 1,
            Verdict::Exposed => 2,
        })
        .unwrap_or(Verdict::Protected);
    Ok(ExitCode::from(worst.exit_code()))
}
