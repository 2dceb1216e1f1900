//! `vaultward authorize`: evaluate one case, or a JSONL stream of cases.
//!
//! Output: one JSON object per case, `{"decision": "allow"|"explicit_deny"|"implicit_deny",
//! "reasons": [...], "notes": [...], "findings": [...]}`. Exit 0 whenever every case was
//! decided; 2 when a case is invalid (its located errors go to standard error, and in
//! JSONL mode its line is `{"line": N, "errors": [...]}` so the output stays aligned).

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;
use vaultward_iam::{authorize, diagnostic::render, parse_case, Finding, Response};

use crate::input::{display_name, read_text};

#[derive(clap::Args)]
pub struct Args {
    /// The case file (`-` for standard input). A `.jsonl` file holds one case per line.
    #[arg(long, short)]
    input: PathBuf,
    /// Read the input as JSON Lines, whatever its name.
    #[arg(long)]
    jsonl: bool,
}

#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    response: &'a Response,
    #[serde(skip_serializing_if = "<[Finding]>::is_empty")]
    findings: &'a [Finding],
}

#[derive(Serialize)]
struct LineError<'a> {
    line: usize,
    errors: &'a [Finding],
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = display_name(&args.input);
    let jsonl = args.jsonl || args.input.extension().is_some_and(|e| e == "jsonl");
    if jsonl {
        return run_jsonl(&args, &name);
    }
    let text = read_text(&args.input)?;
    match parse_case(&text) {
        Ok(case) => {
            let response = authorize(&case.request, &case.policies);
            let out = Output {
                response: &response,
                findings: &case.findings,
            };
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprint!("{}", render(&name, &e.findings));
            Ok(ExitCode::from(2))
        }
    }
}

fn run_jsonl(args: &Args, name: &str) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = if args.input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f =
            std::fs::File::open(&args.input).with_context(|| format!("cannot read `{name}`"))?;
        Box::new(std::io::BufReader::with_capacity(1 << 20, f))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut failed = false;
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read line {} of `{name}`", i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_case(&line) {
            Ok(case) => {
                let response = authorize(&case.request, &case.policies);
                serde_json::to_writer(
                    &mut out,
                    &Output {
                        response: &response,
                        findings: &case.findings,
                    },
                )?;
            }
            Err(e) => {
                failed = true;
                eprint!("{}", render(&format!("{name}:line {}", i + 1), &e.findings));
                serde_json::to_writer(
                    &mut out,
                    &LineError {
                        line: i + 1,
                        errors: &e.findings,
                    },
                )?;
            }
        }
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
