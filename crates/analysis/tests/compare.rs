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

#[path = "compare/access_not_granted.rs"]
mod access_not_granted;
#[path = "compare/caller_account.rs"]
mod caller_account;

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

/// What the encoding does not model exactly is abstracted (a free Boolean per distinct
/// condition, shared by OLD and NEW), never guessed: an unchanged condition cancels out
/// (no new access, a proof), and where the answer rests on it, compare says undecided or
/// gives a witness the engine confirmed, never "no new access".
#[test]
fn what_is_not_modelled_is_abstracted_never_guessed() {
    let arn_var = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username}"}}}]);
    let two_types = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"NumericLessThan": {"s3:max-keys": 3}, "StringEquals": {"s3:max-keys": "2"}}}]);
    for v in [arn_var, two_types] {
        match cmp(nothing(), v.clone(), PolicyKind::Identity) {
            Outcome::Undecided(why) => assert!(why.contains("does not model exactly"), "{why}"),
            Outcome::NewAccess(_) => {}
            Outcome::NoNewAccess => panic!("a guess: {v}"),
        }
        // The same condition on both sides cancels out.
        assert_eq!(
            cmp(v.clone(), v.clone(), PolicyKind::Identity),
            Outcome::NoNewAccess
        );
        // A new grant beside it is found (and confirmed).
        let mut wider = v.clone();
        wider
            .as_array_mut()
            .unwrap()
            .push(json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}));
        assert!(matches!(
            cmp(v, wider, PolicyKind::Identity),
            Outcome::NewAccess(_)
        ));
    }
}

