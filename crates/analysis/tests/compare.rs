//! `compare` against the engine: named cases, and a differential test on random policy
//! pairs: when compare says "no new access", sampling requests (biased to the policies' own
//! constants) never finds one; when it says "new access", the witness holds (compare
//! confirms every witness with the engine before returning it, and fails loudly if not).
//!
//! Semantics pinned: IAM User Guide, "Policy evaluation logic" (Deny over Allow; a
//! resource policy is needed across accounts); "Condition operators" (absent keys: positive
//! operators false, negated ones true, `...IfExists` true); "IAM JSON policy elements:
//! Action/Resource" (wildcards; actions case-insensitive).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use vaultward_analysis::{access_not_granted, compare, Options, Outcome};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request,
};

fn doc(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn cmp(old: Value, new: Value, kind: PolicyKind) -> Outcome {
    compare(&doc(old), &doc(new), &Options::new(kind)).unwrap()
}

fn witness(o: &Outcome) -> &Value {
    match o {
        Outcome::NewAccess(w) => w,
        other => panic!("expected new access, got {other:?}"),
    }
}

#[test]
fn a_wider_action_is_new_access_with_a_witness() {
    let old =
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]);
    let new = json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}]);
    let o = cmp(old.clone(), new.clone(), PolicyKind::Identity);
    let w = witness(&o);
    let action = w["request"]["action"].as_str().unwrap();
    assert!(action.starts_with("s3:") && action != "s3:getobject", "{w}");
    assert_eq!(cmp(new, old, PolicyKind::Identity), Outcome::NoNewAccess);
}

