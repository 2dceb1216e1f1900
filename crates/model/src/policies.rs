//! The backup service's permission model: for each asset type and operation, the actions
//! it needs, on which resources, under which conditions, and a sample request that proves
//! each grant is enough.
//!
//! Specified from the backup vendor's permissions file (`shared/seeds`), with its typos and
//! duplicates fixed and its actions checked against the catalog. Tag rules: everything the
//! service creates carries the vendor tag; resources being restored carry the restore tag;
//! `ec2:CreateTags` is allowed only as part of a create action.

use serde_json::{json, Value};

use crate::params::{AssetType, Params};

/// Which part of the service a grant serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    Base,
    Inventory,
    Kms,
    Backup,
    ContinuousBackup,
    Restore,
    DriftDetection,
    Support,
    EventForwarding,
}

/// A request a grant must allow: the proof that the grant is sufficient.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sample {
    pub resource: String,
    pub context: Value,
}

/// One statement of a generated policy.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Grant {
    pub sid: String,
    pub allow: bool,
    pub operation: Operation,
    pub asset: Option<AssetType>,
    pub actions: Vec<&'static str>,
    pub resources: Vec<String>,
    pub condition: Option<Value>,
    /// For an Allow: a request for each action that the grant must allow.
    pub sample: Option<Sample>,
}

impl Grant {
    pub fn statement(&self) -> Value {
        let mut s = serde_json::Map::new();
        s.insert("Sid".into(), json!(self.sid));
        s.insert(
            "Effect".into(),
            json!(if self.allow { "Allow" } else { "Deny" }),
        );
        s.insert("Action".into(), json!(self.actions));
        s.insert(
            "Resource".into(),
            if self.resources.len() == 1 {
                json!(self.resources[0])
            } else {
                json!(self.resources)
            },
        );
        if let Some(c) = &self.condition {
            s.insert("Condition".into(), c.clone());
        }
        Value::Object(s)
    }
}

/// A managed policy of the main role.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicySpec {
    pub name: String,
    pub description: &'static str,
    pub grants: Vec<Grant>,
}

impl PolicySpec {
    pub fn document(&self) -> Value {
        json!({"Version": "2012-10-17", "Statement": self.grants.iter().map(Grant::statement).collect::<Vec<_>>()})
    }
}

struct Builder {
    operation: Operation,
    asset: Option<AssetType>,
    grants: Vec<Grant>,
}

impl Builder {
    fn at(&mut self, operation: Operation, asset: Option<AssetType>) {
        self.operation = operation;
        self.asset = asset;
    }

