//! Partial evaluation against a brute-force oracle: for random policies and random sets
//! of unknown keys, every concrete value that replaces the unknowns gives a decision
//! consistent with the answer. A decided answer never changes; an undecided answer's
//! residual predicts the decision of every concrete request, and names only conditions
//! that make a difference.
//!
//! The rules pinned are AWS's evaluation logic and condition operators:
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{json, Value};
use vaultward_iam::condition::{evaluate, parse_value, Operator};
use vaultward_iam::{
    authorize, parse_case, Context, ContextValue, Decision, DependencyKind, Response,
};

/// The keys the generated conditions read, with the values tried for each: every value
/// a policy below names, its neighbours, and values named by none. Dates are whole
/// seconds apart from the policy's, so they fall in the same classes as the engine's
/// millisecond neighbours.
const KEYS: &[(&str, &[&str])] = &[
    (
        "aws:RequestedRegion",
        &[
            "eu-west-1",
            "eu-central-1",
            "us-east-1",
            "EU-WEST-1",
            "ap-south-1",
        ],
    ),
    (
        "aws:SourceIp",
        &[
            "10.0.0.1",
            "10.1.2.3",
            "10.255.255.255",
            "11.0.0.0",
            "192.0.2.5",
            "8.8.8.8",
            "2001:db8::1",
        ],
    ),
    (
        "aws:TokenIssueTime",
        &[
            "2019-12-31T23:59:59Z",
            "2020-01-01T00:00:00Z",
            "2020-01-01T00:00:01Z",
            "2024-06-01T00:00:00Z",
            "2030-01-01T00:00:00Z",
        ],
    ),
    ("s3:max-keys", &["0", "4", "5", "6", "10", "11", "1000"]),
    ("aws:SecureTransport", &["true", "false"]),
];

