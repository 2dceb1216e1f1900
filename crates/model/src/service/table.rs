//! The table: every statement of the permissions file, in the file's order, each with the
//! requests it is there for. A request row is `PART WHEN [actions] TARGET, CONTEXT, "why";`
//! where PART is a step (`Bucket Backup`: the subject and the operation, which `check`
//! evaluates), a standing need (`Inventory S3`: the purpose and the asset type, or `Any`),
//! or, under a Deny, a request it refuses (`Refused Any`).
//! Templates: `{account}`, `{vendor_account}`, `{region}`, `{resource}` (the protected
//! resource's ARN), `{resource_name}` and the names of [`super::Names`]; in grants,
//! `{via_services}`, `{restore_instance_roles}` and `{restore_instance_profiles}` are lists.
//!
//! Specified from the backup vendor's permissions file (`shared/seeds`), with its typos and
//! duplicates fixed, its actions checked against the catalog, and its grants narrowed
//! where they opened an escalation or a destruction path (`docs/permission-model.md`).
//! Tag rules: everything the service creates carries the vendor tag; resources being
//! restored carry the restore tag; `ec2:CreateTags` is allowed only as part of a create
//! action.

use super::{
    AssetType, Cond, Effect, Grant, Need, Op, Part, Policy, Purpose, Subject, Target, When,
};
use Target::{Arn, Key, Objects, Resource, Vendor};

macro_rules! part {
    (Bucket $op:ident) => {
        Part::Step(Subject::Bucket, Op::$op)
    };
    (Table $op:ident) => {
        Part::Step(Subject::Table, Op::$op)
    };
    (Volume $op:ident) => {
        Part::Step(Subject::Volume, Op::$op)
    };
    (Instance $op:ident) => {
        Part::Step(Subject::Instance, Op::$op)
    };
    (Vault $op:ident) => {
        Part::Step(Subject::Vault, Op::$op)
    };
    (Refused Any) => {
        Part::Refused
    };
    ($purpose:ident Any) => {
        Part::Standing(Purpose::$purpose, None)
    };
    ($purpose:ident $asset:ident) => {
        Part::Standing(Purpose::$purpose, Some(AssetType::$asset))
    };
}

macro_rules! table {
    ($(
        $($policy:ident)|+ $effect:ident $sid:literal [$($res:expr),* $(,)?] $conds:expr => {
            $( $a:ident $b:ident $when:ident [$($action:literal),+ $(,)?] $target:expr, $ctx:expr, $why:literal; )*
        }
    )*) => {
        &[ $( Grant {
            policies: &[$(Policy::$policy),+],
            sid: $sid,
            effect: Effect::$effect,
            resources: &[$($res),*],
            conditions: $conds,
            needs: &[ $( Need {
                part: part!($a $b),
                when: When::$when,
                actions: &[$($action),+],
                target: $target,
                context: $ctx,
                why: $why,
            }, )* ],
        }, )* ]
    };
}

// Request context.
const NONE: &[(&str, &str)] = &[];
const VENDOR_TAG: &[(&str, &str)] = &[("aws:RequestTag/{vendor_tag_key}", "{vendor_tag_value}")];
const VENDOR_TAGGED: &[(&str, &str)] =
    &[("aws:ResourceTag/{vendor_tag_key}", "{vendor_tag_value}")];
const RESTORE_TAG: &[(&str, &str)] = &[("aws:RequestTag/{restore_tag_key}", "1")];
const RESTORE_TAGGED: &[(&str, &str)] = &[("aws:ResourceTag/{restore_tag_key}", "1")];
const FOR_AWS_RESOURCE: &[(&str, &str)] = &[("kms:GrantIsForAWSResource", "true")];
const IN_THE_ACCOUNT: &[(&str, &str)] = &[("ec2:Owner", "{account}")];

// The resources requests are made on.
const BACKUP_ROLE: &str = "arn:aws:iam::{account}:role{role_path}{name_token}BackupRole";
const EVENT_TOPIC: &str = "arn:aws:sns:{region}:{account}:{name_token}EventPub";
const INVENTORY_RULE: &str = "arn:aws:events:{region}:{account}:rule/{name_token}InventoryChanges";
const BUCKET: &str = "arn:aws:s3:::customer-data";
const SNAPSHOT: &str = "arn:aws:ec2:{region}::snapshot/snap-0vaultwardcheck";
const IMAGE: &str = "arn:aws:ec2:{region}::image/ami-0vaultwardcheck";
const NEW_VOLUME: &str = "arn:aws:ec2:{region}:{account}:volume/vol-0vaultwardcheck";
const NEW_INSTANCE: &str = "arn:aws:ec2:{region}:{account}:instance/i-0vaultwardcheck";
const NEW_ENI: &str = "arn:aws:ec2:{region}:{account}:network-interface/eni-0vaultwardcheck";
const NAMED_INSTANCE: &str = "arn:aws:ec2:{region}:{account}:instance/i-0vaultwardattach";
const RESTORED_TABLE: &str =
    "arn:aws:dynamodb:{region}:{account}:table/{restore_table_prefix}{resource_name}";
const TABLE_BACKUP: &str = "{resource}/backup/01234567890123-abcdef01";
const EXPORT_OBJECT: &str = "arn:aws:s3:::vaultward-export/{resource_name}/part-0";

// Resource patterns of grants.
const OWN_ROLES: &str = "arn:aws:iam::{account}:role{role_path}{name_token}*";
const KEYS: &str = "arn:aws:kms:*:{account}:key/*";
const BUCKETS: &str = "arn:aws:s3:::*";
const OBJECTS: &str = "arn:aws:s3:::*/*";
const TABLES: &str = "arn:aws:dynamodb:*:{account}:table/*";
const SNAPSHOTS: &str = "arn:aws:ec2:*::snapshot/*";
const IMAGES: &str = "arn:aws:ec2:*::image/*";
const VOLUMES: &str = "arn:aws:ec2:*:{account}:volume/*";
const INSTANCES: &str = "arn:aws:ec2:*:{account}:instance/*";
const ENIS: &str = "arn:aws:ec2:*:{account}:network-interface/*";

