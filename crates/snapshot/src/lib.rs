//! The account snapshot: what the check needs to know about an account, as one JSON file
//! (documented in `docs/snapshot.md`). Parts that were not collected are recorded as
//! unknown, never invented: the check then reports what it could not decide.
//!
//! Loaders: [`Snapshot::from_json`] (the snapshot file) and [`awscli::from_aws_cli`] (a
//! folder of AWS CLI outputs). The live collector (`crates/aws`) and the S3 Inventory
//! readers (`crates/inventory`) live in crates of their own, for their dependencies.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use serde_json::Value;

pub mod awscli;
pub mod compute;
pub mod org;

pub use compute::{
    BuildProject, DevEndpoint, EventSourceMapping, LambdaFunction, ManagedInstance,
    NotebookInstance, Stack, TaskDefinition,
};

/// The kinds of asset the backup service protects, and a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetType {
    S3,
    DynamoDb,
    /// EC2 instances and EBS volumes.
    Ec2,
}

impl AssetType {
    pub fn parse(s: &str) -> Option<AssetType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "s3" => Some(AssetType::S3),
            "dynamodb" | "ddb" => Some(AssetType::DynamoDb),
            "ec2" | "ebs" => Some(AssetType::Ec2),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AssetType::S3 => "s3",
            AssetType::DynamoDb => "dynamodb",
            AssetType::Ec2 => "ec2",
        }
    }
}

/// A policy field: a document (or a JSON string holding one), absent when not collected,
/// or `{"not_collected": "reason"}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Collected {
    NotCollected {
        not_collected: String,
    },
    /// `null`: collected, and there is none (a bucket without a policy).
    Document(Value),
    /// The field is absent from the snapshot.
    #[default]
    #[serde(skip)]
    Unknown,
}

impl Collected {
    fn is_absent(&self) -> bool {
        matches!(self, Collected::Unknown)
    }
}

impl Collected {
    /// The document, if collected and present.
    pub fn document(&self) -> Option<&Value> {
        match self {
            Collected::Document(Value::Null) => None,
            Collected::Document(v) => Some(v),
            _ => None,
        }
    }

