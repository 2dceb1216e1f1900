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

/// `tools/moto-org.py populate`: the organization the org tests collect, as JSON.
fn populate(moto: &MotoServer, members: usize, denials: usize, external_id: &str) -> Value {
    let out = Command::new(vaultward_aws::testing::python().unwrap())
        .arg(vaultward_aws::testing::tool("moto-org.py"))
        .args([
            "populate",
            &moto.endpoint,
            &members.to_string(),
            &denials.to_string(),
            env!("CARGO_BIN_EXE_vaultward"),
            external_id,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Issue 29, "Tested against a real emulator": a management account and six members in two
/// OUs, SCPs at the root and on one OU (AWS's region-restriction example), the generated
/// backup role and the seed's bucket and key denials in two accounts, one account without
/// the member role. Collected with `collect --org`, then checked as one organization.
#[test]
fn an_organization_is_collected_from_the_emulator_and_checked_end_to_end() {
    let moto = MotoServer::start_refusing_assume_role().unwrap();
    let org = populate(&moto, 6, 2, "ext-1234");
    let member = |i: usize| org["members"][i]["id"].as_str().unwrap().to_string();
    let dir = std::env::temp_dir().join(format!("vaultward-collect-org-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let env = moto.env("testing", "testing");
    let collect = |extra: &[&str]| {
        let mut args = vec![
            "collect",
            "--org",
            "--member-role",
            "/vaultward/VaultwardInventoryRole",
            "--external-id",
            "ext-1234",
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            REGION,
            "--objects",
            "sample:10",
            "--concurrency",
            "3",
            "--max-attempts",
            "2",
            "--out",
            d,
        ];
        args.extend_from_slice(extra);
        vaultward(&args, &env)
    };
    let run = collect(&[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    // Standard error is not a terminal: one line per account, with the counts.
    assert!(stderr.matches("account ").count() >= 7, "{stderr}");
    assert!(
        stderr.contains("6 accounts collected, 0 kept from the last run, 1 not collected"),
        "{stderr}"
    );

    // Only whole files: no temporary file anywhere.
    let mut names = files_in(&dir);
    names.extend(files_in(&dir.join("accounts")));
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
    let layout = read_json(&dir.join("organization.json"));
    assert_eq!(layout["format"], "vaultward-organization/1");
    assert_eq!(layout["id"], org["organization"]);
    assert_eq!(layout["root"], org["root"]);
    assert_eq!(layout["management_account"], "123456789012");
    assert_eq!(layout["units"].as_array().unwrap().len(), 2);
    assert_eq!(
        layout["enabled_policy_types"],
        json!(["RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY"])
    );
    let accounts = layout["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 7);
    let account = |id: &str| accounts.iter().find(|a| a["id"] == id).unwrap().clone();
    let mgmt = account("123456789012");
    assert_eq!(mgmt["management"], true);
    assert_eq!(mgmt["snapshot"], "accounts/123456789012.json");
    // The account without the member role: data, with AWS's refusal as the reason.
    let refused = account(&member(5));
    assert_eq!(refused["snapshot"], Value::Null);
    let why = refused["not_collected"].as_str().unwrap();
    assert!(why.contains("AccessDenied"), "{why}");
    assert!(
        why.contains(&format!(
            "arn:aws:iam::{}:role/vaultward/VaultwardInventoryRole",
            member(5)
        )),
        "{why}"
    );
    // Every SCP and RCP with its targets, AWS's own included.
    let policy = |name: &str| {
        layout["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {}", layout["policies"]))
            .clone()
    };
    assert_eq!(policy("FullAWSAccess")["aws_managed"], true);
    assert_eq!(
        policy("RCPFullAWSAccess")["type"],
        "RESOURCE_CONTROL_POLICY"
    );
    assert_eq!(policy("no-leaving")["targets"], json!([org["root"]]));
    assert_eq!(policy("eu-only")["targets"], json!([org["ous"]["Sandbox"]]));

    // A member's file is a normal snapshot: its SCP levels are its path (root, OU, account).
    let sandbox = read_json(&dir.join(format!("accounts/{}.json", member(1))));
    let o = &sandbox["organization"];
    assert_eq!(
        o["path"],
        format!(
            "{}/{}/{}/",
            org["organization"].as_str().unwrap(),
            org["root"].as_str().unwrap(),
            org["ous"]["Sandbox"].as_str().unwrap()
        )
    );
    assert_eq!(o["scps"].as_array().unwrap().len(), 3);
    assert!(o["scps"][1]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "eu-only"));
    assert_eq!(
        read_json(&dir.join("accounts/123456789012.json"))["organization"]["scps"],
        json!([])
    );
    assert_eq!(
        sandbox["buckets"][0]["policy"]["Statement"][0]["Sid"],
        "Access-to-specific-VPC-only"
    );

    // One check across the organization.
    let check = vaultward(
        &[
            "check",
            d,
            "--role",
            "/vaultward/VaultwardBackupRole",
            "--format",
            "json",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(1), "{err}");
    let r: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(r["status"], "blocked");
    let result = |id: &str| {
        r["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account"] == id)
            .unwrap_or_else(|| panic!("{id} in {}", r["accounts"]))
            .clone()
    };
    let status = |id: &str| result(id)["status"].as_str().unwrap().to_string();
    let unknown = result(&member(5));
    assert_eq!(unknown["status"], "unknown");
    assert!(
        unknown["reason"].as_str().unwrap().contains("AccessDenied"),
        "{unknown}"
    );
    // Collected, but the backup role is not deployed there yet.
    assert_eq!(status(&member(4)), "unknown");
    assert!(result(&member(4))["reason"]
        .as_str()
        .unwrap()
        .contains("is not in the account's IAM export"));
    // The seed's denials block (Workloads: no SCP in the way) ...
    assert_eq!(status(&member(0)), "blocked");
    // ... and the region SCP blocks every Sandbox account's backups in us-east-1.
    assert_eq!(status(&member(1)), "blocked");
    assert_eq!(status(&member(3)), "blocked");
    let groups = r["groups"].as_array().unwrap();
    let with_code =
        |code: &str| -> Vec<&Value> { groups.iter().filter(|g| g["code"] == code).collect() };
    let scp = with_code("scp-denies");
    assert_eq!(scp.len(), 1, "{}", r["groups"]);
    let mut scp_accounts: Vec<String> = scp[0]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    scp_accounts.sort();
    let mut sandbox_collected = vec![member(1), member(3)];
    sandbox_collected.sort();
    assert_eq!(scp_accounts, sandbox_collected, "{}", scp[0]);
    // The seed's bucket policy Deny is one entry per cause, in the two accounts that have it.
    let bucket_deny: Vec<&Value> = groups
        .iter()
        .filter(|g| g["code"] == "explicit-deny-bucket-policy")
        .collect();
    assert!(!bucket_deny.is_empty(), "{}", r["groups"]);
    assert!(
        bucket_deny.iter().all(|g| g["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| *a == member(0) || *a == member(1))),
        "{}",
        r["groups"]
    );
    // The seed's key: its policy does not let IAM policies grant its use.
    assert!(
        groups.iter().any(|g| g["code"] == "kms-key-policy-denies"
            && g["accounts"]
                .as_array()
                .unwrap()
                .contains(&json!(member(0)))),
        "{}",
        r["groups"]
    );
    // A clean Workloads account, and the management account (SCPs do not apply to it;
    // collected with the caller's own credentials): ok.
    assert_eq!(status(&member(2)), "ok");
    assert_eq!(status("123456789012"), "ok");
    assert_eq!(result("123456789012")["management"], true);

    // --resume keeps the accounts written whole and collects the rest again.
    std::fs::remove_file(dir.join(format!("accounts/{}.json", member(2)))).unwrap();
    let again = collect(&["--resume"]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("1 accounts collected, 5 kept from the last run, 1 not collected"),
        "{stderr}"
    );
    assert!(dir.join(format!("accounts/{}.json", member(2))).is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}
