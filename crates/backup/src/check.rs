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

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value;
use vaultward_iam::authorizer::PolicyType;
use vaultward_iam::glob::Glob;
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Reason, Request, Response,
};

use vaultward_model::service::{self, Names, Step, Subject, Target, When};
use vaultward_model::AssetType;
use vaultward_snapshot::{Bucket, Collected, Snapshot};

mod contract;
pub(crate) mod docs;
mod locate;
mod objects;
mod render;
mod role;

pub use contract::{Code, Decider, DocRef, ResourceKind};
pub use docs::{json as docs_json, DocError, Unreadable};
pub use locate::{locate, Located};
pub use objects::{Classifier, Group, GroupKey, Groups, KeyOf, Row};
pub(crate) use render::pascal_case;
pub use render::{artifact_uri, finding_id, html, sarif, Source, CODES_DOC};
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

/// What the check knows of a resource's policy.
enum Doc {
    /// Collected: there is none.
    None,
    /// The policy, and the positions of its Deny statements whose `NotPrincipal` holds a
    /// wildcard ARN (AWS matches nobody there).
    Some(Box<NamedPolicy>, Vec<usize>),
    /// Not collected, or cannot be read.
    Unknown(Unreadable),
}

/// A resource policy of the snapshot: `Ok(None)` when there is none, `Err` when it was not
/// collected or cannot be read.
pub(crate) fn resource_policy(
    c: &Collected,
    name: &str,
    what: &str,
    kind: PolicyKind,
) -> Result<Option<NamedPolicy>, String> {
    match Doc::read(c, name, what, kind) {
        Doc::None => Ok(None),
        Doc::Some(p, _) => Ok(Some(*p)),
        Doc::Unknown(u) => Err(u.reason()),
    }
}

impl Doc {
    fn read(c: &Collected, name: &str, what: &str, kind: PolicyKind) -> Doc {
        let missing = |m: String| {
            Doc::Unknown(Unreadable {
                what: what.to_string(),
                errors: vec![DocError {
                    code: "not-collected".into(),
                    message: m,
                    path: "$".into(),
                    line: None,
                    column: None,
                }],
            })
        };
        match c {
            Collected::Unknown => missing("not in the snapshot".into()),
            Collected::NotCollected { not_collected } => missing(not_collected.clone()),
            Collected::Document(Value::Null) => Doc::None,
            Collected::Document(v) => match docs::read_noting(v, name, what, kind) {
                Ok((p, wild)) => Doc::Some(Box::new(p), wild),
                Err(e) => Doc::Unknown(e),
            },
        }
    }

    fn policy(&self) -> Option<&NamedPolicy> {
        match self {
            Doc::Some(p, _) => Some(p),
            _ => None,
        }
    }

    fn wild(&self) -> &[usize] {
        match self {
            Doc::Some(_, w) => w,
            _ => &[],
        }
    }
}

