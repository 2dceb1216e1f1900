//! Live, read-only collection of an account snapshot with the AWS SDK for Rust.
//!
//! [`collect`] reads the account the SDK's standard credential chain points at (environment,
//! profiles, SSO, instance roles: as the AWS CLI finds them) and returns the
//! [`Snapshot`](vaultward_snapshot::Snapshot) that `check`, `fix` and `drift` read.
//! Every call goes through [`api::Api`], whose actions the generated inventory policy
//! grants. What the collector is refused is recorded in the snapshot, item by item, and the
//! run goes on.

pub mod api;
mod compute;
mod ctx;
mod iam;
mod org;
pub mod organization;
mod regional;
mod s3;
#[cfg(feature = "testing")]
pub mod testing;
mod vaults;

use std::collections::BTreeSet;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use vaultward_snapshot::AssetType;
use vaultward_snapshot::{Organization, Snapshot, COMPUTE_LISTS};

pub use ctx::Missing;
use ctx::{Ctx, Fetch};
pub use organization::{
    collect_organization, collect_organization_blocking, OrgCollectError, OrgCollection, OrgOptions,
};

/// How many objects to read per bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Objects {
    None,
    /// The first N object versions of each bucket.
    Sample(usize),
    All,
}

impl std::str::FromStr for Objects {
    type Err = String;
    fn from_str(s: &str) -> Result<Objects, String> {
        match s {
            "none" => Ok(Objects::None),
            "all" => Ok(Objects::All),
            _ => s
                .strip_prefix("sample:")
                .and_then(|n| n.parse().ok())
                .map(Objects::Sample)
                .ok_or_else(|| format!("`{s}`: expected none, sample:N or all")),
        }
    }
}

/// Which regions to read regional resources (keys, tables, instances, volumes, vaults and
/// buckets) in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// The region the SDK's configuration chain gives (`AWS_REGION`, the profile).
    Default,
    Listed(Vec<String>),
    /// Every region enabled for the account (`ec2:DescribeRegions`).
    All,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub profile: Option<String>,
    pub regions: Regions,
    pub assets: BTreeSet<AssetType>,
    pub objects: Objects,
    /// Read the compute a principal can run code as (functions, stacks, notebooks, ...),
    /// for `audit`.
    pub compute: bool,
    /// Send every call here instead of AWS (a local emulator); S3 then uses path-style URLs.
    pub endpoint_url: Option<String>,
    /// Calls in flight at most.
    pub concurrency: usize,
    /// Attempts per call, with exponential backoff and full jitter on throttling and
    /// transient errors (the SDK's standard retry mode).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub progress: bool,
    /// Credentials to use instead of the SDK's default chain (for embedding and tests).
    pub credentials: Option<SharedCredentialsProvider>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            profile: None,
            regions: Regions::Default,
            assets: [AssetType::S3, AssetType::DynamoDb, AssetType::Ec2]
                .into_iter()
                .collect(),
            objects: Objects::Sample(1000),
            compute: true,
            endpoint_url: None,
            concurrency: 16,
            max_attempts: 8,
            initial_backoff: Duration::from_millis(200),
            progress: false,
            credentials: None,
        }
    }
}

/// A finished collection.
#[derive(Debug)]
pub struct Collection {
    pub snapshot: Snapshot,
    /// What could not be read, sorted by item (also in `snapshot.notes`, in words).
    pub missing: Vec<Missing>,
    /// The caller the SDK's credentials resolved to.
    pub caller_arn: String,
    pub regions: Vec<String>,
    pub calls: u64,
}

impl Collection {
    /// The summary printed after a run: counts, then what was missing and which
    /// permission would have read it.
    pub fn summary(&self) -> String {
        let s = &self.snapshot;
        let mut out = format!(
            "collected account {} as {} in {} ({} calls): {} buckets ({} objects), {} KMS keys, {} tables, {} instances, {} volumes, {} vaults\n",
            s.account_id,
            self.caller_arn,
            self.regions.join(", "),
            self.calls,
            s.buckets.len(),
            s.buckets.iter().map(|b| b.objects.len()).sum::<usize>(),
            s.kms_keys.len(),
            s.dynamodb_tables.len(),
            s.ec2_instances.len(),
            s.ebs_volumes.len(),
            s.backup_vaults.len(),
        );
        if self.missing.is_empty() {
            out.push_str("nothing was missing\n");
        } else {
            out.push_str(&format!("{} items not collected:\n", self.missing.len()));
            for m in &self.missing {
                out.push_str(&format!("  {}\n", m.describe()));
            }
        }
        out
    }
}

/// The collection could not start (no credentials, no region, an unusable endpoint).
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("no region: pass --region, set AWS_REGION, or set one in the profile")]
    NoRegion,
    #[error("cannot identify the caller (sts:GetCallerIdentity): {0}; check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, `aws sso login`)")]
    Identity(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// [`collect`] on a runtime of its own, for callers that are not async (the CLI).
pub fn collect_blocking(opts: &Options) -> Result<Collection, CollectError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CollectError::Runtime)?
        .block_on(collect(opts))
}

