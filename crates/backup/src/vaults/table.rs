//! One table of what reaches a recovery point: for each resource type AWS Backup protects,
//! the routes (requests in order) by which a principal destroys or reads its recovery
//! points, and the requests the services refuse whatever the policies say. Every answer of
//! `exposure` is derived from these rows; the brute-force test sweeps the same actions.
//!
//! Sources:
//! - AWS Backup, "Vault access policies":
//!   https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html
//!   (vault policies govern AWS Backup's API only; EBS and RDS snapshots are reachable
//!   through their services' APIs too; "cross-account access for any action other than
//!   backup:CopyIntoBackupVault will be rejected").
//! - AWS Backup, "Resource ARNs" (the recovery point ARN of each type):
//!   https://docs.aws.amazon.com/aws-backup/latest/devguide/access-control.html#resource-arns-table
//! - AWS Backup, "Vault Lock": https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html
//! - Amazon EBS, "Delete an Amazon EBS snapshot" ("You can't delete a snapshot that is
//!   managed by the AWS Backup service using Amazon EC2"):
//!   https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-snapshot.html
//! - Amazon EBS, "Share an Amazon EBS snapshot" (encrypted snapshots cannot be public;
//!   those under the AWS managed key cannot be shared at all):
//!   https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
//! - Amazon RDS, "Deleting a DB snapshot" (snapshots AWS Backup manages are deleted through
//!   AWS Backup): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteSnapshot.html
//! - AWS KMS API reference, ScheduleKeyDeletion, DisableKey, PutKeyPolicy ("Cross-account
//!   use: No"): https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html

use serde::Serialize;

/// The three questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Question {
    /// Who can destroy the backups.
    Destroy,
    /// Who can read or take them.
    Read,
    /// Who can change who can (escalate into either).
    Change,
}

impl Question {
    pub const ALL: [Question; 3] = [Question::Destroy, Question::Read, Question::Change];

    pub fn name(self) -> &'static str {
        match self {
            Question::Destroy => "destroy",
            Question::Read => "read",
            Question::Change => "change",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Question::Destroy => "who can destroy the backups",
            Question::Read => "who can read or take them",
            Question::Change => "who can change who can",
        }
    }
}

/// What a request of a route acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    RecoveryPoint,
    Vault,
    /// The key that encrypts the recovery point.
    Key,
    /// A role AWS Backup can assume (`iam:PassRole` for a restore or a copy).
    BackupRole,
}

/// The vault access policy a request is evaluated under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyAs {
    /// As collected.
    Collected,
    /// As an earlier request of the route rewrote it: allowing the principal.
    Rewritten,
    /// Deleted by an earlier request of the route.
    Removed,
}

/// One request of a route.
#[derive(Debug, Clone, Copy)]
pub struct Req {
    pub action: &'static str,
    pub on: On,
    /// The resource policy it is evaluated under (the vault's for AWS Backup's actions,
    /// the key's for AWS KMS's).
    pub policy: PolicyAs,
    /// A service makes it for the principal (AWS KMS requests through EC2 or RDS).
    pub via: Option<&'static str>,
}

const fn req(action: &'static str, on: On) -> Req {
    Req {
        action,
        on,
        policy: PolicyAs::Collected,
        via: None,
    }
}

const fn after(action: &'static str, on: On, policy: PolicyAs) -> Req {
    Req {
        action,
        on,
        policy,
        via: None,
    }
}

const fn via(action: &'static str, service: &'static str) -> Req {
    Req {
        action,
        on: On::Key,
        policy: PolicyAs::Collected,
        via: Some(service),
    }
}

/// When a route applies to a recovery point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Always,
    /// The vault has no Vault Lock.
    Unlocked,
    /// The vault's lock can still be removed: governance mode, or compliance mode before
    /// its lock date.
    LockRemovable,
    /// The recovery point is not encrypted.
    Unencrypted,
    /// Encrypted under a customer managed key.
    CustomerKey,
    /// Encrypted (under any key): the request needs the key.
    Encrypted,
    /// Not encrypted under an AWS managed key (which AWS KMS lets no one delete or share).
    NotAwsManagedKey,
}

