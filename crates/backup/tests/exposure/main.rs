//! `vaultward exposure`: scenarios built to fool a tool, each asserting the exact
//! principals of each answer; a property test that every listed principal's requests are
//! allowed by the engine; a brute-force sweep over principals × actions × recovery points
//! that finds no principal an answer omits.
//!
//! Sources:
//! - AWS Backup, "Vault access policies" (vault policies govern only AWS Backup's API; EBS
//!   and RDS snapshots are reachable through their services' APIs; cross-account calls
//!   other than backup:CopyIntoBackupVault are rejected):
//!   https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html
//! - AWS Backup, "Vault Lock" (governance mode can be removed by whoever may; compliance
//!   mode cannot after its grace time): https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
//! - Amazon EBS, "Delete an Amazon EBS snapshot" ("You can't delete a snapshot that is
//!   managed by the AWS Backup service using Amazon EC2"):
//!   https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-snapshot.html
//! - Amazon EBS, "Share an Amazon EBS snapshot" (encrypted snapshots cannot be public; those
//!   under the AWS managed key cannot be shared):
//!   https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
//! - AWS KMS API reference, ScheduleKeyDeletion ("Cross-account use: No"):
//!   https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html
//! - IAM User Guide, "Permissions boundaries for IAM entities" (a resource-based policy
//!   naming a user is not limited by the user's boundary; one naming a role ARN is):
//!   https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use vaultward_backup::vaults::{exposure, ExposureOptions, Question, Status, Verdict};

mod account;
mod services;
mod sweep;
mod unknowns;
mod writes;

use account::*;

/// Deny of the destructive AWS Backup actions to everyone but the break-glass role.
fn deny_but_break_glass() -> Value {
    doc(
        json!([{"Sid": "OnlyBreakGlass", "Effect": "Deny", "Principal": "*",
        "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle", "backup:PutBackupVaultAccessPolicy",
                   "backup:DeleteBackupVaultAccessPolicy", "backup:DeleteBackupVaultLockConfiguration"],
        "Resource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": role_arn("BreakGlass")}}}]),
    )
}

/// (1) The vault denies deletion to all but the break-glass role; a role that may share
/// snapshots takes the EBS points out through EC2 all the same.
#[test]
fn vault_deny_on_deletion_while_a_role_shares_the_ebs_points() {
    let mut a = Account::new();
    a.role(
        "BreakGlass",
        json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]),
    )
    .role(
        "Sharer",
        json!([{"Effect": "Allow", "Action": "ec2:ModifySnapshotAttribute", "Resource": "*"}]),
    )
    .vault("prod", deny_but_break_glass(), unlocked())
    .ebs_point("prod", SNAP, None);
    let e = run(&a.snapshot());
    assert_eq!(
        who(&e, "prod", Question::Destroy),
        set(&[&role_arn("BreakGlass")])
    );
    assert_eq!(
        who(&e, "prod", Question::Read),
        set(&[&role_arn("Sharer"), ROOT])
    );
    assert_eq!(
        routes(&e, "prod", Question::Read, &role_arn("Sharer")),
        set(&["ec2-share-snapshot"])
    );
    assert_eq!(
        who(&e, "prod", Question::Change),
        set(&[&role_arn("BreakGlass"), ROOT])
    );
    assert_eq!(
        routes(&e, "prod", Question::Change, &role_arn("BreakGlass")),
        set(&["vault-policy-write"])
    );
    let t = &e.vaults[0].types[0];
    assert!(!t.fully_managed);
    assert!(t.protects[0].contains("ec2's own API"), "{:?}", t.protects);
    assert_eq!(e.verdict, Verdict::Exposed);
}

/// (2) ec2:DeleteSnapshot on everything destroys nothing AWS Backup manages.
#[test]
fn delete_snapshot_on_everything_cannot_destroy_backup_managed_snapshots() {
    let mut a = Account::new();
    a.role(
        "Cleaner",
        json!([{"Effect": "Allow", "Action": "ec2:DeleteSnapshot", "Resource": "*"}]),
    )
    .vault("prod", Value::Null, unlocked())
    .ebs_point("prod", SNAP, None);
    let e = run(&a.snapshot());
    assert_eq!(who(&e, "prod", Question::Destroy), set(&[ROOT]));
    let refused = &answer(&e, "prod", Question::Destroy).refused;
    assert!(
        refused.iter().any(|r| r.principal == role_arn("Cleaner")
            && r.action == "ec2:DeleteSnapshot"
            && r.source.contains("ebs-deleting-snapshot")),
        "{refused:?}"
    );
    assert!(!who(&e, "prod", Question::Read).contains(&role_arn("Cleaner")));
}

