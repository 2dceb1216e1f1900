//! S3 Inventory listings as AWS writes them, read into the check: a `manifest.json` with
//! `fileFormat`, `fileSchema` and the data files' keys and MD5s; gzip-compressed CSV
//! without a header row and with URL-encoded keys; Parquet.
//! Layout and fields: S3 User Guide, "Amazon S3 Inventory list" and "Inventory manifest"
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html,
//! https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use vaultward_backup::check::{Level, Report, Status};
use vaultward_backup::{read_inventory, AssetType, CheckOptions, Op, Plan, Snapshot};

const ROLE: &str = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";

/// The columns S3 Inventory writes with every optional field selected, in its order.
const SCHEMA: &str = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus, IntelligentTieringAccessTier, BucketKeyStatus, ChecksumAlgorithm, ObjectAccessControlList, ObjectOwner";

fn snapshot(objects: Value) -> Snapshot {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["buckets"] = json!([{
        "name": "src", "region": "us-east-1",
        "policy": {"Version": "2012-10-17", "Statement": [{"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::src/confidential/*"}]},
        "ownership": "BucketOwnerEnforced", "default_encryption": {"sse": "AES256"},
        "objects": objects,
    }]);
    Snapshot::from_json("inv", &v.to_string()).unwrap()
}

fn opts() -> CheckOptions {
    CheckOptions::new(
        ROLE,
        [AssetType::S3].into_iter().collect(),
        [Op::Backup].into_iter().collect(),
    )
}

