//! `vaultward authorize`: evaluate one case, a JSONL stream of cases, or a stream of
//! requests under one policy set.
//!
//! Output: one JSON object per case, `{"decision": "allow"|"explicit_deny"|"implicit_deny",
//! "reasons": [...], "notes": [...], "findings": [...]}`. Exit 0 whenever every case was
//! decided; 2 when a case is invalid (its located errors go to standard error, and in
//! JSONL mode its line is `{"line": N, "errors": [...]}` so the output stays aligned).
//!
//! In a stream, each policy is compiled once: a document (or a whole set of policies)
//! seen before, byte for byte, is taken from a bounded cache ([`CaseParser`]), and
//! `--policies SET --requests REQUESTS` reads the set once and then each line of
//! REQUESTS as the `request` of a case under it. Either way every line's output is what
//! the case alone gives.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;
use vaultward_iam::{
    authorize, diagnostic::render, evaluate, parse_case, CachedCase, CaseError, CaseParser,
    Finding, PolicySetSource, Response,
};

use crate::input::{display_name, read_text};

#[derive(clap::Args)]
pub struct Args {
    /// The case file (`-` for standard input). A `.jsonl` file holds one case per line.
    #[arg(long, short, required_unless_present = "policies")]
    input: Option<PathBuf>,
    /// Read the input as JSON Lines, whatever its name.
    #[arg(long)]
    jsonl: bool,
    /// A policy set, read once: a case's fields without `request` (`identity_policies`,
    /// `resource_policy`, `scps`, ...). Requests come from `--requests`.
    #[arg(long, requires = "requests", conflicts_with_all = ["input", "jsonl"])]
    policies: Option<PathBuf>,
    /// JSON Lines of requests (a case's `request`, one per line; `-` for standard input),
    /// each decided under `--policies`.
    #[arg(long, requires = "policies")]
    requests: Option<PathBuf>,
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
    if let (Some(policies), Some(requests)) = (&args.policies, &args.requests) {
        let set_name = display_name(policies);
        let set = match PolicySetSource::new(read_text(policies)?) {
            Ok(set) => set,
            Err(e) => {
                eprint!("{}", render(&set_name, &e.findings));
                return Ok(ExitCode::from(2));
            }
        };
        return run_jsonl(requests, Source::Requests(set));
    }
    let Some(input) = &args.input else {
        anyhow::bail!("give `--input CASES`, or `--policies SET --requests REQUESTS`");
    };
    if args.jsonl || input.extension().is_some_and(|e| e == "jsonl") {
        return run_jsonl(input, Source::Cases);
    }
    let name = display_name(input);
    let text = read_text(input)?;
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

/// What each line of a stream is.
#[derive(Clone)]
enum Source {
    /// A whole case.
    Cases,
    /// A request, decided under this set.
    Requests(PolicySetSource),
}

/// Lines are read in batches into one buffer, reused; each batch is split across the
/// machine's cores, each core with its own reader (and so its own cache of policies),
/// and the results are written back in input order.
const BATCH_LINES: usize = 1024;
const BATCH_BYTES: usize = 8 << 20;

/// One worker: its reader, its source and what it wrote for its part of the batch.
struct Worker {
    parser: CaseParser,
    source: Source,
    out: Vec<u8>,
    errors: String,
    failed: bool,
}

fn run_jsonl(input: &std::path::Path, source: Source) -> anyhow::Result<ExitCode> {
    let name = display_name(input);
    let mut reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(input).with_context(|| format!("cannot read `{name}`"))?;
        Box::new(std::io::BufReader::with_capacity(1 << 20, f))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut workers: Vec<Worker> = (0..threads)
        .map(|_| Worker {
            parser: CaseParser::new(),
            source: source.clone(),
            out: Vec::new(),
            errors: String::new(),
            failed: false,
        })
        .collect();
    // Each worker's part of a batch is written as it is (a batch's output is large, and
    // standard output's line buffer passes whole lines straight through), not copied
    // into another buffer first.
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    // The batch's text, and each line's number and place in it.
    let mut text: Vec<u8> = Vec::new();
    let mut lines: Vec<(usize, usize, usize)> = Vec::with_capacity(BATCH_LINES);
    let mut line_no = 0usize;
    loop {
        text.clear();
        lines.clear();
        while lines.len() < BATCH_LINES && text.len() < BATCH_BYTES {
            let start = text.len();
            let n = reader
                .read_until(b'\n', &mut text)
                .with_context(|| format!("cannot read line {} of `{name}`", line_no + 1))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            // As `BufRead::lines` reads a line: without its `\n` or `\r\n`.
            let mut end = text.len();
            if text[..end].ends_with(b"\n") {
                end -= 1;
                if text[..end].ends_with(b"\r") {
                    end -= 1;
                }
            }
            if !text[start..end].trim_ascii().is_empty() {
                lines.push((line_no, start, end));
            }
        }
        if lines.is_empty() {
            break;
        }
        let mut batch: Vec<(usize, &str)> = Vec::with_capacity(lines.len());
        for &(n, start, end) in &lines {
            let line = std::str::from_utf8(&text[start..end])
                .with_context(|| format!("cannot read line {n} of `{name}`"))?;
            batch.push((n, line));
        }
        decide_batch(&name, &batch, &mut workers)?;
        for w in &mut workers {
            failed |= w.failed;
            eprint!("{}", w.errors);
            out.write_all(&w.out)?;
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Decides the batch's lines, each worker a run of them in order.
fn decide_batch(name: &str, batch: &[(usize, &str)], workers: &mut [Worker]) -> anyhow::Result<()> {
    for w in workers.iter_mut() {
        w.out.clear();
        w.errors.clear();
        w.failed = false;
    }
    let chunk = batch.len().div_ceil(workers.len());
    if workers.len() == 1 || batch.len() < 2 {
        if let Some(w) = workers.first_mut() {
            w.decide(name, batch);
        }
        return Ok(());
    }
    let done = std::thread::scope(|s| {
        let handles: Vec<_> = workers
            .iter_mut()
            .zip(batch.chunks(chunk))
            .map(|(w, part)| s.spawn(move || w.decide(name, part)))
            .collect();
        handles.into_iter().all(|h| h.join().is_ok())
    });
    if !done {
        anyhow::bail!("a worker thread failed while evaluating `{name}`");
    }
    Ok(())
}

impl Worker {
    /// `name` is the file, named in each error ("cases.jsonl, line 3").
    fn decide(&mut self, name: &str, part: &[(usize, &str)]) {
        for &(line_no, line) in part {
            let read: Result<CachedCase, CaseError> = match &mut self.source {
                Source::Cases => self.parser.parse(line),
                Source::Requests(set) => self.parser.parse_request(set, line),
            };
            let written = match read {
                // What `Output` serializes to, written straight: the response, and the
                // findings as its last member when there are any.
                Ok(case) => evaluate(&case.request, &case.policies)
                    .write_json(&mut self.out)
                    .and_then(|()| {
                        if case.findings.is_empty() {
                            return Ok(());
                        }
                        self.out.pop(); // the response's closing brace
                        self.out.extend_from_slice(b",\"findings\":");
                        serde_json::to_writer(&mut self.out, &case.findings)?;
                        self.out.push(b'}');
                        Ok(())
                    }),
                Err(e) => {
                    self.failed = true;
                    let place = format!("{name}, line {line_no}");
                    self.errors.push_str(&render(&place, &e.findings));
                    serde_json::to_writer(
                        &mut self.out,
                        &LineError {
                            line: line_no,
                            errors: &e.findings,
                        },
                    )
                }
            };
            // Serializing these plain structs cannot fail; keep the line count aligned
            // regardless.
            if let Err(e) = written {
                let _ = write!(
                    self.out,
                    "{{\"line\":{line_no},\"errors\":[{{\"message\":\"{e}\"}}]}}"
                );
            }
            self.out.push(b'\n');
        }
    }
}