fn condition() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}),
        json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}),
        json!({"StringEqualsIgnoreCase": {"aws:RequestedRegion": "eu-west-1"}}),
        json!({"StringNotEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}),
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        json!({"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}}),
        json!({"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}}),
        json!({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}),
        json!({"DateLessThanEquals": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}}),
        json!({"NumericLessThan": {"s3:max-keys": "5"}}),
        json!({"NumericGreaterThanEquals": {"s3:max-keys": "10"}}),
        json!({"NumericEquals": {"s3:max-keys": ["5", "10"]}}),
        json!({"Bool": {"aws:SecureTransport": "false"}}),
        json!({"BoolIfExists": {"aws:SecureTransport": "true"}}),
        json!({"Null": {"aws:SourceIp": "true"}}),
        json!({"Null": {"aws:RequestedRegion": "false"}}),
        json!({"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
    ])
}

fn statement(principal: bool) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["Allow", "Deny"]),
        prop::sample::select(vec!["s3:GetObject", "s3:*", "*", "ec2:*"]),
        prop::option::of(condition()),
    )
        .prop_map(move |(effect, action, cond)| {
            let mut s = json!({"Effect": effect, "Action": action, "Resource": "*"});
            if principal {
                s["Principal"] = json!("*");
            }
            if let Some(c) = cond {
                s["Condition"] = c;
            }
            s
        })
}

fn policy(principal: bool) -> impl Strategy<Value = Value> {
    prop::collection::vec(statement(principal), 1..4)
        .prop_map(|sts| json!({"Version": "2012-10-17", "Statement": sts}))
}

/// A case with some keys known, some unknown, some absent; and which are unknown.
fn case() -> impl Strategy<Value = (Value, Vec<(usize, bool)>)> {
    (
        prop::collection::vec(policy(false), 0..3),
        prop::option::of(policy(true)),
        prop::option::of(prop::collection::vec(prop::collection::vec(policy(false), 1..2), 1..3)),
        // Per key: 0 absent, 1 known (the first value), 2 unknown, 3 unknown and maybe absent.
        prop::collection::vec(0u8..4, KEYS.len()),
        any::<bool>(),
    )
        .prop_map(|(identity, resource, scps, states, bounded_time)| {
            let mut ctx = serde_json::Map::new();
            let mut unknown = Vec::new();
            for (i, ((key, pool), state)) in KEYS.iter().zip(&states).enumerate() {
                // At most three unknown keys, so the oracle's product stays small.
                let state = if *state >= 2 && unknown.len() >= 3 { &1 } else { state };
                match state {
                    1 => {
                        ctx.insert(key.to_string(), json!(pool[0]));
                    }
                    2 | 3 => {
                        unknown.push((i, *state == 3));
                        let v = if *key == "aws:TokenIssueTime" && bounded_time {
                            json!({"unknown": true, "between": ["2019-12-31T23:59:59Z", "2030-01-01T00:00:00Z"]})
                        } else {
                            json!({"unknown": true})
                        };
                        let mut v = v;
                        if *state == 3 {
                            v["maybe_absent"] = json!(true);
                        }
                        ctx.insert(key.to_string(), v);
                    }
                    _ => {}
                }
            }
            let mut c = json!({
                "request": {
                    "principal": "arn:aws:sts::111122223333:assumed-role/BackupRole/s1",
                    "action": "s3:GetObject",
                    "resource": "arn:aws:s3:::b/k",
                    "resource_account": "111122223333",
                    "context": Value::Object(ctx),
                },
                "identity_policies": identity,
            });
            if let Some(r) = resource {
                c["resource_policy"] = r;
            }
            if let Some(s) = scps {
                c["scps"] = json!(s);
            }
            (c, unknown)
        })
}

/// Every concrete request the unknowns stand for (the pools' product), with its decision.
/// A key that may be absent has absence as one more value to try.
fn worlds(c: &Value, unknown: &[(usize, bool)]) -> Vec<(Context, Decision)> {
    let mut out = Vec::new();
    let sizes: Vec<usize> = unknown
        .iter()
        .map(|(i, maybe_absent)| KEYS[*i].1.len() + usize::from(*maybe_absent))
        .collect();
    let total: usize = sizes.iter().product();
    for n in 0..total {
        let mut concrete = c.clone();
        let mut rest = n;
        for ((i, _), size) in unknown.iter().zip(&sizes) {
            let (key, pool) = KEYS[*i];
            let ctx = concrete["request"]["context"].as_object_mut().unwrap();
            match pool.get(rest % size) {
                Some(v) => {
                    ctx.insert(key.to_string(), json!(v));
                }
                None => {
                    ctx.remove(key);
                }
            }
            rest /= size;
        }
        let case = parse_case(&concrete.to_string()).unwrap();
        let d = authorize(&case.request, &case.policies).decision;
        out.push((case.request.context.clone(), d));
    }
    out
}

/// Whether a residual dependency (a condition) holds in a concrete context.
fn holds(kind: &DependencyKind, ctx: &Context) -> bool {
    let DependencyKind::Condition {
        operator,
        key,
        values,
    } = kind
    else {
        panic!("only conditions are generated: {kind:?}");
    };
    let op = Operator::parse(operator).unwrap();
    let vals: Vec<_> = values
        .iter()
        .map(|v| parse_value(op.kind, v, true).unwrap())
        .collect();
    evaluate(&op, key, &vals, ctx).0
}

/// The decision the residual predicts for a concrete context.
fn predicted(r: &Response, ctx: &Context) -> Option<Decision> {
    let res = r.residual.as_ref()?;
    let truth: Vec<bool> = res.depends_on.iter().map(|d| holds(&d.kind, ctx)).collect();
    let matching: Vec<Decision> = res
        .cases
        .iter()
        .filter(|c| {
            c.when
                .iter()
                .any(|t| t.iter().all(|l| truth[l.depends_on] == l.holds))
        })
        .map(|c| c.decision)
        .collect();
    assert!(
        matching.len() <= 1,
        "the residual's cases overlap: {matching:?} for {ctx:?}\n{res:#?}"
    );
    matching.first().copied()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn partial_answers_agree_with_every_concrete_request((c, unknown) in case()) {
        let case = parse_case(&c.to_string()).unwrap();
        let r = authorize(&case.request, &case.policies);
        let ws = worlds(&c, &unknown);
        let seen: Vec<Decision> = ws.iter().map(|(_, d)| *d).collect();
        match r.decision {
            Decision::Allow | Decision::ExplicitDeny => {
                prop_assert!(seen.iter().all(|d| *d == r.decision), "decided {:?}, but some request gives otherwise: {seen:?}\n{c}", r.decision);
                prop_assert!(r.residual.is_none());
            }
            Decision::ImplicitDeny => {
                prop_assert!(seen.iter().all(|d| *d != Decision::Allow), "denied, but some request is allowed\n{c}");
                if r.residual.is_none() {
                    prop_assert!(seen.iter().all(|d| *d == Decision::ImplicitDeny), "{seen:?}\n{c}");
                }
            }
            Decision::Undecided => {
                // Every class of values is in the pools, so an undecided answer has a
                // concrete request either way.
                prop_assert!(seen.contains(&Decision::Allow), "undecided, but no request is allowed\n{c}\n{:#?}", r.residual);
                prop_assert!(seen.iter().any(|d| *d != Decision::Allow), "undecided, but every request is allowed\n{c}");
            }
        }
        if let Some(res) = &r.residual {
            prop_assert!(res.complete);
            for (ctx, d) in &ws {
                prop_assert_eq!(predicted(&r, ctx), Some(*d), "the residual predicts wrong for {:?}\n{}\n{:#?}", ctx, c, res);
            }
            // Each dependency named makes a difference: two requests that differ in it
            // get different decisions.
            for dep in &res.depends_on {
                let differs = ws.iter().any(|(a, da)| {
                    ws.iter().any(|(b, db)| da != db && holds(&dep.kind, a) != holds(&dep.kind, b))
                });
                prop_assert!(differs, "the residual names {:?}, which changes nothing\n{}", dep.kind, c);
            }
        }
    }
}

/// With no unknowns, partial evaluation is the evaluation: the same decision and
/// reasons as before for the same policies (the corpus pins those).
#[test]
fn known_contexts_have_no_residual() {
    let c = json!({
        "request": {"principal": "arn:aws:sts::111122223333:assumed-role/BackupRole/s1",
            "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resource_account": "111122223333",
            "context": {"aws:RequestedRegion": "eu-west-1"}},
        "identity_policies": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}],
        "scps": [[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}]}]]
    });
    let case = parse_case(&c.to_string()).unwrap();
    let r = authorize(&case.request, &case.policies);
    assert_eq!(r.decision, Decision::Allow);
    assert!(r.residual.is_none());
    let mut ctx = case.request.context.clone();
    ctx.insert(
        "aws:RequestedRegion",
        ContextValue::Single("us-east-1".into()),
    );
    let mut req = case.request.clone();
    req.context = ctx;
    assert_eq!(
        authorize(&req, &case.policies).decision,
        Decision::ExplicitDeny
    );
}

