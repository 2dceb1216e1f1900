//! Backup vaults and their access policies.

use super::recovery_points::{vault_account, vault_not_found};
use super::tags::tags_of;
use super::*;

impl Service {
    /// The operations on vaults.
    pub(super) fn vaults(
        &self,
        who: &Identity,
        route: &Route,
        q: &HashMap<String, String>,
        body: &Value,
        action: &str,
    ) -> Res {
        match route {
            Route::CreateBackupVault(name) => {
                if !valid_vault_name(name) {
                    return Err(ApiError::invalid(format!(
                        "Backup vault name `{name}` is invalid: use 2 to 50 letters, numbers, hyphens and underscores"
                    )));
                }
                let arn = self.vault_arn(&who.account, name);
                let tags = tags_of(body.get("BackupVaultTags"), "BackupVaultTags")?;
                if tags.len() > MAX_TAGS {
                    return Err(ApiError::invalid(format!(
                        "a resource can have at most {MAX_TAGS} tags"
                    )));
                }
                self.authorize(
                    who,
                    action,
                    &arn,
                    &who.account,
                    None,
                    &request_tag_keys(&tags),
                )?;
                let now = self.clock.now();
                let mut doc = json!({
                    "BackupVaultName": name, "BackupVaultArn": arn, "AccountId": who.account,
                    "CreationDate": now,
                    "EncryptionKeyArn": match opt_str(body, "EncryptionKeyArn")? {
                        None => format!("arn:aws:kms:{}:{}:key/aws-backup-default", self.config.region, who.account),
                        Some(k) if is_key_arn(k) => k.to_string(),
                        Some(k) => return Err(ApiError::invalid(format!("EncryptionKeyArn `{k}` is not the ARN of a KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID)"))),
                    },
                });
                if let Some(c) = opt_str(body, "CreatorRequestId")? {
                    put(&mut doc, "CreatorRequestId", json!(c));
                }
                // The vault and its tags in one transaction (the writes lock and the data
                // directory's lock keep the existence check and the insert together).
                if self.store.get(Kind::Vault, &arn)?.is_some() {
                    return Err(ApiError::new(
                        400,
                        "AlreadyExistsException",
                        format!("Backup vault with the same name already exists: {name}"),
                    ));
                }
                let mut records = vec![(Kind::Vault, arn.clone(), Some(who.account.clone()), doc)];
                if !tags.is_empty() {
                    records.push((
                        Kind::Tags,
                        arn.clone(),
                        None,
                        serde_json::to_value(&tags).unwrap_or_default(),
                    ));
                }
                self.store.insert_many(&records)?;
                Ok(json!({"BackupVaultName": name, "BackupVaultArn": arn, "CreationDate": now}))
            }
            Route::DescribeBackupVault(name) => {
                let (v, arn) = self.authorized_vault(who, action, name, q, &[])?;
                let n = self.store.count(Kind::RecoveryPoint, &arn)?;
                Ok(vault_view(&v, n))
            }
            Route::ListBackupVaults => {
                self.authorize(who, action, "*", &who.account, None, &[])?;
                let (after, limit) = page_args(q)?;
                // Every vault here is a BACKUP_VAULT of the caller's account; none is shared
                // with it through AWS RAM.
                if q.get("vaultType").is_some_and(|t| t != "BACKUP_VAULT")
                    || q.get("shared").is_some_and(|s| s == "true")
                {
                    return Ok(json!({"BackupVaultList": []}));
                }
                let page = self
                    .store
                    .list(Kind::Vault, Some(&who.account), after, limit)?;
                let mut list = Vec::new();
                for v in &page.items {
                    let n = self.store.count(
                        Kind::RecoveryPoint,
                        v.at("BackupVaultArn").as_str().unwrap_or(""),
                    )?;
                    list.push(vault_view(v, n));
                }
                Ok(with_token(json!({"BackupVaultList": list}), page.next))
            }
            Route::DeleteBackupVault(name) => {
                // DeleteBackupVault: "A vault can be deleted only if it is empty"
                // (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVault.html);
                // a locked vault's points stay until their retention ends.
                let (v, arn) = self.authorized_vault(who, action, name, q, &[])?;
                let n = self
                    .store
                    .delete_if_childless(Kind::Vault, &arn, Kind::RecoveryPoint)?;
                if n > 0 {
                    let lock = if super::locks::is_locked(&v) {
                        "; the vault is locked, so they stay until their retention ends"
                    } else {
                        ""
                    };
                    return Err(ApiError::request(format!(
                        "Backup vault cannot be deleted because it contains {n} recovery points{lock}"
                    )));
                }
                Ok(json!({}))
            }
            Route::PutBackupVaultAccessPolicy(name) => {
                self.authorized_vault(who, action, name, q, &[])?;
                let text = required(body, "Policy")?;
                validate_vault_policy(text)?;
                self.update_vault(who, name, q, |m| {
                    m.insert("Policy".into(), json!(text));
                })
            }
            Route::GetBackupVaultAccessPolicy(name) => {
                let (v, arn) = self.authorized_vault(who, action, name, q, &[])?;
                let Some(p) = v.get("Policy") else {
                    return Err(ApiError::not_found(format!(
                        "Backup vault {name} has no access policy"
                    )));
                };
                Ok(json!({"BackupVaultName": name, "BackupVaultArn": arn, "Policy": p}))
            }
            Route::DeleteBackupVaultAccessPolicy(name) => {
                self.authorized_vault(who, action, name, q, &[])?;
                self.update_vault(who, name, q, |m| {
                    m.remove("Policy");
                })
            }
            other => Err(ApiError::internal(format!(
                "{} was routed to the vaults module",
                other.name()
            ))),
        }
    }

