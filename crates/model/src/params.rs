//! What a user chooses when generating the permissions file, validated.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use vaultward_iam::arn::is_account_id;
pub use vaultward_snapshot::AssetType;

/// Everything the generator needs. [`Params::validate`] checks it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub assets: BTreeSet<AssetType>,
    pub continuous_s3: bool,
    pub support_role: bool,
    pub restore: bool,
    /// The customer's account.
    pub account: String,
    pub regions: Vec<String>,
    /// The backup vendor's account, home of the control-plane role.
    pub vendor_account: String,
    pub control_plane_role: String,
    pub external_id: String,
    /// IAM path of the roles and policies, `/` to `/`.
    pub role_path: String,
    /// Prefix of every generated name.
    pub name_token: String,
    /// ARN of a managed policy to set as the roles' permissions boundary.
    pub permissions_boundary: Option<String>,
    /// Tag the service puts on everything it creates.
    pub vendor_tag_key: String,
    pub vendor_tag_value: String,
    /// Tag present on resources while a restore is in progress.
    pub restore_tag_key: String,
    /// Roles (names in the account) the service may give restored instances through an
    /// instance profile of the same name. None by default: no `iam:PassRole` at all.
    #[serde(default)]
    pub restore_instance_roles: Vec<String>,
    /// Restored DynamoDB tables are created under this name prefix, and only tables so
    /// named can be written, updated or deleted: DynamoDB has no condition key that tells
    /// the tags of a create from the tags of an existing table, so a tag would not do.
    #[serde(default = "default_table_prefix")]
    pub restore_table_prefix: String,
}

fn default_table_prefix() -> String {
    "vaultward-restored-".into()
}

impl Default for Params {
    fn default() -> Self {
        Params {
            assets: [AssetType::S3, AssetType::DynamoDb, AssetType::Ec2]
                .into_iter()
                .collect(),
            continuous_s3: false,
            support_role: false,
            restore: true,
            account: String::new(),
            regions: vec!["us-east-1".into()],
            vendor_account: String::new(),
            control_plane_role: "VaultwardControlPlane".into(),
            external_id: String::new(),
            role_path: "/vaultward/".into(),
            name_token: "Vaultward".into(),
            permissions_boundary: None,
            vendor_tag_key: "Vendor".into(),
            vendor_tag_value: "Vaultward".into(),
            restore_tag_key: "vaultward.restore".into(),
            restore_instance_roles: Vec::new(),
            restore_table_prefix: default_table_prefix(),
        }
    }
}

/// A parameter that cannot make a working permissions file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`--{param}`: {message}")]
pub struct ParamError {
    pub param: &'static str,
    pub message: String,
}

fn err(param: &'static str, message: impl Into<String>) -> ParamError {
    ParamError {
        param,
        message: message.into(),
    }
}

