//! CSV listings: lines split without copying (a field is a slice of its line unless it
//! holds an escaped quote), and a plain CSV file read by several threads at once, each
//! from its own byte range, into its own part of a [`Split`] sink, joined in file order.
//! The answer is the sequential reader's: the same rows into the same groups, and on bad
//! input the same first error at the same line.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::{emit, err, Columns, InventoryError, Sink, Split};

/// A field of the line being read: a byte range of it, or an unescaped copy.
#[derive(Debug, Clone, Copy)]
enum Span {
    Slice(usize, usize),
    Owned(usize),
}

/// One line's fields, reused from line to line.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    spans: Vec<Span>,
    owned: Vec<String>,
}

impl Fields {
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Field `i` of `line` (the line given to [`Fields::split`]).
    pub(crate) fn get<'a>(&'a self, line: &'a str, i: usize) -> Option<&'a str> {
        match *self.spans.get(i)? {
            Span::Slice(a, b) => line.get(a..b),
            Span::Owned(k) => self.owned.get(k).map(String::as_str),
        }
    }

    /// Splits one line (no embedded newlines, as S3 Inventory writes them). A field that
    /// starts with `"` is quoted: `""` in it is one `"`, and it ends at the next lone `"`.
    pub(crate) fn split(&mut self, line: &str) -> Result<(), String> {
        self.spans.clear();
        self.owned.clear();
        let bytes = line.as_bytes();
        let mut start = 0;
        loop {
            let rest = bytes.get(start..).unwrap_or_default();
            if rest.first() == Some(&b'"') {
                // The common quoted field, `"text"` followed by `,` or the end: a slice.
                let body = start + 1;
                let close = bytes
                    .get(body..)
                    .and_then(|b| b.iter().position(|&c| c == b'"'))
                    .map(|p| body + p);
                if let Some(close) = close {
                    match bytes.get(close + 1) {
                        None => {
                            self.spans.push(Span::Slice(body, close));
                            return Ok(());
                        }
                        Some(b',') => {
                            self.spans.push(Span::Slice(body, close));
                            start = close + 2;
                            continue;
                        }
                        Some(_) => {}
                    }
                }
                let (text, next) = quoted(line, start)?;
                self.spans.push(Span::Owned(self.owned.len()));
                self.owned.push(text);
                match next {
                    Some(n) => start = n,
                    None => return Ok(()),
                }
                continue;
            }
            match rest.iter().position(|&c| c == b',') {
                Some(p) => {
                    self.spans.push(Span::Slice(start, start + p));
                    start += p + 1;
                }
                None => {
                    self.spans.push(Span::Slice(start, bytes.len()));
                    return Ok(());
                }
            }
        }
    }
}

/// A quoted field with escapes (or text after its closing quote) from byte `start` of
/// `line`: its text, and where the next field starts (`None`: it was the last).
fn quoted(line: &str, start: usize) -> Result<(String, Option<usize>), String> {
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line
        .get(start..)
        .unwrap_or_default()
        .char_indices()
        .peekable();
    while let Some((i, c)) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek().map(|p| p.1) == Some('"') => {
                chars.next();
                cur.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => return Ok((cur, Some(start + i + 1))),
            (c, _) => cur.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    Ok((cur, None))
}

/// The header row's columns.
pub(crate) fn header(file: &str, line: &str) -> Result<Columns, InventoryError> {
    let mut f = Fields::default();
    let line = line.trim_start_matches('\u{feff}');
    f.split(line).map_err(|m| err(file, 1, m))?;
    let names: Vec<String> = (0..f.len())
        .filter_map(|i| f.get(line, i).map(str::to_string))
        .collect();
    Columns::from_names(&names).map_err(|m| {
        err(file, 1, format!("{m}; S3 Inventory's own CSV files have no header row: give their manifest.json instead"))
    })
}

/// Reads the header row (line 1) and its columns.
fn read_header(file: &str, reader: &mut impl BufRead) -> Result<Columns, InventoryError> {
    let mut buf = Vec::new();
    if !next_line(reader, &mut buf).map_err(|e| err(file, 1, e.to_string()))? {
        return Err(err(file, 1, "the listing is empty: it needs a header row such as `Bucket,Key,Size,ObjectOwner,EncryptionStatus`, or give its manifest.json"));
    }
    let line = std::str::from_utf8(&buf).map_err(|_| {
        err(
            file,
            1,
            "the header is not UTF-8 (is it compressed? name it `.csv.gz`)",
        )
    })?;
    header(file, line)
}

/// Reads one line into `buf` without its line end; `false` at the end of the input.
fn next_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    buf.clear();
    if reader.read_until(b'\n', buf)? == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    Ok(true)
}

