//! Backup, restore and copy jobs.

use super::lifecycle::{expired, retention_end, Lifecycle};
use super::listing::Filter;
use super::locks::lock_violation;
use super::tags::tags_of;
use super::*;

/// The service principal of AWS Backup, to which jobs pass their roles.
pub(super) const BACKUP_SERVICE_PRINCIPAL: &str = "backup.amazonaws.com";

/// Records one filtered listing call reads at most before it answers with a token.
const MAX_SCANNED: usize = 1_000;

impl Service {
    /// The operations on jobs.
    pub(super) fn jobs(
        &self,
        who: &Identity,
        route: &Route,
        q: &HashMap<String, String>,
        body: &Value,
        action: &str,
    ) -> Res {
        match route {
            Route::StartBackupJob => self.start_backup_job(who, action, body),
            Route::DescribeBackupJob(id) => self.describe_job(who, action, "backup", id),
            Route::DescribeRestoreJob(id) => self.describe_job(who, action, "restore", id),
            Route::DescribeCopyJob(id) => {
                let job = self.describe_job(who, action, "copy", id)?;
                Ok(json!({"CopyJob": job}))
            }
            Route::ListBackupJobs => {
                self.authorize(who, action, "*", &who.account, None, &[])?;
                let (after, limit) = page_args(q)?;
                let filter = Filter::new(
                    q,
                    &[
                        ("backupVaultName", "BackupVaultName"),
                        ("state", "State"),
                        ("resourceArn", "ResourceArn"),
                        ("resourceType", "ResourceType"),
                        ("accountId", "AccountId"),
                        // No job here has a parent or a message category: these match none.
                        ("parentJobId", "ParentJobId"),
                        ("messageCategory", "MessageCategory"),
                    ],
                    &[
                        ("createdBefore", "CreationDate", false),
                        ("createdAfter", "CreationDate", true),
                        ("completeBefore", "CompletionDate", false),
                        ("completeAfter", "CompletionDate", true),
                    ],
                )?;
                let (out, next) = self.filtered(Kind::Job, &who.account, after, limit, |j| {
                    j.at("JobKind") == "backup" && filter.keeps(j)
                })?;
                let out: Vec<Value> = out.iter().map(job_view).collect();
                Ok(with_token(json!({"BackupJobs": out}), next))
            }
            Route::StartRestoreJob => self.start_restore_job(who, action, body),
            Route::StartCopyJob => self.start_copy_job(who, action, body),
            other => Err(ApiError::internal(format!(
                "{} was routed to the jobs module",
                other.name()
            ))),
        }
    }

    /// Up to `limit` records of `kind` under `parent` that `keep` accepts, reading on from
    /// `after`; the token continues after the last record read.
    pub(super) fn filtered(
        &self,
        kind: Kind,
        parent: &str,
        after: Option<i64>,
        limit: usize,
        keep: impl Fn(&Value) -> bool,
    ) -> Result<(Vec<Value>, Option<i64>), ApiError> {
        let mut out = Vec::new();
        let mut cursor = after;
        let mut scanned = 0usize;
        loop {
            let page = self.store.list(kind, Some(parent), cursor, limit)?;
            let more = page.next.is_some();
            let n = page.items.len();
            for (i, (item, seq)) in page.items.into_iter().zip(page.seqs).enumerate() {
                if keep(&item) {
                    out.push(item);
                }
                if out.len() == limit {
                    let rest = i.saturating_add(1) < n || more;
                    return Ok((out, if rest { Some(seq) } else { None }));
                }
            }
            scanned = scanned.saturating_add(n);
            match page.next {
                // One call reads a bounded number of records: a filter that matches little
                // answers a short page and a token to go on, as AWS's listings may.
                Some(next) if scanned >= MAX_SCANNED => return Ok((out, Some(next))),
                Some(n) => cursor = Some(n),
                None => return Ok((out, None)),
            }
        }
    }

