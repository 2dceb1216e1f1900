//! `vaultward fix SNAPSHOT --role ARN --out DIR`: write, per blocking finding, the patched
//! document and a unified diff, each verified (the finding is gone with the patch, and no
//! other principal gains access), plus `fixes.json`. Exit 0 when every fix is verified,
//! 1 when one is not (it is still written, and marked), 2 for bad input.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use vaultward_backup::fix::fixes;

use crate::output::write_atomically;
use crate::selection;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: selection::CheckArgs,
    /// The folder to write the fixes into (created if needed).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (snapshot, opts) = match args.target.load()? {
        Ok(found) => found,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let list = match fixes(&snapshot, &opts) {
        Ok(list) => list,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create `{}`", args.out.display()))?;
    let mut all_verified = true;
    for f in &list {
        write_atomically(&args.out.join(&f.file), f.after.as_bytes())?;
        write_atomically(
            &args.out.join(format!("{}.diff", f.file)),
            f.diff.as_bytes(),
        )?;
        let v = &f.verification;
        let status = if v.verified() {
            "verified"
        } else {
            "NOT VERIFIED"
        };
        all_verified &= v.verified();
        println!("{} [{}] {}: {}", status, f.code, f.resource, f.description);
        println!(
            "  finding cleared: {}; no new access for {} other principals over {} actions: {}",
            v.finding_cleared, v.principals_checked, v.actions_checked, v.no_new_access
        );
        for g in v.gained.iter().take(5) {
            println!("  would open: {g}");
        }
        if let Some(c) = &f.caveat {
            println!("  caveat: {c}");
        }
        println!("  wrote {} and {}.diff", f.file, f.file);
    }
    write_atomically(
        &args.out.join("fixes.json"),
        format!("{}\n", serde_json::to_string_pretty(&list)?).as_bytes(),
    )?;
    if list.is_empty() {
        println!("nothing to fix");
    }
    Ok(if all_verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
