//! Objects from S3 Inventory listings, streamed: real buckets hold millions of objects, so
//! a listing is read row by row into a [`Sink`] (the check's `Plan` in `vaultward-backup`,
//! which groups them), and memory grows with the number of groups, not of objects.
//!
//! Accepted, as S3 Inventory writes them ("Configuring Amazon S3 Inventory" and "Locating
//! your inventory list", Amazon S3 User Guide,
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html):
//! - a `manifest.json`: its `fileFormat` (`CSV`, `ORC`, `Parquet`), its `fileSchema` (the
//!   CSV columns), and its `files`, found relative to the manifest and checked against
//!   their `MD5checksum`;
//! - gzip-compressed CSV files without a header row (with their manifest, or with the
//!   default schema of `Bucket, Key, Size` when given alone... see [`read_path`]);
//! - Parquet and ORC files (ORC through `orc-rust`, Apache-2.0);
//! - plain CSV with a header row (hand-made listings).
//!
//! Columns read: `Bucket`, `Key`, `Size` (required); `ObjectOwner` (an account id; other
//! forms are taken as unknown owners), `EncryptionStatus` (`SSE-S3`, `SSE-KMS`,
//! `DSSE-KMS`, `SSE-C`, `NOT-SSE`), and `KMSKeyArn`/`SSEKMSKeyId` in hand-made listings.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

mod csv;
use csv::read_csv_rows;

/// How one listed object is encrypted, as far as the listing says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// The listing has no encryption column: the bucket's default encryption applies.
    Default,
    /// SSE-S3 or none.
    NoKey,
    /// SSE-KMS (or DSSE-KMS), under the given key or, when the listing does not name it,
    /// an unknown one.
    Kms(Option<String>),
    /// SSE-C: only the customer's key reads it.
    CustomerProvided,
}

/// One listed object.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub size: u64,
    pub owner: Option<&'a str>,
    pub encryption: &'a Encryption,
}

/// Where listed objects go.
pub trait Sink {
    /// The listing covers `bucket` (even if it lists no object of it).
    fn cover(&mut self, bucket: &str) -> Result<(), String>;
    fn object(&mut self, o: Listed<'_>) -> Result<(), String>;
}

/// A sink several threads fill at once ([`read_path_split`]): each thread fills a part of
/// its own, and the parts are joined in file order, so the result is what one thread
/// reading the whole listing gives.
pub trait Split: Sink + Sync {
    type Part<'a>: Sink + Send
    where
        Self: 'a;
    /// What a part leaves once its thread is done.
    type Done: Send;
    fn part(&self) -> Self::Part<'_>;
    fn done(part: Self::Part<'_>) -> Self::Done;
    fn join(&mut self, done: Self::Done) -> Result<(), String>;
}

/// A listing that cannot be read: where, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct InventoryError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

fn err(file: &str, line: u64, message: impl Into<String>) -> InventoryError {
    InventoryError {
        file: file.to_string(),
        line,
        message: message.into(),
    }
}

/// The positions of the columns the check reads.
#[derive(Debug, Clone)]
struct Columns {
    bucket: usize,
    key: usize,
    size: usize,
    owner: Option<usize>,
    status: Option<usize>,
    kms: Option<usize>,
    /// `IsDeleteMarker`: delete markers hold no data (and no size), so they are skipped.
    delete_marker: Option<usize>,
    count: usize,
    /// S3 Inventory's CSV files URL-encode the key (S3 User Guide, "Amazon S3 Inventory
    /// list": "When you use the CSV file format, the key name is URL-encoded and must be
    /// decoded"); hand-made listings with a header hold keys as they are.
    url_encoded_keys: bool,
}

impl Columns {
    /// The positions of the columns read.
    fn read(&self) -> Vec<usize> {
        [self.bucket, self.key, self.size]
            .into_iter()
            .chain(
                [self.owner, self.status, self.kms, self.delete_marker]
                    .into_iter()
                    .flatten(),
            )
            .collect()
    }

