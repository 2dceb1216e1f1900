//! `snapshot from-aws-cli` on folders of AWS CLI outputs, as the CLI writes them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use vaultward_snapshot::awscli::from_aws_cli;

/// A fresh folder under the system's temporary directory, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let dir =
            std::env::temp_dir().join(format!("vaultward-snapshot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        write(
            &dir,
            "caller-identity.json",
            &json!({"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/a", "UserId": "AIDA"}),
        );
        Folder(dir)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(dir: &Path, rel: &str, v: &Value) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// `aws s3api get-bucket-encryption` output. BucketKeyEnabled: S3 API reference,
/// ServerSideEncryptionRule
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionRule.html):
/// "By default, S3 Bucket Key is not enabled".
fn encryption(bucket_key: Option<bool>) -> Value {
    let mut rule = json!({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:eu-west-1:111122223333:key/k1"}});
    if let Some(b) = bucket_key {
        rule["BucketKeyEnabled"] = json!(b);
    }
    json!({"ServerSideEncryptionConfiguration": {"Rules": [rule]}})
}

#[test]
fn bucket_key_is_enabled_disabled_or_not_collected() {
    let f = Folder::new("bucket-key");
    write(&f.0, "s3/on/encryption.json", &encryption(Some(true)));
    write(&f.0, "s3/off/encryption.json", &encryption(Some(false)));
    write(&f.0, "s3/default/encryption.json", &encryption(None));
    std::fs::create_dir_all(f.0.join("s3/unread")).unwrap();
    let s = from_aws_cli(&f.0).unwrap();
    let key = |name: &str| {
        s.buckets
            .iter()
            .find(|b| b.name == name)
            .unwrap()
            .bucket_key_enabled()
    };
    assert_eq!(key("on"), Some(true));
    assert_eq!(key("off"), Some(false));
    assert_eq!(key("default"), Some(false));
    assert_eq!(key("unread"), None, "no encryption.json: not collected");
    // The written snapshot says the same, and reads back the same.
    let text = serde_json::to_string(&s).unwrap();
    let back = vaultward_snapshot::Snapshot::from_json("s.json", &text).unwrap();
    let on = back.buckets.iter().find(|b| b.name == "on").unwrap();
    assert_eq!(
        on.default_encryption.as_ref().unwrap().bucket_key_enabled,
        Some(true)
    );
    assert_eq!(
        back.buckets
            .iter()
            .find(|b| b.name == "unread")
            .unwrap()
            .bucket_key_enabled(),
        None
    );
}

#[test]
fn bucket_regions_follow_get_bucket_location() {
    // GetBucketLocation: null for us-east-1, `EU` for eu-west-1
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html).
    let f = Folder::new("regions");
    write(
        &f.0,
        "s3/virginia/location.json",
        &json!({"LocationConstraint": null}),
    );
    write(
        &f.0,
        "s3/ireland/location.json",
        &json!({"LocationConstraint": "EU"}),
    );
    write(
        &f.0,
        "s3/frankfurt/location.json",
        &json!({"LocationConstraint": "eu-central-1"}),
    );
    std::fs::create_dir_all(f.0.join("s3/unknown")).unwrap();
    let s = from_aws_cli(&f.0).unwrap();
    let region = |name: &str| {
        s.buckets
            .iter()
            .find(|b| b.name == name)
            .unwrap()
            .region
            .clone()
    };
    assert_eq!(region("virginia").as_deref(), Some("us-east-1"));
    assert_eq!(region("ireland").as_deref(), Some("eu-west-1"));
    assert_eq!(region("frankfurt").as_deref(), Some("eu-central-1"));
    assert_eq!(region("unknown"), None);
}

fn parents(id: &str, kind: &str) -> Value {
    json!({"Parents": [{"Id": id, "Type": kind}]})
}

#[test]
fn the_organization_path_comes_from_list_parents() {
    let f = Folder::new("org-path");
    write(
        &f.0,
        "organization.json",
        &json!({"Organization": {"Id": "o-a1b2c3d4e5", "MasterAccountId": "000011112222"}}),
    );
    write(
        &f.0,
        "parents/0.json",
        &parents("ou-ab12-22222222", "ORGANIZATIONAL_UNIT"),
    );
    write(
        &f.0,
        "parents/1.json",
        &parents("ou-ab12-11111111", "ORGANIZATIONAL_UNIT"),
    );
    write(&f.0, "parents/2.json", &parents("r-ab12", "ROOT"));
    let s = from_aws_cli(&f.0).unwrap();
    let org = s.organization.unwrap();
    assert_eq!(org.id.as_deref(), Some("o-a1b2c3d4e5"));
    assert_eq!(
        org.path.as_deref(),
        Some("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/")
    );

    // A chain that stops before the root says nothing of the path.
    std::fs::remove_file(f.0.join("parents/2.json")).unwrap();
    assert_eq!(from_aws_cli(&f.0).unwrap().organization.unwrap().path, None);

    // A file that is not list-parents output is an error naming it.
    write(&f.0, "parents/2.json", &json!({"Organization": {}}));
    let e = from_aws_cli(&f.0).unwrap_err();
    assert!(e.file.ends_with("parents/2.json"), "{e}");
    assert!(e.message.contains("list-parents"), "{e}");
}