/// (3) A governance lock an administrator may remove; a compliance lock past its grace
/// time, whose points a key administrator still destroys by scheduling the key's deletion.
#[test]
fn governance_lock_removable_and_compliance_lock_does_not_stop_key_deletion() {
    let archive_key = "arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-0000-4000-8000-0000000a2c41";
    let mut a = Account::new();
    a.role("Admin", json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]))
        .role("KeyAdmin", json!([]))
        .key(archive_key, json!([{"Sid": "KeyAdministrators", "Effect": "Allow", "Principal": {"AWS": role_arn("KeyAdmin")},
            "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"], "Resource": "*"}]))
        .vault("prod", Value::Null, json!({"locked": true, "mode": "governance", "min_retention_days": 7, "max_retention_days": 365}))
        .vault("archive", Value::Null, json!({"locked": true, "mode": "compliance", "min_retention_days": 30, "lock_date": "2024-01-01T00:00:00Z"}))
        .ebs_point("prod", SNAP, None)
        .ebs_point("archive", "arn:aws:ec2:us-east-1::snapshot/snap-0aaaaaaaaaaaaaaa1", Some(archive_key));
    let e = run(&a.snapshot());
    assert_eq!(
        who(&e, "prod", Question::Destroy),
        set(&[&role_arn("Admin"), ROOT])
    );
    assert_eq!(
        routes(&e, "prod", Question::Destroy, &role_arn("Admin")),
        set(&[
            "backup-unlock-delete",
            "backup-unlock-shorten-retention",
            "backup-rewrite-policy-unlock-delete",
            "backup-remove-policy-unlock-delete"
        ])
    );
    // The Admin removes the governance lock first: listed, so not said to be refused.
    assert!(!answer(&e, "prod", Question::Destroy)
        .refused
        .iter()
        .any(|r| r.principal == role_arn("Admin") && r.action == "backup:DeleteRecoveryPoint"));
    // The compliance lock past its date refuses the Admin's delete.
    assert!(answer(&e, "archive", Question::Destroy)
        .refused
        .iter()
        .any(|r| r.principal == role_arn("Admin")
            && r.action == "backup:DeleteRecoveryPoint"
            && r.source.contains("vault-lock")));
    assert_eq!(
        who(&e, "archive", Question::Destroy),
        set(&[&role_arn("KeyAdmin"), ROOT])
    );
    assert_eq!(
        routes(&e, "archive", Question::Destroy, &role_arn("KeyAdmin")),
        set(&[
            "kms-schedule-deletion",
            "kms-disable",
            "kms-rewrite-policy-delete"
        ])
    );
    let archive = e.vaults.iter().find(|v| v.name == "archive").unwrap();
    assert!(
        archive.lock.contains("immutable") && archive.lock.contains("never stops the deletion"),
        "{}",
        archive.lock
    );
    let prod = e.vaults.iter().find(|v| v.name == "prod").unwrap();
    assert!(prod.lock.contains("governance"), "{}", prod.lock);
}

/// (4) A role that may rewrite the vault policy destroys through it, and changes who can.
#[test]
fn a_role_that_rewrites_the_vault_policy() {
    let mut a = Account::new();
    a.role("BreakGlass", json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]))
        .role("PolicyWriter", json!([{"Effect": "Allow", "Action": "backup:PutBackupVaultAccessPolicy", "Resource": VAULT}]))
        .vault("prod", doc(json!([{"Sid": "OnlyBreakGlass", "Effect": "Deny", "Principal": "*", "Action": "backup:DeleteRecoveryPoint",
            "Resource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": role_arn("BreakGlass")}}}])), unlocked())
        .ebs_point("prod", SNAP, None);
    let e = run(&a.snapshot());
    assert_eq!(
        routes(&e, "prod", Question::Destroy, &role_arn("PolicyWriter")),
        set(&[
            "backup-rewrite-policy-delete",
            "backup-rewrite-policy-shorten-retention"
        ])
    );
    assert_eq!(
        who(&e, "prod", Question::Destroy),
        set(&[&role_arn("BreakGlass"), &role_arn("PolicyWriter"), ROOT])
    );
    assert_eq!(
        routes(&e, "prod", Question::Change, &role_arn("PolicyWriter")),
        set(&["vault-policy-write"])
    );
}