    fn from_names(names: &[String]) -> Result<Columns, String> {
        let norm = |s: &str| s.trim().to_ascii_lowercase().replace('_', "");
        let find = |want: &[&str]| names.iter().position(|c| want.contains(&norm(c).as_str()));
        match (find(&["bucket"]), find(&["key"]), find(&["size"])) {
            (Some(bucket), Some(key), Some(size)) => Ok(Columns {
                bucket,
                key,
                size,
                owner: find(&["objectowner", "owner", "owneraccount"]),
                status: find(&["encryptionstatus"]),
                kms: find(&["kmskeyarn", "ssekmskeyid", "kmskeyid"]),
                delete_marker: find(&["isdeletemarker"]),
                count: names.len(),
                url_encoded_keys: false,
            }),
            _ => Err(format!(
                "the columns `{}` must include `Bucket`, `Key` and `Size`",
                names.join(", ")
            )),
        }
    }
}

fn encryption(status: Option<&str>, kms: Option<&str>) -> Result<Encryption, String> {
    let kms = kms
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    match (status.map(str::trim), kms) {
        (_, Some(k)) => Ok(Encryption::Kms(Some(k))),
        (None, None) => Ok(Encryption::Default),
        (Some(s), None) => match s.to_ascii_uppercase().as_str() {
            "" => Ok(Encryption::Default),
            "SSE-S3" | "NOT-SSE" => Ok(Encryption::NoKey),
            "SSE-KMS" | "DSSE-KMS" => Ok(Encryption::Kms(None)),
            "SSE-C" => Ok(Encryption::CustomerProvided),
            other => Err(format!(
                "`EncryptionStatus` is `{other}`; S3 Inventory writes SSE-S3, SSE-KMS, DSSE-KMS, SSE-C or NOT-SSE"
            )),
        },
    }
}

/// Decodes a key as S3 Inventory encodes it in CSV: `%XX` escapes, and `+` for a space.
fn url_decode(s: &str) -> Option<String> {
    if !s.contains(['%', '+']) {
        return Some(s.to_string());
    }
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Sends one row, in any format, to `sink`; `field(i)` is column `i` (`None`: null).
fn emit<'r>(
    file: &str,
    n: u64,
    cols: &Columns,
    field: impl Fn(usize) -> Option<&'r str>,
    sink: &mut dyn Sink,
) -> Result<(), InventoryError> {
    let pick = |i: Option<usize>| i.and_then(&field);
    if pick(cols.delete_marker).is_some_and(|d| d.trim().eq_ignore_ascii_case("true")) {
        return Ok(());
    }
    let (Some(bucket), Some(raw_key)) = (field(cols.bucket), field(cols.key)) else {
        return Err(err(file, n, "the row has no `Bucket` or no `Key`"));
    };
    let raw_size = field(cols.size).unwrap_or("");
    let size: u64 = raw_size.trim().parse().map_err(|_| {
        err(
            file,
            n,
            format!("`Size` is `{raw_size}`, not a whole number of bytes"),
        )
    })?;
    let enc = encryption(pick(cols.status), pick(cols.kms)).map_err(|m| err(file, n, m))?;
    let owner = pick(cols.owner).map(str::trim).filter(|o| !o.is_empty());
    let decoded;
    let key = if cols.url_encoded_keys {
        decoded = url_decode(raw_key).ok_or_else(|| {
            err(
                file,
                n,
                format!(
                    "`Key` is `{raw_key}`, which is not URL-encoded as S3 Inventory writes keys"
                ),
            )
        })?;
        decoded.as_str()
    } else {
        raw_key
    };
    sink.object(Listed {
        bucket,
        key,
        size,
        owner,
        encryption: &enc,
    })
    .map_err(|m| err(file, n, m))
}

/// A plain CSV listing with a header row.
pub fn read_csv(
    file: &str,
    reader: impl BufRead,
    sink: &mut dyn Sink,
) -> Result<(), InventoryError> {
    read_csv_rows(file, reader, None, sink)
}

/// A gzip-compressed CSV listing: headerless with `columns` (S3 Inventory's form), or with
/// a header row when `columns` is `None`.
fn read_csv_gz(
    file: &str,
    reader: impl Read,
    columns: Option<Columns>,
    sink: &mut dyn Sink,
) -> Result<(), InventoryError> {
    let gz = flate2::read::MultiGzDecoder::new(reader);
    read_csv_rows(
        file,
        std::io::BufReader::with_capacity(1 << 20, gz),
        columns,
        sink,
    )
}

/// A Parquet listing, as S3 Inventory writes it. Column names are matched ignoring case
/// and `_`.
pub fn read_parquet(
    file: &str,
    f: std::fs::File,
    sink: &mut dyn Sink,
) -> Result<(), InventoryError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let reader = SerializedFileReader::new(f)
        .map_err(|e| err(file, 0, format!("not a Parquet file: {e}")))?;
    let names: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let cols = Columns::from_names(&names).map_err(|m| err(file, 0, m))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| err(file, 0, e.to_string()))?;
    let mut values: Vec<Option<String>> = Vec::new();
    for (n, row) in (1_u64..).zip(rows) {
        let row = row.map_err(|e| err(file, n, e.to_string()))?;
        values.clear();
        values.resize(names.len(), None);
        for (i, (_, field)) in row.get_column_iter().enumerate() {
            if let Some(slot) = values.get_mut(i) {
                *slot = match field {
                    Field::Str(s) => Some(s.clone()),
                    Field::Null => None,
                    other => Some(other.to_string()),
                };
            }
        }
        emit(
            file,
            n,
            &cols,
            |i| values.get(i).and_then(|v| v.as_deref()),
            sink,
        )?;
    }
    Ok(())
}

