use super::*;
use crate::parse_case;

/// A case whose policies have findings (a `NotPrincipal` with Deny, a missing `Version`),
/// one of them in a JSON string, with the request first so that its length moves them.
fn case(resource: &str, newline: &str) -> String {
    format!(
        r#"{{"request": {{"principal": "arn:aws:sts::111122223333:assumed-role/R/s", "action": "s3:GetObject", "resource": "{resource}", "resource_account": "111122223333"}},{newline}
 "identity_policies": [{{"Statement": {{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}}}, "{{\"Version\": \"2012-10-17\", \"Statement\": {{\"Effect\": \"Allow\", \"Action\": [], \"Resource\": \"*\"}}}}"],{newline}
 "resource_policy": {{"Version": "2012-10-17", "Statement": {{"Effect": "Deny", "NotPrincipal": {{"AWS": "arn:aws:sts::111122223333:assumed-role/R/*"}}, "Action": "s3:*", "Resource": "*"}}}},
 "scps": [[{{"name": "FullAWSAccess", "document": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*"}}]}}}}]]}}"#
    )
}

fn same(parser: &mut CaseParser, src: &str) -> CachedCase {
    let alone = parse_case(src).unwrap();
    let cached = parser.parse(src).unwrap();
    assert_eq!(alone.request, cached.request);
    assert_eq!(alone.policies, *cached.policies);
    assert_eq!(alone.findings, cached.findings);
    cached
}

#[test]
fn findings_from_the_cache_stand_where_the_case_has_them() {
    let mut parser = CaseParser::new();
    for newline in ["", "\n", "\r\n"] {
        for one_line in [true, false] {
            let text = |resource: &str| {
                let c = case(resource, newline);
                if one_line {
                    c.replace(['\r', '\n'], "")
                } else {
                    c
                }
            };
            same(&mut parser, &text("arn:aws:s3:::b/k"));
            let first = same(&mut parser, &text("arn:aws:s3:::b/k"));
            assert!(first.findings.len() >= 3, "{:?}", first.findings);
            // The same policies after a longer request: a hit, and on one line every
            // finding moved along.
            let second = same(&mut parser, &text("arn:aws:s3:::bucket/a/much/longer/key"));
            assert!(Arc::ptr_eq(&first.policies, &second.policies));
            assert_eq!(one_line, first.findings != second.findings);
        }
    }
}

#[test]
fn a_document_seen_before_is_read_from_the_cache_in_another_set() {
    let mut parser = CaseParser::new();
    let one = case("arn:aws:s3:::b/k", "\n");
    // Kept the second time it is seen.
    same(&mut parser, &one);
    assert_eq!((parser.sets.entries, parser.docs.entries), (0, 0));
    same(&mut parser, &one);
    assert_eq!((parser.sets.entries, parser.docs.entries), (1, 4));
    // Another set (the bucket policy differs), sharing the other documents.
    let other = one.replace(
        "\"Effect\": \"Deny\",",
        "\"Effect\": \"Deny\", \"Sid\": \"Other\",",
    );
    assert_ne!(one, other);
    same(&mut parser, &other);
    same(&mut parser, &other);
    assert_eq!(parser.sets.entries, 2);
    assert_eq!(
        parser.docs.entries,
        4 + 1,
        "four documents, and the new bucket policy"
    );
}

#[test]
fn the_kind_of_the_resource_policy_is_part_of_the_key() {
    // The same set for an S3 object and for a KMS key: the resource policy is read as a
    // resource policy once and as a key policy once.
    let mut parser = CaseParser::new();
    let s3 = case("arn:aws:s3:::b/k", "");
    let kms = s3.replace(
        "\"arn:aws:s3:::b/k\"",
        "\"arn:aws:kms:us-east-1:111122223333:key/k\"",
    );
    for src in [&s3, &kms, &s3, &kms] {
        same(&mut parser, src);
    }
    assert_eq!(parser.sets.entries, 2);
}

#[test]
fn invalid_cases_give_the_same_errors() {
    let mut parser = CaseParser::new();
    let good = case("arn:aws:s3:::b/k", "");
    same(&mut parser, &good);
    for bad in [
        good.replacen("\"Effect\": \"Allow\"", "\"Effect\": \"allow\"", 1),
        good.replace("\"action\": \"s3:GetObject\"", "\"action\": \"s3:Get*\""),
        good.replace("\"resource_policy\"", "\"resource_policies\""),
        good.replace(
            "{\"request\"",
            "{\"resource_policy_kind\": \"bucket\", \"request\"",
        ),
        "[1]".to_string(),
        "{\"request\": ".to_string(),
    ] {
        let alone = parse_case(&bad).unwrap_err();
        let cached = parser.parse(&bad).unwrap_err();
        assert_eq!(alone.findings, cached.findings, "{bad}");
    }
}

#[test]
fn a_full_cache_is_emptied_and_answers_stay_the_same() {
    let mut parser = CaseParser::new();
    let base = case("arn:aws:s3:::b/k", "");
    for i in 0..MAX_SETS + 10 {
        let src = base.replace("assumed-role/R/*", &format!("assumed-role/R{i}/*"));
        same(&mut parser, &src);
        same(&mut parser, &src);
        assert!(parser.sets.entries <= MAX_SETS);
    }
    assert!(parser.sets.entries < 20, "{}", parser.sets.entries);
}

#[test]
fn a_policy_set_and_its_requests() {
    let src = case("arn:aws:s3:::b/k", "\n");
    let alone = parse_case(&src).unwrap();
    let set_text = src.replacen(
        r#""request": {"principal": "arn:aws:sts::111122223333:assumed-role/R/s", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resource_account": "111122223333"},"#,
        "",
        1,
    );
    let mut set = PolicySetSource::new(set_text).unwrap();
    let mut parser = CaseParser::new();
    let req = r#"{"principal": "arn:aws:sts::111122223333:assumed-role/R/s", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "resource_account": "111122223333"}"#;
    let streamed = parser.parse_request(&mut set, req).unwrap();
    assert_eq!(alone.request, streamed.request);
    assert_eq!(alone.policies, *streamed.policies);
    assert_eq!(set.findings(), streamed.findings);
    // A bad request is the case's error, at its place in the line.
    let bad = parser
        .parse_request(
            &mut set,
            r#"{"principal": "x", "action": 1, "resource": "*"}"#,
        )
        .unwrap_err();
    assert_eq!(bad.findings[0].path, "$.request.action");
    // A set with a request is refused, and so is one with an invalid policy.
    assert!(PolicySetSource::new(src).is_err());
    assert!(PolicySetSource::new(r#"{"identity_policies": [{"Statement": 1}]}"#.into()).is_err());
}

#[test]
fn content_hash_spreads() {
    let mut seen = std::collections::HashSet::new();
    for n in 0..200 {
        let text = "x".repeat(n);
        assert!(seen.insert(content_hash(text.as_bytes())), "{n}");
    }
    assert_ne!(
        content_hash(b"abcdefgh12345678abcdefgh12345678"),
        content_hash(b"12345678abcdefgh12345678abcdefgh")
    );
}
