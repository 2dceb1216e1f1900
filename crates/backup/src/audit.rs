//! `vaultward audit`: the privilege-escalation, exposure and destruction paths a role's
//! effective permissions open (identity policies within its boundary, under the
//! organization's SCPs and RCPs and the resources' own policies), each confirmed by the
//! engine: a path is reported only when every request it takes is allowed, never on a
//! pattern match alone.
//!
//! The published escalation methods are rows of `audit/methods.rs` (Rhino Security Labs,
//! BishopFox's iam-vulnerable, Datadog's pathfinding.cloud, Hacking the Cloud, PMapper's
//! edges, Cloudsplaining; `docs/escalation.md` lists them with their sources). A method
//! that makes the role act as another role (assuming it, passing it to a service, taking
//! over compute that runs as it) is a hop: it is a path only when what it leads to is one,
//! followed role by role with the engine, cycles cut (`audit/chain.rs`). The rest ends a
//! path on its own:
//! - IAM writes on the role itself or others (`audit/escalation.rs`; a non-default policy
//!   version of the export only when the engine finds it grants more).
//! - Tag, then act: any Allow gated by `aws:ResourceTag/K` where the role can set `K` on a
//!   resource it did not create (IAM User Guide, "Controlling access to AWS resources using
//!   tags"; EC2 tags set inside a create action carry `ec2:CreateAction` and cannot reach an
//!   existing resource).
//! - Resource-policy writes (bucket, key, vault, topic, queue, function, secret, table
//!   policies) and public exposure (ACLs, public access blocks, snapshot and image sharing):
//!   Cloudsplaining's ResourceExposure category; Amazon S3 User Guide, "Blocking public
//!   access to your Amazon S3 storage".
//! - KMS key abuse: key policy writes, grants not limited to AWS resources
//!   (`kms:GrantIsForAWSResource`), disabling or scheduling deletion (AWS KMS Developer
//!   Guide, "Grants in AWS KMS", "Deleting AWS KMS keys").
//! - Secrets read (Cloudsplaining's DataExfiltration, limited to secrets and parameters: a
//!   backup role reads customer data by design).
//! - Data destruction on resources the role did not create (no tags of its own).
//!
//! Unknown is never clean: a request the engine answers `undecided` (a value the snapshot
//! lacks) makes its path possible, and so does a hop into compute the snapshot does not
//! list (which role it runs as is not known): the audit then exits 3.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use vaultward_iam::policy::Effect;
use vaultward_iam::{Decision, NamedPolicy, Response};
use vaultward_snapshot::Snapshot;

use self::escalation::targets;
use self::tags::request_keys;
use crate::check::{CheckOptions, Plan, RequestFacts, RoleError};

mod chain;
mod compute;
mod destruction;
mod escalation;
mod exposure;
pub mod methods;
mod pivots;
mod render;
mod tags;
mod versions;

pub(crate) use escalation::trusts_service;
pub use render::{codes_markdown, escalation_markdown, render_human, sarif};

/// The kinds of path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathClass {
    AssumeRole,
    PassRole,
    CodeInjection,
    IamWrite,
    TagThenAct,
    ResourcePolicyWrite,
    PublicExposure,
    KmsAbuse,
    SecretsRead,
    DataDestruction,
}

