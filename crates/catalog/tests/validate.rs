//! Catalog-backed validation. Rules from the Service Authorization Reference
//! (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
//! IAM Access Analyzer policy checks
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html)
//! and AWS Backup vault access policies
//! (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vaultward_catalog::{catalog, validate_policy};
use vaultward_iam::{Finding, PolicyKind, Severity};

fn policy(statements: &str) -> String {
    format!("{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {statements}\n  ]\n}}\n")
}

fn find<'a>(findings: &'a [Finding], code: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no `{code}` in {findings:#?}"))
}

fn codes(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.code).collect()
}

/// Splits the seed's tables into the action names they mention. The seed glues each
/// table's last action to the description that follows (`iam:PassRoleRequired for ...`):
/// an action name followed by a capitalised word is such a glued pair, not a typo.
fn seed_actions() -> Vec<(String, bool)> {
    // The seed documents live in `shared/` beside the repository (as on CI); they are the
    // vendor's text and are not copied into the repository.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/seeds/backup-vendor-permissions-file.txt"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read the seed document {path}: {e}"));
    let c = catalog();
    let mut out = Vec::new();
    for line in text.lines() {
        for tok in line.split(|ch: char| ch.is_whitespace() || matches!(ch, ',' | '(' | ')' | '"'))
        {
            let Some((svc, act)) = tok.split_once(':') else {
                continue;
            };
            if svc.is_empty()
                || act.is_empty()
                || !svc
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                continue;
            }
            let resolves = c.action(tok).is_some()
                || c.service(svc).is_some_and(|s| {
                    s.actions.iter().any(|a| {
                        act.len() > a.name.len()
                            && act.starts_with(a.name)
                            && act[a.name.len()..].starts_with(|ch: char| ch.is_ascii_uppercase())
                    })
                });
            out.push((tok.to_string(), resolves));
        }
    }
    out
}

#[test]
fn every_action_of_the_seed_resolves_except_its_typos() {
    let actions = seed_actions();
    assert!(actions.len() > 150, "{}", actions.len());
    let mut unresolved: Vec<String> = actions
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(t, _)| t)
        .collect();
    unresolved.sort();
    unresolved.dedup();
    assert_eq!(
        unresolved,
        [
            "dynamodb:DescribeContinuousBackups-",
            "ec2:DescribeFastSnapshotRestore",
            "elastic-inference:DescribeAcceleratorOfferings",
            "elastic-inference:DescribeAccelerators",
        ]
    );
}

#[test]
fn the_seed_typos_are_flagged_with_the_right_suggestion() {
    let p = policy(
        r#"{"Effect": "Allow", "Action": ["dynamodb:DescribeContinuousBackups- dynamodb:DescribeTable", "ec2:DescribeFastSnapshotRestore", "elastic-inference:DescribeAccelerators"], "Resource": "*"}"#,
    );
    let f = validate_policy(&p, PolicyKind::Identity);
    let glued: Vec<&Finding> = f.iter().filter(|f| f.code == "unknown-action").collect();
    assert_eq!(glued.len(), 2, "{f:#?}");
    assert_eq!(glued[0].path, "$.Statement[0].Action[0]");
    let help = glued[0].help.as_deref().unwrap();
    assert!(
        help.contains("`dynamodb:DescribeContinuousBackups`")
            && help.contains("`dynamodb:DescribeTable`"),
        "{help}"
    );
    assert_eq!(
        glued[1].help.as_deref(),
        Some("did you mean `ec2:DescribeFastSnapshotRestores`?")
    );
    assert_eq!(glued[1].severity, Severity::Error);
    assert_eq!((glued[1].line, glued[1].column), (Some(4), Some(98)));
    let retired = find(&f, "unknown-service");
    assert!(retired.message.contains("`elastic-inference`"));
    // The plain syntax error for the glued string is replaced by the finding with the hint.
    assert!(!codes(&f).contains(&"invalid-action"), "{f:#?}");
}