// Conditions of grants.
const ALWAYS: &[Cond] = &[];
const OWN_ACCOUNT: &[Cond] = &[Cond::new(
    "StringEquals",
    "s3:ResourceAccount",
    &["{account}"],
)];
const VENDOR_ACCOUNT: &[Cond] = &[Cond::new(
    "StringEquals",
    "s3:ResourceAccount",
    &["{vendor_account}"],
)];
const WITH_VENDOR_TAG: &[Cond] = &[Cond::new(
    "StringEquals",
    "aws:RequestTag/{vendor_tag_key}",
    &["{vendor_tag_value}"],
)];
const VENDOR_TAGGED_ONLY: &[Cond] = &[Cond::new(
    "StringEquals",
    "aws:ResourceTag/{vendor_tag_key}",
    &["{vendor_tag_value}"],
)];
const WITH_RESTORE_TAG: &[Cond] = &[Cond::new(
    "StringLike",
    "aws:RequestTag/{restore_tag_key}",
    &["*"],
)];
const RESTORE_TAGGED_ONLY: &[Cond] = &[Cond::new(
    "StringLike",
    "aws:ResourceTag/{restore_tag_key}",
    &["*"],
)];

/// Every statement of the permissions file, with what it is for.
#[rustfmt::skip]
pub static TABLE: &[Grant] = table! {
    // ── The base policy: the service validates what the permissions file deployed, and
    // detects drift in it (the seed's base and drift-detection policies, folded into one:
    // a role holds at most 10 managed policies by default).
    Base Allow "ReadOwnRolesAndPolicies" [OWN_ROLES] ALWAYS => {
        Validation Any Always ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies"] Arn(BACKUP_ROLE), NONE, "validate its own roles (the backup, support and continuous-backup roles) and their policies";
        DriftDetection Any Always ["iam:ListRoleTags", "iam:ListInstanceProfilesForRole"] Arn(BACKUP_ROLE), NONE, "detect changes to its own roles";
    }
    Base Allow "ReadOwnManagedPolicies" ["arn:aws:iam::{account}:policy{role_path}{name_token}*"] ALWAYS => {
        Validation Any Always ["iam:GetPolicy", "iam:GetPolicyVersion"] Arn("arn:aws:iam::{account}:policy{role_path}{name_token}BasePolicy"), NONE, "read its managed policies' definitions, to validate them";
    }
    Base Allow "ReadAccountAlias" ["*"] ALWAYS => {
        Validation Any Always ["iam:ListAccountAliases"] Arn("*"), NONE, "fetch the account's alias";
    }
    Base Allow "ReadOwnTopicAndRules" ["arn:aws:sns:*:{account}:{name_token}EventPub", "arn:aws:events:*:{account}:rule/{name_token}*"] ALWAYS => {
        Validation Any Always ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:ListTagsForResource"] Arn(EVENT_TOPIC), NONE, "validate its event topic (and detect changes to it)";
        Validation Any Always ["events:DescribeRule", "events:ListTargetsByRule", "events:ListTagsForResource"] Arn(INVENTORY_RULE), NONE, "validate its EventBridge rules (and detect changes to them)";
    }
    Base Allow "DetectDrift" ["arn:aws:cloudformation:*:{account}:stack/{name_token}*"] ALWAYS => {
        DriftDetection Any Always ["cloudformation:DescribeStacks", "cloudformation:DescribeStackResources", "cloudformation:DetectStackResourceDrift"] Arn("arn:aws:cloudformation:{region}:{account}:stack/{name_token}Stack/1"), NONE, "detect drift in the stack that deployed the permissions file";
    }
    Base Allow "SimulateOwnPolicies" [OWN_ROLES] ALWAYS => {
        DriftDetection Any Always ["iam:SimulatePrincipalPolicy", "iam:GetContextKeysForPrincipalPolicy"] Arn(BACKUP_ROLE), NONE, "simulate its own policies, to tell what a change to them does";
    }
    Base Allow "ReadServiceLinkedRoleDeletion" ["*"] ALWAYS => {
        DriftDetection Any Always ["iam:GetServiceLinkedRoleDeletionStatus", "events:DescribeEventBus"] Arn("*"), NONE, "detect changes to the service-linked roles and event buses it uses";
    }

    // ── The inventory policy: list the selected assets and read the account's
    // configuration, read-only.
    Inventory Allow "ListProtectedResources" ["*"] ALWAYS => {
        Inventory Any Always ["backup:ListProtectedResources"] Arn("*"), NONE, "see the resources AWS Backup already protects";
        Inventory Any Always ["cloudwatch:GetMetricStatistics"] Arn("*"), NONE, "read the buckets' metrics (size, object count)";
        Inventory Any Always ["kms:DescribeKey"] Arn("*"), NONE, "describe the keys that encrypt the assets";
    }
    // What `vaultward collect` reads besides the assets: the account's IAM configuration,
    // the organization's policies on the account's path (readable from the management
    // account or a delegated administrator), keys and their policies, and the regions.
    Inventory Allow "CollectAccountConfiguration" ["*"] ALWAYS => {
        Inventory Any Always ["iam:GetAccountAuthorizationDetails", "organizations:DescribeOrganization", "organizations:ListParents", "organizations:ListPoliciesForTarget", "organizations:DescribePolicy", "kms:ListKeys", "kms:ListAliases", "kms:GetKeyPolicy", "kms:ListGrants", "ec2:DescribeRegions", "backup:ListBackupVaults"] Arn("*"), NONE, "collect the account's IAM configuration, the organization's policies, the keys with their policies and grants, the regions and vaults (`vaultward collect`)";
    }
    // The compute a principal can take over or run code as, for `vaultward audit`'s
    // escalation paths (issue 30): each resource with the role it runs as. Read-only, but
    // not harmless: ListFunctions, BatchGetProjects and DescribeTaskDefinition return
    // environment variables, and DescribeStacks parameters that are not NoEcho; the
    // collector keeps only the names, ARNs and roles.
    Inventory Allow "CollectCompute" ["*"] ALWAYS => {
        Inventory Any Always ["lambda:ListFunctions", "lambda:ListEventSourceMappings", "cloudformation:DescribeStacks", "sagemaker:ListNotebookInstances", "sagemaker:DescribeNotebookInstance", "glue:GetDevEndpoints", "codebuild:ListProjects", "codebuild:BatchGetProjects", "ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition", "ssm:DescribeInstanceInformation"] Arn("*"), NONE, "collect the functions, stacks, notebooks, development endpoints, build projects, task definitions and managed nodes, each with the role it runs as (`vaultward collect`, for `audit`)";
        Inventory Any Always ["ec2:DescribeInstances"] Arn("*"), NONE, "read the instance profile of each node Systems Manager manages";
    }
    // Vaults: what AWS Backup already protects, read before each backup.
    Inventory Allow "ReadBackupVaults" ["arn:aws:backup:*:{account}:backup-vault:*"] ALWAYS => {
        Vault Backup Always ["backup:DescribeBackupVault"] Resource, NONE, "read the vault";
        Inventory Any Always ["backup:GetBackupVaultAccessPolicy"] Arn("arn:aws:backup:{region}:{account}:backup-vault:Default"), NONE, "collect the vault's access policy";
        Vault Backup Always ["backup:ListRecoveryPointsByBackupVault"] Resource, NONE, "read what AWS Backup already protects in it";
    }
    Inventory Allow "InventoryS3" ["*"] ALWAYS => {
        Inventory S3 Always ["s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetEncryptionConfiguration", "s3:GetBucketVersioning", "s3:GetBucketPolicy", "s3:GetBucketTagging", "s3:GetReplicationConfiguration", "s3:GetLifecycleConfiguration", "s3:GetBucketLogging", "s3:GetBucketOwnershipControls", "s3:GetBucketPublicAccessBlock"] Arn(BUCKET), NONE, "list the buckets and their configuration";
    }
    // Object listings and each object's encryption key, only in the account's own buckets:
    // this overlaps the backup policy's object reads, no broader.
    Inventory Allow "InventoryS3Objects" [BUCKETS, OBJECTS] OWN_ACCOUNT => {
        Inventory S3 Always ["s3:ListBucketVersions"] Arn(BUCKET), NONE, "list the object versions, with their size and owner";
        Inventory S3 Always ["s3:GetObject", "s3:GetObjectVersion"] Arn("arn:aws:s3:::customer-data/reports/2026/q1.csv"), NONE, "read each object's encryption key (HeadObject, the only call that returns it, needs s3:GetObject)";
    }
    Inventory Allow "InventoryDynamoDb" ["*"] ALWAYS => {
        Inventory DynamoDb Always ["dynamodb:DescribeBackup", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTable", "dynamodb:DescribeTableReplicaAutoScaling", "dynamodb:ListBackups", "dynamodb:ListTables", "dynamodb:ListTagsOfResource"] Arn("arn:aws:dynamodb:{region}:{account}:table/orders"), NONE, "list the tables and their settings";
        Inventory DynamoDb Always ["dynamodb:DescribeGlobalTable", "dynamodb:DescribeGlobalTableSettings", "dynamodb:ListGlobalTables"] Arn("arn:aws:dynamodb::{account}:global-table/orders"), NONE, "list the global tables and their settings";
    }
    Inventory Allow "InventoryEc2" ["*"] ALWAYS => {
        Inventory Ec2 Always ["ec2:DescribeImageAttribute", "ec2:DescribeImages", "ec2:DescribeInstanceAttribute", "ec2:DescribeInstanceStatus", "ec2:DescribeInstances", "ec2:DescribeInstanceTypes", "ec2:DescribeInstanceCreditSpecifications", "ec2:DescribeInstanceTypeOfferings", "ec2:DescribeTags", "ec2:DescribeSnapshots", "ec2:DescribeAvailabilityZones", "ec2:DescribeSecurityGroups"] Arn("*"), NONE, "list the instances and images";
        Inventory Ec2 Always ["ec2:DescribeFastSnapshotRestores", "ec2:DescribeSnapshotAttribute", "ec2:DescribeVolumeAttribute", "ec2:DescribeVolumeStatus", "ec2:DescribeVolumes"] Arn("*"), NONE, "list the volumes and snapshots";
        Inventory Ec2 Always ["ec2:DescribeCapacityReservations", "ec2:DescribeAddresses", "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeKeyPairs"] Arn("*"), NONE, "read what an instance is attached to, to back it up and validate its restore";
    }

    // ── The KMS policy: customer keys, only through the services of the selected assets,
    // and only the key actions of the selected steps. Each key action, with the steps that
    // use it. EBS: "Amazon EBS encryption requirements", Amazon EBS User Guide
    // (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html:
    // CreateGrant, Decrypt, DescribeKey, GenerateDataKeyWithoutPlaintext, ReEncrypt*).
    Kms Allow "UseKeysThroughBackedUpServices" [KEYS] &[Cond::new("StringEquals", "kms:ViaService", &["{via_services}"])] => {
        Bucket Backup Always ["kms:Decrypt"] Key, NONE, "decrypt objects encrypted under a KMS key";
        Bucket Restore Multipart ["kms:Decrypt"] Key, NONE, "complete multipart uploads under SSE-KMS";
        Table Backup Always ["kms:Decrypt"] Key, NONE, "read a table encrypted under a customer key";
        Table Restore Always ["kms:Decrypt"] Key, NONE, "write a table encrypted under a customer key";
        Volume Backup Always ["kms:Decrypt"] Key, NONE, "read an encrypted volume's snapshot";
        Volume Restore Always ["kms:Decrypt"] Key, NONE, "encrypt the restored volume under its key";
        Table Restore Always ["kms:Encrypt"] Key, NONE, "write a table encrypted under a customer key";
        Volume Restore Always ["kms:ReEncryptFrom", "kms:ReEncryptTo"] Key, NONE, "encrypt the restored volume under its key";
        Bucket Restore Always ["kms:GenerateDataKey"] Key, NONE, "encrypt restored objects under their KMS key";
        Table Restore Always ["kms:GenerateDataKey"] Key, NONE, "write a table encrypted under a customer key";
        Volume Restore Always ["kms:GenerateDataKeyWithoutPlaintext"] Key, NONE, "encrypt the restored volume under its key";
        Table Backup Always ["kms:DescribeKey"] Key, NONE, "read a table encrypted under a customer key";
        Table Restore Always ["kms:DescribeKey"] Key, NONE, "write a table encrypted under a customer key";
        Volume Backup Always ["kms:DescribeKey"] Key, NONE, "read an encrypted volume's snapshot";
        Volume Restore Always ["kms:DescribeKey"] Key, NONE, "encrypt the restored volume under its key";
    }
    Kms Allow "GrantsForAwsResourcesOnly" [KEYS] &[Cond::new("Bool", "kms:GrantIsForAWSResource", &["true"])] => {
        Table Restore Always ["kms:CreateGrant"] Key, FOR_AWS_RESOURCE, "let DynamoDB use the key for the restored table";
        Volume Restore Always ["kms:CreateGrant"] Key, FOR_AWS_RESOURCE, "let EC2 use the key for the restored volume";
    }

    // ── S3 backup: list the bucket, read every object with its tags and ACL. Customer data
    // is read and written only in the customer's own buckets (`s3:ResourceAccount`).
    S3Backup Allow "ReadBucketsForBackup" [BUCKETS] OWN_ACCOUNT => {
        Bucket Backup Always ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"] Resource, NONE, "list the bucket's objects and versions";
        Bucket Backup Always ["s3:GetInventoryConfiguration", "s3:PutInventoryConfiguration"] Resource, NONE, "list large buckets through S3 Inventory";
    }
    S3Backup Allow "ReadObjectsForBackup" [OBJECTS] OWN_ACCOUNT => {
        Bucket Backup Always ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:GetObjectAcl", "s3:GetObjectVersionAcl"] Objects, NONE, "read each object (every version) with its tags and ACL";
    }
    S3Backup Allow "ReadOrganization" ["*"] ALWAYS => {
        Bucket Backup Always ["organizations:DescribeOrganization"] Arn("*"), NONE, "read the organization, to tell the account's own buckets";
    }
    S3Backup Allow "ConfigureBucketNotifications" [BUCKETS] OWN_ACCOUNT => {
        Bucket Backup Continuous ["s3:GetBucketNotification", "s3:PutBucketNotification"] Resource, NONE, "send object events for continuous backup";
    }
    S3Backup Allow "ManageOwnRules" ["arn:aws:events:*:{account}:rule/{name_token}*"] ALWAYS => {
        Bucket Backup Continuous ["events:DescribeRule", "events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets", "events:ListTargetsByRule"] Arn("arn:aws:events:{region}:{account}:rule/{name_token}S3ContinuousBackup"), NONE, "manage the continuous-backup rule";
    }
    S3Backup Allow "PassEventBridgeRole" ["arn:aws:iam::{account}:role{role_path}{name_token}S3ContinuousBackupEventBridgeRole"] &[Cond::new("StringEquals", "iam:PassedToService", &["events.amazonaws.com"])] => {
        Bucket Backup Continuous ["iam:PassRole"] Arn("arn:aws:iam::{account}:role{role_path}{name_token}S3ContinuousBackupEventBridgeRole"), &[("iam:PassedToService", "events.amazonaws.com")], "give the rule its role";
    }

    // ── S3 restore: write every object back with its tags, under the bucket's key. No ACL
    // is written: `s3:PutObjectAcl` takes an ACL in its body, which no condition key sees,
    // so it is not granted, and PutObject only without ACL headers other than the private
    // ones (`s3:x-amz-acl`, `s3:x-amz-grant-*`); an object's non-private ACL is a manual
    // step of the restore. Nothing is deleted: a failed upload is aborted.
    S3Restore Allow "WriteObjectsForRestore" [OBJECTS] &[
        Cond::new("StringEquals", "s3:ResourceAccount", &["{account}"]),
        Cond::new("StringEqualsIfExists", "s3:x-amz-acl", &["private", "bucket-owner-full-control"]),
        Cond::new("Null", "s3:x-amz-grant-read", &["true"]),
        Cond::new("Null", "s3:x-amz-grant-read-acp", &["true"]),
        Cond::new("Null", "s3:x-amz-grant-write-acp", &["true"]),
        Cond::new("Null", "s3:x-amz-grant-full-control", &["true"]),
    ] => {
        Bucket Restore Always ["s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"] Objects, NONE, "write each object back with its tags (and clean up a failed upload)";
    }

    // ── DynamoDB backup: point-in-time export to the vendor's bucket, streams for
    // incrementals. Point-in-time recovery and streams are the customer's to turn on: the
    // role cannot update customer tables (UpdateTable can also turn off deletion protection
    // and drop indexes, UpdateContinuousBackups turn off point-in-time recovery).
    DynamoDbBackup Allow "ExportAndBackUpTables" [TABLES] ALWAYS => {
        Table Backup Always ["dynamodb:ExportTableToPointInTime", "dynamodb:CreateBackup"] Resource, NONE, "export or back up the table";
        Table Backup Always ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"] Resource, NONE, "read the table's settings";
    }
    DynamoDbBackup Allow "ReadStreamsAndExports" ["arn:aws:dynamodb:*:{account}:table/*/*"] ALWAYS => {
        Table Backup Always ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"] Arn("{resource}/stream/2026-01-01T00:00:00.000"), NONE, "read the table's stream for incrementals";
        Table Backup Always ["dynamodb:DescribeExport"] Arn("{resource}/export/01234567890123-abcdef01"), NONE, "follow the export";
        Table Backup Always ["dynamodb:DescribeBackup"] Arn(TABLE_BACKUP), NONE, "follow on-demand backups";
    }
    DynamoDbBackup Allow "ListBackups" ["*"] ALWAYS => {
        Table Backup Always ["dynamodb:ListBackups", "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies"] Arn("*"), NONE, "list backups and the auto-scaling settings";
    }
    // The export target is the vendor's: no other bucket can receive data.
    DynamoDbBackup Allow "WriteExportsToVendorBuckets" [OBJECTS] VENDOR_ACCOUNT => {
        Table Backup Always ["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"] Vendor(EXPORT_OBJECT), NONE, "write the export into the vendor's bucket";
    }

    // ── DynamoDB restore: into a new table named with the restore prefix, from a backup, a
    // point in time of the table, or an import of the export; then its items, settings and
    // auto-scaling. Everything that writes, updates or deletes a table is limited to tables
    // named with the prefix: DynamoDB has no condition key that tells the tags of a create
    // from the tags of an existing table (EC2's `ec2:CreateAction`), so a tag the role can
    // set would let it mark, then delete, any customer table.
    DynamoDbRestore Allow "RestoreOnlyIntoPrefixedTables" ["arn:aws:dynamodb:*:{account}:table/{restore_table_prefix}*"] ALWAYS => {
        Table Restore Always ["dynamodb:CreateTable", "dynamodb:CreateTableReplica", "dynamodb:UpdateTableReplicaAutoScaling", "dynamodb:ImportTable", "dynamodb:DescribeTable", "dynamodb:RestoreTableFromBackup", "dynamodb:RestoreTableToPointInTime", "dynamodb:TagResource", "dynamodb:UntagResource", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateTable", "dynamodb:UpdateContinuousBackups"] Arn(RESTORED_TABLE), NONE, "create or restore the table under the restore prefix, with its settings and tags";
        Table Restore Always ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem"] Arn(RESTORED_TABLE), NONE, "write the items back into the restored table";
        Table Restore Always ["dynamodb:DeleteTable"] Arn(RESTORED_TABLE), NONE, "remove a table whose restore failed";
    }
    // The sources of a restore: a table's point in time, an on-demand backup.
    DynamoDbRestore Allow "RestoreFromAnyTableOrBackup" [TABLES, "arn:aws:dynamodb:*:{account}:table/*/backup/*"] ALWAYS => {
        Table Restore Always ["dynamodb:RestoreTableToPointInTime"] Resource, NONE, "restore from the table's point in time (authorized on the source table too)";
        Table Restore Always ["dynamodb:RestoreTableFromBackup"] Arn(TABLE_BACKUP), NONE, "restore from an on-demand backup (authorized on the backup too)";
    }
    DynamoDbRestore Allow "DescribeImports" ["arn:aws:dynamodb:*:{account}:table/{restore_table_prefix}*/import/*"] ALWAYS => {
        Table Restore Always ["dynamodb:DescribeImport"] Arn("arn:aws:dynamodb:{region}:{account}:table/{restore_table_prefix}{resource_name}/import/01234567890123-abcdef01"), NONE, "follow the import";
    }
    DynamoDbRestore Allow "ReadImportsFromVendorBuckets" [BUCKETS, OBJECTS] VENDOR_ACCOUNT => {
        Table Restore Always ["s3:GetObject"] Vendor(EXPORT_OBJECT), NONE, "read the export back from the vendor's bucket";
        Table Restore Always ["s3:ListBucket"] Vendor("arn:aws:s3:::vaultward-export"), NONE, "list the export in the vendor's bucket";
    }
    DynamoDbRestore Allow "ImportLogs" ["arn:aws:logs:*:{account}:log-group:/aws-dynamodb/*"] ALWAYS => {
        Table Restore Always ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:PutRetentionPolicy"] Arn("arn:aws:logs:{region}:{account}:log-group:/aws-dynamodb/imports:*"), NONE, "write the import's logs";
    }
    // `logs:DescribeLogGroups` supports no resource-level permissions.
    DynamoDbRestore Allow "ListImportLogGroups" ["*"] ALWAYS => {
        Table Restore Always ["logs:DescribeLogGroups"] Arn("*"), NONE, "find the import's log group";
    }
    DynamoDbRestore Allow "RestoreAutoScaling" ["arn:aws:application-autoscaling:*:{account}:scalable-target/*"] ALWAYS => {
        Table Restore Always ["application-autoscaling:PutScalingPolicy", "application-autoscaling:RegisterScalableTarget"] Arn("arn:aws:application-autoscaling:{region}:{account}:scalable-target/vaultwardcheck"), NONE, "restore the auto-scaling settings";
    }
    DynamoDbRestore Allow "AutoScalingServiceLinkedRole" ["arn:aws:iam::{account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"] &[Cond::new("StringEquals", "iam:AWSServiceName", &["dynamodb.application-autoscaling.amazonaws.com"])] => {
        Table Restore Always ["iam:CreateServiceLinkedRole"] Arn("arn:aws:iam::{account}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"), &[("iam:AWSServiceName", "dynamodb.application-autoscaling.amazonaws.com")], "create auto-scaling's service-linked role";
    }

    // ── EC2 backup: a vendor-tagged snapshot of each volume (multi-volume snapshots and
    // an image for an instance), read block by block, expired later. What the service
    // creates carries the vendor tag, and only what carries it is deleted.
    Ec2Backup Allow "SnapshotAnyVolumeOrInstance" [VOLUMES, INSTANCES] ALWAYS => {
        Volume Backup Always ["ec2:CreateSnapshot"] Resource, NONE, "snapshot the volume";
        Instance Backup Always ["ec2:CreateSnapshots"] Resource, NONE, "snapshot the instance's volumes together";
    }
    Ec2Backup Allow "CreateOnlyVendorTaggedSnapshots" [SNAPSHOTS] WITH_VENDOR_TAG => {
        Volume Backup Always ["ec2:CreateSnapshot"] Arn(SNAPSHOT), VENDOR_TAG, "create the snapshot with the vendor tag";
        Instance Backup Always ["ec2:CreateSnapshots"] Arn(SNAPSHOT), VENDOR_TAG, "create the snapshots with the vendor tag";
    }
    // A create action that tags what it creates is authorized on `ec2:CreateTags` too, for
    // each resource it tags ("Grant permission to tag Amazon EC2 resources during creation",
    // Amazon EC2 User Guide, https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html).
    Ec2Backup Allow "TagOnlyWhileCreating" [SNAPSHOTS, IMAGES, VOLUMES, INSTANCES, ENIS] &[Cond::new("StringEquals", "ec2:CreateAction", &["CreateSnapshot", "CreateSnapshots", "CreateVolume", "RunInstances", "RegisterImage"])] => {
        Volume Backup Always ["ec2:CreateTags"] Arn(SNAPSHOT), &[("ec2:CreateAction", "CreateSnapshot"), ("aws:RequestTag/{vendor_tag_key}", "{vendor_tag_value}")], "tag the snapshot as it is created";
        Instance Backup Always ["ec2:CreateTags"] Arn(SNAPSHOT), &[("ec2:CreateAction", "CreateSnapshots"), ("aws:RequestTag/{vendor_tag_key}", "{vendor_tag_value}")], "tag the snapshots as they are created";
        Instance Backup Always ["ec2:CreateTags"] Arn(IMAGE), &[("ec2:CreateAction", "RegisterImage"), ("aws:RequestTag/{vendor_tag_key}", "{vendor_tag_value}")], "tag the image as it is registered";
        Volume Restore Always ["ec2:CreateTags"] Arn(NEW_VOLUME), &[("ec2:CreateAction", "CreateVolume"), ("aws:RequestTag/{restore_tag_key}", "1")], "tag the volume as it is created";
        Instance Restore Always ["ec2:CreateTags"] Arn(IMAGE), &[("ec2:CreateAction", "RegisterImage"), ("aws:RequestTag/{restore_tag_key}", "1")], "tag the restored image as it is registered";
        Instance Restore Always ["ec2:CreateTags"] Arn(NEW_INSTANCE), &[("ec2:CreateAction", "RunInstances"), ("aws:RequestTag/{restore_tag_key}", "1")], "tag the instance as it launches";
        Instance Restore Always ["ec2:CreateTags"] Arn(NEW_VOLUME), &[("ec2:CreateAction", "RunInstances"), ("aws:RequestTag/{restore_tag_key}", "1")], "tag its volumes as it launches";
        Instance Restore Always ["ec2:CreateTags"] Arn(NEW_ENI), &[("ec2:CreateAction", "RunInstances"), ("aws:RequestTag/{restore_tag_key}", "1")], "tag its network interface as it launches";
    }
    Ec2Backup Allow "DeleteOnlyVendorSnapshots" [SNAPSHOTS] VENDOR_TAGGED_ONLY => {
        Volume Backup Always ["ec2:DeleteSnapshot", "ec2:DeleteTags"] Arn(SNAPSHOT), VENDOR_TAGGED, "expire the vendor's snapshots";
    }
    Ec2Backup Allow "ImagesOnlyFromVendorSnapshots" [SNAPSHOTS] VENDOR_TAGGED_ONLY => {
        Instance Backup Always ["ec2:RegisterImage"] Arn(SNAPSHOT), VENDOR_TAGGED, "register an image of the snapshots";
    }
    Ec2Backup Allow "DeregisterOnlyVendorImages" [IMAGES] VENDOR_TAGGED_ONLY => {
        Instance Backup Always ["ec2:DeregisterImage", "ec2:DeleteTags"] Arn(IMAGE), VENDOR_TAGGED, "expire the vendor's images";
    }
    Ec2Backup Allow "RegisterOnlyVendorTaggedImages" [IMAGES] WITH_VENDOR_TAG => {
        Instance Backup Always ["ec2:RegisterImage"] Arn(IMAGE), VENDOR_TAG, "register the image with the vendor tag";
    }
    Ec2Backup Allow "ReadSnapshotBlocks" [SNAPSHOTS] ALWAYS => {
        Volume Backup Always ["ebs:GetSnapshotBlock", "ebs:ListChangedBlocks", "ebs:ListSnapshotBlocks"] Arn(SNAPSHOT), VENDOR_TAGGED, "read the snapshot's blocks";
    }
    Ec2Backup Allow "ReadInstanceProfiles" ["arn:aws:iam::{account}:instance-profile/*", "arn:aws:iam::{account}:role/*"] ALWAYS => {
        Instance Backup Always ["iam:GetInstanceProfile"] Arn("arn:aws:iam::{account}:instance-profile/vaultwardcheck"), NONE, "record the instance's profile";
        Instance Backup Always ["iam:GetRole"] Arn("arn:aws:iam::{account}:role/vaultwardcheck"), NONE, "record the instance profile's role";
    }

    // ── EC2 restore: write a vendor-tagged snapshot through the EBS direct APIs, create a
    // restore-tagged volume from it and attach it; or launch a restore-tagged instance
    // from a restored image. What is being restored carries the restore tag, set only as it
    // is created, and only what carries it is stopped, detached or deleted.
    Ec2Restore Allow "StartVendorSnapshots" [SNAPSHOTS] WITH_VENDOR_TAG => {
        Volume Restore Always ["ebs:StartSnapshot"] Arn(SNAPSHOT), VENDOR_TAG, "start a snapshot to write the backup into";
    }
    Ec2Restore Allow "WriteVendorSnapshots" [SNAPSHOTS] VENDOR_TAGGED_ONLY => {
        Volume Restore Always ["ebs:CompleteSnapshot", "ebs:PutSnapshotBlock"] Arn(SNAPSHOT), VENDOR_TAGGED, "write the blocks, and complete the snapshot";
    }
    Ec2Restore Allow "CreateRestoreTaggedVolumes" [VOLUMES] WITH_RESTORE_TAG => {
        Volume Restore Always ["ec2:CreateVolume"] Arn(NEW_VOLUME), RESTORE_TAG, "create the restored volume";
    }
    Ec2Restore Allow "CreateRestoreTaggedSnapshots" [SNAPSHOTS] WITH_RESTORE_TAG => {
        Instance Restore Always ["ec2:CreateSnapshot", "ec2:CreateSnapshots"] Arn(SNAPSHOT), RESTORE_TAG, "create the restored image's snapshots";
    }
    Ec2Restore Allow "CreateVolumesFromVendorSnapshots" [SNAPSHOTS] VENDOR_TAGGED_ONLY => {
        Volume Restore Always ["ec2:CreateVolume"] Arn(SNAPSHOT), VENDOR_TAGGED, "create it from the snapshot written (authorized on the snapshot too)";
    }
    Ec2Restore Allow "ManageOnlyRestoredResources" [VOLUMES, INSTANCES, ENIS] RESTORE_TAGGED_ONLY => {
        Volume Restore Always ["ec2:DeleteVolume"] Arn(NEW_VOLUME), RESTORE_TAGGED, "remove a volume whose restore failed";
        Instance Restore Always ["ec2:StartInstances", "ec2:StopInstances", "ec2:TerminateInstances"] Arn(NEW_INSTANCE), RESTORE_TAGGED, "start the restored instance, or remove it when the restore fails";
        Instance Restore Always ["ec2:DeleteNetworkInterface"] Arn(NEW_ENI), RESTORE_TAGGED, "remove a failed restore's network interface";
        Volume Restore Always ["ec2:DeleteTags"] Arn(NEW_VOLUME), RESTORE_TAGGED, "take the restore tag off the volume when the restore is done";
        Instance Restore Always ["ec2:DeleteTags"] Arn(NEW_INSTANCE), RESTORE_TAGGED, "take the restore tag off the instance when the restore is done";
    }
    // AttachVolume and DetachVolume are authorized on the instance and on the volume
    // (Service Authorization Reference, Amazon EC2). The volume must be a restored one
    // (its restore tag is set only as it is created: see DenyDirectCreateTags); the
    // instance is the one the restore request names, restored or not, which no condition
    // key can tell, so any instance of the account. A customer's own volume cannot be
    // attached to an instance the role controls.
    Ec2Restore Allow "AttachOnlyRestoredVolumes" [VOLUMES] RESTORE_TAGGED_ONLY => {
        Volume Restore Always ["ec2:AttachVolume"] Arn(NEW_VOLUME), RESTORE_TAGGED, "attach the restored volume (authorized on the volume)";
        Volume Restore Always ["ec2:DetachVolume"] Arn(NEW_VOLUME), RESTORE_TAGGED, "detach a volume whose restore failed";
    }
    Ec2Restore Allow "AttachToTheNamedInstance" [INSTANCES] ALWAYS => {
        Volume Restore Always ["ec2:AttachVolume"] Arn(NAMED_INSTANCE), NONE, "attach it to the instance the restore request names, restored or not (authorized on the instance too)";
        Volume Restore Always ["ec2:DetachVolume"] Arn(NAMED_INSTANCE), NONE, "detach it from that instance when the restore fails (authorized on the instance too)";
    }
    // An address moves only onto a restored instance or its interface.
    Ec2Restore Allow "AssociateAddressesWithRestoredInstances" [INSTANCES, ENIS] RESTORE_TAGGED_ONLY => {
        Instance Restore Always ["ec2:AssociateAddress"] Arn(NEW_INSTANCE), RESTORE_TAGGED, "give the restored instance its address";
    }
    Ec2Restore Allow "AssociateAnyAddressOfTheAccount" ["arn:aws:ec2:*:{account}:elastic-ip/*"] ALWAYS => {
        Instance Restore Always ["ec2:AssociateAddress"] Arn("arn:aws:ec2:{region}:{account}:elastic-ip/eipalloc-0vaultwardcheck"), NONE, "move the instance's elastic IP to it";
    }
    // The instance: restore-tagged, and with no instance profile unless the customer named
    // roles for restored instances (then only their profiles): with PassRole to any role,
    // launching an instance as an administrator role would take over the account (IAM
    // privilege escalation through iam:PassRole + ec2:RunInstances).
    Ec2Restore Allow "LaunchRestoreTaggedInstances" [INSTANCES] &[
        Cond::new("StringLike", "aws:RequestTag/{restore_tag_key}", &["*"]),
        Cond::new("Null", "ec2:InstanceProfile", &["true"]).only(When::NoInstanceRoles),
        Cond::new("ArnEqualsIfExists", "ec2:InstanceProfile", &["{restore_instance_profiles}"]).only(When::InstanceRoles),
    ] => {
        Instance Restore Always ["ec2:RunInstances"] Arn(NEW_INSTANCE), RESTORE_TAG, "launch the restored instance";
        Instance Restore InstanceRoles ["ec2:RunInstances"] Arn(NEW_INSTANCE), &[("aws:RequestTag/{restore_tag_key}", "1"), ("ec2:InstanceProfile", "arn:aws:iam::{account}:instance-profile/{restore_instance_role}")], "launch it with the profile of a role the customer named";
    }
    Ec2Restore Allow "LaunchWithRestoreTaggedVolumesAndInterfaces" [VOLUMES, ENIS] WITH_RESTORE_TAG => {
        Instance Restore Always ["ec2:RunInstances"] Arn(NEW_VOLUME), RESTORE_TAG, "launch it with its volumes";
        Instance Restore Always ["ec2:RunInstances"] Arn(NEW_ENI), RESTORE_TAG, "launch it with its network interface";
    }
    // Only images (and their snapshots) owned by the account: the restored images are
    // registered in it; no public or other account's image.
    Ec2Restore Allow "LaunchOnlyFromTheAccountsImages" [IMAGES, SNAPSHOTS] &[Cond::new("StringEquals", "ec2:Owner", &["{account}"])] => {
        Instance Restore Always ["ec2:RunInstances"] Arn(IMAGE), IN_THE_ACCOUNT, "launch it from the restored image (registered in the account)";
        Instance Restore Always ["ec2:RunInstances"] Arn(SNAPSHOT), IN_THE_ACCOUNT, "launch it from the image's snapshots";
    }
    Ec2Restore Allow "LaunchIntoTheAccountsNetwork" ["arn:aws:ec2:*:{account}:subnet/*", "arn:aws:ec2:*:{account}:security-group/*", "arn:aws:ec2:*:{account}:key-pair/*", "arn:aws:ec2:*:{account}:placement-group/*"] ALWAYS => {
        Instance Restore Always ["ec2:RunInstances"] Arn("arn:aws:ec2:{region}:{account}:subnet/subnet-0vaultwardcheck"), NONE, "launch it into its subnet";
        Instance Restore Always ["ec2:RunInstances"] Arn("arn:aws:ec2:{region}:{account}:security-group/sg-0vaultwardcheck"), NONE, "launch it with its security groups";
        Instance Restore Always ["ec2:RunInstances"] Arn("arn:aws:ec2:{region}:{account}:key-pair/vaultwardcheck"), NONE, "launch it with its key pair";
        Instance Restore Always ["ec2:RunInstances"] Arn("arn:aws:ec2:{region}:{account}:placement-group/vaultwardcheck"), NONE, "launch it into its placement group";
    }
    Ec2Restore Allow "RegisterRestoredImages" [IMAGES] WITH_RESTORE_TAG => {
        Instance Restore Always ["ec2:RegisterImage"] Arn(IMAGE), RESTORE_TAG, "register the restored image with the restore tag";
    }
    Ec2Restore Allow "RegisterFromRestoredSnapshots" [SNAPSHOTS] RESTORE_TAGGED_ONLY => {
        Instance Restore Always ["ec2:RegisterImage"] Arn(SNAPSHOT), RESTORE_TAGGED, "register the image from its snapshots";
    }
    Ec2Restore Allow "DeregisterOnlyRestoredImages" [IMAGES] RESTORE_TAGGED_ONLY => {
        Instance Restore Always ["ec2:DeregisterImage"] Arn(IMAGE), RESTORE_TAGGED, "deregister the restored image when the restore fails";
    }
    Ec2Restore Allow "PassOnlyTheNamedInstanceRoles" ["{restore_instance_roles}"] &[Cond::new("StringEquals", "iam:PassedToService", &["ec2.amazonaws.com"])] => {
        Instance Restore InstanceRoles ["iam:PassRole"] Arn("arn:aws:iam::{account}:role/{restore_instance_role}"), &[("iam:PassedToService", "ec2.amazonaws.com")], "give the restored instance a profile's role the customer named";
    }
    // CreateTags is never allowed on its own, whatever other policies say (the seed's
    // "deny direct CreateTags"): only as part of a create action (RegisterImage tags images
    // as it registers them), so the vendor and restore tags, which gate deletes, mark only
    // what the service created. It goes into the last EC2 policy of the file.
    Ec2Restore | Ec2Backup Deny "DenyDirectCreateTags" [SNAPSHOTS, IMAGES, VOLUMES, INSTANCES, ENIS] &[Cond::new("Null", "ec2:CreateAction", &["true"])] => {
        Refused Any Always ["ec2:CreateTags"] Arn("arn:aws:ec2:{region}::snapshot/snap-0customer"), NONE, "tag a snapshot outside a create action";
        Refused Any Always ["ec2:CreateTags"] Arn("arn:aws:ec2:{region}::image/ami-0customer"), NONE, "tag an image outside a create action";
        Refused Any Always ["ec2:CreateTags"] Arn("arn:aws:ec2:{region}:{account}:volume/vol-0customer"), RESTORE_TAG, "tag a volume outside a create action";
        Refused Any Always ["ec2:CreateTags"] Arn("arn:aws:ec2:{region}:{account}:instance/i-0customer"), RESTORE_TAG, "tag an instance outside a create action";
        Refused Any Always ["ec2:CreateTags"] Arn("arn:aws:ec2:{region}:{account}:network-interface/eni-0customer"), RESTORE_TAG, "tag a network interface outside a create action";
    }

    // ── The support role's policy (optional, `--support-role`).
    Support Allow "OpenAndReadSupportCases" ["*"] ALWAYS => {
        Support Any SupportRole ["support:AddAttachmentsToSet", "support:AddCommunicationToCase", "support:CreateCase", "support:DescribeAttachment", "support:DescribeCases", "support:DescribeCommunications", "support:DescribeCreateCaseOptions", "support:DescribeServices", "support:DescribeSeverityLevels", "support:DescribeSupportedLanguages", "support:DescribeTrustedAdvisorCheckRefreshStatuses", "support:DescribeTrustedAdvisorCheckResult", "support:DescribeTrustedAdvisorChecks", "support:DescribeTrustedAdvisorCheckSummaries"] Arn("*"), NONE, "let the vendor's support open and follow support cases, to fix issues with backups and restores";
    }
};
