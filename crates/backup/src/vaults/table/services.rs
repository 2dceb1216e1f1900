//! The rows of the resource types whose recovery points their own service's API also
//! reaches: the routes through it, and what it refuses on a recovery point AWS Backup
//! manages. A type that is not here and has an AWS Backup ARN is fully managed (only the
//! vault policy governs it); one that is not here and has its service's ARN is answered
//! unknown (`service-api`).
//!
//! Sources (each row cites its own):
//! - Amazon EBS, "Delete an Amazon EBS snapshot" ("You can't delete a snapshot that is
//!   managed by the AWS Backup service using Amazon EC2"):
//!   https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-snapshot.html
//! - Amazon EBS, "Share an Amazon EBS snapshot" (encrypted snapshots cannot be public;
//!   those under the AWS managed key cannot be shared at all):
//!   https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html
//! - EBS direct APIs (ListSnapshotBlocks, ListChangedBlocks, GetSnapshotBlock):
//!   https://docs.aws.amazon.com/ebs/latest/userguide/ebsapis-using-perms.html
//! - Amazon EC2, "Deregister an AMI" ("You can't use Amazon EC2 to deregister an AMI that is
//!   managed by the AWS Backup service"):
//!   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html
//! - Amazon EC2, "Share an AMI with specific AWS accounts" (not under the AWS managed key):
//!   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html
//! - Amazon EC2, "Store and restore an AMI using S3" ("You can store AMIs with encrypted
//!   snapshots, but the snapshots are decrypted as part of the store process"):
//!   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-ami-store-restore.html
//! - Amazon RDS, "Sharing a DB snapshot" ("To share an automated DB snapshot, create a
//!   manual DB snapshot by copying the automated snapshot, and then share that copy. This
//!   process also applies to AWS Backup-generated resources"):
//!   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html; Aurora:
//!   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-share-snapshot.html
//! - Amazon RDS, "Deleting a DB snapshot" ("To delete backups managed by AWS Backup, use the
//!   AWS Backup console"): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteSnapshot.html
//! - Amazon RDS, "Exporting DB snapshot data to Amazon S3" (snapshots AWS Backup made
//!   included; the export passes a role to `export.rds.amazonaws.com`):
//!   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
//! - AWS Backup, "Advanced DynamoDB backup" (restore "using either AWS Backup or
//!   DynamoDB"): https://docs.aws.amazon.com/aws-backup/latest/devguide/advanced-ddb-backup.html;
//!   "Backups created with AWS Backup cannot be deleted using APIs that belong to the
//!   backed-up resource": https://docs.aws.amazon.com/aws-backup/latest/devguide/working-with-other-services.html
//! - Amazon FSx, "Working with backups" ("You can view and restore backups created by AWS
//!   Backup using the Amazon FSx console, CLI, and API. However, you can't delete backups
//!   created by AWS Backup"): https://docs.aws.amazon.com/fsx/latest/ONTAPGuide/using-backups.html
//! - Amazon Redshift: no page says what its API may do with a snapshot AWS Backup made;
//!   sharing and restoring are listed (fail closed), deleting is refused by AWS Backup's
//!   general statement above.

use super::{req, via, Gate, On, Question, Refusal, Route, TypeRow, KEY_HINT, SHARE_HINT};

const EBS_DELETE: &str =
    "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-deleting-snapshot.html";
const EBS_SHARE: &str =
    "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html";
const AMI_DEREGISTER: &str =
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html";
const AMI_SHARE: &str =
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html";
const RDS_DELETE: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteSnapshot.html";
const RDS_SHARE: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html";
const AURORA_SHARE: &str =
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-share-snapshot.html";
const OTHER_SERVICES: &str =
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/working-with-other-services.html";
const FSX_BACKUPS: &str = "https://docs.aws.amazon.com/fsx/latest/ONTAPGuide/using-backups.html";

/// RDS's export service principal.
const RDS_EXPORT: &str = "export.rds.amazonaws.com";