/// Keys whose classes the engine does not enumerate (patterns, sets, variables): the
/// answer may stay undecided where a finer analysis would decide, but it is never wrong,
/// and the residual still predicts every concrete request.
fn hard_condition() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!({"StringLike": {"aws:RequestedRegion": "eu-*"}}),
        json!({"StringNotLike": {"aws:RequestedRegion": ["eu-*", "*-1"]}}),
        json!({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}),
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}),
        json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}),
        json!({"Null": {"aws:TagKeys": "true"}}),
        json!({"StringEquals": {"s3:prefix": "${aws:username}/"}}),
        json!({"StringNotEquals": {"aws:username": "alice"}}),
    ])
}

fn hard_case() -> impl Strategy<Value = (Value, Vec<(String, Vec<Value>)>)> {
    let stmt = (
        prop::sample::select(vec!["Allow", "Deny"]),
        prop::option::of(hard_condition()),
    )
        .prop_map(|(effect, cond)| {
            let mut s = json!({"Effect": effect, "Action": "s3:GetObject", "Resource": "*"});
            if let Some(c) = cond {
                s["Condition"] = c;
            }
            s
        });
    (
        prop::collection::vec(stmt, 1..5),
        prop::collection::vec(any::<bool>(), 4),
    )
        .prop_map(|(sts, unknown)| {
            let keys: [(&str, Vec<Value>, Value); 4] = [
                (
                    "aws:RequestedRegion",
                    vec![
                        json!("eu-west-1"),
                        json!("eu-north-2"),
                        json!("us-east-1"),
                        json!("ap-south-2"),
                    ],
                    json!({"unknown": true}),
                ),
                (
                    "aws:TagKeys",
                    vec![
                        json!([]),
                        json!(["a"]),
                        json!(["b"]),
                        json!(["a", "b"]),
                        json!(["c"]),
                    ],
                    json!({"unknown": true, "multivalued": true}),
                ),
                (
                    "aws:username",
                    vec![json!("alice"), json!("bob")],
                    json!({"unknown": true}),
                ),
                (
                    "s3:prefix",
                    vec![json!("alice/"), json!("bob/"), json!("x")],
                    json!({"unknown": true}),
                ),
            ];
            let mut ctx = serde_json::Map::new();
            let mut pools = Vec::new();
            for ((key, pool, u), unknown) in keys.into_iter().zip(unknown) {
                if unknown {
                    ctx.insert(key.to_string(), u);
                    pools.push((key.to_string(), pool));
                } else {
                    ctx.insert(key.to_string(), pool[0].clone());
                }
            }
            let c = json!({
                "request": {
                    "principal": "arn:aws:sts::111122223333:assumed-role/BackupRole/s1",
                    "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
                    "resource_account": "111122223333", "context": Value::Object(ctx)},
                "identity_policies": [{"Version": "2012-10-17", "Statement": sts}],
            });
            (c, pools)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn partial_answers_are_never_wrong_on_patterns_and_sets((c, pools) in hard_case()) {
        let case = parse_case(&c.to_string()).unwrap();
        let r = authorize(&case.request, &case.policies);
        let total: usize = pools.iter().map(|(_, p)| p.len()).product();
        for n in 0..total {
            let mut concrete = c.clone();
            let mut rest = n;
            for (key, pool) in &pools {
                concrete["request"]["context"][key.as_str()] = pool[rest % pool.len()].clone();
                rest /= pool.len();
            }
            let cc = parse_case(&concrete.to_string()).unwrap();
            let d = authorize(&cc.request, &cc.policies).decision;
            match r.decision {
                Decision::Allow | Decision::ExplicitDeny => prop_assert_eq!(d, r.decision, "{}", concrete),
                Decision::ImplicitDeny => prop_assert!(d != Decision::Allow, "{}", concrete),
                Decision::Undecided => {}
            }
            if let Some(res) = &r.residual {
                if res.complete {
                    prop_assert_eq!(predicted(&r, &cc.request.context), Some(d), "{}\n{:#?}", concrete, res);
                }
            }
        }
    }
}
