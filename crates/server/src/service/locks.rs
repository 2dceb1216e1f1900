//! Vault Lock: its configuration, its modes, and what it refuses.
//!
//! AWS Backup Vault Lock (https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html):
//! a lock without `ChangeableForDays` is in governance mode, and "Vaults locked in governance
//! mode can have the lock removed by users with sufficient IAM permissions"
//! (`backup:DeleteBackupVaultLockConfiguration`); with it, the lock date is now plus that many
//! days, before which the lock can still be changed or removed, and after which it is in
//! compliance mode: "the vault configuration cannot be altered or deleted by a customer,
//! account/data owner, or AWS". In both modes, from the moment it is put, the lock refuses
//! deleting a recovery point before its retention ends and changing its retention.

use super::lifecycle::{retention_end, Lifecycle};
use super::*;

impl Service {
    /// The operations on locks.
    pub(super) fn locks(
        &self,
        who: &Identity,
        route: &Route,
        q: &HashMap<String, String>,
        body: &Value,
        action: &str,
    ) -> Res {
        match route {
            Route::PutBackupVaultLockConfiguration(name) => {
                let now = self.clock.now();
                let lock = lock_config(body, now)?;
                let (v, _) = self.authorized_vault(who, action, name, q, &lock_keys(body)?)?;
                self.check_lock_mutable(&v, now)?;
                self.update_vault(who, name, q, |m| {
                    m.insert("Lock".into(), lock);
                })
            }
            Route::DeleteBackupVaultLockConfiguration(name) => {
                let (v, _) = self.authorized_vault(who, action, name, q, &[])?;
                self.check_lock_mutable(&v, self.clock.now())?;
                self.update_vault(who, name, q, |m| {
                    m.remove("Lock");
                })
            }
            other => Err(ApiError::internal(format!(
                "{} was routed to the locks module",
                other.name()
            ))),
        }
    }

    pub(super) fn check_lock_mutable(&self, vault: &Value, now: f64) -> Result<(), ApiError> {
        if let Some(d) = vault
            .get("Lock")
            .and_then(|l| l.get("LockDate"))
            .and_then(Value::as_f64)
        {
            if now >= d {
                return Err(ApiError::request(format!(
                    "the vault lock is in compliance mode since its lock date ({}): it cannot be changed or deleted by anyone",
                    crate::arns::iso8601(d)
                )));
            }
        }
        Ok(())
    }
}

/// Whether the vault has a lock in place (in either mode, within its grace time or after).
pub(super) fn is_locked(vault: &Value) -> bool {
    vault.get("Lock").is_some()
}

/// Whether a retention of `delete` days (None: kept forever) fits the vault's lock.
pub(super) fn lock_violation(vault: &Value, delete: Option<i64>) -> Option<String> {
    let lock = vault.get("Lock")?;
    let min = lock.get("MinRetentionDays").and_then(Value::as_i64);
    let max = lock.get("MaxRetentionDays").and_then(Value::as_i64);
    match (delete, min, max) {
        (Some(d), Some(min), _) if d < min => Some(format!(
            "the retention period ({d} days) is shorter than the vault lock's minimum of {min} days"
        )),
        (Some(d), _, Some(max)) if d > max => Some(format!(
            "the retention period ({d} days) is longer than the vault lock's maximum of {max} days"
        )),
        (None, _, Some(max)) => Some(format!(
            "the recovery point would be kept forever, beyond the vault lock's maximum of {max} days; set DeleteAfterDays"
        )),
        _ => None,
    }
}

/// Why the vault's lock refuses deleting `rp` at `now`, if it does. "AWS Backup ensures
/// that your backups are available for you until they reach the expiration of their
/// retention periods. If any user (including the root user) attempts to delete a backup or
/// change the lifecycle properties in a locked vault, AWS Backup will deny the operation"
/// (AWS Backup Vault Lock, https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html);
/// PutBackupVaultLockConfiguration "prevent[s] attempts to delete any recovery point stored
/// in or created in a backup vault"
/// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_PutBackupVaultLockConfiguration.html).
/// So whoever asks, and whenever the point was stored: only a point whose retention has
/// ended may go, and one kept indefinitely never does while the lock is in place.
pub(super) fn refuses_deletion(vault: &Value, rp: &Value, now: f64) -> Option<String> {
    if !is_locked(vault) {
        return None;
    }
    match retention_end(rp) {
        Some(end) if now >= end => None,
        Some(end) => Some(format!(
            "the recovery point is in a locked vault and its retention ends at {}; it cannot be deleted before",
            crate::arns::iso8601(end)
        )),
        None => Some(
            "the recovery point is in a locked vault and is retained indefinitely; it cannot be deleted while the lock is in place"
                .to_string(),
        ),
    }
}