/// An ORC listing, as S3 Inventory writes it (a struct of `bucket`, `key`, `size`, ...).
/// Column names are matched ignoring case and `_`.
pub fn read_orc(file: &str, f: std::fs::File, sink: &mut dyn Sink) -> Result<(), InventoryError> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int32Type, Int64Type};
    use arrow_array::Array;
    use arrow_schema::DataType;

    let reader = orc_rust::ArrowReaderBuilder::try_new(f)
        .map_err(|e| err(file, 0, format!("not an ORC file: {e}")))?
        .with_batch_size(8192)
        .build();
    let mut cols = None;
    let mut n = 0_u64;
    for batch in reader {
        let batch =
            batch.map_err(|e| err(file, n + 1, format!("cannot read the ORC data: {e}")))?;
        let c = match &cols {
            Some(c) => c,
            None => {
                let names: Vec<String> = batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                cols.insert(Columns::from_names(&names).map_err(|m| err(file, 0, m))?)
            }
        };
        // The columns the check reads, as text; the others (ETag, dates, ACLs) are left.
        let read = c.read();
        let columns: Vec<Option<Vec<Option<String>>>> = batch
            .columns()
            .iter()
            .enumerate()
            .map(|(i, a)| {
                read.contains(&i).then(|| {
                    (0..a.len())
                        .map(|r| {
                            (!a.is_null(r)).then(|| match a.data_type() {
                                DataType::Utf8 => a.as_string::<i32>().value(r).to_string(),
                                DataType::LargeUtf8 => a.as_string::<i64>().value(r).to_string(),
                                DataType::Int64 => {
                                    a.as_primitive::<Int64Type>().value(r).to_string()
                                }
                                DataType::Int32 => {
                                    a.as_primitive::<Int32Type>().value(r).to_string()
                                }
                                DataType::Boolean => a.as_boolean().value(r).to_string(),
                                _ => String::new(),
                            })
                        })
                        .collect()
                })
            })
            .collect();
        for r in 0..batch.num_rows() {
            n += 1;
            let field = |i: usize| columns.get(i)?.as_ref()?[r].as_deref();
            emit(file, n, c, field, sink)?;
        }
    }
    Ok(())
}

