//! Vault Lock.

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
                return Err(ApiError::request(
                    "Vault lock is in compliance mode since its lock date: it cannot be changed or deleted",
                ));
            }
        }
        Ok(())
    }
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
