//! Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
use super::*;
use crate::condition::{evaluate, parse_value};

fn cond(op: &str, values: &[&str]) -> (Operator, Vec<CondValue>) {
    let op = Operator::parse(op).unwrap();
    let vals = values
        .iter()
        .map(|v| parse_value(op.kind, v, true).unwrap())
        .collect();
    (op, vals)
}

/// Every class the condition tells apart has a candidate: the candidates give every
/// answer that a pool of values around the policy's values gives.
#[test]
fn complete_families_reach_every_answer() {
    let pool: &[&str] = &[
        "10.0.0.0",
        "10.0.0.255",
        "10.0.1.0",
        "9.255.255.255",
        "10.0.0.128",
        "192.0.2.1",
        "::1",
        "2001:db8::1",
    ];
    for (op, values) in [
        ("IpAddress", &["10.0.0.0/24", "10.0.0.128/25"][..]),
        ("NotIpAddress", &["10.0.0.0/24"][..]),
        ("IpAddress", &["0.0.0.0/0"][..]),
    ] {
        let (op, vals) = cond(op, values);
        let u = Unknown::default();
        let ctx = Context::default();
        let (cands, complete) = for_key(&u, &[(&op, &vals)], &ctx);
        assert!(complete);
        let answers = |vs: &mut dyn Iterator<Item = ContextValue>| {
            let mut set: Vec<bool> = vs
                .map(|v| {
                    let mut c = Context::default();
                    c.insert("k", v);
                    evaluate(&op, "k", &vals, &c).0
                })
                .collect();
            set.sort();
            set.dedup();
            set
        };
        let from_pool = answers(&mut pool.iter().map(|p| ContextValue::Single(p.to_string())));
        let from_cands = answers(&mut cands.into_iter().flatten());
        for a in from_pool {
            assert!(from_cands.contains(&a), "{op:?} {values:?}");
        }
    }
}

#[test]
fn patterns_are_never_complete() {
    let (op, vals) = cond("StringLike", &["a*b"]);
    let (cands, complete) = for_key(&Unknown::default(), &[(&op, &vals)], &Context::default());
    assert!(!complete);
    assert!(cands.contains(&Some(ContextValue::Single("ab".into()))));
}

#[test]
fn a_range_bounds_dates() {
    let (op, vals) = cond("DateGreaterThan", &["2020-01-01T00:00:00Z"]);
    let u = Unknown {
        domain: Domain::Between(
            crate::condition::parse_date("2024-06-01T00:00:00Z").unwrap(),
            crate::condition::parse_date("2024-06-01T12:00:00Z").unwrap(),
        ),
        ..Unknown::default()
    };
    let (cands, complete) = for_key(&u, &[(&op, &vals)], &Context::default());
    assert!(complete);
    assert!(cands.iter().flatten().all(|c| {
        let mut ctx = Context::default();
        ctx.insert("k", c.clone());
        evaluate(&op, "k", &vals, &ctx).0
    }));
}

#[test]
fn a_key_that_may_be_absent_has_absence_as_a_candidate() {
    let (op, vals) = cond("Null", &["true"]);
    let u = Unknown {
        maybe_absent: true,
        ..Unknown::default()
    };
    let (cands, complete) = for_key(&u, &[(&op, &vals)], &Context::default());
    assert!(complete);
    assert!(cands.contains(&None));
    assert!(cands.iter().any(Option::is_some));
}