/// Which policy a request's resource side is, for naming codes and fixes.
#[derive(Clone, Copy)]
enum Kind<'a> {
    Bucket { name: &'a str },
    Key { arn: &'a str, aws_managed: bool },
    Vault { arn: &'a str },
    Other,
}

/// One reason a request fails, before it is attached to a resource and an impact.
#[derive(Clone)]
struct Cause {
    code: Code,
    level: Level,
    action: String,
    policy: Option<String>,
    statement: Option<String>,
    decided_by: Option<Decider>,
    kms_via_service: Option<String>,
    reason: String,
    fix: String,
    parse_errors: Vec<DocError>,
}

impl Cause {
    fn new(code: Code, level: Level, action: &str, reason: String, fix: String) -> Cause {
        Cause {
            code,
            level,
            action: action.to_string(),
            policy: None,
            statement: None,
            decided_by: None,
            kms_via_service: None,
            reason,
            fix,
            parse_errors: Vec::new(),
        }
    }

    fn unknown(code: Code, action: &str, reason: String, fix: &str) -> Cause {
        Cause {
            code,
            level: Level::Unknown,
            action: action.to_string(),
            policy: None,
            statement: None,
            decided_by: None,
            kms_via_service: None,
            reason,
            fix: fix.to_string(),
            parse_errors: Vec::new(),
        }
    }

    fn unreadable(u: &Unreadable, action: &str) -> Cause {
        let not_collected = u.errors.iter().all(|e| e.code == "not-collected");
        Cause {
            code: if not_collected {
                Code::NotCollected
            } else {
                Code::UnreadablePolicy
            },
            level: Level::Unknown,
            action: action.to_string(),
            policy: Some(u.what.clone()),
            statement: None,
            decided_by: None,
            kms_via_service: None,
            reason: u.reason(),
            fix: if not_collected {
                "collect it (`vaultward collect`, or add it to the snapshot) and check again".into()
            } else {
                "correct the document (see `parse_errors`; `vaultward validate` explains each) or collect it again, and check again".into()
            },
            parse_errors: u.errors.clone(),
        }
    }
}

type FindingKey = (
    String,
    Op,
    Level,
    Code,
    String,
    Option<String>,
    Option<String>,
);

/// Findings merged by cause, and the matrix.
#[derive(Default)]
struct Acc {
    findings: BTreeMap<FindingKey, Finding>,
    cells: BTreeMap<(String, Op), Status>,
    totals: BTreeMap<Op, Totals>,
}

impl Acc {
    fn cell(&mut self, resource: &str, op: Op, status: Status) {
        let c = self
            .cells
            .entry((resource.to_string(), op))
            .or_insert(Status::Ok);
        *c = (*c).max(status);
    }

    fn push(&mut self, resource: &str, kind: ResourceKind, op: Op, cause: Cause, impact: &Impact) {
        let key = (
            resource.to_string(),
            op,
            cause.level,
            cause.code,
            cause.action.clone(),
            cause.policy.clone(),
            cause.statement.clone(),
        );
        match cause.level {
            Level::Blocking => self.cell(resource, op, Status::Blocked),
            Level::Unknown => self.cell(resource, op, Status::Unknown),
            Level::Warning => {}
        }
        match self.findings.get_mut(&key) {
            Some(f) => {
                f.impact.objects += impact.objects;
                f.impact.bytes += impact.bytes;
                f.impact.at_least |= impact.at_least;
            }
            None => {
                self.findings.insert(
                    key,
                    Finding {
                        code: cause.code,
                        level: cause.level,
                        resource: resource.to_string(),
                        resource_kind: kind,
                        operation: op,
                        action: cause.action,
                        policy: cause.policy,
                        statement: cause.statement,
                        decided_by: cause.decided_by,
                        kms_via_service: cause.kms_via_service,
                        reason: cause.reason,
                        impact: impact.clone(),
                        fix: cause.fix,
                        parse_errors: cause.parse_errors,
                    },
                );
            }
        }
    }
}

/// A listing of a bucket's objects, or why there is none.
enum Listing<'a> {
    Known { groups: &'a Groups, truncated: bool },
    Unknown(String),
}

/// The check, ready to run: the role's side read, the organization's policies read, and a
/// classifier per bucket, so S3 Inventory listings can be streamed into groups
/// ([`Plan::add_object`]) before [`Plan::run`].
pub struct Plan<'s> {
    s: &'s Snapshot,
    opts: &'s CheckOptions,
    /// The role's side, or why it cannot be known.
    role_unknown: Vec<Unreadable>,
    base: PolicySet,
    tags: Vec<(String, String)>,
    session: String,
    vendor_account: Option<String>,
    org_unreadable: Vec<Unreadable>,
    classifiers: HashMap<String, Classifier>,
    /// The snapshot's buckets by name, and their default keys.
    defaults: HashMap<String, KeyOf>,
    listings: HashMap<String, Groups>,
    per_object: bool,
    key_docs: HashMap<String, Doc>,
    /// Where each named policy of `base` lives in the snapshot, by type, level and name.
    refs: HashMap<(PolicyType, Option<usize>, String), DocRef>,
    requests: usize,
    acc: Acc,
}

/// The patterns and object-level condition keys of the policies that apply to objects.
fn object_patterns(policies: &[&NamedPolicy], ctx: &Context) -> (Vec<Glob>, bool) {
    let mut globs = Vec::new();
    let mut uses_tags = false;
    for p in policies {
        for st in &p.policy.statements {
            if let Some(r) = &st.resource {
                for t in &r.patterns {
                    if let Some(g) = t.resolve(ctx, true) {
                        globs.push(g.into_owned());
                    }
                }
            }
            uses_tags |= st.conditions.iter().any(|c| {
                c.key
                    .to_ascii_lowercase()
                    .starts_with("s3:existingobjecttag/")
            });
        }
    }
    (globs, uses_tags)
}

impl<'s> Plan<'s> {
    /// Reads the role (by its exact ARN) and the organization's policies. A role that is
    /// not in the export is bad input; an export that was not collected is unknown.
    pub fn new(s: &'s Snapshot, opts: &'s CheckOptions) -> Result<Plan<'s>, RoleError> {
        let (role, role_unknown) = match role::role_side(s, &opts.role_arn) {
            Ok(r) => {
                let unreadable = r.unreadable.clone();
                (Some(r), unreadable)
            }
            Err(RoleError::NotCollected(why)) => (None, vec![Unreadable::new("IAM export", why)]),
            Err(e) => return Err(e),
        };
        let mut org_unreadable = Vec::new();
        let mut refs = HashMap::new();
        let org = s.organization.as_ref();
        let mut levels = |levels: &[Vec<Value>], ty: PolicyType| {
            let (kind, prefix) = match ty {
                PolicyType::Scp => (PolicyKind::Scp, "scp"),
                _ => (PolicyKind::Rcp, "rcp"),
            };
            levels
                .iter()
                .enumerate()
                .map(|(l, level)| {
                    let mut read: Vec<NamedPolicy> = Vec::new();
                    for (i, p) in level.iter().enumerate() {
                        match docs::read_named(p, format!("{prefix}[{l}][{i}]"), kind) {
                            Ok(mut np) => {
                                // Names are how the engine's reasons point back here.
                                if read.iter().any(|q| q.name == np.name) {
                                    np.name = format!("{} #{i}", np.name);
                                }
                                let name = np.name.clone();
                                let doc = match ty {
                                    PolicyType::Scp => DocRef::Scp {
                                        level: l,
                                        index: i,
                                        name: name.clone(),
                                    },
                                    _ => DocRef::Rcp {
                                        level: l,
                                        index: i,
                                        name: name.clone(),
                                    },
                                };
                                refs.insert((ty, Some(l), name), doc);
                                read.push(np);
                            }
                            Err(e) => org_unreadable.push(e),
                        }
                    }
                    read
                })
                .collect()
        };
        let scps = org.map(|o| levels(&o.scps, PolicyType::Scp));
        let rcps = org.map(|o| levels(&o.rcps, PolicyType::Rcp));
        let (identity, boundary, tags, trusted) = match role {
            Some(r) => (r.identity, r.boundary, r.tags, r.trusted_accounts),
            None => (Vec::new(), None, Vec::new(), Vec::new()),
        };
        let identity: Vec<NamedPolicy> = identity
            .into_iter()
            .map(|(p, d)| {
                refs.insert((PolicyType::Identity, None, p.name.clone()), d);
                p
            })
            .collect();
        let boundary = boundary.map(|(p, d)| {
            refs.insert((PolicyType::Boundary, None, p.name.clone()), d.clone());
            // A boundary without an Allow is the boundary as a whole.
            refs.insert((PolicyType::Boundary, None, String::new()), d);
            p
        });
        refs.insert(
            (PolicyType::Identity, None, String::new()),
            DocRef::RoleIdentity {
                role: opts.role_arn.clone(),
            },
        );
        let role_name = opts.role_arn.rsplit('/').next().unwrap_or("role");
        let mut plan = Plan {
            s,
            opts,
            role_unknown,
            base: PolicySet {
                identity,
                boundary,
                scps,
                rcps,
                management_account: org.and_then(|o| o.management_account.clone()),
                ..PolicySet::default()
            },
            tags,
            session: format!(
                "arn:aws:sts::{}:assumed-role/{role_name}/vaultward-check",
                s.account_id
            ),
            vendor_account: trusted.into_iter().next(),
            org_unreadable,
            classifiers: HashMap::new(),
            defaults: HashMap::new(),
            listings: HashMap::new(),
            per_object: false,
            key_docs: HashMap::new(),
            refs,
            requests: 0,
            acc: Acc::default(),
        };
        let ctx = plan.context("s3:GetObject", &s.account_id, &[]);
        for b in &s.buckets {
            let bucket_policy = plan.bucket_doc(b);
            let mut involved: Vec<&NamedPolicy> = plan.base.identity.iter().collect();
            involved.extend(plan.base.boundary.iter());
            for l in plan.base.scps.iter().chain(plan.base.rcps.iter()).flatten() {
                involved.extend(l.iter());
            }
            involved.extend(bucket_policy.policy());
            let (globs, uses_tags) = object_patterns(&involved, &ctx);
            plan.classifiers
                .insert(b.name.clone(), Classifier::new(&b.name, globs, uses_tags));
            let default = plan.default_key(b);
            plan.defaults.insert(b.name.clone(), default);
        }
        Ok(plan)
    }

    /// One request by the role (its session), under the account's SCPs and RCPs, the role's
    /// identity policies and boundary, and `resource_policy`: what `vaultward audit` asks.
    pub fn decide(
        &mut self,
        action: &str,
        resource: &str,
        account: &str,
        context: &[(String, String)],
        resource_policy: Option<&NamedPolicy>,
    ) -> Result<Response, String> {
        self.eval(action, resource, account, context, resource_policy)
    }

    /// The role's identity policies as read from the export.
    pub fn identity_policies(&self) -> &[NamedPolicy] {
        &self.base.identity
    }

    /// What of the role's own side (its policies, its boundary) could not be read.
    pub fn role_unreadable(&self) -> Vec<String> {
        self.role_unknown.iter().map(|u| u.reason()).collect()
    }

    /// How many requests were evaluated.
    pub fn requests(&self) -> usize {
        self.requests
    }

    /// Groups every object in a group of its own: the brute-force oracle of the tests.
    #[doc(hidden)]
    pub fn per_object(mut self) -> Self {
        self.per_object = true;
        self
    }

    fn groups_for(&self, bucket: &str) -> Option<Groups> {
        let c = self.classifiers.get(bucket)?.clone();
        Some(if self.per_object {
            Groups::per_object(c)
        } else {
            Groups::new(c)
        })
    }

    /// Marks `bucket` as listed by an inventory (its snapshot listing is then replaced,
    /// even when the inventory holds no object).
    pub fn cover(&mut self, bucket: &str) -> Result<(), String> {
        if !self.listings.contains_key(bucket) {
            let g = self.groups_for(bucket).ok_or_else(|| {
                format!("the listing is for bucket `{bucket}`, which is not in the snapshot: collect the bucket, or leave its listing out")
            })?;
            self.listings.insert(bucket.to_string(), g);
        }
        Ok(())
    }

    /// Adds one object of an inventory listing.
    pub fn add_object(&mut self, bucket: &str, row: Row<'_>) -> Result<(), String> {
        if let Some(g) = self.listings.get_mut(bucket) {
            g.add(row);
            return Ok(());
        }
        self.cover(bucket)?;
        if let Some(g) = self.listings.get_mut(bucket) {
            g.add(row);
        }
        Ok(())
    }

    fn bucket_doc(&self, b: &Bucket) -> Doc {
        Doc::read(
            &b.policy,
            &format!("{} bucket policy", b.name),
            &format!("bucket policy of `{}`", b.name),
            PolicyKind::Resource,
        )
    }

    fn context(&self, action: &str, resource_account: &str, extra: &[(String, String)]) -> Context {
        let mut ctx = Context::default();
        ctx.insert(
            "aws:PrincipalArn",
            ContextValue::Single(self.opts.role_arn.clone()),
        );
        ctx.insert("aws:SecureTransport", ContextValue::Single("true".into()));
        if let Some(id) = self.s.organization.as_ref().and_then(|o| o.id.clone()) {
            ctx.insert("aws:PrincipalOrgID", ContextValue::Single(id));
        }
        for (k, v) in &self.tags {
            ctx.insert(
                &format!("aws:PrincipalTag/{k}"),
                ContextValue::Single(v.clone()),
            );
        }
        // S3 sets s3:ResourceAccount to the bucket owner's account on every request.
        if action.starts_with("s3:") {
            ctx.insert(
                "s3:ResourceAccount",
                ContextValue::Single(resource_account.to_string()),
            );
        }
        for (k, v) in extra {
            ctx.insert(k, ContextValue::Single(v.clone()));
        }
        ctx
    }

    fn eval(
        &mut self,
        action: &str,
        resource: &str,
        account: &str,
        extra: &[(String, String)],
        rp: Option<&NamedPolicy>,
    ) -> Result<Response, String> {
        let ctx = self.context(action, account, extra);
        self.requests += 1;
        let req =
            Request::new(&self.session, action, resource, Some(account), ctx).map_err(|e| {
                format!("the request `{action}` on `{resource}` cannot be formed: {e:?}")
            })?;
        self.base.resource = rp.cloned();
        let r = authorize(&req, &self.base);
        self.base.resource = None;
        Ok(r)
    }

    /// The document and statement a reason points at, as data.
    fn decider(&self, d: &Reason, kind: Kind<'_>) -> Decider {
        let document = match d.policy_type {
            PolicyType::Resource => match kind {
                Kind::Bucket { name } => Some(DocRef::BucketPolicy {
                    bucket: name.to_string(),
                }),
                Kind::Key { arn, .. } => Some(DocRef::KeyPolicy {
                    key: arn.to_string(),
                }),
                Kind::Vault { arn } => Some(DocRef::VaultPolicy {
                    vault: arn.to_string(),
                }),
                Kind::Other => Some(DocRef::Vendor),
            },
            PolicyType::Scp if d.policy.is_none() => {
                d.level.map(|level| DocRef::ScpLevel { level })
            }
            PolicyType::Session => None,
            ty => self
                .refs
                .get(&(ty, d.level, d.policy.clone().unwrap_or_default()))
                .cloned(),
        };
        Decider {
            policy_type: d.policy_type,
            document,
            level: d.level,
            statement_index: d.statement_index,
            sid: d.statement.clone().filter(|s| !s.starts_with('#')),
            effect: d.effect,
            undecided: d.undecided,
        }
    }

    /// Every reason `r` denies, as causes.
    fn causes(&self, r: &Response, action: &str, kind: Kind<'_>, wild: &[usize]) -> Vec<Cause> {
        if r.decision == Decision::Allow {
            return Vec::new();
        }
        let role = &self.opts.role_arn;
        let mut out = Vec::new();
        let reasons: Vec<_> = if r.decision == Decision::ExplicitDeny {
            r.reasons.iter().collect()
        } else {
            r.reasons.iter().take(1).collect()
        };
        let org_partial = !self.org_unreadable.is_empty();
        for d in reasons
            .iter()
            .copied()
            .map(Some)
            .chain(reasons.is_empty().then_some(None))
        {
            let policy_type = d.map(|d| d.policy_type);
            let undecided = d.is_some_and(|d| d.undecided);
            let (code, fix) = match (r.decision, policy_type, kind) {
                (_, Some(PolicyType::Resource), Kind::Key { aws_managed: true, .. }) => (Code::AwsManagedKey, "an AWS managed key's policy cannot be edited and allows only its own service in its own account: re-encrypt the data with a customer managed key whose policy names the role (or copy it under the bucket's default customer managed key)".to_string()),
                (_, Some(PolicyType::Resource), Kind::Key { .. }) => (Code::KmsKeyPolicyDenies, format!("add to the key policy a statement allowing `{action}` to `{role}` (run `vaultward fix`)")),
                (Decision::ExplicitDeny, Some(PolicyType::Resource), Kind::Bucket { .. }) => (Code::ExplicitDenyBucketPolicy, format!("add an `ArnNotLike` `aws:PrincipalArn` exception for `{role}` to the Deny statement's condition (not a `NotPrincipal`)")),
                (_, Some(PolicyType::Resource), Kind::Vault { .. }) => (Code::VaultPolicyDenies, format!("exempt `{role}` in the vault access policy's Deny, or allow it there")),
                (_, Some(PolicyType::Resource), _) => (Code::ResourcePolicyDenies, "change the resource policy to allow the role".to_string()),
                (_, Some(PolicyType::Scp), _) => (Code::ScpDenies, "ask the organization's administrators to exempt the role in the SCP (an `ArnNotLike` `aws:PrincipalArn` condition)".to_string()),
                (_, Some(PolicyType::Rcp), _) => (Code::RcpDenies, "ask the organization's administrators to exempt the role in the RCP (an `ArnNotLike` `aws:PrincipalArn` condition)".to_string()),
                (_, Some(PolicyType::Boundary), _) => (Code::BoundaryDenies, "allow the action in the role's permissions boundary".to_string()),
                (Decision::ExplicitDeny, Some(PolicyType::Identity), _) => (Code::IdentityPolicyDenies, "remove the Deny from the role's policies".to_string()),
                _ => (Code::MissingIdentityPermission, format!("add `{action}` to the role's policies: regenerate them with `vaultward permissions`")),
            };
            // A level short of an Allow may be short only because one of its policies
            // could not be read.
            let org_gap = org_partial
                && r.decision == Decision::ImplicitDeny
                && matches!(policy_type, Some(PolicyType::Scp | PolicyType::Rcp));
            let mut reason = d
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "denied".into());
            let mut policy = d.and_then(|d| d.policy.clone());
            if let Kind::Key { arn, .. } = kind {
                policy.get_or_insert_with(|| format!("key policy of {arn}"));
            }
            let decided_by = d.map(|d| self.decider(d, kind));
            {
                if r.decision == Decision::ExplicitDeny
                    && policy_type == Some(PolicyType::Resource)
                    && d.and_then(|d| d.statement_index)
                        .is_some_and(|i| wild.contains(&i))
                {
                    reason.push_str(
                        " (its NotPrincipal has a wildcard ARN, which AWS never matches)",
                    );
                    let mut w = Cause::new(
                        Code::NotprincipalWildcard,
                        Level::Warning,
                        action,
                        "the policy's `NotPrincipal` lists an ARN with a wildcard; AWS does not match wildcards there, so the role is not exempted".into(),
                        format!("replace the `NotPrincipal` with `\"Principal\": \"*\"` and an `ArnNotLike` condition on `aws:PrincipalArn` listing `{role}`"),
                    );
                    w.policy = policy.clone();
                    w.statement = d.and_then(|d| d.statement.clone());
                    w.decided_by = decided_by.clone();
                    out.push(w);
                }
            }
            let (code, level) = if undecided {
                (Code::CannotDecide, Level::Unknown)
            } else if org_gap {
                (Code::OrgPolicyUnreadable, Level::Unknown)
            } else {
                (code, Level::Blocking)
            };
            let mut c = Cause::new(code, level, action, reason, fix);
            c.policy = policy;
            c.statement = d.and_then(|d| d.statement.clone());
            c.decided_by = decided_by;
            out.push(c);
        }
        out
    }

    /// Evaluates one request; a request that cannot be formed is unknown.
    #[expect(
        clippy::too_many_arguments,
        reason = "one request, with its resource side"
    )]
    fn request_causes(
        &mut self,
        action: &str,
        resource: &str,
        account: &str,
        extra: &[(String, String)],
        rp: Option<&NamedPolicy>,
        kind: Kind<'_>,
        wild: &[usize],
    ) -> Vec<Cause> {
        match self.eval(action, resource, account, extra, rp) {
            Ok(r) => self.causes(&r, action, kind, wild),
            Err(why) => vec![Cause::unknown(
                Code::CannotDecide,
                action,
                why,
                "report this request to the Vaultward maintainers",
            )],
        }
    }

    /// The context a step carries, filled in.
    fn step_context(&self, step: &Step, fill: &[(&str, &str)]) -> Vec<(String, String)> {
        step.context
            .iter()
            .map(|(k, v)| (self.opts.names.fill(k, fill), self.opts.names.fill(v, fill)))
            .collect()
    }

    /// The causes of a step on the data's KMS key.
    fn key_causes(
        &mut self,
        step: &Step,
        key: &KeyOf,
        region: &str,
        fill: &[(&str, &str)],
    ) -> Vec<Cause> {
        let id = match key {
            KeyOf::None => return Vec::new(),
            KeyOf::CustomerProvided => {
                return vec![Cause::new(
                    Code::SseCObject,
                    Level::Blocking,
                    step.action,
                    "objects encrypted with customer-provided keys (SSE-C) can be read or written only with that key, which S3 does not keep and the backup service does not have".into(),
                    "copy the objects to SSE-KMS (or SSE-S3) encryption, or exclude them from the backup".into(),
                )]
            }
            KeyOf::Unknown => {
                return vec![Cause::unknown(
                    Code::NotCollected,
                    step.action,
                    "which KMS key (if any) encrypts the data is not known: it was not collected, or an S3 Inventory row says SSE-KMS without naming the key (Inventory has no field for it)".into(),
                    "collect the encryption settings and the objects' keys (`vaultward collect` reads each object's key with HeadObject; or the snapshot's `default_encryption` and objects' `kms_key_id`) and check again",
                )]
            }
            KeyOf::Key(id) => id,
        };
        let Some(k) = self.s.key(id) else {
            return vec![Cause::unknown(
                Code::NotCollected,
                step.action,
                format!("the KMS key `{id}` is not in the snapshot, so its key policy is unknown"),
                "collect the key's policy (`kms:GetKeyPolicy`) and check again",
            )];
        };
        let arn = k.arn.clone();
        let aws_managed = k.manager.as_deref() == Some("AWS");
        if !self.key_docs.contains_key(&arn) {
            let doc = Doc::read(
                &k.policy,
                &format!("key policy of {arn}"),
                &format!("key policy of `{arn}`"),
                PolicyKind::Key,
            );
            self.key_docs.insert(arn.clone(), doc);
        }
        let doc = self.key_docs.remove(&arn).unwrap_or(Doc::None);
        let causes = match &doc {
            Doc::Unknown(u) => vec![Cause::unreadable(u, step.action)],
            Doc::None => vec![Cause::unknown(
                Code::NotCollected,
                step.action,
                format!(
                    "the key policy of `{arn}` is empty in the snapshot (every KMS key has one)"
                ),
                "collect the key's policy (`kms:GetKeyPolicy`) and check again",
            )],
            Doc::Some(p, wild) => {
                let account = vaultward_iam::arn::Arn::parse(&arn)
                    .map(|a| a.account.to_string())
                    .unwrap_or_else(|| self.s.account_id.clone());
                let via = format!("{}.{region}.amazonaws.com", step.subject.service());
                let mut extra = vec![
                    ("kms:ViaService".to_string(), via.clone()),
                    ("kms:CallerAccount".to_string(), self.s.account_id.clone()),
                ];
                extra.extend(self.step_context(step, fill));
                let mut causes = self.request_causes(
                    step.action,
                    &arn,
                    &account,
                    &extra,
                    Some(p),
                    Kind::Key {
                        arn: &arn,
                        aws_managed,
                    },
                    wild,
                );
                for c in &mut causes {
                    c.kms_via_service = Some(via.clone());
                }
                causes
            }
        };
        self.key_docs.insert(arn, doc);
        causes
    }

    /// The causes of a step on a resource other than the protected one.
    fn other_causes(&mut self, step: &Step, fill: &[(&str, &str)]) -> Vec<Cause> {
        let acct = self.s.account_id.clone();
        let extra = self.step_context(step, fill);
        match step.target {
            Target::Arn(t) => {
                let arn = self.opts.names.fill(t, fill);
                self.request_causes(step.action, &arn, &acct, &extra, None, Kind::Other, &[])
            }
            Target::Vendor(t) => {
                let Some(vendor) = self.vendor_account.clone() else {
                    return vec![Cause::unknown(
                        Code::NotCollected,
                        step.action,
                        "the role's trust policy names no other account, so the vendor's account (where this request goes) is not known".into(),
                        "check that the role trusts the vendor's control plane (`vaultward permissions` generates that trust policy)",
                    )];
                };
                let arn = self.opts.names.fill(t, fill);
                // The vendor's bucket is the vendor's to open; only the role's side (its
                // policies, boundary, SCPs and RCPs) is the customer's.
                let doc = format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"VendorBucketAllowsTheRole","Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"*","Resource":"*"}}]}}"#,
                    self.opts.role_arn
                );
                let vendor_policy = parse_policy(&doc, PolicyKind::Resource)
                    .policy
                    .map(|policy| NamedPolicy {
                        name: "the vendor's bucket policy".into(),
                        policy,
                    });
                self.request_causes(
                    step.action,
                    &arn,
                    &vendor,
                    &extra,
                    vendor_policy.as_ref(),
                    Kind::Other,
                    &[],
                )
            }
            _ => Vec::new(),
        }
    }

    fn applies(&self, step: &Step) -> bool {
        match step.when {
            When::Always | When::Multipart => true,
            When::Continuous => self.opts.continuous_s3,
            When::InstanceRoles => self.opts.names.restore_instance_role.is_some(),
            When::NoInstanceRoles => self.opts.names.restore_instance_role.is_none(),
            When::SupportRole => false,
        }
    }
}