impl Params {
    /// Checks every parameter; returns all problems at once.
    pub fn validate(&self) -> Result<(), Vec<ParamError>> {
        let mut errors = Vec::new();
        if self.assets.is_empty() {
            errors.push(err(
                "assets",
                "select at least one asset type: s3, dynamodb, ec2",
            ));
        }
        if self.continuous_s3 && !self.assets.contains(&AssetType::S3) {
            errors.push(err(
                "continuous-s3",
                "continuous backup is for S3: add `s3` to `--assets`",
            ));
        }
        if !is_account_id(&self.account) {
            errors.push(err(
                "account",
                format!("`{}` is not a 12-digit AWS account id", self.account),
            ));
        }
        if !is_account_id(&self.vendor_account) {
            errors.push(err(
                "vendor-account",
                format!("`{}` is not a 12-digit AWS account id", self.vendor_account),
            ));
        }
        if self.account == self.vendor_account && !self.account.is_empty() {
            errors.push(err(
                "vendor-account",
                "the vendor's account must not be the customer's account",
            ));
        }
        if self.external_id.len() < 2
            || self.external_id.len() > 1224
            || !self
                .external_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c))
        {
            errors.push(err("external-id", "an external id is 2 to 1,224 characters of letters, digits and `+=,.@:/-_` (sts:AssumeRole)"));
        }
        if !valid_name(&self.control_plane_role, 64) {
            errors.push(err(
                "control-plane-role",
                format!("`{}` is not a valid IAM role name", self.control_plane_role),
            ));
        }
        if !valid_name(&self.name_token, 32) {
            errors.push(err(
                "name-token",
                "use 1 to 32 letters, digits and `+=,.@_-`",
            ));
        }
        if !(self.role_path.starts_with('/')
            && self.role_path.ends_with('/')
            && self.role_path.len() <= 512
            && self.role_path.chars().all(|c| c.is_ascii_graphic()))
        {
            errors.push(err(
                "role-path",
                format!(
                    "`{}` is not an IAM path: it starts and ends with `/`",
                    self.role_path
                ),
            ));
        }
        if self.regions.is_empty() || !self.regions.iter().all(|r| valid_region(r)) {
            errors.push(err(
                "regions",
                format!(
                    "`{}` is not a list of AWS regions such as `us-east-1`",
                    self.regions.join(",")
                ),
            ));
        }
        if let Some(b) = &self.permissions_boundary {
            let ok = vaultward_iam::arn::Arn::parse(b)
                .is_some_and(|a| a.service == "iam" && a.resource.starts_with("policy/"));
            if !ok {
                errors.push(err(
                    "permissions-boundary",
                    format!("`{b}` is not the ARN of a managed policy"),
                ));
            }
        }
        for (param, v) in [
            ("vendor-tag", &self.vendor_tag_key),
            ("restore-tag", &self.restore_tag_key),
        ] {
            if v.is_empty() || v.len() > 128 || v.starts_with("aws:") {
                errors.push(err(param, format!("`{v}` is not a usable tag key")));
            }
        }
        for r in &self.restore_instance_roles {
            if !valid_name(r, 64) {
                errors.push(err(
                    "restore-instance-roles",
                    format!("`{r}` is not an IAM role name (give names, not ARNs: the roles are in the customer's account)"),
                ));
            }
        }
        let prefix = &self.restore_table_prefix;
        if prefix.len() < 3
            || prefix.len() > 200
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            errors.push(err(
                "restore-table-prefix",
                format!("`{prefix}` is not a DynamoDB table name prefix: 3 to 200 of `a-z A-Z 0-9 _ . -`"),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The main role's name.
    pub fn role_name(&self) -> String {
        format!("{}BackupRole", self.name_token)
    }

    pub fn role_arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account,
            self.role_path,
            self.role_name()
        )
    }

    /// The ARN of a role named in `--restore-instance-roles`.
    pub fn restore_instance_role_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:role/{name}", self.account)
    }

    /// The instance profile of that role (named as the role, as the console creates it).
    pub fn restore_instance_profile_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:instance-profile/{name}", self.account)
    }

    pub fn control_plane_arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role/{}",
            self.vendor_account, self.control_plane_role
        )
    }
}

fn valid_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

fn valid_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Params {
        Params {
            account: "111122223333".into(),
            vendor_account: "999988887777".into(),
            external_id: "ext-123".into(),
            ..Params::default()
        }
    }

    #[test]
    fn defaults_with_the_required_values_are_valid() {
        assert_eq!(ok().validate(), Ok(()));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let p = Params {
            account: "1234".into(),
            external_id: "x".into(),
            regions: vec!["mars".into()],
            ..ok()
        };
        let errs = p.validate().unwrap_err();
        let params: Vec<&str> = errs.iter().map(|e| e.param).collect();
        assert_eq!(params, ["account", "external-id", "regions"]);
        let p = Params {
            continuous_s3: true,
            assets: [AssetType::Ec2].into_iter().collect(),
            role_path: "vaultward".into(),
            ..ok()
        };
        let params: Vec<&str> = p.validate().unwrap_err().iter().map(|e| e.param).collect();
        assert_eq!(params, ["continuous-s3", "role-path"]);
    }
}