    /// Why it is unknown, if it is.
    pub fn unknown_reason(&self) -> Option<String> {
        match self {
            Collected::Unknown => Some("not collected".into()),
            Collected::NotCollected { not_collected } => {
                Some(format!("not collected: {not_collected}"))
            }
            Collected::Document(_) => None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The organization id (`o-...`): the value of `aws:PrincipalOrgID` for the role.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub management_account: Option<String>,
    /// The account's path in the organization, as `aws:PrincipalOrgPaths` gives it
    /// (`o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/`: the organization, the root, each OU down to
    /// the account's parent, each followed by `/`); absent when it could not be read
    /// (`ListParents` is for the management account and delegated administrators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Per level from the root down; each policy a document or `{"name", "document"}`.
    #[serde(default)]
    pub scps: Vec<Vec<Value>>,
    #[serde(default)]
    pub rcps: Vec<Vec<Value>>,
    /// Why the SCPs and RCPs could not be read (a member account usually cannot): the
    /// check then says its verdicts assume they deny nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies_not_collected: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    /// `AES256` or `aws:kms` (or `aws:kms:dsse`).
    pub sse: String,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// Whether new objects are encrypted with an S3 Bucket Key (`BucketKeyEnabled` of the
    /// rule `GetBucketEncryption` returns): S3 then asks AWS KMS with the bucket's ARN as the
    /// encryption context instead of the object's. Absent: not collected (unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_key_enabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    pub key: String,
    #[serde(default)]
    pub version_id: Option<String>,
    pub size: u64,
    /// The account that owns the object; absent when unknown.
    #[serde(default)]
    pub owner_account: Option<String>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// Whether the object was encrypted with an S3 Bucket Key (HeadObject's
    /// `x-amz-server-side-encryption-bucket-key-enabled`); absent when not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_key_enabled: Option<bool>,
    /// The object's tags, when collected (absent: not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<(String, String)>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub name: String,
    /// The bucket's Region (`GetBucketLocation`): requests on the bucket go to its Regional
    /// endpoint, so it is their `aws:RequestedRegion`. Absent: not collected (unknown).
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Collected::is_absent")]
    pub policy: Collected,
    /// `BucketOwnerEnforced`, `BucketOwnerPreferred` or `ObjectWriter`; absent when unknown.
    #[serde(default)]
    pub ownership: Option<String>,
    #[serde(default)]
    pub default_encryption: Option<Encryption>,
    /// `Enabled` or `Suspended`; absent when never enabled or unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versioning: Option<String>,
    /// The bucket's public access block (`BlockPublicAcls`, `IgnorePublicAcls`,
    /// `BlockPublicPolicy`, `RestrictPublicBuckets`), `null` when it has none.
    #[serde(default, skip_serializing_if = "Collected::is_absent")]
    pub public_access_block: Collected,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub objects: Vec<Object>,
    /// The collector listed only a sample of the objects (`collect --objects sample:N`):
    /// figures from it are a floor.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub objects_truncated: bool,
    /// Parts the collector was refused, by field name (`ownership`, `objects`, ...), with
    /// the error: those fields are unknown, not empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_collected: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KmsKey {
    pub arn: String,
    #[serde(default, skip_serializing_if = "Collected::is_absent")]
    pub policy: Collected,
    /// `CUSTOMER` or `AWS`.
    #[serde(default)]
    pub manager: Option<String>,
    /// Aliases such as `alias/aws/s3`, to resolve key ids given by alias.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Where its key material comes from (`DescribeKey`'s `Origin`: `AWS_KMS`, `EXTERNAL`,
    /// `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`); absent when not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The key's grants (`ListGrants`'s `Grants`, verbatim); absent when not collected.
    #[serde(default, skip_serializing_if = "Collected::is_absent")]
    pub grants: Collected,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub arn: String,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub arn: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub volumes: Vec<String>,
    /// The instance profile it runs with (`IamInstanceProfile.Arn`), `null` when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_profile_arn: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vault {
    pub name: String,
    pub arn: String,
    #[serde(default, skip_serializing_if = "Collected::is_absent")]
    pub access_policy: Collected,
    /// The key that encrypts the vault's backups (`EncryptionKeyArn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_key_arn: Option<String>,
    /// `BACKUP_VAULT`, `LOGICALLY_AIR_GAPPED_BACKUP_VAULT` or `RESTORE_ACCESS_BACKUP_VAULT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vault_type: Option<String>,
    /// The Vault Lock configuration; absent when not collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<VaultLock>,
    /// Parts the collector was refused (`lock`, `recovery_points`), with the error.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_collected: BTreeMap<String, String>,
}

/// A vault's Vault Lock (`ListBackupVaults`/`DescribeBackupVault`: `Locked`,
/// `MinRetentionDays`, `MaxRetentionDays`, `LockDate`;
/// https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultLock {
    /// A lock is set (in either mode).
    pub locked: bool,
    /// `governance` (no lock date: users with the permission may change or remove it at any
    /// time) or `compliance` (a lock date: after it, no one can, AWS included); absent when
    /// unlocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<VaultLockMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_retention_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retention_days: Option<i64>,
    /// Compliance mode: the end of the grace time (RFC 3339): until then the lock can still
    /// be changed or removed; after it, it is immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_date: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VaultLockMode {
    Governance,
    Compliance,
}

impl VaultLock {
    /// The lock as AWS Backup reports it: compliance mode is the one with a lock date.
    pub fn from_fields(
        locked: Option<bool>,
        min_retention_days: Option<i64>,
        max_retention_days: Option<i64>,
        lock_date: Option<String>,
    ) -> VaultLock {
        let locked = locked.unwrap_or(false);
        VaultLock {
            locked,
            mode: locked.then(|| {
                if lock_date.is_some() {
                    VaultLockMode::Compliance
                } else {
                    VaultLockMode::Governance
                }
            }),
            min_retention_days,
            max_retention_days,
            lock_date,
        }
    }
}

/// A recovery point in a vault (`backup:ListRecoveryPointsByBackupVault`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryPoint {
    pub arn: String,
    /// The vault that holds it.
    pub vault_arn: String,
    /// `EBS`, `EC2`, `S3`, `DynamoDB`, `RDS`, ...
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The resource it is a backup of.
    #[serde(default)]
    pub resource_arn: Option<String>,
    #[serde(default)]
    pub encryption_key_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_encrypted: Option<bool>,
    /// `COMPLETED`, `PARTIAL`, `DELETING`, `EXPIRED`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub creation_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Lifecycle>,
}

/// A recovery point's lifecycle: the days set, and the dates AWS Backup computed from them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_to_cold_storage_after_days: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub move_to_cold_storage_at: Option<String>,
}

