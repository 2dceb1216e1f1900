//! `vaultward exposure`: for every backup vault of a snapshot and each resource type of
//! the recovery points it holds, who can destroy the backups, who can read or take them,
//! and who can change who can, over every principal: each role, user and the root user of
//! the snapshot (under their boundaries and the account's SCPs and RCPs), and every
//! principal outside it (another account, anonymous, a service principal), reasoned about
//! symbolically with `compare`'s machinery.
//!
//! The routes (requests in order) by which recovery points are destroyed or read, and what
//! the services refuse whatever the policies say, are one table (`vaults/table.rs`). Each
//! request of a route is decided by the engine with the vault access policy or the key
//! policy, the principal's identity policies and boundary, and the organization's policies,
//! its context from the request-context model with what the caller chooses (TLS, MFA, the
//! client) unknown. An answer is a list of principals, each with the requests the engine
//! allows (the allowing statements and the request itself); or none; or unknown, with what
//! would settle it. Unknown is never none.
//!
//! Who can change who can: the principals that can write the vault or key policy, or
//! IAM (`audit`'s iam-write paths), and those whose hops (`audit`'s assume-role, pass-role
//! and code-injection methods) lead to a principal that destroys or reads the backups.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use vaultward_snapshot::Snapshot;

use crate::audit::{Hop, PathStep};
use crate::check::RequestFacts;

mod escalate;
mod evaluate;
mod external;
mod fix;
mod granted;
mod render;
mod routes;
pub mod table;

pub use render::{codes_markdown, html, render_human, sarif};
pub use table::Question;

/// What to answer.
#[derive(Debug, Clone, Default)]
pub struct ExposureOptions {
    /// Only these vaults (names or ARNs); empty: every vault of the snapshot.
    pub vaults: Vec<String>,
    /// What the user knows of the requests (`--at`, `--context`, `--network`).
    pub facts: RequestFacts,
    /// Verify a minimal fix for each exposure by re-evaluating (as `fix` does).
    pub fixes: bool,
    /// The vaults are `vaultward serve`'s: only its AWS Backup API reaches the recovery
    /// points (no EC2, RDS or AWS KMS stands behind it), so every type is fully managed
    /// and no service or key route applies.
    pub backup_api_only: bool,
    /// The account's root user makes no request (`vaultward serve` without root keys for
    /// the account): it is not a principal of the answers.
    pub without_root: bool,
}

/// What kind of principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    Role,
    User,
    Root,
    /// Any principal of another account, reasoned about as one.
    OtherAccount,
    Anonymous,
    Service,
}

/// An answer's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Some principal can.
    Exposed,
    /// No principal can, and nothing unknown could change that.
    None,
    /// No principal is confirmed, but some could for values or documents the snapshot
    /// does not hold.
    Unknown,
}

/// A route a principal can take: every request allowed by the engine.
#[derive(Debug, Clone, Serialize)]
pub struct Taken {
    /// The route's code (`backup-delete`, `ec2-share-snapshot`, `kms-schedule-deletion`,
    /// `vault-policy-write`, `iam-write`, `chain`, ...).
    pub code: String,
    pub title: String,
    /// The recovery point it reaches (an example when several do).
    pub recovery_point: String,
    /// The requests, in order, each with the statements that allow it.
    pub steps: Vec<PathStep>,
    /// The hops into another principal, for `chain`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<Hop>,
    /// The AWS feature that closes it.
    pub hint: String,
}

/// A principal that can, with how.
#[derive(Debug, Clone, Serialize)]
pub struct Exposed {
    pub principal: String,
    pub kind: PrincipalKind,
    pub routes: Vec<Taken>,
}

/// A principal that may, depending on what the snapshot does not hold.
#[derive(Debug, Clone, Serialize)]
pub struct Unsettled {
    pub principal: String,
    pub code: String,
    /// What would settle it (a policy not collected, a context key not known).
    pub settle: String,
}

/// A request a policy allows but the service refuses, so it is no exposure.
#[derive(Debug, Clone, Serialize)]
pub struct Refused {
    pub principal: String,
    pub action: String,
    pub why: String,
    pub source: String,
}

/// The minimal change that closes an answer's exposures, verified by re-evaluating.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    /// An SCP statement to add (or a statement of the key or vault policy).
    pub scp: serde_json::Value,
    /// Re-evaluated with it: every listed principal is gone, and no answer gained one.
    pub verified: bool,
    /// Why it is not verified, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_verified: Option<String>,
    /// The AWS features that close it for good.
    pub hints: Vec<String>,
}

/// One question for one vault and resource type.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub question: Question,
    pub status: Status,
    pub principals: Vec<Exposed>,
    pub unknown: Vec<Unsettled>,
    pub refused: Vec<Refused>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Answer {
    /// An answer to `question` with nothing found yet.
    pub(crate) fn empty(question: Question) -> Answer {
        Answer {
            question,
            status: Status::None,
            principals: Vec::new(),
            unknown: Vec::new(),
            refused: Vec::new(),
            fix: None,
        }
    }

    /// Adds an unknown, once per principal and code.
    pub(crate) fn unknown_once(&mut self, principal: &str, code: String, settle: String) {
        if !self
            .unknown
            .iter()
            .any(|u| u.principal == principal && u.code == code)
        {
            self.unknown.push(Unsettled {
                principal: principal.to_string(),
                code,
                settle,
            });
        }
    }
}