impl PathClass {
    pub const ALL: [PathClass; 10] = [
        PathClass::AssumeRole,
        PathClass::PassRole,
        PathClass::CodeInjection,
        PathClass::IamWrite,
        PathClass::TagThenAct,
        PathClass::ResourcePolicyWrite,
        PathClass::PublicExposure,
        PathClass::KmsAbuse,
        PathClass::SecretsRead,
        PathClass::DataDestruction,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PathClass::AssumeRole => "assume-role",
            PathClass::PassRole => "pass-role",
            PathClass::CodeInjection => "code-injection",
            PathClass::IamWrite => "iam-write",
            PathClass::TagThenAct => "tag-then-act",
            PathClass::ResourcePolicyWrite => "resource-policy-write",
            PathClass::PublicExposure => "public-exposure",
            PathClass::KmsAbuse => "kms-abuse",
            PathClass::SecretsRead => "secrets-read",
            PathClass::DataDestruction => "data-destruction",
        }
    }

    /// What the class is, for reports and SARIF rules.
    pub fn description(self) -> &'static str {
        match self {
            PathClass::AssumeRole => "The role can assume another role (its identity policy allows sts:AssumeRole and the other role's trust policy allows the role), and that role opens a path: followed hop by hop to the escalation, exposure or destruction it reaches.",
            PathClass::CodeInjection => "The role can change or run code in existing compute (a function's code, a stack's template, a notebook, a build, commands on an instance) and so act as the role that compute runs as, which opens a path.",
            PathClass::PassRole => "The role can pass another role to a compute or orchestration service and start it, so code runs with that role's permissions, which open a path (privilege escalation).",
            PathClass::IamWrite => "The role can change IAM: policy versions, attachments, inline or trust policies, credentials, group membership or its own boundary, and so grant itself or another principal more (privilege escalation).",
            PathClass::TagThenAct => "An Allow is gated by a resource tag the role can set itself on resources it did not create: it tags, then acts (an ABAC bypass).",
            PathClass::ResourcePolicyWrite => "The role can rewrite a resource policy (bucket, key, vault, topic, queue, function, secret, table) and so open the resource to anyone (resource exposure).",
            PathClass::PublicExposure => "The role can make data public: object or bucket ACLs, the public access block, snapshot or image sharing.",
            PathClass::KmsAbuse => "The role can rewrite a key policy, grant a key to any principal, or disable or delete a customer key (and with it, the data).",
            PathClass::SecretsRead => "The role can read secrets or parameters, which a backup service does not need (data exfiltration).",
            PathClass::DataDestruction => "The role can delete or disable protection of data it did not create.",
        }
    }
}

/// One request of a path, allowed by the engine.
#[derive(Debug, Clone, Serialize)]
pub struct PathStep {
    pub action: String,
    pub resource: String,
    pub context: BTreeMap<String, String>,
    /// The statements that allow it (`type:policy/statement`).
    pub allowed_by: Vec<String>,
    /// The role that makes the request, when it is not the audited role (a later hop of
    /// a chain).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// When it is allowed only for some values of what the snapshot does not hold: the
    /// residual, in words (the path is then possible, not confirmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
}

/// One hop of a chain: the role acts as another through a method.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    /// The method's code (`assume-role`, `passrole-ec2`, `lambda-update-code`, ...).
    pub code: String,
    pub from: String,
    pub to: String,
}

/// What a chain ends in: a path of the last role.
#[derive(Debug, Clone, Serialize)]
pub struct Reach {
    pub role: String,
    pub class: PathClass,
    pub code: String,
    pub title: String,
    /// How many other paths the last role opens.
    pub more: usize,
}

/// A path the role's permissions open.
#[derive(Debug, Clone, Serialize)]
pub struct Path {
    pub class: PathClass,
    /// A stable code per kind of path (`passrole-ec2`, `iam-create-policy-version`, ...).
    pub code: String,
    pub title: String,
    /// The resource the path's first step ends at (the role passed or assumed, the policy
    /// changed, the table deleted).
    pub target: String,
    /// Every request, in order: the audited role's, then each later hop's (their
    /// `principal` says whose), then those of the path the chain ends in.
    pub steps: Vec<PathStep>,
    pub fix: String,
    /// Some step is allowed only for some values of what the snapshot does not hold, or
    /// the path needs a list the snapshot lacks: the path is possible, and the audit cannot
    /// call the role clean (exit 3).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub possible: bool,
    /// The hops, for a path through other roles.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<Hop>,
    /// The path the chain ends in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reaches: Option<Reach>,
    /// What the snapshot lacks that would settle a possible path (a list not collected).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// The verdict: `clean` only when the role's side was read in full and no path is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Clean,
    Paths,
    Unknown,
}

impl Verdict {
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Clean => 0,
            Verdict::Paths => 1,
            Verdict::Unknown => 3,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub role: String,
    pub verdict: Verdict,
    pub paths: Vec<Path>,
    /// What could not be read, so that a path could hide there.
    pub unknown: Vec<String>,
    pub notes: Vec<String>,
    /// Requests the engine evaluated (for every role a chain went through).
    pub requests: usize,
}

/// The account an ARN names, else `default`.
fn account_of(arn: &str, default: &str) -> String {
    match arn.split(':').nth(4) {
        Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => a.to_string(),
        _ => default.to_string(),
    }
}

