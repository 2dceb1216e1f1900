//! `snapshot from-aws-cli` on folders of AWS CLI outputs, as the CLI writes them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use vaultward_snapshot::awscli::from_aws_cli;

/// A fresh folder under the system's temporary directory, removed when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let dir =
            std::env::temp_dir().join(format!("vaultward-snapshot-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        write(
            &dir,
            "caller-identity.json",
            &json!({"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/a", "UserId": "AIDA"}),
        );
        Folder(dir)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(dir: &Path, rel: &str, v: &Value) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// `aws s3api get-bucket-encryption` output. BucketKeyEnabled: S3 API reference,
/// ServerSideEncryptionRule
/// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionRule.html):
/// "By default, S3 Bucket Key is not enabled".
fn encryption(bucket_key: Option<bool>) -> Value {
    let mut rule = json!({"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:eu-west-1:111122223333:key/k1"}});
    if let Some(b) = bucket_key {
        rule["BucketKeyEnabled"] = json!(b);
    }
    json!({"ServerSideEncryptionConfiguration": {"Rules": [rule]}})
}

#[test]
fn bucket_key_is_enabled_disabled_or_not_collected() {
    let f = Folder::new("bucket-key");
    write(&f.0, "s3/on/encryption.json", &encryption(Some(true)));
    write(&f.0, "s3/off/encryption.json", &encryption(Some(false)));
    write(&f.0, "s3/default/encryption.json", &encryption(None));
    std::fs::create_dir_all(f.0.join("s3/unread")).unwrap();
    let s = from_aws_cli(&f.0).unwrap();
    let key = |name: &str| {
        s.buckets
            .iter()
            .find(|b| b.name == name)
            .unwrap()
            .bucket_key_enabled()
    };
    assert_eq!(key("on"), Some(true));
    assert_eq!(key("off"), Some(false));
    assert_eq!(key("default"), Some(false));
    assert_eq!(key("unread"), None, "no encryption.json: not collected");
    // The written snapshot says the same, and reads back the same.
    let text = serde_json::to_string(&s).unwrap();
    let back = vaultward_snapshot::Snapshot::from_json("s.json", &text).unwrap();
    let on = back.buckets.iter().find(|b| b.name == "on").unwrap();
    assert_eq!(
        on.default_encryption.as_ref().unwrap().bucket_key_enabled,
        Some(true)
    );
    assert_eq!(
        back.buckets
            .iter()
            .find(|b| b.name == "unread")
            .unwrap()
            .bucket_key_enabled(),
        None
    );
}

#[test]
fn bucket_regions_follow_get_bucket_location() {
    // GetBucketLocation: null for us-east-1, `EU` for eu-west-1
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html).
    let f = Folder::new("regions");
    write(
        &f.0,
        "s3/virginia/location.json",
        &json!({"LocationConstraint": null}),
    );
    write(
        &f.0,
        "s3/ireland/location.json",
        &json!({"LocationConstraint": "EU"}),
    );
    write(
        &f.0,
        "s3/frankfurt/location.json",
        &json!({"LocationConstraint": "eu-central-1"}),
    );
    std::fs::create_dir_all(f.0.join("s3/unknown")).unwrap();
    let s = from_aws_cli(&f.0).unwrap();
    let region = |name: &str| {
        s.buckets
            .iter()
            .find(|b| b.name == name)
            .unwrap()
            .region
            .clone()
    };
    assert_eq!(region("virginia").as_deref(), Some("us-east-1"));
    assert_eq!(region("ireland").as_deref(), Some("eu-west-1"));
    assert_eq!(region("frankfurt").as_deref(), Some("eu-central-1"));
    assert_eq!(region("unknown"), None);
}

fn parents(id: &str, kind: &str) -> Value {
    json!({"Parents": [{"Id": id, "Type": kind}]})
}