/// Set operators over keys compared as numbers, dates, Booleans and addresses: each
/// element of the request's list is read as the operator's type, and one that does not
/// read matches no positive operator (IAM User Guide, "Condition operators" and
/// "Multivalued context keys": `ForAllValues` holds when every value matches,
/// `ForAnyValue` when at least one does).
#[test]
fn typed_set_operators() {
    let c = |op: &str, key: &str, v: Value| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {key: v}}}]);
    // Every value below 10, then below 20: a list holding a value in [10, 20) is new.
    let o = cmp(
        c("ForAllValues:NumericLessThan", "s3:max-keys", json!(10)),
        c("ForAllValues:NumericLessThan", "s3:max-keys", json!(20)),
        PolicyKind::Identity,
    );
    let w = witness(&o);
    let got = &w["request"]["context"]["s3:max-keys"];
    let values: Vec<f64> = match got {
        Value::Array(a) => a
            .iter()
            .map(|v| v.as_str().unwrap().parse().unwrap())
            .collect(),
        Value::String(s) => vec![s.parse().unwrap()],
        other => panic!("{other}"),
    };
    assert!(
        values.iter().all(|v| *v < 20.0) && values.iter().any(|v| *v >= 10.0),
        "{w}"
    );
    assert_eq!(
        cmp(
            c("ForAllValues:NumericLessThan", "s3:max-keys", json!(20)),
            c("ForAllValues:NumericLessThan", "s3:max-keys", json!(10)),
            PolicyKind::Identity,
        ),
        Outcome::NoNewAccess
    );
    // Any address in 10/8, then any in 10/7.
    let o = cmp(
        c("ForAnyValue:IpAddress", "aws:SourceIp", json!("10.0.0.0/8")),
        c("ForAnyValue:IpAddress", "aws:SourceIp", json!("10.0.0.0/7")),
        PolicyKind::Identity,
    );
    assert!(witness(&o)["request"]["context"]["aws:SourceIp"]
        .to_string()
        .contains("11."));
    // ForAllValues over dates: narrowing is not new access, widening is.
    let before = |d: &str| c("ForAllValues:DateLessThan", "aws:CurrentTime", json!(d));
    assert_eq!(
        cmp(
            before("2030-01-01T00:00:00Z"),
            before("2020-01-01T00:00:00Z"),
            PolicyKind::Identity
        ),
        Outcome::NoNewAccess
    );
    assert!(matches!(
        cmp(
            before("2020-01-01T00:00:00Z"),
            before("2030-01-01T00:00:00Z"),
            PolicyKind::Identity
        ),
        Outcome::NewAccess(_)
    ));
    // ForAnyValue:Bool true, then ForAllValues:Bool true (an absent key now passes).
    let o = cmp(
        c(
            "ForAnyValue:Bool",
            "aws:MultiFactorAuthPresent",
            json!("true"),
        ),
        c(
            "ForAllValues:Bool",
            "aws:MultiFactorAuthPresent",
            json!("true"),
        ),
        PolicyKind::Identity,
    );
    assert!(matches!(o, Outcome::NewAccess(_)), "{o:?}");
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
    // Policy variables under `...IgnoreCase`, and `...IfExists` on keys AWS always sends.
    if r.chance(12) {
        return match r.next() % 3 {
            0 => {
                json!({*r.pick(&["StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringEquals"]): {"s3:prefix": *r.pick(&["${aws:username}/", "Docs/${aws:username}"])}})
            }
            1 => {
                json!({*r.pick(&["DateLessThan", "DateLessThanIfExists", "DateGreaterThanIfExists"]): {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
            }
            _ => {
                json!({*r.pick(&["StringEquals", "StringEqualsIfExists", "StringNotEqualsIfExists"]): {"aws:RequestedRegion": *r.pick(&["eu-west-1", "us-east-1"])}})
            }
        };
    }
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
            json!({*r.pick(&["IpAddress", "NotIpAddress", "ForAnyValue:IpAddress", "ForAllValues:NotIpAddress"]): {"aws:SourceIp": *r.pick(&["2001:db8::/32", "10.0.0.0/8"])}})
        }
        11 if r.chance(50) => {
            json!({*r.pick(&["ForAnyValue:NumericLessThan", "ForAllValues:NumericGreaterThanEquals", "ForAnyValue:NumericNotEquals"]): {"s3:max-keys": *r.pick(&[10.5, 10.0, -2.0])}})
        }
        // Not modelled exactly (a variable inside an ARN operator): abstracted.
        5 if r.chance(50) => {
            json!({*r.pick(&["ArnLike", "ArnNotLike"]): {"aws:SourceArn": "arn:aws:s3:::${aws:PrincipalTag/team}"}})
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

/// A request context drawn from the policies' constants (keys present or not, single
/// values or lists); no key derived from a principal.
fn random_context(r: &mut Rng) -> Context {
    let mut ctx = Context::default();
    let put = |r: &mut Rng, ctx: &mut Context, k: &str, vals: &[&str]| {
        if r.chance(60) {
            ctx.insert(k, ContextValue::Single(r.pick(vals).to_string()));
        }
    };
    put(
        r,
        &mut ctx,
        "aws:PrincipalTag/team",
        &["a", "b", "c", "A", "B"],
    );
    put(
        r,
        &mut ctx,
        "s3:max-keys",
        &["10", "10.5", "11", "-2", "-3", "x"],
    );
    if r.chance(20) {
        let (a, b) = (
            *r.pick(&["10", "11", "-3", "x"]),
            *r.pick(&["10.5", "-2", "12"]),
        );
        ctx.insert("s3:max-keys", ContextValue::Multi(vec![a.into(), b.into()]));
    }
    put(
        r,
        &mut ctx,
        "s3:prefix",
        &[
            "docs/a",
            "x1",
            "xy",
            "other",
            "a",
            "ab",
            "docs/x",
            "b",
            "alice/",
            "ALICE/",
            "Docs/alice",
            "docs/Alice",
        ],
    );
    // Keys AWS always sends are in every request ("AWS global condition context keys").
    ctx.insert(
        "aws:CurrentTime",
        ContextValue::Single(
            r.pick(&["2024-01-01T00:00:00Z", "2031-01-01T00:00:00Z"])
                .to_string(),
        ),
    );
    ctx.insert(
        "aws:RequestedRegion",
        ContextValue::Single(
            r.pick(&["eu-west-1", "us-east-1", "ap-south-1"])
                .to_string(),
        ),
    );
    put(
        r,
        &mut ctx,
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
    if r.chance(20) {
        let (a, b) = (
            *r.pick(&["10.0.0.1", "11.0.0.1", "2001:db8::1"]),
            *r.pick(&["8.8.8.8", "10.2.3.4", "x"]),
        );
        ctx.insert(
            "aws:SourceIp",
            ContextValue::Multi(vec![a.into(), b.into()]),
        );
    }
    put(
        r,
        &mut ctx,
        "aws:SourceArn",
        &["arn:aws:s3:::a", "arn:aws:s3:::b", "arn:aws:s3:::x", "nope"],
    );
    ctx.insert(
        "aws:SecureTransport",
        ContextValue::Single(r.pick(&["true", "false", "maybe"]).to_string()),
    );
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
    ctx
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
            let ctx = random_context(r);
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
                    why.contains("not modelled")
                        || why.contains("does not model exactly")
                        || why.contains("could not decide"),
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

// ---- the differential test on resource policies (the `Principal` element) ----

const PRINCIPALS: [&str; 7] = [
    r#""*""#,
    r#"{"AWS": "111122223333"}"#,
    r#"{"AWS": "arn:aws:iam::444455556666:root"}"#,
    r#"{"AWS": "arn:aws:iam::444455556666:user/bob"}"#,
    r#"{"AWS": "arn:aws:iam::444455556666:role/app"}"#,
    r#"{"Service": "backup.amazonaws.com"}"#,
    r#"{"AWS": ["arn:aws:iam::111122223333:user/alice", "444455556666"]}"#,
];

fn random_resource_policy(r: &mut Rng) -> Value {
    let n = 1 + r.next() % 3;
    let mut sts = Vec::new();
    for _ in 0..n {
        let allow = r.chance(70);
        let text: &&str = r.pick(&PRINCIPALS);
        let principal: Value = serde_json::from_str(text).unwrap();
        let mut st = json!({
            "Effect": if allow { "Allow" } else { "Deny" },
            "Action": *r.pick(&ACTIONS),
            "Resource": *r.pick(&RESOURCES[2..6]),
        });
        // `NotPrincipal` only with Deny, as AWS recommends (and never in a wildcard form).
        if !allow && r.chance(40) && principal != json!("*") {
            st["NotPrincipal"] = principal;
        } else {
            st["Principal"] = principal;
        }
        if r.chance(35) {
            st["Condition"] = random_condition(r);
        }
        sts.push(st);
    }
    json!(sts)
}

/// Who calls: a principal and, for a session, its role's ARN.
const CALLERS: [(&str, Option<&str>); 8] = [
    ("arn:aws:iam::111122223333:user/alice", None),
    ("arn:aws:iam::111122223333:user/carol", None),
    ("arn:aws:iam::444455556666:user/bob", None),
    ("arn:aws:iam::444455556666:root", None),
    ("arn:aws:iam::777788889999:user/mallory", None),
    (
        "arn:aws:sts::444455556666:assumed-role/app/s",
        Some("arn:aws:iam::444455556666:role/app"),
    ),
    (
        "arn:aws:sts::111122223333:assumed-role/app/s",
        Some("arn:aws:iam::111122223333:role/app"),
    ),
    ("backup.amazonaws.com", None),
];

/// Requests from the principals the policies name, from their accounts and from outside,
/// on a resource of account 111122223333; the identity side allows everything, as
/// `compare` assumes for resource-side kinds.
fn resource_requests(r: &mut Rng, n: usize) -> Vec<Request> {
    let base = requests(r, n);
    base.into_iter()
        .map(|req| {
            let (principal, role) = *r.pick(&CALLERS);
            // A fresh context: the base request's holds keys derived from its principal.
            let mut ctx = random_context(r);
            if let Some(role) = role {
                ctx.insert("aws:PrincipalArn", ContextValue::Single(role.into()));
            }
            let resource = *r.pick(&[
                "arn:aws:s3:::b/k",
                "arn:aws:s3:::b/a/k",
                "arn:aws:s3:::other/k",
            ]);
            Request::new(principal, &req.action, resource, Some("111122223333"), ctx).unwrap()
        })
        .collect()
}

fn resource_set_of(policy: &Value) -> PolicySet {
    resource_side_set_of(policy, PolicyKind::Resource)
}

fn resource_side_set_of(policy: &Value, kind: PolicyKind) -> PolicySet {
    let p = parse_policy(&doc(policy.clone()), kind).policy.unwrap();
    let all = parse_policy(
        &doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
        PolicyKind::Identity,
    )
    .policy
    .unwrap();
    PolicySet {
        identity: vec![NamedPolicy {
            name: "all".into(),
            policy: all,
        }],
        resource: Some(NamedPolicy {
            name: "p".into(),
            policy: p,
        }),
        ..PolicySet::default()
    }
}

#[test]
fn differential_on_resource_policies() {
    let pairs: u64 = std::env::var("VAULTWARD_COMPARE_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
        / 5;
    let mut r = Rng(0x2545f4914f6cdd1d);
    let (mut none, mut new, mut undecided) = (0, 0, 0);
    let mut solving = std::time::Duration::ZERO;
    for i in 0..pairs {
        let old = random_resource_policy(&mut r);
        let newp = if r.chance(30) {
            old.clone()
        } else {
            random_resource_policy(&mut r)
        };
        let t = std::time::Instant::now();
        let outcome = compare(
            &doc(old.clone()),
            &doc(newp.clone()),
            &Options::new(PolicyKind::Resource),
        );
        solving += t.elapsed();
        if t.elapsed() > std::time::Duration::from_secs(2) {
            eprintln!("slow pair {i} ({:?}): OLD {old} NEW {newp}", t.elapsed());
        }
        match outcome {
            Ok(Outcome::NoNewAccess) => {
                none += 1;
                let (o, n) = (resource_set_of(&old), resource_set_of(&newp));
                for req in resource_requests(&mut r, 300) {
                    let with_new = authorize(&req, &n).decision == Decision::Allow;
                    let with_old = authorize(&req, &o).decision == Decision::Allow;
                    assert!(!with_new || with_old, "pair {i}: compare says no new access, but {req:?} is allowed by NEW only\nOLD {old}\nNEW {newp}");
                }
            }
            // The witness was confirmed by the engine inside `compare` (else an error).
            Ok(Outcome::NewAccess(_)) => new += 1,
            Ok(Outcome::Undecided(why)) => {
                undecided += 1;
                assert!(
                    why.contains("not modelled")
                        || why.contains("does not model exactly")
                        || why.contains("could not decide"),
                    "{why}"
                );
            }
            Err(e) => panic!("pair {i}: {e}\nOLD {old}\nNEW {newp}"),
        }
    }
    eprintln!("{pairs} resource-policy pairs: {none} no new access, {new} new access, {undecided} undecided; {solving:?} in compare");
    assert!(
        none > pairs / 10 && new > pairs / 10,
        "none {none}, new {new}, undecided {undecided}"
    );
}

/// Federated principals (an OIDC provider in a trust policy) are outside the request
/// model: abstracted. A change elsewhere is still decided; new access only for them is
/// undecided, never "no new access" (IAM User Guide, "AWS JSON policy elements:
/// Principal", federated users and web identity session principals).
#[test]
fn federated_principals_are_abstracted() {
    let oidc = json!({"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:org/app:ref:refs/heads/main"}}});
    let ops = json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"});
    // Unchanged federated statement, a new account trusted beside it: decided, with a
    // witness from that account.
    let o = cmp(
        json!([oidc.clone()]),
        json!([oidc.clone(), ops]),
        PolicyKind::Trust,
    );
    assert!(witness(&o)["request"]["principal"]
        .as_str()
        .unwrap()
        .contains("444455556666"));
    assert_eq!(
        cmp(
            json!([oidc.clone()]),
            json!([oidc.clone()]),
            PolicyKind::Trust
        ),
        Outcome::NoNewAccess
    );
    // Only the federated principal gains: not a proof of "no new access".
    assert!(!matches!(
        cmp(json!([]), json!([oidc]), PolicyKind::Trust),
        Outcome::NoNewAccess
    ));
}

// ---- the differential test on trust policies ----

const TRUST_ACTIONS: [&str; 4] = ["sts:AssumeRole", "sts:TagSession", "sts:*", "sts:Assume*"];

fn random_trust_policy(r: &mut Rng) -> Value {
    let n = 1 + r.next() % 3;
    let mut sts = Vec::new();
    for _ in 0..n {
        let allow = r.chance(75);
        let text: &&str = r.pick(&PRINCIPALS);
        let principal: Value = serde_json::from_str(text).unwrap();
        let mut st = json!({
            "Effect": if allow { "Allow" } else { "Deny" },
            "Action": *r.pick(&TRUST_ACTIONS),
        });
        st["Principal"] = principal;
        if r.chance(35) {
            st["Condition"] = match r.next() % 3 {
                0 => json!({"StringEquals": {"sts:ExternalId": *r.pick(&["ext-1", "ext-2"])}}),
                1 => {
                    json!({"StringEquals": {"aws:PrincipalAccount": *r.pick(&["111122223333", "444455556666"])}})
                }
                _ => random_condition(r),
            };
        }
        sts.push(st);
    }
    json!(sts)
}

/// Trust policies (`AssumeRole` and the session actions evaluated against them: IAM User
/// Guide, "Policy evaluation logic" and "Passing session tags in AWS STS"): requests by
/// the principals of `resource_requests`, on a role of account 111122223333.
#[test]
fn differential_on_trust_policies() {
    let pairs: u64 = std::env::var("VAULTWARD_COMPARE_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
        / 10;
    let mut r = Rng(0x6a09e667f3bcc909);
    let (mut none, mut new, mut undecided) = (0, 0, 0);
    for i in 0..pairs {
        let old = random_trust_policy(&mut r);
        let newp = if r.chance(30) {
            old.clone()
        } else {
            random_trust_policy(&mut r)
        };
        match compare(
            &doc(old.clone()),
            &doc(newp.clone()),
            &Options::new(PolicyKind::Trust),
        ) {
            Ok(Outcome::NoNewAccess) => {
                none += 1;
                let (o, n) = (
                    resource_side_set_of(&old, PolicyKind::Trust),
                    resource_side_set_of(&newp, PolicyKind::Trust),
                );
                for _ in 0..200 {
                    let mut ctx = random_context(&mut r);
                    let (principal, role) = *r.pick(&CALLERS);
                    if let Some(role) = role {
                        ctx.insert("aws:PrincipalArn", ContextValue::Single(role.into()));
                    }
                    if r.chance(40) {
                        ctx.insert(
                            "sts:ExternalId",
                            ContextValue::Single((*r.pick(&["ext-1", "ext-2", "x"])).into()),
                        );
                    }
                    let action =
                        *r.pick(&["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]);
                    let req = Request::new(
                        principal,
                        action,
                        "arn:aws:iam::111122223333:role/target",
                        Some("111122223333"),
                        ctx,
                    )
                    .unwrap();
                    let with_new = authorize(&req, &n).decision == Decision::Allow;
                    let with_old = authorize(&req, &o).decision == Decision::Allow;
                    assert!(!with_new || with_old, "pair {i}: compare says no new access, but {req:?} is allowed by NEW only\nOLD {old}\nNEW {newp}");
                }
            }
            Ok(Outcome::NewAccess(_)) => new += 1,
            Ok(Outcome::Undecided(why)) => {
                undecided += 1;
                assert!(
                    why.contains("does not model exactly") || why.contains("could not decide"),
                    "{why}"
                );
            }
            Err(e) => panic!("pair {i}: {e}\nOLD {old}\nNEW {newp}"),
        }
    }
    eprintln!(
        "{pairs} trust-policy pairs: {none} no new access, {new} new access, {undecided} undecided"
    );
    assert!(
        none > pairs / 10 && new > pairs / 10,
        "none {none}, new {new}, undecided {undecided}"
    );
}

// ---- organization policies as AWS attaches them, and keys AWS always sends (issue 25) ----

/// An RCP is compared with `RCPFullAWSAccess` beside it, which AWS attaches everywhere and
/// which cannot be detached: removing a Deny is new access, not "nothing is allowed either
/// way" (AWS Organizations User Guide, "Resource control policies",
/// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
#[test]
fn rcps_are_compared_beside_rcp_full_aws_access() {
    let deny = json!([{"Sid": "DenyS3", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]);
    let o = cmp(deny.clone(), json!([]), PolicyKind::Rcp);
    let w = witness(&o);
    assert!(
        w["request"]["action"].as_str().unwrap().starts_with("s3:"),
        "{w}"
    );
    // The witness carries the managed RCP beside NEW, as the engine is asked.
    assert_eq!(w["rcps"][0][0]["name"], "RCPFullAWSAccess");
    assert_eq!(cmp(json!([]), deny, PolicyKind::Rcp), Outcome::NoNewAccess);
}

/// An SCP is compared with `FullAWSAccess` beside it unless `--scp-alone`: an SCP that only
/// denies, replaced by nothing, opens what it denied (AWS Organizations User Guide, "SCP
/// evaluation", https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
#[test]
fn scps_are_compared_beside_full_aws_access_unless_alone() {
    let deny = json!([{"Effect": "Deny", "Action": "ec2:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}]);
    let o = cmp(deny.clone(), json!([]), PolicyKind::Scp);
    let w = witness(&o);
    assert_eq!(w["scps"][0][0]["name"], "FullAWSAccess");
    let mut alone = Options::new(PolicyKind::Scp);
    alone.scp_alone = true;
    assert_eq!(
        compare(&doc(deny), &doc(json!([])), &alone).unwrap(),
        Outcome::NoNewAccess
    );
}

/// `aws:CurrentTime` is in every request ("AWS global condition context keys", "This key
/// is always included in the request context"): making a condition on it `...IfExists`
/// opens nothing, and no witness leaves the key out.
#[test]
fn keys_aws_always_sends_are_never_absent() {
    let t = |op: &str| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}]);
    assert_eq!(
        cmp(
            t("DateLessThan"),
            t("DateLessThanIfExists"),
            PolicyKind::Identity
        ),
        Outcome::NoNewAccess
    );
    let r = |op: &str| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {"aws:RequestedRegion": "eu-west-1"}}}]);
    assert_eq!(
        cmp(
            r("StringEquals"),
            r("StringEqualsIfExists"),
            PolicyKind::Identity
        ),
        Outcome::NoNewAccess
    );
    // A key that may be absent still is: `aws:SourceVpc` (only through a VPC endpoint).
    let v = |op: &str| json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {"aws:SourceVpc": "vpc-1"}}}]);
    let o = cmp(
        v("StringEquals"),
        v("StringEqualsIfExists"),
        PolicyKind::Identity,
    );
    assert!(witness(&o)["request"]["context"]
        .get("aws:SourceVpc")
        .is_none());
}

