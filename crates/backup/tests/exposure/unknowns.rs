//! What the snapshot does not hold is unknown, never none; and what an IAM write or a
//! vault service's PassRole opens is found, not assumed.
//!
//! Sources:
//! - AWS Backup, "Restore a backup" (StartRestoreJob takes an `IamRoleArn` that AWS Backup
//!   assumes, so the caller needs iam:PassRole on it):
//!   https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartRestoreJob.html
//! - IAM User Guide, "Grant a user permissions to pass a role to an AWS service":
//!   https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
//! - IAM User Guide, "Permissions boundaries for IAM entities" (a boundary caps what an
//!   identity policy grants, so a role granted everything stays within it):
//!   https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
//! - AWS Backup, "Vault access policies" (a resource policy: it can allow principals of
//!   its own account, so one not collected may allow anyone there):
//!   https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html

use serde_json::{json, Value};
use vaultward_backup::vaults::{exposure, ExposureOptions, Question, Status, Verdict};

use super::account::*;

/// An account whose vault holds one unencrypted EBS point and no one but the root may act.
fn quiet() -> Account {
    let mut a = Account::new();
    a.vault("prod", Value::Null, unlocked())
        .ebs_point("prod", SNAP, None);
    a
}

#[test]
fn vaults_or_points_not_collected_make_the_verdict_unknown() {
    for list in ["backup_vaults", "recovery_points"] {
        let mut s = Account::new().snapshot();
        s.not_collected
            .insert(list.into(), "AccessDeniedException".into());
        let e = run(&s);
        assert_eq!(e.verdict, Verdict::Unknown, "{list}");
        assert!(
            e.notes
                .iter()
                .any(|n| n.contains(list) && n.contains("AccessDeniedException")),
            "{list}: {:?}",
            e.notes
        );
    }
    // Collected and empty: nothing to expose.
    assert_eq!(run(&Account::new().snapshot()).verdict, Verdict::Protected);
}

#[test]
fn an_iam_export_not_collected_makes_the_verdict_unknown() {
    let mut s = quiet().snapshot();
    s.iam = None;
    let e = run(&s);
    // The root still exposes the point; without it the verdict would be unknown.
    assert_eq!(e.verdict, Verdict::Exposed);
    assert!(
        e.notes.iter().any(|n| n.contains("IAM export")),
        "{:?}",
        e.notes
    );
    let mut a = Account::new();
    a.vault("prod", Value::Null, json!({"locked": true, "mode": "compliance", "min_retention_days": 30, "lock_date": "2024-01-01T00:00:00Z"}));
    let mut s = a.snapshot();
    s.iam = None;
    assert_eq!(run(&s).verdict, Verdict::Unknown);
}

/// The role a restore passes need not trust AWS Backup in `vaultward serve`, which only
/// checks iam:PassRole: the operator of examples/identities.json restores by passing
/// `BackupAdmin`, which trusts a user.
#[test]
fn serve_restore_by_passing_a_role_that_trusts_no_service() {
    let mut a = Account::new();
    a.role_trusting(
        "BackupAdmin",
        json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]),
        None,
        json!({"AWS": user_arn("operator")}),
    )
    .user(
        "operator",
        json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"},
               {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn("BackupAdmin")}]),
        None,
    )
    .user(
        "patterned",
        json!([{"Effect": "Allow", "Action": "backup:StartRestoreJob", "Resource": "*"},
               {"Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCT}:role/restore-*")}]),
        None,
    )
    .user(
        "nopass",
        json!([{"Effect": "Allow", "Action": "backup:StartRestoreJob", "Resource": "*"}]),
        None,
    )
    .vault("prod", Value::Null, unlocked())
    .ebs_point("prod", SNAP, None);
    let opts = ExposureOptions {
        backup_api_only: true,
        ..Default::default()
    };
    let e = exposure(&a.snapshot(), &opts).unwrap();
    let read = &e.vaults[0].types[0].answers[1];
    assert_eq!(read.question, Question::Read);
    let who: Vec<&str> = read
        .principals
        .iter()
        .map(|p| p.principal.as_str())
        .collect();
    assert!(who.contains(&user_arn("operator").as_str()), "{who:?}");
    assert!(who.contains(&user_arn("patterned").as_str()), "{who:?}");
    assert!(!who.contains(&user_arn("nopass").as_str()), "{who:?}");
    // BackupAdmin may restore but passes nothing: it has no iam:PassRole.
    assert!(!who.contains(&role_arn("BackupAdmin").as_str()), "{who:?}");
    let op = read
        .principals
        .iter()
        .find(|p| p.principal == user_arn("operator"))
        .unwrap();
    let restore = op
        .routes
        .iter()
        .find(|r| r.code == "backup-restore")
        .unwrap();
    let pass = restore
        .steps
        .iter()
        .find(|s| s.action == "iam:PassRole")
        .unwrap();
    assert_eq!(pass.resource, role_arn("BackupAdmin"));
    assert_eq!(
        pass.context
            .get("iam:AssociatedResourceArn")
            .map(String::as_str),
        Some(SNAP)
    );
}

