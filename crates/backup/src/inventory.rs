//! Objects from S3 Inventory listings, streamed: real buckets hold millions of objects, so
//! a listing is read line by line into groups of (encryption key, owner) per bucket, and
//! memory grows with the number of groups, not of objects.
//!
//! Format: CSV with a header row naming the columns, as S3 Inventory's `fileSchema`
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html)
//! names them: `Bucket`, `Key`, `Size` are required; `ObjectOwner` (the owner's account id)
//! and `KMSKeyArn` (or `SSEKMSKeyId`) are read when present; other columns are ignored.
//! Fields may be double-quoted (S3 Inventory quotes every field). Parquet listings are read
//! too ([`Inventory::read_parquet`]).

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

/// Objects that share an encryption key and an owner get the same answer.
pub type GroupKey = (Option<String>, Option<String>);
/// (count, bytes, a sample key) of one group.
pub type Group = (u64, u64, String);

/// Object groups per bucket.
#[derive(Debug, Default)]
pub struct Inventory {
    pub buckets: HashMap<String, BTreeMap<GroupKey, Group>>,
    pub objects: u64,
}

/// A listing that cannot be read: where, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct InventoryError {
    pub file: String,
    pub line: u64,
    pub message: String,
}

/// Splits one CSV line (no embedded newlines, as S3 Inventory writes them).
fn fields(line: &str, out: &mut Vec<String>) -> Result<(), String> {
    out.clear();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    out.push(cur);
    Ok(())
}

