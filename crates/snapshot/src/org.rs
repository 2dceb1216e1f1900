//! An organization on disk, as `collect --org` writes it and an organization-wide check
//! reads it: `DIR/organization.json` (the tree, the accounts and their status, every SCP
//! and RCP with its targets) and `DIR/accounts/ACCOUNT.json` (each a normal account
//! snapshot whose SCP and RCP levels are that account's path). Layout in
//! `docs/snapshot.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Snapshot;

/// The format tag `organization.json` starts with.
pub const FORMAT: &str = "vaultward-organization/1";

/// `organization.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgLayout {
    /// [`FORMAT`].
    pub format: String,
    /// `o-...`.
    pub id: String,
    pub management_account: String,
    /// `r-...`.
    pub root: String,
    #[serde(default)]
    pub units: Vec<Unit>,
    pub accounts: Vec<Account>,
    /// Every SCP and RCP of the organization, the AWS-managed ones included.
    #[serde(default)]
    pub policies: Vec<OrgPolicy>,
    /// Which policy types are enabled at the root (`SERVICE_CONTROL_POLICY`,
    /// `RESOURCE_CONTROL_POLICY`); a type not enabled restricts nothing.
    #[serde(default)]
    pub enabled_policy_types: Vec<String>,
    /// Why the policies could not be read: every account's SCPs and RCPs are then unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies_not_collected: Option<String>,
}

/// An organizational unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// `ou-...`.
    pub id: String,
    pub name: String,
    /// The root's or another OU's id.
    pub parent: String,
}

/// A member account (or the management account).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE` (Organizations' account status).
    pub status: String,
    /// The root's or an OU's id.
    pub parent: String,
    /// The management account: SCPs and RCPs do not apply to it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub management: bool,
    /// `accounts/ID.json` when the account was collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// Why it was not collected (the member role could not be assumed, the account is
    /// suspended, not selected): its verdicts are unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_collected: Option<String>,
}

/// An SCP or RCP with the targets (root, OUs, accounts) it is attached to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgPolicy {
    /// `p-...` (`p-FullAWSAccess`, `p-RCPFullAWSAccess` for AWS's own).
    pub id: String,
    pub name: String,
    /// `SERVICE_CONTROL_POLICY` or `RESOURCE_CONTROL_POLICY`.
    pub r#type: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub aws_managed: bool,
    pub document: Value,
    pub targets: Vec<String>,
}

/// Where an account's snapshot is written, relative to the organization's directory.
pub fn account_file(account: &str) -> String {
    format!("accounts/{account}.json")
}

/// A role's ARN in `account` from its path and name (`/vaultward/VaultwardInventoryRole`).
pub fn role_arn(account: &str, path_and_name: &str) -> String {
    format!(
        "arn:aws:iam::{account}:role/{}",
        path_and_name.trim_start_matches('/')
    )
}

/// Writes `bytes` to `path` whole or not at all (see [`write_atomically_with`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// What `write` writes goes to `path` whole or not at all: a temporary file in the same
/// directory (buffered, so a large report streams to the disk), synced, then renamed over
/// `path` (a rename within one file system is atomic), so an interrupted run leaves the
/// old file or the new one, never a part. The one definition: the CLI's and the
/// collector's writes go through it.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("`{}` is not a file path", path.display()),
        )
    })?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        write(&mut f)?;
        let f = f.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `organization.json` or an account file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {path}{location}: {message}")]
pub struct OrgError {
    pub file: String,
    /// The JSON path of the value at fault (`accounts[3].parent`), or empty.
    pub path: String,
    /// ` (line L, column C)` when known.
    pub location: String,
    pub message: String,
}