    /// The job's role, once `who` may pass it to AWS Backup for the job on `associated`.
    ///
    /// The one place the service builds the `iam:PassRole` check's context: the role is
    /// passed to AWS Backup, so `iam:PassedToService` is `backup.amazonaws.com` (the service
    /// principal AWS Backup's own managed policies name in their `iam:PassRole` statements,
    /// e.g. AWSBackupOperatorAccess and AWSServiceRolePolicyForBackupRestoreTesting), and
    /// `iam:AssociatedResourceArn` is the AWS Backup resource the role will act for: the
    /// vault a backup or copy writes into, the recovery point a restore reads ("IAM and AWS
    /// STS condition context keys",
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService,
    /// #ck_AssociatedResourceArn: "the ARN of the resource to which this role will be
    /// associated at the destination service").
    pub(super) fn pass_role(
        &self,
        who: &Identity,
        body: &Value,
        associated: &str,
    ) -> Result<String, ApiError> {
        let role = required(body, "IamRoleArn")?.to_string();
        let account = vaultward_iam::arn::Arn::parse(&role)
            .filter(|a| a.service == "iam" && a.resource.starts_with("role/"))
            .map(|a| a.account.to_string())
            .ok_or_else(|| ApiError::invalid(format!("IamRoleArn `{role}` is not a role ARN")))?;
        let request = [
            (
                "iam:PassedToService".to_string(),
                ContextValue::Single(BACKUP_SERVICE_PRINCIPAL.to_string()),
            ),
            (
                "iam:AssociatedResourceArn".to_string(),
                ContextValue::Single(associated.to_string()),
            ),
        ];
        self.authorize(who, "iam:PassRole", &role, &account, None, &request)?;
        Ok(role)
    }

    pub(super) fn start_backup_job(&self, who: &Identity, action: &str, body: &Value) -> Res {
        let name = required(body, "BackupVaultName")?;
        let resource = required(body, "ResourceArn")?.to_string();
        let lifecycle = Lifecycle::from_request(body.get("Lifecycle"))?;
        let (v, vault_arn) = self.authorized_vault(who, action, name, &HashMap::new(), &[])?;
        let role = self.pass_role(who, body, &vault_arn)?;
        let ty = resource_type(&resource).ok_or_else(|| {
            ApiError::invalid(format!(
                "Resource {resource} is not of a type AWS Backup protects"
            ))
        })?;
        if let Some(a) = vaultward_iam::arn::Arn::parse(&resource) {
            if !a.region.is_empty() && a.region != self.config.region {
                return Err(ApiError::invalid(format!(
                    "Resource {resource} is not in this service's region {}",
                    self.config.region
                )));
            }
            // AWS Backup backs up a resource only from the resource's own account: a
            // backup job never reaches into another account (nor copies its tags).
            // S3 bucket ARNs name no account; the configured tags say whose it is.
            let owner = if a.account.is_empty() {
                self.config.resource_owner(&resource)
            } else {
                Some(a.account.to_string())
            };
            if owner.as_deref().is_some_and(|o| o != who.account) {
                return Err(ApiError::denied(format!(
                    "User: {} is not authorized to perform: {action} on resource: {resource}: the resource belongs to another account",
                    who.principal
                )));
            }
        }
        let advanced = self.advanced_dynamodb_backup(&who.account);
        lifecycle.check_cold_storage(ty, advanced)?;
        let job_tags = tags_of(body.get("RecoveryPointTags"), "RecoveryPointTags")?;
        let now = self.clock.now();
        let id = uuid::Uuid::new_v4().to_string().to_uppercase();
        let mut job = json!({
            "JobKind": "backup", "BackupJobId": id, "AccountId": who.account,
            "BackupVaultName": name, "BackupVaultArn": vault_arn, "ResourceArn": resource,
            "ResourceType": ty, "IamRoleArn": role, "CreationDate": now,
            "CreatedBy": {}, "RecoveryPointLifecycle": lifecycle.to_json(),
        });
        // The job's tags win over the source's (the seed's "Copy tags permissions").
        let tags = self.merged_tags(&resource, job_tags);
        let failure = job_failure(&tags, &v, lifecycle.delete);
        let mut records = Vec::new();
        if let Some(msg) = failure {
            put(&mut job, "State", json!("FAILED"));
            put(&mut job, "StatusMessage", json!(msg));
            put(&mut job, "CompletionDate", json!(now));
        } else {
            let rp_arn = self.new_recovery_point_arn(&resource, ty, &who.account, now);
            put(&mut job, "State", json!("COMPLETED"));
            put(&mut job, "PercentDone", json!("100.0"));
            put(&mut job, "CompletionDate", json!(now));
            put(&mut job, "RecoveryPointArn", json!(rp_arn));
            put(&mut job, "BackupSizeInBytes", json!(0));
            let rp = json!({
                "RecoveryPointArn": rp_arn, "BackupVaultName": name, "BackupVaultArn": vault_arn,
                "ResourceArn": resource, "ResourceType": ty,
                "IamRoleArn": role, "Status": "COMPLETED", "CreationDate": now,
                "CompletionDate": now, "BackupSizeInBytes": 0, "Lifecycle": lifecycle.to_json(),
                "CalculatedLifecycle": lifecycle.calculated(now),
                "EncryptionKeyArn": v.at("EncryptionKeyArn"), "IsEncrypted": true,
                "StorageClass": "WARM", "CreatedBy": {"BackupJobId": id},
            });
            records.push((
                Kind::RecoveryPoint,
                rp_arn.clone(),
                Some(vault_arn.clone()),
                rp,
            ));
            records.push((Kind::Tags, rp_arn, None, json!(tags)));
        }
        records.push((
            Kind::Job,
            format!("backup:{id}"),
            Some(who.account.clone()),
            job.clone(),
        ));
        self.store.insert_many(&records)?;
        let mut out = json!({"BackupJobId": id, "CreationDate": now, "IsParent": false});
        if let Some(rp) = job.get("RecoveryPointArn") {
            put(&mut out, "RecoveryPointArn", rp.clone());
        }
        Ok(out)
    }

