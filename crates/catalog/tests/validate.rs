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
    let glued: Vec<&Finding> = f.iter().filter(|f| f.code == "invalid-action").collect();
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
    let retired = find(&f, "invalid-service-in-action");
    assert!(retired.message.contains("`elastic-inference`"));
    // The plain syntax error for the glued string is replaced by the finding with the hint.
    assert_eq!(
        f.iter()
            .filter(|x| x.path == "$.Statement[0].Action[0]")
            .count(),
        1,
        "{f:#?}"
    );
}

#[test]
fn unknown_actions_get_did_you_mean() {
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObjectTaggin", "Resource": "arn:aws:s3:::b/*"}"#,
        ),
        PolicyKind::Identity,
    );
    let e = find(&f, "invalid-action");
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
        find(&f, "invalid-service-in-action").help.as_deref(),
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
        find(&f, "unsupported-action-for-condition-key").path,
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
    assert!(codes(&f).contains(&"invalid-service-condition-key"));
    // Wrong operator for the key's type.
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b", "Condition": {"StringEquals": {"aws:CurrentTime": "2024-01-01"}, "Bool": {"aws:SourceVpc": "true"}}}"#,
        ),
        PolicyKind::Identity,
    );
    let mismatches: Vec<&Finding> = f.iter().filter(|f| f.code == "type-mismatch").collect();
    assert_eq!(mismatches.len(), 2, "{f:#?}");
    // Multivalued keys need a set operator; single-valued keys do not take one.
    let f = validate_policy(
        &policy(
            r#"{"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*", "Condition": {"StringEquals": {"aws:TagKeys": "a"}, "ForAllValues:StringEquals": {"aws:SourceVpc": "vpc-1"}}}"#,
        ),
        PolicyKind::Identity,
    );
    assert!(codes(&f).contains(&"missing-qualifier"), "{f:#?}");
    assert_eq!(
        find(&f, "forallvalues-with-single-valued-key").severity,
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
    assert!(codes(&f).contains(&"invalid-action"), "{f:#?}");
}

/// All findings in one pass: a structural error (a statement without `Action`, an invalid
/// resource, both of which IAM rejects) no longer hides the catalog findings of the same and other statements.
#[test]
fn every_finding_is_reported_in_one_pass() {
    let src = policy(
        r#"{"Effect": "Allow", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "bucket-name"},
    {"Effect": "Allow", "Action": "dynamodb:DescribeContinuousBackups- dynamodb:DescribeTable", "Resource": "*"},
    {"Effect": "Allow", "Action": "ec2:DescribeFastSnapshotRestore", "Resource": "*"}"#,
    );
    let f = validate_policy(&src, PolicyKind::Identity);
    let c = codes(&f);
    assert!(c.contains(&"invalid-arn-prefix"), "{c:?}");
    assert!(c.contains(&"missing-action"), "{c:?}");
    assert_eq!(
        c.iter().filter(|x| **x == "invalid-action").count(),
        3,
        "{f:#?}"
    );
}

/// Security checks Access Analyzer users expect (IAM Access Analyzer policy checks; IAM
/// User Guide, "The confused deputy problem"; "NotPrincipal": "You cannot use the
/// NotPrincipal element in an IAM role trust policy").
#[test]
fn trust_and_resource_policies_get_their_security_warnings() {
    let any =
        policy(r#"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}"#);
    let f = validate_policy(&any, PolicyKind::Trust);
    assert_eq!(
        find(&f, "trust-any-principal").severity,
        Severity::SecurityWarning
    );
    let narrowed = policy(
        r#"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}}"#,
    );
    assert!(!codes(&validate_policy(&narrowed, PolicyKind::Trust)).contains(&"trust-any-principal"));

    let cross = policy(
        r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:role/ControlPlane"}, "Action": "sts:AssumeRole"}"#,
    );
    let f = vaultward_catalog::validate_policy_in(&cross, PolicyKind::Trust, Some("111122223333"));
    assert!(find(&f, "trust-cross-account-without-external-id")
        .message
        .contains("999988887777"));
    // Its own account, or a guard: no warning.
    let own =
        vaultward_catalog::validate_policy_in(&cross, PolicyKind::Trust, Some("999988887777"));
    assert!(!codes(&own).contains(&"trust-cross-account-without-external-id"));
    let guarded = policy(
        r#"{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:role/ControlPlane"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x1"}}}"#,
    );
    assert!(!codes(&validate_policy(&guarded, PolicyKind::Trust))
        .contains(&"trust-cross-account-without-external-id"));

    let not = policy(
        r#"{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}"#,
    );
    let f = validate_policy(&not, PolicyKind::Trust);
    assert_eq!(
        find(&f, "role-trust-policy-syntax-error-notprincipal").severity,
        Severity::Error
    );

    let public = policy(
        r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
    );
    let f = validate_policy(&public, PolicyKind::Resource);
    assert_eq!(
        find(&f, "resource-policy-public").severity,
        Severity::SecurityWarning
    );
    let conditioned = policy(
        r#"{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}"#,
    );
    assert!(!codes(&validate_policy(&conditioned, PolicyKind::Resource))
        .contains(&"resource-policy-public"));
}

/// A trust policy with `Resource` gets one finding, not advice about what to put there.
#[test]
fn a_trust_policy_with_resource_gets_one_finding() {
    let src = policy(
        r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "arn:aws:s3:::b"}"#,
    );
    let f = validate_policy(&src, PolicyKind::Trust);
    let about_resource: Vec<_> = f.iter().filter(|x| x.path.contains("Resource")).collect();
    assert_eq!(about_resource.len(), 1, "{f:#?}");
    assert_eq!(
        about_resource[0].code,
        "role-trust-policy-syntax-error-resource"
    );
}

/// Placeholders: `<...>` and `${...}` that is no policy variable (IAM User Guide, "Policy
/// variables": variables are `${service:key}`); real variables and escapes pass.
#[test]
fn placeholders_in_arns_are_flagged() {
    for (resource, flagged) in [
        ("arn:aws:kms:<region>:<account-id>:key/*", true),
        ("arn:aws:s3:::${AWS::AccountId}-backups/*", true),
        ("arn:aws:s3:::${var.bucket}/*", true),
        ("arn:aws:s3:::home/${aws:username}/*", false),
        ("arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*", false),
        ("arn:aws:s3:::b/${*}", false),
    ] {
        let src = policy(&format!(
            r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "{resource}"}}"#
        ));
        let f = validate_policy(&src, PolicyKind::Identity);
        assert_eq!(
            codes(&f).contains(&"placeholder-in-arn"),
            flagged,
            "{resource}: {f:#?}"
        );
    }
}

/// The seed's KMS block, a lone statement: one hint to wrap it, then its own checks.
#[test]
fn a_policy_fragment_gets_one_hint() {
    let src = r#"{"Sid": "Kms", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:Decrypts"], "Resource": "*"}"#;
    let f = validate_policy(src, PolicyKind::Identity);
    assert_eq!(f[0].code, "policy-fragment");
    assert!(f[0]
        .help
        .as_deref()
        .unwrap()
        .contains("wrap it in a policy"));
    assert_eq!(
        codes(&f)
            .iter()
            .filter(|c| **c == "policy-fragment")
            .count(),
        1
    );
    assert!(codes(&f).contains(&"invalid-action"), "{f:#?}");
    // No finding for each key a policy has and a statement lacks.
    assert!(
        !codes(&f).contains(&"unknown-key") && !codes(&f).contains(&"missing-element"),
        "{f:#?}"
    );
}

/// The help of `action-matches-no-resource` says what fits: a resource of a type the
/// action supports; `*` only for actions without resource-level permissions.
#[test]
fn action_matches_no_resource_gives_the_right_help() {
    let src = policy(
        r#"{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bucket-only"}"#,
    );
    let f = validate_policy(&src, PolicyKind::Identity);
    let help = find(&f, "action-matches-no-resource").help.clone().unwrap();
    assert!(
        help.contains("vaultward actions show s3:GetObject"),
        "{help}"
    );
    let src = policy(
        r#"{"Effect": "Allow", "Action": ["s3:ListAllMyBuckets"], "Resource": "arn:aws:s3:::b"}"#,
    );
    let f = validate_policy(&src, PolicyKind::Identity);
    let help = find(&f, "action-matches-no-resource").help.clone().unwrap();
    assert!(help.contains("need `\"Resource\": \"*\"`"), "{help}");
}
