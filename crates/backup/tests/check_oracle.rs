//! The grouped check against a brute-force oracle: the same check with every object in a
//! group of its own ([`Plan::per_object`]). Random buckets (keys, owners, KMS keys, sizes,
//! tags, in random order) under random prefix-scoped `Resource`/`NotResource` Allow and
//! Deny statements, in the bucket policy and in the role's own policies: the grouped check
//! must agree with the oracle on every finding, every impact figure, every cell and every
//! total, and must not depend on the order of the listing.
//!
//! Rules the generated policies exercise: Resource and NotResource matching
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html),
//! explicit Deny over Allow
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html),
//! `s3:ExistingObjectTag` (https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-and-policies.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{json, Value};
use vaultward_backup::check::Report;
use vaultward_backup::{AssetType, CheckOptions, Op, Plan, Snapshot};

const ROLE: &str = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
const BUCKET: &str = "prop-bucket";
const LOCKED_KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const OPEN_KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555";

fn demo() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Key prefixes the policies' patterns cut between.
const DIRS: &[&str] = &["", "a/", "a/b/", "c/", "confidential/", "confidential/x/"];
const NAMES: &[&str] = &["x.txt", "y.csv", "xa", "a", "z.txt", "q"];
/// Patterns on object ARNs, relative to `arn:aws:s3:::prop-bucket/`.
const PATTERNS: &[&str] = &[
    "*",
    "a/*",
    "a/b/*",
    "c/*.txt",
    "confidential/*",
    "confidential/?/*",
    "*.csv",
    "a/x*",
    "x.txt",
    "*/x*",
];
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:GetObject*",
    "s3:*",
    "s3:GetObjectVersion",
];

#[derive(Debug, Clone)]
struct Obj {
    key: String,
    size: u64,
    foreign: bool,
    kms: Option<bool>,
    tags: Option<bool>,
}

#[derive(Debug, Clone)]
struct Stmt {
    allow: bool,
    actions: Vec<&'static str>,
    not_resource: bool,
    patterns: Vec<&'static str>,
    tag_condition: bool,
    in_bucket_policy: bool,
}

fn obj() -> impl Strategy<Value = Obj> {
    (
        0..DIRS.len(),
        0..NAMES.len(),
        prop_oneof![
            Just(0u64),
            1u64..1000,
            Just(8 * 1024 * 1024),
            9_000_000u64..20_000_000
        ],
        any::<bool>(),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(d, n, size, foreign, kms, tags)| Obj {
            key: format!("{}{}", DIRS[d], NAMES[n]),
            size,
            foreign,
            kms,
            tags,
        })
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        prop::collection::vec(prop::sample::select(ACTIONS), 1..3),
        any::<bool>(),
        prop::collection::vec(prop::sample::select(PATTERNS), 1..3),
        prop::bool::weighted(0.2),
        any::<bool>(),
    )
        .prop_map(
            |(allow, actions, not_resource, patterns, tag_condition, in_bucket_policy)| Stmt {
                allow,
                actions,
                not_resource,
                patterns,
                tag_condition,
                in_bucket_policy,
            },
        )
}

fn statement(s: &Stmt, i: usize) -> Value {
    let arns: Vec<String> = s
        .patterns
        .iter()
        .map(|p| format!("arn:aws:s3:::{BUCKET}/{p}"))
        .collect();
    let mut st = json!({
        "Sid": format!("S{i}"),
        "Effect": if s.allow { "Allow" } else { "Deny" },
        "Action": s.actions,
    });
    if s.in_bucket_policy {
        st["Principal"] = json!("*");
    }
    st[if s.not_resource {
        "NotResource"
    } else {
        "Resource"
    }] = json!(arns);
    if s.tag_condition {
        st["Condition"] = json!({"StringEquals": {"s3:ExistingObjectTag/class": "secret"}});
    }
    st
}

fn snapshot(objects: &[Obj], stmts: &[Stmt], enforced: bool, truncated: bool) -> Snapshot {
    let mut v = demo();
    let bucket_st: Vec<Value> = stmts
        .iter()
        .enumerate()
        .filter(|(_, s)| s.in_bucket_policy)
        .map(|(i, s)| statement(s, i))
        .collect();
    let role_st: Vec<Value> = stmts
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.in_bucket_policy)
        .map(|(i, s)| statement(s, i))
        .collect();
    let objects: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut j = json!({
                "key": o.key,
                "size": o.size,
                "owner_account": if o.foreign { "444455556666" } else { "111122223333" },
            });
            if let Some(locked) = o.kms {
                j["kms_key_id"] = json!(if locked { LOCKED_KEY } else { OPEN_KEY });
            }
            if let Some(secret) = o.tags {
                j["tags"] = json!([["class", if secret { "secret" } else { "public" }]]);
            }
            j
        })
        .collect();
    v["buckets"] = json!([{
        "name": BUCKET,
        "region": "us-east-1",
        "policy": if bucket_st.is_empty() { Value::Null } else { json!({"Version": "2012-10-17", "Statement": bucket_st}) },
        "ownership": if enforced { "BucketOwnerEnforced" } else { "ObjectWriter" },
        "default_encryption": {"sse": "AES256"},
        "objects": objects,
        "objects_truncated": truncated,
    }]);
    if !role_st.is_empty() {
        v["iam"]["RoleDetailList"][0]["RolePolicyList"]
            .as_array_mut()
            .unwrap()
            .push(json!({"PolicyName": "PropPolicy", "PolicyDocument": {"Version": "2012-10-17", "Statement": role_st}}));
    }
    Snapshot::from_json("prop", &v.to_string()).unwrap()
}

fn opts() -> CheckOptions {
    CheckOptions::new(
        ROLE,
        [AssetType::S3].into_iter().collect(),
        [Op::Backup, Op::Restore].into_iter().collect(),
    )
}

/// Everything of a report but the reasons' wording (which names a group's sample object).
fn facts(r: &Report) -> Value {
    json!({
        "status": r.status,
        "totals": r.totals,
        "matrix": r.matrix,
        "findings": r.findings.iter().map(|f| json!([
            f.code, f.level, f.resource, f.operation, f.action, f.policy, f.statement,
            f.impact.objects, f.impact.bytes, f.impact.at_least,
        ])).collect::<Vec<_>>(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn grouped_check_equals_the_per_object_oracle_in_any_order(
        objects in prop::collection::vec(obj(), 0..40),
        stmts in prop::collection::vec(stmt(), 0..4),
        enforced in any::<bool>(),
        truncated in prop::bool::weighted(0.1),
        seed in any::<u64>(),
    ) {
        let o = opts();
        let s = snapshot(&objects, &stmts, enforced, truncated);
        let grouped = Plan::new(&s, &o).unwrap().run();
        let oracle = Plan::new(&s, &o).unwrap().per_object().run();
        prop_assert_eq!(facts(&grouped), facts(&oracle));

        // The listing in another order: the same report, word for word.
        let mut shuffled = objects.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let s2 = snapshot(&shuffled, &stmts, enforced, truncated);
        let again = Plan::new(&s2, &o).unwrap().run();
        prop_assert_eq!(
            serde_json::to_value(&grouped).unwrap(),
            serde_json::to_value(&again).unwrap()
        );
    }
}