    /// Adds an Allow; `sample` is the resource and context that must be allowed.
    fn allow(
        &mut self,
        sid: &str,
        actions: &[&'static str],
        resources: &[String],
        condition: Option<Value>,
        sample: (&str, Value),
    ) {
        self.grants.push(Grant {
            sid: sid.into(),
            allow: true,
            operation: self.operation,
            asset: self.asset,
            actions: actions.to_vec(),
            resources: resources.to_vec(),
            condition,
            sample: Some(Sample {
                resource: sample.0.into(),
                context: sample.1,
            }),
        });
    }

    fn deny(
        &mut self,
        sid: &str,
        actions: &[&'static str],
        resources: &[String],
        condition: Option<Value>,
    ) {
        self.grants.push(Grant {
            sid: sid.into(),
            allow: false,
            operation: self.operation,
            asset: self.asset,
            actions: actions.to_vec(),
            resources: resources.to_vec(),
            condition,
            sample: None,
        });
    }

    fn take(&mut self) -> Vec<Grant> {
        std::mem::take(&mut self.grants)
    }
}

fn all() -> Vec<String> {
    vec!["*".into()]
}

/// The main role's managed policies for `p`, in a fixed order.
pub fn policies(p: &Params) -> Vec<PolicySpec> {
    let acct = &p.account;
    let t = &p.name_token;
    let path = &p.role_path;
    let has = |a| p.assets.contains(&a);
    let vendor_tag = format!("aws:RequestTag/{}", p.vendor_tag_key);
    let vendor_res_tag = format!("aws:ResourceTag/{}", p.vendor_tag_key);
    let restore_req_tag = format!("aws:RequestTag/{}", p.restore_tag_key);
    let restore_res_tag = format!("aws:ResourceTag/{}", p.restore_tag_key);
    let vendor_tagged = json!({"StringEquals": {vendor_res_tag.clone(): p.vendor_tag_value}});
    let restore_tagged = json!({"StringLike": {restore_res_tag.clone(): "*"}});
    let ctx_vendor_res = json!({vendor_res_tag.clone(): p.vendor_tag_value});
    let ctx_restore_res = json!({restore_res_tag.clone(): "1"});
    let region = p
        .regions
        .first()
        .cloned()
        .unwrap_or_else(|| "us-east-1".into());
    let own_roles = format!("arn:aws:iam::{acct}:role{path}{t}*");
    let own_policies = format!("arn:aws:iam::{acct}:policy{path}{t}*");
    let topic = format!("arn:aws:sns:*:{acct}:{t}EventPub");
    let rules = format!("arn:aws:events:*:{acct}:rule/{t}*");
    let mut b = Builder {
        operation: Operation::Base,
        asset: None,
        grants: Vec::new(),
    };
    let mut out = Vec::new();

    // Base: validate its own roles, policies, topic and rules; read the account alias.
    b.allow(
        "ReadOwnRolesAndPolicies",
        &[
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:ListRoleTags",
            "iam:ListInstanceProfilesForRole",
        ],
        std::slice::from_ref(&own_roles),
        None,
        (&p.role_arn(), json!({})),
    );
    b.allow(
        "ReadOwnManagedPolicies",
        &["iam:GetPolicy", "iam:GetPolicyVersion"],
        std::slice::from_ref(&own_policies),
        None,
        (
            &format!("arn:aws:iam::{acct}:policy{path}{t}BasePolicy"),
            json!({}),
        ),
    );
    b.allow(
        "ReadAccountAlias",
        &["iam:ListAccountAliases"],
        &all(),
        None,
        ("*", json!({})),
    );
    b.allow(
        "ReadOwnTopicAndRules",
        &[
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
            "events:DescribeRule",
            "events:ListTargetsByRule",
            "events:ListTagsForResource",
        ],
        &[topic.clone(), rules.clone()],
        None,
        (
            &format!("arn:aws:sns:{region}:{acct}:{t}EventPub"),
            json!({}),
        ),
    );
    b.at(Operation::DriftDetection, None);
    b.allow(
        "DetectDrift",
        &[
            "cloudformation:DescribeStacks",
            "cloudformation:DescribeStackResources",
            "cloudformation:DetectStackResourceDrift",
        ],
        &[format!("arn:aws:cloudformation:*:{acct}:stack/{t}*")],
        None,
        (
            &format!("arn:aws:cloudformation:{region}:{acct}:stack/{t}Stack/1"),
            json!({}),
        ),
    );
    b.allow(
        "SimulateOwnPolicies",
        &[
            "iam:SimulatePrincipalPolicy",
            "iam:GetContextKeysForPrincipalPolicy",
        ],
        std::slice::from_ref(&own_roles),
        None,
        (&p.role_arn(), json!({})),
    );
    b.allow(
        "ReadServiceLinkedRoleDeletion",
        &[
            "iam:GetServiceLinkedRoleDeletionStatus",
            "events:DescribeEventBus",
        ],
        &all(),
        None,
        ("*", json!({})),
    );
    out.push(PolicySpec {
        name: format!("{t}BasePolicy"),
        description:
            "Validate the service's own roles, policies, topic and rules, and detect drift",
        grants: b.take(),
    });

    // Inventory: list the selected asset types, read-only.
    b.at(Operation::Inventory, None);
    b.allow(
        "ListProtectedResources",
        &[
            "backup:ListProtectedResources",
            "cloudwatch:GetMetricStatistics",
            "kms:DescribeKey",
        ],
        &all(),
        None,
        ("*", json!({})),
    );
    // What `vaultward collect` reads besides the assets: the account's IAM configuration,
    // the organization's policies on the account's path (readable from the management
    // account or a delegated administrator), keys and their policies, and the regions.
    b.allow(
        "CollectAccountConfiguration",
        &[
            "iam:GetAccountAuthorizationDetails",
            "organizations:DescribeOrganization",
            "organizations:ListParents",
            "organizations:ListPoliciesForTarget",
            "organizations:DescribePolicy",
            "kms:ListKeys",
            "kms:ListAliases",
            "kms:GetKeyPolicy",
            "ec2:DescribeRegions",
            "backup:ListBackupVaults",
        ],
        &all(),
        None,
        ("*", json!({})),
    );
    b.allow(
        "ReadBackupVaults",
        &[
            "backup:DescribeBackupVault",
            "backup:GetBackupVaultAccessPolicy",
            "backup:ListRecoveryPointsByBackupVault",
        ],
        &[format!("arn:aws:backup:*:{acct}:backup-vault:*")],
        None,
        (
            &format!("arn:aws:backup:{region}:{acct}:backup-vault:Default"),
            json!({}),
        ),
    );
    if has(AssetType::S3) {
        b.at(Operation::Inventory, Some(AssetType::S3));
        b.allow(
            "InventoryS3",
            &[
                "s3:ListAllMyBuckets",
                "s3:GetBucketLocation",
                "s3:GetEncryptionConfiguration",
                "s3:GetBucketVersioning",
                "s3:GetBucketPolicy",
                "s3:GetBucketTagging",
                "s3:GetReplicationConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:GetBucketLogging",
                "s3:GetBucketOwnershipControls",
                "s3:GetBucketPublicAccessBlock",
            ],
            &all(),
            None,
            ("arn:aws:s3:::customer-bucket", json!({})),
        );
        // Object listings (ListObjectVersions: versions, size, owner) and each object's
        // encryption key (HeadObject, the only call that returns it; it needs GetObject),
        // only in the account's own buckets.
        b.allow(
            "InventoryS3Objects",
            &[
                "s3:ListBucketVersions",
                "s3:GetObject",
                "s3:GetObjectVersion",
            ],
            &["arn:aws:s3:::*".into(), "arn:aws:s3:::*/*".into()],
            Some(json!({"StringEquals": {"s3:ResourceAccount": acct}})),
            (
                "arn:aws:s3:::customer-bucket/a.txt",
                json!({"s3:ResourceAccount": acct}),
            ),
        );
    }
    if has(AssetType::DynamoDb) {
        b.at(Operation::Inventory, Some(AssetType::DynamoDb));
        b.allow(
            "InventoryDynamoDb",
            &[
                "dynamodb:DescribeBackup",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeTableReplicaAutoScaling",
                "dynamodb:ListBackups",
                "dynamodb:ListTables",
                "dynamodb:ListTagsOfResource",
                "dynamodb:DescribeGlobalTable",
                "dynamodb:DescribeGlobalTableSettings",
                "dynamodb:ListGlobalTables",
            ],
            &all(),
            None,
            (
                &format!("arn:aws:dynamodb:{region}:{acct}:table/orders"),
                json!({}),
            ),
        );
    }
    if has(AssetType::Ec2) {
        b.at(Operation::Inventory, Some(AssetType::Ec2));
        b.allow(
            "InventoryEc2",
            &[
                "ec2:DescribeImageAttribute",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceAttribute",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeInstanceCreditSpecifications",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeTags",
                "ec2:DescribeSnapshots",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeFastSnapshotRestores",
                "ec2:DescribeSnapshotAttribute",
                "ec2:DescribeVolumeAttribute",
                "ec2:DescribeVolumeStatus",
                "ec2:DescribeVolumes",
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeAddresses",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeKeyPairs",
            ],
            &all(),
            None,
            ("*", json!({})),
        );
    }
    out.push(PolicySpec {
        name: format!("{t}InventoryPolicy"),
        description: "List the selected assets and their configuration, read-only",
        grants: b.take(),
    });

    // KMS: customer keys, only through the services the selected assets use.
    b.at(Operation::Kms, None);
    let via: Vec<String> = p
        .assets
        .iter()
        .flat_map(|a| {
            let svc = match a {
                AssetType::S3 => "s3",
                AssetType::DynamoDb => "dynamodb",
                AssetType::Ec2 => "ec2",
            };
            p.regions
                .iter()
                .map(move |r| format!("{svc}.{r}.amazonaws.com"))
        })
        .collect();
    let first_via = via.first().cloned().unwrap_or_default();
    b.allow(
        "UseKeysThroughBackedUpServices",
        &[
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:DescribeKey",
        ],
        &[format!("arn:aws:kms:*:{acct}:key/*")],
        Some(json!({"StringEquals": {"kms:ViaService": via}})),
        (
            &format!("arn:aws:kms:{region}:{acct}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            json!({"kms:ViaService": first_via}),
        ),
    );
    b.allow(
        "GrantsForAwsResourcesOnly",
        &["kms:CreateGrant"],
        &[format!("arn:aws:kms:*:{acct}:key/*")],
        Some(json!({"Bool": {"kms:GrantIsForAWSResource": "true"}})),
        (
            &format!("arn:aws:kms:{region}:{acct}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            json!({"kms:GrantIsForAWSResource": "true"}),
        ),
    );
    out.push(PolicySpec {
        name: format!("{t}KmsPolicy"),
        description: "Use customer keys for encrypted assets, only through the protected services",
        grants: b.take(),
    });

    let vendor_buckets = json!({"StringEquals": {"s3:ResourceAccount": p.vendor_account}});
    // Customer data is read and written only in the customer's own buckets.
    let own_buckets = json!({"StringEquals": {"s3:ResourceAccount": acct}});
    let own_ctx = json!({"s3:ResourceAccount": acct});
    if has(AssetType::S3) {
        b.at(Operation::Backup, Some(AssetType::S3));
        b.allow(
            "ReadBucketsForBackup",
            &[
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:ListBucketMultipartUploads",
                "s3:GetInventoryConfiguration",
                "s3:PutInventoryConfiguration",
            ],
            &["arn:aws:s3:::*".into()],
            Some(own_buckets.clone()),
            ("arn:aws:s3:::customer-bucket", own_ctx.clone()),
        );
        b.allow(
            "ReadObjectsForBackup",
            &[
                "s3:GetObject",
                "s3:GetObjectVersion",
                "s3:GetObjectTagging",
                "s3:GetObjectVersionTagging",
                "s3:GetObjectAcl",
                "s3:GetObjectVersionAcl",
            ],
            &["arn:aws:s3:::*/*".into()],
            Some(own_buckets.clone()),
            (
                "arn:aws:s3:::customer-bucket/path/object.bin",
                own_ctx.clone(),
            ),
        );
        b.allow(
            "ReadOrganization",
            &["organizations:DescribeOrganization"],
            &all(),
            None,
            ("*", json!({})),
        );
        if p.continuous_s3 {
            b.at(Operation::ContinuousBackup, Some(AssetType::S3));
            b.allow(
                "ConfigureBucketNotifications",
                &["s3:GetBucketNotification", "s3:PutBucketNotification"],
                &["arn:aws:s3:::*".into()],
                Some(own_buckets.clone()),
                ("arn:aws:s3:::customer-bucket", own_ctx.clone()),
            );
            b.allow(
                "ManageOwnRules",
                &[
                    "events:DescribeRule",
                    "events:PutRule",
                    "events:DeleteRule",
                    "events:PutTargets",
                    "events:RemoveTargets",
                    "events:ListTargetsByRule",
                ],
                std::slice::from_ref(&rules),
                None,
                (
                    &format!("arn:aws:events:{region}:{acct}:rule/{t}S3ContinuousBackup"),
                    json!({}),
                ),
            );
            b.allow(
                "PassEventBridgeRole",
                &["iam:PassRole"],
                &[format!(
                    "arn:aws:iam::{acct}:role{path}{t}S3ContinuousBackupEventBridgeRole"
                )],
                Some(json!({"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}})),
                (
                    &format!("arn:aws:iam::{acct}:role{path}{t}S3ContinuousBackupEventBridgeRole"),
                    json!({"iam:PassedToService": "events.amazonaws.com"}),
                ),
            );
        }
        out.push(PolicySpec {
            name: format!("{t}S3BackupPolicy"),
            description: "Read buckets and objects for backup",
            grants: b.take(),
        });
        if p.restore {
            b.at(Operation::Restore, Some(AssetType::S3));
            // No ACL can be written: `s3:PutObjectAcl` takes an ACL in its body, which no
            // condition key sees, so it is not granted; PutObject only without ACL headers
            // other than the private ones (S3 condition keys `s3:x-amz-acl`,
            // `s3:x-amz-grant-*`). Nothing is deleted: a failed upload is aborted.
            b.allow(
                "WriteObjectsForRestore",
                &[
                    "s3:PutObject",
                    "s3:PutObjectTagging",
                    "s3:AbortMultipartUpload",
                ],
                &["arn:aws:s3:::*/*".into()],
                Some(json!({
                    "StringEquals": {"s3:ResourceAccount": acct},
                    "StringEqualsIfExists": {"s3:x-amz-acl": ["private", "bucket-owner-full-control"]},
                    "Null": {
                        "s3:x-amz-grant-read": "true",
                        "s3:x-amz-grant-read-acp": "true",
                        "s3:x-amz-grant-write-acp": "true",
                        "s3:x-amz-grant-full-control": "true"
                    }
                })),
                (
                    "arn:aws:s3:::customer-bucket/restored/object.bin",
                    own_ctx.clone(),
                ),
            );
            out.push(PolicySpec {
                name: format!("{t}S3RestorePolicy"),
                description: "Write restored objects into customer buckets",
                grants: b.take(),
            });
        }
    }

    if has(AssetType::DynamoDb) {
        let tables = format!("arn:aws:dynamodb:*:{acct}:table/*");
        let table = format!("arn:aws:dynamodb:{region}:{acct}:table/orders");
        b.at(Operation::Backup, Some(AssetType::DynamoDb));
        b.allow(
            "ExportAndBackUpTables",
            &[
                "dynamodb:ExportTableToPointInTime",
                "dynamodb:CreateBackup",
                "dynamodb:DescribeTable",
                "dynamodb:DescribeContinuousBackups",
                "dynamodb:DescribeTimeToLive",
                "dynamodb:ListTagsOfResource",
            ],
            std::slice::from_ref(&tables),
            None,
            (&table, json!({})),
        );
        b.allow(
            "ReadStreamsAndExports",
            &[
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:DescribeExport",
                "dynamodb:DescribeBackup",
            ],
            &[format!("{tables}/*")],
            None,
            (
                &format!("{table}/stream/2024-01-01T00:00:00.000"),
                json!({}),
            ),
        );
        b.allow(
            "ListBackups",
            &[
                "dynamodb:ListBackups",
                "application-autoscaling:DescribeScalableTargets",
                "application-autoscaling:DescribeScalingPolicies",
            ],
            &all(),
            None,
            ("*", json!({})),
        );
        b.allow(
            "WriteExportsToVendorBuckets",
            &["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectAcl"],
            &["arn:aws:s3:::*/*".into()],
            Some(vendor_buckets.clone()),
            (
                "arn:aws:s3:::vendor-arena/export/part-0",
                json!({"s3:ResourceAccount": p.vendor_account}),
            ),
        );
        out.push(PolicySpec {
            name: format!("{t}DynamoDbBackupPolicy"),
            description: "Export tables to point in time and read streams for incrementals",
            grants: b.take(),
        });
        if p.restore {
            b.at(Operation::Restore, Some(AssetType::DynamoDb));
            // Everything that writes, updates or deletes a table is limited to tables named
            // with the restore prefix: DynamoDB has no condition key that tells the tags of a
            // create from the tags of an existing table (EC2's `ec2:CreateAction`), so a tag
            // the role can set would let it mark, then delete, any customer table.
            let restored = format!(
                "arn:aws:dynamodb:*:{acct}:table/{}*",
                p.restore_table_prefix
            );
            let restored_sample = format!(
                "arn:aws:dynamodb:{region}:{acct}:table/{}orders",
                p.restore_table_prefix
            );
            b.allow(
                "RestoreOnlyIntoPrefixedTables",
                &[
                    "dynamodb:CreateTable",
                    "dynamodb:CreateTableReplica",
                    "dynamodb:UpdateTableReplicaAutoScaling",
                    "dynamodb:ImportTable",
                    "dynamodb:DescribeTable",
                    "dynamodb:RestoreTableFromBackup",
                    "dynamodb:RestoreTableToPointInTime",
                    "dynamodb:TagResource",
                    "dynamodb:UntagResource",
                    "dynamodb:UpdateTimeToLive",
                    "dynamodb:UpdateTable",
                    "dynamodb:UpdateContinuousBackups",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteTable",
                ],
                std::slice::from_ref(&restored),
                None,
                (&restored_sample, json!({})),
            );
            // The sources of a restore: a table's point in time, an on-demand backup.
            b.allow(
                "RestoreFromAnyTableOrBackup",
                &[
                    "dynamodb:RestoreTableToPointInTime",
                    "dynamodb:RestoreTableFromBackup",
                ],
                &[tables.clone(), format!("{tables}/backup/*")],
                None,
                (&table, json!({})),
            );
            b.allow(
                "DescribeImports",
                &["dynamodb:DescribeImport"],
                &[format!("{restored}/import/*")],
                None,
                (
                    &format!("{restored_sample}/import/01234567890123-abcdef01"),
                    json!({}),
                ),
            );
            b.allow(
                "ReadImportsFromVendorBuckets",
                &["s3:GetObject", "s3:ListBucket"],
                &["arn:aws:s3:::*".into(), "arn:aws:s3:::*/*".into()],
                Some(vendor_buckets.clone()),
                (
                    "arn:aws:s3:::vendor-arena/export/part-0",
                    json!({"s3:ResourceAccount": p.vendor_account}),
                ),
            );
            b.allow(
                "ImportLogs",
                &[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                    "logs:PutRetentionPolicy",
                ],
                &[format!("arn:aws:logs:*:{acct}:log-group:/aws-dynamodb/*")],
                None,
                (
                    &format!("arn:aws:logs:{region}:{acct}:log-group:/aws-dynamodb/imports:*"),
                    json!({}),
                ),
            );
            b.allow(
                "ListImportLogGroups",
                &["logs:DescribeLogGroups"],
                &all(),
                None,
                ("*", json!({})),
            );
            b.allow(
                "RestoreAutoScaling",
                &[
                    "application-autoscaling:PutScalingPolicy",
                    "application-autoscaling:RegisterScalableTarget",
                ],
                &[format!(
                    "arn:aws:application-autoscaling:*:{acct}:scalable-target/*"
                )],
                None,
                (
                    &format!("arn:aws:application-autoscaling:{region}:{acct}:scalable-target/abc"),
                    json!({}),
                ),
            );
            b.allow("AutoScalingServiceLinkedRole", &["iam:CreateServiceLinkedRole"], &[format!("arn:aws:iam::{acct}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable")], Some(json!({"StringEquals": {"iam:AWSServiceName": "dynamodb.application-autoscaling.amazonaws.com"}})), (&format!("arn:aws:iam::{acct}:role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"), json!({"iam:AWSServiceName": "dynamodb.application-autoscaling.amazonaws.com"})));
            out.push(PolicySpec {
                name: format!("{t}DynamoDbRestorePolicy"),
                description: "Restore tables, items and their auto-scaling settings",
                grants: b.take(),
            });
        }
    }

    if has(AssetType::Ec2) {
        let ec2 = |kind: &str| format!("arn:aws:ec2:*:{acct}:{kind}/*");
        let ec2_global = |kind: &str| format!("arn:aws:ec2:*::{kind}/*");
        let sample = |kind: &str, id: &str| format!("arn:aws:ec2:{region}:{acct}:{kind}/{id}");
        let sample_global = |kind: &str, id: &str| format!("arn:aws:ec2:{region}::{kind}/{id}");
        let create_actions = json!({"StringEquals": {"ec2:CreateAction": ["CreateSnapshot", "CreateSnapshots", "CreateVolume", "RunInstances", "RegisterImage"]}});
        b.at(Operation::Backup, Some(AssetType::Ec2));
        b.allow(
            "SnapshotAnyVolumeOrInstance",
            &["ec2:CreateSnapshot", "ec2:CreateSnapshots"],
            &[ec2("volume"), ec2("instance")],
            None,
            (&sample("volume", "vol-0123456789abcdef0"), json!({})),
        );
        b.allow(
            "CreateOnlyVendorTaggedSnapshots",
            &["ec2:CreateSnapshot", "ec2:CreateSnapshots"],
            &[ec2_global("snapshot")],
            Some(json!({"StringEquals": {vendor_tag.clone(): p.vendor_tag_value}})),
            (
                &sample_global("snapshot", "snap-0123456789abcdef0"),
                json!({vendor_tag.clone(): p.vendor_tag_value}),
            ),
        );
        b.allow(
            "TagOnlyWhileCreating",
            &["ec2:CreateTags"],
            &[
                ec2_global("snapshot"),
                ec2_global("image"),
                ec2("volume"),
                ec2("instance"),
                ec2("network-interface"),
            ],
            Some(create_actions.clone()),
            (
                &sample_global("snapshot", "snap-0123456789abcdef0"),
                json!({"ec2:CreateAction": "CreateSnapshot"}),
            ),
        );
        b.allow(
            "DeleteOnlyVendorSnapshots",
            &["ec2:DeleteSnapshot", "ec2:DeleteTags"],
            &[ec2_global("snapshot")],
            Some(vendor_tagged.clone()),
            (
                &sample_global("snapshot", "snap-0123456789abcdef0"),
                ctx_vendor_res.clone(),
            ),
        );
        b.allow(
            "ImagesOnlyFromVendorSnapshots",
            &["ec2:RegisterImage"],
            &[ec2_global("snapshot")],
            Some(vendor_tagged.clone()),
            (
                &sample_global("snapshot", "snap-0123456789abcdef0"),
                ctx_vendor_res.clone(),
            ),
        );
        b.allow(
            "DeregisterOnlyVendorImages",
            &["ec2:DeregisterImage", "ec2:DeleteTags"],
            &[ec2_global("image")],
            Some(vendor_tagged.clone()),
            (
                &sample_global("image", "ami-0123456789abcdef0"),
                ctx_vendor_res.clone(),
            ),
        );
        b.allow(
            "RegisterOnlyVendorTaggedImages",
            &["ec2:RegisterImage"],
            &[ec2_global("image")],
            Some(json!({"StringEquals": {vendor_tag.clone(): p.vendor_tag_value}})),
            (
                &sample_global("image", "ami-0123456789abcdef0"),
                json!({vendor_tag.clone(): p.vendor_tag_value}),
            ),
        );
        b.allow(
            "ReadSnapshotBlocks",
            &[
                "ebs:GetSnapshotBlock",
                "ebs:ListChangedBlocks",
                "ebs:ListSnapshotBlocks",
            ],
            &[ec2_global("snapshot")],
            None,
            (
                &sample_global("snapshot", "snap-0123456789abcdef0"),
                json!({}),
            ),
        );
        b.allow(
            "ReadInstanceProfiles",
            &["iam:GetInstanceProfile", "iam:GetRole"],
            &[
                format!("arn:aws:iam::{acct}:instance-profile/*"),
                format!("arn:aws:iam::{acct}:role/*"),
            ],
            None,
            (
                &format!("arn:aws:iam::{acct}:instance-profile/web"),
                json!({}),
            ),
        );
        out.push(PolicySpec {
            name: format!("{t}Ec2BackupPolicy"),
            description: "Snapshot volumes and instances; touch only what carries the vendor tag",
            grants: b.take(),
        });
        if p.restore {
            b.at(Operation::Restore, Some(AssetType::Ec2));
            b.allow(
                "StartVendorSnapshots",
                &["ebs:StartSnapshot"],
                &[ec2_global("snapshot")],
                Some(json!({"StringEquals": {vendor_tag.clone(): p.vendor_tag_value}})),
                (
                    &sample_global("snapshot", "snap-0123456789abcdef0"),
                    json!({vendor_tag.clone(): p.vendor_tag_value}),
                ),
            );
            b.allow(
                "WriteVendorSnapshots",
                &["ebs:CompleteSnapshot", "ebs:PutSnapshotBlock"],
                &[ec2_global("snapshot")],
                Some(vendor_tagged.clone()),
                (
                    &sample_global("snapshot", "snap-0123456789abcdef0"),
                    ctx_vendor_res.clone(),
                ),
            );
            b.allow(
                "CreateRestoreTaggedVolumes",
                &["ec2:CreateVolume"],
                &[ec2("volume")],
                Some(json!({"StringLike": {restore_req_tag.clone(): "*"}})),
                (
                    &sample("volume", "vol-0123456789abcdef1"),
                    json!({restore_req_tag.clone(): "1"}),
                ),
            );
            b.allow(
                "CreateRestoreTaggedSnapshots",
                &["ec2:CreateSnapshot", "ec2:CreateSnapshots"],
                &[ec2_global("snapshot")],
                Some(json!({"StringLike": {restore_req_tag.clone(): "*"}})),
                (
                    &sample_global("snapshot", "snap-0123456789abcdef1"),
                    json!({restore_req_tag.clone(): "1"}),
                ),
            );
            b.allow(
                "CreateVolumesFromVendorSnapshots",
                &["ec2:CreateVolume"],
                &[ec2_global("snapshot")],
                Some(vendor_tagged.clone()),
                (
                    &sample_global("snapshot", "snap-0123456789abcdef0"),
                    ctx_vendor_res.clone(),
                ),
            );
            b.allow(
                "ManageOnlyRestoredResources",
                &[
                    "ec2:DeleteVolume",
                    "ec2:StartInstances",
                    "ec2:StopInstances",
                    "ec2:TerminateInstances",
                    "ec2:DeleteNetworkInterface",
                    "ec2:DeleteTags",
                ],
                &[ec2("volume"), ec2("instance"), ec2("network-interface")],
                Some(restore_tagged.clone()),
                (
                    &sample("instance", "i-0123456789abcdef0"),
                    ctx_restore_res.clone(),
                ),
            );
            // AttachVolume and DetachVolume are authorized on the instance and on the volume
            // (Service Authorization Reference, Amazon EC2). The volume must be a restored
            // one (its restore tag is set only as it is created: see DenyDirectCreateTags);
            // the instance is the one the restore request names, restored or not, which no
            // condition key can tell, so any instance of the account. A customer's own
            // volume cannot be attached to an instance the role controls.
            b.allow(
                "AttachOnlyRestoredVolumes",
                &["ec2:AttachVolume", "ec2:DetachVolume"],
                &[ec2("volume")],
                Some(restore_tagged.clone()),
                (
                    &sample("volume", "vol-0123456789abcdef1"),
                    ctx_restore_res.clone(),
                ),
            );
            b.allow(
                "AttachToTheNamedInstance",
                &["ec2:AttachVolume", "ec2:DetachVolume"],
                &[ec2("instance")],
                None,
                (&sample("instance", "i-0123456789abcdef1"), json!({})),
            );
            // An address moves only onto a restored instance or its interface.
            b.allow(
                "AssociateAddressesWithRestoredInstances",
                &["ec2:AssociateAddress"],
                &[ec2("instance"), ec2("network-interface")],
                Some(restore_tagged.clone()),
                (
                    &sample("instance", "i-0123456789abcdef0"),
                    ctx_restore_res.clone(),
                ),
            );
            b.allow(
                "AssociateAnyAddressOfTheAccount",
                &["ec2:AssociateAddress"],
                &[ec2("elastic-ip")],
                None,
                (
                    &sample("elastic-ip", "eipalloc-0123456789abcdef0"),
                    json!({}),
                ),
            );
            // The instance: restore-tagged, and with no instance profile unless the customer
            // named roles for restored instances (then only their profiles): with PassRole
            // to any role, launching an instance as an administrator role would take over
            // the account (IAM privilege escalation through iam:PassRole + ec2:RunInstances).
            let profiles: Vec<String> = p
                .restore_instance_roles
                .iter()
                .map(|r| p.restore_instance_profile_arn(r))
                .collect();
            let mut launch = json!({"StringLike": {restore_req_tag.clone(): "*"}});
            if profiles.is_empty() {
                launch["Null"] = json!({"ec2:InstanceProfile": "true"});
            } else {
                launch["ArnEqualsIfExists"] = json!({"ec2:InstanceProfile": profiles});
            }
            b.allow(
                "LaunchRestoreTaggedInstances",
                &["ec2:RunInstances"],
                &[ec2("instance")],
                Some(launch),
                (
                    &sample("instance", "i-0123456789abcdef1"),
                    json!({restore_req_tag.clone(): "1"}),
                ),
            );
            b.allow(
                "LaunchWithRestoreTaggedVolumesAndInterfaces",
                &["ec2:RunInstances"],
                &[ec2("volume"), ec2("network-interface")],
                Some(json!({"StringLike": {restore_req_tag.clone(): "*"}})),
                (
                    &sample("volume", "vol-0123456789abcdef1"),
                    json!({restore_req_tag.clone(): "1"}),
                ),
            );
            // Only images (and their snapshots) owned by the account: the restored images
            // are registered in it; no public or other account's image.
            b.allow(
                "LaunchOnlyFromTheAccountsImages",
                &["ec2:RunInstances"],
                &[ec2_global("image"), ec2_global("snapshot")],
                Some(json!({"StringEquals": {"ec2:Owner": acct}})),
                (
                    &sample_global("image", "ami-0123456789abcdef0"),
                    json!({"ec2:Owner": acct}),
                ),
            );
            b.allow(
                "LaunchIntoTheAccountsNetwork",
                &["ec2:RunInstances"],
                &[
                    ec2("subnet"),
                    ec2("security-group"),
                    ec2("key-pair"),
                    ec2("placement-group"),
                ],
                None,
                (&sample("subnet", "subnet-0123456789abcdef0"), json!({})),
            );
            b.allow(
                "RegisterRestoredImages",
                &["ec2:RegisterImage"],
                &[ec2_global("image")],
                Some(json!({"StringLike": {restore_req_tag.clone(): "*"}})),
                (
                    &sample_global("image", "ami-0123456789abcdef1"),
                    json!({restore_req_tag.clone(): "1"}),
                ),
            );
            b.allow(
                "RegisterFromRestoredSnapshots",
                &["ec2:RegisterImage"],
                &[ec2_global("snapshot")],
                Some(restore_tagged.clone()),
                (
                    &sample_global("snapshot", "snap-0123456789abcdef1"),
                    ctx_restore_res.clone(),
                ),
            );
            b.allow(
                "DeregisterOnlyRestoredImages",
                &["ec2:DeregisterImage"],
                &[ec2_global("image")],
                Some(restore_tagged.clone()),
                (
                    &sample_global("image", "ami-0123456789abcdef1"),
                    ctx_restore_res.clone(),
                ),
            );
            if !p.restore_instance_roles.is_empty() {
                let roles: Vec<String> = p
                    .restore_instance_roles
                    .iter()
                    .map(|r| p.restore_instance_role_arn(r))
                    .collect();
                b.allow(
                    "PassOnlyTheNamedInstanceRoles",
                    &["iam:PassRole"],
                    &roles,
                    Some(json!({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})),
                    (
                        &roles[0],
                        json!({"iam:PassedToService": "ec2.amazonaws.com"}),
                    ),
                );
            }
            out.push(PolicySpec { name: format!("{t}Ec2RestorePolicy"), description: "Restore volumes, images and instances; manage only what carries the restore tag", grants: b.take() });
        }
        // CreateTags is never allowed on its own, whatever other policies say (the seed's
        // "deny direct CreateTags"): only as part of a create action (RegisterImage tags
        // images as it registers them), so the vendor and restore tags, which gate deletes,
        // mark only what the service created.
        b.at(Operation::Backup, Some(AssetType::Ec2));
        b.deny(
            "DenyDirectCreateTags",
            &["ec2:CreateTags"],
            &[
                ec2_global("snapshot"),
                ec2_global("image"),
                ec2("volume"),
                ec2("instance"),
                ec2("network-interface"),
            ],
            Some(json!({"Null": {"ec2:CreateAction": "true"}})),
        );
        if let Some(last) = out
            .iter_mut()
            .rev()
            .find(|s| s.name.starts_with(&format!("{t}Ec2")))
        {
            last.grants.extend(b.take());
        }
    }
    out
}

/// The main role's trust policy: one control-plane role of the vendor, with the external id.
pub fn trust_policy(p: &Params) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "ControlPlaneWithExternalId",
        "Effect": "Allow",
        "Principal": {"AWS": p.control_plane_arn()},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": p.external_id}}
    }]})
}

/// The support role's policy.
pub fn support_policy() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "OpenAndReadSupportCases",
        "Effect": "Allow",
        "Action": ["support:AddAttachmentsToSet", "support:AddCommunicationToCase", "support:CreateCase", "support:DescribeAttachment", "support:DescribeCases", "support:DescribeCommunications", "support:DescribeCreateCaseOptions", "support:DescribeServices", "support:DescribeSeverityLevels", "support:DescribeSupportedLanguages", "support:DescribeTrustedAdvisorCheckRefreshStatuses", "support:DescribeTrustedAdvisorCheckResult", "support:DescribeTrustedAdvisorChecks", "support:DescribeTrustedAdvisorCheckSummaries"],
        "Resource": "*"
    }]})
}

