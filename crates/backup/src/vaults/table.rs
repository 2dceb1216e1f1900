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
//! - AWS Backup API, DisassociateRecoveryPoint ("Deletes the specified continuous backup
//!   recovery point from AWS Backup and releases control of that continuous backup to the
//!   source service"; the Vault Lock page does not say it refuses it, so it counts):
//!   https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DisassociateRecoveryPoint.html
//! - Each service's own pages: see `table/services.rs`.
//! - AWS KMS API reference, ScheduleKeyDeletion, DisableKey, PutKeyPolicy,
//!   DeleteImportedKeyMaterial ("Cross-account use: No"):
//!   https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html,
//!   https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteImportedKeyMaterial.html
//!   (deleting imported material makes the key unusable "until you reimport the same key
//!   material").

use serde::Serialize;

mod services;
pub use services::TYPES;

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
    /// A role this service principal can assume (`iam:PassRole` for a restore, a copy or
    /// an export): `backup.amazonaws.com`, `export.rds.amazonaws.com`.
    PassRole(&'static str),
    /// A bucket of the principal's choosing (where an image is stored).
    AnyBucket,
}

/// AWS Backup's service principal, which a restore or copy role must trust.
pub const BACKUP_SERVICE: &str = "backup.amazonaws.com";

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

pub(super) const fn req(action: &'static str, on: On) -> Req {
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

pub(super) const fn via(action: &'static str, service: &'static str) -> Req {
    Req {
        action,
        on: On::Key,
        policy: PolicyAs::Collected,
        via: Some(service),
    }
}

/// When a route applies to a recovery point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gate {
    #[default]
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
    /// Encrypted under an AWS managed key.
    AwsManagedKey,
    /// Under a customer managed key whose key material was imported (`Origin` EXTERNAL).
    ImportedKey,
    /// Under a customer managed key another account may already use (its key policy or a
    /// grant lets it): a share needs no grant of the principal's.
    KeyUsableOutside,
    /// A continuous backup (its ARN is `...:recovery-point:continuous:...`).
    Continuous,
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
    /// When it applies (`Always`, or only under an AWS managed key).
    #[serde(skip)]
    pub when: Gate,
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
const LOCK_HINT: &str = "set a Vault Lock in compliance mode (after its grace time no one can delete recovery points before their retention, AWS included)";
pub(super) const SHARE_HINT: &str = "an SCP Deny on the service's sharing and copy actions for the backups (or keep copies in a logically air-gapped vault, reachable only through AWS Backup)";
pub(super) const KEY_HINT: &str = "a key policy that keeps key administration (ScheduleKeyDeletion, DisableKey, PutKeyPolicy) to a break-glass role, and an SCP Deny on kms:ScheduleKeyDeletion and kms:DisableKey for everyone else";
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
        code: "backup-disassociate",
        question: Question::Destroy,
        title: "disassociate the continuous backup: AWS Backup deletes its recovery point and hands the backups to the source service, whose own lifecycle then keeps or deletes them",
        requests: &[req("backup:DisassociateRecoveryPoint", On::RecoveryPoint)],
        gates: &[Gate::Continuous],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-unlock-shorten-retention",
        question: Question::Destroy,
        title: "remove the Vault Lock, then shorten the recovery point's retention",
        requests: &[
            req("backup:DeleteBackupVaultLockConfiguration", On::Vault),
            req("backup:UpdateRecoveryPointLifecycle", On::RecoveryPoint),
        ],
        gates: &[Gate::LockRemovable],
        hint: LOCK_HINT,
    },
    Route {
        code: "backup-remove-policy-unlock-delete",
        question: Question::Destroy,
        title:
            "delete the vault access policy, remove the Vault Lock, then delete the recovery point",
        requests: &[
            req("backup:DeleteBackupVaultAccessPolicy", On::Vault),
            after(
                "backup:DeleteBackupVaultLockConfiguration",
                On::Vault,
                PolicyAs::Removed,
            ),
            after(
                "backup:DeleteRecoveryPoint",
                On::RecoveryPoint,
                PolicyAs::Removed,
            ),
        ],
        gates: &[Gate::LockRemovable],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-rewrite-policy-shorten-retention",
        question: Question::Destroy,
        title: "rewrite the vault access policy, then shorten the recovery point's retention",
        requests: &[
            req("backup:PutBackupVaultAccessPolicy", On::Vault),
            after(
                "backup:UpdateRecoveryPointLifecycle",
                On::RecoveryPoint,
                PolicyAs::Rewritten,
            ),
        ],
        gates: &[Gate::Unlocked],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-remove-policy-shorten-retention",
        question: Question::Destroy,
        title: "delete the vault access policy, then shorten the recovery point's retention",
        requests: &[
            req("backup:DeleteBackupVaultAccessPolicy", On::Vault),
            after(
                "backup:UpdateRecoveryPointLifecycle",
                On::RecoveryPoint,
                PolicyAs::Removed,
            ),
        ],
        gates: &[Gate::Unlocked],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-restore",
        question: Question::Read,
        title: "restore the recovery point (passing AWS Backup a role)",
        requests: &[
            req("backup:StartRestoreJob", On::RecoveryPoint),
            req("iam:PassRole", On::PassRole(BACKUP_SERVICE)),
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
            req("iam:PassRole", On::PassRole(BACKUP_SERVICE)),
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
            req("iam:PassRole", On::PassRole(BACKUP_SERVICE)),
        ],
        gates: &[Gate::Always],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-rewrite-policy-copy-out",
        question: Question::Read,
        title: "rewrite the vault access policy, then copy the recovery point to another account's vault",
        requests: &[
            req("backup:PutBackupVaultAccessPolicy", On::Vault),
            after("backup:StartCopyJob", On::RecoveryPoint, PolicyAs::Rewritten),
            req("iam:PassRole", On::PassRole(BACKUP_SERVICE)),
        ],
        gates: &[Gate::Always],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-remove-policy-restore",
        question: Question::Read,
        title: "delete the vault access policy, then restore the recovery point",
        requests: &[
            req("backup:DeleteBackupVaultAccessPolicy", On::Vault),
            after("backup:StartRestoreJob", On::RecoveryPoint, PolicyAs::Removed),
            req("iam:PassRole", On::PassRole(BACKUP_SERVICE)),
        ],
        gates: &[Gate::Always],
        hint: POLICY_HINT,
    },
    Route {
        code: "backup-remove-policy-copy-out",
        question: Question::Read,
        title: "delete the vault access policy, then copy the recovery point to another account's vault",
        requests: &[
            req("backup:DeleteBackupVaultAccessPolicy", On::Vault),
            after("backup:StartCopyJob", On::RecoveryPoint, PolicyAs::Removed),
            req("iam:PassRole", On::PassRole(BACKUP_SERVICE)),
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
    Route {
        code: "kms-delete-imported-material",
        question: Question::Destroy,
        title: "delete the imported key material of the recovery point's key (unusable until the same material is imported again, which only its holder can)",
        requests: &[req("kms:DeleteImportedKeyMaterial", On::Key)],
        gates: &[Gate::ImportedKey],
        hint: KEY_HINT,
    },
];

/// AWS Backup refuses other accounts everything but copying in.
pub const CROSS_ACCOUNT_BACKUP: Refusal = Refusal {
    action: "backup:*",
    question: Question::Destroy,
    when: Gate::Always,
    why: "AWS Backup rejects every cross-account call but backup:CopyIntoBackupVault (a copy in, not out), whatever the vault access policy says",
    source: BACKUP_CROSS_ACCOUNT,
};

/// AWS KMS refuses other accounts the administration of a key.
pub const CROSS_ACCOUNT_KMS: Refusal = Refusal {
    action: "kms:ScheduleKeyDeletion",
    question: Question::Destroy,
    when: Gate::Always,
    why: "AWS KMS refuses ScheduleKeyDeletion, DisableKey, PutKeyPolicy and DeleteImportedKeyMaterial from another account, whatever the key policy says",
    source: KMS_CROSS_ACCOUNT,
};

/// A standing Vault Lock refuses an early deletion.
pub const LOCKED: Refusal = Refusal {
    action: "backup:DeleteRecoveryPoint",
    question: Question::Destroy,
    when: Gate::Always,
    why: "a Vault Lock refuses deleting a recovery point, or shortening its retention, before its minimum retention ends",
    source: VAULT_LOCK,
};

/// What every resource type shares: AWS Backup's refusals of other accounts and AWS KMS's,
/// and the lock's.
pub const COMMON_REFUSED: &[Refusal] = &[CROSS_ACCOUNT_BACKUP, CROSS_ACCOUNT_KMS, LOCKED];

/// The row of a resource type and recovery point ARN: by the ARN's service, since a type
/// is held by its service only when the ARN is that service's (a DynamoDB table with
/// advanced features has an AWS Backup ARN).
pub fn row(resource_type: &str, recovery_point_arn: &str) -> Option<&'static TypeRow> {
    let service = recovery_point_arn.split(':').nth(2)?;
    services::TYPES.iter().find(|r| {
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
        .chain(services::TYPES.iter().flat_map(|t| t.routes))
        .flat_map(|r| r.requests.iter().map(|q| q.action))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
