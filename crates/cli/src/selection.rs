//! Reading the options that several subcommands share: asset types, operations, the role,
//! and the snapshot file. Each returns the message to print (exit 2) instead of dropping
//! what it cannot read.

use std::collections::BTreeSet;
use std::path::Path;

use vaultward_backup::{AssetType, CheckOptions, Op, Snapshot};

use crate::input::{display_name, read_text};

/// `s3,dynamodb,ec2` into asset types.
pub fn assets(list: &str) -> Result<BTreeSet<AssetType>, String> {
    list.split(',')
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            AssetType::parse(a).ok_or_else(|| {
                format!("`--assets`: `{a}` is not an asset type; use s3, dynamodb, ec2")
            })
        })
        .collect()
}

/// The role, asset types and operations of `check` and `fix`.
pub fn check_options(
    role: String,
    assets_list: &str,
    operations: &str,
) -> Result<CheckOptions, String> {
    let assets = assets(assets_list)?;
    if assets.is_empty() {
        return Err("`--assets` selects nothing: name at least one of s3, dynamodb, ec2".into());
    }
    let operations = operations
        .split(',')
        .filter(|o| !o.trim().is_empty())
        .map(|o| {
            Op::parse(o).ok_or_else(|| {
                format!("`--operations`: `{o}` is not an operation; use backup, restore")
            })
        })
        .collect::<Result<BTreeSet<Op>, String>>()?;
    if operations.is_empty() {
        return Err("`--operations` selects nothing: name backup, restore or both".into());
    }
    if vaultward_iam::arn::Arn::parse(&role)
        .is_none_or(|a| a.service != "iam" || !a.resource.starts_with("role/"))
    {
        return Err(format!("`--role`: `{role}` is not an IAM role ARN"));
    }
    Ok(CheckOptions::new(&role, assets, operations))
}

/// Reads a snapshot and keeps its text (the reports locate deciding statements in it);
/// the inner error is a located message about its content.
pub fn snapshot_and_text(path: &Path) -> anyhow::Result<Result<(Snapshot, String), String>> {
    let name = display_name(path);
    let text = read_text(path)?;
    Ok(Snapshot::from_json(&name, &text)
        .map(|s| (s, text))
        .map_err(|e| e.to_string()))
}

/// When a report is made, in RFC 3339 (UTC): now, or `SOURCE_DATE_EPOCH` when set (the
/// reproducible-builds convention), so that a report can be made byte-for-byte again.
pub fn report_time() -> String {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs() as f64)
        });
    vaultward_server::arns::iso8601(epoch)
}

/// The arguments `check` and `fix` share.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The account snapshot (see docs/snapshot.md).
    pub snapshot: std::path::PathBuf,
    /// The backup role's ARN, with its path.
    #[arg(long)]
    pub role: String,
    /// The asset types to check, comma-separated: s3, dynamodb, ec2.
    #[arg(long, default_value = "s3,dynamodb,ec2")]
    pub assets: String,
    /// The operations to check, comma-separated: backup, restore.
    #[arg(long, default_value = "backup,restore")]
    pub operations: String,
    /// Take the organization's SCPs and RCPs, when the snapshot could not collect them, as
    /// denying nothing (otherwise every pair is at best `unknown`, exit 3).
    #[arg(long)]
    pub assume_org_policies_allow: bool,
    /// Check continuous S3 backup's requests too (bucket notifications, its EventBridge rule).
    #[arg(long)]
    pub continuous_s3: bool,
    /// The prefix restored DynamoDB tables are created under (as given to `permissions`).
    #[arg(long, default_value = "vaultward-restored-")]
    pub restore_table_prefix: String,
    /// A role named for restored instances (as given to `permissions
    /// --restore-instance-roles`); checks that restores can pass it. None: no profile.
    #[arg(long)]
    pub restore_instance_role: Option<String>,
}

impl CheckArgs {
    /// The snapshot and options, or the message to print (exit 2).
    pub fn load(self) -> anyhow::Result<Result<(Snapshot, CheckOptions), String>> {
        Ok(self.load_with_text()?.map(|(s, o, _)| (s, o)))
    }

    /// As `load`, with the snapshot's text.
    pub fn load_with_text(
        self,
    ) -> anyhow::Result<Result<(Snapshot, CheckOptions, String), String>> {
        let (snapshot, text) = match snapshot_and_text(&self.snapshot)? {
            Ok(s) => s,
            Err(e) => return Ok(Err(e)),
        };
        let assume = self.assume_org_policies_allow;
        let continuous = self.continuous_s3;
        let prefix = self.restore_table_prefix;
        let instance_role = self.restore_instance_role;
        Ok(
            check_options(self.role, &self.assets, &self.operations).map(|mut o| {
                o.assume_org_policies_allow = assume;
                o.continuous_s3 = continuous;
                o.names.restore_table_prefix = prefix;
                o.names.restore_instance_role = instance_role;
                (snapshot, o, text)
            }),
        )
    }
}
