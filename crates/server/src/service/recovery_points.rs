//! Recovery points and their lifecycles.

use super::jobs::Filter;
use super::locks::lock_violation;
use super::*;

impl Service {
    /// The operations on recovery points.
    pub(super) fn recovery_points(
        &self,
        who: &Identity,
        route: &Route,
        q: &HashMap<String, String>,
        body: &Value,
        action: &str,
    ) -> Res {
        match route {
            Route::ListRecoveryPointsByBackupVault(name) => {
                let (_, arn) = self.authorized_vault(who, action, name, q, &[])?;
                let (after, limit) = page_args(q)?;
                let filter = Filter::new(
                    q,
                    &[
                        ("resourceArn", "ResourceArn"),
                        ("resourceType", "ResourceType"),
                        // No recovery point here comes from a plan or has a parent.
                        ("backupPlanId", "BackupPlanId"),
                        ("parentRecoveryPointArn", "ParentRecoveryPointArn"),
                    ],
                    &[
                        ("createdBefore", "CreationDate", false),
                        ("createdAfter", "CreationDate", true),
                    ],
                )?;
                let (items, next) =
                    self.filtered(Kind::RecoveryPoint, &arn, after, limit, |rp| {
                        filter.keeps(rp)
                    })?;
                Ok(with_token(json!({"RecoveryPoints": items}), next))
            }
            Route::DescribeRecoveryPoint(name, rp_arn) => {
                let (_, rp) = self.authorized_recovery_point(who, action, name, rp_arn, q)?;
                Ok(rp)
            }
            Route::UpdateRecoveryPointLifecycle(name, rp_arn) => {
                let (v, rp) = self.authorized_recovery_point(who, action, name, rp_arn, q)?;
                let lifecycle = body.get("Lifecycle").cloned().unwrap_or_else(|| json!({}));
                let (cold, delete) = check_lifecycle(&lifecycle)?;
                let created = rp.at("CreationDate").as_f64().unwrap_or(0.0);
                let now = self.clock.now();
                // Once in cold storage, the transition cannot be changed (AWS Backup API
                // reference, UpdateRecoveryPointLifecycle).
                let old_cold = rp.at("Lifecycle").at("MoveToColdStorageAfterDays").as_i64();
                if let Some(c) = old_cold {
                    if now >= created + c as f64 * DAY && cold != Some(c) {
                        return Err(ApiError::request(
                            "the recovery point is already in cold storage; its MoveToColdStorageAfterDays cannot change",
                        ));
                    }
                }
                if let Some(why) = lock_violation(&v, delete) {
                    return Err(ApiError::request(format!("Vault lock: {why}")));
                }
                let mut rp = self.recovery_point(&v, rp_arn)?;
                put(&mut rp, "Lifecycle", lifecycle.clone());
                put(
                    &mut rp,
                    "CalculatedLifecycle",
                    calculated(created, cold, delete),
                );
                self.store.replace(Kind::RecoveryPoint, rp_arn, &rp)?;
                Ok(json!({
                    "BackupVaultArn": v.at("BackupVaultArn"), "RecoveryPointArn": rp_arn,
                    "Lifecycle": lifecycle, "CalculatedLifecycle": rp.at("CalculatedLifecycle"),
                }))
            }
            Route::DeleteRecoveryPoint(name, rp_arn) => {
                let (v, rp) = self.authorized_recovery_point(who, action, name, rp_arn, q)?;
                if let Some(min) = v
                    .get("Lock")
                    .and_then(|l| l.get("MinRetentionDays"))
                    .and_then(Value::as_i64)
                {
                    let created = rp.at("CreationDate").as_f64().unwrap_or(0.0);
                    if self.clock.now() < created + min as f64 * DAY {
                        return Err(ApiError::request(format!(
                            "Vault lock: the recovery point cannot be deleted before its minimum retention of {min} days"
                        )));
                    }
                }
                self.store.delete(Kind::RecoveryPoint, rp_arn)?;
                Ok(json!({}))
            }
            other => Err(ApiError::internal(format!(
                "{} was routed to the recovery points module",
                other.name()
            ))),
        }
    }

