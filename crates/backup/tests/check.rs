//! The pre-flight check, one broken state per test, on the bundled demo account
//! (`examples/demo-account.json`, written by `tools/make-demo-account.py`).
//! Rules: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
//! KMS key policies https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html,
//! S3 Object Ownership https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use vaultward_backup::check::{Level, Report, Status};
use vaultward_backup::{check, AssetType, CheckOptions, Op, Snapshot};

const ROLE: &str = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";

fn demo() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn run(v: &Value, ops: &[Op]) -> Report {
    let s = Snapshot::from_json("test", &v.to_string()).unwrap();
    check(
        &s,
        &CheckOptions::new(
            ROLE,
            [AssetType::S3, AssetType::DynamoDb, AssetType::Ec2]
                .into_iter()
                .collect(),
            ops.iter().copied().collect(),
        ),
    )
    .unwrap()
}

fn only_bucket(v: &mut Value, name: &str) {
    v["buckets"]
        .as_array_mut()
        .unwrap()
        .retain(|b| b["name"] == name);
}

fn codes(r: &Report) -> Vec<&'static str> {
    r.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn the_demo_account_shows_each_seed_problem() {
    let r = run(&demo(), &[Op::Backup, Op::Restore]);
    let c = codes(&r);
    for code in [
        "explicit-deny-bucket-policy",
        "kms-key-policy-denies",
        "object-owner-mismatch",
    ] {
        assert!(c.contains(&code), "{code} missing: {c:?}");
    }
    assert!(r.blocks());
    let ok: Vec<&str> = r
        .matrix
        .iter()
        .filter(|c| c.status.name() == "ok")
        .map(|c| c.resource.as_str())
        .collect();
    assert!(ok.contains(&"arn:aws:s3:::clean-bucket"), "{ok:?}");
    assert!(
        r.matrix.iter().all(|c| c.status.name() != "unknown"),
        "{:?}",
        r.matrix
    );
}

#[test]
fn vpc_deny_names_the_statement_and_counts_what_is_lost() {
    let mut v = demo();
    only_bucket(&mut v, "hd-test");
    let r = run(&v, &[Op::Backup]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "explicit-deny-bucket-policy")
        .unwrap();
    assert_eq!(f.statement.as_deref(), Some("Access-to-specific-VPC-only"));
    assert!(
        f.reason
            .contains("StringNotEquals aws:SourceVpc is true because the key is absent"),
        "{}",
        f.reason
    );
    assert_eq!((f.impact.objects, f.impact.bytes), (3, 6 * 1_048_576));
    assert!(f.fix.contains("ArnNotLike") && f.fix.contains(ROLE));
}

#[test]
fn an_arnnotlike_exception_for_the_role_clears_the_vpc_deny() {
    let mut v = demo();
    only_bucket(&mut v, "hd-test");
    let mut policy: Value =
        serde_json::from_str(v["buckets"][0]["policy"].as_str().unwrap()).unwrap();
    policy["Statement"][0]["Condition"]["ArnNotLike"] = json!({"aws:PrincipalArn": [ROLE]});
    v["buckets"][0]["policy"] = policy;
    let r = run(&v, &[Op::Backup, Op::Restore]);
    assert!(
        !codes(&r).contains(&"explicit-deny-bucket-policy"),
        "{:#?}",
        r.findings
    );
}

#[test]
fn the_seed_notprincipal_form_does_not_exempt_the_role() {
    let mut v = demo();
    only_bucket(&mut v, "hd-test");
    let mut policy: Value =
        serde_json::from_str(v["buckets"][0]["policy"].as_str().unwrap()).unwrap();
    let st = policy["Statement"][0].as_object_mut().unwrap();
    st.remove("Principal");
    st.insert("NotPrincipal".into(), json!({"AWS": ["arn:aws:iam::111122223333:root", ROLE, "arn:aws:sts::111122223333:assumed-role/VaultwardBackupRole/daebaksrv-*"]}));
    v["buckets"][0]["policy"] = policy;
    let r = run(&v, &[Op::Backup]);
    let c = codes(&r);
    assert!(
        c.contains(&"notprincipal-wildcard") && c.contains(&"explicit-deny-bucket-policy"),
        "{c:?}"
    );
}

