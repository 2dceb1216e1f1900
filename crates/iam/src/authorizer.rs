//! AWS's policy evaluation logic, with the statements that decided.
//!
//! Sources, AWS IAM User Guide:
//! - "Policy evaluation logic" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
//! - "Cross-account policy evaluation logic" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html)
//! - "Permissions boundaries for IAM entities" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html)
//! - "Session policies" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session)
//! - AWS KMS "Key policies" (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html)
//! - AWS Organizations "Service control policies" and "Resource control policies"
//!   (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html,
//!   https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html)
//!
//! Evaluation runs in two stages. [`scan`] reads every statement once against the
//! request and keeps the ones that apply, or may apply when a value is unknown (each
//! with the unknowns it needs). [`judge`] applies AWS's logic to the statements that
//! apply, and says which decided without writing a word. A request whose values are all
//! known is judged once; one with unknowns is judged in every combination of them that
//! can happen ([`partial`]), and the answer is decided only when all agree.

use serde::Serialize;

use crate::policy::{Effect, Policy, Statement};
use crate::principal::{not_principal_excludes, Grant, RequestPrincipal, Tri};
use crate::request::Request;

mod explain;
mod judge;
mod partial;
mod rcp_services;
mod residual;
mod write;
pub use explain::explain_statement;
pub use rcp_services::RCP_SERVICES;
pub use residual::{Dependency, DependencyKind, Literal, Residual, ResidualCase};

use judge::{judge, render};
use partial::Atoms;

/// A policy with the name used in explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedPolicy {
    pub name: String,
    pub policy: Policy,
}

/// How the resource policy combines with identity policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceRule {
    /// Most services: in the same account either side may allow.
    Standard,
    /// KMS keys: the key policy must allow, directly or by delegating to the account.
    KeyPolicy,
    /// IAM role trust policies: the trust policy must allow `sts:AssumeRole*`,
    /// `sts:TagSession`, `sts:SetSourceIdentity`, `sts:SetContext`.
    TrustPolicy,
}

/// Every policy that applies to a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicySet {
    pub identity: Vec<NamedPolicy>,
    pub resource: Option<NamedPolicy>,
    /// `None`: inferred from the request (KMS key ARN, `sts:AssumeRole*` on a role).
    pub resource_rule: Option<ResourceRule>,
    pub boundary: Option<NamedPolicy>,
    pub session: Option<NamedPolicy>,
    /// SCPs of the principal's account, one list per level from the root down;
    /// `None` when the account is not in an organization.
    pub scps: Option<Vec<Vec<NamedPolicy>>>,
    /// RCPs of the resource's account, per level; `None` when not in an organization.
    pub rcps: Option<Vec<Vec<NamedPolicy>>>,
    /// The organization's management account, whose principals and resources SCPs and RCPs do not affect.
    pub management_account: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
    /// The request is allowed for some values of what is unknown and denied for others:
    /// [`Response::residual`] says which. Never an Allow: a caller that must act treats
    /// it as a denial, and says it could not decide.
    Undecided,
}

impl Decision {
    /// The decision in the words of the corpus and the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::ExplicitDeny => "explicit_deny",
            Decision::ImplicitDeny => "implicit_deny",
            Decision::Undecided => "undecided",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyType {
    Identity,
    Resource,
    Boundary,
    Session,
    Scp,
    Rcp,
}

impl PolicyType {
    fn words(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity policy",
            PolicyType::Resource => "resource policy",
            PolicyType::Boundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::Scp => "SCP",
            PolicyType::Rcp => "RCP",
        }
    }

    fn key(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity",
            PolicyType::Resource => "resource",
            PolicyType::Boundary => "boundary",
            PolicyType::Session => "session",
            PolicyType::Scp => "scp",
            PolicyType::Rcp => "rcp",
        }
    }
}

/// Why the decision came out as it did: a deciding statement, or a missing Allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub policy_type: PolicyType,
    /// The policy's name; absent for reasons about a whole kind of policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// SCP/RCP level (0 is the organization root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    /// The statement's `Sid`, or `#N` for its position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// `type[:level]:policy/statement`, stable for tests and tools.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_ref: Option<String>,
    /// Whether this statement applies depends on something unknown (the response's
    /// residual says what); `message` says so.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub undecided: bool,
    pub message: String,
}

/// The decision and its reasons. Authorization never fails: undecidable parts deny.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    pub decision: Decision,
    pub reasons: Vec<Reason>,
    /// Assumptions the engine made or could not avoid (for example an unknown role path).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What the answer depends on, when a value it needs is unknown: always for
    /// [`Decision::Undecided`], and for a denial whose kind (explicit or not) depends on
    /// an unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual: Option<Residual>,
}

