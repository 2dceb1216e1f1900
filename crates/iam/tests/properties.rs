//! Property tests of the engine: monotonicity of Deny, determinism, round trips, and
//! robustness against arbitrary input.
//!
//! The Deny property pins "an explicit deny in any policy overrides any allow"
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use serde_json::{json, Value};
use vaultward_iam::{authorize, parse_case, parse_policy, Decision, PolicyKind};

const ACCT: &str = "111122223333";

fn action() -> impl Strategy<Value = Value> {
    let one = prop::sample::select(vec![
        "s3:GetObject",
        "s3:Get*",
        "s3:*",
        "*",
        "ec2:Describe*",
        "kms:Decrypt",
        "s3:PutObject",
        "S3:getobject",
        "s3:?etObject",
    ]);
    prop_oneof![
        one.clone().prop_map(|a| json!(a)),
        prop::collection::vec(one, 1..3).prop_map(|v| json!(v))
    ]
}

fn resource() -> impl Strategy<Value = Value> {
    let one = prop::sample::select(vec![
        "*",
        "arn:aws:s3:::b/*",
        "arn:aws:s3:::b/k",
        "arn:aws:s3:::other/*",
        "arn:aws:s3:::${aws:username}/*",
        "arn:aws:kms:us-east-1:111122223333:key/*",
        "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
    ]);
    prop_oneof![
        one.clone().prop_map(|a| json!(a)),
        prop::collection::vec(one, 1..3).prop_map(|v| json!(v))
    ]
}

fn principal() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!("*"),
        json!({"AWS": ACCT}),
        json!({"AWS": "arn:aws:iam::111122223333:role/BackupRole"}),
        json!({"AWS": "arn:aws:sts::111122223333:assumed-role/BackupRole/s1"}),
        json!({"AWS": "444455556666"}),
        json!({"AWS": ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:root"]}),
        json!({"Service": "backup.amazonaws.com"}),
    ])
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop::sample::select(vec![
        json!({"Bool": {"aws:SecureTransport": "true"}}),
        json!({"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}),
        json!({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}),
        json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        json!({"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/Backup*"]}}),
        json!({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}),
        json!({"ForAllValues:StringLike": {"aws:TagKeys": ["a*"]}}),
        json!({"Null": {"aws:SourceVpc": "true"}}),
        json!({"NumericLessThan": {"s3:max-keys": "10"}}),
        json!({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}}),
        json!({"StringLike": {"aws:username": "al*"}}),
    ]))
}

fn statement(with_principal: bool, effect: Option<&'static str>) -> impl Strategy<Value = Value> {
    let effect = match effect {
        Some(e) => Just(e).boxed(),
        None => prop::sample::select(vec!["Allow", "Deny"]).boxed(),
    };
    (
        effect,
        any::<bool>(),
        action(),
        any::<bool>(),
        resource(),
        principal(),
        condition(),
        prop::option::of("[A-Za-z0-9]{1,8}"),
    )
        .prop_map(
            move |(effect, not_action, action, not_resource, resource, principal, cond, sid)| {
                let mut s = serde_json::Map::new();
                if let Some(sid) = sid {
                    s.insert("Sid".into(), json!(sid));
                }
                s.insert("Effect".into(), json!(effect));
                if with_principal {
                    s.insert("Principal".into(), principal);
                }
                s.insert(
                    if not_action && effect == "Deny" {
                        "NotAction"
                    } else {
                        "Action"
                    }
                    .into(),
                    action,
                );
                s.insert(
                    if not_resource && effect == "Deny" {
                        "NotResource"
                    } else {
                        "Resource"
                    }
                    .into(),
                    resource,
                );
                if let Some(c) = cond {
                    s.insert("Condition".into(), c);
                }
                Value::Object(s)
            },
        )
}

fn policy(with_principal: bool) -> impl Strategy<Value = Value> {
    prop::collection::vec(statement(with_principal, None), 1..5)
        .prop_map(|sts| json!({"Version": "2012-10-17", "Statement": sts}))
}

