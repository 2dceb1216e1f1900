//! Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
//! and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
use super::*;

const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/BackupRole/s1";

fn session(path: Option<&str>) -> RequestPrincipal {
    RequestPrincipal::parse(SESSION, path).unwrap()
}

#[test]
fn reads_request_principals() {
    assert_eq!(
        RequestPrincipal::parse("*", None).unwrap(),
        RequestPrincipal::Anonymous
    );
    assert!(matches!(
        RequestPrincipal::parse("111122223333", None).unwrap(),
        RequestPrincipal::Root { .. }
    ));
    assert!(matches!(
        RequestPrincipal::parse("backup.amazonaws.com", None).unwrap(),
        RequestPrincipal::Service(_)
    ));
    let s = session(Some(
        "arn:aws:iam::111122223333:role/service-role/BackupRole",
    ));
    assert_eq!(
        s.principal_arn().unwrap(),
        "arn:aws:iam::111122223333:role/service-role/BackupRole"
    );
    // A PrincipalArn naming another role is not taken as this session's role.
    let s = session(Some("arn:aws:iam::111122223333:role/Other"));
    assert_eq!(
        s.principal_arn().unwrap(),
        "arn:aws:iam::111122223333:role/BackupRole"
    );
    assert!(RequestPrincipal::parse("arn:aws:s3:::bucket", None).is_err());
    assert!(RequestPrincipal::parse("nobody", None).is_err());
}

#[test]
fn account_id_and_root_arn_are_the_same_principal() {
    let s = session(None);
    assert_eq!(
        PrincipalEntry::aws("111122223333").matches(&s),
        Tri::Yes(Grant::Account)
    );
    assert_eq!(
        PrincipalEntry::aws("arn:aws:iam::111122223333:root").matches(&s),
        Tri::Yes(Grant::Account)
    );
    assert_eq!(PrincipalEntry::aws("444455556666").matches(&s), Tri::No);
}

#[test]
fn role_arn_matches_its_sessions() {
    let s = session(None);
    assert_eq!(
        PrincipalEntry::aws("arn:aws:iam::111122223333:role/BackupRole").matches(&s),
        Tri::Yes(Grant::Role)
    );
    assert_eq!(
        PrincipalEntry::aws(SESSION).matches(&s),
        Tri::Yes(Grant::Direct)
    );
    let with_path = PrincipalEntry::aws("arn:aws:iam::111122223333:role/service-role/BackupRole");
    assert!(matches!(with_path.matches(&s), Tri::Unknown(_)));
    let known = session(Some(
        "arn:aws:iam::111122223333:role/service-role/BackupRole",
    ));
    assert_eq!(with_path.matches(&known), Tri::Yes(Grant::Role));
}

#[test]
fn wildcards_inside_principal_arns_match_nothing() {
    let s = session(None);
    let e = PrincipalEntry::aws("arn:aws:sts::111122223333:assumed-role/BackupRole/*");
    assert!(matches!(e, PrincipalEntry::Unmatchable(_)));
    assert_eq!(e.matches(&s), Tri::No);
}

#[test]
fn not_principal_needs_every_identity_of_the_chain() {
    let s = session(None);
    let role = PrincipalEntry::aws("arn:aws:iam::111122223333:role/BackupRole");
    let acct = PrincipalEntry::aws("arn:aws:iam::111122223333:root");
    let sess = PrincipalEntry::aws(SESSION);
    assert_eq!(
        not_principal_excludes(
            std::slice::from_ref(&sess),
            &s,
            false,
            crate::policy::Effect::Deny
        ),
        Tri::No
    );
    assert_eq!(
        not_principal_excludes(
            &[sess.clone(), role.clone(), acct.clone()],
            &s,
            false,
            crate::policy::Effect::Deny
        ),
        Tri::Yes(())
    );
    // A principal with a permissions boundary is never excluded.
    assert_eq!(
        not_principal_excludes(&[sess, role, acct], &s, true, crate::policy::Effect::Deny),
        Tri::No
    );
}
