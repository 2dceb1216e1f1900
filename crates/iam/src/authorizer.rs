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

use serde::Serialize;

use crate::policy::{Effect, Policy, Statement};
use crate::principal::{not_principal_excludes, Grant, RequestPrincipal, Tri};
use crate::request::Request;

mod explain;
mod rcp_services;
pub use explain::explain_statement;
pub use rcp_services::RCP_SERVICES;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
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
    /// The engine could not decide whether this Deny applies, and took it to apply
    /// (fail closed); `message` says why.
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
}

/// A statement that applied, located in the policy set.
#[derive(Debug, Clone)]
struct Hit<'p> {
    ty: PolicyType,
    level: Option<usize>,
    policy: &'p NamedPolicy,
    /// The statement, and its position in the policy.
    statement: &'p Statement,
    index: usize,
    grant: Grant,
    /// Set when the engine could not decide whether the statement applies.
    unknown: Option<String>,
}

impl Hit<'_> {
    fn statement(&self) -> &Statement {
        self.statement
    }

    fn reason(&self, req: &Request, message: String) -> Reason {
        let st = self.statement();
        let label = st.sid.clone().unwrap_or_else(|| format!("#{}", self.index));
        let level = self.level.map_or(String::new(), |l| format!("[{l}]"));
        Reason {
            policy_type: self.ty,
            policy: Some(self.policy.name.clone()),
            level: self.level,
            statement: Some(label.clone()),
            statement_index: Some(self.index),
            effect: Some(st.effect),
            statement_ref: Some(format!(
                "{}{level}:{}/{label}",
                self.ty.key(),
                self.policy.name
            )),
            undecided: self.unknown.is_some(),
            message: if message.is_empty() {
                explain_statement(self.ty.words(), &self.policy.name, st, self.index, req)
            } else {
                message
            },
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
/// When the resource's account is not known (an S3 ARN names none, and the request gave
/// no `resource_account`), the decision is made both ways: if it is the same whether the
/// resource is the principal's or another account's, that is the answer; if not, the
/// engine cannot decide and denies, saying so (it never guesses Allow). A `*` resource
/// (an action without resource-level permissions) acts in the principal's own account.
pub fn authorize(req: &Request, policies: &PolicySet) -> Response {
    let p = &req.principal;
    if req.resource_account.is_some() {
        return decide(req, policies, req.same_account());
    }
    let Some(account) = p.account() else {
        return decide(req, policies, false);
    };
    if req.resource == "*" {
        return decide(req, policies, true);
    }
    let own = decide(req, policies, true);
    if own.decision != Decision::Allow {
        return own;
    }
    let other = decide(req, policies, false);
    if other.decision == Decision::Allow {
        let mut r = own;
        r.notes.push(format!("the resource's account is not known; the request is allowed whether it is the principal's account `{account}` or another"));
        return r;
    }
    Response {
        decision: Decision::ImplicitDeny,
        reasons: vec![Reason {
            undecided: true,
            ..whole(
                PolicyType::Resource,
                None,
                format!("the resource's account is not known, and the decision depends on it: allowed if `{}` is in the principal's account `{account}`, not from another account; give `resource_account` (or `aws:ResourceAccount`)", req.resource),
            )
        }],
        notes: Vec::new(),
    }
}

fn decide(req: &Request, policies: &PolicySet, same_account: bool) -> Response {
    let p = &req.principal;
    let notes = Vec::new();
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

    let mut denies: Vec<Hit> = Vec::new();
    let mut scp_allows: Vec<Vec<Hit>> = Vec::new();
    if let Some(levels) = scps {
        for (l, level) in levels.iter().enumerate() {
            let mut allows = Vec::new();
            for np in level {
                scan(
                    PolicyType::Scp,
                    Some(l),
                    np,
                    req,
                    None,
                    &mut denies,
                    &mut allows,
                );
            }
            scp_allows.push(allows);
        }
    }
    // RCPFullAWSAccess is attached at every level and cannot be detached, so RCPs only
    // ever deny; their Allow statements change nothing (AWS Organizations, "RCP evaluation").
    if let Some(levels) = rcps {
        let mut allows = Vec::new();
        for (l, level) in levels.iter().enumerate() {
            for np in level {
                scan(
                    PolicyType::Rcp,
                    Some(l),
                    np,
                    req,
                    Some(has_boundary),
                    &mut denies,
                    &mut allows,
                );
            }
        }
    }
    let mut identity_allows = Vec::new();
    // The root user has no identity policies: it holds every permission in its account.
    if has_identity && !matches!(p, RequestPrincipal::Root { .. }) {
        for np in &policies.identity {
            scan(
                PolicyType::Identity,
                None,
                np,
                req,
                None,
                &mut denies,
                &mut identity_allows,
            );
        }
    }
    let mut boundary_allows = Vec::new();
    if let Some(np) = boundary {
        scan(
            PolicyType::Boundary,
            None,
            np,
            req,
            None,
            &mut denies,
            &mut boundary_allows,
        );
    }
    let mut session_allows = Vec::new();
    if let Some(np) = session {
        scan(
            PolicyType::Session,
            None,
            np,
            req,
            None,
            &mut denies,
            &mut session_allows,
        );
    }
    let mut resource_allows = Vec::new();
    if let Some(np) = &policies.resource {
        scan(
            PolicyType::Resource,
            None,
            np,
            req,
            Some(has_boundary),
            &mut denies,
            &mut resource_allows,
        );
    }

    // 1. An explicit Deny anywhere wins; a Deny the engine cannot rule out counts as one.
    if !denies.is_empty() {
        let reasons = denies
            .iter()
            .map(|h| match &h.unknown {
                Some(why) => h.reason(req, format!(
                    "cannot tell whether the Deny in {} `{}` statement `{}` applies ({why}), so it is taken to apply",
                    h.ty.words(),
                    h.policy.name,
                    h.statement().sid.clone().unwrap_or_else(|| format!("#{}", h.index))
                )),
                None => h.reason(req, String::new()),
            })
            .collect();
        return Response {
            decision: Decision::ExplicitDeny,
            reasons,
            notes,
        };
    }
    let deny = |reasons: Vec<Reason>, notes: Vec<String>| Response {
        decision: Decision::ImplicitDeny,
        reasons,
        notes,
    };
    let what = format!("`{}` on `{}`", req.action, req.resource);

    // 2. SCPs must allow at every level.
    if let Some(l) = scp_allows.iter().position(Vec::is_empty) {
        return deny(
            vec![whole(
                PolicyType::Scp,
                Some(l),
                format!("no Allow in SCP level {l} for {what}"),
            )],
            notes,
        );
    }

    let identity_ok = matches!(p, RequestPrincipal::Root { .. }) || !identity_allows.is_empty();
    let boundary_ok = boundary.is_none() || !boundary_allows.is_empty();
    // A federated user (GetFederationToken) without a session policy has no permissions:
    // "If there is no session policy ... If the principal is a role session, then the
    // request is Allowed. Otherwise, the request is implicitly denied" (IAM User Guide,
    // Policy evaluation logic); GetFederationToken: "If you do not pass a policy ..., the
    // resulting federated user session has no permissions".
    let federated_without_session =
        matches!(p, RequestPrincipal::FederatedUser { .. }) && session.is_none();
    let session_ok =
        !federated_without_session && (session.is_none() || !session_allows.is_empty());
    let limits = |mut reasons: Vec<Reason>| -> Result<(), Vec<Reason>> {
        if !boundary_ok {
            reasons.push(whole(
                PolicyType::Boundary,
                None,
                format!("the permissions boundary has no Allow for {what}"),
            ));
        }
        if federated_without_session {
            reasons.push(whole(
                PolicyType::Session,
                None,
                format!("a federated user session (GetFederationToken) without a session policy has no permissions, so nothing allows {what}"),
            ));
        } else if !session_ok {
            reasons.push(whole(
                PolicyType::Session,
                None,
                format!("the session policy has no Allow for {what}"),
            ));
        }
        if boundary_ok && session_ok {
            Ok(())
        } else {
            Err(reasons)
        }
    };
    let best_resource = resource_allows.iter().max_by_key(|h| h.grant);
    let rule = policies.resource_rule.unwrap_or_else(|| infer_rule(req));
    let no_identity = || {
        whole(
            PolicyType::Identity,
            None,
            format!("no identity-based policy allows {what}"),
        )
    };
    let allow_reasons = |hits: &[&Vec<Hit>]| -> Vec<Reason> {
        hits.iter()
            .flat_map(|v| v.iter())
            .map(|h| h.reason(req, String::new()))
            .collect()
    };

    // 3. Principals without identity policies: only the resource policy can grant.
    if !has_identity {
        return match best_resource {
            Some(_) => Response { decision: Decision::Allow, reasons: allow_reasons(&[&resource_allows]), notes },
            None => deny(vec![whole(PolicyType::Resource, None, match &policies.resource {
                Some(_) => format!("no statement of the resource policy allows this principal {what}"),
                None => format!("there is no resource policy, and a {} principal has no identity policies", p.principal_type()),
            })], notes),
        };
    }

    let resource_required = rule != ResourceRule::Standard || !same_account;
    let rp_words = match rule {
        ResourceRule::KeyPolicy => "key policy",
        ResourceRule::TrustPolicy => "trust policy",
        ResourceRule::Standard => "resource policy",
    };
    match best_resource {
        None if resource_required => {
            let why = match (rule, &policies.resource) {
                (ResourceRule::Standard, None) => format!("cross-account request and there is no resource policy to allow {what}"),
                (ResourceRule::Standard, Some(_)) => format!("cross-account request and the resource policy does not allow the principal {what}"),
                (_, None) => format!("there is no {rp_words}, and it must allow {what} whatever the identity policies say"),
                (_, Some(_)) => format!("the {rp_words} does not allow the principal {what}, and it must, whatever the identity policies say"),
            };
            deny(vec![whole(PolicyType::Resource, None, why)], notes)
        }
        // A grant straight to the user or session ARN in the same account stands on its own,
        // and so does a `"*"` grant narrowed by `aws:PrincipalArn`.
        Some(h) if same_account && matches!(h.grant, Grant::Direct | Grant::PrincipalArn) => {
            Response {
                decision: Decision::Allow,
                reasons: allow_reasons(&[&resource_allows, &identity_allows]),
                notes,
            }
        }
        // Granted to the role, or to everyone: boundary and session policy still limit it.
        Some(h) if same_account && h.grant != Grant::Account => match limits(Vec::new()) {
            Ok(()) => Response {
                decision: Decision::Allow,
                reasons: allow_reasons(&[
                    &resource_allows,
                    &identity_allows,
                    &boundary_allows,
                    &session_allows,
                ]),
                notes,
            },
            Err(r) => deny(r, notes),
        },
        // The account is named (delegation), or cross account: identity policies must allow too.
        best => {
            if !identity_ok {
                return deny(vec![no_identity()], notes);
            }
            match limits(Vec::new()) {
                Ok(()) => {
                    let mut hits: Vec<&Vec<Hit>> = vec![&identity_allows];
                    if best.is_some() {
                        hits.push(&resource_allows);
                    }
                    hits.push(&boundary_allows);
                    hits.push(&session_allows);
                    let mut reasons = allow_reasons(&hits);
                    if reasons.is_empty() {
                        reasons.push(whole(
                            PolicyType::Identity,
                            None,
                            "the root user has every permission in its own account".into(),
                        ));
                    }
                    Response {
                        decision: Decision::Allow,
                        reasons,
                        notes,
                    }
                }
                Err(r) => deny(r, notes),
            }
        }
    }
}

fn infer_rule(req: &Request) -> ResourceRule {
    if req.resource.starts_with("arn:")
        && req.resource.split(':').nth(2) == Some("kms")
        && req.service() == "kms"
    {
        ResourceRule::KeyPolicy
    } else if req.is_trust_action() {
        ResourceRule::TrustPolicy
    } else {
        ResourceRule::Standard
    }
}

/// Evaluates every statement of one policy, sorting the ones that apply into denies and allows.
fn scan<'p>(
    ty: PolicyType,
    level: Option<usize>,
    np: &'p NamedPolicy,
    req: &Request,
    principal_check: Option<bool>,
    denies: &mut Vec<Hit<'p>>,
    allows: &mut Vec<Hit<'p>>,
) {
    for (index, st) in np.policy.statements.iter().enumerate() {
        let (grant, unknown) = match statement_applies(st, req, principal_check) {
            Tri::No => continue,
            Tri::Yes(g) => (g, None),
            // An Allow that may not apply grants nothing; a Deny that may apply denies.
            Tri::Unknown(_) if st.effect == Effect::Allow => continue,
            Tri::Unknown(why) => (Grant::Everyone, Some(why)),
        };
        let hit = Hit {
            ty,
            level,
            policy: np,
            statement: st,
            index,
            grant,
            unknown,
        };
        match st.effect {
            Effect::Deny => denies.push(hit),
            Effect::Allow => allows.push(hit),
        }
    }
}

/// Whether one statement applies to the request. `principal_check` is `Some(has_boundary)`
/// for resource-based policies, whose statements must name the principal.
pub(crate) fn statement_applies(
    st: &Statement,
    req: &Request,
    principal_check: Option<bool>,
) -> Tri<Grant> {
    if st
        .action
        .patterns
        .iter()
        .any(|g| g.is_match_ignore_ascii_case(&req.action))
        == st.action.negated
    {
        return Tri::No;
    }
    let mut unknown = None;
    if let Some(r) = &st.resource {
        let hit = r
            .patterns
            .iter()
            .any(|t| match t.resolve(&req.context, true) {
                Some(g) => g.is_match(&req.resource),
                None => false,
            });
        // An entry whose policy variable has no value matches no resource, in `Resource`
        // and `NotResource` alike (IAM User Guide, Policy variables, "Policy variables with
        // no value"): it is left out of the match above.
        if hit == r.negated {
            return Tri::No;
        }
    }
    let mut grant = Grant::Everyone;
    if let (Some(has_boundary), Some(pe)) = (principal_check, &st.principal) {
        if pe.negated {
            match not_principal_excludes(&pe.entries, &req.principal, has_boundary) {
                Tri::Yes(()) => return Tri::No,
                Tri::No => {}
                Tri::Unknown(why) => unknown = Some(why),
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
                (None, None) => return Tri::No,
                (None, Some(why)) => unknown = Some(why),
            }
        }
    }
    // A policy variable with no value is "effectively null": positive operators do not
    // match it, inverted ones (`StringNotEquals`, `StringNotLike`, ...) do (IAM User Guide,
    // Policy variables, "Policy variables with no value"); `evaluate` compares that way.
    for c in &st.conditions {
        if !crate::condition::evaluate(&c.operator, &c.key, &c.values, &req.context).0 {
            return Tri::No;
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
    match unknown {
        Some(why) => Tri::Unknown(why),
        None => Tri::Yes(grant),
    }
}