/// Finds a manifest's data file: its key is a key of the destination bucket, so it is
/// looked for under the manifest's directory and each of its parents, with leading parts
/// of the key dropped, as `aws s3 sync` or `aws s3 cp --recursive` lays it out.
fn locate(manifest: &Path, key: &str) -> Option<PathBuf> {
    let parts: Vec<&str> = key.split('/').filter(|p| !p.is_empty()).collect();
    let dir = manifest.parent()?;
    for base in dir.ancestors() {
        for skip in 0..parts.len() {
            let candidate = parts[skip..]
                .iter()
                .fold(base.to_path_buf(), |p, c| p.join(c));
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn md5_hex(path: &Path) -> std::io::Result<String> {
    use md5::{Digest, Md5};
    let mut f = std::fs::File::open(path)?;
    let mut h = Md5::new();
    let mut buf = vec![0_u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Reads an S3 Inventory `manifest.json` and every file it lists.
pub fn read_manifest(path: &Path, sink: &mut dyn Sink) -> Result<(), InventoryError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| err(&file, 0, e.to_string()))?;
    let m: Value = serde_json::from_str(&text)
        .map_err(|e| err(&file, e.line() as u64, format!("not a manifest: {e}")))?;
    let field = |k: &str| m.get(k).and_then(Value::as_str);
    let format = field("fileFormat").ok_or_else(|| {
        err(
            &file,
            0,
            "the manifest has no `fileFormat` (S3 Inventory writes CSV, ORC or Parquet)",
        )
    })?;
    if let Some(source) = field("sourceBucket") {
        sink.cover(source).map_err(|m| err(&file, 0, m))?;
    }
    let columns = match format.to_ascii_uppercase().as_str() {
        "CSV" => {
            let schema = field("fileSchema").ok_or_else(|| {
                err(
                    &file,
                    0,
                    "a CSV manifest needs its `fileSchema` (the columns of the headerless files)",
                )
            })?;
            let names: Vec<String> = schema.split(',').map(|c| c.trim().to_string()).collect();
            let mut c = Columns::from_names(&names)
                .map_err(|m| err(&file, 0, format!("`fileSchema`: {m}")))?;
            c.url_encoded_keys = true;
            Some(c)
        }
        "PARQUET" | "ORC" => None,
        other => {
            return Err(err(
                &file,
                0,
                format!("`fileFormat` is `{other}`; S3 Inventory writes CSV, ORC or Parquet"),
            ))
        }
    };
    let files = m
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| err(&file, 0, "the manifest has no `files`"))?;
    for (i, f) in files.iter().enumerate() {
        let key = f
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| err(&file, 0, format!("`files[{i}]` has no `key`")))?;
        let data = locate(path, key).ok_or_else(|| {
            err(&file, 0, format!("`files[{i}]`: `{key}` is not found next to the manifest; download the inventory with its data files (`aws s3 sync`)"))
        })?;
        let data_name = data.display().to_string();
        if let Some(want) = f.get("MD5checksum").and_then(Value::as_str) {
            let got = md5_hex(&data).map_err(|e| err(&data_name, 0, e.to_string()))?;
            if !got.eq_ignore_ascii_case(want) {
                return Err(err(&data_name, 0, format!("MD5 is {got}, the manifest says {want}: the file is damaged or from another inventory; download it again")));
            }
        }
        let opened = std::fs::File::open(&data).map_err(|e| err(&data_name, 0, e.to_string()))?;
        match (&columns, format.eq_ignore_ascii_case("ORC")) {
            (Some(c), _) => read_csv_gz(&data_name, opened, Some(c.clone()), sink)?,
            (None, true) => read_orc(&data_name, opened, sink)?,
            (None, false) => read_parquet(&data_name, opened, sink)?,
        }
    }
    Ok(())
}

/// Reads a listing, by its name: `*.json` (a manifest), `*.parquet`, `*.orc`, `*.csv.gz`
/// (with a header row when given without its manifest), or CSV with a header.
pub fn read_path(path: &Path, sink: &mut dyn Sink) -> Result<(), InventoryError> {
    let file = path.display().to_string();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".json") {
        return read_manifest(path, sink);
    }
    let f = std::fs::File::open(path).map_err(|e| err(&file, 0, format!("cannot read it: {e}")))?;
    if name.ends_with(".orc") {
        read_orc(&file, f, sink)
    } else if name.ends_with(".parquet") {
        read_parquet(&file, f, sink)
    } else if name.ends_with(".gz") {
        read_csv_gz(&file, f, None, sink)
    } else {
        read_csv(&file, std::io::BufReader::with_capacity(1 << 20, f), sink)
    }
}

/// [`read_path`], with a plain CSV file read by `threads` threads at once (other formats
/// by one).
pub fn read_path_split<S: Split>(
    path: &Path,
    sink: &mut S,
    threads: usize,
) -> Result<(), InventoryError> {
    read_path_split_above(path, sink, threads, csv::SPLIT_ABOVE)
}

/// [`read_path_split`], splitting files of at least `split_above` bytes (tests split small
/// files).
#[doc(hidden)]
pub fn read_path_split_above<S: Split>(
    path: &Path,
    sink: &mut S,
    threads: usize,
    split_above: u64,
) -> Result<(), InventoryError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if [".json", ".orc", ".parquet", ".gz"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return read_path(path, sink);
    }
    csv::read_csv_split(
        &path.display().to_string(),
        path,
        sink,
        threads,
        split_above,
    )
}

/// Collects listed objects (for tests and tools).
#[derive(Debug, Default, PartialEq)]
pub struct Collect {
    pub covered: Vec<String>,
    pub rows: Vec<(String, String, u64, Option<String>, Encryption)>,
}

impl Sink for Collect {
    fn cover(&mut self, bucket: &str) -> Result<(), String> {
        self.covered.push(bucket.to_string());
        Ok(())
    }

    fn object(&mut self, o: Listed<'_>) -> Result<(), String> {
        self.rows.push((
            o.bucket.into(),
            o.key.into(),
            o.size,
            o.owner.map(Into::into),
            o.encryption.clone(),
        ));
        Ok(())
    }
}

/// Each thread collects its rows; joined, they are in file order.
impl Split for Collect {
    type Part<'a> = Collect;
    type Done = Collect;

    fn part(&self) -> Collect {
        Collect::default()
    }

    fn done(part: Collect) -> Collect {
        part
    }

