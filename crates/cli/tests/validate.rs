//! `vaultward validate`: `--help` and `docs/codes.md` are written from the table of
//! checks, SARIF carries a rule per check, the byte-order mark is reported. Source of the
//! checks: IAM Access Analyzer's policy check reference
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use vaultward_iam::diagnostic::checks;

const START: &str = "<!-- validate checks: written from vaultward_iam::diagnostic::checks (VAULTWARD_BLESS=1 cargo test -p vaultward --test validate rewrites it) -->";
const END: &str = "<!-- end of validate checks -->";

fn run(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn docs_codes_md_is_written_from_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/codes.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let want = format!("{START}\n{}{END}\n", checks::markdown());
    let current = match (doc.find(START), doc.find(END)) {
        (Some(a), Some(b)) => doc[a..b + END.len() + 1].to_string(),
        _ => String::new(),
    };
    if current != want {
        if std::env::var_os("VAULTWARD_BLESS").is_some() {
            let rest = match doc.find(START) {
                Some(a) => doc[..a].to_string(),
                None => format!("{}\n", doc.trim_end()),
            };
            std::fs::write(path, format!("{rest}{want}")).unwrap();
        } else {
            panic!("docs/codes.md differs from the table of checks: rerun with VAULTWARD_BLESS=1");
        }
    }
}

#[test]
fn help_lists_every_check() {
    let (code, out, _) = run(&["validate", "--help"], b"");
    assert_eq!(code, 0);
    for c in checks::ALL {
        assert!(out.contains(c.id), "--help lacks {}", c.id);
    }
}

#[test]
fn sarif_has_a_rule_per_check_and_results_for_the_new_checks() {
    let policy = br#"{"Version":"2012-10-17","Statement":[{"Sid":"bad sid","Effect":"Allow","Action":"iam:PassRole","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1::b/k"}]}"#;
    let (code, out, err) = run(
        &["validate", "-", "--kind", "identity", "--format", "sarif"],
        policy,
    );
    assert_eq!(code, 1, "{err}");
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), checks::ALL.len());
    for r in rules {
        let id = r["id"].as_str().unwrap();
        assert_ne!(r["name"], r["id"]);
        assert!(r["helpUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/docs/codes.md#{id}")));
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
    }
    let results = log["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    for id in [
        "unsupported-sid",
        "pass-role-with-star-in-resource",
        "arn-region-not-allowed",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }
}

#[test]
fn a_byte_order_mark_is_reported() {
    let mut policy = vec![0xEF, 0xBB, 0xBF];
    policy.extend_from_slice(br#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}"#);
    let (code, out, _) = run(
        &["validate", "-", "--kind", "identity", "--format", "json"],
        &policy,
    );
    assert_eq!(code, 0);
    assert!(out.contains("\"utf8-bom\""), "{out}");
}

/// The KMS guide's default key policy: `"Resource": "*"` there means this key, so no
/// suggestion to narrow it ("Default key policy", AWS KMS Developer Guide).
#[test]
fn the_default_key_policy_gets_no_resource_suggestion() {
    let policy = br#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
    let (code, out, _) = run(
        &["validate", "-", "--kind", "key", "--format", "json"],
        policy,
    );
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["findings"], serde_json::json!([]), "{out}");
}
