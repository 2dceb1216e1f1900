//! `vaultward permissions`: generate the backup service's permissions file for the
//! selected asset types, as IAM JSON, CloudFormation (JSON or YAML) or Terraform.
//! Exit 2 with every parameter problem listed when the parameters cannot work.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use vaultward_model::{generate, render, Format, Params};

use crate::output::write_atomically;
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
    /// The customer's account id.
    #[arg(long)]
    account: String,
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
    /// Output format: the bundle as JSON, a CloudFormation template (JSON or YAML), or Terraform.
    #[arg(long, default_value = "json", value_parser = ["json", "cloudformation", "cloudformation-yaml", "terraform"], ignore_case = true)]
    format: String,
    /// Write here instead of standard output (atomically).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let assets = match selection::assets(&args.assets) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let params = Params {
        assets,
        continuous_s3: args.continuous_s3,
        support_role: args.support_role,
        restore: !args.no_restore,
        account: args.account,
        regions: args
            .regions
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        vendor_account: args.vendor_account,
        control_plane_role: args.control_plane_role,
        external_id: args.external_id,
        role_path: args.role_path,
        name_token: args.name_token,
        permissions_boundary: args.permissions_boundary,
        restore_instance_roles: args
            .restore_instance_roles
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        restore_table_prefix: args.restore_table_prefix,
        ..Params::default()
    };
    let bundle = match generate(&params) {
        Ok(b) => b,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return Ok(ExitCode::from(2));
        }
    };
    let format = Format::parse(&args.format.to_ascii_lowercase()).context("unknown format")?;
    let text = render(&bundle, format);
    match args.out {
        Some(path) => write_atomically(&path, text.as_bytes())?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