/// Against AWS, the role must trust AWS Backup: PassRole of a role that does not is no
/// restore.
#[test]
fn aws_restore_needs_a_role_aws_backup_may_assume() {
    let mut a = Account::new();
    a.role(
        "Restorer",
        json!([{"Effect": "Allow", "Action": "backup:StartRestoreJob", "Resource": "*"},
               {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn("Restorer")}]),
    )
    .role(
        "Operator",
        json!([{"Effect": "Allow", "Action": "backup:StartRestoreJob", "Resource": "*"},
               {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn("BackupService")}]),
    )
    .vault("prod", Value::Null, unlocked())
    .ebs_point("prod", SNAP, None);
    let e = run(&a.snapshot());
    assert!(!who(&e, "prod", Question::Read).contains(&role_arn("Restorer")));
    assert_eq!(
        routes(&e, "prod", Question::Read, &role_arn("Operator")),
        set(&["backup-restore"])
    );
}

/// An IAM write opens a route when the principal it changes, granted everything, has one
/// under the SCPs, boundaries and resource policies; the root being listed says nothing.
#[test]
fn an_iam_write_counts_by_what_its_target_could_then_do() {
    let mut a = Account::new();
    let nothing = a.managed(
        "Nothing",
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
    );
    a.role("Worker", json!([]))
        .role_trusting("Capped", json!([]), Some(&nothing), json!({"Service": "ec2.amazonaws.com"}))
        .role(
            "WorkerAdmin",
            json!([{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": role_arn("Worker")}]),
        )
        .role(
            "CappedAdmin",
            json!([{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": role_arn("Capped")}]),
        )
        // Only Worker (and Capped) may delete, by the vault policy.
        .vault("prod", doc(json!([{"Sid": "OnlyWorkers", "Effect": "Deny", "Principal": "*",
            "Action": ["backup:*"], "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": [role_arn("Worker"), role_arn("Capped")]}}}])), unlocked())
        .ebs_point("prod", SNAP, None)
        // Nothing reaches the snapshot through EC2 or IAM outside the admins.
        .scp(json!([{"Effect": "Deny", "Action": ["ec2:*", "ebs:*"], "Resource": "*"}]));
    let e = run(&a.snapshot());
    assert_eq!(who(&e, "prod", Question::Destroy), set(&[]));
    assert_eq!(who(&e, "prod", Question::Read), set(&[]));
    let change = answer(&e, "prod", Question::Change);
    let listed: Vec<&str> = change
        .principals
        .iter()
        .map(|p| p.principal.as_str())
        .collect();
    assert!(
        listed.contains(&role_arn("WorkerAdmin").as_str()),
        "{listed:?}"
    );
    // Capped's boundary allows no AWS Backup action: granting it everything opens nothing.
    assert!(
        !listed.contains(&role_arn("CappedAdmin").as_str()),
        "{listed:?}"
    );
    let w = change
        .principals
        .iter()
        .find(|p| p.principal == role_arn("WorkerAdmin"))
        .unwrap();
    let r = w.routes.iter().find(|r| r.code == "iam-write").unwrap();
    assert!(r.title.contains(&role_arn("Worker")), "{}", r.title);
    assert_eq!(r.steps[0].action, "iam:PutRolePolicy");
}

/// A vault policy not collected may allow any principal of the account (a resource
/// policy can), or deny: every AWS Backup route is unknown, not none, for a principal
/// with no permission of its own; an explicit Deny of its own still closes it.
#[test]
fn a_vault_policy_not_collected_leaves_every_backup_route_unknown() {
    let mut a = Account::new();
    a.role("Nobody", json!([]))
        .role(
            "Denied",
            json!([{"Effect": "Deny", "Action": "backup:*", "Resource": "*"}]),
        )
        .vault(
            "prod",
            json!({"not_collected": "AccessDeniedException"}),
            unlocked(),
        )
        .ebs_point("prod", SNAP, None);
    let e = run(&a.snapshot());
    let destroy = answer(&e, "prod", Question::Destroy);
    assert!(
        destroy
            .unknown
            .iter()
            .any(|u| u.principal == role_arn("Nobody")
                && u.code == "backup-delete"
                && u.settle.contains("AccessDeniedException")),
        "{:?}",
        destroy.unknown
    );
    assert!(
        !destroy
            .unknown
            .iter()
            .any(|u| u.principal == role_arn("Denied") && u.code == "backup-delete"),
        "{:?}",
        destroy.unknown
    );
    let change = answer(&e, "prod", Question::Change);
    assert!(
        change
            .unknown
            .iter()
            .any(|u| u.principal == role_arn("Nobody") && u.code == "vault-policy-write"),
        "{:?}",
        change.unknown
    );
    assert_ne!(change.status, Status::None);
}

/// A key policy not collected: the key's routes are unknown for every principal.
#[test]
fn a_key_policy_not_collected_leaves_the_key_routes_unknown() {
    let mut a = Account::new();
    a.role("Nobody", json!([]));
    a.keys.push(json!({"arn": KEY, "manager": "CUSTOMER", "aliases": [], "policy": {"not_collected": "AccessDeniedException"}}));
    a.vault("prod", Value::Null, unlocked())
        .ebs_point("prod", SNAP, Some(KEY));
    let e = run(&a.snapshot());
    let destroy = answer(&e, "prod", Question::Destroy);
    assert!(
        destroy
            .unknown
            .iter()
            .any(|u| u.principal == role_arn("Nobody") && u.code == "kms-schedule-deletion"),
        "{:?}",
        destroy.unknown
    );
}

/// A logically air-gapped vault shared through AWS RAM lets the accounts it is shared with
/// restore: the shares are not collected, so reading is unknown for other accounts.
/// https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html
#[test]
fn a_logically_air_gapped_vault_may_be_restored_by_accounts_it_is_shared_with() {
    let mut a = Account::new();
    a.vault("prod", Value::Null, unlocked());
    a.vaults[0]["vault_type"] = json!("LOGICALLY_AIR_GAPPED_BACKUP_VAULT");
    a.points.push(json!({"arn": "arn:aws:backup:us-east-1:111122223333:recovery-point:0a1b2c3d-0000-4000-8000-000000000001",
        "vault_arn": VAULT, "resource_type": "EBS", "encryption_key_arn": KEY, "is_encrypted": true, "status": "COMPLETED"}));
    a.key(KEY, json!([]));
    let e = run(&a.snapshot());
    let t = &e.vaults[0].types[0];
    assert!(t.fully_managed);
    let read = t
        .answers
        .iter()
        .find(|x| x.question == Question::Read)
        .unwrap();
    assert!(
        read.unknown
            .iter()
            .any(|u| u.code == "ram-share" && u.principal.contains("another account")),
        "{:?}",
        read.unknown
    );
}