/// The SDK configuration for `region`, as the AWS CLI would find it, with `opts`' retry
/// policy and endpoint.
pub async fn sdk_config(opts: &Options, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
        RetryConfig::standard()
            .with_max_attempts(opts.max_attempts.max(1))
            .with_initial_backoff(opts.initial_backoff),
    );
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    if let Some(u) = &opts.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    if let Some(c) = &opts.credentials {
        loader = loader.credentials_provider(c.clone());
    }
    loader.load().await
}

/// Reads the account. Fails only when the caller cannot be identified; everything else that
/// is refused is recorded and skipped.
pub async fn collect(opts: &Options) -> Result<Collection, CollectError> {
    collect_account(opts, None).await
}

/// The SDK configuration for the first Region selected (else the profile's), and who its
/// credentials are (`sts:GetCallerIdentity`).
pub(crate) struct Caller {
    pub base: aws_config::SdkConfig,
    pub home: String,
    pub account: String,
    pub arn: String,
}

/// [`Caller`] for `opts`; `item` names the call in a refusal.
pub(crate) async fn caller(opts: &Options, ctx: &Ctx, item: &str) -> Result<Caller, CollectError> {
    let first = match &opts.regions {
        Regions::Listed(rs) => rs.first().cloned(),
        _ => None,
    };
    let base = sdk_config(opts, first.as_deref()).await;
    let home = base
        .region()
        .map(|r| r.to_string())
        .ok_or(CollectError::NoRegion)?;
    let sts = aws_sdk_sts::Client::new(&base);
    let who = match ctx
        .call(
            Api::GetCallerIdentity,
            item,
            &[],
            sts.get_caller_identity().send(),
        )
        .await
    {
        Fetch::Got(w) => w,
        Fetch::Absent | Fetch::Failed(_) => {
            let why = ctx
                .take_missing()
                .pop()
                .map_or_else(|| "no answer".to_string(), |m| m.error);
            return Err(CollectError::Identity(why));
        }
    };
    Ok(Caller {
        base,
        home,
        account: who.account().unwrap_or_default().to_string(),
        arn: who.arn().unwrap_or_default().to_string(),
    })
}

/// [`collect`], with the account's organization (its path, SCP and RCP levels) already
/// known when `known` is given (`collect --org` read the tree once for every account), so
/// the account's own credentials need not read the organization.
pub(crate) async fn collect_account(
    opts: &Options,
    known: Option<Organization>,
) -> Result<Collection, CollectError> {
    let ctx = Ctx::new(opts.concurrency, opts.progress);
    ctx.stage("identity");
    let Caller {
        base,
        home,
        account,
        arn: caller_arn,
    } = match caller(opts, &ctx, "account").await {
        Ok(c) => c,
        Err(e) => {
            ctx.finish();
            return Err(e);
        }
    };

    let regions = match &opts.regions {
        Regions::Default => vec![home.clone()],
        Regions::Listed(rs) => rs.clone(),
        Regions::All => regional::enabled_regions(&ctx, &base)
            .await
            .unwrap_or_else(|| vec![home.clone()]),
    };

    ctx.stage("IAM");
    let iam = iam::authorization_details(&ctx, &base).await;
    let organization = match known {
        Some(o) => Some(o),
        None => {
            ctx.stage("organization");
            org::organization(&ctx, &base, &account).await
        }
    };

    let mut snapshot = Snapshot {
        account_id: account.clone(),
        organization,
        iam,
        ..Snapshot::default()
    };
    let not_asked = |what: &str| format!("not asked (--assets without {what})");
    if !opts.assets.contains(&AssetType::S3) {
        snapshot
            .not_collected
            .insert("buckets".into(), not_asked("s3"));
    }
    if !opts.assets.contains(&AssetType::DynamoDb) {
        snapshot
            .not_collected
            .insert("dynamodb_tables".into(), not_asked("dynamodb"));
    }
    if !opts.assets.contains(&AssetType::Ec2) {
        for list in ["ec2_instances", "ebs_volumes"] {
            snapshot.not_collected.insert(list.into(), not_asked("ec2"));
        }
    }
    if !opts.compute {
        for list in COMPUTE_LISTS {
            snapshot
                .not_collected
                .insert(list.to_string(), "not asked (--no-compute)".into());
        }
    }
    if opts.assets.contains(&AssetType::S3) {
        ctx.stage("S3");
        snapshot.buckets = s3::buckets(&ctx, opts, &base, &account, &regions).await;
    }
    for region in &regions {
        ctx.stage(&format!("{region}: KMS, DynamoDB, EC2, Backup"));
        let conf = sdk_config(opts, Some(region)).await;
        let r = regional::collect(&ctx, opts, &conf, region, &account).await;
        snapshot.kms_keys.extend(r.kms_keys);
        snapshot.dynamodb_tables.extend(r.tables);
        snapshot.ec2_instances.extend(r.instances);
        snapshot.ebs_volumes.extend(r.volumes);
        snapshot.backup_vaults.extend(r.vaults);
        snapshot.recovery_points.extend(r.recovery_points);
        if opts.compute {
            ctx.stage(&format!(
                "{region}: Lambda, CloudFormation, SageMaker, Glue, CodeBuild, ECS, SSM"
            ));
            let c = compute::collect(&ctx, &conf, region, &account).await;
            snapshot.lambda_functions.extend(c.functions);
            snapshot.lambda_event_source_mappings.extend(c.mappings);
            snapshot.cloudformation_stacks.extend(c.stacks);
            snapshot.sagemaker_notebook_instances.extend(c.notebooks);
            snapshot.glue_dev_endpoints.extend(c.dev_endpoints);
            snapshot.codebuild_projects.extend(c.projects);
            snapshot.ecs_task_definitions.extend(c.task_definitions);
            snapshot.ssm_managed_instances.extend(c.managed_instances);
        }
    }
    ctx.finish();
    let missing = ctx.take_missing();
    snapshot.notes = missing.iter().map(Missing::describe).collect();
    // A list call refused leaves its list incomplete: not collected, not empty.
    for m in &missing {
        if let Some(list) = list_of(m) {
            snapshot
                .not_collected
                .entry(list.to_string())
                .or_insert_with(|| m.describe());
        }
    }
    if let Some(why) = snapshot.not_collected.get("backup_vaults").cloned() {
        snapshot
            .not_collected
            .entry("recovery_points".into())
            .or_insert(why);
    }
    Ok(Collection {
        snapshot,
        missing,
        caller_arn,
        regions,
        calls: ctx.calls(),
    })
}