fn request() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "arn:aws:sts::111122223333:assumed-role/BackupRole/s1",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:sts::444455556666:assumed-role/Reader/r",
            "111122223333",
            "*",
            "backup.amazonaws.com",
        ]),
        prop::sample::select(vec!["s3:GetObject", "s3:PutObject", "kms:Decrypt", "ec2:DescribeInstances"]),
        prop::sample::select(vec!["arn:aws:s3:::b/k", "arn:aws:s3:::alice/x", "arn:aws:s3:::b/backup/x", "arn:aws:kms:us-east-1:111122223333:key/k", "*"]),
        prop::sample::select(vec![
            json!({}),
            json!({"aws:SecureTransport": "true", "aws:SourceVpc": "vpc-1"}),
            json!({"aws:SourceIp": "10.1.2.3", "aws:TagKeys": ["a", "b"], "aws:PrincipalTag/team": "backup"}),
            json!({"aws:CurrentTime": "2024-06-01T00:00:00Z", "s3:max-keys": "5"}),
        ]),
    )
        .prop_map(|(p, a, r, c)| json!({"principal": p, "action": a, "resource": r, "resource_account": ACCT, "context": c}))
}

fn case() -> impl Strategy<Value = Value> {
    (
        request(),
        prop::collection::vec(policy(false), 0..3),
        prop::option::of(policy(true)),
        prop::option::of(policy(false)),
        prop::option::of(prop::collection::vec(
            prop::collection::vec(policy(false), 0..2),
            1..3,
        )),
    )
        .prop_map(|(request, identity, resource, boundary, scps)| {
            let mut c = json!({"request": request, "identity_policies": identity});
            if let Some(r) = resource {
                c["resource_policy"] = r;
            }
            if let Some(b) = boundary {
                c["permissions_boundary"] = b;
            }
            if let Some(s) = scps {
                c["scps"] = json!(s);
            }
            c
        })
}