/// A read route: `code`'s requests (one on the recovery point when an action is given),
/// with the key (`kms_action` through `service`) when encrypted, and alone when not.
macro_rules! read_pair {
    ($code:expr, $title:expr, [$($r:expr),+], $service:expr, $kms:expr) => {
        [
            Route {
                code: $code,
                question: Question::Read,
                title: $title,
                requests: &[$($r,)+ via($kms, $service)],
                gates: &[Gate::Encrypted],
                hint: SHARE_HINT,
            },
            Route {
                code: $code,
                question: Question::Read,
                title: $title,
                requests: &[$($r),+],
                gates: &[Gate::Unencrypted],
                hint: SHARE_HINT,
            },
        ]
    };
    ($code:expr, $title:expr, $action:expr, $service:expr, $kms:expr) => {
        read_pair!($code, $title, [req($action, On::RecoveryPoint)], $service, $kms)
    };
}

/// A share with another account: public when unencrypted; with a grant of the key from
/// the principal, or none when another account may already use the key.
macro_rules! share_trio {
    ($code:expr, $title:expr, $action:expr) => {
        [
            Route {
                code: $code,
                question: Question::Read,
                title: $title,
                requests: &[req($action, On::RecoveryPoint)],
                gates: &[Gate::Unencrypted],
                hint: SHARE_HINT,
            },
            Route {
                code: concat!($code, "-with-grant"),
                question: Question::Read,
                title: concat!($title, ", and grant it the key"),
                requests: &[
                    req($action, On::RecoveryPoint),
                    req("kms:CreateGrant", On::Key),
                ],
                gates: &[Gate::CustomerKey],
                hint: SHARE_HINT,
            },
            Route {
                code: concat!($code, "-key-shared"),
                question: Question::Read,
                title: concat!($title, " (the key is already usable by another account)"),
                requests: &[req($action, On::RecoveryPoint)],
                gates: &[Gate::CustomerKey, Gate::KeyUsableOutside],
                hint: KEY_HINT,
            },
        ]
    };
}

const fn refused(
    action: &'static str,
    question: Question,
    why: &'static str,
    source: &'static str,
) -> Refusal {
    Refusal {
        action,
        question,
        when: Gate::Always,
        why,
        source,
    }
}

const EBS_SHARE_ROUTES: [Route; 3] = share_trio!(
    "ec2-share-snapshot",
    "share the snapshot with another account, or make it public (ec2:ModifySnapshotAttribute)",
    "ec2:ModifySnapshotAttribute"
);
const EBS_VOLUME: [Route; 2] = read_pair!(
    "ec2-create-volume",
    "create a volume from the snapshot",
    "ec2:CreateVolume",
    "ec2",
    "kms:CreateGrant"
);
const EBS_COPY: [Route; 2] = read_pair!(
    "ec2-copy-snapshot",
    "copy the snapshot",
    "ec2:CopySnapshot",
    "ec2",
    "kms:Decrypt"
);

const EBS_DIRECT: [Route; 2] = read_pair!(
    "ebs-direct-read",
    "read the snapshot's blocks (EBS direct APIs)",
    [
        req("ebs:ListSnapshotBlocks", On::RecoveryPoint),
        req("ebs:GetSnapshotBlock", On::RecoveryPoint)
    ],
    "ebs",
    "kms:Decrypt"
);
const EBS_CHANGED: [Route; 2] = read_pair!(
    "ebs-direct-read-changed",
    "read the snapshot's blocks found by comparing it with another (EBS direct APIs)",
    [
        req("ebs:ListChangedBlocks", On::RecoveryPoint),
        req("ebs:GetSnapshotBlock", On::RecoveryPoint)
    ],
    "ebs",
    "kms:Decrypt"
);

const EBS_ROUTES: &[Route] = &[
    EBS_SHARE_ROUTES[0],
    EBS_SHARE_ROUTES[1],
    EBS_SHARE_ROUTES[2],
    EBS_VOLUME[0],
    EBS_VOLUME[1],
    EBS_COPY[0],
    EBS_COPY[1],
    EBS_DIRECT[0],
    EBS_DIRECT[1],
    EBS_CHANGED[0],
    EBS_CHANGED[1],
];

const EBS_REFUSED: &[Refusal] = &[
    refused(
        "ec2:DeleteSnapshot",
        Question::Destroy,
        "EC2 refuses to delete a snapshot that AWS Backup manages (\"You can't delete a snapshot that is managed by the AWS Backup service using Amazon EC2\")",
        EBS_DELETE,
    ),
    Refusal {
        action: "ec2:ModifySnapshotAttribute",
        question: Question::Read,
        when: Gate::AwsManagedKey,
        why: "a snapshot under the AWS managed key `aws/ebs` cannot be shared at all (and no encrypted snapshot can be made public)",
        source: EBS_SHARE,
    },
];