/// The EventBridge role used by continuous S3 backup: forwards events to the vendor's bus.
pub fn event_bridge_policy(p: &Params) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "ForwardToVendorEventBus",
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": format!("arn:aws:events:*:{}:event-bus/*", p.vendor_account)
    }]})
}

pub fn event_bridge_trust(p: &Params) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "EventBridgeOfThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": p.account}}
    }]})
}

/// The event topic's policy: publish only from the customer's account (its principals and
/// its EventBridge rules); subscribe and list only from the vendor's control plane.
pub fn topic_policy(p: &Params, topic_arn: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "PublishFromThisAccount", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", p.account)}, "Action": "sns:Publish", "Resource": topic_arn},
        {"Sid": "PublishFromThisAccountsRules", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": topic_arn, "Condition": {"StringEquals": {"aws:SourceAccount": p.account}}},
        {"Sid": "SubscribeFromControlPlane", "Effect": "Allow", "Principal": {"AWS": p.control_plane_arn()}, "Action": ["sns:Subscribe", "sns:ListSubscriptionsByTopic"], "Resource": topic_arn}
    ]})
}

/// The EventBridge rules that feed the topic (inventory changes) and, for continuous
/// backup, forward object events to the vendor.
pub fn rules(p: &Params) -> Vec<(String, Value, &'static str)> {
    let mut sources = Vec::new();
    for a in &p.assets {
        sources.push(match a {
            AssetType::S3 => "aws.s3",
            AssetType::DynamoDb => "aws.dynamodb",
            AssetType::Ec2 => "aws.ec2",
        });
    }
    let mut out = vec![(
        format!("{}InventoryChanges", p.name_token),
        json!({"source": sources, "detail-type": ["AWS API Call via CloudTrail"]}),
        "topic",
    )];
    if p.continuous_s3 {
        out.push((
            format!("{}S3ContinuousBackup", p.name_token),
            json!({"source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"]}),
            "vendor-bus",
        ));
    }
    out
}
