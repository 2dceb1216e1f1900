//! An organization's directory (`DIR/organization.json` and `DIR/accounts/`, as
//! `collect --org` writes it), read for `check DIR` and `fix DIR`.

use std::path::Path;

use vaultward_backup::organization::{OrgAccount, OrgOptions};
use vaultward_backup::{CheckOptions, Snapshot};
use vaultward_snapshot::org::OrgLayout;

/// The role as `/PATH/NAME` from `--role`: a path and name, or a role ARN (its path and
/// name are taken, whatever account it names).
pub fn role_path_name(role: &str) -> Result<String, String> {
    let rest = match role.strip_prefix("arn:") {
        Some(_) => role
            .split_once(":role/")
            .map(|(_, r)| format!("/{r}"))
            .ok_or_else(|| format!("`--role`: `{role}` is not an IAM role ARN"))?,
        None => role.to_string(),
    };
    let ok = rest.starts_with('/')
        && !rest.ends_with('/')
        && rest.len() > 1
        && !rest.contains(['*', '?', ' ']);
    if ok {
        Ok(rest)
    } else {
        Err(format!(
            "`--role`: for an organization give the role's path and name, `/vaultward/VaultwardBackupRole` (or one account's role ARN), not `{role}`"
        ))
    }
}

/// The organization's accounts, with why each not collected is missing.
pub struct Org {
    pub layout: OrgLayout,
    pub accounts: Vec<OrgAccount>,
}

impl Org {
    pub fn load(dir: &Path) -> Result<Org, String> {
        let layout = OrgLayout::load(dir).map_err(|e| e.to_string())?;
        let accounts = layout
            .accounts
            .iter()
            .map(|a| OrgAccount {
                id: a.id.clone(),
                name: (!a.name.is_empty()).then(|| a.name.clone()),
                not_collected: match (&a.snapshot, &a.not_collected) {
                    (_, Some(why)) => Some(why.clone()),
                    (None, None) => Some("its snapshot is not in the directory".into()),
                    (Some(_), None) => None,
                },
                management: a.management,
            })
            .collect();
        Ok(Org { layout, accounts })
    }

    /// An account's snapshot, read when its turn comes.
    pub fn snapshot(&self, dir: &Path, a: &OrgAccount) -> Result<Snapshot, String> {
        let account = self
            .layout
            .accounts
            .iter()
            .find(|x| x.id == a.id)
            .ok_or_else(|| format!("account {} is not in organization.json", a.id))?;
        match self.layout.snapshot(dir, account) {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err("not collected".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The options of every account's check, for the role `role` (`/PATH/NAME`).
pub fn options(role: String, template: CheckOptions) -> OrgOptions {
    OrgOptions {
        role,
        template,
        threads: 0,
    }
}
