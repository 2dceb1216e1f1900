//! The backup domain: which permissions a backup service needs per asset type and
//! operation, and the permissions file that grants exactly those, as IAM JSON,
//! CloudFormation and Terraform.

pub mod awscli;
pub mod bundle;
pub mod check;
pub mod diff;
pub mod drift;
pub mod fix;
pub mod inventory;
pub mod model;
pub mod output;
pub mod params;
pub mod snapshot;

pub use bundle::{generate, Bundle};
pub use check::{check, check_with_inventory, CheckOptions, Op, Report};
pub use drift::{drift, DriftError};
pub use inventory::Inventory;
pub use output::{render, Format};
pub use params::{AssetType, ParamError, Params};
pub use snapshot::Snapshot;