impl vaultward_inventory::Sink for Plan<'_> {
    fn cover(&mut self, bucket: &str) -> Result<(), String> {
        Plan::cover(self, bucket)
    }

    fn object(&mut self, o: vaultward_inventory::Listed<'_>) -> Result<(), String> {
        use vaultward_inventory::Encryption;
        let default = self.defaults.get(o.bucket).cloned().ok_or_else(|| {
            format!("the listing names bucket `{}`, which is not in the snapshot: collect the bucket, or leave its listing out", o.bucket)
        })?;
        let kms = match o.encryption {
            Encryption::Default => default,
            Encryption::NoKey => KeyOf::None,
            Encryption::Kms(Some(k)) => KeyOf::Key(k.clone()),
            // S3 Inventory has no field for the key: the writer may have named another
            // than the bucket's default, so taking the default would be a guess.
            Encryption::Kms(None) => KeyOf::Unknown,
            Encryption::CustomerProvided => KeyOf::CustomerProvided,
        };
        // S3 Inventory's `ObjectOwner` may be a canonical user id, which names no account.
        let owner = o.owner.filter(|a| vaultward_iam::arn::is_account_id(a));
        self.add_object(
            o.bucket,
            Row {
                key: o.key,
                size: o.size,
                owner,
                kms: &kms,
                tags: None,
            },
        )
    }
}