/// Reads data rows until the input ends, numbering them from `first`. Returns how many
/// lines were read.
fn rows(
    file: &str,
    reader: &mut impl BufRead,
    first: u64,
    cols: &Columns,
    sink: &mut dyn Sink,
) -> Result<u64, InventoryError> {
    let mut buf = Vec::with_capacity(256);
    let mut fields = Fields::default();
    let mut n = first;
    loop {
        let more = next_line(reader, &mut buf).map_err(|e| err(file, n, e.to_string()))?;
        if !more {
            return Ok(n - first);
        }
        let line = std::str::from_utf8(&buf).map_err(|_| {
            err(
                file,
                n,
                "stream did not contain valid UTF-8 (is it compressed? name it `.csv.gz`)",
            )
        })?;
        if !line.is_empty() {
            fields.split(line).map_err(|m| err(file, n, m))?;
            if fields.len() < cols.count {
                return Err(err(
                    file,
                    n,
                    format!(
                        "the row has {} fields, the schema {}",
                        fields.len(),
                        cols.count
                    ),
                ));
            }
            emit(file, n, cols, |i| fields.get(line, i), sink)?;
        }
        n += 1;
    }
}

/// Reads CSV rows; `columns` is the schema, or `None` to read it from a header row.
pub(crate) fn read_csv_rows(
    file: &str,
    mut reader: impl BufRead,
    columns: Option<Columns>,
    sink: &mut dyn Sink,
) -> Result<(), InventoryError> {
    let (cols, first) = match columns {
        Some(c) => (c, 1),
        None => (read_header(file, &mut reader)?, 2),
    };
    rows(file, &mut reader, first, &cols, sink).map(|_| ())
}

/// Below this size a file is read by one thread: splitting it would cost more than it saves.
pub(crate) const SPLIT_ABOVE: u64 = 32 << 20;

/// A plain CSV file with a header row, read by `threads` threads at once.
pub(crate) fn read_csv_split<S: Split>(
    file: &str,
    path: &Path,
    sink: &mut S,
    threads: usize,
    split_above: u64,
) -> Result<(), InventoryError> {
    let open =
        || std::fs::File::open(path).map_err(|e| err(file, 0, format!("cannot read it: {e}")));
    let f = open()?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(1 << 20, f);
    if threads <= 1 || size < split_above {
        return read_csv_rows(file, reader, None, sink);
    }
    let cols = read_header(file, &mut reader)?;
    let body = reader
        .stream_position()
        .map_err(|e| err(file, 1, e.to_string()))?;
    // Each range starts at the start of a line: the first line end at or after its even share.
    let mut starts = vec![body];
    for k in 1..threads as u64 {
        let at = body + (size - body) / threads as u64 * k;
        let mut r = BufReader::new(open()?);
        r.seek(SeekFrom::Start(at.saturating_sub(1)))
            .map_err(|e| err(file, 0, e.to_string()))?;
        let skipped = r
            .read_until(b'\n', &mut Vec::new())
            .map_err(|e| err(file, 0, e.to_string()))?;
        let start = (at.saturating_sub(1) + skipped as u64).min(size);
        if starts.last().is_some_and(|&s| start > s) {
            starts.push(start);
        }
    }
    let ends: Vec<u64> = starts.iter().skip(1).copied().chain([size]).collect();
    let shared: &S = sink;
    let results: Vec<Result<(u64, S::Done), InventoryError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = starts
            .iter()
            .zip(&ends)
            .map(|(&start, &end)| {
                let cols = &cols;
                scope.spawn(move || -> Result<(u64, S::Done), InventoryError> {
                    let mut f = open()?;
                    f.seek(SeekFrom::Start(start))
                        .map_err(|e| err(file, 0, e.to_string()))?;
                    let mut r = BufReader::with_capacity(1 << 20, f.take(end - start));
                    let mut part = shared.part();
                    // Lines are numbered from 1 in the range; the caller adds the lines before.
                    let lines = rows(file, &mut r, 1, cols, &mut part)?;
                    Ok((lines, S::done(part)))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(err(file, 0, "a reading thread failed")))
            })
            .collect()
    });
    // Joined in file order; the first error in file order is the one reported, at the line
    // the sequential reader would name (the header is line 1).
    let mut before = 1;
    for r in results {
        match r {
            Ok((lines, done)) => {
                sink.join(done).map_err(|m| err(file, before, m))?;
                before += lines;
            }
            Err(mut e) => {
                if e.line > 0 {
                    e.line += before;
                }
                return Err(e);
            }
        }
    }
    Ok(())
}
