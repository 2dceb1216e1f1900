//! Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
use super::*;

fn ctx() -> Context {
    let mut c = Context::default();
    c.insert("aws:username", ContextValue::Single("alice".into()));
    c.insert(
        "aws:PrincipalTag/team",
        ContextValue::Single("backup".into()),
    );
    c.insert(
        "aws:TagKeys",
        ContextValue::Multi(vec!["a".into(), "b".into()]),
    );
    c
}

fn matches(raw: &str, text: &str) -> Option<bool> {
    Template::new(raw, true, true)
        .unwrap()
        .resolve(&ctx(), true)
        .map(|g| g.is_match(text))
}

#[test]
fn substitutes_variables_case_insensitively() {
    assert_eq!(
        matches("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/x"),
        Some(true)
    );
    assert_eq!(
        matches("arn:aws:s3:::b/${AWS:UserName}/*", "arn:aws:s3:::b/alice/x"),
        Some(true)
    );
    assert_eq!(matches("${aws:PrincipalTag/team}", "backup"), Some(true));
}

#[test]
fn unresolved_variable_is_none_and_default_applies() {
    assert_eq!(matches("${aws:userid}", "x"), None);
    assert_eq!(matches("${aws:userid, 'fallback'}", "fallback"), Some(true));
    assert_eq!(matches("${aws:userid, 'it''s'}", "it's"), Some(true));
    // Multivalued keys are not substituted.
    assert_eq!(matches("${aws:TagKeys}", "a"), None);
}

#[test]
fn escapes_are_literal() {
    assert_eq!(matches("a${*}b", "a*b"), Some(true));
    assert_eq!(matches("a${*}b", "axb"), Some(false));
    assert_eq!(matches("a${?}", "a?"), Some(true));
    assert_eq!(matches("${$}x", "$x"), Some(true));
}

#[test]
fn version_2008_does_not_substitute() {
    let t = Template::new("${aws:username}", false, true).unwrap();
    assert!(t.resolve(&ctx(), true).unwrap().is_match("${aws:username}"));
}

#[test]
fn malformed_variables_are_errors() {
    assert!(Template::new("${aws:username", true, true).is_err());
    assert!(Template::new("${aws:x, d}", true, true).is_err());
    assert!(Template::new("${}", true, true).is_err());
}
