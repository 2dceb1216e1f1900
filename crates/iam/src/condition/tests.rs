//! Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
use super::*;

fn ctx() -> Context {
    let mut c = Context::default();
    c.insert("aws:SourceIp", ContextValue::Single("10.1.2.3".into()));
    c.insert("aws:SecureTransport", ContextValue::Single("true".into()));
    c.insert("s3:max-keys", ContextValue::Single("10".into()));
    c.insert(
        "aws:CurrentTime",
        ContextValue::Single("2024-06-01T00:00:00Z".into()),
    );
    c.insert(
        "aws:TagKeys",
        ContextValue::Multi(vec!["a".into(), "b".into()]),
    );
    c.insert(
        "aws:PrincipalArn",
        ContextValue::Single("arn:aws:iam::111122223333:role/r".into()),
    );
    c.insert("aws:username", ContextValue::Single("Alice".into()));
    c
}

fn eval(op: &str, key: &str, values: &[&str]) -> bool {
    let op = Operator::parse(op).unwrap();
    let vals: Vec<CondValue> = values
        .iter()
        .map(|v| parse_value(op.kind, v, true).unwrap())
        .collect();
    evaluate(&op, &key.to_ascii_lowercase(), &vals, &ctx()).0
}

#[test]
fn operator_table() {
    for (op, key, values, expected) in [
        ("StringEquals", "aws:username", &["Alice"][..], true),
        ("StringEquals", "aws:username", &["alice"][..], false),
        (
            "StringEqualsIgnoreCase",
            "aws:username",
            &["alice"][..],
            true,
        ),
        (
            "StringNotEqualsIgnoreCase",
            "aws:username",
            &["ALICE"][..],
            false,
        ),
        ("StringLike", "aws:username", &["Al*"][..], true),
        ("StringNotLike", "aws:username", &["Al?ce"][..], false),
        ("StringEquals", "aws:username", &["x", "Alice"][..], true),
        (
            "StringNotEquals",
            "aws:username",
            &["x", "Alice"][..],
            false,
        ),
        ("NumericLessThan", "s3:max-keys", &["11"][..], true),
        ("NumericLessThanEquals", "s3:max-keys", &["10"][..], true),
        ("NumericGreaterThan", "s3:max-keys", &["10"][..], false),
        ("NumericEquals", "s3:max-keys", &["10.0"][..], true),
        ("NumericNotEquals", "s3:max-keys", &["10"][..], false),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            &["2024-01-01T00:00:00Z"][..],
            true,
        ),
        (
            "DateLessThan",
            "aws:CurrentTime",
            &["1700000000"][..],
            false,
        ),
        ("Bool", "aws:SecureTransport", &["true"][..], true),
        ("Bool", "aws:SecureTransport", &["false"][..], false),
        ("IpAddress", "aws:SourceIp", &["10.0.0.0/8"][..], true),
        ("IpAddress", "aws:SourceIp", &["10.1.2.3"][..], true),
        (
            "NotIpAddress",
            "aws:SourceIp",
            &["192.168.0.0/16"][..],
            true,
        ),
        (
            "ArnLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:role/*"][..],
            true,
        ),
        (
            "ArnNotLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:role/*"][..],
            false,
        ),
        (
            "ArnEquals",
            "aws:PrincipalArn",
            &["arn:aws:iam::111122223333:role/r"][..],
            true,
        ),
        // Absent keys: false for positive operators, true for negated ones.
        ("StringEquals", "aws:SourceVpc", &["vpc-1"][..], false),
        ("StringNotEquals", "aws:SourceVpc", &["vpc-1"][..], true),
        (
            "StringEqualsIfExists",
            "aws:SourceVpc",
            &["vpc-1"][..],
            true,
        ),
        ("NotIpAddress", "aws:VpcSourceIp", &["10.0.0.0/8"][..], true),
        ("Null", "aws:SourceVpc", &["true"][..], true),
        ("Null", "aws:SourceIp", &["true"][..], false),
        ("Null", "aws:SourceIp", &["false"][..], true),
        // Set operators.
        (
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["a", "b", "c"][..],
            true,
        ),
        (
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["a"][..],
            false,
        ),
        ("ForAllValues:StringEquals", "aws:Missing", &["a"][..], true),
        ("ForAnyValue:StringEquals", "aws:TagKeys", &["b"][..], true),
        ("ForAnyValue:StringEquals", "aws:Missing", &["b"][..], false),
        (
            "ForAnyValue:StringNotEquals",
            "aws:TagKeys",
            &["a"][..],
            true,
        ),
        (
            "ForAllValues:StringNotEquals",
            "aws:TagKeys",
            &["a"][..],
            false,
        ),
        // A single-valued operator does not match a multivalued key.
        ("StringEquals", "aws:TagKeys", &["a"][..], false),
    ] {
        assert_eq!(eval(op, key, values), expected, "{op} {key} {values:?}");
    }
}

#[test]
fn operator_names() {
    assert!(Operator::parse("ForAnyValue:StringLikeIfExists").is_some());
    assert!(Operator::parse("NullIfExists").is_none());
    assert!(Operator::parse("stringequals").is_none());
    assert_eq!(
        Operator::suggest("stringequals").as_deref(),
        Some("StringEquals")
    );
    assert_eq!(
        Operator::suggest("StringEqual").as_deref(),
        Some("StringEquals")
    );
    assert_eq!(
        Operator::parse("ForAllValues:ArnLike").unwrap().name(),
        "ForAllValues:ArnLike"
    );
}

#[test]
fn bad_values_are_rejected() {
    assert!(parse_value(OpKind::NumericEquals, "ten", true).is_err());
    assert!(parse_value(OpKind::DateEquals, "2020-02-30", true).is_err());
    assert!(parse_value(OpKind::IpAddress, "10.0.0.0/33", true).is_err());
    assert!(parse_value(OpKind::Bool, "yes", true).is_err());
    assert!(parse_value(OpKind::IpAddress, "2001:db8::/32", true).is_ok());
}
