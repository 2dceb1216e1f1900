//! Exposure: resource-policy writes and public exposure of data, KMS key abuse, and reads
//! of secrets.

use serde_json::json;
use vaultward_iam::{NamedPolicy, PolicyKind};
use vaultward_snapshot::Snapshot;

use super::{ctx, Auditor, PathClass};
use crate::check::resource_policy;

impl Auditor<'_, '_> {
    /// The snapshot's buckets (and one it does not hold), then the account's settings and
    /// the other resources with a policy.
    pub(super) fn exposure(&mut self, snapshot: &Snapshot) -> Result<(), String> {
        self.bucket_exposure(snapshot)?;
        self.account_exposure();
        Ok(())
    }

    /// ACLs, public access blocks, policy writes and deletes in each bucket, under its policy.
    fn bucket_exposure(&mut self, snapshot: &Snapshot) -> Result<(), String> {
        let acct = self.account.clone();
        let mut buckets: Vec<(String, Option<NamedPolicy>)> = Vec::new();
        for b in &snapshot.buckets {
            let rp = resource_policy(
                &b.policy,
                &format!("bucket policy of {}", b.name),
                &format!("the bucket policy of `{}`", b.name),
                PolicyKind::Resource,
            )?;
            buckets.push((b.name.clone(), rp));
        }
        buckets.push(("vaultward-audit-any".into(), None));
        let own = |extra: &[(&str, &str)]| {
            let mut c = ctx(&[("s3:ResourceAccount", &acct)]);
            c.extend(ctx(extra));
            c
        };
        for (name, rp) in &buckets {
            let bucket = format!("arn:aws:s3:::{name}");
            let object = format!("{bucket}/vaultward-audit");
            let rp = rp.as_ref();
            let fix_acl = "grant no `s3:PutObjectAcl`/`s3:PutBucketAcl`, and `s3:PutObject` only with `s3:x-amz-acl` private (`StringEqualsIfExists`) and every `s3:x-amz-grant-*` null; keep the public access block on".to_string();
            for (code, title, action, resource, c) in [
                (
                    "s3-object-acl",
                    "write any ACL on objects (in the body: no condition key sees it)",
                    "s3:PutObjectAcl",
                    object.clone(),
                    own(&[]),
                ),
                (
                    "s3-public-upload",
                    "upload objects with a public-read ACL",
                    "s3:PutObject",
                    object.clone(),
                    own(&[("s3:x-amz-acl", "public-read")]),
                ),
                (
                    "s3-public-upload",
                    "upload objects granting read to everyone",
                    "s3:PutObject",
                    object.clone(),
                    own(&[(
                        "s3:x-amz-grant-read",
                        "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"",
                    )]),
                ),
                (
                    "s3-bucket-acl",
                    "write the bucket's ACL",
                    "s3:PutBucketAcl",
                    bucket.clone(),
                    own(&[]),
                ),
                (
                    "s3-public-access-block",
                    "turn off the bucket's public access block",
                    "s3:PutBucketPublicAccessBlock",
                    bucket.clone(),
                    own(&[]),
                ),
            ] {
                self.path(
                    PathClass::PublicExposure,
                    code,
                    format!("{title} in `{name}`"),
                    &resource,
                    &[(action, resource.clone(), c, rp)],
                    fix_acl.clone(),
                );
            }
            for action in ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"] {
                self.path(
                    PathClass::ResourcePolicyWrite,
                    "bucket-policy-write",
                    format!("`{action}` on `{name}`"),
                    &bucket,
                    &[(action, bucket.clone(), own(&[]), rp)],
                    format!("remove `{action}` from the role's policies"),
                );
            }
            for (action, resource) in [
                ("s3:DeleteObject", object.clone()),
                ("s3:DeleteObjectVersion", object.clone()),
                ("s3:DeleteBucket", bucket.clone()),
                ("s3:PutLifecycleConfiguration", bucket.clone()),
            ] {
                self.path(PathClass::DataDestruction, "s3-delete", format!("`{action}` in `{name}`"), &resource, &[(action, resource.clone(), own(&[]), rp)], format!("remove `{action}`, or limit it to what the role creates (a prefix it owns)"));
            }
        }
        Ok(())
    }

    /// The account's public access block, snapshot and image sharing, and the policies of
    /// the other resources that hold one.
    fn account_exposure(&mut self) {
        self.path(
            PathClass::PublicExposure,
            "s3-account-public-access-block",
            "turn off the account's S3 public access block".into(),
            "*",
            &[(
                "s3:PutAccountPublicAccessBlock",
                "*".into(),
                Vec::new(),
                None,
            )],
            "remove `s3:PutAccountPublicAccessBlock`".into(),
        );
        for (action, resource, code) in [
            (
                "ec2:ModifySnapshotAttribute",
                "arn:aws:ec2:{region}::snapshot/snap-0vaultwardaudit"
                    .replace("{region}", &self.region),
                "ec2-share-snapshot",
            ),
            (
                "ec2:ModifyImageAttribute",
                "arn:aws:ec2:{region}::image/ami-0vaultwardaudit".replace("{region}", &self.region),
                "ec2-share-image",
            ),
            (
                "rds:ModifyDBSnapshotAttribute",
                self.arn("rds", "snapshot:vaultward-audit"),
                "rds-share-snapshot",
            ),
        ] {
            self.path(PathClass::PublicExposure, code, format!("`{action}`: share `{resource}` with any account, or everyone"), &resource, &[(action, resource.clone(), Vec::new(), None)], format!("remove `{action}`, or limit it to resources the role creates (a tag set only at creation)"));
        }
        let policy_writes: Vec<(&str, String)> = vec![
            (
                "backup:PutBackupVaultAccessPolicy",
                self.arn("backup", "backup-vault:vaultward-audit"),
            ),
            ("sns:SetTopicAttributes", self.arn("sns", "vaultward-audit")),
            ("sns:AddPermission", self.arn("sns", "vaultward-audit")),
            ("sqs:SetQueueAttributes", self.arn("sqs", "vaultward-audit")),
            ("sqs:AddPermission", self.arn("sqs", "vaultward-audit")),
            (
                "lambda:AddPermission",
                self.arn("lambda", "function:vaultward-audit"),
            ),
            (
                "secretsmanager:PutResourcePolicy",
                self.arn("secretsmanager", "secret:vaultward-audit"),
            ),
            (
                "dynamodb:PutResourcePolicy",
                self.arn("dynamodb", "table/vaultward-audit"),
            ),
            (
                "ecr:SetRepositoryPolicy",
                self.arn("ecr", "repository/vaultward-audit"),
            ),
        ];
        for (action, resource) in policy_writes {
            self.path(
                PathClass::ResourcePolicyWrite,
                "resource-policy-write",
                format!("`{action}` on `{resource}`"),
                &resource,
                &[(action, resource.clone(), Vec::new(), None)],
                format!("remove `{action}` from the role's policies"),
            );
        }
    }

    pub(super) fn kms(&mut self, snapshot: &Snapshot) -> Result<(), String> {
        let mut keys: Vec<(String, Option<NamedPolicy>)> = Vec::new();
        for k in &snapshot.kms_keys {
            if k.manager.as_deref() == Some("AWS") {
                continue;
            }
            let rp = resource_policy(
                &k.policy,
                &format!("key policy of {}", k.arn),
                &format!("the key policy of `{}`", k.arn),
                PolicyKind::Resource,
            )?;
            keys.push((k.arn.clone(), rp));
        }
        // A key the snapshot does not hold, under the default key policy (the account's
        // IAM policies decide).
        let any = self.arn("kms", "key/00000000-0000-0000-0000-0000vaultwrd");
        let default = json!({"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", self.account)}, "Action": "kms:*", "Resource": "*"}]});
        let default = resource_policy(
            &vaultward_snapshot::Collected::Document(default),
            "default key policy",
            "the default key policy",
            PolicyKind::Resource,
        )?;
        keys.push((any, default));
        for (arn, rp) in &keys {
            let rp = rp.as_ref();
            for (action, code, c, title) in [
                (
                    "kms:PutKeyPolicy",
                    "kms-key-policy-write",
                    Vec::new(),
                    "rewrite the key policy",
                ),
                (
                    "kms:CreateGrant",
                    "kms-grant-to-anyone",
                    ctx(&[("kms:GrantIsForAWSResource", "false")]),
                    "grant the key to any principal (not only to AWS services for a resource)",
                ),
                (
                    "kms:ScheduleKeyDeletion",
                    "kms-delete-key",
                    Vec::new(),
                    "schedule the key's deletion (its data becomes unreadable)",
                ),
                (
                    "kms:DisableKey",
                    "kms-disable-key",
                    Vec::new(),
                    "disable the key",
                ),
            ] {
                self.path(PathClass::KmsAbuse, code, format!("{title}: `{arn}`"), arn, &[(action, arn.clone(), c, rp)], format!("remove `{action}`, or condition `kms:CreateGrant` on `kms:GrantIsForAWSResource`"));
            }
        }
        Ok(())
    }

    pub(super) fn secrets(&mut self) {
        for (action, resource) in [
            (
                "secretsmanager:GetSecretValue",
                self.arn("secretsmanager", "secret:vaultward-audit"),
            ),
            (
                "ssm:GetParameter",
                self.arn("ssm", "parameter/vaultward-audit"),
            ),
            (
                "ssm:GetParametersByPath",
                self.arn("ssm", "parameter/vaultward-audit"),
            ),
        ] {
            self.path(
                PathClass::SecretsRead,
                "secrets-read",
                format!("`{action}` on `{resource}`"),
                &resource,
                &[(action, resource.clone(), Vec::new(), None)],
                format!("remove `{action}`: a backup service reads data, not secrets"),
            );
        }
    }
}
