//! The pre-flight check: for every protected resource and every backup or restore
//! operation, will every request the operation makes be allowed? If not, every statement
//! that stops it, what would be lost, and what to change.
//!
//! The requests are the steps of the service table ([`vaultward_model::service`]), the
//! table the permissions file is generated from: each step carries the grant that allows
//! it. Each goes through the engine with the role's identity policies, its
//! permissions boundary, the resource's policy (bucket, key or vault policy), and the
//! organization's SCPs and RCPs, as a session of the role makes it: over TLS, from no VPC,
//! with the role's tags as principal tags.
//!
//! The check fails closed: a pair is `ok` only when every request was decided Allow. What
//! the snapshot lacks (a listing, an encryption setting, the organization's policies) or
//! cannot read (a document that does not parse) makes the pairs that depend on it
//! `unknown`, never `ok`.

use std::collections::BTreeSet;

use serde::Serialize;
use vaultward_model::service::Names;
use vaultward_model::AssetType;
use vaultward_snapshot::Snapshot;

mod buckets;
mod causes;
mod contract;
pub(crate) mod docs;
mod groups;
pub(crate) mod html;
mod listing;
mod locate;
mod objects;
mod plan;
mod render;
mod report;
mod role;
mod run;

pub use contract::{Code, Decider, DocRef, ResourceKind};
pub(crate) use docs::resource_policy;
pub use docs::{json as docs_json, DocError, Unreadable};
pub use groups::{group, CauseGroup};
pub use html::{finding_id, html};
pub use locate::{locate, Located};
pub use objects::{Classifier, Group, GroupKey, Groups, KeyOf, Row};
pub use plan::{Plan, Where};
pub(crate) use render::pascal_case;
pub use render::{artifact_uri, render_groups, render_human, sarif, Source, CODES_DOC};
pub use role::RoleError;
pub use vaultward_model::Op;

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The backup role's exact ARN (with its path), as in the IAM export.
    pub role_arn: String,
    pub assets: BTreeSet<AssetType>,
    pub operations: BTreeSet<Op>,
    /// Take SCPs and RCPs that were not collected as denying nothing (the user accepts
    /// the risk); otherwise every pair is at best `unknown`.
    pub assume_org_policies_allow: bool,
    /// Check continuous S3 backup's requests too.
    pub continuous_s3: bool,
    /// The tag keys and names the generated permissions use.
    pub names: Names,
    /// What the user knows of the backup service's requests that no snapshot holds
    /// (`--at`, `--network`, `--context`).
    pub facts: RequestFacts,
}

/// Facts of the backup service's requests that no snapshot holds: the rest of each
/// request's context comes from the request-context model
/// (`vaultward_iam::request_context`, `docs/request-context.md`), unknown where nothing
/// says it.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// When the requests are made, in milliseconds since the epoch (`--at`; `None`: now).
    pub at: Option<i64>,
    /// The service's egress addresses, VPC endpoint and TLS version (`--network`).
    pub network: vaultward_iam::request_context::Network,
    /// Keys and values the user gives (`--context KEY=VALUE`): they override the model.
    pub context: Vec<(String, vaultward_iam::ContextValue)>,
    /// The requests are any the principal may make, not the backup service's (`exposure`):
    /// TLS, the client and MFA are then unknown instead of the service's.
    pub any_caller: bool,
}

impl CheckOptions {
    pub fn new(role_arn: &str, assets: BTreeSet<AssetType>, operations: BTreeSet<Op>) -> Self {
        CheckOptions {
            role_arn: role_arn.to_string(),
            assets,
            operations,
            assume_org_policies_allow: false,
            continuous_s3: false,
            names: Names::default(),
            facts: RequestFacts::default(),
        }
    }
}

/// How bad a finding is: `blocking` (the operation fails or skips data), `unknown` (the
/// snapshot lacks what is needed to decide, or holds something that cannot be read), or
/// `warning`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Blocking,
    Unknown,
    Warning,
}

impl Level {
    /// The level as serialized.
    pub fn name(self) -> &'static str {
        match self {
            Level::Blocking => "blocking",
            Level::Unknown => "unknown",
            Level::Warning => "warning",
        }
    }
}

/// The verdict: `ok` only when every pair was decided ok.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Unknown,
    Blocked,
}

impl Status {
    /// The process exit code: 0 ok, 1 blocked, 3 unknown.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Blocked => 1,
            Status::Unknown => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Blocked => "blocked",
            Status::Unknown => "unknown",
        }
    }
}

/// What a finding costs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// Objects that would be skipped (S3), when the finding is about objects.
    pub objects: u64,
    pub bytes: u64,
    /// The listing was a sample: the real figures are at least these.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub at_least: bool,
    /// In words: "backup fails", "3 objects (12 KB) not backed up".
    pub summary: String,
}

/// One problem, with its evidence and its fix.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable kebab-case code (see the README).
    pub code: Code,
    pub level: Level,
    pub resource: String,
    pub resource_kind: ResourceKind,
    pub operation: Op,
    pub action: String,
    /// The policy and statement that decided, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The deciding statement (or missing Allow) as data: what tools act on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Decider>,
    /// For a request on a KMS key: the `kms:ViaService` it carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_via_service: Option<String>,
    pub reason: String,
    pub impact: Impact,
    pub fix: String,
    /// For a document that cannot be read: the parser's errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parse_errors: Vec<DocError>,
}

/// One cell of the resource × operation matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub resource: String,
    pub operation: Op,
    pub status: Status,
}

/// The totals of one operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub operation: Option<Op>,
    pub resources: usize,
    pub ok: usize,
    pub blocked: usize,
    pub unknown: usize,
    /// Objects (and bytes) that would not be backed up or restored.
    pub objects_blocked: u64,
    pub bytes_blocked: u64,
    /// Objects whose fate the check cannot tell.
    pub objects_unknown: u64,
    pub bytes_unknown: u64,
    /// Some listing was a sample: the real figures are at least these.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub at_least: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `ok` (exit 0), `blocked` (exit 1) or `unknown` (exit 3).
    pub status: Status,
    pub account: String,
    pub role: String,
    pub totals: Vec<Totals>,
    /// Sorted: blocking first, then unknown, then warnings; the most data first.
    pub findings: Vec<Finding>,
    /// The findings grouped by cause (what the human report prints).
    pub groups: Vec<CauseGroup>,
    pub matrix: Vec<Cell>,
    /// Requests evaluated (objects once per group of objects that get the same answers).
    pub requests: usize,
}

impl Report {
    pub fn blocks(&self) -> bool {
        self.status == Status::Blocked
    }
}

/// Bytes in binary units, named as such (KiB = 1,024 bytes).
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `1 object`, `2 objects`.
pub(crate) fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Checks every selected asset and operation of the snapshot.
pub fn check(s: &Snapshot, opts: &CheckOptions) -> Result<Report, RoleError> {
    Ok(Plan::new(s, opts)?.run())
}
