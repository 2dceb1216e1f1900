//! `vaultward snapshot from-aws-cli DIR [--out FILE]`: build an account snapshot from a
//! folder of AWS CLI outputs (layout in docs/snapshot.md). Exit 2 when a file is unreadable.

use std::path::PathBuf;
use std::process::ExitCode;

use vaultward_snapshot::awscli::from_aws_cli;

use crate::output::write_atomically;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Read a folder of AWS CLI outputs.
    FromAwsCli {
        /// The folder of AWS CLI outputs (docs/snapshot.md lists the files).
        dir: PathBuf,
        /// Write the snapshot here (atomically) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let Command::FromAwsCli { dir, out } = cmd;
    let snapshot = match from_aws_cli(&dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let text = format!("{}\n", serde_json::to_string_pretty(&snapshot)?);
    match out {
        Some(path) => write_atomically(&path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
