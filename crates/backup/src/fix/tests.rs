//! Unit tests of the patchers and the verification sweep.

use serde_json::json;

use super::deny::exempt_in_deny;
use super::patch::upsert_statement;
use super::*;

fn snapshot() -> Snapshot {
    Snapshot::from_json("t", r#"{"account_id": "111122223333"}"#).unwrap()
}

#[test]
fn the_sweep_catches_a_patch_that_opens_access() {
    let old = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]});
    let new = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]});
    let v = sweep(
        &snapshot(),
        "arn:aws:iam::111122223333:role/R",
        &DocRef::BucketPolicy { bucket: "b".into() },
        Some(&old),
        &new,
        &[("arn:aws:s3:::b/k".into(), "111122223333".into())],
    );
    assert!(!v.no_new_access);
    assert!(
        v.gained
            .iter()
            .any(|g| g.starts_with("* gains s3:GetObject")),
        "{:?}",
        v.gained
    );
}

/// An SCP Allow that names everyone opens access for the account's other principals,
/// and the sweep says so; one restricted to the role does not. SCP Allow statements
/// take conditions ("SCP syntax", AWS Organizations User Guide,
/// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html).
#[test]
fn the_sweep_sees_an_scp_allow_for_everyone_but_not_one_for_the_role() {
    let role = "arn:aws:iam::111122223333:role/R";
    let old = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]});
    let doc = DocRef::Scp {
        level: 1,
        index: 0,
        name: "p".into(),
    };
    let res = [("arn:aws:s3:::b".to_string(), "111122223333".to_string())];
    let wide = upsert_statement(
        &old,
        SID,
        |_| json!({"Sid": SID, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
    );
    assert!(!sweep(&snapshot(), role, &doc, Some(&old), &wide, &res).no_new_access);
    let narrow = upsert_statement(
        &old,
        SID,
        |_| json!({"Sid": SID, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"ArnEquals": {"aws:PrincipalArn": role}}}),
    );
    let v = sweep(&snapshot(), role, &doc, Some(&old), &narrow, &res);
    assert!(v.no_new_access, "{:?}", v.gained);
    assert!(v.principals_checked >= 5 && v.actions_checked > 100);
}

/// "AWS JSON policy elements: NotPrincipal", IAM User Guide
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html):
/// AWS recommends `ArnNotLike` on `aws:PrincipalArn` instead.
#[test]
fn an_exception_merges_with_an_existing_one_and_replaces_notprincipal() {
    let role = "arn:aws:iam::111122223333:role/R";
    let doc = json!({"Statement": [{"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"ArnNotLike": {"aws:principalarn": "arn:aws:iam::111122223333:root"}}}]});
    let (new, _) = exempt_in_deny(&snapshot(), &doc, 0, role).unwrap();
    assert_eq!(
        new["Statement"][0]["Condition"]["ArnNotLike"]["aws:principalarn"],
        json!(["arn:aws:iam::111122223333:root", role])
    );
    // Idempotent: a second exemption adds nothing.
    assert_eq!(exempt_in_deny(&snapshot(), &new, 0, role).unwrap().0, new);
    // An Allow is not a Deny.
    let allow = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]});
    assert!(exempt_in_deny(&snapshot(), &allow, 0, role).is_none());
    let np = json!({"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": ["111122223333", "arn:aws:sts::111122223333:assumed-role/R/s-*"], "Service": "backup.amazonaws.com"}, "Action": "s3:*", "Resource": "*"}});
    let (new, caveats) = exempt_in_deny(&snapshot(), &np, 0, role).unwrap();
    assert_eq!(new["Statement"]["Principal"], json!("*"));
    assert!(new["Statement"].get("NotPrincipal").is_none());
    assert_eq!(
        new["Statement"]["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
        json!(["arn:aws:iam::111122223333:root", role])
    );
    assert_eq!(
        new["Statement"]["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalServiceName"],
        json!(["backup.amazonaws.com"])
    );
    assert_eq!(caveats.len(), 1, "the session ARN is reported: {caveats:?}");
}

