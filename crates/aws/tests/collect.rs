//! `collect` against a real emulator (moto, started per test on 127.0.0.1 and stopped when
//! the test ends, pass or fail): resources are created with the SDK, collected, and the
//! snapshot and `check`'s findings are asserted end to end. Emulator gaps are listed in
//! `vaultward_aws::testing`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use vaultward_aws::testing::{MotoServer, ACCOUNT, REGION};
use vaultward_aws::{collect, Objects, Options, Regions};
use vaultward_backup::check::{check, CheckOptions, Level, Op};
use vaultward_model::{generate, AssetType, Params};
use vaultward_snapshot::Collected;

const ROLE_PATH: &str = "/vaultward/";
const ROLE_NAME: &str = "VaultwardBackupRole";

fn role_arn() -> String {
    format!("arn:aws:iam::{ACCOUNT}:role{ROLE_PATH}{ROLE_NAME}")
}

fn options(moto: &MotoServer, key: &str, secret: &str) -> Options {
    Options {
        endpoint_url: Some(moto.endpoint.clone()),
        regions: Regions::Listed(vec![REGION.into()]),
        objects: Objects::All,
        credentials: Some(SharedCredentialsProvider::new(Credentials::new(
            key, secret, None, None, "test",
        ))),
        max_attempts: 2,
        ..Options::default()
    }
}

fn s3(moto: &MotoServer) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto.sdk_config())
            .force_path_style(true)
            .build(),
    )
}