/// A way to destroy or read recovery points: every request allowed, in order.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub code: &'static str,
    pub question: Question,
    pub title: &'static str,
    pub requests: &'static [Req],
    pub gates: &'static [Gate],
    /// The AWS feature that closes it, in words.
    pub hint: &'static str,
}

/// A request a service refuses on a recovery point whatever the policies say.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Refusal {
    pub action: &'static str,
    pub question: Question,
    pub why: &'static str,
    pub source: &'static str,
}

/// How AWS Backup holds a resource type's recovery points.
#[derive(Debug, Clone, Copy)]
pub struct TypeRow {
    /// The resource types (`ListRecoveryPointsByBackupVault`'s `ResourceType`).
    pub types: &'static [&'static str],
    /// The service whose own API also reaches the recovery points; `None`: fully managed
    /// by AWS Backup (its ARN is AWS Backup's, and only the vault policy governs it).
    pub service: Option<&'static str>,
    pub routes: &'static [Route],
    pub refused: &'static [Refusal],
}

const VAULT_LOCK: &str = "https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html";
const VAULT_POLICY: &str =
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html";
pub const KMS_CROSS_ACCOUNT: &str =
    "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html";
pub const BACKUP_CROSS_ACCOUNT: &str = VAULT_POLICY;
const EBS_DELETE: &str =
    "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-snapshot.html";
const EBS_SHARE: &str =
    "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html";
const RDS_DELETE: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteSnapshot.html";

const LOCK_HINT: &str = "set a Vault Lock in compliance mode (after its grace time no one can delete recovery points before their retention, AWS included)";
const SHARE_HINT: &str = "an SCP Deny on the service's sharing and copy actions for the backups (or keep copies in a logically air-gapped vault, reachable only through AWS Backup)";
const KEY_HINT: &str = "a key policy that keeps key administration (ScheduleKeyDeletion, DisableKey, PutKeyPolicy) to a break-glass role, and an SCP Deny on kms:ScheduleKeyDeletion and kms:DisableKey for everyone else";
const POLICY_HINT: &str = "an SCP Deny on backup:PutBackupVaultAccessPolicy and backup:DeleteBackupVaultAccessPolicy outside a break-glass role, and a Vault Lock in compliance mode";
const RESTORE_HINT: &str = "limit backup:StartRestoreJob, backup:StartCopyJob and iam:PassRole of AWS Backup's roles to the backup operators (the vault policy can Deny them to everyone else)";

