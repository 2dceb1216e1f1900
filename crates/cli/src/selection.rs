//! Reading the options that several subcommands share: asset types, operations, the role,
//! and the snapshot file. Each returns the message to print (exit 2) instead of dropping
//! what it cannot read.

use std::collections::BTreeSet;
use std::path::Path;

use vaultward_backup::{AssetType, CheckOptions, Op, Snapshot};

use crate::input::{display_name, read_text};
use crate::organization::Org;
use vaultward_backup::organization::OrgOptions;

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
    /// The account snapshot (see docs/snapshot.md), or an organization's directory as
    /// `collect --org` writes it (every account checked).
    pub snapshot: std::path::PathBuf,
    /// The backup role's ARN, with its path; for an organization, its path and name
    /// (`/vaultward/VaultwardBackupRole`), found in every account.
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
    #[command(flatten)]
    pub facts: FactArgs,
}

/// What the user knows of the backup service's requests that no snapshot holds. Every
/// other key AWS sends comes from the request-context model (docs/request-context.md),
/// unknown where nothing says it: a finding that depends on one is `cannot-decide`.
#[derive(clap::Args, Default)]
pub struct FactArgs {
    /// A condition key's value for every request, `KEY=VALUE` (repeatable); a value
    /// starting with `[` is a JSON array (a multivalued key).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// The backup service's network, a JSON file: `{"egress": ["203.0.113.0/28"],
    /// "vpc_endpoint": {"id": "vpce-...", "vpc": "vpc-..."}, "tls_version": "1.3"}`.
    #[arg(long, value_name = "FILE")]
    pub network: Option<std::path::PathBuf>,
    /// When the requests are made, ISO 8601 or epoch seconds (the time keys; a session's
    /// `aws:TokenIssueTime` lies at most 12 hours before it). Default: now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

impl FactArgs {
    /// The facts, or the message to print (exit 2).
    pub fn read(&self) -> anyhow::Result<Result<vaultward_backup::RequestFacts, String>> {
        use vaultward_iam::ContextValue;
        let mut facts = vaultward_backup::RequestFacts::default();
        for pair in &self.context {
            let Some((k, v)) = pair.split_once('=') else {
                return Ok(Err(format!(
                    "`--context {pair}`: write `KEY=VALUE`, for example `--context aws:SourceIp=203.0.113.7`"
                )));
            };
            let key = k.trim();
            if key.is_empty() || key.contains(char::is_whitespace) {
                return Ok(Err(format!(
                    "`--context {pair}`: `{key}` is not a condition key"
                )));
            }
            let value = if v.trim_start().starts_with('[') {
                match serde_json::from_str::<Vec<String>>(v) {
                    Ok(list) => ContextValue::Multi(list),
                    Err(e) => {
                        return Ok(Err(format!(
                            "`--context {pair}`: the value is not a JSON array of strings ({e})"
                        )))
                    }
                }
            } else {
                ContextValue::Single(v.to_string())
            };
            facts.context.push((key.to_string(), value));
        }
        if let Some(at) = &self.at {
            match vaultward_iam::condition::parse_date(at) {
                Some(ms) => facts.at = Some(ms),
                None => {
                    return Ok(Err(format!(
                        "`--at {at}`: not a time; use ISO 8601 (`2026-12-07T12:00:00Z`) or epoch seconds"
                    )))
                }
            }
        }
        if let Some(path) = &self.network {
            let name = display_name(path);
            let text = read_text(path)?;
            match network(&name, &text) {
                Ok(n) => facts.network = n,
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(facts))
    }
}

/// Reads a `--network` file, naming the file, the JSON path and line/column of what is wrong.
fn network(name: &str, text: &str) -> Result<vaultward_iam::request_context::Network, String> {
    use vaultward_iam::request_context::{Network, VpcEndpoint};
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("{name}:{}:{}: not JSON: {e}", e.line(), e.column()))?;
    let at = |path: &str, what: &str| -> String {
        let (line, col) = locate_in(text, path);
        format!("{name}:{line}:{col}: `{path}`: {what}")
    };
    let Some(obj) = v.as_object() else {
        return Err(at(
            "$",
            "must be an object with `egress`, `vpc_endpoint`, `tls_version`",
        ));
    };
    let mut n = Network::default();
    for (k, val) in obj {
        match k.as_str() {
            "egress" => {
                let Some(list) = val.as_array() else {
                    return Err(at("$.egress", "must be an array of CIDR blocks"));
                };
                for (i, c) in list.iter().enumerate() {
                    let cidr = |c: &&str| {
                        vaultward_iam::condition::parse_value(vaultward_iam::condition::OpKind::IpAddress, c, false).is_ok()
                    };
                    let Some(c) = c.as_str().filter(cidr) else {
                        return Err(at(&format!("$.egress[{i}]"), "is not an IPv4 or IPv6 address or CIDR block"));
                    };
                    n.egress.push(c.to_string());
                }
            }
            "vpc_endpoint" => {
                let id = val.get("id").and_then(|x| x.as_str()).filter(|x| x.starts_with("vpce-"));
                let vpc = val.get("vpc").and_then(|x| x.as_str()).filter(|x| x.starts_with("vpc-"));
                match (id, vpc) {
                    (Some(id), Some(vpc)) => {
                        n.vpc_endpoint = Some(VpcEndpoint { id: id.into(), vpc: vpc.into() })
                    }
                    _ => return Err(at("$.vpc_endpoint", "must be `{\"id\": \"vpce-...\", \"vpc\": \"vpc-...\"}`")),
                }
            }
            "tls_version" => match val.as_str() {
                Some(t @ ("1.0" | "1.1" | "1.2" | "1.3")) => n.tls_version = Some(t.into()),
                _ => return Err(at("$.tls_version", "must be `1.2` or `1.3` (or `1.0`, `1.1`)")),
            },
            other => {
                return Err(at(
                    &format!("$.{other}"),
                    "is not a field of a network file; the fields are egress, vpc_endpoint, tls_version",
                ))
            }
        }
    }
    Ok(n)
}

/// The line and column (1-based) where the member at `path` (`$.a` or `$.a[i]`) starts in
/// `text`, as far as a search for its key finds it; the start of the file otherwise.
fn locate_in(text: &str, path: &str) -> (usize, usize) {
    let key = path
        .trim_start_matches("$.")
        .split(['[', '.'])
        .next()
        .unwrap_or_default();
    let at = if key.is_empty() || key == "$" {
        0
    } else {
        text.find(&format!("\"{key}\"")).unwrap_or(0)
    };
    vaultward_iam::json::line_col(text, at)
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
        let role = self.role.clone();
        Ok(self.options(role)?.map(|o| (snapshot, o, text)))
    }

