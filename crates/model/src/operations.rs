//! The requests each backup and restore operation makes, per kind of protected resource:
//! the one definition of "what the service does". The permission model ([`crate::policies`])
//! must grant exactly the actions used here (a test holds the two together), and the
//! check (`vaultward-backup`) evaluates these steps, and only these, against an account.

use serde::Serialize;

use crate::params::{AssetType, Params};

/// Backup or restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Backup,
    Restore,
}

impl Op {
    pub fn parse(s: &str) -> Option<Op> {
        match s.trim() {
            "backup" => Some(Op::Backup),
            "restore" => Some(Op::Restore),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Backup => "backup",
            Op::Restore => "restore",
        }
    }

    /// The operation done, as in "not backed up".
    pub fn done(self) -> &'static str {
        match self {
            Op::Backup => "backed up",
            Op::Restore => "restored",
        }
    }
}

/// The kind of protected resource an operation works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Bucket,
    Table,
    Volume,
    Instance,
    /// An AWS Backup vault: the service reads what AWS Backup already protects.
    Vault,
}

impl Subject {
    /// The asset type it belongs to; vaults are checked whatever the selection.
    pub fn asset(self) -> Option<AssetType> {
        match self {
            Subject::Bucket => Some(AssetType::S3),
            Subject::Table => Some(AssetType::DynamoDb),
            Subject::Volume | Subject::Instance => Some(AssetType::Ec2),
            Subject::Vault => None,
        }
    }

    /// The service a KMS key of this resource is used through (`kms:ViaService`).
    pub fn service(self) -> &'static str {
        match self {
            Subject::Bucket => "s3",
            Subject::Table => "dynamodb",
            Subject::Volume | Subject::Instance => "ec2",
            Subject::Vault => "backup",
        }
    }
}

/// What a step's request is made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The protected resource itself (bucket, table, volume, instance), under its
    /// resource policy.
    Resource,
    /// Every object of the bucket, evaluated per group of objects that get the same answer.
    Objects,
    /// The KMS key of the data (each object group's key for a bucket), through the
    /// subject's service, under its key policy.
    Key,
    /// Another resource of the customer's account the operation creates or touches, as
    /// an ARN template: `{region}`, `{account}`, `{resource}` (the protected resource's
    /// ARN) and the names of [`Names`] are replaced.
    Arn(&'static str),
    /// A resource of the vendor's account (its export bucket): only the role's side is
    /// the customer's to check; the vendor's bucket policy is taken to allow the role.
    Vendor(&'static str),
}

/// When an S3 step applies to an object group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// Only with continuous backup enabled.
    Continuous,
    /// Only for objects the service uploads in parts (at least [`MULTIPART_THRESHOLD`]
    /// bytes): a multipart upload under SSE-KMS also needs `kms:Decrypt`.
    Multipart,
    /// Only when the customer named roles for restored instances
    /// (`--restore-instance-roles`); without, restored instances get no profile.
    InstanceRoles,
}

/// Objects of this size or more are uploaded in parts (the AWS CLI's and SDKs' default
/// `multipart_threshold`, 8 MiB).
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;

/// One request of an operation.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub subject: Subject,
    pub op: Op,
    pub action: &'static str,
    pub target: Target,
    /// Context keys the request carries (templates, as for [`Target::Arn`]).
    pub context: &'static [(&'static str, &'static str)],
    pub when: When,
    /// What the step is for, in words.
    pub why: &'static str,
}

/// The names the generated permissions use, which the requests carry.
#[derive(Debug, Clone)]
pub struct Names {
    pub vendor_tag_key: String,
    pub vendor_tag_value: String,
    pub restore_tag_key: String,
    pub role_path: String,
    pub name_token: String,
    pub restore_table_prefix: String,
    /// The first role named for restored instances, if any.
    pub restore_instance_role: Option<String>,
}

impl Default for Names {
    fn default() -> Self {
        Names::from(&Params::default())
    }
}

impl From<&Params> for Names {
    fn from(p: &Params) -> Self {
        Names {
            vendor_tag_key: p.vendor_tag_key.clone(),
            vendor_tag_value: p.vendor_tag_value.clone(),
            restore_tag_key: p.restore_tag_key.clone(),
            role_path: p.role_path.clone(),
            name_token: p.name_token.clone(),
            restore_table_prefix: p.restore_table_prefix.clone(),
            restore_instance_role: p.restore_instance_roles.first().cloned(),
        }
    }
}