/// `NotPrincipal` with `Deny` exempts a user only with its account, and never one with
/// a permissions boundary; a role's ARN there exempts none of its sessions ("AWS JSON
/// policy elements: NotPrincipal", IAM User Guide,
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
/// The exception exempts no one `NotPrincipal` did not.
#[test]
fn the_exception_exempts_no_one_notprincipal_did_not() {
    let role = "arn:aws:iam::111122223333:role/R";
    let s = Snapshot::from_json("t", r#"{"account_id": "111122223333", "iam": {"UserDetailList": [
        {"Arn": "arn:aws:iam::111122223333:user/plain"},
        {"Arn": "arn:aws:iam::111122223333:user/bounded", "PermissionsBoundary": {"PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/B"}}
    ]}}"#).unwrap();
    let users = |list: Value| {
        let np = json!({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": list}, "Action": "s3:*", "Resource": "*"}]});
        let (new, caveats) = exempt_in_deny(&s, &np, 0, role).unwrap();
        (
            new["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"].clone(),
            caveats.len(),
        )
    };
    // Without its account, a user was not exempt.
    assert_eq!(
        users(json!(["arn:aws:iam::111122223333:user/plain"])),
        (json!([role]), 1)
    );
    // With it, it was, and stays so.
    assert_eq!(
        users(json!([
            "arn:aws:iam::111122223333:user/plain",
            "arn:aws:iam::111122223333:root"
        ])),
        (
            json!([
                "arn:aws:iam::111122223333:user/plain",
                "arn:aws:iam::111122223333:root",
                role
            ]),
            0
        )
    );
    // A user with a boundary never was; one the export does not show is not carried.
    for u in ["bounded", "unknown"] {
        assert_eq!(
            users(json!([
                format!("arn:aws:iam::111122223333:user/{u}"),
                "111122223333"
            ])),
            (json!(["arn:aws:iam::111122223333:root", role]), 1)
        );
    }
    // Another role's ARN exempted none of its sessions.
    assert_eq!(
        users(json!([
            "arn:aws:iam::111122223333:role/Other",
            "111122223333"
        ])),
        (json!(["arn:aws:iam::111122223333:root", role]), 1)
    );
}

fn finding(
    code: Code,
    document: Option<DocRef>,
    effect: Option<vaultward_iam::policy::Effect>,
) -> Finding {
    Finding {
        code,
        level: Level::Blocking,
        resource: "arn:aws:s3:::b".into(),
        resource_kind: crate::check::ResourceKind::Bucket,
        operation: Op::Backup,
        action: "s3:GetObject".into(),
        policy: None,
        statement: None,
        decided_by: document.map(|d| Decider {
            policy_type: vaultward_iam::authorizer::PolicyType::Resource,
            document: Some(d),
            level: None,
            statement_index: effect.map(|_| 0),
            sid: None,
            effect,
            undecided: false,
        }),
        kms_via_service: None,
        reason: "r".into(),
        impact: Default::default(),
        fix: "f".into(),
        parse_errors: Vec::new(),
    }
}

/// Every kind of finding no patch can close gets a manual entry with the reason, never
/// a silent skip.
#[test]
fn what_cannot_be_patched_says_why() {
    let s = snapshot();
    let opts = CheckOptions::new(
        "arn:aws:iam::111122223333:role/R",
        Default::default(),
        Default::default(),
    );
    let deny = Some(vaultward_iam::policy::Effect::Deny);
    let cases = [
        (
            finding(Code::SseCObject, None, None),
            "customer-provided keys",
        ),
        (
            finding(
                Code::AwsManagedKey,
                Some(DocRef::KeyPolicy { key: "k".into() }),
                None,
            ),
            "AWS managed key `k`",
        ),
        (
            finding(
                Code::VaultPolicyDenies,
                Some(DocRef::VaultPolicy { vault: "v".into() }),
                None,
            ),
            "does not allow the role",
        ),
        (
            finding(Code::ResourcePolicyDenies, Some(DocRef::Vendor), deny),
            "vendor's side",
        ),
        (
            finding(Code::ScpDenies, Some(DocRef::ScpLevel { level: 2 }), None),
            "no SCP is attached at level 2",
        ),
        (
            finding(
                Code::IdentityPolicyDenies,
                Some(DocRef::ManagedPolicy {
                    policy: "arn:aws:iam::aws:policy/AWSDenyAll".into(),
                }),
                deny,
            ),
            "AWS managed policy",
        ),
        (
            finding(
                Code::KmsKeyPolicyDenies,
                Some(DocRef::KeyPolicy { key: "k".into() }),
                None,
            ),
            "KMS rejects a key policy naming a principal that does not exist",
        ),
        (
            Finding {
                action: "s3:PutBucketPolicy".into(),
                ..finding(Code::MissingIdentityPermission, None, None)
            },
            "no statement granting",
        ),
        (
            finding(Code::ExplicitDenyBucketPolicy, None, deny),
            "not one it can locate",
        ),
    ];
    for (f, why) in cases {
        match target_of(&s, &opts, &f) {
            Ok(d) => panic!("{:?} got a patch target {d:?}", f.code),
            Err(np) => {
                assert!(np.why.contains(why), "{:?}: {}", f.code, np.why);
                assert!(!np.steps.is_empty());
            }
        }
    }
    let mut unknown = finding(Code::NotCollected, None, None);
    unknown.level = Level::Unknown;
    assert!(target_of(&s, &opts, &unknown).is_err_and(|np| np.steps[0] == "f"));
}
