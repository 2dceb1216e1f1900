//! AWS's decision logic over the statements that apply, and the words for it.
//!
//! [`judge`] decides without allocating text, so the partial evaluator can run it once
//! per combination of unknowns; [`render`] writes the reasons of the one verdict kept.

use super::partial::Atoms;
use super::{
    infer_rule, whole, Decision, Hit, PolicySet, PolicyType, Reason, ResourceRule, Response,
    Scanned,
};
use crate::principal::{Grant, RequestPrincipal};
use crate::request::Request;

/// Which statements decided: lists of [`Scanned`] whose applying hits are the reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum List {
    Identity,
    Boundary,
    Session,
    Resource,
    /// The resource policy's statements that grant on their own: not those naming the
    /// account, which only let identity policies grant ("Allows access to the AWS
    /// account and enables IAM policies", AWS KMS Developer Guide, "Default key policy":
    /// it "doesn't give any IAM users or roles permission").
    ResourceGrants,
}

/// What is missing for an Allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Missing {
    /// No Allow in this SCP level.
    ScpLevel(usize),
    /// A principal without identity policies, and no resource policy statement for it.
    NoResourceGrant,
    /// The resource policy (or key or trust policy) must allow, and does not.
    ResourceRequired(ResourceRule),
    NoIdentity,
    /// The boundary, the session policy, or both, do not allow.
    Limits {
        boundary: bool,
        federated_without_session: bool,
        session: bool,
    },
}

/// The decision, with what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    ExplicitDeny,
    Allow(&'static [List]),
    /// The root user in its own account, with nothing else to name.
    AllowWithout(&'static [List]),
    Denied(Missing),
}

impl Verdict {
    pub(super) fn decision(&self) -> Decision {
        match self {
            Verdict::ExplicitDeny => Decision::ExplicitDeny,
            Verdict::Allow(_) | Verdict::AllowWithout(_) => Decision::Allow,
            Verdict::Denied(_) => Decision::ImplicitDeny,
        }
    }
}

fn applying<'h, 'p>(
    hits: &'h [Hit<'p>],
    applies: &'h dyn Fn(&Hit) -> bool,
) -> impl Iterator<Item = &'h Hit<'p>> {
    hits.iter().filter(move |h| applies(h))
}

/// AWS's logic over the hits `applies` keeps.
pub(super) fn judge(
    s: &Scanned,
    req: &Request,
    policies: &PolicySet,
    same_account: bool,
    applies: &dyn Fn(&Hit) -> bool,
) -> Verdict {
    let p = &req.principal;
    // 1. An explicit Deny anywhere wins.
    if applying(&s.denies, applies).next().is_some() {
        return Verdict::ExplicitDeny;
    }
    // 2. SCPs must allow at every level.
    if let Some(levels) = &s.scp_allows {
        if let Some(l) = levels
            .iter()
            .position(|lv| applying(lv, applies).next().is_none())
        {
            return Verdict::Denied(Missing::ScpLevel(l));
        }
    }
    let any = |hits: &[Hit]| applying(hits, applies).next().is_some();
    let identity_ok = matches!(p, RequestPrincipal::Root { .. }) || any(&s.identity_allows);
    let boundary_ok = !s.boundary || any(&s.boundary_allows);
    // A federated user (GetFederationToken) without a session policy has no permissions:
    // "If there is no session policy ... If the principal is a role session, then the
    // request is Allowed. Otherwise, the request is implicitly denied" (IAM User Guide,
    // Policy evaluation logic); GetFederationToken: "If you do not pass a policy ..., the
    // resulting federated user session has no permissions".
    let federated_without_session =
        matches!(p, RequestPrincipal::FederatedUser { .. }) && !s.session;
    let session_ok = !federated_without_session && (!s.session || any(&s.session_allows));
    let limits = || {
        if boundary_ok && session_ok {
            None
        } else {
            Some(Missing::Limits {
                boundary: !boundary_ok,
                federated_without_session,
                session: !federated_without_session && !session_ok,
            })
        }
    };
    let best_resource = applying(&s.resource_allows, applies).map(|h| h.grant).max();
    let rule = policies.resource_rule.unwrap_or_else(|| infer_rule(req));

    // 3. Principals without identity policies: only the resource policy can grant.
    if !s.has_identity {
        return match best_resource {
            Some(_) => Verdict::Allow(&[List::Resource]),
            None => Verdict::Denied(Missing::NoResourceGrant),
        };
    }
    let resource_required = rule != ResourceRule::Standard || !same_account;
    match best_resource {
        None if resource_required => Verdict::Denied(Missing::ResourceRequired(rule)),
        // A grant straight to the user or session ARN in the same account stands on its own,
        // and so does a `"*"` grant narrowed by `aws:PrincipalArn`.
        Some(g) if same_account && matches!(g, Grant::Direct | Grant::PrincipalArn) => {
            Verdict::Allow(&[List::ResourceGrants, List::Identity])
        }
        // Granted to the role, or to everyone: boundary and session policy still limit it.
        Some(g) if same_account && g != Grant::Account => match limits() {
            None => Verdict::Allow(&[
                List::ResourceGrants,
                List::Identity,
                List::Boundary,
                List::Session,
            ]),
            Some(m) => Verdict::Denied(m),
        },
        // The account is named (delegation), or cross account: identity policies must allow too.
        best => {
            if !identity_ok {
                return Verdict::Denied(Missing::NoIdentity);
            }
            if let Some(m) = limits() {
                return Verdict::Denied(m);
            }
            let lists: &'static [List] = if best.is_some() {
                &[
                    List::Identity,
                    List::Resource,
                    List::Boundary,
                    List::Session,
                ]
            } else {
                &[List::Identity, List::Boundary, List::Session]
            };
            if matches!(p, RequestPrincipal::Root { .. }) && best.is_none() {
                Verdict::AllowWithout(lists)
            } else {
                Verdict::Allow(lists)
            }
        }
    }
}