impl Inventory {
    /// Adds a listing read from `reader`; `file` names it in errors.
    pub fn read_csv(&mut self, file: &str, reader: impl BufRead) -> Result<(), InventoryError> {
        let err = |line: u64, message: String| InventoryError {
            file: file.to_string(),
            line,
            message,
        };
        let mut lines = reader.lines();
        let header = match lines.next() {
            Some(h) => h.map_err(|e| err(1, e.to_string()))?,
            None => return Err(err(1, "the listing is empty: it needs a header row such as `Bucket,Key,Size,ObjectOwner,KMSKeyArn`".into())),
        };
        let mut cols = Vec::new();
        fields(header.trim_start_matches('\u{feff}'), &mut cols).map_err(|m| err(1, m))?;
        let find = |names: &[&str]| {
            cols.iter()
                .position(|c| names.iter().any(|n| c.trim().eq_ignore_ascii_case(n)))
        };
        let (Some(bucket_i), Some(key_i), Some(size_i)) =
            (find(&["Bucket"]), find(&["Key"]), find(&["Size"]))
        else {
            return Err(err(
                1,
                format!("the header `{header}` must name the columns `Bucket`, `Key` and `Size`"),
            ));
        };
        let owner_i = find(&["ObjectOwner", "Owner", "owner_account"]);
        let kms_i = find(&["KMSKeyArn", "SSEKMSKeyId", "kms_key_id"]);
        let mut row = Vec::new();
        for (n, line) in (2_u64..).zip(lines) {
            let line = line.map_err(|e| err(n, e.to_string()))?;
            if line.is_empty() {
                continue;
            }
            fields(&line, &mut row).map_err(|m| err(n, m))?;
            let get = |i: usize| {
                row.get(i).map(String::as_str).ok_or_else(|| {
                    err(
                        n,
                        format!(
                            "the row has {} fields, the header {}",
                            row.len(),
                            cols.len()
                        ),
                    )
                })
            };
            let bucket = get(bucket_i)?;
            let size: u64 = get(size_i)?.trim().parse().map_err(|_| {
                err(
                    n,
                    format!("`Size` is `{}`, not a whole number of bytes", row[size_i]),
                )
            })?;
            let opt = |i: Option<usize>| {
                i.and_then(|i| row.get(i))
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let group = (opt(kms_i), opt(owner_i));
            let key = get(key_i)?;
            self.add(bucket, key, size, group);
        }
        Ok(())
    }

    fn add(&mut self, bucket: &str, key: &str, size: u64, group: GroupKey) {
        let groups = self.buckets.entry(bucket.to_string()).or_default();
        match groups.get_mut(&group) {
            Some(g) => {
                g.0 += 1;
                g.1 += size;
            }
            None => {
                groups.insert(group, (1, size, key.to_string()));
            }
        }
        self.objects += 1;
    }

    /// Adds a listing in Parquet, as S3 Inventory writes it. Column names are matched
    /// ignoring case and `_`: `bucket`, `key`, `size` (required), `object_owner`, and
    /// `kms_key_arn` or `ssekms_key_id`.
    pub fn read_parquet(&mut self, file: &str, f: std::fs::File) -> Result<(), InventoryError> {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::record::Field;
        let err = |message: String| InventoryError {
            file: file.to_string(),
            line: 0,
            message,
        };
        let reader =
            SerializedFileReader::new(f).map_err(|e| err(format!("not a Parquet file: {e}")))?;
        let norm = |s: &str| s.to_ascii_lowercase().replace('_', "");
        let columns: Vec<String> = reader
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .map(|c| norm(c.name()))
            .collect();
        for need in ["bucket", "key", "size"] {
            if !columns.iter().any(|c| c == need) {
                return Err(err(format!(
                    "the listing has no `{need}` column (it has {})",
                    columns.join(", ")
                )));
            }
        }
        let rows = reader.get_row_iter(None).map_err(|e| err(e.to_string()))?;
        for (n, row) in (1_u64..).zip(rows) {
            let row = row.map_err(|e| InventoryError {
                file: file.to_string(),
                line: n,
                message: e.to_string(),
            })?;
            let (mut bucket, mut key, mut size, mut owner, mut kms) =
                (None, None, None, None, None);
            for (name, field) in row.get_column_iter() {
                let text = match field {
                    Field::Str(s) => Some(s.clone()),
                    Field::Null => None,
                    other => Some(other.to_string()),
                };
                match norm(name).as_str() {
                    "bucket" => bucket = text,
                    "key" => key = text,
                    "size" => {
                        size = match field {
                            Field::Long(v) => u64::try_from(*v).ok(),
                            Field::Int(v) => u64::try_from(*v).ok(),
                            Field::ULong(v) => Some(*v),
                            _ => text.and_then(|t| t.parse().ok()),
                        }
                    }
                    "objectowner" | "owner" => owner = text.filter(|t| !t.is_empty()),
                    "kmskeyarn" | "ssekmskeyid" => kms = text.filter(|t| !t.is_empty()),
                    _ => {}
                }
            }
            let (Some(bucket), Some(key), Some(size)) = (bucket, key, size) else {
                return Err(InventoryError {
                    file: file.to_string(),
                    line: n,
                    message: "row lacks `bucket`, `key` or a whole-number `size`".into(),
                });
            };
            self.add(&bucket, &key, size, (kms, owner));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quoted_csv_into_groups() {
        let csv = "Bucket,Key,Size,ObjectOwner,KMSKeyArn\n\"b\",\"a,1\",\"10\",\"111122223333\",\"\"\nb,a2,20,111122223333,\nb,a3,5,444455556666,arn:aws:kms:us-east-1:1:key/k\n";
        let mut inv = Inventory::default();
        inv.read_csv("inv.csv", csv.as_bytes()).unwrap();
        assert_eq!(inv.objects, 3);
        let g = &inv.buckets["b"];
        assert_eq!(
            g[&(None, Some("111122223333".into()))],
            (2, 30, "a,1".into())
        );
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let mut inv = Inventory::default();
        let e = inv
            .read_csv("inv.csv", "Bucket,Key,Size\nb,k,ten\n".as_bytes())
            .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("inv.csv", 2));
        let e = inv
            .read_csv("inv.csv", "Name,Size\n".as_bytes())
            .unwrap_err();
        assert!(e.message.contains("`Bucket`, `Key` and `Size`"));
        let e = inv
            .read_csv("inv.csv", "Bucket,Key,Size\n\"b,k,1\n".as_bytes())
            .unwrap_err();
        assert!(e.message.contains("not closed"));
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
        let mut inv = Inventory::default();
        inv.read_parquet("inv.parquet", std::fs::File::open(&path).unwrap())
            .unwrap();
        assert_eq!(inv.objects, 3);
        assert_eq!(
            inv.buckets["b"][&(None, Some("111122223333".into()))],
            (2, 30, "k1".into())
        );
        std::fs::remove_file(&path).unwrap();
        let not_parquet =
            std::env::temp_dir().join(format!("vaultward-inv-{}.txt", std::process::id()));
        std::fs::write(&not_parquet, "Bucket,Key,Size\n").unwrap();
        let e = inv
            .read_parquet("x.parquet", std::fs::File::open(&not_parquet).unwrap())
            .unwrap_err();
        assert!(e.message.contains("not a Parquet file"), "{e}");
        std::fs::remove_file(&not_parquet).unwrap();
    }
}