async fn enforce_owner(s3: &aws_sdk_s3::Client, bucket: &str) {
    use aws_sdk_s3::types::{ObjectOwnership, OwnershipControls, OwnershipControlsRule};
    s3.put_bucket_ownership_controls()
        .bucket(bucket)
        .ownership_controls(
            OwnershipControls::builder()
                .rules(
                    OwnershipControlsRule::builder()
                        .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// The backup role as `vaultward permissions` generates it, created in the emulator with
/// its managed policies and a permissions boundary.
async fn create_backup_role(moto: &MotoServer) {
    let iam = aws_sdk_iam::Client::new(&moto.sdk_config());
    let bundle = generate(&Params {
        account: ACCOUNT.into(),
        vendor_account: "999988887777".into(),
        external_id: "ext-1".into(),
        ..Params::default()
    })
    .unwrap();
    let role = &bundle.roles[0];
    assert_eq!(role.arn, role_arn());
    let boundary = iam
        .create_policy()
        .policy_name("BackupBoundary")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    iam.create_role()
        .role_name(&role.name)
        .path(&role.path)
        .assume_role_policy_document(role.trust_policy.to_string())
        .permissions_boundary(boundary.policy().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    for p in bundle
        .policies
        .iter()
        .filter(|p| role.managed_policies.contains(&p.id))
    {
        let created = iam
            .create_policy()
            .policy_name(&p.name)
            .path(&p.path)
            .policy_document(p.document.to_string())
            .send()
            .await
            .unwrap();
        iam.attach_role_policy()
            .role_name(&role.name)
            .policy_arn(created.policy().unwrap().arn().unwrap())
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collects_an_account_and_checks_it_end_to_end() {
    let moto = MotoServer::start().unwrap();
    let conf = moto.sdk_config();
    create_backup_role(&moto).await;

    // A KMS key, a bucket whose objects use it, and a Deny in the bucket policy for
    // every principal on GetObject (the seed guide's "explicit deny" case).
    let kms = aws_sdk_kms::Client::new(&conf);
    let key = kms.create_key().send().await.unwrap();
    let key_arn = key.key_metadata().unwrap().arn().unwrap().to_string();
    kms.create_alias()
        .alias_name("alias/backups")
        .target_key_id(&key_arn)
        .send()
        .await
        .unwrap();
    let s3 = s3(&moto);
    s3.create_bucket().bucket("hd-data").send().await.unwrap();
    let deny = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyAllReads", "Effect": "Deny", "Principal": "*",
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::hd-data/*"}]});
    s3.put_bucket_policy()
        .bucket("hd-data")
        .policy(deny.to_string())
        .send()
        .await
        .unwrap();
    enforce_owner(&s3, "hd-data").await;
    s3.put_bucket_versioning()
        .bucket("hd-data")
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // One object written with an S3 Bucket Key, one without; the bucket's default uses one.
    for (k, body, bucket_key) in [("a.txt", "hello", true), ("b/c.bin", "0123456789", false)] {
        s3.put_object()
            .bucket("hd-data")
            .key(k)
            .body(ByteStream::from_static(body.as_bytes()))
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
            .ssekms_key_id(&key_arn)
            .bucket_key_enabled(bucket_key)
            .send()
            .await
            .unwrap();
    }
    {
        use aws_sdk_s3::types as st;
        s3.put_bucket_encryption()
            .bucket("hd-data")
            .server_side_encryption_configuration(
                st::ServerSideEncryptionConfiguration::builder()
                    .rules(
                        st::ServerSideEncryptionRule::builder()
                            .apply_server_side_encryption_by_default(
                                st::ServerSideEncryptionByDefault::builder()
                                    .sse_algorithm(st::ServerSideEncryption::AwsKms)
                                    .kms_master_key_id(&key_arn)
                                    .build()
                                    .unwrap(),
                            )
                            .bucket_key_enabled(true)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    // A second bucket with Object Ownership set, a tag, and a public access block.
    s3.create_bucket().bucket("hd-logs").send().await.unwrap();
    s3.put_bucket_tagging()
        .bucket("hd-logs")
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("team")
                        .value("ops")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3.put_public_access_block()
        .bucket("hd-logs")
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();

    // A tagged DynamoDB table, an encrypted tagged EBS volume, a backup vault.
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    use aws_sdk_dynamodb::types as dt;
    ddb.create_table()
        .table_name("orders")
        .key_schema(
            dt::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(dt::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            dt::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(dt::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(dt::BillingMode::PayPerRequest)
        .tags(
            dt::Tag::builder()
                .key("backup")
                .value("daily")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    use aws_sdk_ec2::types as et;
    let vol = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(8)
        .encrypted(true)
        .kms_key_id(&key_arn)
        .tag_specifications(
            et::TagSpecification::builder()
                .resource_type(et::ResourceType::Volume)
                .tags(et::Tag::builder().key("backup").value("weekly").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let backup = aws_sdk_backup::Client::new(&conf);
    backup
        .create_backup_vault()
        .backup_vault_name("vaultward-vault")
        .encryption_key_arn(&key_arn)
        .send()
        .await
        .unwrap();
    // Compliance mode: a grace time (ChangeableForDays) after which the lock is immutable.
    backup
        .put_backup_vault_lock_configuration()
        .backup_vault_name("vaultward-vault")
        .min_retention_days(7)
        .max_retention_days(365)
        .changeable_for_days(3)
        .send()
        .await
        .unwrap();

    let got = collect(&options(&moto, "testing", "testing"))
        .await
        .unwrap();
    let s = &got.snapshot;
    eprintln!("{}", got.summary());
    assert_eq!(s.account_id, ACCOUNT);
    assert!(
        s.organization.is_none(),
        "moto's account is in no organization"
    );

    // IAM: the role with its path, boundary and attached policies.
    let roles = s.iam.as_ref().unwrap()["RoleDetailList"]
        .as_array()
        .unwrap();
    let role = roles.iter().find(|r| r["RoleName"] == ROLE_NAME).unwrap();
    assert_eq!(role["Path"], ROLE_PATH);
    assert!(role["AssumeRolePolicyDocument"].is_object());
    assert!(role["PermissionsBoundary"]["PermissionsBoundaryArn"]
        .as_str()
        .unwrap()
        .ends_with(":policy/BackupBoundary"));
    assert!(!role["AttachedManagedPolicies"]
        .as_array()
        .unwrap()
        .is_empty());
    let policies = s.iam.as_ref().unwrap()["Policies"].as_array().unwrap();
    assert!(policies.iter().all(|p| p["PolicyVersionList"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["Document"].is_object())));

    // S3.
    let data = s.buckets.iter().find(|b| b.name == "hd-data").unwrap();
    assert_eq!(data.region.as_deref(), Some(REGION));
    let Collected::Document(doc) = &data.policy else {
        panic!("policy: {:?}", data.policy)
    };
    assert_eq!(doc["Statement"][0]["Sid"], "DenyAllReads");
    // moto answers GetBucketVersioning with the wrong XML root
    // (`GetBucketVersioningResponse` for `VersioningConfiguration`): the SDK cannot parse
    // it, and the collector records the field as not collected rather than guessing.
    assert_eq!(data.versioning, None);
    assert!(
        data.not_collected["versioning"].contains("error parsing XML"),
        "{:?}",
        data.not_collected
    );
    // The S3 Bucket Key, for the bucket's default and per object (S3 API reference,
    // GetBucketEncryption and HeadObject: BucketKeyEnabled).
    let enc = data.default_encryption.as_ref().unwrap();
    assert_eq!(enc.sse, "aws:kms");
    assert_eq!(enc.kms_key_id.as_deref(), Some(key_arn.as_str()));
    assert_eq!(data.bucket_key_enabled(), Some(true));
    let object_key = |k: &str| {
        data.objects
            .iter()
            .find(|o| o.key == k)
            .unwrap()
            .bucket_key_enabled
    };
    assert_eq!(object_key("a.txt"), Some(true));
    assert_eq!(object_key("b/c.bin"), Some(false));
    assert_eq!(data.objects.len(), 2);
    for o in &data.objects {
        assert_eq!(o.kms_key_id.as_deref(), Some(key_arn.as_str()), "{o:?}");
        assert_eq!(o.owner_account.as_deref(), Some(ACCOUNT));
        assert!(o.version_id.is_some());
    }
    assert_eq!(
        data.objects.iter().map(|o| o.size).sum::<u64>(),
        15,
        "sizes of a.txt and b/c.bin"
    );
    assert!(!data.objects_truncated);
    // Every list was asked for and read, but for moto's missing
    // DescribeInstanceInformation (see `vaultward_aws::testing`).
    assert_eq!(
        s.not_collected.keys().collect::<Vec<_>>(),
        vec!["ssm_managed_instances"],
        "{:?}",
        s.not_collected
    );

    // A sample of one object: the listing says it is cut short, and the lists of the
    // asset types not asked for are recorded as not collected (not as empty).
    let mut sample = options(&moto, "testing", "testing");
    sample.objects = Objects::Sample(1);
    sample.assets = [AssetType::S3].into_iter().collect();
    let cut = collect(&sample).await.unwrap().snapshot;
    let d = cut.buckets.iter().find(|b| b.name == "hd-data").unwrap();
    assert_eq!(d.objects.len(), 1);
    assert!(d.objects_truncated);
    for list in ["dynamodb_tables", "ec2_instances", "ebs_volumes"] {
        assert!(
            cut.not_collected[list].starts_with("not asked"),
            "{list}: {:?}",
            cut.not_collected
        );
    }
    assert!(!cut.not_collected.contains_key("buckets"));
    assert_eq!(data.ownership.as_deref(), Some("BucketOwnerEnforced"));
    // No ownership controls: the bucket is ObjectWriter (S3 User Guide, "Controlling
    // ownership of objects and disabling ACLs for your bucket").
    let logs = s.buckets.iter().find(|b| b.name == "hd-logs").unwrap();
    assert_eq!(logs.ownership.as_deref(), Some("ObjectWriter"));
    assert_eq!(logs.policy, Collected::Document(Value::Null));
    assert_eq!(logs.tags.get("team").map(String::as_str), Some("ops"));
    assert_eq!(
        logs.public_access_block.document().unwrap()["BlockPublicPolicy"],
        true
    );
    assert_eq!(data.public_access_block, Collected::Document(Value::Null));
    assert_eq!(
        logs.not_collected.keys().collect::<Vec<_>>(),
        vec!["versioning"],
        "only moto's versioning gap"
    );

    // KMS, DynamoDB, EC2, Backup.
    let k = s.kms_keys.iter().find(|k| k.arn == key_arn).unwrap();
    assert_eq!(k.manager.as_deref(), Some("CUSTOMER"));
    assert_eq!(k.aliases, vec!["alias/backups".to_string()]);
    assert!(k.policy.document().unwrap()["Statement"].is_array());
    let t = &s.dynamodb_tables[0];
    assert_eq!(
        t.arn,
        format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders")
    );
    assert_eq!(t.tags.get("backup").map(String::as_str), Some("daily"));
    let v = &s.ebs_volumes[0];
    assert_eq!(
        v.arn,
        format!(
            "arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{}",
            vol.volume_id().unwrap()
        )
    );
    assert_eq!(v.encrypted, Some(true));
    assert_eq!(v.kms_key_id.as_deref(), Some(key_arn.as_str()));
    assert_eq!(v.tags.get("backup").map(String::as_str), Some("weekly"));
    let vault = &s.backup_vaults[0];
    assert_eq!(vault.name, "vaultward-vault");
    // The vault's key and Vault Lock (AWS Backup developer guide, "AWS Backup Vault Lock":
    // https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html).
    assert_eq!(vault.encryption_key_arn.as_deref(), Some(key_arn.as_str()));
    let lock = vault.lock.as_ref().unwrap();
    assert!(lock.locked);
    assert_eq!(
        lock.mode,
        Some(vaultward_snapshot::VaultLockMode::Compliance)
    );
    assert_eq!(
        (lock.min_retention_days, lock.max_retention_days),
        (Some(7), Some(365))
    );
    assert!(lock.lock_date.is_some(), "{lock:?}");
    // moto has no ListRecoveryPointsByBackupVault: the vault's points are not collected,
    // never "none".
    assert!(
        vault.not_collected.contains_key("recovery_points"),
        "{:?}",
        vault.not_collected
    );
    assert!(s.recovery_points.is_empty());
    // moto has no GetBackupVaultAccessPolicy: the vault's policy is recorded as not
    // collected, never as "none".
    assert!(
        matches!(vault.access_policy, Collected::NotCollected { .. }),
        "{:?}",
        vault.access_policy
    );
    assert!(got
        .missing
        .iter()
        .any(|m| m.api == "GetBackupVaultAccessPolicy"));

    // The snapshot round-trips through its file format.
    let text = serde_json::to_string_pretty(s).unwrap();
    let back = vaultward_snapshot::Snapshot::from_json("collected.json", &text).unwrap();
    assert!(
        serde_json::to_value(&back).unwrap() == serde_json::to_value(s).unwrap(),
        "the snapshot changed through its file format"
    );

    // And `check` reads it: the bucket policy's Deny blocks the backup of hd-data's
    // objects, named by its statement; the vault is unknown, not passed.
    let report = check(
        s,
        &CheckOptions::new(
            &role_arn(),
            [AssetType::S3, AssetType::DynamoDb, AssetType::Ec2]
                .into_iter()
                .collect(),
            BTreeSet::from([Op::Backup]),
        ),
    )
    .unwrap();
    let deny = report
        .findings
        .iter()
        .find(|f| f.code == "explicit-deny-bucket-policy")
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert_eq!(deny.resource, "arn:aws:s3:::hd-data");
    assert_eq!(deny.statement.as_deref(), Some("DenyAllReads"));
    assert_eq!(deny.impact.objects, 2);
    assert_eq!(deny.impact.bytes, 15);
    assert!(report
        .findings
        .iter()
        .any(|f| f.level == Level::Unknown && f.resource.contains("backup-vault")));
    assert!(!report
        .findings
        .iter()
        .any(|f| f.resource == "arn:aws:s3:::hd-logs" && f.level == Level::Blocking));
}

/// An identity that may read everything but bucket policies: the run goes on, the policy
/// is recorded as not collected with the error, and the summary names the permission.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_call_is_recorded_and_the_run_goes_on() {
    // Setup takes 8 calls (bucket, user, policy, attach, key); after them, moto checks
    // every request against the caller's IAM policies.
    let moto = MotoServer::start_enforcing(5).unwrap();
    let conf = moto.sdk_config();
    let s3 = s3(&moto);
    s3.create_bucket().bucket("hd-secret").send().await.unwrap();
    let iam = aws_sdk_iam::Client::new(&conf);
    iam.create_user()
        .user_name("collector")
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("collector")
        .policy_name("ReadAllButBucketPolicies")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:GetBucketPolicy", "Resource": "*"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name("collector")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let opts = options(&moto, key.access_key_id(), key.secret_access_key());
    let got = collect(&opts).await.unwrap();
    let b = got
        .snapshot
        .buckets
        .iter()
        .find(|b| b.name == "hd-secret")
        .unwrap();
    let Collected::NotCollected { not_collected } = &b.policy else {
        panic!("{:?}", b.policy)
    };
    assert_eq!(not_collected, "AccessDenied");
    // The rest of the bucket was read.
    assert_eq!(b.ownership.as_deref(), Some("ObjectWriter"));
    let summary = got.summary();
    assert!(
        summary.contains("bucket hd-secret: GetBucketPolicy not collected: AccessDenied (needs s3:GetBucketPolicy)"),
        "{summary}"
    );
    assert!(got
        .snapshot
        .notes
        .iter()
        .any(|n| n.contains("needs s3:GetBucketPolicy")));
}

#[tokio::test]
async fn bad_credentials_fail_before_anything_is_written() {
    let moto = MotoServer::start_enforcing(0).unwrap();
    let err = collect(&options(&moto, "AKIANOTAKEY000000000", "nope"))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("sts:GetCallerIdentity"), "{msg}");
}