/// (5) Another account of the organization may copy into the vault: a copy in, not out.
#[test]
fn copy_into_the_vault_by_org_id_is_not_an_exposure_out() {
    let mut a = Account::new();
    a.key(KEY, json!([]))
        .vault("prod", doc(json!([{"Sid": "OrgCopiesIn", "Effect": "Allow", "Principal": "*", "Action": "backup:CopyIntoBackupVault",
            "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}},
            // AWS Backup rejects this cross-account call whatever the policy says.
            {"Sid": "PartnerDeletes", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
             "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}])), unlocked())
        .ebs_point("prod", SNAP, Some(KEY));
    let e = run(&a.snapshot());
    for q in Question::ALL {
        assert_eq!(who(&e, "prod", q), set(&[ROOT]), "{q:?}");
        assert!(
            answer(&e, "prod", q).unknown.is_empty(),
            "{q:?}: {:?}",
            answer(&e, "prod", q).unknown
        );
    }
    let read = answer(&e, "prod", Question::Read);
    assert!(
        read.refused.iter().any(
            |r| r.action.eq_ignore_ascii_case("backup:CopyIntoBackupVault")
                && r.why.contains("copy in")
        ),
        "{:?}",
        read.refused
    );
    let destroy = answer(&e, "prod", Question::Destroy);
    assert!(
        destroy
            .refused
            .iter()
            .any(|r| r.principal.contains("444455556666")
                && r.action == "backup:DeleteRecoveryPoint"
                && r.source.contains("create-a-vault-access-policy")),
        "{:?}",
        destroy.refused
    );
}

/// (6) A key policy granting another account ScheduleKeyDeletion has no effect.
#[test]
fn a_key_policy_granting_another_account_key_deletion_has_no_effect() {
    let mut a = Account::new();
    a.key(KEY, json!([{"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
            "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"], "Resource": "*"}]))
        .vault("prod", Value::Null, unlocked())
        .ebs_point("prod", SNAP, Some(KEY));
    let e = run(&a.snapshot());
    assert_eq!(who(&e, "prod", Question::Destroy), set(&[ROOT]));
    let destroy = answer(&e, "prod", Question::Destroy);
    assert!(destroy.unknown.is_empty(), "{:?}", destroy.unknown);
    assert!(
        destroy
            .refused
            .iter()
            .any(|r| r.principal.contains("444455556666")
                && r.source.contains("API_ScheduleKeyDeletion")),
        "{:?}",
        destroy.refused
    );
    // The key is not usable by another account, so a share is useless: read is exact.
    assert!(answer(&e, "prod", Question::Read).unknown.is_empty());
}

/// (7) An SCP that closes the holes of (1), for everyone but the break-glass role.
#[test]
fn an_scp_closes_the_holes() {
    let mut a = Account::new();
    a.role("BreakGlass", json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]))
        .role("Sharer", json!([{"Effect": "Allow", "Action": ["ec2:ModifySnapshotAttribute", "ec2:CreateVolume", "kms:*"], "Resource": "*"}]))
        .key(KEY, json!([]))
        .vault("prod", deny_but_break_glass(), unlocked())
        .ebs_point("prod", SNAP, Some(KEY))
        .scp(json!([{"Sid": "GuardBackups", "Effect": "Deny",
            "Action": ["ec2:ModifySnapshotAttribute", "ec2:CreateVolume", "ec2:CopySnapshot", "ebs:*", "kms:ScheduleKeyDeletion",
                       "kms:DisableKey", "kms:PutKeyPolicy", "kms:CreateGrant", "backup:StartRestoreJob", "backup:StartCopyJob", "iam:*"],
            "Resource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": role_arn("BreakGlass")}}}]));
    let e = run(&a.snapshot());
    assert_eq!(
        who(&e, "prod", Question::Destroy),
        set(&[&role_arn("BreakGlass")])
    );
    let read = answer(&e, "prod", Question::Read);
    assert_eq!(read.status, Status::None, "{read:?}");
    assert_eq!(
        who(&e, "prod", Question::Change),
        set(&[&role_arn("BreakGlass")])
    );
    // Without the SCP the Sharer reads and destroys.
    a.scps.clear();
    let open = run(&a.snapshot());
    assert!(who(&open, "prod", Question::Read).contains(&role_arn("Sharer")));
    assert!(who(&open, "prod", Question::Destroy).contains(&role_arn("Sharer")));
}

/// (8) A boundary caps a vault policy's grant to a role's ARN, not one to a user.
#[test]
fn a_boundary_caps_a_vault_grant_to_a_role_but_not_to_a_user() {
    let mut a = Account::new();
    let boundary = a.managed(
        "describe-only",
        json!([{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]),
    );
    a.role_trusting("Capped", json!([]), Some(&boundary), json!({"Service": "ec2.amazonaws.com"}))
        .user("bob", json!([]), Some(&boundary))
        .vault("prod", doc(json!([{"Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": [role_arn("Capped"), user_arn("bob")]},
            "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}])), unlocked())
        .ebs_point("prod", SNAP, None);
    let e = run(&a.snapshot());
    assert_eq!(
        who(&e, "prod", Question::Destroy),
        set(&[&user_arn("bob"), ROOT])
    );
    assert_eq!(
        routes(&e, "prod", Question::Destroy, &user_arn("bob")),
        set(&["backup-delete"])
    );
}

/// A vault policy not collected, and a key not in the snapshot: unknown, never none.
#[test]
fn a_policy_not_collected_is_unknown_never_none() {
    let mut a = Account::new();
    a.role(
        "Deleter",
        json!([{"Effect": "Allow", "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]),
    )
    .vault("prod", json!({"not_collected": "AccessDenied"}), unlocked())
    .ebs_point(
        "prod",
        "arn:aws:ec2:us-east-1::snapshot/snap-0bbbbbbbbbbbbbbb2",
        Some(KEY),
    );
    let e = run(&a.snapshot());
    let d = answer(&e, "prod", Question::Destroy);
    assert!(d.unknown.iter().any(|u| u.principal == role_arn("Deleter") && u.settle.contains("vault access policy")), "{:?}", d.unknown);
    assert!(
        d.unknown.iter().any(|u| u.settle.contains("kms_keys")),
        "{:?}",
        d.unknown
    );
    assert_ne!(e.verdict, Verdict::Protected);
}

/// Each fix closes its answer and opens nothing, re-evaluated.
#[test]
fn fixes_are_verified() {
    let mut a = Account::new();
    a.role(
        "Sharer",
        json!([{"Effect": "Allow", "Action": "ec2:ModifySnapshotAttribute", "Resource": "*"}]),
    )
    .vault("prod", Value::Null, unlocked())
    .ebs_point("prod", SNAP, None);
    let s = a.snapshot();
    let e = exposure(
        &s,
        &ExposureOptions {
            fixes: true,
            ..ExposureOptions::default()
        },
    )
    .unwrap();
    let read = answer(&e, "prod", Question::Read);
    let fix = read.fix.as_ref().unwrap();
    assert!(fix.verified, "{fix:?}");
    assert!(
        fix.scp.to_string().contains("ec2:ModifySnapshotAttribute"),
        "{}",
        fix.scp
    );
    assert!(!fix.hints.is_empty());
    // No SCP holds an account outside an organization, nor its management account: the
    // same fix is not verified, and says why.
    // https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
    let fixes = ExposureOptions {
        fixes: true,
        ..ExposureOptions::default()
    };
    let mut standalone = s.clone();
    standalone.organization = None;
    let mut management = s.clone();
    if let Some(o) = management.organization.as_mut() {
        o.management_account = Some(ACCT.into());
    }
    for (name, s) in [("standalone", standalone), ("management", management)] {
        let e = exposure(&s, &fixes).unwrap();
        let fix = answer(&e, "prod", Question::Read).fix.clone().unwrap();
        assert!(!fix.verified, "{name}: {fix:?}");
        assert!(
            fix.not_verified
                .as_deref()
                .is_some_and(|w| w.contains("SCP") && w.contains("vault or key policy")),
            "{name}: {fix:?}"
        );
    }
}

/// A role that may assume the break-glass role changes who can: the chain, hop by hop.
#[test]
fn a_chain_into_a_destroying_role_changes_who_can() {
    let mut a = Account::new();
    a.role_trusting(
        "BreakGlass",
        json!([{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]),
        None,
        json!({"AWS": role_arn("Dev")}),
    )
    .role("Dev", json!([{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn("BreakGlass")}]))
    .vault("prod", deny_but_break_glass(), unlocked())
    .ebs_point("prod", SNAP, None);
    let e = run(&a.snapshot());
    assert!(!who(&e, "prod", Question::Destroy).contains(&role_arn("Dev")));
    let change = answer(&e, "prod", Question::Change);
    let dev = change
        .principals
        .iter()
        .find(|p| p.principal == role_arn("Dev"))
        .unwrap();
    let chain = dev.routes.iter().find(|r| r.code == "chain").unwrap();
    assert_eq!(chain.chain.len(), 1);
    assert_eq!(chain.chain[0].to, role_arn("BreakGlass"));
    assert_eq!(chain.steps[0].action, "sts:AssumeRole");
}

/// `docs/codes.md`'s exposure section is written from the route table.
#[test]
fn codes_doc_is_written_from_the_route_table() {
    let (start, end) = (
        "<!-- exposure questions and route codes: written from vaultward_backup::vaults (VAULTWARD_BLESS=1 cargo test -p vaultward-backup --test exposure rewrites it) -->",
        "<!-- end of exposure codes -->",
    );
    let full = format!("{}/../../docs/codes.md", env!("CARGO_MANIFEST_DIR"));
    let current = std::fs::read_to_string(&full).unwrap();
    let (a, b) = (current.find(start).unwrap(), current.find(end).unwrap());
    let next = format!(
        "{}{start}\n{}{}",
        &current[..a],
        vaultward_backup::vaults::codes_markdown(),
        &current[b..]
    );
    if next != current {
        if std::env::var_os("VAULTWARD_BLESS").is_some() {
            std::fs::write(&full, next).unwrap();
        } else {
            panic!("docs/codes.md differs from the route table: rerun with VAULTWARD_BLESS=1");
        }
    }
}

/// A user counts with its groups' policies: one that may delete recovery points through a
/// group is listed, one whose group's policy is missing from the export is unknown.
#[test]
fn a_user_counts_with_its_groups_policies() {
    let mut a = Account::new();
    a.groups.push(json!({"GroupName": "backup-ops", "Arn": format!("arn:aws:iam::{ACCT}:group/backup-ops"),
        "GroupPolicyList": [{"PolicyName": "delete", "PolicyDocument": doc(json!([{"Sid": "Delete", "Effect": "Allow",
            "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]))}], "AttachedManagedPolicies": []}));
    a.groups.push(json!({"GroupName": "ghosts", "Arn": format!("arn:aws:iam::{ACCT}:group/ghosts"), "GroupPolicyList": [],
        "AttachedManagedPolicies": [{"PolicyName": "gone", "PolicyArn": format!("arn:aws:iam::{ACCT}:policy/gone")}]}));
    a.user("carol", json!([]), None)
        .user("dave", json!([]), None);
    a.users[0]["GroupList"] = json!(["backup-ops"]);
    a.users[1]["GroupList"] = json!(["ghosts"]);
    a.vault("prod", Value::Null, unlocked())
        .ebs_point("prod", SNAP, None);
    let e = run(&a.snapshot());
    assert_eq!(
        who(&e, "prod", Question::Destroy),
        set(&[&user_arn("carol"), ROOT])
    );
    let carol = &answer(&e, "prod", Question::Destroy)
        .principals
        .iter()
        .find(|p| p.principal == user_arn("carol"))
        .unwrap()
        .routes[0];
    assert_eq!(
        carol.steps[0].allowed_by,
        vec!["identity:delete/Delete".to_string()]
    );
    let unknown = &answer(&e, "prod", Question::Destroy).unknown;
    assert!(
        unknown
            .iter()
            .any(|u| u.principal == user_arn("dave") && u.settle.contains("gone")),
        "{unknown:?}"
    );
}