impl OrgLayout {
    /// Reads `dir/organization.json` and checks that it holds together: every parent and
    /// policy target is in the tree, every collected account's file exists.
    pub fn load(dir: &Path) -> Result<OrgLayout, OrgError> {
        let file = dir.join("organization.json");
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| OrgError {
            file: name.clone(),
            path: String::new(),
            location: String::new(),
            message: format!("{e}; write it with `vaultward collect --org --out DIR`"),
        })?;
        let layout = OrgLayout::from_json(&name, &text)?;
        layout.check(dir, &name)?;
        Ok(layout)
    }

    /// Writes `dir/organization.json` atomically.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_atomically(
            &dir.join("organization.json"),
            format!("{text}\n").as_bytes(),
        )
    }

    /// Parses `organization.json`'s text; `file` names it in errors.
    pub fn from_json(file: &str, text: &str) -> Result<OrgLayout, OrgError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let layout: OrgLayout =
            serde_path_to_error::deserialize(&mut de).map_err(|e| OrgError {
                file: file.to_string(),
                path: e.path().to_string(),
                location: format!(
                    " (line {}, column {})",
                    e.inner().line(),
                    e.inner().column()
                ),
                message: format!(
                    "{}; see docs/snapshot.md for the organization layout",
                    e.inner()
                ),
            })?;
        if layout.format != FORMAT {
            return Err(OrgError {
                file: file.to_string(),
                path: "format".into(),
                location: String::new(),
                message: format!("`{}` is not `{FORMAT}`", layout.format),
            });
        }
        Ok(layout)
    }

    fn check(&self, dir: &Path, file: &str) -> Result<(), OrgError> {
        let err = |path: String, message: String| OrgError {
            file: file.to_string(),
            path,
            location: String::new(),
            message,
        };
        let mut nodes: BTreeSet<&str> = BTreeSet::from([self.root.as_str()]);
        nodes.extend(self.units.iter().map(|u| u.id.as_str()));
        for (i, u) in self.units.iter().enumerate() {
            if !nodes.contains(u.parent.as_str()) {
                return Err(err(
                    format!("units[{i}].parent"),
                    format!("`{}` is neither the root nor an OU of the file", u.parent),
                ));
            }
        }
        for (i, a) in self.accounts.iter().enumerate() {
            if !nodes.contains(a.parent.as_str()) {
                return Err(err(
                    format!("accounts[{i}].parent"),
                    format!("`{}` is neither the root nor an OU of the file", a.parent),
                ));
            }
            match (&a.snapshot, &a.not_collected) {
                (Some(rel), _) => {
                    if !dir.join(rel).is_file() {
                        return Err(err(format!("accounts[{i}].snapshot"), format!("`{}` does not exist (an interrupted run? run `collect --org --resume`)", dir.join(rel).display())));
                    }
                }
                (None, None) => {
                    return Err(err(
                        format!("accounts[{i}]"),
                        format!(
                            "account `{}` has neither `snapshot` nor `not_collected`",
                            a.id
                        ),
                    ))
                }
                (None, Some(_)) => {}
            }
        }
        nodes.extend(self.accounts.iter().map(|a| a.id.as_str()));
        for (i, p) in self.policies.iter().enumerate() {
            for (j, t) in p.targets.iter().enumerate() {
                if !nodes.contains(t.as_str()) {
                    return Err(err(
                        format!("policies[{i}].targets[{j}]"),
                        format!("`{t}` is not in the organization's tree"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The path of `account`: the root, then each OU down to the account's parent.
    /// `None` for an account not in the file, or a tree with a cycle.
    pub fn parents(&self, account: &str) -> Option<Vec<String>> {
        let units: BTreeMap<&str, &str> = self
            .units
            .iter()
            .map(|u| (u.id.as_str(), u.parent.as_str()))
            .collect();
        let mut cur = self
            .accounts
            .iter()
            .find(|a| a.id == account)?
            .parent
            .as_str();
        let mut up = vec![cur.to_string()];
        while cur != self.root {
            cur = units.get(cur)?;
            if up.len() > crate::MAX_ORG_DEPTH || up.iter().any(|u| u == cur) {
                return None;
            }
            up.push(cur.to_string());
        }
        up.reverse();
        Some(up)
    }

    /// `aws:PrincipalOrgPaths` of `account`.
    pub fn org_path(&self, account: &str) -> Option<String> {
        Some(crate::org_path(&self.id, &self.parents(account)?))
    }

    /// The levels of one policy type on `account`'s path, as an account snapshot holds
    /// them: the root, each OU, the account, each a list of `{"name", "id", "document"}`.
    /// Empty when the type is not enabled.
    pub fn levels(&self, account: &str, policy_type: &str) -> Option<Vec<Vec<Value>>> {
        if !self.enabled_policy_types.iter().any(|t| t == policy_type) {
            return Some(Vec::new());
        }
        let mut targets = self.parents(account)?;
        targets.push(account.to_string());
        Some(
            targets
                .iter()
                .map(|t| {
                    self.policies
                        .iter()
                        .filter(|p| p.r#type == policy_type && p.targets.contains(t))
                        .map(|p| serde_json::json!({"name": p.name, "id": p.id, "document": p.document}))
                        .collect()
                })
                .collect(),
        )
    }

    /// The snapshot of a collected account (`None`: not collected, with the reason in the
    /// account's `not_collected`).
    pub fn snapshot(&self, dir: &Path, account: &Account) -> Result<Option<Snapshot>, OrgError> {
        let Some(rel) = &account.snapshot else {
            return Ok(None);
        };
        let path: PathBuf = dir.join(rel);
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| OrgError {
            file: name.clone(),
            path: String::new(),
            location: String::new(),
            message: e.to_string(),
        })?;
        Snapshot::from_json(&name, &text)
            .map(Some)
            .map_err(|e| OrgError {
                file: e.file,
                path: String::new(),
                location: format!(" (line {}, column {})", e.line, e.column),
                message: e.message,
            })
    }
}