/// The AWS Backup routes, for every resource type.
pub const BACKUP_ROUTES: &[Route] = &[
    Route {
        code: "backup-delete",
        question: Question::Destroy,
        title: "delete the recovery point through AWS Backup",
        requests: &[req("backup:DeleteRecoveryPoint", On::RecoveryPoint)],
        gates: &[Gate::Unlocked],
        hint: LOCK_HINT,
    },
    Route {
        code: "backup-shorten-retention",
        question: Question::Destroy,
        title: "shorten the recovery point's retention so AWS Backup deletes it",
        requests: &[req(
            "backup:UpdateRecoveryPointLifecycle",
            On::RecoveryPoint,
        )],
        gates: &[Gate::Unlocked],
        hint: LOCK_HINT,
    },
    Route {
        code: "backup-unlock-delete",
        question: Question::Destroy,
        title: "remove the Vault Lock, then delete the recovery point",
        requests: &[
            req("backup:DeleteBackupVaultLockConfiguration", On::Vault),
            req("backup:DeleteRecoveryPoint", On::RecoveryPoint),
        ],
        gates: &[Gate::LockRemovable],
        hint: LOCK_HINT,
    },
    Route {
        code: "backup-rewrite-policy-delete",
        question: Question::Destroy,
        title: "rewrite the vault access policy, then delete the recovery point",
        requests: &[
            req("backup:PutBackupVaultAccessPolicy", On::Vault),
            after(
                "backup:DeleteRecoveryPoint",
                On::RecoveryPoint,
                PolicyAs::Rewritten,
            ),
        ],
        gates: &[Gate::Unlocked],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-remove-policy-delete",
        question: Question::Destroy,
        title: "delete the vault access policy, then delete the recovery point",
        requests: &[
            req("backup:DeleteBackupVaultAccessPolicy", On::Vault),
            after(
                "backup:DeleteRecoveryPoint",
                On::RecoveryPoint,
                PolicyAs::Removed,
            ),
        ],
        gates: &[Gate::Unlocked],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-rewrite-policy-unlock-delete",
        question: Question::Destroy,
        title:
            "rewrite the vault access policy, remove the Vault Lock, then delete the recovery point",
        requests: &[
            req("backup:PutBackupVaultAccessPolicy", On::Vault),
            after(
                "backup:DeleteBackupVaultLockConfiguration",
                On::Vault,
                PolicyAs::Rewritten,
            ),
            after(
                "backup:DeleteRecoveryPoint",
                On::RecoveryPoint,
                PolicyAs::Rewritten,
            ),
        ],
        gates: &[Gate::LockRemovable],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-restore",
        question: Question::Read,
        title: "restore the recovery point (passing AWS Backup a role)",
        requests: &[
            req("backup:StartRestoreJob", On::RecoveryPoint),
            req("iam:PassRole", On::BackupRole),
        ],
        gates: &[Gate::Always],
        hint: RESTORE_HINT,
    },
    Route {
        code: "backup-copy-out",
        question: Question::Read,
        title: "copy the recovery point to another account's vault (passing AWS Backup a role)",
        requests: &[
            req("backup:StartCopyJob", On::RecoveryPoint),
            req("iam:PassRole", On::BackupRole),
        ],
        gates: &[Gate::Always],
        hint: RESTORE_HINT,
    },
    Route {
        code: "backup-rewrite-policy-restore",
        question: Question::Read,
        title: "rewrite the vault access policy, then restore the recovery point",
        requests: &[
            req("backup:PutBackupVaultAccessPolicy", On::Vault),
            after(
                "backup:StartRestoreJob",
                On::RecoveryPoint,
                PolicyAs::Rewritten,
            ),
            req("iam:PassRole", On::BackupRole),
        ],
        gates: &[Gate::Always],
        hint: POLICY_HINT,
    },
];

/// The AWS KMS routes: a customer managed key destroys every recovery point under it, and
/// no Vault Lock stops that.
pub const KEY_ROUTES: &[Route] = &[
    Route {
        code: "kms-schedule-deletion",
        question: Question::Destroy,
        title: "schedule the deletion of the recovery point's key",
        requests: &[req("kms:ScheduleKeyDeletion", On::Key)],
        gates: &[Gate::CustomerKey],
        hint: KEY_HINT,
    },
    Route {
        code: "kms-disable",
        question: Question::Destroy,
        title: "disable the recovery point's key",
        requests: &[req("kms:DisableKey", On::Key)],
        gates: &[Gate::CustomerKey],
        hint: KEY_HINT,
    },
    Route {
        code: "kms-rewrite-policy-delete",
        question: Question::Destroy,
        title: "rewrite the key policy, then schedule the key's deletion",
        requests: &[
            req("kms:PutKeyPolicy", On::Key),
            after("kms:ScheduleKeyDeletion", On::Key, PolicyAs::Rewritten),
        ],
        gates: &[Gate::CustomerKey],
        hint: KEY_HINT,
    },
];

