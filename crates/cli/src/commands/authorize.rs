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

/// Cases are read in batches; each batch is split across the machine's cores and the
/// results are written back in input order.
const BATCH: usize = 1024;

fn run_jsonl(args: &Args, name: &str) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn BufRead> = if args.input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f =
            std::fs::File::open(&args.input).with_context(|| format!("cannot read `{name}`"))?;
        Box::new(std::io::BufReader::with_capacity(1 << 20, f))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut failed = false;
    let mut batch: Vec<(usize, String)> = Vec::with_capacity(BATCH);
    let mut lines = reader.lines().enumerate();
    loop {
        batch.clear();
        for (i, line) in lines.by_ref() {
            let line = line.with_context(|| format!("cannot read line {} of `{name}`", i + 1))?;
            if !line.trim().is_empty() {
                batch.push((i + 1, line));
            }
            if batch.len() == BATCH {
                break;
            }
        }
        if batch.is_empty() {
            break;
        }
        let chunk = batch.len().div_ceil(threads);
        let results: Vec<Vec<Decided>> = std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|(n, l)| decide(name, *n, l))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let decided: usize = results.iter().map(Vec::len).sum();
        if decided != batch.len() {
            anyhow::bail!("a worker thread failed while evaluating `{name}`");
        }
        for d in results.into_iter().flatten() {
            if let Some(errors) = d.errors {
                failed = true;
                eprint!("{errors}");
            }
            out.write_all(d.json.as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// One evaluated line: its JSON output, and the rendered errors if it was invalid.
#[derive(Default)]
struct Decided {
    json: String,
    errors: Option<String>,
}

/// `name` is the file, named in each error ("cases.jsonl, line 3").
fn decide(name: &str, line_no: usize, line: &str) -> Decided {
    let encoded = match parse_case(line) {
        Ok(case) => {
            let response = authorize(&case.request, &case.policies);
            serde_json::to_string(&Output {
                response: &response,
                findings: &case.findings,
            })
            .map(|json| Decided { json, errors: None })
        }
        Err(e) => serde_json::to_string(&LineError {
            line: line_no,
            errors: &e.findings,
        })
        .map(|json| Decided {
            json,
            errors: Some(render(&format!("{name}, line {line_no}"), &e.findings)),
        }),
    };
    // Serializing these plain structs cannot fail; keep the line count aligned regardless.
    encoded.unwrap_or_else(|e| Decided {
        json: format!("{{\"line\":{line_no},\"errors\":[{{\"message\":\"{e}\"}}]}}"),
        errors: None,
    })
}