fn check_with(s: &Snapshot, listing: &Path) -> Result<Report, String> {
    let o = opts();
    let mut plan = Plan::new(s, &o).unwrap();
    read_inventory(listing, &mut plan).map_err(|e| e.to_string())?;
    Ok(plan.run())
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vaultward-inventory-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gzip(rows: &[String]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for r in rows {
        e.write_all(r.as_bytes()).unwrap();
        e.write_all(b"\n").unwrap();
    }
    e.finish().unwrap()
}

fn md5(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One row in AWS's CSV form: every field quoted, the key URL-encoded.
fn row(key_encoded: &str, size: u64, encryption: &str) -> String {
    format!("\"src\",\"{key_encoded}\",\"v1\",\"true\",\"false\",\"{size}\",\"2026-11-30T01:00:00.000Z\",\"0123abcd\",\"STANDARD\",\"false\",\"\",\"{encryption}\",\"\",\"\",\"\",\"\",\"DISABLED\",\"\",\"\",\"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be\"")
}

/// Writes the inventory as AWS lays it out in the destination bucket:
/// `dest/src/config/2026-11-30T01-00Z/manifest.json` and `dest/src/config/data/*.csv.gz`.
fn aws_layout(dir: &Path, files: &[(&str, Vec<u8>)], md5_override: Option<&str>) -> PathBuf {
    let base = dir.join("dest/src/config");
    std::fs::create_dir_all(base.join("data")).unwrap();
    std::fs::create_dir_all(base.join("2026-11-30T01-00Z")).unwrap();
    let mut listed = Vec::new();
    for (name, bytes) in files {
        std::fs::write(base.join("data").join(name), bytes).unwrap();
        listed.push(json!({
            "key": format!("dest/src/config/data/{name}"),
            "size": bytes.len(),
            "MD5checksum": md5_override.map_or_else(|| md5(bytes), str::to_string),
        }));
    }
    let manifest = base.join("2026-11-30T01-00Z/manifest.json");
    std::fs::write(
        &manifest,
        serde_json::to_string_pretty(&json!({
            "sourceBucket": "src",
            "destinationBucket": "arn:aws:s3:::dest",
            "version": "2016-11-30",
            "creationTimestamp": "1796000000000",
            "fileFormat": "CSV",
            "fileSchema": SCHEMA,
            "files": listed,
        }))
        .unwrap(),
    )
    .unwrap();
    manifest
}

fn denied(r: &Report) -> (u64, u64) {
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "explicit-deny-bucket-policy")
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    (f.impact.objects, f.impact.bytes)
}

#[test]
fn a_manifest_with_headerless_gzip_csv_files_is_read_with_decoded_keys() {
    let dir = tmp("manifest");
    let a = gzip(&[
        row("public%2Freport.csv", 100, "SSE-S3"),
        row("confidential%2Fq1+plan.txt", 7, "SSE-S3"),
    ]);
    let b = gzip(&[row("confidential%2Fsalaries%2B2026.csv", 11, "SSE-S3")]);
    let manifest = aws_layout(&dir, &[("one.csv.gz", a), ("two.csv.gz", b)], None);
    // The snapshot's own listing (one object) is replaced by the inventory's.
    let s = snapshot(
        json!([{"key": "confidential/old", "size": 1000, "owner_account": "111122223333"}]),
    );
    let r = check_with(&s, &manifest).unwrap();
    assert_eq!(r.status, Status::Blocked);
    // `confidential%2F...` decoded is under `confidential/`: 2 objects, 18 bytes.
    assert_eq!(denied(&r), (2, 18));
    assert_eq!(r.totals[0].objects_blocked, 2);

    // A damaged file: an error naming it, not a partial answer.
    let dir = tmp("md5");
    let manifest = aws_layout(
        &dir,
        &[("one.csv.gz", gzip(&[row("a", 1, "SSE-S3")]))],
        Some("00000000000000000000000000000000"),
    );
    let e = check_with(&s, &manifest).unwrap_err();
    assert!(e.contains("one.csv.gz") && e.contains("MD5"), "{e}");

    // A data file that is not there.
    let manifest = aws_layout(
        &dir,
        &[("one.csv.gz", gzip(&[row("a", 1, "SSE-S3")]))],
        None,
    );
    std::fs::remove_file(dir.join("dest/src/config/data/one.csv.gz")).unwrap();
    let e = check_with(&s, &manifest).unwrap_err();
    assert!(
        e.contains("not found") && e.contains("manifest.json"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_inventory_of_no_objects_still_replaces_the_snapshot_listing() {
    let dir = tmp("empty");
    let manifest = aws_layout(&dir, &[], None);
    let s = snapshot(
        json!([{"key": "confidential/old", "size": 1000, "owner_account": "111122223333"}]),
    );
    let r = check_with(&s, &manifest).unwrap();
    assert_eq!(r.status, Status::Ok, "{:#?}", r.findings);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sse_kms_rows_without_a_key_are_unknown_not_the_default_key() {
    let dir = tmp("kms");
    let manifest = aws_layout(
        &dir,
        &[("one.csv.gz", gzip(&[row("public%2Fa", 5, "SSE-KMS")]))],
        None,
    );
    let s = snapshot(json!([]));
    let r = check_with(&s, &manifest).unwrap();
    assert_eq!(r.status, Status::Unknown, "{:#?}", r.findings);
    assert!(r
        .findings
        .iter()
        .any(|f| f.level == Level::Unknown && f.reason.contains("S3 Inventory")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_listing_for_a_bucket_not_in_the_snapshot_is_an_error() {
    let dir = tmp("other");
    let csv = dir.join("listing.csv");
    std::fs::write(&csv, "Bucket,Key,Size\nelsewhere,a,1\n").unwrap();
    let e = check_with(&snapshot(json!([])), &csv).unwrap_err();
    assert!(
        e.contains("`elsewhere`") && e.contains("not in the snapshot"),
        "{e}"
    );
    // A hand-made CSV with a header holds keys as they are (not URL-encoded).
    std::fs::write(
        &csv,
        "Bucket,Key,Size\nsrc,confidential/a+b,4\nsrc,x%2Fy,1\n",
    )
    .unwrap();
    let r = check_with(&snapshot(json!([])), &csv).unwrap();
    assert_eq!(denied(&r), (1, 4));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_parquet_manifest_is_read() {
    use std::sync::Arc;

    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    let dir = tmp("parquet");
    let base = dir.join("dest/src/config");
    std::fs::create_dir_all(base.join("data")).unwrap();
    std::fs::create_dir_all(base.join("2026-11-30T01-00Z")).unwrap();
    let path = base.join("data/part-0.parquet");
    // S3 Inventory's Parquet columns are lower-case with underscores; keys are not encoded.
    let schema = Arc::new(parse_message_type("message s3_inventory { required binary bucket (UTF8); required binary key (UTF8); optional int64 size; optional binary encryption_status (UTF8); }").unwrap());
    let rows = [("src", "confidential/a b", 3_i64), ("src", "public/x", 9)];
    let mut w = SerializedFileWriter::new(
        std::fs::File::create(&path).unwrap(),
        schema,
        Arc::new(WriterProperties::builder().build()),
    )
    .unwrap();
    let mut rg = w.next_row_group().unwrap();
    for col in 0..4 {
        let mut c = rg.next_column().unwrap().unwrap();
        match col {
            0 | 1 => {
                let v: Vec<ByteArray> = rows
                    .iter()
                    .map(|r| ByteArray::from(if col == 0 { r.0 } else { r.1 }))
                    .collect();
                c.typed::<ByteArrayType>()
                    .write_batch(&v, None, None)
                    .unwrap();
            }
            2 => {
                let v: Vec<i64> = rows.iter().map(|r| r.2).collect();
                c.typed::<Int64Type>()
                    .write_batch(&v, Some(&[1, 1]), None)
                    .unwrap();
            }
            _ => {
                let v = vec![ByteArray::from("SSE-S3"), ByteArray::from("SSE-S3")];
                c.typed::<ByteArrayType>()
                    .write_batch(&v, Some(&[1, 1]), None)
                    .unwrap();
            }
        }
        c.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let manifest = base.join("2026-11-30T01-00Z/manifest.json");
    std::fs::write(
        &manifest,
        json!({"sourceBucket": "src", "destinationBucket": "arn:aws:s3:::dest", "version": "2016-11-30", "fileFormat": "Parquet", "fileSchema": "message s3.inventory { required binary bucket (UTF8); required binary key (UTF8); optional int64 size; optional binary encryption_status (UTF8); }", "files": [{"key": "dest/src/config/data/part-0.parquet", "size": bytes.len(), "MD5checksum": md5(&bytes)}]}).to_string(),
    )
    .unwrap();
    let r = check_with(&snapshot(json!([])), &manifest).unwrap();
    assert_eq!(denied(&r), (1, 3));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// ORC, as S3 Inventory writes it: lower-case columns, versions with delete markers (no
/// size: skipped, they hold no data).
#[test]
fn an_orc_manifest_is_read_and_delete_markers_are_skipped() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    let dir = tmp("orc");
    let base = dir.join("dest/src/config");
    std::fs::create_dir_all(base.join("data")).unwrap();
    std::fs::create_dir_all(base.join("2026-11-30T01-00Z")).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("bucket", DataType::Utf8, false),
        Field::new("key", DataType::Utf8, false),
        Field::new("version_id", DataType::Utf8, true),
        Field::new("is_latest", DataType::Boolean, true),
        Field::new("is_delete_marker", DataType::Boolean, true),
        Field::new("size", DataType::Int64, true),
        Field::new("encryption_status", DataType::Utf8, true),
        Field::new("object_owner", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["src", "src", "src", "src"])),
        Arc::new(StringArray::from(vec![
            "confidential/a",
            "confidential/a",
            "confidential/b c",
            "public/x",
        ])),
        Arc::new(StringArray::from(vec![
            Some("v2"),
            Some("v1"),
            Some("v1"),
            None,
        ])),
        Arc::new(BooleanArray::from(vec![true, false, true, true])),
        Arc::new(BooleanArray::from(vec![true, false, false, false])),
        Arc::new(Int64Array::from(vec![None, Some(5), Some(6), Some(100)])),
        Arc::new(StringArray::from(vec![
            None,
            Some("SSE-S3"),
            Some("SSE-S3"),
            Some("SSE-S3"),
        ])),
        Arc::new(StringArray::from(vec![
            None,
            Some("111122223333"),
            Some("111122223333"),
            Some("111122223333"),
        ])),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let path = base.join("data/part-0.orc");
    let mut w = orc_rust::ArrowWriterBuilder::new(std::fs::File::create(&path).unwrap(), schema)
        .try_build()
        .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let manifest = base.join("2026-11-30T01-00Z/manifest.json");
    std::fs::write(
        &manifest,
        json!({"sourceBucket": "src", "destinationBucket": "arn:aws:s3:::dest", "version": "2016-11-30", "fileFormat": "ORC", "fileSchema": "struct<bucket:string,key:string,version_id:string,is_latest:boolean,is_delete_marker:boolean,size:bigint,encryption_status:string,object_owner:string>", "files": [{"key": "dest/src/config/data/part-0.orc", "size": bytes.len(), "MD5checksum": md5(&bytes)}]}).to_string(),
    )
    .unwrap();
    let r = check_with(&snapshot(json!([])), &manifest).unwrap();
    // The delete marker is skipped; the old version and `b c` are denied.
    assert_eq!(denied(&r), (2, 11));
    assert_eq!(r.totals[0].objects_blocked, 2);

    // The same file alone, by its name.
    let r = check_with(&snapshot(json!([])), &path).unwrap();
    assert_eq!(denied(&r), (2, 11));

    // Not ORC: a located error.
    let bad = dir.join("bad.orc");
    std::fs::write(&bad, "Bucket,Key,Size\n").unwrap();
    let e = check_with(&snapshot(json!([])), &bad).unwrap_err();
    assert!(
        e.contains("bad.orc") && e.contains("not an ORC file"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_delete_markers_are_skipped() {
    let dir = tmp("markers");
    let marker = "\"src\",\"confidential%2Fa\",\"v2\",\"true\",\"true\",\"\",\"2026-11-30T01:00:00.000Z\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"".to_string();
    let manifest = aws_layout(
        &dir,
        &[(
            "one.csv.gz",
            gzip(&[marker, row("confidential%2Fa", 4, "SSE-S3")]),
        )],
        None,
    );
    let r = check_with(&snapshot(json!([])), &manifest).unwrap();
    assert_eq!(denied(&r), (1, 4));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A CSV listing read by several threads, each grouping its part, gives the report one
/// thread gives: the same groups, objects, bytes and findings, and the same error for a
/// bucket that is not in the snapshot.
#[test]
fn a_listing_read_by_several_threads_gives_the_same_report() {
    let s = snapshot(json!([]));
    let d = tmp("split");
    let csv = d.join("listing.csv");
    let mut text = String::from("Bucket,Key,Size,ObjectOwner,KMSKeyArn\n");
    for i in 0..3000 {
        let key = match i % 7 {
            0 => format!("confidential/{i:05}"),
            1 => format!("\"public/{i:05},x\""),
            _ => format!("data/{i:05}"),
        };
        let owner = if i % 11 == 0 {
            "444455556666"
        } else {
            "111122223333"
        };
        let kms = if i % 13 == 0 {
            "arn:aws:kms:us-east-1:111122223333:key/k1"
        } else {
            ""
        };
        text.push_str(&format!(
            "src,{key},{},{owner},{kms}\n",
            (i * 7919) % 20_000_000
        ));
    }
    std::fs::write(&csv, &text).unwrap();
    let one = serde_json::to_string(&check_with(&s, &csv).unwrap()).unwrap();
    for threads in [2, 3, 8] {
        let o = opts();
        let mut plan = Plan::new(&s, &o).unwrap();
        plan.read_inventory_split(&csv, threads, 0).unwrap();
        let many = serde_json::to_string(&plan.run()).unwrap();
        assert_eq!(one, many, "{threads} threads");
    }
    // One key in seven is under the Deny's prefix.
    assert!(one.contains("\"objects_blocked\":429,"), "{one}");
    text.push_str("elsewhere,a,1,111122223333,\n");
    std::fs::write(&csv, &text).unwrap();
    let one = check_with(&s, &csv).unwrap_err();
    let o = opts();
    let mut plan = Plan::new(&s, &o).unwrap();
    let many = plan
        .read_inventory_split(&csv, 3, 0)
        .unwrap_err()
        .to_string();
    assert_eq!(one, many);
    assert!(many.contains(":3002:"), "{many}");
}
