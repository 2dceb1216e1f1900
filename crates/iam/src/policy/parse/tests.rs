//! Conditions IAM stores but that cannot match: read, evaluated as not matching, written
//! back as they were. Source: IAM policy validation check reference
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).

use crate::condition::evaluate;
use crate::context::{Context, ContextValue};
use crate::policy::{parse_policy, PolicyKind};

fn policy(condition: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}]}}"#
    )
}

fn ctx(pairs: &[(&str, &str)]) -> Context {
    let mut c = Context::default();
    for (k, v) in pairs {
        c.insert(k, ContextValue::Single((*v).to_string()));
    }
    c
}

/// Reads `condition`, checks it never matches under `context`, and that it writes back as read.
fn never_matches(condition: &str, context: &[(&str, &str)], code: &str) {
    let src = policy(condition);
    let parsed = parse_policy(&src, PolicyKind::Identity);
    assert!(
        parsed.findings.iter().any(|f| f.code == code),
        "{code} in {:#?}",
        parsed.findings
    );
    let p = parsed.policy.expect("the policy is stored, so it is read");
    let c = &p.statements[0].conditions[0];
    assert!(!evaluate(&c.operator, &c.key, &c.values, &ctx(context)).0);
    let written = p.to_json();
    let original: serde_json::Value = serde_json::from_str(&src).unwrap();
    assert_eq!(
        written["Statement"][0]["Condition"],
        original["Statement"][0]["Condition"]
    );
}

#[test]
fn an_unknown_operator_never_matches_and_round_trips() {
    never_matches(
        r#"{"StringEqualz":{"aws:username":["a","b"]}}"#,
        &[("aws:username", "a")],
        "unknown-condition-operator",
    );
    never_matches(
        r#"{"NullIfExists":{"aws:SourceVpc":"true"}}"#,
        &[],
        "null-with-if-exists",
    );
}

#[test]
fn a_value_of_the_wrong_type_never_matches_and_round_trips() {
    never_matches(
        r#"{"NumericLessThan":{"s3:max-keys":"ten"}}"#,
        &[("s3:max-keys", "1")],
        "type-mismatch-number",
    );
    never_matches(
        r#"{"NumericNotEquals":{"s3:max-keys":"ten"}}"#,
        &[("s3:max-keys", "1")],
        "type-mismatch-number",
    );
    never_matches(
        r#"{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}"#,
        &[("aws:CurrentTime", "2020-01-01T00:00:00Z")],
        "type-mismatch-date",
    );
    never_matches(
        r#"{"Bool":{"aws:SecureTransport":"yes"}}"#,
        &[("aws:SecureTransport", "true")],
        "type-mismatch-boolean",
    );
    never_matches(
        r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/40"}}"#,
        &[("aws:SourceIp", "10.0.0.1")],
        "type-mismatch-ip-range",
    );
    never_matches(
        r#"{"NumericEquals":{"s3:max-keys":"${aws:username}"}}"#,
        &[("s3:max-keys", "1")],
        "invalid-variable-for-operator",
    );
}

#[test]
fn null_with_a_set_qualifier_is_read_and_fixed() {
    // Access Analyzer, "Null with qualifier": ForAllValues is always true, ForAnyValue always false.
    for (op, want) in [("ForAllValues:Null", true), ("ForAnyValue:Null", false)] {
        let src = policy(&format!(r#"{{"{op}":{{"aws:TagKeys":"true"}}}}"#));
        let parsed = parse_policy(&src, PolicyKind::Identity);
        assert!(parsed
            .findings
            .iter()
            .any(|f| f.code == "null-with-qualifier"));
        let p = parsed.policy.unwrap();
        let c = &p.statements[0].conditions[0];
        for context in [ctx(&[]), ctx(&[("aws:TagKeys", "k")])] {
            assert_eq!(
                evaluate(&c.operator, &c.key, &c.values, &context).0,
                want,
                "{op}"
            );
        }
        assert_eq!(
            p.to_json()["Statement"][0]["Condition"][op]["aws:TagKeys"],
            "true"
        );
    }
}

#[test]
fn empty_arrays_are_suggestions_and_name_nothing() {
    let src = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":[],"Condition":{"StringEquals":{"aws:username":[]}}}]}"#;
    let parsed = parse_policy(src, PolicyKind::Identity);
    let codes: Vec<_> = parsed
        .findings
        .iter()
        .map(|f| (f.code, f.severity))
        .collect();
    for code in [
        "empty-array-action",
        "empty-array-resource",
        "empty-array-condition",
    ] {
        assert!(
            codes.contains(&(code, crate::Severity::Suggestion)),
            "{code}: {codes:?}"
        );
    }
    let p = parsed.policy.unwrap();
    assert!(p.statements[0].action.patterns.is_empty());
    assert_eq!(p.to_json()["Statement"][0]["Action"], serde_json::json!([]));
}