const EBS_ROUTES: &[Route] = &[
    Route {
        code: "ec2-share-snapshot",
        question: Question::Read,
        title: "share the snapshot with another account, or make it public (ec2:ModifySnapshotAttribute)",
        requests: &[req("ec2:ModifySnapshotAttribute", On::RecoveryPoint)],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "ec2-share-encrypted-snapshot",
        question: Question::Read,
        title: "share the encrypted snapshot with another account and grant it the key",
        requests: &[
            req("ec2:ModifySnapshotAttribute", On::RecoveryPoint),
            req("kms:CreateGrant", On::Key),
        ],
        gates: &[Gate::CustomerKey],
        hint: SHARE_HINT,
    },
    Route {
        code: "ec2-create-volume",
        question: Question::Read,
        title: "create a volume from the snapshot",
        requests: &[
            req("ec2:CreateVolume", On::RecoveryPoint),
            via("kms:CreateGrant", "ec2"),
        ],
        gates: &[Gate::Encrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "ec2-create-volume",
        question: Question::Read,
        title: "create a volume from the snapshot",
        requests: &[req("ec2:CreateVolume", On::RecoveryPoint)],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "ec2-copy-snapshot",
        question: Question::Read,
        title: "copy the snapshot",
        requests: &[
            req("ec2:CopySnapshot", On::RecoveryPoint),
            via("kms:Decrypt", "ec2"),
        ],
        gates: &[Gate::Encrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "ec2-copy-snapshot",
        question: Question::Read,
        title: "copy the snapshot",
        requests: &[req("ec2:CopySnapshot", On::RecoveryPoint)],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "ebs-direct-read",
        question: Question::Read,
        title: "read the snapshot's blocks (EBS direct APIs)",
        requests: &[
            req("ebs:ListSnapshotBlocks", On::RecoveryPoint),
            req("ebs:GetSnapshotBlock", On::RecoveryPoint),
            via("kms:Decrypt", "ebs"),
        ],
        gates: &[Gate::Encrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "ebs-direct-read",
        question: Question::Read,
        title: "read the snapshot's blocks (EBS direct APIs)",
        requests: &[
            req("ebs:ListSnapshotBlocks", On::RecoveryPoint),
            req("ebs:GetSnapshotBlock", On::RecoveryPoint),
        ],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
];

const AMI_ROUTES: &[Route] = &[
    Route {
        code: "ec2-share-image",
        question: Question::Read,
        title: "share the image with another account, or make it public (ec2:ModifyImageAttribute)",
        requests: &[req("ec2:ModifyImageAttribute", On::RecoveryPoint)],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "ec2-copy-image",
        question: Question::Read,
        title: "copy the image",
        requests: &[req("ec2:CopyImage", On::RecoveryPoint)],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "ec2-copy-image",
        question: Question::Read,
        title: "copy the image",
        requests: &[
            req("ec2:CopyImage", On::RecoveryPoint),
            via("kms:Decrypt", "ec2"),
        ],
        gates: &[Gate::Encrypted],
        hint: SHARE_HINT,
    },
];

const RDS_ROUTES: &[Route] = &[
    Route {
        code: "rds-share-snapshot",
        question: Question::Read,
        title: "share the DB snapshot with another account, or make it public",
        requests: &[req("rds:ModifyDBSnapshotAttribute", On::RecoveryPoint)],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "rds-share-encrypted-snapshot",
        question: Question::Read,
        title: "share the encrypted DB snapshot with another account and grant it the key",
        requests: &[
            req("rds:ModifyDBSnapshotAttribute", On::RecoveryPoint),
            req("kms:CreateGrant", On::Key),
        ],
        gates: &[Gate::CustomerKey],
        hint: SHARE_HINT,
    },
    Route {
        code: "rds-copy-snapshot",
        question: Question::Read,
        title: "copy the DB snapshot",
        requests: &[req("rds:CopyDBSnapshot", On::RecoveryPoint)],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "rds-copy-snapshot",
        question: Question::Read,
        title: "copy the DB snapshot",
        requests: &[
            req("rds:CopyDBSnapshot", On::RecoveryPoint),
            via("kms:CreateGrant", "rds"),
        ],
        gates: &[Gate::Encrypted],
        hint: SHARE_HINT,
    },
];

const AURORA_ROUTES: &[Route] = &[
    Route {
        code: "rds-share-cluster-snapshot",
        question: Question::Read,
        title: "share the DB cluster snapshot with another account, or make it public",
        requests: &[req(
            "rds:ModifyDBClusterSnapshotAttribute",
            On::RecoveryPoint,
        )],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "rds-share-encrypted-cluster-snapshot",
        question: Question::Read,
        title: "share the encrypted DB cluster snapshot with another account and grant it the key",
        requests: &[
            req("rds:ModifyDBClusterSnapshotAttribute", On::RecoveryPoint),
            req("kms:CreateGrant", On::Key),
        ],
        gates: &[Gate::CustomerKey],
        hint: SHARE_HINT,
    },
    Route {
        code: "rds-copy-cluster-snapshot",
        question: Question::Read,
        title: "copy the DB cluster snapshot",
        requests: &[req("rds:CopyDBClusterSnapshot", On::RecoveryPoint)],
        gates: &[Gate::Unencrypted],
        hint: SHARE_HINT,
    },
    Route {
        code: "rds-copy-cluster-snapshot",
        question: Question::Read,
        title: "copy the DB cluster snapshot",
        requests: &[
            req("rds:CopyDBClusterSnapshot", On::RecoveryPoint),
            via("kms:CreateGrant", "rds"),
        ],
        gates: &[Gate::Encrypted],
        hint: SHARE_HINT,
    },
];

const EBS_REFUSED: &[Refusal] = &[
    Refusal {
        action: "ec2:DeleteSnapshot",
        question: Question::Destroy,
        why: "EC2 refuses to delete a snapshot that AWS Backup manages (\"You can't delete a snapshot that is managed by the AWS Backup service using Amazon EC2\")",
        source: EBS_DELETE,
    },
    Refusal {
        action: "ec2:ModifySnapshotAttribute",
        question: Question::Read,
        why: "an encrypted snapshot cannot be made public, and one under the AWS managed key `aws/ebs` cannot be shared at all",
        source: EBS_SHARE,
    },
];

const RDS_REFUSED: &[Refusal] = &[Refusal {
    action: "rds:DeleteDBSnapshot",
    question: Question::Destroy,
    why: "RDS refuses to delete a DB snapshot that AWS Backup manages: it is deleted through AWS Backup",
    source: RDS_DELETE,
}];

const AURORA_REFUSED: &[Refusal] = &[Refusal {
    action: "rds:DeleteDBClusterSnapshot",
    question: Question::Destroy,
    why: "RDS refuses to delete a DB cluster snapshot that AWS Backup manages: it is deleted through AWS Backup",
    source: RDS_DELETE,
}];

/// What every resource type shares: AWS Backup's refusals of other accounts and AWS KMS's.
pub const COMMON_REFUSED: &[Refusal] = &[
    Refusal {
        action: "backup:*",
        question: Question::Destroy,
        why: "AWS Backup rejects every cross-account call but backup:CopyIntoBackupVault (a copy in, not out), whatever the vault access policy says",
        source: BACKUP_CROSS_ACCOUNT,
    },
    Refusal {
        action: "kms:ScheduleKeyDeletion",
        question: Question::Destroy,
        why: "AWS KMS refuses ScheduleKeyDeletion, DisableKey and PutKeyPolicy from another account, whatever the key policy says",
        source: KMS_CROSS_ACCOUNT,
    },
    Refusal {
        action: "backup:DeleteRecoveryPoint",
        question: Question::Destroy,
        why: "a Vault Lock refuses deleting a recovery point, or shortening its retention, before its minimum retention ends",
        source: VAULT_LOCK,
    },
];

/// The resource types, by the service API that also reaches them.
pub const TYPES: &[TypeRow] = &[
    TypeRow {
        types: &["EBS", "Storage Gateway"],
        service: Some("ec2"),
        routes: EBS_ROUTES,
        refused: EBS_REFUSED,
    },
    TypeRow {
        types: &["EC2"],
        service: Some("ec2"),
        routes: AMI_ROUTES,
        refused: &[],
    },
    TypeRow {
        types: &["RDS"],
        service: Some("rds"),
        routes: RDS_ROUTES,
        refused: RDS_REFUSED,
    },
    TypeRow {
        types: &["Aurora", "DocumentDB", "Neptune"],
        service: Some("rds"),
        routes: AURORA_ROUTES,
        refused: AURORA_REFUSED,
    },
];

/// The row of a resource type and recovery point ARN: by the ARN's service, since a type
/// is held by its service only when the ARN is that service's (a DynamoDB table with
/// advanced features has an AWS Backup ARN).
pub fn row(resource_type: &str, recovery_point_arn: &str) -> Option<&'static TypeRow> {
    let service = recovery_point_arn.split(':').nth(2)?;
    TYPES.iter().find(|r| {
        r.types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(resource_type))
            && r.service == Some(service)
    })
}

/// Every action of the table, for the brute-force sweep.
pub fn all_actions() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = BACKUP_ROUTES
        .iter()
        .chain(KEY_ROUTES)
        .chain(TYPES.iter().flat_map(|t| t.routes))
        .flat_map(|r| r.requests.iter().map(|q| q.action))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