fn ctx(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The last segment of an ARN (a role's name).
fn short(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// One request of a candidate path: action, resource, context, resource policy.
type ProbeStep<'a> = (
    &'a str,
    String,
    Vec<(String, String)>,
    Option<&'a NamedPolicy>,
);

/// Where a hop leads.
#[derive(Debug, Clone)]
enum Leads {
    /// A role of the export.
    Role(String),
    /// A role the snapshot does not say (compute it does not list): why.
    Unknown(String),
}

/// A hop a role can take: the method, its requests (allowed), and where it leads.
#[derive(Debug, Clone)]
struct Edge {
    class: PathClass,
    code: &'static str,
    title: String,
    fix: String,
    target: String,
    steps: Vec<PathStep>,
    leads: Leads,
    /// What the snapshot lacks that the hop needs (compute it does not list).
    depends_on: Vec<String>,
}

/// What one role opens on its own, and the hops it can take.
struct RoleView {
    paths: Vec<Path>,
    edges: Vec<Edge>,
    unknown: Vec<String>,
    requests: usize,
}

struct Auditor<'p, 's> {
    plan: &'p mut Plan<'s>,
    snapshot: &'s Snapshot,
    /// The role audited.
    role: String,
    account: String,
    region: String,
    /// Request keys the role's own Allows ask for, which the caller sets freely: request
    /// tags and tag keys.
    request_keys: Vec<(String, String)>,
    paths: Vec<Path>,
    edges: Vec<Edge>,
    errors: Vec<String>,
}

impl Auditor<'_, '_> {
    /// The step, when the engine allows it with `context`, or with `context` and the
    /// request tags the role's policies ask for.
    fn allowed(
        &mut self,
        action: &str,
        resource: &str,
        context: &[(String, String)],
        rp: Option<&NamedPolicy>,
    ) -> Option<PathStep> {
        let account = account_of(resource, &self.account);
        let mut with_tags = self.request_keys.clone();
        with_tags.extend(context.iter().cloned());
        let mut possible = None;
        for c in [context.to_vec(), with_tags] {
            // IAM, STS's global endpoint and Organizations are reached at us-east-1; other
            // requests in the account's Region.
            let region = match action.split(':').next() {
                Some("iam" | "sts" | "organizations") => "us-east-1",
                _ => self.region.as_str(),
            };
            // The audit probes resources whose tags it states (none, for a resource the
            // role did not create): the resource's tags are those of the context.
            let tags: Vec<(String, String)> = c
                .iter()
                .filter_map(|(k, v)| {
                    k.strip_prefix("aws:ResourceTag/")
                        .map(|t| (t.to_string(), v.clone()))
                })
                .collect();
            let at = crate::check::Where {
                region: Some(region),
                via: None,
                tags: Some(&tags),
            };
            match self.plan.decide(action, resource, &account, &c, rp, at) {
                Ok(r) if r.decision == Decision::Allow => {
                    return Some(PathStep {
                        action: action.to_string(),
                        resource: resource.to_string(),
                        context: c.into_iter().collect(),
                        allowed_by: allowed_by(&r),
                        principal: None,
                        depends_on: None,
                    })
                }
                // Allowed for some values of what is unknown: possible, never clean.
                Ok(r) if r.decision == Decision::Undecided && possible.is_none() => {
                    possible = Some(PathStep {
                        action: action.to_string(),
                        resource: resource.to_string(),
                        context: c.into_iter().collect(),
                        allowed_by: r
                            .reasons
                            .iter()
                            .filter(|x| x.effect == Some(Effect::Allow))
                            .filter_map(|x| x.statement_ref.clone())
                            .collect(),
                        principal: None,
                        depends_on: r.reasons.first().map(|x| x.message.clone()),
                    });
                }
                Ok(_) => {}
                Err(e) => self.errors.push(e),
            }
        }
        possible
    }

    /// Every step allowed, in order, or `None` at the first that is not.
    fn steps(&mut self, steps: &[ProbeStep<'_>]) -> Option<Vec<PathStep>> {
        let mut done = Vec::new();
        for (action, resource, c, rp) in steps {
            done.push(self.allowed(action, resource, c, *rp)?);
        }
        Some(done)
    }

    /// Records a path when every step is allowed.
    fn path(
        &mut self,
        class: PathClass,
        code: &str,
        title: String,
        target: &str,
        steps: &[ProbeStep<'_>],
        fix: String,
    ) -> bool {
        let Some(done) = self.steps(steps) else {
            return false;
        };
        let possible = done.iter().any(|s| s.depends_on.is_some());
        self.paths.push(Path {
            class,
            code: code.to_string(),
            title,
            target: target.to_string(),
            steps: done,
            fix,
            possible,
            chain: Vec::new(),
            reaches: None,
            depends_on: Vec::new(),
        });
        true
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{resource}",
            self.region, self.account
        )
    }
}

/// The statements that allowed a request.
fn allowed_by(r: &Response) -> Vec<String> {
    r.reasons
        .iter()
        .filter(|x| x.effect == Some(Effect::Allow))
        .map(|x| x.statement_ref.clone().unwrap_or_else(|| x.message.clone()))
        .collect()
}

/// The Region the audit probes in: the snapshot's first bucket's or table's, else us-east-1.
fn region_of(s: &Snapshot) -> String {
    s.buckets
        .iter()
        .find_map(|b| b.region.clone())
        .or_else(|| {
            s.dynamodb_tables
                .iter()
                .find_map(|t| t.arn.split(':').nth(3).map(str::to_string))
        })
        .unwrap_or_else(|| "us-east-1".into())
}

/// What `role_arn` opens on its own and the hops it can take. `Err` when the role is not
/// in the IAM export.
fn view(s: &Snapshot, role_arn: &str, facts: &RequestFacts) -> Result<RoleView, RoleError> {
    let mut opts = CheckOptions::new(role_arn, BTreeSet::new(), BTreeSet::new());
    opts.facts = facts.clone();
    let mut plan = Plan::new(s, &opts)?;
    let mut unknown = plan.role_unreadable();
    let request_keys = request_keys(plan.identity_policies());
    let t = targets(s);
    let mut a = Auditor {
        plan: &mut plan,
        snapshot: s,
        role: role_arn.to_string(),
        account: s.account_id.clone(),
        region: region_of(s),
        request_keys,
        paths: Vec::new(),
        edges: Vec::new(),
        errors: Vec::new(),
    };
    a.assume_role(&t);
    a.pass_role(&t);
    a.existing_compute(&t);
    a.iam_writes(&t);
    a.tag_then_act(s);
    if let Err(e) = a.exposure(s) {
        unknown.push(e);
    }
    if let Err(e) = a.kms(s) {
        unknown.push(e);
    }
    a.secrets();
    a.destruction(s);
    let paths = std::mem::take(&mut a.paths);
    let edges = std::mem::take(&mut a.edges);
    unknown.extend(std::mem::take(&mut a.errors));
    Ok(RoleView {
        paths,
        edges,
        unknown,
        requests: plan.requests(),
    })
}

/// Audits `role_arn` in the snapshot, its requests carrying `facts` (the request-context
/// model fills the rest). `Err` when the role is not in the IAM export (bad input).
pub fn audit(s: &Snapshot, role_arn: &str, facts: &RequestFacts) -> Result<Audit, RoleError> {
    let root = view(s, role_arn, facts)?;
    let mut notes = Vec::new();
    if s.organization
        .as_ref()
        .is_some_and(|o| o.policies_not_collected.is_some())
        || s.organization.is_none()
    {
        notes.push("the organization's SCPs and RCPs are not in the snapshot: a path reported here may still be blocked by one (they can only deny, so none is missed)".into());
    }
    let mut walk = chain::Walk::new(s, facts, role_arn, root);
    let paths = walk.paths();
    let unknown = walk.unknown();
    let verdict = if paths.iter().any(|p| !p.possible) {
        Verdict::Paths
    } else if !unknown.is_empty() || !paths.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Clean
    };
    Ok(Audit {
        role: role_arn.to_string(),
        verdict,
        paths,
        unknown,
        notes,
        requests: walk.requests(),
    })
}

/// A hop a principal can take, for `exposure`: its kind, the requests (allowed), and the
/// role it leads to (`Err`: a role the snapshot does not say, and why).
pub(crate) struct HopTaken {
    pub class: PathClass,
    pub code: String,
    pub steps: Vec<PathStep>,
    pub leads: Result<String, String>,
}

/// What a principal (a role, a user or the root user) opens on its own, and the hops it
/// can take: what `exposure` follows to answer who can change who can.
pub(crate) fn opens(
    s: &Snapshot,
    principal: &str,
    facts: &RequestFacts,
) -> Result<(Vec<Path>, Vec<HopTaken>, usize), RoleError> {
    let v = view(s, principal, facts)?;
    let requests = v.requests;
    let hops = v
        .edges
        .into_iter()
        .map(|e| HopTaken {
            class: e.class,
            code: e.code.to_string(),
            steps: e.steps,
            leads: match e.leads {
                Leads::Role(r) => Ok(r),
                Leads::Unknown(why) => Err(why),
            },
        })
        .collect();
    Ok((v.paths, hops, requests))
}