    pub(super) fn describe_job(&self, who: &Identity, action: &str, kind: &str, id: &str) -> Res {
        self.authorize(who, action, "*", &who.account, None, &[])?;
        match self.store.get(Kind::Job, &format!("{kind}:{id}"))? {
            Some(j) if *j.at("AccountId") == json!(who.account) => Ok(job_view(&j)),
            _ => Err(ApiError::not_found(format!("Job {id} does not exist"))),
        }
    }

    pub(super) fn start_restore_job(&self, who: &Identity, action: &str, body: &Value) -> Res {
        let rp_arn = required(body, "RecoveryPointArn")?.to_string();
        if !body.get("Metadata").is_some_and(Value::is_object) {
            return Err(ApiError::missing("Metadata"));
        }
        let (_, rp) = self.authorized_recovery_point_by_arn(who, action, &rp_arn)?;
        let role = self.pass_role(who, body, &rp_arn)?;
        refuse_expired(&rp, &rp_arn, self.clock.now(), "restored")?;
        let now = self.clock.now();
        let id = uuid::Uuid::new_v4().to_string().to_uppercase();
        let job = json!({
            "JobKind": "restore", "RestoreJobId": id, "AccountId": who.account,
            "RecoveryPointArn": rp_arn, "SourceResourceArn": rp.at("ResourceArn"),
            "BackupVaultArn": rp.at("BackupVaultArn"), "CreationDate": now, "CompletionDate": now,
            "Status": "COMPLETED", "PercentDone": "100.0", "BackupSizeInBytes": 0,
            "IamRoleArn": role, "ResourceType": rp.at("ResourceType"),
            "RecoveryPointCreationDate": rp.at("CreationDate"),
        });
        self.store.insert(
            Kind::Job,
            &format!("restore:{id}"),
            Some(&who.account),
            &job,
        )?;
        Ok(json!({"RestoreJobId": id}))
    }