const AMI_SHARE_ROUTES: [Route; 3] = share_trio!(
    "ec2-share-image",
    "share the image with another account, or make it public (ec2:ModifyImageAttribute)",
    "ec2:ModifyImageAttribute"
);
const AMI_COPY: [Route; 2] = read_pair!(
    "ec2-copy-image",
    "copy the image",
    "ec2:CopyImage",
    "ec2",
    "kms:Decrypt"
);
const AMI_RUN: [Route; 2] = read_pair!(
    "ec2-run-instances",
    "launch an instance from the image (its volumes hold the backup's data)",
    "ec2:RunInstances",
    "ec2",
    "kms:CreateGrant"
);

const AMI_STORE: [Route; 2] = read_pair!(
    "ec2-store-image",
    "store the image in an S3 bucket of the principal's choosing (decrypted on the way)",
    [
        req("ec2:CreateStoreImageTask", On::RecoveryPoint),
        req("s3:PutObject", On::AnyBucket)
    ],
    "ec2",
    "kms:Decrypt"
);

const AMI_ROUTES: &[Route] = &[
    AMI_SHARE_ROUTES[0],
    AMI_SHARE_ROUTES[1],
    AMI_SHARE_ROUTES[2],
    AMI_COPY[0],
    AMI_COPY[1],
    AMI_RUN[0],
    AMI_RUN[1],
    AMI_STORE[0],
    AMI_STORE[1],
];

const AMI_REFUSED: &[Refusal] = &[
    refused(
        "ec2:DeregisterImage",
        Question::Destroy,
        "EC2 refuses to deregister an AMI that AWS Backup manages (\"You can't use Amazon EC2 to deregister an AMI that is managed by the AWS Backup service\")",
        AMI_DEREGISTER,
    ),
    Refusal {
        action: "ec2:ModifyImageAttribute",
        question: Question::Read,
        when: Gate::AwsManagedKey,
        why: "an AMI whose snapshots are under the AWS managed key cannot be shared",
        source: AMI_SHARE,
    },
];

const RDS_COPY: [Route; 2] = read_pair!(
    "rds-copy-snapshot",
    "copy the DB snapshot (a copy is a manual snapshot, which may then be shared)",
    "rds:CopyDBSnapshot",
    "rds",
    "kms:CreateGrant"
);
const RDS_RESTORE: [Route; 2] = read_pair!(
    "rds-restore",
    "restore a DB instance from the snapshot",
    "rds:RestoreDBInstanceFromDBSnapshot",
    "rds",
    "kms:CreateGrant"
);

/// An export to S3: the snapshot, a role RDS's export service assumes to write the bucket,
/// and a key of the principal's choosing to encrypt the export (its own, not checked here).
macro_rules! export {
    ($title:expr) => {
        Route {
            code: "rds-export",
            question: Question::Read,
            title: $title,
            requests: &[
                req("rds:StartExportTask", On::RecoveryPoint),
                req("iam:PassRole", On::PassRole(RDS_EXPORT)),
            ],
            gates: &[Gate::Always],
            hint: SHARE_HINT,
        }
    };
}

const RDS_ROUTES: &[Route] = &[
    RDS_COPY[0],
    RDS_COPY[1],
    RDS_RESTORE[0],
    RDS_RESTORE[1],
    export!("export the DB snapshot's data to an S3 bucket of the principal's choosing"),
];

const RDS_REFUSED: &[Refusal] = &[
    refused(
        "rds:DeleteDBSnapshot",
        Question::Destroy,
        "RDS refuses to delete a DB snapshot that AWS Backup manages: it is deleted through AWS Backup",
        RDS_DELETE,
    ),
    refused(
        "rds:ModifyDBSnapshotAttribute",
        Question::Read,
        "RDS shares no snapshot AWS Backup made: it must be copied first and the copy shared (the copy route counts)",
        RDS_SHARE,
    ),
];

const AURORA_COPY: [Route; 2] = read_pair!(
    "rds-copy-cluster-snapshot",
    "copy the DB cluster snapshot (a copy is a manual snapshot, which may then be shared)",
    "rds:CopyDBClusterSnapshot",
    "rds",
    "kms:CreateGrant"
);
const AURORA_RESTORE: [Route; 2] = read_pair!(
    "rds-restore-cluster",
    "restore a DB cluster from the snapshot",
    "rds:RestoreDBClusterFromSnapshot",
    "rds",
    "kms:CreateGrant"
);