/// An account's state as the check reads it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    pub account_id: String,
    /// Absent: the account is not in an organization (or it was not collected; see `notes`).
    #[serde(default)]
    pub organization: Option<Organization>,
    /// The output of `aws iam get-account-authorization-details`, verbatim.
    #[serde(default)]
    pub iam: Option<Value>,
    #[serde(default)]
    pub buckets: Vec<Bucket>,
    #[serde(default)]
    pub kms_keys: Vec<KmsKey>,
    #[serde(default)]
    pub dynamodb_tables: Vec<Table>,
    #[serde(default)]
    pub ec2_instances: Vec<Instance>,
    #[serde(default)]
    pub ebs_volumes: Vec<Volume>,
    #[serde(default)]
    pub backup_vaults: Vec<Vault>,
    /// The recovery points of every vault in `backup_vaults` (a vault whose listing was
    /// refused names `recovery_points` in its own `not_collected`).
    #[serde(default)]
    pub recovery_points: Vec<RecoveryPoint>,
    #[serde(default)]
    pub lambda_functions: Vec<LambdaFunction>,
    #[serde(default)]
    pub lambda_event_source_mappings: Vec<EventSourceMapping>,
    #[serde(default)]
    pub cloudformation_stacks: Vec<Stack>,
    #[serde(default)]
    pub sagemaker_notebook_instances: Vec<NotebookInstance>,
    #[serde(default)]
    pub glue_dev_endpoints: Vec<DevEndpoint>,
    #[serde(default)]
    pub codebuild_projects: Vec<BuildProject>,
    #[serde(default)]
    pub ecs_task_definitions: Vec<TaskDefinition>,
    #[serde(default)]
    pub ssm_managed_instances: Vec<ManagedInstance>,
    /// What the collector could not read, in words.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The lists that were not collected, with why: [`RESOURCE_LISTS`] and
    /// [`COMPUTE_LISTS`]. A list absent from the file is recorded here too: an empty list
    /// says "there are none", an absent one "not known".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_collected: BTreeMap<String, String>,
}

/// An account's path has at most the root and five levels of OUs above it
/// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
pub const MAX_ORG_DEPTH: usize = 6;

/// `aws:PrincipalOrgPaths` for an account under `parents` (the root, then each OU down):
/// `o-id/r-id/ou-id/.../` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
pub fn org_path(org_id: &str, parents: &[String]) -> String {
    let mut out = format!("{org_id}/");
    for p in parents {
        out.push_str(p);
        out.push('/');
    }
    out
}

/// The snapshot's resource lists, by their field name.
pub const RESOURCE_LISTS: &[&str] = &[
    "buckets",
    "kms_keys",
    "dynamodb_tables",
    "ec2_instances",
    "ebs_volumes",
    "backup_vaults",
    "recovery_points",
];

/// The compute lists (what a principal can run code as), by their field name.
pub const COMPUTE_LISTS: &[&str] = &[
    "lambda_functions",
    "lambda_event_source_mappings",
    "cloudformation_stacks",
    "sagemaker_notebook_instances",
    "glue_dev_endpoints",
    "codebuild_projects",
    "ecs_task_definitions",
    "ssm_managed_instances",
];

/// A snapshot file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct SnapshotError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Bucket {
    /// Whether the bucket's default encryption uses an S3 Bucket Key: `None` when the
    /// default encryption, or the setting, was not collected.
    pub fn bucket_key_enabled(&self) -> Option<bool> {
        if self.not_collected.contains_key("default_encryption") {
            return None;
        }
        self.default_encryption.as_ref()?.bucket_key_enabled
    }
}

impl Snapshot {
    /// Reads a snapshot from JSON text; `file` names it in errors.
    pub fn from_json(file: &str, text: &str) -> Result<Snapshot, SnapshotError> {
        let located = |e: serde_json::Error| SnapshotError {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            message: format!("{e}; see docs/snapshot.md for the snapshot format"),
        };
        let mut s: Snapshot = serde_json::from_str(text).map_err(located)?;
        // Which fields the file has (values skipped, not built).
        let present: BTreeMap<String, serde::de::IgnoredAny> =
            serde_json::from_str(text).map_err(located)?;
        for list in RESOURCE_LISTS.iter().chain(COMPUTE_LISTS) {
            if !present.contains_key(*list) {
                s.not_collected
                    .entry(list.to_string())
                    .or_insert_with(|| "absent from the snapshot".to_string());
            }
        }
        Ok(s)
    }

    /// The KMS key a key id, ARN or alias names, if the snapshot has it.
    pub fn key(&self, id: &str) -> Option<&KmsKey> {
        self.kms_keys.iter().find(|k| {
            k.arn == id
                || k.arn.rsplit('/').next() == Some(id)
                || k.aliases
                    .iter()
                    .any(|a| a == id || id.ends_with(&format!(":{a}")))
        })
    }
}