    /// Whether `SNAPSHOT` is an organization's directory (`collect --org`'s layout).
    pub fn is_organization(&self) -> bool {
        self.snapshot.is_dir()
    }

    /// The organization's directory and the options of each account's check (`--role`
    /// is the role's path and name), or the message to print (exit 2).
    pub fn load_org(self) -> anyhow::Result<Result<(Org, OrgOptions), String>> {
        let role = match crate::organization::role_path_name(&self.role) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let org = match Org::load(&self.snapshot) {
            Ok(o) => o,
            Err(e) => return Ok(Err(e)),
        };
        let placeholder = vaultward_snapshot::org::role_arn("000000000000", &role);
        Ok(self
            .options(placeholder)?
            .map(|o| (org, crate::organization::options(role, o))))
    }

    /// The check's options for `role`.
    fn options(self, role: String) -> anyhow::Result<Result<CheckOptions, String>> {
        let assume = self.assume_org_policies_allow;
        let continuous = self.continuous_s3;
        let prefix = self.restore_table_prefix;
        let instance_role = self.restore_instance_role;
        let facts = match self.facts.read()? {
            Ok(f) => f,
            Err(e) => return Ok(Err(e)),
        };
        Ok(
            check_options(role, &self.assets, &self.operations).map(|mut o| {
                o.assume_org_policies_allow = assume;
                o.continuous_s3 = continuous;
                o.names.restore_table_prefix = prefix;
                o.names.restore_instance_role = instance_role;
                o.facts = facts;
                o
            }),
        )
    }
}