const AURORA_ROUTES: &[Route] = &[
    AURORA_COPY[0],
    AURORA_COPY[1],
    AURORA_RESTORE[0],
    AURORA_RESTORE[1],
    export!("export the DB cluster snapshot's data to an S3 bucket of the principal's choosing"),
];

const AURORA_REFUSED: &[Refusal] = &[
    refused(
        "rds:DeleteDBClusterSnapshot",
        Question::Destroy,
        "RDS refuses to delete a DB cluster snapshot that AWS Backup manages: it is deleted through AWS Backup",
        RDS_DELETE,
    ),
    refused(
        "rds:ModifyDBClusterSnapshotAttribute",
        Question::Read,
        "RDS shares no cluster snapshot AWS Backup made: it must be copied first and the copy shared (the copy route counts)",
        AURORA_SHARE,
    ),
];

const DYNAMODB_RESTORE: [Route; 2] = read_pair!(
    "dynamodb-restore",
    "restore a table from the backup",
    "dynamodb:RestoreTableFromBackup",
    "dynamodb",
    "kms:CreateGrant"
);

const DYNAMODB_ROUTES: &[Route] = &[DYNAMODB_RESTORE[0], DYNAMODB_RESTORE[1]];

const DYNAMODB_REFUSED: &[Refusal] = &[refused(
    "dynamodb:DeleteBackup",
    Question::Destroy,
    "a backup AWS Backup made cannot be deleted through DynamoDB's API (\"Backups created with AWS Backup cannot be deleted using APIs that belong to the backed-up resource\")",
    OTHER_SERVICES,
)];

const FSX_RESTORE: [Route; 2] = read_pair!(
    "fsx-restore",
    "create a file system from the backup",
    "fsx:CreateFileSystemFromBackup",
    "fsx",
    "kms:CreateGrant"
);
const FSX_COPY: [Route; 2] = read_pair!(
    "fsx-copy-backup",
    "copy the backup",
    "fsx:CopyBackup",
    "fsx",
    "kms:CreateGrant"
);

const FSX_ROUTES: &[Route] = &[FSX_RESTORE[0], FSX_RESTORE[1], FSX_COPY[0], FSX_COPY[1]];

const FSX_REFUSED: &[Refusal] = &[refused(
    "fsx:DeleteBackup",
    Question::Destroy,
    "Amazon FSx refuses to delete a backup AWS Backup made (\"you can't delete backups created by AWS Backup in the Amazon FSx console, CLI, or API\")",
    FSX_BACKUPS,
)];

const REDSHIFT_RESTORE: [Route; 2] = read_pair!(
    "redshift-restore",
    "restore a cluster from the snapshot",
    "redshift:RestoreFromClusterSnapshot",
    "redshift",
    "kms:CreateGrant"
);

const REDSHIFT_ROUTES: &[Route] = &[
    REDSHIFT_RESTORE[0],
    REDSHIFT_RESTORE[1],
    Route {
        code: "redshift-share-snapshot",
        question: Question::Read,
        title: "share the snapshot with another account (redshift:AuthorizeSnapshotAccess)",
        requests: &[req("redshift:AuthorizeSnapshotAccess", On::RecoveryPoint)],
        gates: &[Gate::Always],
        hint: SHARE_HINT,
    },
];

const REDSHIFT_REFUSED: &[Refusal] = &[refused(
    "redshift:DeleteClusterSnapshot",
    Question::Destroy,
    "a snapshot AWS Backup made cannot be deleted through Redshift's API (\"Backups created with AWS Backup cannot be deleted using APIs that belong to the backed-up resource\")",
    OTHER_SERVICES,
)];

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
        refused: AMI_REFUSED,
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
    TypeRow {
        types: &["DynamoDB"],
        service: Some("dynamodb"),
        routes: DYNAMODB_ROUTES,
        refused: DYNAMODB_REFUSED,
    },
    TypeRow {
        types: &["FSx"],
        service: Some("fsx"),
        routes: FSX_ROUTES,
        refused: FSX_REFUSED,
    },
    TypeRow {
        types: &["Redshift"],
        service: Some("redshift"),
        routes: REDSHIFT_ROUTES,
        refused: REDSHIFT_REFUSED,
    },
];