/// The response for one verdict, with the reasons of the hits `applies` keeps.
pub(super) fn render(
    v: &Verdict,
    s: &Scanned,
    req: &Request,
    atoms: &Atoms,
    applies: &dyn Fn(&Hit) -> bool,
) -> Response {
    Response {
        decision: v.decision(),
        reasons: reasons(v, s, req, atoms, applies),
        notes: Vec::new(),
        residual: None,
    }
}

/// The reasons of a verdict: the deciding statements, or what is missing.
pub(super) fn reasons(
    v: &Verdict,
    s: &Scanned,
    req: &Request,
    atoms: &Atoms,
    applies: &dyn Fn(&Hit) -> bool,
) -> Vec<Reason> {
    if let Verdict::Denied(m) = v {
        return missing(*m, req, s);
    }
    let mut r = Vec::new();
    deciding(v, s, applies, &mut |h| r.push(h.reason(req, atoms)));
    if r.is_empty() && matches!(v, Verdict::AllowWithout(_)) {
        r.push(root_reason());
    }
    r
}

/// The reason of an Allow to the root user in its own account that no statement gives.
pub(super) fn root_reason() -> Reason {
    whole(
        PolicyType::Identity,
        None,
        "the root user has every permission in its own account".into(),
    )
}

/// Gives `each` the statements that decided, in the order of the reasons (none for a
/// verdict that names what is missing).
pub(super) fn deciding(
    v: &Verdict,
    s: &Scanned,
    applies: &dyn Fn(&Hit) -> bool,
    each: &mut dyn FnMut(&Hit),
) {
    let list = |l: List| -> &[Hit] {
        match l {
            List::Identity => &s.identity_allows,
            List::Boundary => &s.boundary_allows,
            List::Session => &s.session_allows,
            List::Resource | List::ResourceGrants => &s.resource_allows,
        }
    };
    let kept = |l: List, h: &Hit| l != List::ResourceGrants || h.grant != Grant::Account;
    match v {
        Verdict::ExplicitDeny => applying(&s.denies, applies).for_each(each),
        Verdict::Allow(lists) | Verdict::AllowWithout(lists) => {
            for &l in *lists {
                applying(list(l), applies)
                    .filter(|h| kept(l, h))
                    .for_each(&mut *each);
            }
        }
        Verdict::Denied(_) => {}
    }
}

fn missing(m: Missing, req: &Request, s: &Scanned) -> Vec<Reason> {
    let what = format!("`{}` on `{}`", req.action, req.resource);
    match m {
        Missing::ScpLevel(l) => vec![whole(
            PolicyType::Scp,
            Some(l),
            format!("no Allow in SCP level {l} for {what}"),
        )],
        Missing::NoResourceGrant => vec![whole(
            PolicyType::Resource,
            None,
            if s.resource_policy {
                format!("no statement of the resource policy allows this principal {what}")
            } else {
                format!(
                    "there is no resource policy, and a {} principal has no identity policies",
                    req.principal.principal_type()
                )
            },
        )],
        Missing::ResourceRequired(rule) => {
            let rp_words = match rule {
                ResourceRule::KeyPolicy => "key policy",
                ResourceRule::TrustPolicy => "trust policy",
                ResourceRule::Standard => "resource policy",
            };
            let why = match (rule, s.resource_policy) {
                (ResourceRule::Standard, false) => format!("cross-account request and there is no resource policy to allow {what}"),
                (ResourceRule::Standard, true) => format!("cross-account request and the resource policy does not allow the principal {what}"),
                (_, false) => format!("there is no {rp_words}, and it must allow {what} whatever the identity policies say"),
                (_, true) => format!("the {rp_words} does not allow the principal {what}, and it must, whatever the identity policies say"),
            };
            vec![whole(PolicyType::Resource, None, why)]
        }
        Missing::NoIdentity => vec![whole(
            PolicyType::Identity,
            None,
            format!("no identity-based policy allows {what}"),
        )],
        Missing::Limits {
            boundary,
            federated_without_session,
            session,
        } => {
            let mut r = Vec::new();
            if boundary {
                r.push(whole(
                    PolicyType::Boundary,
                    None,
                    format!("the permissions boundary has no Allow for {what}"),
                ));
            }
            if federated_without_session {
                r.push(whole(
                    PolicyType::Session,
                    None,
                    format!("a federated user session (GetFederationToken) without a session policy has no permissions, so nothing allows {what}"),
                ));
            } else if session {
                r.push(whole(
                    PolicyType::Session,
                    None,
                    format!("the session policy has no Allow for {what}"),
                ));
            }
            r
        }
    }
}