/// The recovery points of one resource type in a vault.
#[derive(Debug, Clone, Serialize)]
pub struct TypeExposure {
    pub resource_type: String,
    pub recovery_points: usize,
    /// Fully managed by AWS Backup (the vault policy governs every access), or also
    /// reachable through its service's API.
    pub fully_managed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// What protects them, in words.
    pub protects: Vec<String>,
    pub answers: Vec<Answer>,
}

/// One vault.
#[derive(Debug, Clone, Serialize)]
pub struct VaultExposure {
    pub name: String,
    pub arn: String,
    /// The Vault Lock in words: set or not, its mode and grace time, what it stops and
    /// what it does not.
    pub lock: String,
    pub types: Vec<TypeExposure>,
    /// What of the vault could not be read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_collected: Vec<String>,
}

/// The verdict: `protected` only when every answer is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Protected,
    Exposed,
    Unknown,
}

impl Verdict {
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Protected => 0,
            Verdict::Exposed => 1,
            Verdict::Unknown => 3,
        }
    }
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct Exposure {
    pub account: String,
    pub verdict: Verdict,
    pub vaults: Vec<VaultExposure>,
    pub notes: Vec<String>,
    /// Principals of the snapshot evaluated.
    pub principals: usize,
    /// Requests the engine evaluated.
    pub requests: usize,
}

/// A `--vault` that names no vault of the snapshot.
#[derive(Debug, Clone, thiserror::Error)]
#[error("vault `{0}` is not in the snapshot's `backup_vaults`; give its name or ARN as `collect` wrote it")]
pub struct UnknownVault(pub String);

/// Answers the three questions for the snapshot's vaults.
pub fn exposure(s: &Snapshot, opts: &ExposureOptions) -> Result<Exposure, UnknownVault> {
    for v in &opts.vaults {
        if !s.backup_vaults.iter().any(|x| &x.name == v || &x.arn == v) {
            return Err(UnknownVault(v.clone()));
        }
    }
    let mut facts = opts.facts.clone();
    facts.any_caller = true;
    let plan_opts = evaluate::plan_options(s, &facts, !opts.without_root);
    let mut eval = evaluate::Evaluator::new(s, &facts, &plan_opts, !opts.without_root);
    eval.backup_api_only = opts.backup_api_only;
    let mut vaults = Vec::new();
    for v in &s.backup_vaults {
        if !opts.vaults.is_empty() && !opts.vaults.iter().any(|x| x == &v.name || x == &v.arn) {
            continue;
        }
        vaults.push(eval.vault(v));
    }
    if opts.fixes {
        for v in &mut vaults {
            fix::propose(s, &facts, opts.backup_api_only, opts.without_root, v);
        }
    }
    let mut notes = eval.notes();
    // What the snapshot lacks that could hold a principal or a recovery point no answer
    // saw: the verdict is then at best unknown.
    let missing = missing(s);
    notes.extend(missing.iter().cloned());
    let answers = || {
        vaults
            .iter()
            .flat_map(|v| &v.types)
            .flat_map(|t| &t.answers)
    };
    let verdict = if answers().any(|a| a.status == Status::Exposed) {
        Verdict::Exposed
    } else if answers().any(|a| a.status == Status::Unknown)
        || vaults.iter().any(|v| !v.not_collected.is_empty())
        || !missing.is_empty()
    {
        Verdict::Unknown
    } else {
        Verdict::Protected
    };
    Ok(Exposure {
        account: s.account_id.clone(),
        verdict,
        vaults,
        notes,
        principals: eval.principal_count(),
        requests: eval.requests(),
    })
}

/// What the snapshot does not hold that the answers need, in words: the vaults, their
/// recovery points, the IAM export (each role and user is a principal).
fn missing(s: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (list, what) in [
        ("backup_vaults", "the backup vaults"),
        ("recovery_points", "the recovery points"),
    ] {
        if let Some(why) = s.not_collected.get(list) {
            out.push(format!("{what} were not collected ({why}): a vault or recovery point no answer saw may be exposed, so the verdict is at best unknown (collect `{list}` with `vaultward collect`)"));
        }
    }
    if s.iam.is_none() {
        out.push("the IAM export (`iam`) was not collected: the account's roles and users are not in any answer, so the verdict is at best unknown (collect it with `vaultward collect`, or add `aws iam get-account-authorization-details`)".into());
    }
    out
}

/// The principals an answer lists, by question, for one vault and type.
pub(crate) fn listed(t: &TypeExposure) -> BTreeMap<Question, BTreeSet<String>> {
    t.answers
        .iter()
        .map(|a| {
            (
                a.question,
                a.principals.iter().map(|p| p.principal.clone()).collect(),
            )
        })
        .collect()
}