    /// The vault `name` addresses (in the account `q` names, the caller's by default), once
    /// `who` may perform `action` on it: its record and ARN. Authorized before its existence
    /// matters: another account's vault is refused before it is looked up, and a missing vault
    /// of the caller's account is "not found" only to a caller allowed the action, so that
    /// whether a vault exists does not leak.
    pub(super) fn authorized_vault(
        &self,
        who: &Identity,
        action: &str,
        name: &str,
        q: &HashMap<String, String>,
        request: &[RequestKey],
    ) -> Result<(Value, String), ApiError> {
        let account = vault_account(who, q);
        let arn = self.vault_arn(account, name);
        if account != who.account {
            self.authorize(who, action, &arn, account, None, request)?;
        }
        let v = self.store.get(Kind::Vault, &arn)?;
        self.authorize(who, action, &arn, account, v.as_ref(), request)?;
        let v = v.ok_or_else(|| vault_not_found(name, account))?;
        Ok((v, arn))
    }

    /// Changes the vault's record under the write lock (re-read there, so concurrent
    /// changes are not lost).
    pub(super) fn update_vault(
        &self,
        who: &Identity,
        name: &str,
        q: &HashMap<String, String>,
        change: impl FnOnce(&mut Map<String, Value>),
    ) -> Res {
        let mut v = self.vault(who, name, q)?;
        let arn = v
            .at("BackupVaultArn")
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(m) = v.as_object_mut() {
            change(m);
        }
        self.store.replace(Kind::Vault, &arn, &v)?;
        Ok(json!({}))
    }

    pub(super) fn vault(&self, who: &Identity, name: &str, q: &HashMap<String, String>) -> Res {
        let account = vault_account(who, q);
        let arn = self.vault_arn(account, name);
        self.store
            .get(Kind::Vault, &arn)?
            .ok_or_else(|| vault_not_found(name, account))
    }
}

pub(super) fn is_key_arn(k: &str) -> bool {
    vaultward_iam::arn::Arn::parse(k).is_some_and(|a| {
        a.service == "kms"
            && vaultward_iam::arn::is_account_id(a.account)
            && !a.region.is_empty()
            && a.resource.strip_prefix("key/").is_some_and(|id| {
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    })
}

pub(super) fn valid_vault_name(name: &str) -> bool {
    (2..=50).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The response fields of a vault record.
pub(super) fn vault_view(v: &Value, recovery_points: usize) -> Value {
    let mut out = json!({
        "BackupVaultName": v.at("BackupVaultName"),
        "BackupVaultArn": v.at("BackupVaultArn"),
        "VaultType": "BACKUP_VAULT",
        "VaultState": "AVAILABLE",
        "EncryptionKeyArn": v.at("EncryptionKeyArn"),
        "CreationDate": v.at("CreationDate"),
        "NumberOfRecoveryPoints": recovery_points,
        "Locked": v.get("Lock").is_some(),
    });
    if let Some(c) = v.get("CreatorRequestId") {
        put(&mut out, "CreatorRequestId", c.clone());
    }
    if let Some(l) = v.get("Lock") {
        for k in ["MinRetentionDays", "MaxRetentionDays", "LockDate"] {
            if let Some(x) = l.get(k) {
                put(&mut out, k, x.clone());
            }
        }
    }
    out
}

/// A vault access policy as AWS Backup accepts it: a resource policy that parses, with a
/// `Principal` in every statement and no wildcard in `Action`.
pub fn validate_vault_policy(text: &str) -> Result<(), ApiError> {
    crate::config::parse_checked(text, PolicyKind::Resource)
        .map_err(|e| ApiError::invalid(format!("Invalid backup vault access policy: {e}")))?;
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::invalid(format!("Invalid backup vault access policy: {e}")))?;
    let statements = match doc.at("Statement") {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    for (i, st) in statements.iter().enumerate() {
        let actions = match &st.at("Action") {
            Value::String(a) => vec![a.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if let Some(a) = actions.iter().find(|a| a.contains('*')) {
            return Err(ApiError::invalid(format!(
                "Invalid backup vault access policy: Statement[{i}].Action `{a}`: wildcards are not supported in the Action of a backup vault access policy"
            )));
        }
    }
    Ok(())
}
