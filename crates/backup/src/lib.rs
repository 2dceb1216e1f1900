//! The backup domain: which permissions a backup service needs per asset type and
//! operation, and the permissions file that grants exactly those, as IAM JSON,
//! CloudFormation and Terraform.

pub mod audit;
pub mod awscli;
pub mod bundle;
pub mod check;
pub mod diff;
pub mod drift;
pub mod fix;
pub mod inventory;
pub mod model;
pub mod operations;
pub mod output;
pub mod params;
pub mod snapshot;

pub use bundle::{generate, Bundle};
pub use check::{check, CheckOptions, Op, Plan, Report, Status};
pub use drift::{drift, DriftError};
pub use inventory::{read_path as read_inventory, InventoryError, Sink};
pub use output::{render, Format};
pub use params::{AssetType, ParamError, Params};
pub use snapshot::Snapshot;
