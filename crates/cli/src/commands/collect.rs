//! `vaultward collect`: read an account's state, read-only, with the AWS SDK, and write the
//! snapshot `check`, `fix` and `drift` read; with `--org`, every account of the
//! organization into a directory (docs/collect.md). Exit 2 when the caller cannot be
//! identified (or, with `--org`, the organization cannot be read).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use vaultward_aws::{
    collect_blocking, collect_organization_blocking, Objects, Options, OrgOptions, Regions,
};

use crate::output::write_atomically;
use crate::selection::assets;

#[derive(clap::Args)]
pub struct Args {
    /// The named profile, as the AWS CLI reads it (default: AWS_PROFILE, then `default`).
    #[arg(long)]
    profile: Option<String>,
    /// Regions to read (repeatable); default: the profile's or AWS_REGION's.
    #[arg(long = "region", conflicts_with = "all_regions")]
    regions: Vec<String>,
    /// Read every region enabled for the account.
    #[arg(long)]
    all_regions: bool,
    /// Asset types to read.
    #[arg(long, default_value = "s3,dynamodb,ec2")]
    assets: String,
    /// Objects per bucket: none, sample:N (the first N versions) or all.
    #[arg(long, default_value = "sample:1000")]
    objects: Objects,
    /// Do not read the compute a principal can run code as (Lambda functions, stacks,
    /// notebooks, ...): `audit` then reports the paths through them as unknown.
    #[arg(long)]
    no_compute: bool,
    /// Send every call to this endpoint (a local emulator) instead of AWS.
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Calls in flight at most; with `--org`, accounts collected at once (each with
    /// at most 8 calls in flight).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Collect every account of the organization (run as its management account or a
    /// delegated administrator) into the directory `--out`.
    #[arg(long, requires = "member_role")]
    org: bool,
    /// With `--org`: the role assumed in each member account, as `/PATH/NAME`
    /// (`/vaultward/VaultwardInventoryRole`).
    #[arg(long, requires = "org")]
    member_role: Option<String>,
    /// With `--org`: the external id the member role's trust policy asks for.
    #[arg(long, requires = "org")]
    external_id: Option<String>,
    /// With `--org`: only the accounts under these OUs (comma-separated `ou-...`, at any
    /// depth), and those of `--accounts`.
    #[arg(long, value_delimiter = ',', requires = "org")]
    ous: Vec<String>,
    /// With `--org`: only these accounts (comma-separated ids), and those under `--ous`.
    #[arg(long, value_delimiter = ',', requires = "org")]
    accounts: Vec<String>,
    /// With `--org`: keep the accounts a previous run into the same directory wrote whole.
    #[arg(long, requires = "org")]
    resume: bool,
    /// Attempts per call; throttling and transient errors are retried with exponential
    /// backoff and jitter.
    #[arg(long, default_value_t = 8)]
    max_attempts: u32,
    /// No progress bar and no summary.
    #[arg(long, short)]
    quiet: bool,
    /// Where to write the snapshot (atomically: a temporary file, then a rename); with
    /// `--org`, the directory (`organization.json`, `accounts/ACCOUNT.json`).
    #[arg(long)]
    out: PathBuf,
}

/// Calls in flight per account with `--org` (`--concurrency` is then accounts at once).
const ORG_CALLS_PER_ACCOUNT: usize = 8;

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let assets = match assets(&a.assets) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut opts = Options {
        profile: a.profile,
        regions: if a.all_regions {
            Regions::All
        } else if a.regions.is_empty() {
            Regions::Default
        } else {
            Regions::Listed(a.regions)
        },
        assets,
        objects: a.objects,
        compute: !a.no_compute,
        endpoint_url: a.endpoint_url,
        concurrency: a.concurrency.max(1),
        max_attempts: a.max_attempts.max(1),
        initial_backoff: Duration::from_millis(200),
        progress: !a.quiet,
        credentials: None,
    };
    if a.org {
        let member_role =
            match crate::organization::role_path_name(a.member_role.as_deref().unwrap_or_default())
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {}", e.replace("`--role`", "`--member-role`"));
                    return Ok(ExitCode::from(2));
                }
            };
        opts.concurrency = ORG_CALLS_PER_ACCOUNT;
        let org = OrgOptions {
            member_role,
            external_id: a.external_id,
            units: a.ous,
            accounts: a.accounts,
            concurrency: a.concurrency.max(1),
            resume: a.resume,
            out: a.out,
            progress: !a.quiet,
            account: opts,
        };
        let collection = match collect_organization_blocking(&org) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        if !a.quiet {
            eprint!("{}", collection.summary());
            eprintln!("wrote {}", org.out.join("organization.json").display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let collection = match collect_blocking(&opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let text = format!("{}\n", serde_json::to_string_pretty(&collection.snapshot)?);
    write_atomically(&a.out, text.as_bytes())?;
    if !a.quiet {
        eprint!("{}", collection.summary());
        eprintln!("wrote {}", a.out.display());
    }
    Ok(ExitCode::SUCCESS)
}