/// A statement that applies, or may, located in the policy set.
#[derive(Debug, Clone)]
struct Hit<'p> {
    ty: PolicyType,
    level: Option<usize>,
    policy: &'p NamedPolicy,
    /// The statement, and its position in the policy.
    statement: &'p Statement,
    index: usize,
    grant: Grant,
    /// The unknowns (bits of the request's [`Atoms`]) that must all hold for the
    /// statement to apply; 0 when it applies whatever they are.
    needs: u64,
}

impl Hit<'_> {
    fn label(&self) -> String {
        let mut s = String::new();
        // Writing to a `String` does not fail.
        let _ = explain::write_label(&mut s, self.statement, self.index);
        s
    }

    fn statement_ref(&self) -> String {
        let mut s = String::new();
        let _ = self.write_statement_ref(&mut s);
        s
    }

    /// `type[:level]:policy/statement`.
    fn write_statement_ref(&self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        out.write_str(self.ty.key())?;
        if let Some(l) = self.level {
            write!(out, "[{l}]")?;
        }
        out.write_str(":")?;
        out.write_str(&self.policy.name)?;
        out.write_str("/")?;
        explain::write_label(out, self.statement, self.index)
    }

    fn reason(&self, req: &Request, atoms: &Atoms) -> Reason {
        let st = self.statement;
        let label = self.label();
        let message = if self.needs == 0 {
            explain_statement(self.ty.words(), &self.policy.name, st, self.index, req)
        } else {
            let verb = match st.effect {
                Effect::Deny => "Deny",
                Effect::Allow => "Allow",
            };
            format!(
                "whether the {verb} in {} `{}` statement `{label}` applies depends on {}",
                self.ty.words(),
                self.policy.name,
                atoms.describe_needs(self.needs)
            )
        };
        Reason {
            policy_type: self.ty,
            policy: Some(self.policy.name.clone()),
            level: self.level,
            statement: Some(label),
            statement_index: Some(self.index),
            effect: Some(st.effect),
            statement_ref: Some(self.statement_ref()),
            undecided: self.needs != 0,
            message,
        }
    }
}

fn whole(ty: PolicyType, level: Option<usize>, message: String) -> Reason {
    Reason {
        policy_type: ty,
        policy: None,
        level,
        statement: None,
        statement_index: None,
        effect: None,
        statement_ref: None,
        undecided: false,
        message,
    }
}

/// Evaluates `req` against `policies` as AWS does.
///
/// Values of the request's context may be unknown ([`crate::ContextValue::Unknown`]): the
/// answer is then decided only when every value they can take gives it, and otherwise
/// [`Decision::Undecided`] with the [`Residual`] that says what it depends on.
///
/// When the resource's account is not known (an S3 ARN names none, and the request gave
/// no `resource_account`), it is one more unknown: the resource is the principal's
/// account's or another's. A `*` resource (an action without resource-level
/// permissions) acts in the principal's own account.
pub fn authorize(req: &Request, policies: &PolicySet) -> Response {
    evaluate(req, policies).response()
}

/// An evaluation whose reasons are written only when asked for: the decision is there at
/// once ([`Evaluation::decision`]), the words when [`Evaluation::response`] builds them.
/// Bulk questions that need only the decision skip the explanations' cost.
pub struct Evaluation<'p> {
    inner: Evaluated<'p>,
}

enum Evaluated<'p> {
    /// Every value known: the statements that apply and the verdict on them.
    Known {
        scanned: Scanned<'p>,
        verdict: judge::Verdict,
        req: &'p Request,
    },
    /// Decided with unknowns, or by a rule of its own: the response, already written.
    Done(Response),
}

impl Evaluation<'_> {
    pub fn decision(&self) -> Decision {
        match &self.inner {
            Evaluated::Known { verdict, .. } => verdict.decision(),
            Evaluated::Done(r) => r.decision,
        }
    }

    /// The decision with its reasons.
    pub fn response(self) -> Response {
        match self.inner {
            Evaluated::Known {
                scanned,
                verdict,
                req,
            } => render(&verdict, &scanned, req, &Atoms::default(), &|h| {
                h.needs == 0
            }),
            Evaluated::Done(r) => r,
        }
    }
}

