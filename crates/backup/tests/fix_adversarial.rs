//! `fix` against policies built to make it lie: random bucket policies (Deny and Allow,
//! `Principal` and `NotPrincipal` naming the role, other roles, users with and without a
//! permissions boundary, accounts, services; `Action` and `NotAction`; conditions that the
//! role's requests do or do not meet) and random extra SCP Denies. For each:
//!
//! - `fix` exits 0 exactly when `check` of the snapshot it patched (read back from JSON)
//!   says ok;
//! - an independent oracle, not `fix`'s own sweep, compares every other principal's access
//!   before and after across principals, actions, resources and request contexts (TLS or
//!   not, from a VPC endpoint or not, with or without a principal tag): nobody but the role
//!   gains anything.
//!
//! Rules exercised: explicit Deny over Allow
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
//! `NotPrincipal` with `Deny` exempts only fully listed principals without a boundary
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html);
//! SCPs at every level must allow and any Deny applies
//! (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{json, Value};
use vaultward_backup::check::{docs_json, Status};
use vaultward_backup::fix::fixes;
use vaultward_backup::{check, AssetType, CheckOptions, Op, Snapshot};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request,
};
use vaultward_snapshot::Collected;

const ROLE: &str = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
const OTHER_ROLE: &str = "arn:aws:iam::111122223333:role/Other";
const PLAIN_USER: &str = "arn:aws:iam::111122223333:user/plain";
const BOUNDED_USER: &str = "arn:aws:iam::111122223333:user/bounded";
const BUCKET: &str = "clean-bucket";

fn base() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["buckets"]
        .as_array_mut()
        .unwrap()
        .retain(|b| b["name"] == BUCKET);
    for list in [
        "backup_vaults",
        "ebs_volumes",
        "dynamodb_tables",
        "ec2_instances",
    ] {
        v[list] = json!([]);
    }
    let iam = &mut v["iam"];
    iam["RoleDetailList"].as_array_mut().unwrap().push(json!({
        "RoleName": "Other", "Path": "/", "Arn": OTHER_ROLE, "RolePolicyList": [], "AttachedManagedPolicies": []
    }));
    iam["UserDetailList"] = json!([
        {"UserName": "plain", "Arn": PLAIN_USER},
        {"UserName": "bounded", "Arn": BOUNDED_USER, "PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/Bounds"}}
    ]);
    v
}

fn principal() -> impl Strategy<Value = (String, Value)> {
    let names = prop::sample::subsequence(
        vec![
            "111122223333",
            "arn:aws:iam::111122223333:root",
            PLAIN_USER,
            BOUNDED_USER,
            OTHER_ROLE,
            "arn:aws:sts::111122223333:assumed-role/Other/s",
            ROLE,
            "arn:aws:sts::111122223333:assumed-role/VaultwardBackupRole/*",
        ],
        1..5,
    );
    prop_oneof![
        Just(("Principal".to_string(), json!("*"))),
        Just(("Principal".to_string(), json!({"AWS": ROLE}))),
        Just((
            "Principal".to_string(),
            json!({"AWS": "arn:aws:iam::111122223333:root"})
        )),
        Just(("Principal".to_string(), json!({"AWS": OTHER_ROLE}))),
        names
            .clone()
            .prop_map(|n| ("NotPrincipal".to_string(), json!({ "AWS": n }))),
        names.prop_map(|n| (
            "NotPrincipal".to_string(),
            json!({"AWS": n, "Service": "backup.amazonaws.com"})
        )),
    ]
}

fn action() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        Just(("Action".to_string(), json!("s3:*"))),
        Just(("Action".to_string(), json!("s3:GetObject"))),
        Just(("Action".to_string(), json!(["s3:Get*", "s3:List*"]))),
        Just(("Action".to_string(), json!("s3:PutObject"))),
        Just(("Action".to_string(), json!("*"))),
        Just(("NotAction".to_string(), json!("s3:PutBucketPolicy"))),
    ]
}

fn resource() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("*")),
        Just(json!(format!("arn:aws:s3:::{BUCKET}"))),
        Just(json!(format!("arn:aws:s3:::{BUCKET}/*"))),
        Just(json!(format!("arn:aws:s3:::{BUCKET}/a/*"))),
    ]
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(
            json!({"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})
        )),
        Just(Some(json!({"Bool": {"aws:SecureTransport": "false"}}))),
        Just(Some(
            json!({"ArnNotLike": {"aws:PrincipalArn": OTHER_ROLE}})
        )),
        Just(Some(
            json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}})
        )),
        Just(Some(
            json!({"StringNotEquals": {"aws:PrincipalTag/team": "x"}})
        )),
        Just(Some(
            json!({"StringEquals": {"aws:PrincipalAccount": "111122223333"}})
        )),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.7),
        principal(),
        action(),
        resource(),
        condition(),
    )
        .prop_map(|(deny, (pk, pv), (ak, av), r, c)| {
            let mut st = json!({"Effect": if deny { "Deny" } else { "Allow" }, "Resource": r});
            // AWS refuses `NotPrincipal` with Allow; keep the generated policies valid.
            if pk == "NotPrincipal" && !deny {
                st["Principal"] = json!("*");
            } else {
                st[pk] = pv;
            }
            st[ak] = av;
            if let Some(c) = c {
                st["Condition"] = c;
            }
            st
        })
}

fn scp_deny() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(
        (action(), resource(), condition()).prop_map(|((ak, av), r, c)| {
            let mut st = json!({"Sid": "Guard", "Effect": "Deny", "Resource": r});
            st[ak] = av;
            if let Some(c) = c {
                st["Condition"] = c;
            }
            st
        }),
    )
}

