//! Source: "AWS global condition context keys", availability of each key
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
use super::*;
use crate::condition::parse_date;

fn session_request(action: &str, resource: &str) -> Request {
    Request::new(
        "arn:aws:sts::111122223333:assumed-role/BackupRole/s1",
        action,
        resource,
        Some("111122223333"),
        Context::default(),
    )
    .unwrap()
}

#[test]
fn the_keys_aws_always_sends_are_never_absent() {
    let mut req = session_request("s3:GetObject", "arn:aws:s3:::b/k");
    complete(&mut req, &Route::Direct, &Facts::default());
    for key in [
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:RequestedRegion",
        "aws:SecureTransport",
        "aws:SourceIp",
        "aws:UserAgent",
        "aws:ViaAWSService",
        "aws:PrincipalArn",
        "aws:userid",
        "aws:TokenIssueTime",
        "aws:MultiFactorAuthPresent",
        "s3:TlsVersion",
        "s3:ResourceAccount",
    ] {
        assert!(req.context.get(key).is_some(), "{key} is missing");
    }
    // Through no VPC endpoint: the VPC keys are absent; directly: no kms:ViaService.
    for key in [
        "aws:SourceVpc",
        "aws:SourceVpce",
        "kms:ViaService",
        "aws:MultiFactorAuthAge",
    ] {
        let v = req.context.get(key);
        assert!(
            v.is_none() || v.is_some_and(ContextValue::is_unknown),
            "{key}: {v:?}"
        );
    }
    assert!(req.context.get("aws:SourceVpc").is_none());
    assert!(matches!(
        req.context.get("aws:RequestedRegion"),
        Some(ContextValue::Unknown(_))
    ));
}

#[test]
fn facts_settle_what_they_say() {
    let at = parse_date("2026-12-07T12:00:00Z").unwrap();
    let facts = Facts {
        at: Some(at),
        region: Some("eu-west-1".into()),
        secure_transport: Some(true),
        sdk_client: true,
        mfa: Some(false),
        network: Network {
            egress: vec!["203.0.113.7/32".into()],
            vpc_endpoint: None,
            tls_version: Some("1.3".into()),
        },
        principal_org: Membership::Member {
            id: "o-a1b2c3d4e5".into(),
            path: Some("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/".into()),
        },
        principal_tags: Tags::Known(vec![("team".into(), "backup".into())]),
        ..Facts::default()
    };
    let mut req = session_request("kms:Decrypt", "arn:aws:kms:eu-west-1:111122223333:key/k");
    complete(&mut req, &Route::ViaService("s3".into()), &facts);
    let get = |k: &str| req.context.get(k).cloned();
    assert_eq!(get("aws:RequestedRegion"), Some(single("eu-west-1")));
    assert_eq!(get("aws:SourceIp"), Some(single("203.0.113.7")));
    assert_eq!(
        get("aws:CurrentTime"),
        Some(single("2026-12-07T12:00:00.000Z"))
    );
    assert_eq!(get("aws:EpochTime"), Some(single((at / 1000).to_string())));
    assert_eq!(get("aws:ViaAWSService"), Some(single("true")));
    assert_eq!(
        get("kms:ViaService"),
        Some(single("s3.eu-west-1.amazonaws.com"))
    );
    assert_eq!(get("kms:CallerAccount"), Some(single("111122223333")));
    assert_eq!(get("aws:PrincipalOrgID"), Some(single("o-a1b2c3d4e5")));
    assert_eq!(get("aws:PrincipalTag/team"), Some(single("backup")));
    assert_eq!(get("aws:PrincipalTag/other"), None);
    assert_eq!(get("aws:MultiFactorAuthPresent"), Some(single("false")));
    assert_eq!(get("aws:MultiFactorAuthAge"), None);
    // A session was issued at most 12 hours before the request.
    let Some(ContextValue::Unknown(u)) = get("aws:TokenIssueTime") else {
        panic!("aws:TokenIssueTime must be a bounded unknown");
    };
    assert_eq!(u.domain, Domain::Between(at - MAX_SESSION_MS, at));
}