/// [`authorize`], with the reasons left to [`Evaluation::response`].
pub fn evaluate<'p>(req: &'p Request, policies: &'p PolicySet) -> Evaluation<'p> {
    let done = |r: Response| Evaluation {
        inner: Evaluated::Done(r),
    };
    let p = &req.principal;
    // "No permissions are required to perform this operation. If an administrator
    // attaches a policy to your identity that explicitly denies access to the
    // sts:GetCallerIdentity action, you can still perform this operation" (AWS STS API
    // Reference, GetCallerIdentity,
    // https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
    if req.action_lower == "sts:getcalleridentity" && !matches!(p, RequestPrincipal::Anonymous) {
        return done(Response {
            decision: Decision::Allow,
            reasons: vec![whole(
                PolicyType::Identity,
                None,
                "`sts:GetCallerIdentity` needs no permission, and an explicit Deny does not stop it".into(),
            )],
            notes: Vec::new(),
            residual: None,
        });
    }
    // An alias's permissions come from IAM policies alone: "you cannot control access to
    // an alias in a key policy" (AWS KMS Developer Guide, "Controlling access to
    // aliases", https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html).
    // The key's side of `CreateAlias` and `UpdateAlias` is a request of its own, on the
    // key's ARN.
    if is_kms_alias(req) && policies.resource.is_some() {
        let mut without = policies.clone();
        without.resource = None;
        without.resource_rule = Some(ResourceRule::Standard);
        let mut r = authorize(req, &without);
        r.notes.push(format!(
            "`{}` is an alias: a key policy does not govern it, so the resource policy given was not used",
            req.resource
        ));
        return done(r);
    }
    let same = match (&req.resource_account, p.account()) {
        (Some(_), _) => Some(req.same_account()),
        (None, None) => Some(false),
        (None, Some(_)) if req.resource == "*" => Some(true),
        (None, Some(_)) => None,
    };
    if let Some(same_account) = same {
        if !req.context.has_unknown() {
            let scanned = scan(req, policies, &mut Atoms::default());
            if scanned.needs_nothing() {
                let verdict = judge(&scanned, req, policies, same_account, &|h| h.needs == 0);
                return Evaluation {
                    inner: Evaluated::Known {
                        scanned,
                        verdict,
                        req,
                    },
                };
            }
        }
        return done(partial::decide(req, policies, &[(same_account, req)]));
    }
    // The resource's account is unknown: the principal's own, or another.
    let account = p.account().unwrap_or_default().to_string();
    let mut own = req.clone();
    own.resource_account = Some(account.clone());
    own.context.insert(
        "aws:ResourceAccount",
        crate::ContextValue::Single(account.clone()),
    );
    let mut other = req.clone();
    other.context.insert(
        "aws:ResourceAccount",
        crate::ContextValue::Unknown(crate::context::Unknown {
            multivalued: false,
            maybe_absent: false,
            domain: crate::context::Domain::NoneOf(vec![account]),
            settled_by: Some("the resource's account: give `resource_account`".into()),
        }),
    );
    done(partial::decide(
        req,
        policies,
        &[(true, &own), (false, &other)],
    ))
}

/// The statements that apply to a request, or may, by kind of policy.
struct Scanned<'p> {
    denies: Vec<Hit<'p>>,
    /// SCP allows per level; `None` when SCPs do not apply to the principal.
    scp_allows: Option<Vec<Vec<Hit<'p>>>>,
    identity_allows: Vec<Hit<'p>>,
    boundary_allows: Vec<Hit<'p>>,
    session_allows: Vec<Hit<'p>>,
    resource_allows: Vec<Hit<'p>>,
    has_identity: bool,
    boundary: bool,
    session: bool,
    resource_policy: bool,
}

impl Scanned<'_> {
    /// Whether every hit applies whatever is unknown.
    fn needs_nothing(&self) -> bool {
        let flat = self
            .denies
            .iter()
            .chain(self.identity_allows.iter())
            .chain(self.boundary_allows.iter())
            .chain(self.session_allows.iter())
            .chain(self.resource_allows.iter())
            .chain(self.scp_allows.iter().flatten().flatten());
        flat.into_iter().all(|h| h.needs == 0)
    }

    /// Every hit, for the unknowns it names.
    fn hits(&self) -> impl Iterator<Item = &Hit<'_>> {
        self.denies
            .iter()
            .chain(self.identity_allows.iter())
            .chain(self.boundary_allows.iter())
            .chain(self.session_allows.iter())
            .chain(self.resource_allows.iter())
            .chain(self.scp_allows.iter().flatten().flatten())
    }
}

