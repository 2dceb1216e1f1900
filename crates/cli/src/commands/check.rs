//! `vaultward check SNAPSHOT --role ARN [--assets s3,dynamodb,ec2] [--operations backup,restore]
//! [--format human|json|sarif|html] [--out FILE]`: will every backup and restore work?
//! Exit 0 when nothing blocks, 1 when something blocks, 2 for bad input.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use vaultward_backup::check::{html, render_human, sarif};
use vaultward_backup::{check_with_inventory, Inventory};

use crate::input::display_name;
use crate::output::write_atomically;
use crate::selection;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: selection::CheckArgs,
    #[arg(long, default_value = "human", value_parser = ["human", "json", "sarif", "html"])]
    format: String,
    /// Write the report here (atomically) instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// S3 Inventory listings (CSV with a header row, or `.parquet`), streamed; repeat for several.
    #[arg(long)]
    inventory: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = display_name(&args.target.snapshot);
    let (snapshot, opts) = match args.target.load()? {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut inventory = Inventory::default();
    for path in &args.inventory {
        let file = std::fs::File::open(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let listing = path.display().to_string();
        let read = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            inventory.read_parquet(&listing, file)
        } else {
            inventory.read_csv(&listing, std::io::BufReader::with_capacity(1 << 20, file))
        };
        if let Err(e) = read {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    }
    let inventory = (!args.inventory.is_empty()).then_some(&inventory);
    let report = check_with_inventory(&snapshot, &opts, inventory);
    let text = match args.format.as_str() {
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
    Ok(if report.blocks() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
