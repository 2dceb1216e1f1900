//! The routes of the table, request by request, for every principal of the snapshot and
//! every recovery point of a vault: the engine decides each request with the principal's
//! side (its plan: identity policies, boundary, the organization's policies) and the
//! resource's policy (the vault's, the key's, or the one a route wrote).

use std::collections::BTreeMap;

use serde_json::Value;
use vaultward_iam::{Decision, NamedPolicy, PolicyKind, Response};
use vaultward_snapshot::{Collected, RecoveryPoint, Snapshot, Vault, VaultLockMode};

use super::routes::{RouteCtx, RouteOutcome};
use super::table::{self, Question, Route};
use super::{
    escalate, external, Answer, Exposed, PrincipalKind, Refused, Status, Taken, TypeExposure,
    Unsettled, VaultExposure,
};
use crate::audit::PathStep;
use crate::check::{resource_policy, CheckOptions, Plan, RequestFacts, Where};

/// Yes, no, or not known (and why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tri {
    Yes,
    No,
    Unknown(String),
}

/// The key a recovery point is encrypted under, as the snapshot says it.
#[derive(Debug, Clone)]
pub(super) enum KeyState {
    Unencrypted,
    Customer {
        arn: String,
        policy: Result<Option<NamedPolicy>, String>,
        /// Its key material was imported (`Some(true)`), or not known.
        imported: Option<bool>,
    },
    AwsManaged {
        arn: String,
    },
    Unknown(String),
}

/// The Vault Lock, as far as the routes care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Lock {
    None,
    /// Governance mode, or compliance mode in its grace time.
    Removable,
    /// Compliance mode after its lock date.
    Immutable,
    Unknown(String),
}

/// One request's outcome.
pub(super) enum Outcome {
    Allowed(PathStep),
    Possible(PathStep, String),
    /// Denied: explicitly (a Deny statement, which no other policy can lift) or implicitly
    /// (no statement allows).
    Denied {
        explicit: bool,
    },
}

/// A principal of the snapshot with its plan (or why it has none).
pub(super) struct Principal<'s> {
    pub arn: String,
    pub kind: PrincipalKind,
    pub plan: Result<Plan<'s>, String>,
}

pub(super) struct Evaluator<'s> {
    pub s: &'s Snapshot,
    pub facts: &'s RequestFacts,
    pub principals: Vec<Principal<'s>>,
    /// Each role of the export with its trust policy (`Err`: it could not be read).
    trusts: Vec<(String, Result<Value, ()>)>,
    /// Whether another account may already use a key, by key ARN.
    key_outside: BTreeMap<String, Tri>,
    /// Every role of the export.
    pub(super) all_roles: Vec<String>,
    pub at: i64,
    pub notes: Vec<String>,
    /// Only AWS Backup's API reaches the recovery points (`vaultward serve`'s vaults).
    pub backup_api_only: bool,
    pub(super) escalation: escalate::Graph,
}

/// The account that stands for every other account in a request (a copy's destination).
pub(super) const OTHER_ACCOUNT_ID: &str = "999999999999";