/// A protected resource other than a bucket, as the check sees it.
struct Resource<'a> {
    subject: Subject,
    arn: &'a str,
    policy: Doc,
    tags: Vec<(String, String)>,
    key: KeyOf,
}

fn kind_of(subject: Subject) -> ResourceKind {
    match subject {
        Subject::Bucket => ResourceKind::Bucket,
        Subject::Table => ResourceKind::Table,
        Subject::Volume => ResourceKind::Volume,
        Subject::Instance => ResourceKind::Instance,
        Subject::Vault => ResourceKind::Vault,
    }
}

fn region_of(arn: &str) -> String {
    vaultward_iam::arn::Arn::parse(arn)
        .map(|a| a.region.to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".into())
}

fn fails(op: Op) -> Impact {
    Impact {
        summary: format!("{} fails", op.name()),
        ..Impact::default()
    }
}

impl Plan<'_> {
    fn resource(&mut self, r: &Resource<'_>, op: Op) {
        let region = region_of(r.arn);
        let acct = self.s.account_id.clone();
        let name = r.arn.rsplit(['/', ':']).next().unwrap_or(r.arn).to_string();
        let fill: [(&str, &str); 4] = [
            ("region", &region),
            ("account", &acct),
            ("resource", r.arn),
            ("resource_name", &name),
        ];
        self.acc.cell(r.arn, op, Status::Ok);
        let kind = match r.subject {
            Subject::Vault => Kind::Vault { arn: r.arn },
            _ => Kind::Other,
        };
        for step in service::steps(r.subject, op) {
            if !self.applies(step) {
                continue;
            }
            let causes = match step.target {
                Target::Resource => match &r.policy {
                    Doc::Unknown(u) => vec![Cause::unreadable(u, step.action)],
                    doc => {
                        let mut extra = self.step_context(step, &fill);
                        extra.extend(
                            r.tags
                                .iter()
                                .map(|(k, v)| (format!("aws:ResourceTag/{k}"), v.clone())),
                        );
                        self.request_causes(
                            step.action,
                            r.arn,
                            &acct,
                            &extra,
                            doc.policy(),
                            kind,
                            doc.wild(),
                        )
                    }
                },
                Target::Key => self.key_causes(step, &r.key, &region, &fill),
                Target::Objects => Vec::new(),
                Target::Arn(_) | Target::Vendor(_) => self.other_causes(step, &fill),
            };
            for c in causes {
                self.acc.push(r.arn, kind_of(r.subject), op, c, &fails(op));
            }
        }
    }

    /// The bucket's objects: an inventory's listing, the snapshot's, or why neither.
    fn bucket_listing(&self, b: &Bucket, own: &mut Option<Groups>) -> Option<String> {
        if self.listings.contains_key(&b.name) {
            return None;
        }
        if let Some(why) = b.not_collected.get("objects") {
            return Some(format!("the bucket's objects were not collected ({why}); pass an S3 Inventory listing with --inventory"));
        }
        let mut g = self.groups_for(&b.name)?;
        let default_key = self.default_key(b);
        let encryption_unknown = b.not_collected.contains_key("object_encryption");
        for o in &b.objects {
            let kms = match (&o.kms_key_id, encryption_unknown) {
                (Some(k), _) => KeyOf::Key(k.clone()),
                (None, true) => KeyOf::Unknown,
                (None, false) => default_key.clone(),
            };
            g.add(Row {
                key: &o.key,
                size: o.size,
                owner: o.owner_account.as_deref(),
                kms: &kms,
                tags: o.tags.as_deref(),
            });
        }
        *own = Some(g);
        None
    }

    /// The key objects without a recorded key are encrypted under.
    fn default_key(&self, b: &Bucket) -> KeyOf {
        match (
            &b.default_encryption,
            b.not_collected.get("default_encryption"),
        ) {
            (Some(e), _) if e.sse.starts_with("aws:kms") => match &e.kms_key_id {
                Some(k) => KeyOf::Key(k.clone()),
                // SSE-KMS without a key id: the account's AWS managed key for S3.
                None => KeyOf::Key("alias/aws/s3".into()),
            },
            (Some(_), _) => KeyOf::None,
            (None, Some(_)) => KeyOf::Unknown,
            // Since January 2023 every bucket has default encryption (SSE-S3 at least).
            (None, None) => KeyOf::None,
        }
    }

    fn bucket(&mut self, b: &Bucket, op: Op) {
        let acct = self.s.account_id.clone();
        let arn = format!("arn:aws:s3:::{}", b.name);
        let region = b.region.clone().unwrap_or_else(|| "us-east-1".into());
        let fill: [(&str, &str); 4] = [
            ("region", &region),
            ("account", &acct),
            ("resource", &arn),
            ("resource_name", &b.name),
        ];
        self.acc.cell(&arn, op, Status::Ok);
        let policy = self.bucket_doc(b);
        let mut own = None;
        let unlisted = self.bucket_listing(b, &mut own);
        // An inventory's listing replaces the snapshot's; it is put back for the next
        // operation.
        let inventory = self.listings.remove(&b.name);
        let listing = match (&unlisted, &inventory, &own) {
            (Some(why), _, _) => Listing::Unknown(why.clone()),
            (None, Some(g), _) => Listing::Known {
                groups: g,
                truncated: false,
            },
            (None, None, Some(g)) => Listing::Known {
                groups: g,
                truncated: b.objects_truncated,
            },
            (None, None, None) => Listing::Unknown("the bucket has no listing".into()),
        };
        let (total, known) = match &listing {
            Listing::Known { groups, truncated } => (
                Impact {
                    objects: groups.objects,
                    bytes: groups.bytes,
                    at_least: *truncated,
                    summary: String::new(),
                },
                true,
            ),
            Listing::Unknown(_) => (Impact::default(), false),
        };
        // The bucket's own requests: when one fails, every object is at stake.
        let mut bucket_blocked = false;
        let mut bucket_unknown = !known;
        for step in service::steps(Subject::Bucket, op) {
            if !self.applies(step) {
                continue;
            }
            let causes = match step.target {
                Target::Resource => match &policy {
                    Doc::Unknown(u) => vec![Cause::unreadable(u, step.action)],
                    doc => {
                        let extra = self.step_context(step, &fill);
                        self.request_causes(
                            step.action,
                            &arn,
                            &acct,
                            &extra,
                            doc.policy(),
                            Kind::Bucket { name: &b.name },
                            doc.wild(),
                        )
                    }
                },
                Target::Arn(_) | Target::Vendor(_) => self.other_causes(step, &fill),
                Target::Objects | Target::Key => continue,
            };
            for c in causes {
                bucket_blocked |= c.level == Level::Blocking;
                bucket_unknown |= c.level == Level::Unknown;
                self.acc.push(&arn, ResourceKind::Bucket, op, c, &total);
            }
        }
        // Each group of objects: every cause that stops it.
        let mut blocked = Impact::default();
        let mut unknown = Impact::default();
        match &listing {
            Listing::Unknown(why) => {
                self.acc.push(
                    &arn,
                    ResourceKind::Bucket,
                    op,
                    Cause::unknown(Code::NotCollected, "s3:ListBucket", format!("unknown: {why}"), "collect the bucket's objects (`vaultward collect`) or pass an S3 Inventory listing with --inventory, and check again"),
                    &Impact::default(),
                );
            }
            Listing::Known { groups, truncated } => {
                let groups: Vec<(GroupKey, Group)> = groups.sorted().into_iter().cloned().collect();
                let truncated = *truncated;
                for (gk, g) in &groups {
                    let impact = Impact {
                        objects: g.count,
                        bytes: g.bytes,
                        at_least: truncated,
                        summary: String::new(),
                    };
                    let causes = self.group_causes(b, op, &policy, gk, g, &region, &fill);
                    let is_blocked = causes.iter().any(|c| c.level == Level::Blocking);
                    let is_unknown = causes.iter().any(|c| c.level == Level::Unknown);
                    for c in causes {
                        self.acc.push(&arn, ResourceKind::Bucket, op, c, &impact);
                    }
                    let into = if is_blocked || bucket_blocked {
                        &mut blocked
                    } else if is_unknown || bucket_unknown {
                        &mut unknown
                    } else {
                        continue;
                    };
                    into.objects += g.count;
                    into.bytes += g.bytes;
                }
                if truncated {
                    // The sample's figures are a floor: the bucket holds more.
                    self.acc.push(&arn, ResourceKind::Bucket, op, Cause::unknown(Code::ListingTruncated, "s3:ListBucket", "the collector listed only a sample of the bucket's objects (`objects_truncated`), so the figures are a floor and objects beyond the sample are not checked".into(), "collect the full listing (`vaultward collect --objects all`) or pass an S3 Inventory listing with --inventory"), &total);
                }
            }
        }
        if let Some(g) = inventory {
            self.listings.insert(b.name.clone(), g);
        }
        let t = self.acc.totals.entry(op).or_default();
        t.objects_blocked += blocked.objects;
        t.bytes_blocked += blocked.bytes;
        t.objects_unknown += unknown.objects;
        t.bytes_unknown += unknown.bytes;
        t.at_least |= total.at_least;
    }

    /// Every cause that stops one group of objects.
    #[expect(
        clippy::too_many_arguments,
        reason = "the group and the bucket it is in"
    )]
    fn group_causes(
        &mut self,
        b: &Bucket,
        op: Op,
        policy: &Doc,
        gk: &GroupKey,
        g: &Group,
        region: &str,
        fill: &[(&str, &str)],
    ) -> Vec<Cause> {
        let acct = self.s.account_id.clone();
        let mut causes = Vec::new();
        // Objects written by another account while ACLs are enabled belong to that account.
        if op == Op::Backup {
            let ownership = b.ownership.as_deref();
            match (gk.owner.as_deref(), ownership) {
                (_, Some("BucketOwnerEnforced")) => {}
                (Some(o), _) if o == acct => {}
                (Some(o), Some(mode @ ("ObjectWriter" | "BucketOwnerPreferred"))) => {
                    let mut c = Cause::new(
                        Code::ObjectOwnerMismatch,
                        Level::Blocking,
                        "s3:GetObject",
                        format!("objects owned by account {o}: the bucket's Object Ownership (`{mode}`) keeps ACLs in force, so the bucket owner's role gets 403 on them"),
                        "set Object Ownership to `BucketOwnerEnforced` (ACLs are then disabled and the bucket owner owns every object; check first that nothing relies on ACLs)".into(),
                    );
                    c.decided_by = Some(Decider {
                        policy_type: PolicyType::Resource,
                        document: Some(DocRef::OwnershipControls { bucket: b.name.clone() }),
                        level: None,
                        statement_index: None,
                        sid: None,
                        effect: None,
                        undecided: false,
                    });
                    causes.push(c)
                }
                (None, Some(mode)) => causes.push(Cause::unknown(Code::ObjectOwnerUnknown, "s3:GetObject", format!("objects with no recorded owner: with Object Ownership `{mode}` another account may own them"), "collect the objects' owners (`ListObjectVersions` with `--fetch-owner`) or an S3 Inventory with `ObjectOwner`")),
                (Some(o), None) => causes.push(Cause::unknown(Code::NotCollected, "s3:GetObject", format!("objects owned by account {o}, and the bucket's Object Ownership was not collected"), "collect the bucket's Object Ownership (`s3:GetBucketOwnershipControls`)")),
                (_, Some(mode)) => causes.push(Cause::unknown(Code::NotCollected, "s3:GetObject", format!("the bucket's Object Ownership `{mode}` is not one S3 defines"), "collect the bucket's Object Ownership again (`s3:GetBucketOwnershipControls`)")),
                (None, None) => causes.push(Cause::unknown(Code::NotCollected, "s3:GetObject", "neither the objects' owners nor the bucket's Object Ownership were collected: another account may own them".into(), "collect the bucket's Object Ownership (`s3:GetBucketOwnershipControls`)")),
            }
        }
        // The role writes no ACL (a body-borne ACL escapes every condition key, so
        // s3:PutObjectAcl would let it make any object public): where ACLs are in force, a
        // restored object gets the bucket's default, and a non-private ACL is set by hand.
        if op == Op::Restore {
            if let Some(mode @ ("ObjectWriter" | "BucketOwnerPreferred")) = b.ownership.as_deref() {
                causes.push(Cause::new(
                    Code::AclNotRestored,
                    Level::Warning,
                    "s3:PutObjectAcl",
                    format!("Object Ownership `{mode}` keeps ACLs in force, and the role writes no ACL (it could make objects public): restored objects get the bucket's default ACL"),
                    "after the restore, set the ACL of any object that had a non-private one (`aws s3api put-object-acl`), or set Object Ownership to `BucketOwnerEnforced`".into(),
                ));
            }
        }
        let object_arn = format!("arn:aws:s3:::{}/{}", b.name, g.sample);
        let tags_unknown =
            self.classifiers.get(&b.name).is_some_and(|c| c.uses_tags) && gk.tags.is_none();
        for step in service::steps(Subject::Bucket, op) {
            let applies = match step.when {
                When::Always => true,
                When::Multipart => gk.large,
                When::Continuous
                | When::InstanceRoles
                | When::NoInstanceRoles
                | When::SupportRole => false,
            };
            if !applies {
                continue;
            }
            match step.target {
                Target::Objects => match policy {
                    Doc::Unknown(u) => causes.push(Cause::unreadable(u, step.action)),
                    _ if tags_unknown => causes.push(Cause::unknown(Code::NotCollected, step.action, "a policy conditions on `s3:ExistingObjectTag/...` and these objects' tags were not collected".into(), "collect the objects' tags (the snapshot's `tags` per object) and check again")),
                    doc => {
                        let mut extra = self.step_context(step, fill);
                        for (k, v) in gk.tags.iter().flatten() {
                            extra.push((format!("s3:ExistingObjectTag/{k}"), v.clone()));
                        }
                        causes.extend(self.request_causes(step.action, &object_arn, &acct, &extra, doc.policy(), Kind::Bucket { name: &b.name }, doc.wild()));
                    }
                },
                Target::Key => causes.extend(self.key_causes(step, &gk.key, region, fill)),
                _ => {}
            }
        }
        causes
    }

    /// Runs the check.
    pub fn run(mut self) -> Report {
        let s = self.s;
        let opts = self.opts;
        let ops: Vec<Op> = opts.operations.iter().copied().collect();
        let acct_resource = format!("account {}", s.account_id);
        // What makes every pair unknown: the role's side, the organization's policies.
        let mut everything_unknown = Vec::new();
        for u in &self.role_unknown {
            everything_unknown.push((
                opts.role_arn.clone(),
                ResourceKind::Role,
                Cause::unreadable(u, "*"),
            ));
        }
        for u in &self.org_unreadable {
            everything_unknown.push((
                acct_resource.clone(),
                ResourceKind::Account,
                Cause::unreadable(u, "*"),
            ));
        }
        if let Some(why) = s
            .organization
            .as_ref()
            .and_then(|o| o.policies_not_collected.as_ref())
        {
            let mut c = Cause::unknown(Code::OrganizationPoliciesNotCollected, "*", format!("the organization's SCPs and RCPs were not collected ({why}): any of them may deny the backup"), "collect from the management account or a delegated administrator (organizations:ListParents, ListPoliciesForTarget, DescribePolicy), add the policies to the snapshot, or pass --assume-org-policies-allow to accept the risk");
            if opts.assume_org_policies_allow {
                c.level = Level::Warning;
                c.reason = format!("the organization's SCPs and RCPs were not collected ({why}); as asked (--assume-org-policies-allow), the verdicts assume they deny nothing");
            }
            everything_unknown.push((acct_resource.clone(), ResourceKind::Account, c));
        }
        let role_known = self.role_unknown.is_empty();
        let has = |a: AssetType| opts.assets.contains(&a);
        let mut resources: Vec<Resource<'_>> = Vec::new();
        if has(AssetType::DynamoDb) {
            for t in &s.dynamodb_tables {
                resources.push(Resource {
                    subject: Subject::Table,
                    arn: &t.arn,
                    policy: Doc::None,
                    tags: t.tags.clone().into_iter().collect(),
                    key: t.kms_key_id.clone().map_or(KeyOf::None, KeyOf::Key),
                });
            }
        }
        if has(AssetType::Ec2) {
            for v in &s.ebs_volumes {
                let key = match (&v.kms_key_id, v.encrypted) {
                    (Some(k), _) => KeyOf::Key(k.clone()),
                    (None, Some(true)) => KeyOf::Key("alias/aws/ebs".into()),
                    (None, Some(false)) => KeyOf::None,
                    (None, None) => KeyOf::Unknown,
                };
                resources.push(Resource {
                    subject: Subject::Volume,
                    arn: &v.arn,
                    policy: Doc::None,
                    tags: v.tags.clone().into_iter().collect(),
                    key,
                });
            }
            for i in &s.ec2_instances {
                resources.push(Resource {
                    subject: Subject::Instance,
                    arn: &i.arn,
                    policy: Doc::None,
                    tags: i.tags.clone().into_iter().collect(),
                    key: KeyOf::None,
                });
            }
        }
        for v in &s.backup_vaults {
            resources.push(Resource {
                subject: Subject::Vault,
                arn: &v.arn,
                policy: Doc::read(
                    &v.access_policy,
                    &format!("{} access policy", v.name),
                    &format!("access policy of vault `{}`", v.name),
                    PolicyKind::Vault,
                ),
                tags: Vec::new(),
                key: KeyOf::None,
            });
        }
        // Resource lists not collected: the resources in them are not known, so neither is
        // whether their backups work.
        let lists: Vec<(&str, &str, Subject)> = [
            ("buckets", "S3 buckets", Subject::Bucket),
            ("dynamodb_tables", "DynamoDB tables", Subject::Table),
            ("ebs_volumes", "EBS volumes", Subject::Volume),
            ("ec2_instances", "EC2 instances", Subject::Instance),
            ("backup_vaults", "backup vaults", Subject::Vault),
        ]
        .into_iter()
        .filter(|(_, _, subject)| subject.asset().is_none_or(has))
        .filter(|(list, _, _)| s.not_collected.contains_key(*list))
        .collect();
        for &op in &ops {
            for (list, label, subject) in &lists {
                if service::steps(*subject, op).next().is_none() {
                    continue;
                }
                let why = &s.not_collected[*list];
                let resource = format!("{label} of account {}", s.account_id);
                self.acc.push(
                    &resource,
                    ResourceKind::ResourceList,
                    op,
                    Cause::unknown(
                        Code::NotCollected,
                        "*",
                        format!("the account's {label} were not collected ({why}): their backups cannot be checked"),
                        "collect them (`vaultward collect` with the asset type, or the snapshot's list; an empty list says there are none) and check again",
                    ),
                    &Impact::default(),
                );
            }
            if has(AssetType::S3) {
                for b in &s.buckets {
                    if role_known {
                        self.bucket(b, op);
                    } else {
                        self.acc
                            .cell(&format!("arn:aws:s3:::{}", b.name), op, Status::Unknown);
                    }
                }
            }
            for r in &resources {
                if service::steps(r.subject, op).next().is_none() {
                    continue;
                }
                if role_known {
                    self.resource(r, op);
                } else {
                    self.acc.cell(r.arn, op, Status::Unknown);
                }
            }
            for (resource, rk, c) in &everything_unknown {
                self.acc
                    .push(resource, *rk, op, c.clone(), &Impact::default());
            }
            if everything_unknown
                .iter()
                .any(|(_, _, c)| c.level == Level::Unknown)
            {
                let cells: Vec<String> = self
                    .acc
                    .cells
                    .keys()
                    .filter(|(_, o)| *o == op)
                    .map(|(r, _)| r.clone())
                    .collect();
                for r in cells {
                    self.acc.cell(&r, op, Status::Unknown);
                }
                // The account-wide findings are about the account, not a cell.
                self.acc.cells.remove(&(acct_resource.clone(), op));
                self.acc.cells.remove(&(opts.role_arn.clone(), op));
            }
        }
        self.finish()
    }

    fn finish(self) -> Report {
        let Plan {
            s,
            opts,
            acc,
            requests,
            ..
        } = self;
        let mut findings: Vec<Finding> = acc.findings.into_values().collect();
        for f in &mut findings {
            f.impact.summary = summary(f.level, f.operation, &f.impact);
        }
        findings.sort_by(|a, b| order(a).cmp(&order(b)));
        let matrix: Vec<Cell> = acc
            .cells
            .iter()
            .map(|((r, op), st)| Cell {
                resource: r.clone(),
                operation: *op,
                status: *st,
            })
            .collect();
        let mut totals = Vec::new();
        for &op in &opts.operations {
            let mut t = acc.totals.get(&op).cloned().unwrap_or_default();
            t.operation = Some(op);
            for ((_, o), st) in &acc.cells {
                if *o != op {
                    continue;
                }
                t.resources += 1;
                match st {
                    Status::Ok => t.ok += 1,
                    Status::Blocked => t.blocked += 1,
                    Status::Unknown => t.unknown += 1,
                }
            }
            totals.push(t);
        }
        let status = acc
            .cells
            .values()
            .copied()
            .chain(findings.iter().filter_map(|f| match f.level {
                Level::Blocking => Some(Status::Blocked),
                Level::Unknown => Some(Status::Unknown),
                Level::Warning => None,
            }))
            .max()
            .unwrap_or(Status::Ok);
        Report {
            status,
            account: s.account_id.clone(),
            role: opts.role_arn.clone(),
            totals,
            findings,
            matrix,
            requests,
        }
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

fn summary(level: Level, op: Op, i: &Impact) -> String {
    let floor = if i.at_least { "at least " } else { "" };
    let objects = format!(
        "{floor}{} ({})",
        count(i.objects, "object"),
        human_bytes(i.bytes)
    );
    match level {
        Level::Blocking if i.objects > 0 => format!("{objects} not {}", op.done()),
        Level::Blocking => format!("{} fails", op.name()),
        Level::Unknown if i.objects > 0 => {
            format!("cannot tell: {objects} may not be {}", op.done())
        }
        Level::Unknown => format!("cannot tell whether the {} works", op.name()),
        Level::Warning => String::new(),
    }
}

/// The report's order of findings: blocking first, then unknown, then warnings; the most
/// data first.
fn order(f: &Finding) -> (Level, Reverse<u64>, Reverse<u64>, &str, Op, &str, &str) {
    (
        f.level,
        Reverse(f.impact.bytes),
        Reverse(f.impact.objects),
        &f.resource,
        f.operation,
        &f.action,
        f.code.as_str(),
    )
}

/// Checks every selected asset and operation of the snapshot.
pub fn check(s: &Snapshot, opts: &CheckOptions) -> Result<Report, RoleError> {
    Ok(Plan::new(s, opts)?.run())
}

/// The report for people: the verdict and the totals first, then the findings, the ones
/// with the most data at stake first.
pub fn render_human(r: &Report) -> String {
    let verdict = match r.status {
        Status::Blocked => "BLOCKED: some backups or restores will fail",
        Status::Unknown => "UNKNOWN: nothing is known to fail, but some pairs could not be decided",
        Status::Ok if r.findings.iter().any(|f| f.code == Code::OrganizationPoliciesNotCollected) => {
            "ALL CLEAR, as assumed: every backup and restore checked will work if the organization's uncollected policies deny nothing"
        }
        Status::Ok => "ALL CLEAR: every backup and restore checked will work",
    };
    let mut out = format!("{verdict}\n");
    for t in &r.totals {
        let op = t.operation.map_or("", Op::name);
        let floor = if t.at_least { "at least " } else { "" };
        out.push_str(&format!(
            "  {op}: {} of {} ok, {} blocked, {} unknown; at stake: {floor}{} ({}) blocked, {floor}{} ({}) unknown\n",
            t.ok,
            count(t.resources as u64, "resource"),
            t.blocked,
            t.unknown,
            count(t.objects_blocked, "object"),
            human_bytes(t.bytes_blocked),
            count(t.objects_unknown, "object"),
            human_bytes(t.bytes_unknown),
        ));
    }
    out.push_str(&format!("Account {}, role {}\n\n", r.account, r.role));
    // What makes everything unknown goes first.
    let account_wide = |f: &&Finding| f.action == "*";
    for f in r
        .findings
        .iter()
        .filter(account_wide)
        .chain(r.findings.iter().filter(|f| !account_wide(f)))
    {
        let tag = match f.level {
            Level::Blocking => "BLOCKED",
            Level::Unknown => "UNKNOWN",
            Level::Warning => "WARNING",
        };
        out.push_str(&format!(
            "{tag} [{}] {} ({}, {})\n",
            f.code,
            f.resource,
            f.operation.name(),
            f.action
        ));
        match (&f.policy, &f.statement) {
            (Some(p), Some(s)) => out.push_str(&format!("  decided by: {p}, statement {s}\n")),
            (Some(p), None) => out.push_str(&format!("  policy: {p}\n")),
            _ => {}
        }
        out.push_str(&format!("  why:    {}\n", f.reason));
        for e in &f.parse_errors {
            out.push_str(&format!("    - {e}\n"));
        }
        if !f.impact.summary.is_empty() {
            out.push_str(&format!("  impact: {}\n", f.impact.summary));
        }
        out.push_str(&format!("  fix:    {}\n\n", f.fix));
    }
    out.push_str(&format!(
        "{} resource/operation pairs: {} ok, {} blocked, {} unknown ({} requests evaluated)\n",
        r.matrix.len(),
        r.matrix.iter().filter(|c| c.status == Status::Ok).count(),
        r.matrix
            .iter()
            .filter(|c| c.status == Status::Blocked)
            .count(),
        r.matrix
            .iter()
            .filter(|c| c.status == Status::Unknown)
            .count(),
        r.requests
    ));
    out
}
