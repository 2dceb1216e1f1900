//! Each service's own API on the recovery points AWS Backup holds for it: what reaches
//! them, and what the service refuses, as its pages say.
//!
//! Sources:
//! - Amazon RDS, "Sharing a DB snapshot" ("To share an automated DB snapshot, create a
//!   manual DB snapshot by copying the automated snapshot, and then share that copy. This
//!   process also applies to AWS Backup-generated resources"):
//!   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html
//! - Amazon RDS, "Exporting DB snapshot data to Amazon S3":
//!   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
//! - Amazon EC2, "Deregister an AMI" ("You can't use Amazon EC2 to deregister an AMI that is
//!   managed by the AWS Backup service"):
//!   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/deregister-ami.html
//! - Amazon EC2, "Store and restore an AMI using S3":
//!   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-ami-store-restore.html
//! - AWS KMS, DeleteImportedKeyMaterial (the key is unusable until the same material is
//!   imported again; "Cross-account use: No"):
//!   https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteImportedKeyMaterial.html
//! - AWS KMS, "Grants in AWS KMS" (a grant lets its grantee principal, of any account, use
//!   the key): https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
//! - Amazon FSx, "Working with backups" (AWS Backup's backups can be restored, not deleted,
//!   through FSx): https://docs.aws.amazon.com/fsx/latest/ONTAPGuide/using-backups.html

use serde_json::{json, Value};
use vaultward_backup::vaults::Question;

use super::account::*;

const DB_SNAP: &str = "arn:aws:rds:us-east-1:111122223333:snapshot:awsbackup:job-0a1b2c3d";
const AMI: &str = "arn:aws:ec2:us-east-1::image/ami-0123456789abcdef0";
const FSX: &str = "arn:aws:fsx:us-east-1:111122223333:backup/backup-0123456789abcdef0";

fn routes_of(e: &vaultward_backup::vaults::Exposure, t: &str, q: Question, p: &str) -> Vec<String> {
    let mut out: Vec<String> = answer_of(e, "prod", t, q)
        .principals
        .iter()
        .filter(|x| x.principal == p)
        .flat_map(|x| x.routes.iter().map(|r| r.code.clone()))
        .collect();
    out.sort();
    out
}

fn refused_of(
    e: &vaultward_backup::vaults::Exposure,
    t: &str,
    q: Question,
    p: &str,
) -> Vec<String> {
    let mut out: Vec<String> = answer_of(e, "prod", t, q)
        .refused
        .iter()
        .filter(|r| r.principal == p)
        .map(|r| r.action.clone())
        .collect();
    out.sort();
    out
}

/// RDS refuses to share a snapshot AWS Backup made: the sharer is refused, not listed;
/// the one who may copy it (then share the copy) and the one who may export it are listed.
#[test]
fn rds_refuses_sharing_backup_snapshots_but_copies_and_exports_read_them() {
    let mut a = Account::new();
    a.role_trusting(
        "ExportRole",
        json!([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]),
        None,
        json!({"Service": "export.rds.amazonaws.com"}),
    )
    .role(
        "Sharer",
        json!([{"Effect": "Allow", "Action": "rds:ModifyDBSnapshotAttribute", "Resource": "*"}]),
    )
    .role(
        "Copier",
        json!([{"Effect": "Allow", "Action": "rds:CopyDBSnapshot", "Resource": "*"}]),
    )
    .role(
        "Exporter",
        json!([{"Effect": "Allow", "Action": ["rds:StartExportTask", "iam:PassRole"], "Resource": "*"}]),
    )
    .vault("prod", Value::Null, unlocked())
    .point("prod", DB_SNAP, "RDS", None);
    let e = run(&a.snapshot());
    let read = |p: &str| routes_of(&e, "RDS", Question::Read, p);
    assert!(read(&role_arn("Sharer")).is_empty());
    assert_eq!(
        refused_of(&e, "RDS", Question::Read, &role_arn("Sharer")),
        vec!["rds:ModifyDBSnapshotAttribute".to_string()]
    );
    assert_eq!(
        read(&role_arn("Copier")),
        vec!["rds-copy-snapshot".to_string()]
    );
    assert_eq!(read(&role_arn("Exporter")), vec!["rds-export".to_string()]);
    let exporter = &answer_of(&e, "prod", "RDS", Question::Read)
        .principals
        .iter()
        .find(|p| p.principal == role_arn("Exporter"))
        .unwrap()
        .routes[0];
    assert_eq!(exporter.steps[1].resource, role_arn("ExportRole"));
}