#[test]
fn unknown_actions_get_did_you_mean() {
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObjectTaggin", "Resource": "arn:aws:s3:::b/*"}"#,
        ),
        PolicyKind::Identity,
    );
    let e = find(&f, "unknown-action");
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `s3:GetObjectTagging`?")
    );
    assert_eq!(e.path, "$.Statement[0].Action");
    let f = validate_policy(
        &policy(r#"{"Effect": "Allow", "Action": "dynamod:GetItem", "Resource": "*"}"#),
        PolicyKind::Identity,
    );
    assert_eq!(
        find(&f, "unknown-service").help.as_deref(),
        Some("did you mean `dynamodb`?")
    );
}

#[test]
fn wildcards_that_match_nothing_and_notaction_with_allow() {
    let f = validate_policy(
        &policy(r#"{"Effect": "Allow", "Action": "s3:Frobnicate*", "Resource": "*"}"#),
        PolicyKind::Identity,
    );
    assert_eq!(
        find(&f, "action-wildcard-matches-nothing").severity,
        Severity::Warning
    );
    let f = validate_policy(
        &policy(r#"{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}"#),
        PolicyKind::Identity,
    );
    assert_eq!(
        find(&f, "allow-with-notaction").severity,
        Severity::SecurityWarning
    );
    let f = validate_policy(
        &policy(r#"{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}"#),
        PolicyKind::Identity,
    );
    assert!(!codes(&f).contains(&"allow-with-notaction"));
}

#[test]
fn resources_are_checked_against_resource_types() {
    // s3:GetObject acts on objects; a bucket ARN names none.
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}"#,
        ),
        PolicyKind::Identity,
    );
    assert_eq!(
        find(&f, "resource-matches-no-action").path,
        "$.Statement[0].Resource"
    );
    assert!(codes(&f).contains(&"action-matches-no-resource"));
    // Bucket and object ARNs for a bucket action and an object action: fine.
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"]}"#,
        ),
        PolicyKind::Identity,
    );
    assert!(f.is_empty(), "{f:#?}");
    // An action without resource-level permissions needs "*".
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::bucket"}"#,
        ),
        PolicyKind::Identity,
    );
    assert!(codes(&f).contains(&"action-matches-no-resource"), "{f:#?}");
    // Resource "*" for an action that supports resource-level permissions, in an Allow.
    let f = validate_policy(
        &policy(r#"{"Effect": "Allow", "Action": "dynamodb:DeleteTable", "Resource": "*"}"#),
        PolicyKind::Identity,
    );
    assert_eq!(find(&f, "resource-wildcard").severity, Severity::Suggestion);
    let f = validate_policy(
        &policy(r#"{"Effect": "Deny", "Action": "dynamodb:DeleteTable", "Resource": "*"}"#),
        PolicyKind::Identity,
    );
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn condition_keys_and_operators() {
    // s3:prefix is an s3:ListBucket key, not an s3:GetObject one.
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringLike": {"s3:prefix": "home/*"}}}"#,
        ),
        PolicyKind::Identity,
    );
    assert_eq!(
        find(&f, "unsupported-condition-key").path,
        "$.Statement[0].Condition.StringLike[\"s3:prefix\"]"
    );
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefix": "home/*"}}}"#,
        ),
        PolicyKind::Identity,
    );
    assert!(f.is_empty(), "{f:#?}");
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringLike": {"s3:prefixx": "home/*"}}}"#,
        ),
        PolicyKind::Identity,
    );
    assert!(codes(&f).contains(&"unknown-condition-key"));
    // Wrong operator for the key's type.
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringEquals": {"aws:CurrentTime": "2024-01-01"}, "Bool": {"aws:SourceVpc": "true"}}}"#,
        ),
        PolicyKind::Identity,
    );
    let mismatches: Vec<&Finding> = f
        .iter()
        .filter(|f| f.code == "condition-operator-type-mismatch")
        .collect();
    assert_eq!(mismatches.len(), 2, "{f:#?}");
    // Multivalued keys need a set operator; single-valued keys do not take one.
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {"StringEquals": {"aws:TagKeys": "a"}, "ForAllValues:StringEquals": {"aws:SourceVpc": "vpc-1"}}}"#,
        ),
        PolicyKind::Identity,
    );
    assert!(
        codes(&f).contains(&"single-value-operator-on-multivalued-key"),
        "{f:#?}"
    );
    assert_eq!(
        find(&f, "set-operator-on-single-valued-key").severity,
        Severity::SecurityWarning
    );
}

#[test]
fn vault_access_policies_reject_action_wildcards() {
    let p = policy(
        r#"{"Effect": "Deny", "Principal": "*", "Action": ["backup:Delete*", "backup:DeleteRecoveryPoint"], "Resource": "*"}"#,
    );
    let f = validate_policy(&p, PolicyKind::Vault);
    let e = find(&f, "vault-action-wildcard");
    assert_eq!(
        (e.severity, e.path.as_str()),
        (Severity::Error, "$.Statement[0].Action[0]")
    );
    let f = validate_policy(&p, PolicyKind::Resource);
    assert!(!codes(&f).contains(&"vault-action-wildcard"));
}

#[test]
fn policies_held_in_strings_are_validated_too() {
    let inner = policy(r#"{"Effect": "Allow", "Action": "s3:GetObjectTaggin", "Resource": "*"}"#);
    let outer = serde_json::to_string(&inner).unwrap();
    let f = validate_policy(&outer, PolicyKind::Identity);
    assert!(codes(&f).contains(&"unknown-action"), "{f:#?}");
}