#[test]
fn objects_under_an_aws_managed_key_used_from_elsewhere() {
    let mut v = demo();
    only_bucket(&mut v, "finance-encrypted");
    // An AWS managed key allows use only through its own service in its own account.
    v["kms_keys"][0]["manager"] = json!("AWS");
    v["kms_keys"][0]["policy"] = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}}]});
    let r = run(&v, &[Op::Backup]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "aws-managed-key")
        .unwrap();
    assert!(f.fix.contains("customer managed key"));
    assert_eq!(f.impact.objects, 4);
}

#[test]
fn scp_rcp_and_boundary_denials_are_named() {
    let mut v = demo();
    only_bucket(&mut v, "clean-bucket");
    v["organization"]["scps"] = json!([[{"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}, {"name": "NoS3Reads", "document": {"Version": "2012-10-17", "Statement": [{"Sid": "NoS3", "Effect": "Deny", "Action": "s3:ListBucket", "Resource": "*"}]}}]]);
    let r = run(&v, &[Op::Backup]);
    assert_eq!(r.findings[0].code, "scp-denies");
    assert_eq!(r.findings[0].statement.as_deref(), Some("NoS3"));

    let mut v = demo();
    only_bucket(&mut v, "clean-bucket");
    v["organization"]["rcps"] = json!([[{"name": "OrgOnly", "document": {"Version": "2012-10-17", "Statement": [{"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}}]}}]]);
    let r = run(&v, &[Op::Backup]);
    assert_eq!(r.findings[0].code, "rcp-denies");
    // Inside the organization, the same RCP lets the role through.
    v["organization"]["id"] = json!("o-abc");
    assert!(run(&v, &[Op::Backup]).findings.is_empty());

    let mut v = demo();
    only_bucket(&mut v, "clean-bucket");
    let boundary = "arn:aws:iam::111122223333:policy/Boundary";
    v["iam"]["RoleDetailList"][0]["PermissionsBoundary"] =
        json!({"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary});
    v["iam"]["Policies"].as_array_mut().unwrap().push(json!({"PolicyName": "Boundary", "Arn": boundary, "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}, "IsDefaultVersion": true}]}));
    let r = run(&v, &[Op::Backup]);
    assert_eq!(r.findings[0].code, "boundary-denies");
}

#[test]
fn missing_identity_permissions_and_vault_policies() {
    let mut v = demo();
    only_bucket(&mut v, "clean-bucket");
    v["iam"]["RoleDetailList"][0]["AttachedManagedPolicies"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["PolicyName"] != "VaultwardS3BackupPolicy");
    let r = run(&v, &[Op::Backup]);
    let missing: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == "missing-identity-permission")
        .map(|f| f.action.as_str())
        .collect();
    assert!(
        missing.contains(&"s3:ListBucket") && missing.contains(&"s3:GetObjectAcl"),
        "{missing:?}"
    );

    let mut v = demo();
    v["buckets"] = json!([]);
    v["backup_vaults"][0]["access_policy"] = json!({"Version": "2012-10-17", "Statement": [{"Sid": "LockDown", "Effect": "Deny", "Principal": "*", "Action": ["backup:DescribeBackupVault", "backup:ListRecoveryPointsByBackupVault"], "Resource": "*"}]});
    let r = run(&v, &[Op::Backup]);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "vault-policy-denies")
        .unwrap();
    assert_eq!(f.statement.as_deref(), Some("LockDown"));
}

#[test]
fn missing_parts_are_unknown_never_invented() {
    let mut v = demo();
    only_bucket(&mut v, "clean-bucket");
    v["buckets"][0].as_object_mut().unwrap().remove("policy");
    let r = run(&v, &[Op::Backup]);
    let f = &r.findings[0];
    assert_eq!(
        (f.code.as_str(), f.level),
        ("not-collected", Level::Unknown)
    );
    assert!(f.reason.contains("bucket policy"), "{}", f.reason);
    assert!(!r.blocks());
    assert_eq!(r.status, Status::Unknown);
    assert_eq!(r.status.exit_code(), 3);

    let mut v = demo();
    only_bucket(&mut v, "finance-encrypted");
    v["kms_keys"] =
        json!([{"arn": v["kms_keys"][0]["arn"], "policy": {"not_collected": "AccessDenied"}}]);
    let r = run(&v, &[Op::Backup]);
    assert!(
        r.findings
            .iter()
            .any(|f| f.reason.contains("was not collected: AccessDenied")),
        "{:#?}",
        r.findings
    );

    let mut v = demo();
    v.as_object_mut().unwrap().remove("iam");
    let r = run(&v, &[Op::Backup]);
    assert!(r.findings.iter().all(|f| f.level == Level::Unknown) && !r.findings.is_empty());
}

#[test]
fn objects_are_evaluated_once_per_key_and_owner() {
    let mut v = demo();
    only_bucket(&mut v, "clean-bucket");
    let objects: Vec<Value> = (0..10_000)
        .map(|i| json!({"key": format!("o/{i}"), "size": 1, "owner_account": "111122223333"}))
        .collect();
    let one = run(&v, &[Op::Backup]);
    v["buckets"][0]["objects"] = Value::Array(objects);
    let r = run(&v, &[Op::Backup]);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    // The requests do not grow with the objects: one group, as for the demo's objects.
    assert_eq!(r.requests, one.requests);
}

#[test]
fn bad_snapshots_are_located_errors() {
    let e = Snapshot::from_json(
        "snap.json",
        "{\n  \"account_id\": \"1\",\n  \"bukets\": []\n}",
    )
    .unwrap_err();
    assert_eq!((e.line, e.file.as_str()), (3, "snap.json"));
    assert!(e.message.contains("bukets"), "{}", e.message);
}

/// SARIF for GitHub code scanning (SARIF 2.1.0; GitHub's "SARIF support for code
/// scanning" page: rules need `fullDescription` and `help`, locations relative URIs and
/// regions) and the self-contained HTML page. The SARIF multitool's GitHub rules and a
/// real browser check them further in `tools/report-e2e`.
#[test]
fn sarif_and_html_reports() {
    use vaultward_backup::check::{html, sarif, Source};
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    let r = run(&demo(), &[Op::Backup, Op::Restore]);
    let src = Source {
        name: "examples/demo-account.json",
        text: Some(&text),
        generated: Some("2026-12-02T10:00:00Z".into()),
    };
    let s = sarif(&r, &src);
    assert_eq!(s["version"], "2.1.0");
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), r.findings.len());
    let rules = s["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert!(
            rule["fullDescription"]["text"].as_str().unwrap().len() > 40,
            "{rule}"
        );
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("**Fix.**"));
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/docs/codes.md#{id}")));
        assert!(!rule.to_string().contains("example.invalid"));
    }
    assert!(rules.iter().any(|r| r["id"] == "object-owner-mismatch"));
    // The bucket policy's Deny: the result lands on the line of the bucket's policy (held
    // as a JSON string in the demo, so the string's line) with a relative URI.
    let deny = results
        .iter()
        .find(|x| x["ruleId"] == "explicit-deny-bucket-policy")
        .unwrap();
    assert_eq!(deny["level"], "error");
    let loc = &deny["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "examples/demo-account.json");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let line = loc["region"]["startLine"].as_u64().unwrap() as usize;
    let text_line = text.lines().nth(line - 1).unwrap();
    assert!(
        text_line.contains("\"policy\"") && text_line.contains("Access-to-specific-VPC-only"),
        "line {line}: {text_line}"
    );
    // Messages are sentences.
    let msg = deny["message"]["text"].as_str().unwrap();
    assert!(
        msg.starts_with("Backup of `arn:aws:s3:::hd-test`") && msg.contains(". Fix: "),
        "{msg}"
    );
    assert!(!msg.contains(".."), "{msg}");
    // Every result has a region.
    assert!(results.iter().all(
        |x| x["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            >= 1
    ));

    let page = html(&r, &src);
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    assert!(
        !page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("@import"),
        "self-contained"
    );
    assert!(page.contains("<meta name=\"viewport\""));
    assert_eq!(page.matches("<details").count(), r.findings.len());
    // Unique, valid anchors: one per finding, letters, digits and hyphens only, and every
    // link of the matrix points at one.
    let ids: Vec<&str> = page
        .split("<details id=\"")
        .skip(1)
        .map(|t| &t[..t.find('"').unwrap()])
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{ids:?}");
    assert!(ids
        .iter()
        .all(|i| i.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')));
    for link in page.split("href=\"#").skip(1) {
        let target = &link[..link.find('"').unwrap()];
        assert!(ids.contains(&target), "{target}");
    }
    // The header: verdict, totals, counts, time, version, source.
    assert!(page.contains("<span class=\"verdict blocked\" id=\"verdict\">blocked</span>"));
    assert!(page.contains("2026-12-02T10:00:00Z") && page.contains("examples/demo-account.json"));
    assert!(page.contains(concat!("vaultward ", env!("CARGO_PKG_VERSION"))));
    assert!(page.contains("blocking</span>") && page.contains("id=\"totals\""));
    // The deciding statement as JSON, and Markdown code spans as code.
    assert!(
        page.contains("&quot;Sid&quot;: &quot;Access-to-specific-VPC-only&quot;"),
        "statement JSON"
    );
    assert!(!page.contains("`"), "backticks rendered as code");
    assert!(page.contains("<td class=\"ok\">"));
}

/// What the collector was refused stays unknown: a bucket whose objects could not be listed
/// is not passed, and unread SCPs/RCPs are said to be assumed away, never silently.
#[test]
fn parts_the_collector_was_refused_are_reported_unknown() {
    let mut v = demo();
    only_bucket(&mut v, "clean-bucket");
    let before = run(&v, &[Op::Backup]);
    assert!(
        !before
            .findings
            .iter()
            .any(|f| f.resource == "arn:aws:s3:::clean-bucket"),
        "{:#?}",
        before.findings
    );
    v["buckets"][0]["objects"] = json!([]);
    v["buckets"][0]["not_collected"] = json!({"objects": "AccessDenied"});
    let r = run(&v, &[Op::Backup]);
    let f = r
        .findings
        .iter()
        .find(|f| f.resource == "arn:aws:s3:::clean-bucket")
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!(f.level, Level::Unknown);
    assert!(f.reason.contains("AccessDenied"), "{}", f.reason);

    let mut v = demo();
    only_bucket(&mut v, "clean-bucket");
    v["organization"] =
        json!({"id": "o-abc", "policies_not_collected": "ListParents(111122223333) was refused"});
    let r = run(&v, &[Op::Backup, Op::Restore]);
    let org: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.code == "organization-policies-not-collected")
        .collect();
    assert_eq!(org.len(), 2, "one per operation");
    assert!(org.iter().all(|f| f.level == Level::Unknown));
    assert!(
        !r.blocks(),
        "{:#?}",
        r.findings
            .iter()
            .filter(|f| f.level == Level::Blocking)
            .collect::<Vec<_>>()
    );
}

/// Every finding code has its section in `docs/codes.md` (what SARIF's `helpUri` links
/// to), with the same words as the rule's `fullDescription` and `help`.
#[test]
fn every_code_is_documented() {
    use vaultward_backup::check::Code;
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/codes.md"))
        .unwrap();
    for c in Code::ALL {
        let (full, fix) = c.help();
        let section = format!("### {c}\n\n{full}\n\n**Fix.** {fix}\n");
        assert!(
            doc.contains(&section),
            "docs/codes.md lacks or differs for:\n{section}"
        );
    }
}

/// `check` evaluates the service table's steps, and only these: on a table, a volume, an
/// instance and a vault whose data is not under a KMS key, every step of the table that is
/// not on a key is one request, and the generated role allows them all.
#[test]
fn the_check_evaluates_exactly_the_tables_steps() {
    use vaultward_model::service::{steps, Subject, Target, When};
    let mut v = demo();
    v["buckets"] = json!([]);
    v["dynamodb_tables"][0]["kms_key_id"] = Value::Null;
    v["ebs_volumes"][0]["kms_key_id"] = Value::Null;
    v["ebs_volumes"][0]["encrypted"] = json!(false);
    let ops = [Op::Backup, Op::Restore];
    let r = run(&v, &ops);
    let expected: usize = [
        Subject::Table,
        Subject::Volume,
        Subject::Instance,
        Subject::Vault,
    ]
    .into_iter()
    .flat_map(|subject| ops.into_iter().flat_map(move |op| steps(subject, op)))
    .filter(|s| s.target != Target::Key && s.when == When::Always)
    .count();
    assert_eq!(r.requests, expected);
    assert_eq!(r.status, Status::Ok, "{:#?}", r.findings);
}