#[test]
fn the_organization_path_comes_from_list_parents() {
    let f = Folder::new("org-path");
    write(
        &f.0,
        "organization.json",
        &json!({"Organization": {"Id": "o-a1b2c3d4e5", "MasterAccountId": "000011112222"}}),
    );
    write(
        &f.0,
        "parents/0.json",
        &parents("ou-ab12-22222222", "ORGANIZATIONAL_UNIT"),
    );
    write(
        &f.0,
        "parents/1.json",
        &parents("ou-ab12-11111111", "ORGANIZATIONAL_UNIT"),
    );
    write(&f.0, "parents/2.json", &parents("r-ab12", "ROOT"));
    let s = from_aws_cli(&f.0).unwrap();
    let org = s.organization.unwrap();
    assert_eq!(org.id.as_deref(), Some("o-a1b2c3d4e5"));
    assert_eq!(
        org.path.as_deref(),
        Some("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/")
    );

    // A chain that stops before the root says nothing of the path.
    std::fs::remove_file(f.0.join("parents/2.json")).unwrap();
    assert_eq!(from_aws_cli(&f.0).unwrap().organization.unwrap().path, None);

    // A file that is not list-parents output is an error naming it.
    write(&f.0, "parents/2.json", &json!({"Organization": {}}));
    let e = from_aws_cli(&f.0).unwrap_err();
    assert!(e.file.ends_with("parents/2.json"), "{e}");
    assert!(e.message.contains("list-parents"), "{e}");
}