/// Reads every statement of every policy that applies to the principal once.
fn scan<'p>(req: &Request, policies: &'p PolicySet, atoms: &mut Atoms<'p>) -> Scanned<'p> {
    let p = &req.principal;
    let has_identity = matches!(
        p,
        RequestPrincipal::Root { .. }
            | RequestPrincipal::User { .. }
            | RequestPrincipal::Session { .. }
            | RequestPrincipal::FederatedUser { .. }
    );
    let boundary = policies.boundary.as_ref().filter(|_| {
        matches!(
            p,
            RequestPrincipal::User { .. } | RequestPrincipal::Session { .. }
        )
    });
    let session = policies.session.as_ref().filter(|_| {
        matches!(
            p,
            RequestPrincipal::Session { .. } | RequestPrincipal::FederatedUser { .. }
        )
    });
    let has_boundary = boundary.is_some();
    let mgmt = policies.management_account.as_deref();
    let scps = policies.scps.as_ref().filter(|_| {
        has_identity && !p.is_service_linked_role() && (mgmt.is_none() || p.account() != mgmt)
    });
    let rcps = policies.rcps.as_ref().filter(|_| {
        !p.is_service_linked_role()
            && RCP_SERVICES.binary_search(&req.service()).is_ok()
            && (mgmt.is_none() || req.resource_account.as_deref() != mgmt)
    });
    let mut s = Scanned {
        denies: Vec::new(),
        scp_allows: None,
        identity_allows: Vec::new(),
        boundary_allows: Vec::new(),
        session_allows: Vec::new(),
        resource_allows: Vec::new(),
        has_identity,
        boundary: has_boundary,
        session: session.is_some(),
        resource_policy: policies.resource.is_some(),
    };
    let mut sc = Scan {
        req,
        atoms,
        denies: &mut s.denies,
    };
    if let Some(levels) = scps {
        let mut per_level = Vec::with_capacity(levels.len());
        for (l, level) in levels.iter().enumerate() {
            let mut allows = Vec::new();
            for np in level {
                sc.policy(PolicyType::Scp, Some(l), np, None, &mut allows);
            }
            per_level.push(allows);
        }
        s.scp_allows = Some(per_level);
    }
    // RCPFullAWSAccess is attached at every level and cannot be detached, so RCPs only
    // ever deny; their Allow statements change nothing (AWS Organizations, "RCP evaluation").
    if let Some(levels) = rcps {
        let mut allows = Vec::new();
        for (l, level) in levels.iter().enumerate() {
            for np in level {
                sc.policy(
                    PolicyType::Rcp,
                    Some(l),
                    np,
                    Some(has_boundary),
                    &mut allows,
                );
            }
        }
    }
    // The root user has no identity policies: it holds every permission in its account.
    if has_identity && !matches!(p, RequestPrincipal::Root { .. }) {
        for np in &policies.identity {
            sc.policy(PolicyType::Identity, None, np, None, &mut s.identity_allows);
        }
    }
    if let Some(np) = boundary {
        sc.policy(PolicyType::Boundary, None, np, None, &mut s.boundary_allows);
    }
    if let Some(np) = session {
        sc.policy(PolicyType::Session, None, np, None, &mut s.session_allows);
    }
    if let Some(np) = &policies.resource {
        sc.policy(
            PolicyType::Resource,
            None,
            np,
            Some(has_boundary),
            &mut s.resource_allows,
        );
    }
    s
}

/// The state of one scan: the request, the unknowns met so far, the Denies found.
struct Scan<'a, 'p> {
    req: &'a Request,
    atoms: &'a mut Atoms<'p>,
    denies: &'a mut Vec<Hit<'p>>,
}

impl<'p> Scan<'_, 'p> {
    /// Evaluates every statement of one policy, sorting the ones that apply (or may)
    /// into denies and allows.
    fn policy(
        &mut self,
        ty: PolicyType,
        level: Option<usize>,
        np: &'p NamedPolicy,
        principal_check: Option<bool>,
        allows: &mut Vec<Hit<'p>>,
    ) {
        for (index, st) in np.policy.statements.iter().enumerate() {
            let Some((grant, needs)) = statement_applies(
                st,
                self.req,
                principal_check,
                self.atoms,
                (ty, level, np, index),
            ) else {
                continue;
            };
            let hit = Hit {
                ty,
                level,
                policy: np,
                statement: st,
                index,
                grant,
                needs,
            };
            match st.effect {
                Effect::Deny => self.denies.push(hit),
                Effect::Allow => allows.push(hit),
            }
        }
    }
}