/// The snapshot's principals: each role and user of the IAM export, and the root user
/// (unless it makes no request: `vaultward serve` without root keys).
pub fn principals(s: &Snapshot, root: bool) -> Vec<(String, PrincipalKind)> {
    let mut out = Vec::new();
    let list = |key: &str| -> Vec<String> {
        s.iam
            .as_ref()
            .and_then(|i| i.get(key))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("Arn").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    out.extend(
        list("RoleDetailList")
            .into_iter()
            .map(|a| (a, PrincipalKind::Role)),
    );
    out.extend(
        list("UserDetailList")
            .into_iter()
            .map(|a| (a, PrincipalKind::User)),
    );
    if root {
        out.push((
            format!("arn:aws:iam::{}:root", s.account_id),
            PrincipalKind::Root,
        ));
    }
    out
}

/// The options of each principal's plan, in [`principals`]' order.
pub fn plan_options(s: &Snapshot, facts: &RequestFacts, root: bool) -> Vec<CheckOptions> {
    options_for(&principals(s, root), facts)
}

/// The options of each plan of `list`, in its order.
pub(super) fn options_for(
    list: &[(String, PrincipalKind)],
    facts: &RequestFacts,
) -> Vec<CheckOptions> {
    list.iter()
        .map(|(arn, _)| {
            let mut o = CheckOptions::new(arn, Default::default(), Default::default());
            o.facts = facts.clone();
            o
        })
        .collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What would settle an undecided request, from the engine's residual.
pub(super) fn settle(r: &Response) -> String {
    let deps: Vec<String> = r
        .residual
        .iter()
        .flat_map(|x| &x.depends_on)
        .map(|d| {
            let by = if d.settled_by.is_empty() {
                d.keys.join(", ")
            } else {
                d.settled_by.join("; ")
            };
            format!("whether {} ({by})", d.words(true))
        })
        .collect();
    if deps.is_empty() {
        r.reasons
            .first()
            .map(|x| x.message.clone())
            .unwrap_or_else(|| "a value the snapshot does not hold".into())
    } else {
        deps.join("; ")
    }
}

/// A document as a policy of `kind`, named `name`.
pub(super) fn policy(doc: Value, name: &str, kind: PolicyKind) -> Option<NamedPolicy> {
    resource_policy(&Collected::Document(doc), name, name, kind)
        .ok()
        .flatten()
}

impl<'s> Evaluator<'s> {
    pub fn new(
        s: &'s Snapshot,
        facts: &'s RequestFacts,
        opts: &'s [CheckOptions],
        root: bool,
    ) -> Self {
        Self::with(s, facts, opts, principals(s, root))
    }

    /// An evaluator of `list`'s principals only, `opts` their plans' options in order.
    pub(super) fn with(
        s: &'s Snapshot,
        facts: &'s RequestFacts,
        opts: &'s [CheckOptions],
        list: Vec<(String, PrincipalKind)>,
    ) -> Self {
        let principals = list
            .into_iter()
            .zip(opts)
            .map(|((arn, kind), o)| Principal {
                arn,
                kind,
                plan: Plan::new(s, o).map_err(|e| e.to_string()),
            })
            .collect();
        let roles: Vec<&Value> = s
            .iam
            .as_ref()
            .and_then(|i| i.get("RoleDetailList"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .collect();
        let arn = |r: &Value| r.get("Arn").and_then(Value::as_str).map(str::to_string);
        let trusts = roles
            .iter()
            .filter_map(|r| {
                let arn = arn(r)?;
                let t = r.get("AssumeRolePolicyDocument")?;
                Some((arn, crate::check::docs_json(t).ok_or(())))
            })
            .collect();
        let all_roles = roles.iter().filter_map(|r| arn(r)).collect();
        Evaluator {
            s,
            facts,
            principals,
            trusts,
            all_roles,
            key_outside: BTreeMap::new(),
            at: facts.at.unwrap_or_else(now_ms),
            notes: Vec::new(),
            backup_api_only: false,
            escalation: escalate::Graph::default(),
        }
    }

    /// The roles `service` may assume (what a restore, copy or export passes to it), each
    /// with a doubt when its trust policy could not be read.
    pub(super) fn roles_trusting(&self, service: &str) -> Vec<(String, Option<String>)> {
        self.trusts
            .iter()
            .filter_map(|(arn, t)| match t {
                Ok(t) => crate::audit::trusts_service(t, service).then(|| (arn.clone(), None)),
                Err(()) => Some((
                    arn.clone(),
                    Some(format!("the trust policy of `{arn}` could not be read: whether `{service}` may assume it is not known")),
                )),
            })
            .collect()
    }

    /// Whether another account may already use customer managed key `arn`: its key policy
    /// allows it (the solver's question), or one of its grants names a principal of
    /// another account. Grants not collected leave it unknown.
    pub(super) fn usable_outside(&mut self, arn: &str) -> Tri {
        if let Some(t) = self.key_outside.get(arn) {
            return t.clone();
        }
        let t = external::key_usable_outside(self.s, arn);
        self.key_outside.insert(arn.to_string(), t.clone());
        t
    }

    pub fn principal_count(&self) -> usize {
        self.principals.len()
    }

    pub fn requests(&self) -> usize {
        self.principals
            .iter()
            .filter_map(|p| p.plan.as_ref().ok())
            .map(Plan::requests)
            .sum::<usize>()
            + self.escalation.requests
    }

    pub fn notes(&self) -> Vec<String> {
        let mut n = self.notes.clone();
        let org = self.s.organization.as_ref();
        // `vaultward serve` has no organization policies to collect.
        if !self.backup_api_only && org.is_none_or(|o| o.policies_not_collected.is_some()) {
            n.push("the organization's SCPs and RCPs are not in the snapshot: a principal listed here may still be stopped by one (they only deny, so none is missed)".into());
        }
        n.sort();
        n.dedup();
        n
    }

    /// The vault's lock, at the time of the requests.
    pub(super) fn lock(&self, v: &Vault) -> Lock {
        match &v.lock {
            None => Lock::Unknown(
                v.not_collected
                    .get("lock")
                    .map(|e| format!("the vault's lock configuration was not collected: {e}"))
                    .unwrap_or_else(|| "the vault's lock configuration was not collected".into()),
            ),
            Some(l) if !l.locked => Lock::None,
            Some(l) => match (l.mode, &l.lock_date) {
                (Some(VaultLockMode::Compliance), Some(d)) => {
                    match vaultward_iam::condition::parse_date(d) {
                        Some(ms) if ms <= self.at => Lock::Immutable,
                        Some(_) => Lock::Removable,
                        None => Lock::Unknown(format!("the lock date `{d}` is not a date")),
                    }
                }
                _ => Lock::Removable,
            },
        }
    }

    /// The key of a recovery point: its own, else (fully managed types) the vault's.
    pub(super) fn key(&self, rp: &RecoveryPoint, v: &Vault, fully_managed: bool) -> KeyState {
        // A key ARN says it is encrypted, whatever `IsEncrypted` says.
        if rp.is_encrypted == Some(false) && rp.encryption_key_arn.is_none() {
            return KeyState::Unencrypted;
        }
        let arn = rp.encryption_key_arn.clone().or_else(|| {
            fully_managed
                .then(|| v.encryption_key_arn.clone())
                .flatten()
        });
        let Some(arn) = arn else {
            return KeyState::Unknown(match rp.is_encrypted {
                Some(true) => format!("the key of `{}` was not collected", rp.arn),
                _ => format!("whether `{}` is encrypted was not collected", rp.arn),
            });
        };
        match self.s.key(&arn) {
            None if arn.contains(":alias/aws/") => KeyState::AwsManaged { arn },
            None => KeyState::Unknown(format!(
                "key `{arn}` is not in the snapshot's `kms_keys` (its policy decides who may use or delete it)"
            )),
            Some(k) if k.manager.as_deref() == Some("AWS") => KeyState::AwsManaged {
                arn: k.arn.clone(),
            },
            Some(k) => KeyState::Customer {
                arn: k.arn.clone(),
                imported: k.origin.as_deref().map(|o| o == "EXTERNAL"),
                policy: resource_policy(
                    &k.policy,
                    &format!("key policy of {}", k.arn),
                    &format!("the key policy of `{}`", k.arn),
                    PolicyKind::Key,
                ),
            },
        }
    }

    /// One request by principal `i`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one request's parts, each distinct"
    )]
    pub(super) fn request(
        &mut self,
        i: usize,
        action: &str,
        resource: &str,
        context: &[(String, String)],
        rp: Option<&NamedPolicy>,
        via: Option<&str>,
        region: &str,
    ) -> Outcome {
        let account = self.s.account_id.clone();
        let Some(p) = self.principals.get_mut(i) else {
            return Outcome::Denied { explicit: false };
        };
        let unreadable = match &p.plan {
            Ok(plan) => plan.role_unreadable(),
            Err(e) => vec![e.clone()],
        };
        let is_root = p.kind == PrincipalKind::Root;
        let step = |r: Option<&Response>| PathStep {
            action: action.to_string(),
            resource: resource.to_string(),
            context: context.iter().cloned().collect(),
            allowed_by: r
                .map(|r| {
                    r.reasons
                        .iter()
                        .filter(|x| x.effect == Some(vaultward_iam::policy::Effect::Allow))
                        .map(|x| x.statement_ref.clone().unwrap_or_else(|| x.message.clone()))
                        .collect::<Vec<String>>()
                })
                .unwrap_or_default()
                .into_iter()
                .chain(
                    is_root.then(|| "the root user (every permission of its account)".to_string()),
                )
                .collect(),
            principal: None,
            depends_on: None,
        };
        let Ok(plan) = &mut p.plan else {
            return Outcome::Possible(step(None), unreadable.join("; "));
        };
        let at = Where {
            region: Some(region),
            via,
            tags: None,
        };
        match plan.decide(action, resource, &account, context, rp, at) {
            Ok(r) if r.decision == Decision::Allow => Outcome::Allowed(step(Some(&r))),
            Ok(r) if r.decision == Decision::Undecided => {
                let why = settle(&r);
                let mut st = step(Some(&r));
                st.depends_on = Some(why.clone());
                Outcome::Possible(st, why)
            }
            // An implicit denial by a principal whose policies could not all be read.
            Ok(r) if !unreadable.is_empty() && r.decision != Decision::ExplicitDeny => {
                Outcome::Possible(
                    step(None),
                    format!(
                        "the principal's policies could not all be read: {}",
                        unreadable.join("; ")
                    ),
                )
            }
            Ok(r) => Outcome::Denied {
                explicit: r.decision == Decision::ExplicitDeny,
            },
            Err(e) => Outcome::Possible(step(None), e),
        }
    }

    /// One request under a resource policy that may not have been collected (`Err`, with
    /// why): then only an explicit denial of the principal's side decides it; anything
    /// else is possible, since the policy not read may allow (a resource policy grants
    /// principals of its own account) or deny.
    #[expect(
        clippy::too_many_arguments,
        reason = "one request's parts, each distinct"
    )]
    pub(super) fn request_under(
        &mut self,
        i: usize,
        action: &str,
        resource: &str,
        context: &[(String, String)],
        rp: &Result<Option<NamedPolicy>, String>,
        via: Option<&str>,
        region: &str,
    ) -> Outcome {
        match rp {
            Ok(p) => self.request(i, action, resource, context, p.as_ref(), via, region),
            Err(why) => match self.request(i, action, resource, context, None, via, region) {
                Outcome::Allowed(mut st) | Outcome::Possible(mut st, _) => {
                    st.depends_on = Some(why.clone());
                    Outcome::Possible(st, why.clone())
                }
                Outcome::Denied { explicit: true } => Outcome::Denied { explicit: true },
                Outcome::Denied { explicit: false } => Outcome::Possible(
                    PathStep {
                        action: action.to_string(),
                        resource: resource.to_string(),
                        context: context.iter().cloned().collect(),
                        allowed_by: Vec::new(),
                        principal: None,
                        depends_on: Some(why.clone()),
                    },
                    why.clone(),
                ),
            },
        }
    }

    /// Answers the three questions for one vault.
    pub fn vault(&mut self, v: &Vault) -> VaultExposure {
        let mut not_collected: Vec<String> = v
            .not_collected
            .iter()
            .map(|(k, e)| format!("`{k}`: {e}"))
            .collect();
        if self.s.not_collected.contains_key("recovery_points") {
            not_collected.push("the snapshot's `recovery_points` were not collected".into());
        }
        let lock = self.lock(v);
        let mut by_type: BTreeMap<String, Vec<&'s RecoveryPoint>> = BTreeMap::new();
        let s = self.s;
        for rp in s.recovery_points.iter().filter(|r| r.vault_arn == v.arn) {
            let t = rp.resource_type.clone().unwrap_or_else(|| "unknown".into());
            by_type.entry(t).or_default().push(rp);
        }
        let mut types = Vec::new();
        for (t, rps) in by_type {
            types.push(self.resource_type(v, &lock, &t, &rps));
        }
        VaultExposure {
            name: v.name.clone(),
            arn: v.arn.clone(),
            lock: super::render::lock_words(v, &lock),
            types,
            not_collected,
        }
    }

    fn resource_type(
        &mut self,
        v: &Vault,
        lock: &Lock,
        t: &str,
        rps: &[&RecoveryPoint],
    ) -> TypeExposure {
        let first = rps.first().map(|r| r.arn.as_str()).unwrap_or_default();
        let row = table::row(t, first).filter(|_| !self.backup_api_only);
        let arn_service = match first.split(':').nth(2) {
            Some(s) if !self.backup_api_only => s,
            _ => "backup",
        };
        let fully_managed = arn_service == "backup";
        let mut routes: Vec<&'static Route> = table::BACKUP_ROUTES.iter().collect();
        if !self.backup_api_only {
            routes.extend(table::KEY_ROUTES);
        }
        if let Some(r) = row {
            routes.extend(r.routes);
        }
        let region = v.arn.split(':').nth(3).unwrap_or("us-east-1").to_string();
        let vault_policy = resource_policy(
            &v.access_policy,
            &format!("vault access policy of {}", v.name),
            &format!("the vault access policy of `{}`", v.name),
            PolicyKind::Vault,
        );
        // `vaultward serve` encrypts with its own key, which no principal can reach.
        let keys: Vec<KeyState> = rps
            .iter()
            .map(|rp| match &v.encryption_key_arn {
                Some(k) if self.backup_api_only => KeyState::AwsManaged { arn: k.clone() },
                _ => self.key(rp, v, fully_managed),
            })
            .collect();
        let ctx = RouteCtx {
            vault: v,
            lock,
            region: &region,
            vault_policy: &vault_policy,
        };
        let mut answers: Vec<Answer> = Vec::new();
        for q in [Question::Destroy, Question::Read] {
            let mut a = Answer::empty(q);
            for i in 0..self.principals.len() {
                self.principal_answer(i, &ctx, rps, &keys, &routes, q, &mut a);
                self.refusals(i, &ctx, rps, &keys, row, &mut a);
            }
            answers.push(a);
        }
        external::answer(self, &ctx, rps, &keys, row.is_some(), &mut answers);
        if row.is_none() && !fully_managed {
            if let Some(read) = answers.iter_mut().find(|a| a.question == Question::Read) {
                read.unknown.push(Unsettled {
                    principal: "any principal with access to the service".into(),
                    code: "service-api".into(),
                    settle: format!("recovery points of type `{t}` are `{arn_service}` resources: which of that service's actions reach them is not in Vaultward's table"),
                });
            }
        }
        let change = escalate::answer(self, &ctx, rps, &keys, &routes, &answers);
        answers.push(change);
        for a in &mut answers {
            a.principals.sort_by(|x, y| x.principal.cmp(&y.principal));
            a.status = if !a.principals.is_empty() {
                Status::Exposed
            } else if !a.unknown.is_empty() {
                Status::Unknown
            } else {
                Status::None
            };
        }
        TypeExposure {
            resource_type: t.to_string(),
            recovery_points: rps.len(),
            fully_managed,
            service: (!fully_managed).then(|| arn_service.to_string()),
            protects: {
                let mut p = super::render::protects(v, lock, fully_managed, arn_service, &keys);
                if self.backup_api_only {
                    p.insert(0, "held by `vaultward serve`: only its AWS Backup API reaches them, under its own encryption".into());
                }
                p
            },
            answers,
        }
    }

    /// Principal `i`'s routes for question `q`: the first recovery point each route
    /// reaches, else the first it may reach.
    #[expect(
        clippy::too_many_arguments,
        reason = "the route's inputs, each distinct"
    )]
    pub(super) fn principal_answer(
        &mut self,
        i: usize,
        ctx: &RouteCtx<'_>,
        rps: &[&RecoveryPoint],
        keys: &[KeyState],
        routes: &[&'static Route],
        q: Question,
        a: &mut Answer,
    ) {
        let mut taken: Vec<Taken> = Vec::new();
        let mut possible: Vec<Unsettled> = Vec::new();
        for route in routes.iter().filter(|r| r.question == q) {
            if taken.iter().any(|t| t.code == route.code) {
                continue;
            }
            for (rp, key) in rps.iter().zip(keys) {
                match self.route(i, ctx, route, rp, key) {
                    RouteOutcome::Allowed(steps) => {
                        taken.push(Taken {
                            code: route.code.into(),
                            title: route.title.into(),
                            recovery_point: rp.arn.clone(),
                            steps,
                            chain: Vec::new(),
                            hint: route.hint.into(),
                        });
                        break;
                    }
                    RouteOutcome::Possible(why) => {
                        if !possible.iter().any(|u| u.code == route.code) {
                            possible.push(Unsettled {
                                principal: self.principals[i].arn.clone(),
                                code: route.code.into(),
                                settle: why,
                            });
                        }
                    }
                    RouteOutcome::Closed => {}
                }
            }
        }
        let p = &self.principals[i];
        if !taken.is_empty() {
            a.principals.push(Exposed {
                principal: p.arn.clone(),
                kind: p.kind,
                routes: taken,
            });
        } else {
            a.unknown.extend(possible);
        }
    }

    /// Requests the policies allow and a service refuses: listed so that no one reads
    /// them as holes.
    fn refusals(
        &mut self,
        i: usize,
        ctx: &RouteCtx<'_>,
        rps: &[&RecoveryPoint],
        keys: &[KeyState],
        row: Option<&'static table::TypeRow>,
        a: &mut Answer,
    ) {
        let arn = self.principals[i].arn.clone();
        let (Some(rp), Some(key)) = (rps.first(), keys.first()) else {
            return;
        };
        // Listed under the question it would answer, when it applies to the point.
        for r in row.map(|r| r.refused).unwrap_or_default() {
            let applies = match r.when {
                table::Gate::AwsManagedKey => matches!(key, KeyState::AwsManaged { .. }),
                _ => true,
            };
            if r.question != a.question || !applies {
                continue;
            }
            if let Outcome::Allowed(_) =
                self.request(i, r.action, &rp.arn, &[], None, None, ctx.region)
            {
                a.refused.push(Refused {
                    principal: arn.clone(),
                    action: r.action.into(),
                    why: r.why.into(),
                    source: r.source.into(),
                });
            }
        }
        if a.question != Question::Destroy {
            return;
        }
        // A lock that stands: deleting is allowed by the policies and refused by it (not
        // said of a principal that removes a removable lock first: it is listed).
        let listed = a.principals.last().is_some_and(|p| p.principal == arn);
        if matches!(ctx.lock, Lock::Removable | Lock::Immutable) && !listed {
            let vp = ctx.vault_policy.as_ref().ok().cloned().flatten();
            if let Outcome::Allowed(_) = self.request(
                i,
                "backup:DeleteRecoveryPoint",
                &rp.arn,
                &[],
                vp.as_ref(),
                None,
                ctx.region,
            ) {
                a.refused.push(Refused {
                    principal: arn.clone(),
                    action: table::LOCKED.action.into(),
                    why: table::LOCKED.why.into(),
                    source: table::LOCKED.source.into(),
                });
            }
        }
        if let (KeyState::AwsManaged { arn: key }, false) = (key, self.backup_api_only) {
            if let Outcome::Allowed(_) = self.request(
                i,
                "kms:ScheduleKeyDeletion",
                key,
                &[],
                None,
                None,
                ctx.region,
            ) {
                a.refused.push(Refused {
                    principal: arn,
                    action: "kms:ScheduleKeyDeletion".into(),
                    why: "an AWS managed key cannot be deleted or disabled, nor its policy changed, by anyone".into(),
                    source: "https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key".into(),
                });
            }
        }
    }
}