#[test]
fn compute_lists_come_from_each_regions_folder() {
    let f = Folder::new("compute");
    let r = "compute/eu-west-1";
    write(
        &f.0,
        &format!("{r}/list-functions.json"),
        &json!({"Functions": [{"FunctionName": "ingest", "FunctionArn": "arn:aws:lambda:eu-west-1:111122223333:function:ingest", "Role": "arn:aws:iam::111122223333:role/fn"}]}),
    );
    write(
        &f.0,
        &format!("{r}/list-event-source-mappings.json"),
        &json!({"EventSourceMappings": [{"UUID": "u-1", "FunctionArn": "arn:aws:lambda:eu-west-1:111122223333:function:ingest", "EventSourceArn": "arn:aws:sqs:eu-west-1:111122223333:q", "State": "Enabled"}]}),
    );
    write(
        &f.0,
        &format!("{r}/describe-stacks.json"),
        &json!({"Stacks": [{"StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/app/1", "StackName": "app", "RoleARN": "arn:aws:iam::111122223333:role/cfn", "StackStatus": "CREATE_COMPLETE"}]}),
    );
    write(
        &f.0,
        &format!("{r}/list-notebook-instances.json"),
        &json!({"NotebookInstances": [{"NotebookInstanceName": "nb", "NotebookInstanceArn": "arn:aws:sagemaker:eu-west-1:111122223333:notebook-instance/nb", "NotebookInstanceStatus": "InService"}]}),
    );
    write(
        &f.0,
        &format!("{r}/notebook-instances/nb.json"),
        &json!({"NotebookInstanceName": "nb", "RoleArn": "arn:aws:iam::111122223333:role/nb", "RootAccess": "Enabled"}),
    );
    write(
        &f.0,
        &format!("{r}/get-dev-endpoints.json"),
        &json!({"DevEndpoints": [{"EndpointName": "etl", "RoleArn": "arn:aws:iam::111122223333:role/glue", "Status": "READY"}]}),
    );
    write(
        &f.0,
        &format!("{r}/batch-get-projects.json"),
        &json!({"projects": [{"name": "build", "arn": "arn:aws:codebuild:eu-west-1:111122223333:project/build", "serviceRole": "arn:aws:iam::111122223333:role/cb"}], "projectsNotFound": []}),
    );
    write(
        &f.0,
        &format!("{r}/list-task-definitions.json"),
        &json!({"taskDefinitionArns": ["arn:aws:ecs:eu-west-1:111122223333:task-definition/worker:3"]}),
    );
    write(
        &f.0,
        &format!("{r}/task-definitions/worker-3.json"),
        &json!({"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:eu-west-1:111122223333:task-definition/worker:3", "family": "worker", "revision": 3, "taskRoleArn": "arn:aws:iam::111122223333:role/task", "executionRoleArn": "arn:aws:iam::111122223333:role/exec"}}),
    );
    write(
        &f.0,
        &format!("{r}/describe-instance-information.json"),
        &json!({"InstanceInformationList": [
        {"InstanceId": "i-0abc", "PingStatus": "Online", "ResourceType": "EC2Instance"},
        {"InstanceId": "mi-0def", "PingStatus": "Online", "ResourceType": "ManagedInstance", "IamRole": "SSMServiceRole"}]}),
    );
    write(
        &f.0,
        "ec2/instances.json",
        &json!({"Reservations": [{"Instances": [{"InstanceId": "i-0abc", "Placement": {"AvailabilityZone": "eu-west-1a"}, "IamInstanceProfile": {"Arn": "arn:aws:iam::111122223333:instance-profile/web", "Id": "AIPA"}}]}]}),
    );
    let s = from_aws_cli(&f.0).unwrap();
    for list in vaultward_snapshot::COMPUTE_LISTS {
        assert!(
            !s.not_collected.contains_key(*list),
            "{list}: {:?}",
            s.not_collected
        );
    }
    assert_eq!(
        s.lambda_functions[0].role.as_deref(),
        Some("arn:aws:iam::111122223333:role/fn")
    );
    assert_eq!(
        s.lambda_event_source_mappings[0]
            .event_source_arn
            .as_deref(),
        Some("arn:aws:sqs:eu-west-1:111122223333:q")
    );
    assert_eq!(
        s.cloudformation_stacks[0].role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/cfn")
    );
    assert_eq!(
        s.sagemaker_notebook_instances[0].role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/nb")
    );
    assert_eq!(
        s.glue_dev_endpoints[0].arn,
        "arn:aws:glue:eu-west-1:111122223333:devEndpoint/etl"
    );
    assert_eq!(
        s.codebuild_projects[0].service_role.as_deref(),
        Some("arn:aws:iam::111122223333:role/cb")
    );
    assert_eq!(s.ecs_task_definitions[0].revision, Some(3));
    assert_eq!(
        s.ecs_task_definitions[0].execution_role_arn.as_deref(),
        Some("arn:aws:iam::111122223333:role/exec")
    );
    let node = |id: &str| {
        s.ssm_managed_instances
            .iter()
            .find(|n| n.instance_id == id)
            .unwrap()
    };
    assert_eq!(
        node("i-0abc").instance_profile_arn.as_deref(),
        Some("arn:aws:iam::111122223333:instance-profile/web")
    );
    assert_eq!(
        node("i-0abc").arn,
        "arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc"
    );
    assert_eq!(node("mi-0def").iam_role.as_deref(), Some("SSMServiceRole"));
    assert_eq!(
        s.ec2_instances[0].instance_profile_arn.as_deref(),
        Some("arn:aws:iam::111122223333:instance-profile/web")
    );

    // A listed notebook without its description, a missing file with its error, and a node
    // whose instance is not in the EC2 export: each list is not collected, not empty.
    std::fs::remove_file(f.0.join(format!("{r}/notebook-instances/nb.json"))).unwrap();
    std::fs::remove_file(f.0.join(format!("{r}/describe-stacks.json"))).unwrap();
    std::fs::write(
        f.0.join(format!("{r}/describe-stacks.error")),
        "An error occurred (AccessDenied) when calling the DescribeStacks operation\n",
    )
    .unwrap();
    write(&f.0, "ec2/instances.json", &json!({"Reservations": []}));
    let s = from_aws_cli(&f.0).unwrap();
    assert!(s.not_collected["sagemaker_notebook_instances"].contains("notebook-instances/nb.json"));
    assert!(s.not_collected["cloudformation_stacks"].contains("AccessDenied"));
    assert!(s.not_collected["ssm_managed_instances"].contains("i-0abc"));
    assert!(!s.not_collected.contains_key("lambda_functions"));

    // No compute folder at all: every compute list is not collected.
    std::fs::remove_dir_all(f.0.join("compute")).unwrap();
    let s = from_aws_cli(&f.0).unwrap();
    for list in vaultward_snapshot::COMPUTE_LISTS {
        assert!(s.not_collected.contains_key(*list), "{list}");
    }
}