/// Policy variables under `...IgnoreCase` are modelled (with cvc5's `str.to_lower`):
/// `StringEqualsIgnoreCase` on `${aws:username}` is wider than `StringEquals`, and equal
/// to itself, decided rather than undecided (IAM User Guide, "Condition operators",
/// string condition operators; "Policy variables").
#[test]
fn policy_variables_under_ignore_case() {
    let mut opts = Options::new(PolicyKind::Identity);
    if !opts.solver_folds_case() {
        opts.solver = "cvc5".into();
    }
    let c = |op: &str| json!([{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*", "Condition": {op: {"s3:prefix": "home/${aws:username}/"}}}]);
    let run = |old: Value, new: Value| compare(&doc(old), &doc(new), &opts).unwrap();
    let o = run(c("StringEquals"), c("StringEqualsIgnoreCase"));
    let w = witness(&o);
    assert_ne!(
        w["request"]["context"]["s3:prefix"].as_str().unwrap(),
        format!(
            "home/{}/",
            w["request"]["principal"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
        ),
        "{w}"
    );
    assert_eq!(
        run(c("StringEqualsIgnoreCase"), c("StringEqualsIgnoreCase")),
        Outcome::NoNewAccess
    );
    assert_eq!(
        run(c("StringEqualsIgnoreCase"), c("StringEquals")),
        Outcome::NoNewAccess
    );
}

/// SCPs and RCPs on random pairs that only deny, as customers write them: compared with
/// `FullAWSAccess` / `RCPFullAWSAccess` beside them, "no new access" holds on sampled
/// requests evaluated the same way (AWS Organizations, "SCP evaluation", "RCP
/// evaluation").
#[test]
fn differential_on_organization_policies() {
    let mut r = Rng(0x51ed_2701_aa55_1234);
    let full = |m: vaultward_iam::managed::Managed| NamedPolicy {
        name: m.name().into(),
        policy: m.policy(),
    };
    let (mut none, mut new) = (0, 0);
    for i in 0..120 {
        let rcp = i % 2 == 1;
        let kind = if rcp {
            PolicyKind::Rcp
        } else {
            PolicyKind::Scp
        };
        let deny = |r: &mut Rng| -> Value {
            let n = r.next() % 3;
            let sts: Vec<Value> = (0..n)
                .map(|_| {
                    let mut st = json!({"Effect": "Deny", "Action": *r.pick(&["s3:*", "s3:GetObject", "s3:Put*", "kms:Decrypt"]), "Resource": *r.pick(&["*", "arn:aws:s3:::b/*", "arn:aws:s3:::other/*"])});
                    if rcp {
                        st["Principal"] = json!("*");
                    }
                    if r.chance(60) {
                        st["Condition"] = random_condition(r);
                    }
                    st
                })
                .collect();
            json!(sts)
        };
        let (old, newp) = (deny(&mut r), deny(&mut r));
        let outcome = compare(&doc(old.clone()), &doc(newp.clone()), &Options::new(kind)).unwrap();
        let level = |p: &Value| {
            let parsed = parse_policy(&doc(p.clone()), kind).policy.unwrap();
            let m = if rcp {
                vaultward_iam::managed::Managed::RcpFullAwsAccess
            } else {
                vaultward_iam::managed::Managed::FullAwsAccess
            };
            vec![vec![
                full(m),
                NamedPolicy {
                    name: "p".into(),
                    policy: parsed,
                },
            ]]
        };
        let set = |p: &Value| {
            let allow = parse_policy(
                &doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])),
                PolicyKind::Identity,
            )
            .policy
            .unwrap();
            let mut s = PolicySet {
                identity: vec![NamedPolicy {
                    name: "all".into(),
                    policy: allow,
                }],
                ..PolicySet::default()
            };
            if rcp {
                s.rcps = Some(level(p));
            } else {
                s.scps = Some(level(p));
            }
            s
        };
        match outcome {
            Outcome::NoNewAccess => {
                none += 1;
                let (o, n) = (set(&old), set(&newp));
                for req in requests(&mut r, 200) {
                    let with_new = authorize(&req, &n).decision == Decision::Allow;
                    let with_old = authorize(&req, &o).decision == Decision::Allow;
                    assert!(!with_new || with_old, "pair {i}: no new access, but {req:?} is allowed by NEW only\nOLD {old}\nNEW {newp}");
                }
            }
            Outcome::NewAccess(_) => new += 1,
            Outcome::Undecided(why) => assert!(
                why.contains("model") || why.contains("could not decide"),
                "{why}"
            ),
        }
    }
    assert!(none > 10 && new > 10, "none {none}, new {new}");
}