    /// A recovery point of the vault `name`, once `who` may perform `action` on it: the
    /// vault's record and the recovery point's.
    pub(super) fn authorized_recovery_point(
        &self,
        who: &Identity,
        action: &str,
        name: &str,
        rp_arn: &str,
        q: &HashMap<String, String>,
    ) -> Result<(Value, Value), ApiError> {
        let v = self.vault(who, name, q)?;
        let rp = self.recovery_point(&v, rp_arn)?;
        self.authorize(who, action, rp_arn, account_of(&v), Some(&v), &[])?;
        Ok((v, rp))
    }

    /// A recovery point of `vault` (by its ARN).
    pub(super) fn recovery_point(&self, vault: &Value, rp_arn: &str) -> Res {
        match self.store.get(Kind::RecoveryPoint, rp_arn)? {
            Some(rp) if rp.at("BackupVaultArn") == vault.at("BackupVaultArn") => Ok(rp),
            _ => Err(ApiError::not_found(format!(
                "Recovery point {rp_arn} does not exist in backup vault {}",
                vault.at("BackupVaultName").as_str().unwrap_or("")
            ))),
        }
    }

    /// A new recovery point ARN for a backup of `resource` into a vault of `account`.
    pub(super) fn new_recovery_point_arn(
        &self,
        resource: &str,
        ty: &str,
        account: &str,
        now: f64,
    ) -> String {
        let advanced = self
            .config
            .accounts
            .get(account)
            .is_none_or(|a| a.advanced_dynamodb_backup);
        recovery_point_arn(resource, ty, &self.config.region, account, advanced, now)
    }

    /// The vault a taggable ARN belongs to: the vault itself, or a recovery point's vault.
    pub(super) fn owning_vault(&self, arn: &str) -> Res {
        if let Some(v) = self.store.get(Kind::Vault, arn)? {
            return Ok(v);
        }
        if let Some(rp) = self.store.get(Kind::RecoveryPoint, arn)? {
            if let Some(v) = self
                .store
                .get(Kind::Vault, rp.at("BackupVaultArn").as_str().unwrap_or(""))?
            {
                return Ok(v);
            }
        }
        Err(ApiError::not_found(format!(
            "Resource {arn} does not exist"
        )))
    }
}

/// A lifecycle's retention rules (AWS Backup API reference, `Lifecycle`): days are positive,
/// and a recovery point stays in cold storage for at least 90 days.
pub(super) fn check_lifecycle(l: &Value) -> Result<(Option<i64>, Option<i64>), ApiError> {
    if l.is_null() {
        return Ok((None, None));
    }
    let Some(fields) = l.as_object() else {
        return Err(ApiError::invalid(
            "Lifecycle must be an object with MoveToColdStorageAfterDays, DeleteAfterDays, OptInToArchiveForSupportedResources",
        ));
    };
    for (k, v) in fields {
        match k.as_str() {
            "MoveToColdStorageAfterDays" | "DeleteAfterDays" => {}
            "OptInToArchiveForSupportedResources" if v.is_boolean() || v.is_null() => {}
            other => {
                return Err(ApiError::invalid(format!(
                    "Lifecycle: `{other}` is not a lifecycle field (or not of its type)"
                )))
            }
        }
    }
    let cold = days(l, "MoveToColdStorageAfterDays")?;
    let delete = days(l, "DeleteAfterDays")?;
    for (k, v) in [
        ("MoveToColdStorageAfterDays", cold),
        ("DeleteAfterDays", delete),
    ] {
        if v.is_some_and(|d| d < 1) {
            return Err(ApiError::invalid(format!("{k} must be at least 1")));
        }
    }
    if let (Some(c), Some(d)) = (cold, delete) {
        if d < c.saturating_add(90) {
            return Err(ApiError::invalid(format!(
                "DeleteAfterDays ({d}) must be at least 90 days greater than MoveToColdStorageAfterDays ({c})"
            )));
        }
    }
    Ok((cold, delete))
}

pub(super) fn calculated(created: f64, cold: Option<i64>, delete: Option<i64>) -> Value {
    let mut m = Map::new();
    if let Some(c) = cold {
        m.insert(
            "MoveToColdStorageAt".into(),
            json!(created + c as f64 * DAY),
        );
    }
    if let Some(d) = delete {
        m.insert("DeleteAt".into(), json!(created + d as f64 * DAY));
    }
    Value::Object(m)
}
