//! The backup service's permission model: what the service does per asset type and
//! operation (the steps `check` evaluates, and the grants that allow them), the parameters a
//! user chooses, and the permissions file written from them as IAM JSON, CloudFormation and
//! Terraform.

pub mod bundle;
pub mod operations;
pub mod output;
pub mod params;
pub mod policies;

pub use bundle::{generate, Bundle};
pub use operations::Op;
pub use output::{render, Format};
pub use params::{AssetType, ParamError, Params};
