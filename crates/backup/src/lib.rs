//! The analyses of an account snapshot: `check` (will every backup and restore work, and
//! why not), `fix` (the minimal verified patches), `drift` (the deployed permissions against
//! the generated ones) and `audit` (the escalation, exposure and destruction paths a role
//! opens), with their reports.

pub mod audit;
pub mod check;
pub mod diff;
pub mod drift;
pub mod fix;
pub mod organization;
pub mod vaults;

pub use check::{check, CheckOptions, Op, Plan, Report, RequestFacts, Status};
pub use drift::{drift, DriftError};
pub use vaultward_inventory::{read_path as read_inventory, InventoryError, Sink};
pub use vaultward_model::AssetType;
pub use vaultward_snapshot::Snapshot;
