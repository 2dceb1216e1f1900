//! `vaultward permissions`: generate the backup service's permissions file for the
//! selected asset types, as IAM JSON, CloudFormation (JSON or YAML) or Terraform, or for a
//! whole organization as CloudFormation StackSets (`--format stackset --out DIR`).
//! Exit 2 with every parameter problem listed when the parameters cannot work.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use vaultward_model::{generate, render, stackset, Format, Organization, Params};

use crate::output::{write_atomically, write_dir_atomically, DirFile};
use crate::selection;

#[derive(clap::Args)]
pub struct Args {
    /// Asset types to protect: `s3`, `dynamodb`, `ec2` (EC2 and EBS), comma-separated.
    #[arg(long, default_value = "s3,dynamodb,ec2")]
    assets: String,
    /// S3 continuous backup: bucket notifications to EventBridge and its role.
    #[arg(long)]
    continuous_s3: bool,
    /// The optional support role.
    #[arg(long)]
    support_role: bool,
    /// Leave out restore permissions (no writes to customer buckets or tables).
    #[arg(long)]
    no_restore: bool,
    /// The customer's account id (not with `--format stackset`: there each account's own).
    #[arg(long)]
    account: Option<String>,
    /// Regions where the assets live, comma-separated.
    #[arg(long, default_value = "us-east-1")]
    regions: String,
    /// The backup vendor's account id.
    #[arg(long)]
    vendor_account: String,
    /// The vendor's control-plane role allowed to assume the backup role.
    #[arg(long, default_value = "VaultwardControlPlane")]
    control_plane_role: String,
    /// The external id the vendor must present.
    #[arg(long)]
    external_id: String,
    /// IAM path of the generated roles and policies (starts and ends with `/`).
    #[arg(long, default_value = "/vaultward/")]
    role_path: String,
    /// Prefix of every generated name.
    #[arg(long, default_value = "Vaultward")]
    name_token: String,
    /// ARN of a managed policy to set as the roles' permissions boundary.
    #[arg(long)]
    permissions_boundary: Option<String>,
    /// Roles (names, comma-separated) the service may give restored instances, through
    /// the instance profile of the same name. None by default: restored instances get no
    /// profile and the role has no `iam:PassRole` for EC2.
    #[arg(long, default_value = "")]
    restore_instance_roles: String,
    /// Restored DynamoDB tables are created under this name prefix; only tables so named
    /// can be written, updated or deleted by the role.
    #[arg(long, default_value = "vaultward-restored-")]
    restore_table_prefix: String,
    /// Output format: the bundle as JSON, a CloudFormation template (JSON or YAML),
    /// Terraform, or `stackset`: a directory for every account of an organization
    /// (templates, deploy script, Terraform, the vendor's side; needs `--out`, `--ous`, `--org-id`).
    #[arg(long, default_value = "json", value_parser = ["json", "cloudformation", "cloudformation-yaml", "terraform", "stackset"], ignore_case = true)]
    format: String,
    /// `stackset`: the OUs to deploy to, comma-separated (`ou-...`), or the root (`r-...`).
    #[arg(long, default_value = "")]
    ous: String,
    /// `stackset`: the organization's id (`o-...`), which the vendor's side trusts.
    #[arg(long, default_value = "")]
    org_id: String,
    /// `stackset`: the management account, where StackSets never deploy.
    #[arg(long)]
    management_account: Option<String>,
    /// Write here instead of standard output (atomically); with `stackset`, a directory.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let assets = match selection::assets(&args.assets) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let format = args.format.to_ascii_lowercase();
    let org = (format == "stackset").then(|| Organization {
        ous: list(&args.ous),
        org_id: args.org_id.clone(),
        management_account: args.management_account.clone(),
    });
    let usage = match (&org, &args.account, &args.out) {
        (Some(_), Some(_), _) => Some("`--account` is not for `--format stackset`: each account's id comes from AWS::AccountId"),
        (Some(_), _, None) => Some("`--format stackset` writes a directory: give it with `--out DIR`"),
        (None, None, _) => Some("`--account`: the customer's account id is needed (or `--format stackset` for an organization)"),
        _ => None,
    };
    if let Some(u) = usage {
        eprintln!("error: {u}");
        return Ok(ExitCode::from(2));
    }
    let params = Params {
        assets,
        continuous_s3: args.continuous_s3,
        support_role: args.support_role,
        restore: !args.no_restore,
        account: args.account.unwrap_or_default(),
        regions: list(&args.regions),
        vendor_account: args.vendor_account,
        control_plane_role: args.control_plane_role,
        external_id: args.external_id,
        role_path: args.role_path,
        name_token: args.name_token,
        permissions_boundary: args.permissions_boundary,
        restore_instance_roles: list(&args.restore_instance_roles),
        restore_table_prefix: args.restore_table_prefix,
        ..Params::default()
    };
    if let (Some(org), Some(dir)) = (&org, &args.out) {
        return match stackset(&params, org) {
            Ok(files) => {
                let entries: Vec<DirFile<'_>> = files
                    .iter()
                    .map(|f| DirFile {
                        path: &f.path,
                        bytes: f.text.as_bytes(),
                        executable: f.executable,
                    })
                    .collect();
                write_dir_atomically(dir, &entries)?;
                eprintln!(
                    "wrote {} files to `{}`: see its README.md, then run its deploy.sh",
                    files.len(),
                    dir.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                for e in errors {
                    eprintln!("error: {e}");
                }
                Ok(ExitCode::from(2))
            }
        };
    }
    let bundle = match generate(&params) {
        Ok(b) => b,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let format = Format::parse(&format).context("unknown format")?;
    let text = render(&bundle, format);
    match args.out {
        Some(path) => write_atomically(&path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