#[test]
fn removing_a_deny_is_new_access() {
    let allow = json!({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"});
    let deny = json!({"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*", "Condition": {"Null": {"aws:ResourceTag/vaultward.restore": "true"}}});
    let o = cmp(
        json!([allow.clone(), deny]),
        json!([allow]),
        PolicyKind::Identity,
    );
    let w = witness(&o);
    assert_eq!(w["request"]["action"], "dynamodb:deletetable");
}

/// IpAddress ranges are bit-vectors: /7 is wider than /8, the witness lies outside /8.
#[test]
fn a_wider_address_range_is_found() {
    let c = |net: &str| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": net}}}]);
    let o = cmp(c("10.0.0.0/8"), c("10.0.0.0/7"), PolicyKind::Identity);
    let ip = witness(&o)["request"]["context"]["aws:SourceIp"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(ip.starts_with("11."), "{ip}");
    assert_eq!(
        cmp(c("10.0.0.0/7"), c("10.0.0.0/8"), PolicyKind::Identity),
        Outcome::NoNewAccess
    );
}

/// Numeric and date bounds, `IfExists`, and a value of the wrong type (which matches
/// nothing): all decided exactly.
#[test]
fn numbers_dates_and_ifexists() {
    let n = |op: &str, v: i64| json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*", "Condition": {op: {"s3:max-keys": v}}}]);
    assert_eq!(
        cmp(
            n("NumericLessThan", 10),
            n("NumericLessThan", 5),
            PolicyKind::Identity
        ),
        Outcome::NoNewAccess
    );
    let w = cmp(
        n("NumericLessThan", 5),
        n("NumericLessThan", 10),
        PolicyKind::Identity,
    );
    let v: i64 = witness(&w)["request"]["context"]["s3:max-keys"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((5..10).contains(&v));
    // `...IfExists` lets a request without the key through: new access.
    let o = cmp(
        n("NumericLessThan", 10),
        n("NumericLessThanIfExists", 10),
        PolicyKind::Identity,
    );
    assert!(witness(&o)["request"]["context"]
        .get("s3:max-keys")
        .is_none());
    let d = |v: &str| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": v}}}]);
    assert_eq!(
        cmp(
            d("2030-01-01T00:00:00Z"),
            d("2025-01-01T00:00:00Z"),
            PolicyKind::Identity
        ),
        Outcome::NoNewAccess
    );
    assert!(matches!(
        cmp(
            d("2025-01-01T00:00:00Z"),
            d("2030-01-01T00:00:00Z"),
            PolicyKind::Identity
        ),
        Outcome::NewAccess(_)
    ));
}

/// A resource policy opened from one account to everyone: a principal of another account
/// is the witness; the account's own principals were allowed anyway (their identity
/// policies are taken to allow everything).
#[test]
fn a_resource_policy_opened_to_everyone() {
    let st = |p: Value| json!([{"Effect": "Allow", "Principal": p, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]);
    let o = cmp(
        st(json!({"AWS": "111122223333"})),
        st(json!("*")),
        PolicyKind::Resource,
    );
    let w = witness(&o);
    assert_ne!(
        w["request"]["resource_account"],
        w["request"]["principal"]
            .as_str()
            .unwrap()
            .split(':')
            .nth(4)
            .unwrap()
    );
    assert_eq!(
        cmp(
            st(json!("*")),
            st(json!({"AWS": "111122223333"})),
            PolicyKind::Resource
        ),
        Outcome::NoNewAccess
    );
}

/// Trust policies: a new principal allowed to assume the role.
#[test]
fn a_trust_policy_that_trusts_another_account() {
    let st = |a: &str| json!([{"Effect": "Allow", "Principal": {"AWS": a}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x-1"}}}]);
    let o = cmp(
        st("arn:aws:iam::999988887777:role/ControlPlane"),
        st("999988887777"),
        PolicyKind::Trust,
    );
    assert!(witness(&o)["request"]["principal"]
        .as_str()
        .unwrap()
        .contains("999988887777"));
    assert_eq!(
        cmp(
            st("999988887777"),
            st("arn:aws:iam::999988887777:role/ControlPlane"),
            PolicyKind::Trust
        ),
        Outcome::NoNewAccess
    );
}

#[test]
fn access_not_granted_answers_for_a_list_of_actions() {
    let p = doc(
        json!([{"Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": "arn:aws:dynamodb:*:111122223333:table/vaultward-restored-*"}]),
    );
    let o = access_not_granted(
        &p,
        &["dynamodb:DeleteTable".into()],
        &Options::new(PolicyKind::Identity),
    )
    .unwrap();
    let w = witness(&o);
    assert!(w["request"]["resource"]
        .as_str()
        .unwrap()
        .contains("table/vaultward-restored-"));
    let o = access_not_granted(
        &p,
        &["dynamodb:UpdateTable".into()],
        &Options::new(PolicyKind::Identity),
    )
    .unwrap();
    assert_eq!(o, Outcome::NoNewAccess);
}

fn nothing() -> Value {
    json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::nothing"}])
}

/// Case-insensitive equality, fractional numbers and IPv6 ranges are modelled exactly.
#[test]
fn ignore_case_fractions_and_ipv6() {
    let ic = |v: &str| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": v}}}]);
    assert_eq!(
        cmp(ic("Backup"), ic("BACKUP"), PolicyKind::Identity),
        Outcome::NoNewAccess
    );
    let n = |v: f64| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": v}}}]);
    let o = cmp(n(1.5), n(2.25), PolicyKind::Identity);
    let v: f64 = witness(&o)["request"]["context"]["s3:max-keys"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1.5..2.25).contains(&v), "{v}");
    let ip = |net: &str| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": net}}}]);
    let o = cmp(
        ip("2001:db8::/48"),
        ip("2001:db8::/32"),
        PolicyKind::Identity,
    );
    let a = witness(&o)["request"]["context"]["aws:SourceIp"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(a.starts_with("2001:db8:") && a.contains(':'), "{a}");
    assert_eq!(
        cmp(
            ip("2001:db8::/32"),
            ip("2001:db8::/48"),
            PolicyKind::Identity
        ),
        Outcome::NoNewAccess
    );
}

/// Keys may be lists: a plain operator on a list is false, even a negated one (Condition
/// operators: "a condition that uses a single-valued operator on a multivalued key" does not
/// match), so two `StringNotEquals` Allows that let every single value through still let a
/// list through nowhere; set operators quantify over the list's values.
#[test]
fn lists_and_set_operators() {
    let not = |v: &str| json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringNotEquals": {"aws:TagKeys": v}}});
    let old = json!([not("a"), not("b")]);
    let new = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]);
    let o = cmp(old, new, PolicyKind::Identity);
    assert!(
        witness(&o)["request"]["context"]["aws:TagKeys"].is_array(),
        "{o:?}"
    );
    let all = |v: Value| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": v}}}]);
    // Allowing more keys is new access; fewer is not.
    let o = cmp(
        all(json!(["a"])),
        all(json!(["a", "b"])),
        PolicyKind::Identity,
    );
    let keys = witness(&o)["request"]["context"]["aws:TagKeys"].clone();
    assert!(keys.to_string().contains('b'), "{keys}");
    assert_eq!(
        cmp(
            all(json!(["a", "b"])),
            all(json!(["a"])),
            PolicyKind::Identity
        ),
        Outcome::NoNewAccess
    );
    // ForAnyValue needs two different values at once: the witness carries both.
    let any = |v: &str| json!({"ForAnyValue:StringEquals": {"aws:TagKeys": v}});
    let both = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": any("a")}]);
    let deny_b = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": any("a")},
                       {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*", "Condition": any("b")}]);
    let o = cmp(deny_b, both, PolicyKind::Identity);
    let keys = witness(&o)["request"]["context"]["aws:TagKeys"].to_string();
    assert!(keys.contains("\"a\"") && keys.contains("\"b\""), "{keys}");
}

/// Policy variables: each user's own folder is narrower than everyone's; a default value
/// applies when the key is absent; with no value and no default the entry matches nothing
/// (IAM User Guide, Policy variables, "Specifying default values", "Policy variables with
/// no value").
#[test]
fn policy_variables() {
    let r = |res: &str| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": res}]);
    let own = r("arn:aws:s3:::home/${aws:username}/*");
    let all = r("arn:aws:s3:::home/*");
    let o = cmp(own.clone(), all.clone(), PolicyKind::Identity);
    let w = witness(&o);
    let user = w["request"]["principal"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    assert!(
        !w["request"]["resource"]
            .as_str()
            .unwrap()
            .starts_with(&format!("arn:aws:s3:::home/{user}/")),
        "{w}"
    );
    assert_eq!(cmp(all, own, PolicyKind::Identity), Outcome::NoNewAccess);
    // A default opens the shared folder to principals without the tag.
    let team = r("arn:aws:s3:::teams/${aws:PrincipalTag/team}/*");
    let dflt = r("arn:aws:s3:::teams/${aws:PrincipalTag/team, 'shared'}/*");
    let o = cmp(team.clone(), dflt.clone(), PolicyKind::Identity);
    assert!(witness(&o)["request"]["resource"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:s3:::teams/shared/"));
    assert_eq!(cmp(dflt, team, PolicyKind::Identity), Outcome::NoNewAccess);
    // In a condition, the value of one key against another.
    let c = |op: &str| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {"s3:ExistingObjectTag/team": "${aws:PrincipalTag/team}"}}}]);
    assert!(matches!(
        cmp(c("StringEquals"), c("StringLike"), PolicyKind::Identity),
        Outcome::NoNewAccess | Outcome::NewAccess(_)
    ));
    assert!(matches!(
        cmp(
            c("StringEquals"),
            c("StringNotEquals"),
            PolicyKind::Identity
        ),
        Outcome::NewAccess(_)
    ));
}

/// What the encoding does not model exactly is undecided, never a guess.
#[test]
fn what_is_not_modelled_is_undecided() {
    let v = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username}"}}}]);
    assert!(matches!(
        cmp(nothing(), v, PolicyKind::Identity),
        Outcome::Undecided(_)
    ));
    let set = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"ForAnyValue:NumericLessThan": {"s3:max-keys": 3}}}]);
    assert!(matches!(
        cmp(nothing(), set, PolicyKind::Identity),
        Outcome::Undecided(_)
    ));
}

// ---- the differential test ----

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

const ACTIONS: [&str; 8] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:Get*",
    "s3:*",
    "dynamodb:DeleteTable",
    "dynamodb:*",
    "*",
    "s3:?etObject",
];
const RESOURCES: [&str; 8] = [
    "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
    "arn:aws:s3:::b/${aws:PrincipalTag/team, 'x'}/*",
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/k",
    "arn:aws:s3:::other/*",
    "arn:aws:dynamodb:us-east-1:111122223333:table/t",
    "arn:aws:dynamodb:*:111122223333:table/*",
];