impl Names {
    /// Replaces `{vendor_tag_key}`, `{vendor_tag_value}`, `{restore_tag_key}`,
    /// `{role_path}`, `{name_token}`, `{restore_table_prefix}`, `{restore_instance_role}`
    /// and the given extra names in `template`.
    pub fn fill(&self, template: &str, extra: &[(&str, &str)]) -> String {
        let mut out = template
            .replace("{vendor_tag_key}", &self.vendor_tag_key)
            .replace("{vendor_tag_value}", &self.vendor_tag_value)
            .replace("{restore_tag_key}", &self.restore_tag_key)
            .replace("{role_path}", &self.role_path)
            .replace("{name_token}", &self.name_token)
            .replace("{restore_table_prefix}", &self.restore_table_prefix)
            .replace(
                "{restore_instance_role}",
                self.restore_instance_role.as_deref().unwrap_or("none"),
            );
        for (k, v) in extra {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }
}

const VENDOR_TAG: &[(&str, &str)] = &[("aws:RequestTag/{vendor_tag_key}", "{vendor_tag_value}")];
const VENDOR_TAGGED: &[(&str, &str)] =
    &[("aws:ResourceTag/{vendor_tag_key}", "{vendor_tag_value}")];
const RESTORE_TAG: &[(&str, &str)] = &[("aws:RequestTag/{restore_tag_key}", "1")];
const RESTORE_TAGGED: &[(&str, &str)] = &[("aws:ResourceTag/{restore_tag_key}", "1")];
const SNAPSHOT: &str = "arn:aws:ec2:{region}::snapshot/snap-0vaultwardcheck";
const IMAGE: &str = "arn:aws:ec2:{region}::image/ami-0vaultwardcheck";
const NEW_VOLUME: &str = "arn:aws:ec2:{region}:{account}:volume/vol-0vaultwardcheck";
const NEW_INSTANCE: &str = "arn:aws:ec2:{region}:{account}:instance/i-0vaultwardcheck";
const RESTORED_TABLE: &str =
    "arn:aws:dynamodb:{region}:{account}:table/{restore_table_prefix}{resource_name}";
const NEW_ENI: &str = "arn:aws:ec2:{region}:{account}:network-interface/eni-0vaultwardcheck";

macro_rules! steps {
    ($( $subject:ident $op:ident $when:ident [$($action:literal),+] $target:expr, $ctx:expr, $why:literal; )*) => {
        &[ $( $( Step {
            subject: Subject::$subject,
            op: Op::$op,
            action: $action,
            target: $target,
            context: $ctx,
            when: When::$when,
            why: $why,
        }, )+ )* ]
    };
}

use Target::{Arn, Key, Objects, Resource, Vendor};

/// Every step of every operation.
pub static STEPS: &[Step] = steps! {
    // S3 backup: list the bucket, read every object with its tags and ACL, decrypt.
    Bucket Backup Always ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"] Resource, &[], "list the bucket's objects and versions";
    Bucket Backup Always ["s3:GetInventoryConfiguration", "s3:PutInventoryConfiguration"] Resource, &[], "list large buckets through S3 Inventory";
    Bucket Backup Always ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:GetObjectAcl", "s3:GetObjectVersionAcl"] Objects, &[], "read each object (every version) with its tags and ACL";
    Bucket Backup Always ["kms:Decrypt"] Key, &[], "decrypt objects encrypted under a KMS key";
    Bucket Backup Always ["organizations:DescribeOrganization"] Arn("*"), &[], "read the organization, to tell the account's own buckets";
    Bucket Backup Continuous ["s3:GetBucketNotification", "s3:PutBucketNotification"] Resource, &[], "send object events for continuous backup";
    Bucket Backup Continuous ["events:DescribeRule", "events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule"] Arn("arn:aws:events:{region}:{account}:rule/{name_token}S3ContinuousBackup"), &[], "manage the continuous-backup rule";
    Bucket Backup Continuous ["iam:PassRole"] Arn("arn:aws:iam::{account}:role{role_path}{name_token}S3ContinuousBackupEventBridgeRole"), &[("iam:PassedToService", "events.amazonaws.com")], "give the rule its role";
    // S3 restore: write every object back, with its ACL and tags, under the bucket's key.
    // No ACL is written: a body-borne ACL (PutObjectAcl) escapes every condition key, so the
    // role gets none, and an object's non-private ACL is a manual step of the restore.
    Bucket Restore Always ["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"] Objects, &[], "write each object back with its tags (and clean up a failed upload)";
    Bucket Restore Always ["kms:GenerateDataKey"] Key, &[], "encrypt restored objects under their KMS key";
    Bucket Restore Multipart ["kms:Decrypt"] Key, &[], "complete multipart uploads under SSE-KMS";

    // DynamoDB backup: point-in-time export to the vendor's bucket, streams for incrementals.
    // Point-in-time recovery and streams are the customer's to turn on: the role cannot
    // update customer tables (UpdateTable can also turn off deletion protection and drop
    // indexes, UpdateContinuousBackups turn off point-in-time recovery).
    Table Backup Always ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"] Resource, &[], "read the table's settings";
    Table Backup Always ["dynamodb:ExportTableToPointInTime", "dynamodb:CreateBackup"] Resource, &[], "export or back up the table";
    Table Backup Always ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"] Arn("{resource}/stream/2026-01-01T00:00:00.000"), &[], "read the table's stream for incrementals";
    Table Backup Always ["dynamodb:DescribeExport"] Arn("{resource}/export/01234567890123-abcdef01"), &[], "follow the export";
    Table Backup Always ["dynamodb:DescribeBackup"] Arn("{resource}/backup/01234567890123-abcdef01"), &[], "follow on-demand backups";
    Table Backup Always ["dynamodb:ListBackups", "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies"] Arn("*"), &[], "list backups and the auto-scaling settings";
    Table Backup Always ["s3:PutObject", "s3:PutObjectAcl", "s3:AbortMultipartUpload"] Vendor("arn:aws:s3:::vaultward-export/{resource_name}/part-0"), &[], "write the export into the vendor's bucket";
    Table Backup Always ["kms:Decrypt", "kms:DescribeKey"] Key, &[], "read a table encrypted under a customer key";
    // DynamoDB restore: into a new table named with the restore prefix (only such tables
    // can be written, updated or deleted), from a backup, a point in time of the table, or
    // an import of the export; then its items, settings and auto-scaling.
    Table Restore Always ["dynamodb:CreateTable", "dynamodb:CreateTableReplica", "dynamodb:UpdateTableReplicaAutoScaling", "dynamodb:ImportTable", "dynamodb:DescribeTable", "dynamodb:RestoreTableFromBackup", "dynamodb:RestoreTableToPointInTime", "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateTable", "dynamodb:UpdateContinuousBackups"] Arn(RESTORED_TABLE), &[], "create or restore the table under the restore prefix, with its settings and tags";
    Table Restore Always ["dynamodb:RestoreTableToPointInTime"] Resource, &[], "restore from the table's point in time (authorized on the source table too)";
    Table Restore Always ["dynamodb:RestoreTableFromBackup"] Arn("{resource}/backup/01234567890123-abcdef01"), &[], "restore from an on-demand backup (authorized on the backup too)";
    Table Restore Always ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"] Arn(RESTORED_TABLE), &[], "write the items back into the restored table";
    Table Restore Always ["dynamodb:DeleteTable"] Arn(RESTORED_TABLE), &[], "remove a table whose restore failed";
    Table Restore Always ["dynamodb:DescribeImport"] Arn("arn:aws:dynamodb:{region}:{account}:table/{restore_table_prefix}{resource_name}/import/01234567890123-abcdef01"), &[], "follow the import";
    Table Restore Always ["s3:GetObject"] Vendor("arn:aws:s3:::vaultward-export/{resource_name}/part-0"), &[], "read the export back from the vendor's bucket";
    Table Restore Always ["s3:ListBucket"] Vendor("arn:aws:s3:::vaultward-export"), &[], "list the export in the vendor's bucket";
    Table Restore Always ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:PutRetentionPolicy"] Arn("arn:aws:logs:{region}:{account}:log-group:/aws-dynamodb/imports:*"), &[], "write the import's logs";
    Table Restore Always ["logs:DescribeLogGroups"] Arn("*"), &[], "find the import's log group";
    Table Restore Always ["application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget"] Arn("arn:aws:application-autoscaling:{region}:{account}:scalable-target/vaultwardcheck"), &[], "restore the auto-scaling settings";
    Table Restore Always ["iam:CreateServiceLinkedRole"] Arn("arn:aws:iam::{account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"), &[("iam:AWSServiceName", "dynamodb.application-autoscaling.amazonaws.com")], "create auto-scaling's service-linked role";
    Table Restore Always ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"] Key, &[], "write a table encrypted under a customer key";
    Table Restore Always ["kms:CreateGrant"] Key, &[("kms:GrantIsForAWSResource", "true")], "let DynamoDB use the key for the restored table";

    // EBS volume backup: a vendor-tagged snapshot, read block by block, expired later.
    Volume Backup Always ["ec2:CreateSnapshot"] Resource, &[], "snapshot the volume";
    Volume Backup Always ["ec2:CreateSnapshot"] Arn(SNAPSHOT), VENDOR_TAG, "create the snapshot with the vendor tag";
    Volume Backup Always ["ec2:CreateTags"] Arn(SNAPSHOT), &[("ec2:CreateAction", "CreateSnapshot"), ("aws:RequestTag/{vendor_tag_key}", "{vendor_tag_value}")], "tag the snapshot as it is created";
    Volume Backup Always ["ebs:ListSnapshotBlocks", "ebs:ListChangedBlocks", "ebs:GetSnapshotBlock"] Arn(SNAPSHOT), VENDOR_TAGGED, "read the snapshot's blocks";
    Volume Backup Always ["ec2:DeleteSnapshot", "ec2:DeleteTags"] Arn(SNAPSHOT), VENDOR_TAGGED, "expire the vendor's snapshots";
    Volume Backup Always ["kms:Decrypt", "kms:DescribeKey"] Key, &[], "read an encrypted volume's snapshot";
    // EC2 instance backup: multi-volume snapshots and an image of them.
    Instance Backup Always ["ec2:CreateSnapshots"] Resource, &[], "snapshot the instance's volumes together";
    Instance Backup Always ["ec2:CreateSnapshots"] Arn(SNAPSHOT), VENDOR_TAG, "create the snapshots with the vendor tag";
    Instance Backup Always ["ec2:CreateTags"] Arn(SNAPSHOT), &[("ec2:CreateAction", "CreateSnapshots"), ("aws:RequestTag/{vendor_tag_key}", "{vendor_tag_value}")], "tag the snapshots as they are created";
    Instance Backup Always ["ec2:RegisterImage"] Arn(SNAPSHOT), VENDOR_TAGGED, "register an image of the snapshots";
    Instance Backup Always ["ec2:RegisterImage"] Arn(IMAGE), VENDOR_TAG, "register the image with the vendor tag";
    Instance Backup Always ["ec2:CreateTags"] Arn(IMAGE), &[("ec2:CreateAction", "RegisterImage"), ("aws:RequestTag/{vendor_tag_key}", "{vendor_tag_value}")], "tag the image as it is registered";
    Instance Backup Always ["ec2:DeregisterImage", "ec2:DeleteTags"] Arn(IMAGE), VENDOR_TAGGED, "expire the vendor's images";
    Instance Backup Always ["iam:GetInstanceProfile"] Arn("arn:aws:iam::{account}:instance-profile/vaultwardcheck"), &[], "record the instance's profile";
    Instance Backup Always ["iam:GetRole"] Arn("arn:aws:iam::{account}:role/vaultwardcheck"), &[], "record the instance profile's role";

    // EBS volume restore: write a snapshot through the EBS direct APIs, create a
    // restore-tagged volume from it, attach it.
    Volume Restore Always ["ebs:StartSnapshot"] Arn(SNAPSHOT), VENDOR_TAG, "start a snapshot to write the backup into";
    Volume Restore Always ["ebs:PutSnapshotBlock", "ebs:CompleteSnapshot"] Arn(SNAPSHOT), VENDOR_TAGGED, "write the blocks";
    Volume Restore Always ["ec2:CreateVolume"] Arn(NEW_VOLUME), RESTORE_TAG, "create the restored volume";
    Volume Restore Always ["ec2:CreateVolume"] Arn(SNAPSHOT), VENDOR_TAGGED, "create it from the snapshot written (authorized on the snapshot too)";
    Volume Restore Always ["ec2:CreateTags"] Arn(NEW_VOLUME), &[("ec2:CreateAction", "CreateVolume"), ("aws:RequestTag/{restore_tag_key}", "1")], "tag the volume as it is created";
    Volume Restore Always ["ec2:AttachVolume"] Arn(NEW_VOLUME), RESTORE_TAGGED, "attach the restored volume (authorized on the volume)";
    Volume Restore Always ["ec2:AttachVolume"] Arn("arn:aws:ec2:{region}:{account}:instance/i-0vaultwardattach"), &[], "attach it to the instance the restore request names, restored or not (authorized on the instance too)";
    Volume Restore Always ["ec2:DetachVolume", "ec2:DeleteVolume", "ec2:DeleteTags"] Arn(NEW_VOLUME), RESTORE_TAGGED, "detach and remove a volume whose restore failed";
    Volume Restore Always ["kms:CreateGrant"] Key, &[("kms:GrantIsForAWSResource", "true")], "let EC2 use the key for the restored volume";
    Volume Restore Always ["kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:Decrypt", "kms:DescribeKey"] Key, &[], "encrypt the restored volume under its key";
    // EC2 instance restore: launch a restore-tagged instance from a restored image.
    Instance Restore Always ["ec2:CreateSnapshot", "ec2:CreateSnapshots"] Arn(SNAPSHOT), RESTORE_TAG, "create the restored image's snapshots";
    Instance Restore Always ["ec2:RegisterImage"] Arn(IMAGE), RESTORE_TAG, "register the restored image with the restore tag";
    Instance Restore Always ["ec2:CreateTags"] Arn(IMAGE), &[("ec2:CreateAction", "RegisterImage"), ("aws:RequestTag/{restore_tag_key}", "1")], "tag the restored image as it is registered";
    Instance Restore Always ["ec2:DeregisterImage"] Arn(IMAGE), RESTORE_TAGGED, "deregister the restored image when the restore fails";
    Instance Restore Always ["ec2:RegisterImage"] Arn(SNAPSHOT), RESTORE_TAGGED, "register the image from its snapshots";
    Instance Restore Always ["ec2:RunInstances"] Arn(NEW_INSTANCE), RESTORE_TAG, "launch the restored instance";
    Instance Restore Always ["ec2:RunInstances"] Arn(NEW_VOLUME), RESTORE_TAG, "launch it with its volumes";
    Instance Restore Always ["ec2:RunInstances"] Arn(NEW_ENI), RESTORE_TAG, "launch it with its network interface";
    Instance Restore Always ["ec2:RunInstances"] Arn(IMAGE), &[("ec2:Owner", "{account}")], "launch it from the restored image (registered in the account)";
    Instance Restore Always ["ec2:RunInstances"] Arn(SNAPSHOT), &[("ec2:Owner", "{account}")], "launch it from the image's snapshots";
    Instance Restore Always ["ec2:RunInstances"] Arn("arn:aws:ec2:{region}:{account}:subnet/subnet-0vaultwardcheck"), &[], "launch it into its subnet";
    Instance Restore Always ["ec2:RunInstances"] Arn("arn:aws:ec2:{region}:{account}:security-group/sg-0vaultwardcheck"), &[], "launch it with its security groups";
    Instance Restore Always ["ec2:RunInstances"] Arn("arn:aws:ec2:{region}:{account}:key-pair/vaultwardcheck"), &[], "launch it with its key pair";
    Instance Restore Always ["ec2:RunInstances"] Arn("arn:aws:ec2:{region}:{account}:placement-group/vaultwardcheck"), &[], "launch it into its placement group";
    Instance Restore Always ["ec2:CreateTags"] Arn(NEW_INSTANCE), &[("ec2:CreateAction", "RunInstances"), ("aws:RequestTag/{restore_tag_key}", "1")], "tag the instance as it launches";
    Instance Restore Always ["ec2:StartInstances", "ec2:StopInstances", "ec2:TerminateInstances", "ec2:DeleteTags"] Arn(NEW_INSTANCE), RESTORE_TAGGED, "start the restored instance, or remove it when the restore fails";
    Instance Restore Always ["ec2:DeleteNetworkInterface"] Arn(NEW_ENI), RESTORE_TAGGED, "remove a failed restore's network interface";
    Instance Restore Always ["ec2:AssociateAddress"] Arn(NEW_INSTANCE), RESTORE_TAGGED, "give the restored instance its address";
    Instance Restore Always ["ec2:AssociateAddress"] Arn("arn:aws:ec2:{region}:{account}:elastic-ip/eipalloc-0vaultwardcheck"), &[], "move the instance's elastic IP to it";
    // Vaults: what AWS Backup already protects, read before each backup.
    Vault Backup Always ["backup:DescribeBackupVault", "backup:ListRecoveryPointsByBackupVault"] Resource, &[], "read what AWS Backup already protects";
    Instance Restore InstanceRoles ["iam:PassRole"] Arn("arn:aws:iam::{account}:role/{restore_instance_role}"), &[("iam:PassedToService", "ec2.amazonaws.com")], "give the restored instance a profile's role the customer named";
    Instance Restore InstanceRoles ["ec2:RunInstances"] Arn(NEW_INSTANCE), &[("aws:RequestTag/{restore_tag_key}", "1"), ("ec2:InstanceProfile", "arn:aws:iam::{account}:instance-profile/{restore_instance_role}")], "launch it with that profile";
};

/// The steps of `subject`'s `op`.
pub fn steps(subject: Subject, op: Op) -> impl Iterator<Item = &'static Step> {
    STEPS
        .iter()
        .filter(move |s| s.subject == subject && s.op == op)
}