/// An alias operation (`kms:CreateAlias`, `kms:UpdateAlias`, `kms:DeleteAlias`) on its
/// alias ARN (`arn:aws:kms:...:alias/name`). Other operations given an alias act on
/// the key it names, under the key policy.
fn is_kms_alias(req: &Request) -> bool {
    matches!(
        req.action_lower.as_str(),
        "kms:createalias" | "kms:updatealias" | "kms:deletealias"
    ) && crate::arn::Arn::parse(&req.resource)
        .is_some_and(|a| a.service == "kms" && a.resource.starts_with("alias/"))
}

fn infer_rule(req: &Request) -> ResourceRule {
    if req.resource.starts_with("arn:")
        && req.resource.split(':').nth(2) == Some("kms")
        && req.service() == "kms"
        && !is_kms_alias(req)
    {
        ResourceRule::KeyPolicy
    } else if req.is_trust_action() {
        ResourceRule::TrustPolicy
    } else {
        ResourceRule::Standard
    }
}

/// Whether one statement applies to the request: `None` when it does not; otherwise the
/// grant and the unknowns that must hold (0 when none). `principal_check` is
/// `Some(has_boundary)` for resource-based policies, whose statements must name the
/// principal. `at` locates the statement for the unknowns it registers.
fn statement_applies<'p>(
    st: &'p Statement,
    req: &Request,
    principal_check: Option<bool>,
    atoms: &mut Atoms<'p>,
    at: partial::At<'p>,
) -> Option<(Grant, u64)> {
    if st
        .action
        .patterns
        .iter()
        .any(|g| g.is_match_ignore_ascii_case(&req.action))
        == st.action.negated
    {
        return None;
    }
    let mut needs = 0u64;
    let ctx = &req.context;
    if let Some(r) = &st.resource {
        // An entry whose policy variable has no value matches no resource, in `Resource`
        // and `NotResource` alike (IAM User Guide, Policy variables, "Policy variables with
        // no value"): it is left out of the match. One whose variable's value is unknown
        // may match.
        let mut unknown = false;
        let hit = r.patterns.iter().any(|t| {
            if ctx.has_unknown() && t.depends_on_unknown(ctx) {
                unknown = true;
                return false;
            }
            t.matches(ctx, &req.resource) == Some(true)
        });
        match (hit, unknown) {
            (true, _) if r.negated => return None,
            (true, _) => {}
            (false, false) if !r.negated => return None,
            (false, false) => {}
            (false, true) => needs |= atoms.resource(st, at, r.negated),
        }
    }
    let mut grant = Grant::Everyone;
    if let (Some(has_boundary), Some(pe)) = (principal_check, &st.principal) {
        if pe.negated {
            match not_principal_excludes(&pe.entries, &req.principal, has_boundary, st.effect) {
                Tri::Yes(()) => return None,
                Tri::No => {}
                Tri::Unknown(why) => needs |= atoms.principal(st, at, why),
            }
        } else {
            let mut best: Option<Grant> = None;
            let mut undecided = None;
            for e in &pe.entries {
                match e.matches(&req.principal) {
                    Tri::Yes(g) => best = best.max(Some(g)),
                    Tri::Unknown(why) => undecided = Some(why),
                    Tri::No => {}
                }
            }
            match (best, undecided) {
                (Some(g), _) => grant = g,
                (None, None) => return None,
                // Only a role entry is ever unknown (the session's role path).
                (None, Some(why)) => {
                    grant = Grant::Role;
                    needs |= atoms.principal(st, at, why);
                }
            }
        }
    }
    // A policy variable with no value is "effectively null": positive operators do not
    // match it, inverted ones (`StringNotEquals`, `StringNotLike`, ...) do (IAM User Guide,
    // Policy variables, "Policy variables with no value"); `evaluate` compares that way.
    for c in &st.conditions {
        match crate::condition::truth(&c.operator, &c.key, &c.values, ctx) {
            crate::condition::Truth::True => {}
            crate::condition::Truth::False => return None,
            crate::condition::Truth::Unknown => needs |= atoms.condition(c, at),
        }
    }
    // A `"*"` grant narrowed by `aws:PrincipalArn` is not limited by a permissions boundary
    // or session policy (IAM User Guide, Principal element, "Role sessions": "Identity-based
    // policy types, such as permissions boundaries or session policies, do not limit
    // permissions granted using the aws:PrincipalArn condition key with a wildcard(*) in
    // the Principal element, unless the identity-based policies contain an explicit deny").
    if grant == Grant::Everyone
        && st.principal.as_ref().is_some_and(|p| !p.negated)
        && st.conditions.iter().any(|c| {
            c.key.eq_ignore_ascii_case("aws:PrincipalArn") && !c.operator.kind.is_negated()
        })
    {
        grant = Grant::PrincipalArn;
    }
    Some((grant, needs))
}