fn parse(v: &Value, kind: PolicyKind) -> Option<NamedPolicy> {
    parse_policy(&v.to_string(), kind)
        .policy
        .map(|policy| NamedPolicy {
            name: "p".into(),
            policy,
        })
}

fn allow_all(kind: PolicyKind) -> NamedPolicy {
    let doc = if kind == PolicyKind::Resource {
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}})
    } else {
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}})
    };
    parse(&doc, kind).unwrap()
}

/// What a snapshot's bucket policy and SCPs mean for a principal other than the role,
/// everything else allowing.
fn sets(s: &Snapshot, bounded: bool) -> PolicySet {
    let bucket = s.buckets.iter().find(|b| b.name == BUCKET).unwrap();
    let resource = match &bucket.policy {
        Collected::Document(v) => docs_json(v).and_then(|d| parse(&d, PolicyKind::Resource)),
        _ => None,
    };
    let scps = s.organization.as_ref().map(|o| {
        o.scps
            .iter()
            .map(|level| {
                level
                    .iter()
                    .filter_map(|p| parse(p.get("document").unwrap_or(p), PolicyKind::Scp))
                    .collect()
            })
            .collect()
    });
    PolicySet {
        identity: vec![allow_all(PolicyKind::Identity)],
        resource,
        boundary: bounded.then(|| allow_all(PolicyKind::Boundary)),
        scps,
        ..Default::default()
    }
}

/// (principal, aws:PrincipalArn, has a boundary, account of the request's resource side)
const OTHERS: &[(&str, Option<&str>, bool)] = &[
    ("*", None, false),
    (
        "111122223333",
        Some("arn:aws:iam::111122223333:root"),
        false,
    ),
    (
        "arn:aws:sts::111122223333:assumed-role/Other/s",
        Some(OTHER_ROLE),
        false,
    ),
    (PLAIN_USER, Some(PLAIN_USER), false),
    (BOUNDED_USER, Some(BOUNDED_USER), true),
    (
        "arn:aws:sts::444455556666:assumed-role/Outsider/s",
        Some("arn:aws:iam::444455556666:role/Outsider"),
        false,
    ),
];
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:PutBucketPolicy",
    "s3:GetObjectAcl",
];

fn others_gain(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut gained = Vec::new();
    let resources = [
        format!("arn:aws:s3:::{BUCKET}"),
        format!("arn:aws:s3:::{BUCKET}/a/x.txt"),
        format!("arn:aws:s3:::{BUCKET}/z"),
    ];
    for (p, parn, bounded) in OTHERS {
        let (old, new) = (sets(before, *bounded), sets(after, *bounded));
        for action in ACTIONS {
            for resource in &resources {
                for ctx_bits in 0..8u8 {
                    let mut ctx = Context::default();
                    ctx.insert(
                        "aws:SecureTransport",
                        ContextValue::Single((ctx_bits & 1 == 1).to_string()),
                    );
                    if ctx_bits & 2 == 2 {
                        ctx.insert(
                            "aws:SourceVpce",
                            ContextValue::Single("vpce-1a2b3c4d".into()),
                        );
                    }
                    if ctx_bits & 4 == 4 {
                        ctx.insert("aws:PrincipalTag/team", ContextValue::Single("x".into()));
                    }
                    if let Some(a) = parn {
                        ctx.insert("aws:PrincipalArn", ContextValue::Single(a.to_string()));
                        let account = a.split(':').nth(4).unwrap_or_default();
                        ctx.insert("aws:PrincipalAccount", ContextValue::Single(account.into()));
                    }
                    let req = Request::new(p, action, resource, Some("111122223333"), ctx).unwrap();
                    if authorize(&req, &new).decision == Decision::Allow
                        && authorize(&req, &old).decision != Decision::Allow
                    {
                        gained.push(format!(
                            "{p} gains {action} on {resource} (context {ctx_bits})"
                        ));
                    }
                }
            }
        }
    }
    gained
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn fix_never_lies_and_opens_nothing_for_anyone_else(
        statements in prop::collection::vec(statement(), 1..4),
        scp in scp_deny(),
    ) {
        let mut v = base();
        v["buckets"][0]["policy"] = json!({"Version": "2012-10-17", "Statement": statements});
        if let Some(st) = scp {
            v["organization"]["scps"][0].as_array_mut().unwrap().push(
                json!({"name": "Guard", "document": {"Version": "2012-10-17", "Statement": [st]}}),
            );
        }
        let s = Snapshot::from_json("adversarial", &v.to_string()).unwrap();
        let opts = CheckOptions::new(
            ROLE,
            [AssetType::S3].into_iter().collect(),
            [Op::Backup, Op::Restore].into_iter().collect(),
        );
        let r = fixes(&s, &opts).unwrap();
        let reread = Snapshot::from_json(
            "patched-snapshot.json",
            &serde_json::to_string(&r.patched).unwrap(),
        )
        .unwrap();
        let after = check(&reread, &opts).unwrap();
        prop_assert_eq!(after.status, r.after);
        prop_assert_eq!(
            r.exit_code() == 0,
            after.status == Status::Ok,
            "fix exits {} but check says {:?}: {:#?}",
            r.exit_code(),
            after.status,
            after.findings
        );
        let gained = others_gain(&s, &reread);
        prop_assert!(
            gained.is_empty(),
            "{} gains, first: {:?}\n{}",
            gained.len(),
            gained.iter().take(5).collect::<Vec<_>>(),
            serde_json::to_string_pretty(&v["buckets"][0]["policy"]).unwrap()
        );
    }
}