fn random_condition(r: &mut Rng) -> Value {
    match r.next() % 12 {
        9 => {
            json!({*r.pick(&["ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ForAnyValue:StringNotLike", "ForAllValues:StringLike"]): {"aws:TagKeys": *r.pick(&[json!(["a"]), json!(["a", "b"]), json!("b*")])}})
        }
        10 => {
            json!({*r.pick(&["StringNotEquals", "StringEqualsIfExists", "StringLike"]): {"aws:TagKeys": *r.pick(&["a", "b"])}})
        }
        6 => json!({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": *r.pick(&["A", "b"])}}),
        7 => {
            json!({*r.pick(&["NumericLessThan", "NumericGreaterThanEquals", "NumericNotEquals"]): {"s3:max-keys": *r.pick(&[10.5, 10.0, -2.0])}})
        }
        8 => {
            json!({*r.pick(&["IpAddress", "NotIpAddress"]): {"aws:SourceIp": *r.pick(&["2001:db8::/32", "10.0.0.0/8"])}})
        }
        0 => json!({"StringEquals": {"aws:PrincipalTag/team": *r.pick(&["a", "b"])}}),
        1 => json!({"StringNotEquals": {"aws:PrincipalTag/team": "a"}}),
        2 => json!({"StringLike": {"s3:prefix": *r.pick(&["docs/*", "*", "x?"])}}),
        3 => {
            json!({"IpAddress": {"aws:SourceIp": *r.pick(&["10.0.0.0/8", "10.0.0.0/16", "192.168.1.0/24"])}})
        }
        4 => json!({"Bool": {"aws:SecureTransport": *r.pick(&["true", "false"])}}),
        _ => json!({"Null": {"aws:PrincipalTag/team": *r.pick(&["true", "false"])}}),
    }
}

fn random_policy(r: &mut Rng) -> Value {
    let n = 1 + r.next() % 3;
    let mut sts = Vec::new();
    for _ in 0..n {
        let mut st = json!({
            "Effect": if r.chance(70) { "Allow" } else { "Deny" },
            "Action": *r.pick(&ACTIONS),
            "Resource": *r.pick(&RESOURCES),
        });
        if r.chance(40) {
            st["Condition"] = random_condition(r);
        }
        sts.push(st);
    }
    json!(sts)
}

/// Requests built from the policies' constants.
fn requests(r: &mut Rng, n: usize) -> Vec<Request> {
    (0..n)
        .map(|_| {
            let action = *r.pick(&[
                "s3:GetObject",
                "s3:PutObject",
                "s3:GetBucketPolicy",
                "dynamodb:DeleteTable",
                "dynamodb:GetItem",
                "ec2:RunInstances",
                "s3:SetObject",
            ]);
            let resource = *r.pick(&[
                "arn:aws:s3:::b/a/k",
                "arn:aws:s3:::b/x/k",
                "arn:aws:s3:::b/k",
                "arn:aws:s3:::b/x/y",
                "arn:aws:s3:::other/k",
                "arn:aws:dynamodb:us-east-1:111122223333:table/t",
                "arn:aws:dynamodb:eu-west-1:111122223333:table/u",
                "*",
            ]);
            let mut ctx = Context::default();
            let mut put = |r: &mut Rng, k: &str, vals: &[&str]| {
                if r.chance(60) {
                    ctx.insert(k, ContextValue::Single(r.pick(vals).to_string()));
                }
            };
            put(r, "aws:PrincipalTag/team", &["a", "b", "c", "A", "B"]);
            put(r, "s3:max-keys", &["10", "10.5", "11", "-2", "-3", "x"]);
            put(
                r,
                "s3:prefix",
                &["docs/a", "x1", "xy", "other", "a", "ab", "docs/x", "b"],
            );
            put(
                r,
                "aws:SourceIp",
                &[
                    "10.0.0.1",
                    "10.1.0.1",
                    "192.168.1.5",
                    "8.8.8.8",
                    "2001:db8::1",
                    "2001:db9::1",
                ],
            );
            put(r, "aws:SecureTransport", &["true", "false", "maybe"]);
            match r.next() % 4 {
                0 => {}
                1 => ctx.insert(
                    "aws:TagKeys",
                    ContextValue::Single(r.pick(&["a", "b", "bc"]).to_string()),
                ),
                2 => ctx.insert(
                    "aws:TagKeys",
                    ContextValue::Multi(vec![r.pick(&["a", "b"]).to_string()]),
                ),
                _ => ctx.insert(
                    "aws:TagKeys",
                    ContextValue::Multi(vec!["a".into(), r.pick(&["b", "bc", "c"]).to_string()]),
                ),
            }
            Request::new(
                "arn:aws:iam::111122223333:user/alice",
                action,
                resource,
                Some("111122223333"),
                ctx,
            )
            .unwrap()
        })
        .collect()
}

fn set_of(policy: &Value) -> PolicySet {
    let p = parse_policy(&doc(policy.clone()), PolicyKind::Identity)
        .policy
        .unwrap();
    PolicySet {
        identity: vec![NamedPolicy {
            name: "p".into(),
            policy: p,
        }],
        ..PolicySet::default()
    }
}

#[test]
fn differential_against_sampled_requests() {
    let pairs: u64 = std::env::var("VAULTWARD_COMPARE_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mut r = Rng(0x9e3779b97f4a7c15);
    let (mut none, mut new, mut undecided) = (0, 0, 0);
    let mut solving = std::time::Duration::ZERO;
    for i in 0..pairs {
        let old = random_policy(&mut r);
        let newp = if r.chance(30) {
            old.clone()
        } else {
            random_policy(&mut r)
        };
        let t = std::time::Instant::now();
        let outcome = compare(
            &doc(old.clone()),
            &doc(newp.clone()),
            &Options::new(PolicyKind::Identity),
        );
        solving += t.elapsed();
        match outcome {
            Ok(Outcome::NoNewAccess) => {
                none += 1;
                let (o, n) = (set_of(&old), set_of(&newp));
                for req in requests(&mut r, 300) {
                    let with_new = authorize(&req, &n).decision == Decision::Allow;
                    let with_old = authorize(&req, &o).decision == Decision::Allow;
                    assert!(!with_new || with_old, "pair {i}: compare says no new access, but {req:?} is allowed by NEW only\nOLD {old}\nNEW {newp}");
                }
            }
            Ok(Outcome::NewAccess(_)) => new += 1,
            Ok(Outcome::Undecided(why)) => {
                undecided += 1;
                assert!(
                    why.contains("not modelled") || why.contains("could not decide"),
                    "{why}"
                );
            }
            Err(e) => panic!("pair {i}: {e}\nOLD {old}\nNEW {newp}"),
        }
    }
    eprintln!("{pairs} pairs: {none} no new access, {new} new access, {undecided} undecided; {solving:?} in compare");
    assert!(
        none > pairs / 10 && new > pairs / 10,
        "none {none}, new {new}, undecided {undecided}"
    );
}