    pub(super) fn start_copy_job(&self, who: &Identity, action: &str, body: &Value) -> Res {
        let rp_arn = required(body, "RecoveryPointArn")?.to_string();
        let source_name = required(body, "SourceBackupVaultName")?;
        let dest_arn = required(body, "DestinationBackupVaultArn")?.to_string();
        let (source, rp) =
            self.authorized_recovery_point(who, action, source_name, &rp_arn, &HashMap::new())?;
        let dest_account = vaultward_iam::arn::Arn::parse(&dest_arn)
            .filter(|a| a.service == "backup" && a.resource.starts_with("backup-vault:"))
            .map(|a| a.account.to_string())
            .filter(|a| vaultward_iam::arn::is_account_id(a))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "DestinationBackupVaultArn `{dest_arn}` is not a backup vault ARN (arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME)"
                ))
            })?;
        // Authorized with the destination's policy when it exists and without one when it
        // does not, so another account's answer is the same either way.
        let dest = self.store.get(Kind::Vault, &dest_arn)?;
        self.authorize(
            who,
            "backup:CopyIntoBackupVault",
            &dest_arn,
            &dest_account,
            dest.as_ref(),
            &[],
        )?;
        let dest = dest.ok_or_else(|| {
            ApiError::not_found(format!("Backup vault {dest_arn} does not exist"))
        })?;
        let role = self.pass_role(who, body, &dest_arn)?;
        refuse_expired(&rp, &rp_arn, self.clock.now(), "copied")?;
        // Without a lifecycle of its own, the copy keeps the source's.
        let lifecycle = Lifecycle::from_request(body.get("Lifecycle").or(rp.get("Lifecycle")))?;
        let ty = rp.at("ResourceType").as_str().unwrap_or("");
        lifecycle.check_cold_storage(ty, self.advanced_dynamodb_backup(&dest_account))?;
        let now = self.clock.now();
        let id = uuid::Uuid::new_v4().to_string().to_uppercase();
        // The recovery point's tags (set by its backup job) win over the source resource's.
        let resource = rp.at("ResourceArn").as_str().unwrap_or("").to_string();
        let tags = self.merged_tags(&resource, self.tags(&rp_arn)?);
        let mut job = json!({
            "JobKind": "copy", "CopyJobId": id, "AccountId": who.account,
            "SourceBackupVaultArn": source.at("BackupVaultArn"), "SourceRecoveryPointArn": rp_arn,
            "DestinationBackupVaultArn": dest_arn, "ResourceArn": resource,
            "ResourceType": rp.at("ResourceType"), "IamRoleArn": role, "CreationDate": now,
            "CompletionDate": now, "BackupSizeInBytes": 0, "CreatedBy": {},
            "DestinationRecoveryPointLifecycle": lifecycle.to_json(),
        });
        let failure = job_failure(&tags, &dest, lifecycle.delete);
        let mut records = Vec::new();
        if let Some(msg) = failure {
            put(&mut job, "State", json!("FAILED"));
            put(&mut job, "StatusMessage", json!(msg));
        } else {
            let ty = rp.at("ResourceType").as_str().unwrap_or("");
            let new_arn = self.new_recovery_point_arn(&resource, ty, &dest_account, now);
            put(&mut job, "State", json!("COMPLETED"));
            put(&mut job, "DestinationRecoveryPointArn", json!(new_arn));
            let mut copy = rp.clone();
            put(&mut copy, "RecoveryPointArn", json!(new_arn));
            put(
                &mut copy,
                "BackupVaultName",
                dest.at("BackupVaultName").clone(),
            );
            put(&mut copy, "BackupVaultArn", json!(dest_arn));
            put(
                &mut copy,
                "SourceBackupVaultArn",
                source.at("BackupVaultArn").clone(),
            );
            put(&mut copy, "CreationDate", json!(now));
            put(&mut copy, "CompletionDate", json!(now));
            put(&mut copy, "Lifecycle", lifecycle.to_json());
            put(&mut copy, "CalculatedLifecycle", lifecycle.calculated(now));
            put(&mut copy, "StorageClass", json!("WARM"));
            put(
                &mut copy,
                "EncryptionKeyArn",
                dest.at("EncryptionKeyArn").clone(),
            );
            put(&mut copy, "CreatedBy", json!({"CopyJobId": id}));
            records.push((
                Kind::RecoveryPoint,
                new_arn.clone(),
                Some(dest_arn.clone()),
                copy,
            ));
            records.push((Kind::Tags, new_arn, None, json!(tags)));
        }
        records.push((
            Kind::Job,
            format!("copy:{id}"),
            Some(who.account.clone()),
            job,
        ));
        self.store.insert_many(&records)?;
        Ok(json!({"CopyJobId": id, "CreationDate": now, "IsParent": false}))
    }
}

/// Why a backup or copy job writing `tags` into `vault` with a retention of `delete` days
/// fails, if it does: too many tags, or a retention outside the vault lock's range.
pub(super) fn job_failure(
    tags: &BTreeMap<String, String>,
    vault: &Value,
    delete: Option<i64>,
) -> Option<String> {
    if tags.len() > MAX_TAGS {
        Some(TOO_MANY_TAGS.to_string())
    } else {
        lock_violation(vault, delete).map(|w| format!("Vault lock: {w}"))
    }
}

/// Refuses to restore or copy a recovery point past its retention: it has expired, and the
/// lifecycle sweeper deletes it ("AWS Backup transitions and expires backups automatically
/// according to the lifecycle that you define", `Lifecycle`).
fn refuse_expired(rp: &Value, rp_arn: &str, now: f64, what: &str) -> Result<(), ApiError> {
    if expired(rp, now) {
        let at = retention_end(rp)
            .map(crate::arns::iso8601)
            .unwrap_or_default();
        return Err(ApiError::request(format!(
            "Recovery point {rp_arn} expired at {at} (the end of its retention) and cannot be {what}"
        )));
    }
    Ok(())
}

/// A job record without the service's own fields.
pub(super) fn job_view(j: &Value) -> Value {
    let mut j = j.clone();
    if let Some(m) = j.as_object_mut() {
        m.remove("JobKind");
    }
    j
}
