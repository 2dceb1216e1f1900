//! `vaultward check SNAPSHOT|ORG_DIR --role ARN [--assets s3,dynamodb,ec2] [--operations backup,restore]
//! [--format human|json|sarif|html] [--out FILE] [--inventory PATH]...
//! [--assume-org-policies-allow] [--continuous-s3]`: will every backup
//! and restore work? Exit 0 only when every pair was decided ok, 1 when something blocks,
//! 3 when nothing blocks but some pair is unknown, 2 for bad input.

use std::path::PathBuf;
use std::process::ExitCode;

use vaultward_backup::check::{html, render_human, sarif, Source};
use vaultward_backup::Plan;

use crate::input::display_name;
use crate::output::{write_atomically, write_json};
use crate::selection;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: selection::CheckArgs,
    /// Report format: human text, JSON, SARIF 2.1.0, or a self-contained HTML page.
    #[arg(long, default_value = "human", value_parser = ["human", "json", "sarif", "html"], ignore_case = true)]
    format: String,
    /// Write the report here (atomically) instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// S3 Inventory listings, streamed; repeat for several: a `manifest.json` (with its data
    /// files next to it, as `aws s3 sync` lays them out), `.csv.gz`, `.orc`, `.parquet`, or
    /// a CSV with a header row. A listing replaces the snapshot's objects of the buckets it covers.
    #[arg(long)]
    inventory: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.target.is_organization() {
        return run_org(args);
    }
    let name = display_name(&args.target.snapshot);
    let (snapshot, opts, text) = match args.target.load_with_text()? {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut plan = match Plan::new(&snapshot, &opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: `--role`: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    for path in &args.inventory {
        if let Err(e) = plan.read_inventory(path) {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    }
    let report = plan.run();
    let source = Source {
        name: &name,
        text: Some(&text),
        generated: Some(selection::report_time()),
    };
    let text = match args.format.to_ascii_lowercase().as_str() {
        "json" => format!("{}\n", serde_json::to_string_pretty(&report)?),
        "sarif" => format!(
            "{}\n",
            serde_json::to_string_pretty(&sarif(&report, &source))?
        ),
        "html" => html(&report, &source),
        _ => render_human(&report),
    };
    match args.out {
        Some(path) => write_atomically(&path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(ExitCode::from(report.status.exit_code()))
}

/// `check DIR`: every account of the organization, one report.
fn run_org(args: Args) -> anyhow::Result<ExitCode> {
    use vaultward_backup::organization::{check_organization, html_org, render_human, sarif_org};
    let dir = args.target.snapshot.clone();
    let name = display_name(&dir);
    if !args.inventory.is_empty() {
        eprintln!("error: `--inventory` is for one account's snapshot; check the account's file in `{name}/accounts/`");
        return Ok(ExitCode::from(2));
    }
    let (org, opts) = match args.target.load_org()? {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let report = check_organization(&org.accounts, |a| org.snapshot(&dir, a), &opts);
    let text = match args.format.to_ascii_lowercase().as_str() {
        // An organization's JSON is large: streamed, never held as one string.
        "json" => {
            write_json(args.out.as_deref(), &report)?;
            return Ok(ExitCode::from(report.status.exit_code()));
        }
        "sarif" => format!(
            "{}\n",
            serde_json::to_string_pretty(&sarif_org(&report, &name))?
        ),
        "html" => html_org(&report, Some(&selection::report_time())),
        _ => render_human(&report),
    };
    match args.out {
        Some(path) => write_atomically(&path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(ExitCode::from(report.status.exit_code()))
}