/// Why the vault's lock refuses giving `rp` the lifecycle `new`, if it does: "Vault Lock
/// also prevents attempts to update the lifecycle policy that controls the retention period
/// of any recovery point currently stored in a backup vault"
/// (PutBackupVaultLockConfiguration). A change that keeps the point at least as long, within
/// the lock's minimum and maximum, is allowed; one that ends its retention sooner, or falls
/// outside the range, is not.
pub(super) fn refuses_lifecycle(vault: &Value, rp: &Value, new: &Lifecycle) -> Option<String> {
    if !is_locked(vault) {
        return None;
    }
    let created = rp.at("CreationDate").as_f64().unwrap_or(0.0);
    let new_end = new.delete.map(|d| created + d as f64 * DAY);
    let shorter = match (retention_end(rp), new_end) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(old), Some(new)) => new < old,
    };
    if shorter {
        return Some(format!(
            "the recovery point is in a locked vault; its retention cannot be shortened (to {} days)",
            new.delete.unwrap_or_default()
        ));
    }
    lock_violation(vault, new.delete)
}

/// `backup:MinRetentionDays`, `backup:MaxRetentionDays` and `backup:ChangeableForDays`: the
/// settings a `PutBackupVaultLockConfiguration` request gives (Service Authorization
/// Reference, "Actions, resources, and condition keys for AWS Backup"), so a policy can
/// demand, say, a minimum retention of 30 days.
fn lock_keys(body: &Value) -> Result<Vec<RequestKey>, ApiError> {
    let mut keys = Vec::new();
    for field in ["MinRetentionDays", "MaxRetentionDays", "ChangeableForDays"] {
        if let Some(d) = days(body, field)? {
            keys.push((
                format!("backup:{field}"),
                ContextValue::Single(d.to_string()),
            ));
        }
    }
    Ok(keys)
}

/// The vault lock rules (AWS Backup developer guide, "AWS Backup Vault Lock"): a minimum
/// retention of at least 1 day, a maximum of at most 36,500 days and not below the minimum,
/// and a grace time (`ChangeableForDays`) of at least 3 days, after which the lock is
/// immutable (compliance mode). Without a grace time the lock stays in governance mode.
pub(super) fn lock_config(body: &Value, now: f64) -> Res {
    let min = days(body, "MinRetentionDays")?;
    let max = days(body, "MaxRetentionDays")?;
    let changeable = days(body, "ChangeableForDays")?;
    if min.is_some_and(|m| !(1..=36500).contains(&m)) {
        return Err(ApiError::invalid(
            "MinRetentionDays must be between 1 and 36500",
        ));
    }
    if max.is_some_and(|m| !(1..=36500).contains(&m)) {
        return Err(ApiError::invalid(
            "MaxRetentionDays must be between 1 and 36500",
        ));
    }
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            return Err(ApiError::invalid(
                "MinRetentionDays must not be greater than MaxRetentionDays",
            ));
        }
    }
    if changeable.is_some_and(|c| !(3..=36500).contains(&c)) {
        return Err(ApiError::invalid(
            "ChangeableForDays must be at least 3 (and at most 36500)",
        ));
    }
    let mut lock = Map::new();
    if let Some(m) = min {
        lock.insert("MinRetentionDays".into(), json!(m));
    }
    if let Some(m) = max {
        lock.insert("MaxRetentionDays".into(), json!(m));
    }
    if let Some(c) = changeable {
        lock.insert("LockDate".into(), json!(now + c as f64 * DAY));
    }
    Ok(Value::Object(lock))
}