    fn join(&mut self, done: Collect) -> Result<(), String> {
        self.covered.extend(done.covered);
        self.rows.extend(done.rows);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_csv() {
        let csv = "Bucket,Key,Size,ObjectOwner,KMSKeyArn\n\"b\",\"a,1\",\"10\",\"111122223333\",\"\"\nb,a2,20,111122223333,\nb,a3,5,444455556666,arn:aws:kms:us-east-1:1:key/k\n";
        let mut c = Collect::default();
        read_csv("inv.csv", csv.as_bytes(), &mut c).unwrap();
        assert_eq!(c.rows.len(), 3);
        assert_eq!(c.rows[0].1, "a,1");
        assert_eq!(c.rows[0].4, Encryption::Default);
        assert_eq!(
            c.rows[2].4,
            Encryption::Kms(Some("arn:aws:kms:us-east-1:1:key/k".into()))
        );
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let mut c = Collect::default();
        let e = read_csv("inv.csv", "Bucket,Key,Size\nb,k,ten\n".as_bytes(), &mut c).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("inv.csv", 2));
        let e = read_csv("inv.csv", "Name,Size\n".as_bytes(), &mut c).unwrap_err();
        assert!(e.message.contains("`Bucket`, `Key` and `Size`"), "{e}");
        assert!(e.message.contains("manifest.json"), "{e}");
        let e = read_csv("inv.csv", "Bucket,Key,Size\n\"b,k,1\n".as_bytes(), &mut c).unwrap_err();
        assert!(e.message.contains("not closed"));
        let e = read_csv(
            "inv.csv",
            "Bucket,Key,Size,EncryptionStatus\nb,k,1,ROT13\n".as_bytes(),
            &mut c,
        )
        .unwrap_err();
        assert!(e.message.contains("ROT13"), "{e}");
    }
}

#[cfg(test)]
mod parquet_tests {
    use std::sync::Arc;

    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::*;

    fn write_listing(path: &std::path::Path, rows: &[(&str, &str, i64, &str)]) {
        let schema = Arc::new(parse_message_type("message inventory { required binary bucket (UTF8); required binary key (UTF8); required int64 size; optional binary object_owner (UTF8); }").unwrap());
        let file = std::fs::File::create(path).unwrap();
        let mut w =
            SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build()))
                .unwrap();
        let mut rg = w.next_row_group().unwrap();
        let strings = |i: usize| -> Vec<ByteArray> {
            rows.iter()
                .map(|r| {
                    ByteArray::from(match i {
                        0 => r.0,
                        1 => r.1,
                        _ => r.3,
                    })
                })
                .collect()
        };
        for col in 0..4 {
            let mut c = rg.next_column().unwrap().unwrap();
            match col {
                2 => {
                    c.typed::<Int64Type>()
                        .write_batch(&rows.iter().map(|r| r.2).collect::<Vec<_>>(), None, None)
                        .unwrap();
                }
                3 => {
                    c.typed::<ByteArrayType>()
                        .write_batch(&strings(3), Some(&vec![1; rows.len()]), None)
                        .unwrap();
                }
                i => {
                    c.typed::<ByteArrayType>()
                        .write_batch(&strings(i), None, None)
                        .unwrap();
                }
            }
            c.close().unwrap();
        }
        rg.close().unwrap();
        w.close().unwrap();
    }

    #[test]
    fn reads_a_parquet_listing_into_groups() {
        let path =
            std::env::temp_dir().join(format!("vaultward-inv-{}.parquet", std::process::id()));
        write_listing(
            &path,
            &[
                ("b", "k1", 10, "111122223333"),
                ("b", "k2", 20, "111122223333"),
                ("b", "k3", 5, "444455556666"),
            ],
        );
        let mut c = Collect::default();
        read_parquet("inv.parquet", std::fs::File::open(&path).unwrap(), &mut c).unwrap();
        assert_eq!(c.rows.len(), 3);
        assert_eq!(
            c.rows[1],
            (
                "b".into(),
                "k2".into(),
                20,
                Some("111122223333".into()),
                Encryption::Default
            )
        );
        std::fs::remove_file(&path).unwrap();
        let not_parquet =
            std::env::temp_dir().join(format!("vaultward-inv-{}.txt", std::process::id()));
        std::fs::write(&not_parquet, "Bucket,Key,Size\n").unwrap();
        let e = read_parquet(
            "x.parquet",
            std::fs::File::open(&not_parquet).unwrap(),
            &mut c,
        )
        .unwrap_err();
        assert!(e.message.contains("not a Parquet file"), "{e}");
        std::fs::remove_file(&not_parquet).unwrap();
    }
}
