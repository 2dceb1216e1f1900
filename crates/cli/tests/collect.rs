//! `vaultward collect` against a local moto server: the snapshot is written whole (or not at
//! all), the summary names what was missing, and `check` reads the result.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use serde_json::{json, Value};
use vaultward_aws::testing::{MotoServer, REGION};

fn vaultward(args: &[&str], env: &[(&'static str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_writes_a_snapshot_that_check_reads() {
    let moto = MotoServer::start().unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.sdk_config())
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("cli-bucket")
        .send()
        .await
        .unwrap();
    s3.put_bucket_policy()
        .bucket("cli-bucket")
        .policy(
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoLists", "Effect": "Deny",
                "Principal": "*", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::cli-bucket"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("vaultward-collect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("snapshot.json");
    let env = moto.env("testing", "testing");
    let run = vaultward(
        &[
            "collect",
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            REGION,
            "--objects",
            "none",
            "--out",
            out.to_str().unwrap(),
        ],
        &env,
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("collected account 123456789012"),
        "{stderr}"
    );
    assert!(stderr.contains("wrote "), "{stderr}");
    assert_eq!(
        files_in(&dir),
        vec!["snapshot.json".to_string()],
        "no temporary file is left"
    );
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(snap["account_id"], "123456789012");
    let b = &snap["buckets"][0];
    assert_eq!(b["name"], "cli-bucket");
    assert_eq!(b["policy"]["Statement"][0]["Sid"], "NoLists");
    assert_eq!(b["not_collected"]["objects"], "not asked (--objects none)");

    // `check` reads the file: the role is not in the account's IAM export, so the question
    // cannot be asked of it (bad input, exit 2), rather than anything being passed.
    let check = vaultward(
        &[
            "check",
            out.to_str().unwrap(),
            "--role",
            "arn:aws:iam::123456789012:role/vaultward/VaultwardBackupRole",
            "--format",
            "json",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(2), "{err}");
    assert!(err.contains("is not in the IAM export"), "{err}");
    assert!(check.stdout.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unreachable_endpoint_writes_nothing_and_exits_2() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("vaultward-collect-fail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("snapshot.json");
    let env = vec![
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_CONFIG_FILE", "/nonexistent/config".to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/credentials".to_string(),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
    ];
    let run = vaultward(
        &[
            "collect",
            "--endpoint-url",
            &format!("http://127.0.0.1:{port}"),
            "--region",
            "us-east-1",
            "--max-attempts",
            "1",
            "--out",
            out.to_str().unwrap(),
        ],
        &env,
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot identify the caller"), "{stderr}");
    assert!(
        files_in(&dir).is_empty(),
        "nothing written: {:?}",
        files_in(&dir)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