/// `aws backup list-backup-vaults` and `list-recovery-points-by-backup-vault` output
/// (AWS Backup API reference, BackupVaultListMember and RecoveryPointByBackupVault).
#[test]
fn vaults_keep_their_key_lock_and_recovery_points() {
    let f = Folder::new("vaults");
    write(
        &f.0,
        "backup/vaults.json",
        &json!({"BackupVaultList": [
        {"BackupVaultName": "locked", "BackupVaultArn": "arn:aws:backup:eu-west-1:111122223333:backup-vault:locked",
         "VaultType": "BACKUP_VAULT", "EncryptionKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k1",
         "Locked": true, "MinRetentionDays": 7, "MaxRetentionDays": 365, "LockDate": "2027-01-15T08:00:00+00:00"},
        {"BackupVaultName": "governed", "BackupVaultArn": "arn:aws:backup:eu-west-1:111122223333:backup-vault:governed",
         "Locked": true, "MinRetentionDays": 1},
        {"BackupVaultName": "open", "BackupVaultArn": "arn:aws:backup:eu-west-1:111122223333:backup-vault:open", "Locked": false}]}),
    );
    write(
        &f.0,
        "backup/locked.recovery-points.json",
        &json!({"RecoveryPoints": [
        {"RecoveryPointArn": "arn:aws:ec2:eu-west-1::snapshot/snap-0abc", "BackupVaultArn": "arn:aws:backup:eu-west-1:111122223333:backup-vault:locked",
         "ResourceType": "EBS", "ResourceArn": "arn:aws:ec2:eu-west-1:111122223333:volume/vol-0abc",
         "EncryptionKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k2", "IsEncrypted": true, "Status": "COMPLETED",
         "CreationDate": "2026-11-01T00:00:00+00:00", "Lifecycle": {"DeleteAfterDays": 35},
         "CalculatedLifecycle": {"DeleteAt": "2026-12-06T00:00:00+00:00"}}]}),
    );
    write(
        &f.0,
        "backup/governed.recovery-points.json",
        &json!({"RecoveryPoints": []}),
    );
    let s = from_aws_cli(&f.0).unwrap();
    let v = |n: &str| s.backup_vaults.iter().find(|v| v.name == n).unwrap();
    use vaultward_snapshot::VaultLockMode;
    let locked = v("locked");
    assert_eq!(
        locked.encryption_key_arn.as_deref(),
        Some("arn:aws:kms:eu-west-1:111122223333:key/k1")
    );
    let lock = locked.lock.as_ref().unwrap();
    assert_eq!(lock.mode, Some(VaultLockMode::Compliance));
    assert_eq!(lock.lock_date.as_deref(), Some("2027-01-15T08:00:00+00:00"));
    assert_eq!(lock.max_retention_days, Some(365));
    assert_eq!(
        v("governed").lock.as_ref().unwrap().mode,
        Some(VaultLockMode::Governance)
    );
    assert!(!v("open").lock.as_ref().unwrap().locked);
    assert_eq!(s.recovery_points.len(), 1);
    let p = &s.recovery_points[0];
    assert_eq!(p.resource_type.as_deref(), Some("EBS"));
    assert_eq!(
        p.encryption_key_arn.as_deref(),
        Some("arn:aws:kms:eu-west-1:111122223333:key/k2")
    );
    assert_eq!(p.lifecycle.as_ref().unwrap().delete_after_days, Some(35));
    assert_eq!(
        p.lifecycle.as_ref().unwrap().delete_at.as_deref(),
        Some("2026-12-06T00:00:00+00:00")
    );
    // Listed but not exported: that vault's points are not collected; the others are.
    assert!(v("open").not_collected["recovery_points"].contains("open.recovery-points.json"));
    assert!(v("governed").not_collected.is_empty());
    assert!(!s.not_collected.contains_key("recovery_points"));
    // Round trip through the snapshot file.
    let back =
        vaultward_snapshot::Snapshot::from_json("s.json", &serde_json::to_string(&s).unwrap())
            .unwrap();
    assert_eq!(back.recovery_points, s.recovery_points);
    assert_eq!(back.backup_vaults[0].lock, s.backup_vaults[0].lock);
}