/// EC2 refuses to deregister an AMI AWS Backup manages; launching and storing it read it.
#[test]
fn ami_deregistration_is_refused_and_run_or_store_read_it() {
    let mut a = Account::new();
    a.role(
        "Cleaner",
        json!([{"Effect": "Allow", "Action": "ec2:DeregisterImage", "Resource": "*"}]),
    )
    .role(
        "Launcher",
        json!([{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}]),
    )
    .role(
        "Storer",
        json!([{"Effect": "Allow", "Action": ["ec2:CreateStoreImageTask", "s3:PutObject"], "Resource": "*"}]),
    )
    .role(
        "HalfStorer",
        json!([{"Effect": "Allow", "Action": "ec2:CreateStoreImageTask", "Resource": "*"}]),
    )
    .vault("prod", Value::Null, unlocked())
    .point("prod", AMI, "EC2", None);
    let e = run(&a.snapshot());
    assert!(routes_of(&e, "EC2", Question::Destroy, &role_arn("Cleaner")).is_empty());
    assert_eq!(
        refused_of(&e, "EC2", Question::Destroy, &role_arn("Cleaner")),
        vec!["ec2:DeregisterImage".to_string()]
    );
    assert_eq!(
        routes_of(&e, "EC2", Question::Read, &role_arn("Launcher")),
        vec!["ec2-run-instances".to_string()]
    );
    assert_eq!(
        routes_of(&e, "EC2", Question::Read, &role_arn("Storer")),
        vec!["ec2-store-image".to_string()]
    );
    // Without s3:PutObject on a bucket there is nowhere to store it.
    assert!(routes_of(&e, "EC2", Question::Read, &role_arn("HalfStorer")).is_empty());
}

/// A key with imported material is destroyed by deleting it; one of AWS's material is not.
#[test]
fn deleting_imported_key_material_destroys_the_points() {
    let mut a = Account::new();
    a.role(
        "Importer",
        json!([{"Effect": "Allow", "Action": "kms:DeleteImportedKeyMaterial", "Resource": "*"}]),
    )
    .key(KEY, json!([]))
    .vault("prod", Value::Null, unlocked())
    .ebs_point("prod", SNAP, Some(KEY));
    let aws_material = run(&a.snapshot());
    assert!(!who(&aws_material, "prod", Question::Destroy).contains(&role_arn("Importer")));
    a.keys[0]["origin"] = json!("EXTERNAL");
    let imported = run(&a.snapshot());
    assert_eq!(
        routes(&imported, "prod", Question::Destroy, &role_arn("Importer")),
        set(&["kms-delete-imported-material"])
    );
    // Origin not collected: unknown for the one who may, not none.
    a.keys[0].as_object_mut().unwrap().remove("origin");
    let unknown = run(&a.snapshot());
    assert!(answer(&unknown, "prod", Question::Destroy)
        .unknown
        .iter()
        .any(|u| u.principal == role_arn("Importer") && u.code == "kms-delete-imported-material"));
}