/// The list a refused call leaves incomplete, if any.
fn list_of(m: &Missing) -> Option<&'static str> {
    Some(match m.api.as_str() {
        "ListBuckets" => "buckets",
        "ListKeys" => "kms_keys",
        "ListTables" | "DescribeTable" => "dynamodb_tables",
        // The compute stage reads the instance profiles of the nodes SSM manages.
        "DescribeInstances" if m.item.starts_with(compute::SSM_ITEM) => "ssm_managed_instances",
        "DescribeInstances" => "ec2_instances",
        "DescribeVolumes" => "ebs_volumes",
        // Without the vaults, their recovery points are not known either; a vault whose
        // listing was refused says so in its own `not_collected`.
        "ListBackupVaults" => "backup_vaults",
        "ListFunctions" => "lambda_functions",
        "ListEventSourceMappings" => "lambda_event_source_mappings",
        "DescribeStacks" => "cloudformation_stacks",
        "ListNotebookInstances" | "DescribeNotebookInstance" => "sagemaker_notebook_instances",
        "GetDevEndpoints" => "glue_dev_endpoints",
        "ListProjects" | "BatchGetProjects" => "codebuild_projects",
        "ListTaskDefinitions" | "DescribeTaskDefinition" => "ecs_task_definitions",
        "DescribeInstanceInformation" => "ssm_managed_instances",
        _ => return None,
    })
}

/// A policy as a service returned it: IAM URL-encodes policy documents, other services send
/// plain JSON. Returns the document as JSON when it parses either way, else the text as
/// given (the check then reports where it fails to parse).
pub fn policy_document(text: &str) -> serde_json::Value {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        if v.is_object() {
            return v;
        }
    }
    if let Ok(decoded) = percent_encoding::percent_decode_str(text).decode_utf8() {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&decoded) {
            if v.is_object() {
                return v;
            }
        }
    }
    serde_json::Value::String(text.to_string())
}

use api::Api;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_read_url_encoded_or_plain() {
        // IAM returns documents URL-encoded (RFC 3986), per the IAM API reference for
        // GetAccountAuthorizationDetails ("The policy document returned ... is URL-encoded
        // compliant with RFC 3986"); S3, KMS and Backup return plain JSON.
        let plain = r#"{"Version":"2012-10-17","Statement":[]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(policy_document(plain), policy_document(encoded));
        assert!(policy_document(plain).is_object());
        // A `+` in a condition value stays a `+`: IAM encodes spaces as %20.
        let plus = "%7B%22a%22%3A%22x+y%22%7D";
        assert_eq!(policy_document(plus)["a"], "x+y");
        // Not a policy at all: kept as text for the check to report.
        assert_eq!(policy_document("%7Bbroken"), serde_json::json!("%7Bbroken"));
    }

    #[test]
    fn object_modes_parse() {
        assert_eq!("none".parse::<Objects>(), Ok(Objects::None));
        assert_eq!("sample:25".parse::<Objects>(), Ok(Objects::Sample(25)));
        assert_eq!("all".parse::<Objects>(), Ok(Objects::All));
        assert!("sample:".parse::<Objects>().is_err());
        assert!("some".parse::<Objects>().is_err());
    }
}
