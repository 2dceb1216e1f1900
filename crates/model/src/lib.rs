//! The backup service's permission model: what the service does per asset type and
//! operation (the service table: the steps `check` evaluates, each with the grant that
//! allows it, and what the service needs besides), the parameters a user chooses, and the
//! permissions file written from them as IAM JSON, CloudFormation and Terraform.

pub mod bundle;
pub mod output;
pub mod params;
pub mod policies;
pub mod roles;
pub mod service;

pub use bundle::{generate, Bundle};
pub use output::{render, stackset, Format, Organization, OutFile};
pub use params::{AssetType, ParamError, Params};
pub use service::Op;