/// A share of a snapshot under a key another account may already use (a grant to it)
/// needs no grant of the sharer's: ec2:ModifySnapshotAttribute alone reads it.
#[test]
fn a_key_granted_to_another_account_makes_a_share_alone_enough() {
    let mut a = Account::new();
    a.role(
        "Sharer",
        json!([{"Effect": "Allow", "Action": "ec2:ModifySnapshotAttribute", "Resource": "*"}]),
    )
    .key(KEY, json!([]))
    .vault("prod", Value::Null, unlocked())
    .ebs_point("prod", SNAP, Some(KEY));
    let none = run(&a.snapshot());
    assert!(!who(&none, "prod", Question::Read).contains(&role_arn("Sharer")));
    a.keys[0]["grants"] = json!([{"GrantId": "g1", "GranteePrincipal": "arn:aws:iam::444455556666:root",
        "Operations": ["Decrypt", "DescribeKey"]}]);
    let granted = run(&a.snapshot());
    assert_eq!(
        routes(&granted, "prod", Question::Read, &role_arn("Sharer")),
        set(&["ec2-share-snapshot-key-shared"])
    );
    // A grant to the account's own role is no share.
    a.keys[0]["grants"] = json!([{"GrantId": "g2", "GranteePrincipal": role_arn("BackupService"),
        "Operations": ["Decrypt"]}]);
    assert!(!who(&run(&a.snapshot()), "prod", Question::Read).contains(&role_arn("Sharer")));
    // Grants not collected: unknown for the sharer.
    a.keys[0]["grants"] = json!({"not_collected": "AccessDeniedException"});
    let unknown = run(&a.snapshot());
    assert!(answer(&unknown, "prod", Question::Read)
        .unknown
        .iter()
        .any(|u| u.principal == role_arn("Sharer") && u.settle.contains("grants")));
}

/// FSx restores AWS Backup's backups and refuses to delete them.
#[test]
fn fsx_restores_and_refuses_deletion() {
    let mut a = Account::new();
    a.role(
        "FsxAdmin",
        json!([{"Effect": "Allow", "Action": ["fsx:CreateFileSystemFromBackup", "fsx:DeleteBackup"], "Resource": "*"}]),
    )
    .vault("prod", Value::Null, unlocked())
    .point("prod", FSX, "FSx", None);
    let e = run(&a.snapshot());
    assert_eq!(
        routes_of(&e, "FSx", Question::Read, &role_arn("FsxAdmin")),
        vec!["fsx-restore".to_string()]
    );
    assert!(routes_of(&e, "FSx", Question::Destroy, &role_arn("FsxAdmin")).is_empty());
    assert_eq!(
        refused_of(&e, "FSx", Question::Destroy, &role_arn("FsxAdmin")),
        vec!["fsx:DeleteBackup".to_string()]
    );
}

/// Disassociating a continuous backup deletes its recovery point from AWS Backup ("Deletes
/// the specified continuous backup recovery point from AWS Backup and releases control of
/// that continuous backup to the source service"); a snapshot backup cannot be.
/// https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DisassociateRecoveryPoint.html
#[test]
fn disassociating_a_continuous_backup_destroys_it() {
    let continuous =
        "arn:aws:backup:us-east-1:111122223333:recovery-point:continuous:db-ABCDEFGHIJ-0a1b2c3d";
    let snapshot =
        "arn:aws:backup:us-east-1:111122223333:recovery-point:0a1b2c3d-0000-4000-8000-000000000001";
    let mut a = Account::new();
    a.role(
        "Releaser",
        json!([{"Effect": "Allow", "Action": "backup:DisassociateRecoveryPoint", "Resource": "*"}]),
    )
    .vault("prod", Value::Null, unlocked())
    .point("prod", continuous, "S3", None)
    .point("prod", snapshot, "DynamoDB", None);
    let e = run(&a.snapshot());
    assert_eq!(
        routes_of(&e, "S3", Question::Destroy, &role_arn("Releaser")),
        vec!["backup-disassociate".to_string()]
    );
    assert!(routes_of(&e, "DynamoDB", Question::Destroy, &role_arn("Releaser")).is_empty());
}