fn decide(c: &Value) -> Decision {
    let case = parse_case(&c.to_string())
        .unwrap_or_else(|e| panic!("generated case rejected: {e:?}\n{c}"));
    authorize(&case.request, &case.policies).decision
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_a_deny_never_turns_a_deny_into_allow(c in case(), deny in statement(true, Some("Deny")), target in 0usize..3) {
        let before = decide(&c);
        let mut changed = c.clone();
        let slot = match target {
            0 if c.get("resource_policy").is_some() => &mut changed["resource_policy"]["Statement"],
            1 if c.get("permissions_boundary").is_some() => &mut changed["permissions_boundary"]["Statement"],
            _ => {
                let mut d = deny.clone();
                d.as_object_mut().unwrap().remove("Principal");
                changed["identity_policies"].as_array_mut().unwrap().push(json!({"Version": "2012-10-17", "Statement": [d]}));
                let after = decide(&changed);
                prop_assert!(before == Decision::Allow || after != Decision::Allow, "{before:?} -> {after:?}");
                return Ok(());
            }
        };
        let mut d = deny.clone();
        if target == 1 {
            d.as_object_mut().unwrap().remove("Principal");
        }
        slot.as_array_mut().unwrap().push(d);
        let after = decide(&changed);
        prop_assert!(before == Decision::Allow || after != Decision::Allow, "{before:?} -> {after:?}");
    }

    #[test]
    fn evaluation_is_deterministic(c in case()) {
        let case = parse_case(&c.to_string()).unwrap();
        let a = authorize(&case.request, &case.policies);
        let b = authorize(&case.request, &case.policies);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn parse_serialize_parse_is_identity(p in policy(true)) {
        let first = parse_policy(&p.to_string(), PolicyKind::Resource).policy.unwrap();
        let again = parse_policy(&first.to_json().to_string(), PolicyKind::Resource).policy.unwrap();
        prop_assert_eq!(first, again);
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::Scp] {
            let _ = parse_policy(&s, kind);
        }
        let _ = parse_case(&s);
    }

    #[test]
    fn arbitrary_json_never_panics(v in arbitrary_json(), c in case(), slot in 0usize..6) {
        for kind in [PolicyKind::Identity, PolicyKind::Resource, PolicyKind::Trust, PolicyKind::Rcp] {
            let _ = parse_policy(&v.to_string(), kind);
        }
        // Put the arbitrary value somewhere in an otherwise valid case.
        let mut c = c;
        match slot {
            0 => c["resource_policy"] = v.clone(),
            1 => c["request"]["context"]["k"] = v.clone(),
            2 => c["identity_policies"] = json!([v.clone()]),
            3 => c["scps"] = v.clone(),
            4 => c["request"]["principal"] = v.clone(),
            _ => c = v.clone(),
        }
        if let Ok(case) = parse_case(&c.to_string()) {
            let _ = authorize(&case.request, &case.policies);
        }
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop::sample::select(vec![
            "*",
            "Allow",
            "Deny",
            "s3:*",
            "arn:aws:s3:::b/*",
            "2012-10-17",
            "${aws:x",
            "%7B",
            "{\"Statement\":1}",
            "10.0.0.0/8",
            ""
        ])
        .prop_map(|s| json!(s)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop::sample::select(vec![
            "Version",
            "Statement",
            "Effect",
            "Action",
            "NotAction",
            "Resource",
            "NotResource",
            "Principal",
            "NotPrincipal",
            "Condition",
            "StringEquals",
            "ForAllValues:StringLike",
            "AWS",
            "Service",
            "Sid",
            "aws:SourceIp",
            "IpAddress",
            "x",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..5).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

/// A hostile policy's findings are capped, and a fatal error past the cap still makes the
/// policy unusable (the cap never turns an invalid policy into a valid one).
#[test]
fn findings_are_capped_without_losing_fatality() {
    let mut st = String::from(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*""#);
    for i in 0..5_000 {
        st.push_str(&format!(r#","Sid":"s{i}""#));
    }
    st.push('}');
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{st}]}}"#);
    let p = parse_policy(&text, PolicyKind::Identity);
    assert!(p.policy.is_none());
    // The first 200, the size limit (it is over 10,240 characters), and the summary.
    assert_eq!(p.findings.len(), vaultward_iam::policy::MAX_FINDINGS + 2);
    assert!(p.findings.iter().any(|f| f.code == "policy-too-large"));
    let last = p.findings.last().unwrap();
    assert_eq!(last.code, "too-many-findings");
    assert!(
        last.message.starts_with("4799 more findings"),
        "{}",
        last.message
    );
    // 300 unknown keys (warnings) and then one fatal error past the cap.
    let mut st = String::from(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*""#);
    for i in 0..300 {
        st.push_str(&format!(r#","X{i}":1"#));
    }
    st.push_str(r#","Effect":"Deny"}"#);
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{st}]}}"#);
    let p = parse_policy(&text, PolicyKind::Identity);
    assert!(
        p.policy.is_none(),
        "the duplicate Effect past the cap is still fatal"
    );
}

/// IAM wildcards against a regular-expression oracle: `*` is `.*`, `?` is `.` (any one
/// character, `/` and `:` included), everything else literal ("IAM JSON policy elements:
/// Resource", IAM User Guide,
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).
fn oracle(pattern: &str) -> regex::Regex {
    let mut re = String::from("(?s)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_glob_matcher_agrees_with_a_regex_oracle(
        pattern in "[ab/:*?\u{e9}]{0,8}",
        text in "[ab/:\u{e9}]{0,10}",
    ) {
        let g = vaultward_iam::glob::Glob::new(&pattern);
        prop_assert_eq!(g.is_match(&text), oracle(&pattern).is_match(&text), "{} on {}", pattern, text);
        // Case-insensitive matching is the same on the lowered texts.
        let lower = oracle(&pattern.to_ascii_lowercase());
        prop_assert_eq!(
            g.is_match_ignore_ascii_case(&text.to_ascii_uppercase()),
            lower.is_match(&text.to_ascii_lowercase()),
            "{} on {} (ignoring case)", pattern, text
        );
    }
}

fn to_serde(j: &vaultward_iam::json::Json<'_>) -> Value {
    use vaultward_iam::json::Value as V;
    match &j.value {
        V::Null => Value::Null,
        V::Bool(b) => Value::Bool(*b),
        // Exact parsing (serde_json's own float parsing is not, without `float_roundtrip`).
        V::Number(n) => match n.parse::<i64>() {
            Ok(i) => json!(i),
            Err(_) => json!(n.parse::<f64>().unwrap()),
        },
        V::String(s) => Value::String((*s).to_string()),
        V::Array(a) => Value::Array(a.iter().map(to_serde).collect()),
        V::Object(m) => Value::Object(
            m.iter()
                .map(|m| (m.key.to_string(), to_serde(&m.value)))
                .collect(),
        ),
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        "[\"\\\\/\u{0}-\u{1f}\u{e9}\u{1F600}]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z\u{e9}]{0,4}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// The JSON reader reads every document serde_json writes to the same value.
    #[test]
    fn the_json_reader_agrees_with_serde_json(v in arb_json(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
        let arena = vaultward_iam::json::Arena::with_capacity(text.len() * 2);
        let j = vaultward_iam::json::parse(&text, &arena).unwrap();
        prop_assert_eq!(to_serde(&j), v);
    }

    /// On arbitrary text, what the reader accepts serde_json accepts (it may be stricter,
    /// never looser).
    #[test]
    fn the_json_reader_is_never_looser_than_serde_json(text in "[\\[\\]{}:,\" 0-9a-z.eE+\\-\\\\u]{0,24}") {
        let arena = vaultward_iam::json::Arena::with_capacity(text.len() * 2);
        if vaultward_iam::json::parse(&text, &arena).is_ok() {
            // Numbers beyond f64's range are JSON; the reader keeps them as text.
            if let Err(e) = serde_json::from_str::<Value>(&text) {
                prop_assert!(e.to_string().contains("number out of range"), "{:?}: {}", text, e);
            }
        }
    }
}

/// AWS's size limits per policy kind ("IAM and AWS STS quotas", IAM User Guide,
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html; "Quotas for
/// AWS Organizations", https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html):
/// IAM counts characters without white space, Organizations every character.
#[test]
fn policies_over_aws_size_limits_are_refused() {
    let with = |n: usize, pad: &str| {
        let actions: Vec<String> = (0..n).map(|i| format!("\"s3:GetObject{i}\"")).collect();
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow",{pad}"Action":[{}],"Resource":"*"}}]}}"#,
            actions.join(",")
        )
    };
    let too_large = |text: &str, kind| {
        parse_policy(text, kind)
            .findings
            .iter()
            .any(|f| f.code == "policy-too-large")
    };
    // About 6,700 characters: over a boundary's 6,144, under a role's inline 10,240.
    let doc = with(400, "");
    assert!(too_large(&doc, PolicyKind::Boundary));
    assert!(!too_large(&doc, PolicyKind::Identity));
    assert!(too_large(&doc, PolicyKind::Scp));
    // White space counts for Organizations, not for IAM.
    let small = with(200, &" ".repeat(3_000));
    assert!(!too_large(&small, PolicyKind::Boundary));
    assert!(too_large(&small, PolicyKind::Scp));
    assert!(!too_large(&small, PolicyKind::Vault));
}

// The rewrites that keep `crates/iam` free of indexing and overflowing arithmetic
// (issue 13), each against an oracle written the plain way.

/// Levenshtein distance by its recursive definition (exponential; short words only).
fn distance_oracle(a: &[char], b: &[char]) -> usize {
    match (a.split_first(), b.split_first()) {
        (None, _) => b.len(),
        (_, None) => a.len(),
        (Some((x, ra)), Some((y, rb))) => {
            let substitute = distance_oracle(ra, rb) + usize::from(x != y);
            substitute
                .min(distance_oracle(ra, b) + 1)
                .min(distance_oracle(a, rb) + 1)
        }
    }
}

/// Days from 1970-01-01 counted one year and one month at a time.
fn days_oracle(year: i64, month: i64, day: i64) -> i64 {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let year_days = |y: i64| if leap(y) { 366 } else { 365 };
    let month_days = |y: i64, m: i64| match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let mut days: i64 = if year >= 1970 {
        (1970..year).map(year_days).sum()
    } else {
        -(year..1970).map(year_days).sum::<i64>()
    };
    days += (1..month).map(|m| month_days(year, m)).sum::<i64>();
    days + day - 1
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn edit_distance_agrees_with_its_definition(a in "[abc\u{e9}]{0,6}", b in "[abc\u{e9}]{0,6}") {
        let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        prop_assert_eq!(vaultward_iam::edit_distance(&a, &b), distance_oracle(&ca, &cb));
    }

    /// Any text, with any of its bytes written as `%XX` and its spaces as `+`, decodes back.
    #[test]
    fn percent_decoding_inverts_encoding(s in "\\PC{0,12}", mask in any::<u64>()) {
        let mut encoded = String::new();
        for (i, b) in s.bytes().enumerate() {
            if b == b' ' {
                encoded.push('+');
            } else if mask >> (i % 64) & 1 == 1 || b == b'%' || b == b'+' {
                encoded.push_str(&format!("%{b:02X}"));
            } else {
                encoded.push(char::from(b));
                if !b.is_ascii() {
                    // A raw non-ASCII byte cannot stand alone in a `String`: encode it.
                    encoded.pop();
                    encoded.push_str(&format!("%{b:02x}"));
                }
            }
        }
        prop_assert_eq!(vaultward_iam::policy::percent_decode(&encoded), Some(s));
    }

    /// `\uXXXX` escapes, surrogate pairs and lone surrogates included, read as serde_json
    /// reads them (it refuses a lone surrogate; so must we).
    #[test]
    fn unicode_escapes_agree_with_serde_json(units in prop::collection::vec(
        prop_oneof![any::<u16>(), 0xD800u16..0xE000], 0..6)) {
        let text: String = std::iter::once("\"".to_string())
            .chain(units.iter().map(|u| format!("\\u{u:04x}")))
            .chain(std::iter::once("\"".to_string()))
            .collect();
        let arena = vaultward_iam::json::Arena::with_capacity(64);
        let ours = vaultward_iam::json::parse(&text, &arena).ok().map(|j| to_serde(&j));
        prop_assert_eq!(ours, serde_json::from_str::<Value>(&text).ok(), "{}", text);
    }

    /// Dates in every shape the `Date*` operators take ("Date condition operators",
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date)
    /// against days counted one by one; a day past the month's end is refused, and digits
    /// alone are epoch seconds.
    #[test]
    fn dates_agree_with_counting_days(
        year in 0i64..=9999, month in 1i64..=12, day in 1i64..=31,
        hour in 0i64..=23, minute in 0i64..=59, second in 0i64..=60,
        frac in "[0-9]{1,6}", zone in 0usize..4, oh in 0i64..=23, om in 0i64..=59, shape in 0usize..5,
    ) {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let last = match month { 2 if leap => 29, 2 => 28, 4 | 6 | 9 | 11 => 30, _ => 31 };
        let zone_text = match zone {
            0 => String::new(),
            1 => "Z".to_string(),
            2 => format!("+{oh:02}:{om:02}"),
            _ => format!("-{oh:02}{om:02}"),
        };
        let offset = match zone { 2 => oh * 3600 + om * 60, 3 => -(oh * 3600 + om * 60), _ => 0 };
        let ms: i64 = format!("{frac:0<3}")[..3].parse().unwrap();
        let (text, secs, millis) = match shape {
            0 => (format!("{year:04}"), 0, 0),
            1 => (format!("{year:04}-{month:02}"), 0, 0),
            2 => (format!("{year:04}-{month:02}-{day:02}"), 0, 0),
            3 => (format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}{zone_text}"),
                  hour * 3600 + minute * 60 - offset, 0),
            _ => (format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{frac}{zone_text}"),
                  hour * 3600 + minute * 60 + second - offset, ms),
        };
        let (m, d) = match shape { 0 => (1, 1), 1 => (month, 1), _ => (month, day) };
        let expected = if shape == 0 {
            // Digits alone are epoch seconds, not a year.
            Some(year * 1000)
        } else {
            (d <= last || shape < 2).then(|| (days_oracle(year, m, d) * 86_400 + secs) * 1000 + millis)
        };
        prop_assert_eq!(vaultward_iam::condition::parse_date(&text), expected, "{}", text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// A template with variables matched in place agrees with the pattern its variables
    /// resolve to (IAM User Guide, "Policy variables": a variable's value is literal, a
    /// variable with no value and no default matches nothing).
    #[test]
    fn templates_match_as_their_resolved_patterns(
        head in "[ab/*?]{0,4}",
        tail in "[ab*]{0,4}",
        value in prop::option::of("[ab*?/]{0,3}"),
        default in prop::option::of("[ab]{0,2}"),
        wildcards in any::<bool>(),
        text in "[ab/*?]{0,9}",
    ) {
        use vaultward_iam::template::Template;
        use vaultward_iam::{Context, ContextValue};
        let var = match &default {
            Some(d) => format!("${{aws:username, '{d}'}}"),
            None => "${aws:username}".to_string(),
        };
        let raw = format!("{head}{var}{tail}");
        let t = Template::new(&raw, true, wildcards).unwrap();
        let mut ctx = Context::default();
        if let Some(v) = &value {
            ctx.insert("aws:username", ContextValue::Single(v.clone()));
        }
        let expected = t.resolve(&ctx, wildcards).map(|g| g.is_match(&text));
        prop_assert_eq!(t.matches(&ctx, &text), expected, "{} with {:?} on {}", raw, value, text);
    }
}