#[test]
fn tags_not_collected_are_unknown_and_may_be_absent() {
    let mut req = session_request("s3:GetObject", "arn:aws:s3:::b/k");
    complete(&mut req, &Route::Direct, &Facts::default());
    let Some(ContextValue::Unknown(u)) = req.context.get("aws:PrincipalTag/team") else {
        panic!("a tag of a principal whose tags were not collected is unknown");
    };
    assert!(u.maybe_absent);
}

#[test]
fn a_vpc_endpoint_replaces_the_source_address() {
    let facts = Facts {
        network: Network {
            egress: Vec::new(),
            vpc_endpoint: Some(VpcEndpoint {
                id: "vpce-1a2b3c4d".into(),
                vpc: "vpc-111bbb22".into(),
            }),
            tls_version: None,
        },
        ..Facts::default()
    };
    let mut req = session_request("s3:GetObject", "arn:aws:s3:::b/k");
    complete(&mut req, &Route::Direct, &facts);
    assert!(req.context.get("aws:SourceIp").is_none());
    assert_eq!(
        req.context.get("aws:SourceVpce"),
        Some(&single("vpce-1a2b3c4d"))
    );
    assert_eq!(
        req.context.get("aws:SourceVpc"),
        Some(&single("vpc-111bbb22"))
    );
}

#[test]
fn anonymous_and_long_term_callers_carry_what_they_carry() {
    let mut anon = Request::new(
        "*",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        Some("111122223333"),
        Context::default(),
    )
    .unwrap();
    complete(&mut anon, &Route::Direct, &Facts::default());
    assert!(anon.context.get("aws:PrincipalOrgID").is_none());
    assert!(anon.context.get("aws:TokenIssueTime").is_none());
    let mut user = Request::new(
        "arn:aws:iam::111122223333:user/alice",
        "s3:GetObject",
        "arn:aws:s3:::b/k",
        Some("111122223333"),
        Context::default(),
    )
    .unwrap();
    complete(&mut user, &Route::Direct, &Facts::default());
    // Long-term access keys: no session keys.
    assert!(user.context.get("aws:TokenIssueTime").is_none());
    assert!(user.context.get("aws:MultiFactorAuthPresent").is_none());
    assert_eq!(user.context.get("aws:username"), Some(&single("alice")));
}

/// The model lists each key once, and every page it cites is AWS's.
#[test]
fn one_row_per_key() {
    let mut keys: Vec<&str> = KEYS.iter().map(|m| m.key).collect();
    keys.sort_unstable();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n);
    assert!(KEYS
        .iter()
        .all(|m| m.page.starts_with("https://docs.aws.amazon.com/")));
}

/// A service's calls for the principal (S3 calling KMS for an SSE-KMS object) carry the
/// route's keys and not the caller's VPC keys ("Forward access sessions",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html).
#[test]
fn a_service_calling_for_the_principal() {
    let facts = Facts {
        region: Some("us-east-1".into()),
        network: Network {
            egress: Vec::new(),
            vpc_endpoint: Some(VpcEndpoint {
                id: "vpce-1a2b3c4d".into(),
                vpc: "vpc-111bbb22".into(),
            }),
            tls_version: None,
        },
        ..Facts::default()
    };
    let mut req = session_request("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/k");
    complete(&mut req, &Route::ViaService("s3".into()), &facts);
    assert_eq!(req.context.get("aws:ViaAWSService"), Some(&single("true")));
    assert_eq!(
        req.context.get("aws:CalledVia"),
        Some(&ContextValue::Multi(vec!["s3.amazonaws.com".into()]))
    );
    assert_eq!(
        req.context.get("aws:CalledViaFirst"),
        Some(&single("s3.amazonaws.com"))
    );
    assert_eq!(
        req.context.get("kms:ViaService"),
        Some(&single("s3.us-east-1.amazonaws.com"))
    );
    assert!(req.context.get("aws:SourceVpce").is_none());
    assert!(req.context.get("aws:SourceVpc").is_none());
}

/// `docs/request-context.md` holds the model's table as the code states it.
#[test]
fn the_docs_show_the_model() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/request-context.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let table = markdown_table();
    assert!(
        doc.contains(&table),
        "docs/request-context.md does not hold the model's table; write this between its markers:\n{table}"
    );
}
