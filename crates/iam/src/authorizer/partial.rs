//! Deciding with unknowns: the combinations of what is unknown that can happen, each
//! judged as AWS would, and the answer decided only when they agree.
//!
//! The unknowns ("atoms") are the conditions the engine could not evaluate, statements
//! whose `Resource` or principal depends on an unknown, and whether the resource is in
//! the principal's account. One condition written the same way in several statements is
//! one atom, so statements that rise and fall together are judged together. A
//! combination is left out only when it is impossible: the conditions on one key ask for
//! truth values no value of the key gives them ([`crate::condition::truth_vectors`]).
//! Keys are taken as independent of one another, which can only add combinations, so a
//! decided answer never depends on a guess.
//!
//! When there are too many unknowns to combine, the answer rests on monotonicity: a
//! statement that may apply can only add a Deny or an Allow, so the most permissive case
//! (every uncertain Allow applies, no uncertain Deny) and the least permissive bound every
//! other.

use super::judge::{judge, reasons, Verdict};
use super::residual::{self, Dependency, DependencyKind, Literal, Residual, ResidualCase};
use super::{
    scan, whole, Decision, Hit, NamedPolicy, PolicySet, PolicyType, Reason, Response, Scanned,
};
use crate::context::ContextValue;
use crate::policy::{Condition, Effect, Statement};
use crate::request::Request;

/// At most this many unknowns are combined (2^12 judgements); beyond, the bounds decide.
const MAX_COMBINED: u32 = 12;
/// At most this many unknowns get a minimal formula in the residual.
const MAX_FORMULA: u32 = 10;
/// Reasons are gathered from at most this many combinations per decision.
const REASON_SAMPLES: usize = 8;

/// One unknown the decision may depend on.
#[derive(Debug)]
pub(super) struct Atom<'p> {
    kind: AtomKind<'p>,
    /// The statements it appears in, as `statement_ref`s.
    statements: Vec<String>,
    /// The first statement's policy type, for the residual's reason.
    first: PolicyType,
}

#[derive(Debug)]
enum AtomKind<'p> {
    Condition(&'p Condition),
    Resource {
        statement: &'p Statement,
        negated: bool,
    },
    Principal {
        statement: &'p Statement,
        why: String,
    },
    ResourceAccount,
}

/// The unknowns met while scanning a request, one bit each.
#[derive(Debug, Default)]
pub(super) struct Atoms<'p> {
    list: Vec<Atom<'p>>,
    /// More than 63 unknowns: their bits are not all distinct, so only the bounds decide.
    overflow: bool,
}

/// Where a statement is: its policy's type, its SCP or RCP level, the policy, its index.
pub(super) type At<'p> = (PolicyType, Option<usize>, &'p NamedPolicy, usize);

fn statement_ref(at: At<'_>) -> String {
    let (ty, level, np, index) = at;
    let label = np
        .policy
        .statements
        .get(index)
        .and_then(|s| s.sid.clone())
        .unwrap_or_else(|| format!("#{index}"));
    let level = level.map_or(String::new(), |l| format!("[{l}]"));
    format!("{}{level}:{}/{label}", ty.key(), np.name)
}

impl<'p> Atoms<'p> {
    fn add(&mut self, kind: AtomKind<'p>, same: impl Fn(&AtomKind<'p>) -> bool, at: At<'p>) -> u64 {
        let sref = statement_ref(at);
        let i = match self.list.iter().position(|a| same(&a.kind)) {
            Some(i) => i,
            None => {
                self.list.push(Atom {
                    kind,
                    statements: Vec::new(),
                    first: at.0,
                });
                self.list.len().saturating_sub(1)
            }
        };
        if let Some(a) = self.list.get_mut(i) {
            if !a.statements.contains(&sref) {
                a.statements.push(sref);
            }
        }
        bit(i).unwrap_or_else(|| {
            self.overflow = true;
            1 << 63
        })
    }

    pub(super) fn condition(&mut self, c: &'p Condition, at: At<'p>) -> u64 {
        self.add(
            AtomKind::Condition(c),
            |k| matches!(k, AtomKind::Condition(o) if o.operator == c.operator && o.key.eq_ignore_ascii_case(&c.key) && o.values == c.values),
            at,
        )
    }

    pub(super) fn resource(&mut self, st: &'p Statement, at: At<'p>, negated: bool) -> u64 {
        self.add(
            AtomKind::Resource {
                statement: st,
                negated,
            },
            |k| matches!(k, AtomKind::Resource { statement, .. } if std::ptr::eq(*statement, st)),
            at,
        )
    }

    pub(super) fn principal(&mut self, st: &'p Statement, at: At<'p>, why: String) -> u64 {
        self.add(
            AtomKind::Principal { statement: st, why },
            |k| matches!(k, AtomKind::Principal { statement, .. } if std::ptr::eq(*statement, st)),
            at,
        )
    }

    fn resource_account(&mut self) -> u64 {
        self.list.push(Atom {
            kind: AtomKind::ResourceAccount,
            statements: Vec::new(),
            first: PolicyType::Resource,
        });
        bit(self.list.len().saturating_sub(1)).unwrap_or(0)
    }

    /// "`aws:SourceIp` (IpAddress `192.0.2.0/24`)" for the atoms of `needs`.
    pub(super) fn describe_needs(&self, needs: u64) -> String {
        let parts: Vec<String> = self
            .list
            .iter()
            .enumerate()
            .filter(|(i, _)| bit(*i).is_some_and(|b| needs & b != 0))
            .map(|(_, a)| match &a.kind {
                AtomKind::Condition(c) => format!(
                    "`{} {}` on a value that is not known",
                    c.operator.name(),
                    c.key
                ),
                AtomKind::Resource { .. } => {
                    "its `Resource`, which names a policy variable whose value is not known".into()
                }
                AtomKind::Principal { why, .. } => format!("its principal ({why})"),
                AtomKind::ResourceAccount => "the resource's account".into(),
            })
            .collect();
        if parts.is_empty() {
            "unknown values".into()
        } else {
            parts.join(" and ")
        }
    }
}

fn bit(i: usize) -> Option<u64> {
    u32::try_from(i).ok().filter(|i| *i < 63).map(|i| 1u64 << i)
}

/// One way the request can be: the resource in the principal's account or not, and the
/// request as it is then.
pub(super) type Scenario<'r> = (bool, &'r Request);

/// Decides `req` with its unknowns: in each scenario (one, or two when the resource's
/// account is unknown), every combination of unknowns that can happen.
pub(super) fn decide(req: &Request, policies: &PolicySet, scenarios: &[Scenario<'_>]) -> Response {
    let mut atoms = Atoms::default();
    let ra = if scenarios.len() > 1 {
        atoms.resource_account()
    } else {
        0
    };
    let scans: Vec<(bool, &Request, Scanned)> = scenarios
        .iter()
        .map(|(same, r)| (*same, *r, scan(r, policies, &mut atoms)))
        .collect();
    let used = scans
        .iter()
        .flat_map(|(_, _, s)| s.hits().map(|h| h.needs))
        .fold(ra, |a, n| a | n);
    // The own-account scenario comes first; the atom `ra` holds in it.
    let pick = |w: u64| {
        if ra != 0 && w & ra == 0 {
            scans.get(1)
        } else {
            scans.first()
        }
    };
    if atoms.overflow || used.count_ones() > MAX_COMBINED {
        return bounded(req, policies, &scans, &atoms, used);
    }
    let bits: Vec<u64> = (0..63).filter_map(bit).filter(|b| used & b != 0).collect();
    let feasible = Feasibility::new(&atoms, &scans, &bits);
    // Every combination of the used atoms, as a world of bits; `local` indexes `bits`.
    let mut worlds: Vec<(u64, u64, Verdict)> = Vec::new();
    for local in 0..(1u64 << bits.len()) {
        let w = spread(local, &bits);
        let scenario = if ra != 0 { usize::from(w & ra == 0) } else { 0 };
        if !feasible.allows(scenario, local) {
            continue;
        }
        let Some((same, r, s)) = pick(w) else {
            continue;
        };
        let applies = |h: &Hit| h.needs & !w == 0;
        worlds.push((local, w, judge(s, r, policies, *same, &applies)));
    }
    if worlds.is_empty() {
        // No combination was found possible: the candidate values missed them all, which
        // must not make anything decided.
        return bounded(req, policies, &scans, &atoms, used);
    }
    let mut decisions: Vec<Decision> = worlds.iter().map(|(_, _, v)| v.decision()).collect();
    decisions.sort();
    decisions.dedup();
    let decision = match decisions.as_slice() {
        [d] => *d,
        ds if ds.contains(&Decision::Allow) => Decision::Undecided,
        _ => Decision::ImplicitDeny,
    };
    // Reasons: when the statements that apply whatever the unknowns are decide alone,
    // they are the reasons; otherwise the deciding statements of a few combinations of
    // each decision.
    let certain = |h: &Hit| h.needs == 0;
    if decisions.len() == 1 {
        let alone: Vec<Vec<Reason>> = scans
            .iter()
            .filter(|(same, _, _)| ra == 0 || worlds.iter().any(|(_, w, _)| (w & ra != 0) == *same))
            .map(|(same, r, s)| {
                let v = judge(s, r, policies, *same, &certain);
                if v.decision() == decision {
                    reasons(&v, s, r, &atoms, &certain)
                } else {
                    Vec::new()
                }
            })
            .collect();
        if !alone.is_empty() && alone.iter().all(|r| !r.is_empty()) {
            let mut out: Vec<Reason> = Vec::new();
            for r in alone.into_iter().flatten() {
                if !out
                    .iter()
                    .any(|o| o.statement_ref == r.statement_ref && o.message == r.message)
                {
                    out.push(r);
                }
            }
            let notes = if scans.len() > 1 {
                vec![format!(
                    "the resource's account is not known; the request is {} whether it is the principal's account `{}` or another",
                    if decision == Decision::Allow { "allowed" } else { "denied" },
                    req.principal.account().unwrap_or_default()
                )]
            } else {
                Vec::new()
            };
            return Response {
                decision,
                reasons: out,
                notes,
                residual: None,
            };
        }
    }
    let mut out: Vec<Reason> = Vec::new();
    let push = |r: Reason, out: &mut Vec<Reason>| {
        if !out
            .iter()
            .any(|o| o.statement_ref == r.statement_ref && o.message == r.message)
        {
            out.push(r);
        }
    };
    for d in &decisions {
        for (_, w, v) in worlds
            .iter()
            .filter(|(_, _, v)| v.decision() == *d)
            .take(REASON_SAMPLES)
        {
            let Some((_, r, s)) = pick(*w) else {
                continue;
            };
            let w = *w;
            let applies = move |h: &Hit| h.needs & !w == 0;
            for reason in reasons(v, s, r, &atoms, &applies) {
                push(reason, &mut out);
            }
        }
    }
    let residual = (decisions.len() > 1).then(|| {
        let cases = if bits.len() as u32 <= MAX_FORMULA {
            let on = |d: Decision| -> Vec<u64> {
                worlds
                    .iter()
                    .filter(|(_, _, v)| v.decision() == d)
                    .map(|(l, _, _)| *l)
                    .collect()
            };
            let possible: Vec<u64> = worlds.iter().map(|(l, _, _)| *l).collect();
            decisions
                .iter()
                .map(|d| (*d, residual::minimal_cover(&on(*d), &possible, bits.len())))
                .collect()
        } else {
            Vec::new()
        };
        build_residual(&atoms, &bits, cases, req)
    });
    let mut reasons = out;
    if let Some(res) = &residual {
        let first = res
            .depends_on
            .first()
            .map_or(PolicyType::Identity, |d| d.policy_type);
        let mut summary = whole(first, None, residual::summary(res, decision));
        summary.undecided = true;
        reasons.insert(0, summary);
    }
    let notes = if scans.len() > 1 && decision != Decision::Undecided && residual.is_none() {
        vec![format!(
            "the resource's account is not known; the request is {} whether it is the principal's account `{}` or another",
            if decision == Decision::Allow { "allowed" } else { "denied" },
            req.principal.account().unwrap_or_default()
        )]
    } else {
        Vec::new()
    };
    Response {
        decision,
        reasons,
        notes,
        residual,
    }
}

/// The bits of `local` placed on the atoms' own bits.
fn spread(local: u64, bits: &[u64]) -> u64 {
    bits.iter()
        .enumerate()
        .filter(|(i, _)| local >> i & 1 == 1)
        .fold(0, |w, (_, b)| w | b)
}

/// Which combinations of atoms can happen: per scenario, per unknown key, the truth
/// values its conditions can take together.
struct Feasibility {
    /// Per scenario: (mask of local bits of the key's atoms, the local vectors it can
    /// take, whether that list is complete).
    per_scenario: Vec<Vec<(u64, Vec<u64>, bool)>>,
}

impl Feasibility {
    fn new(atoms: &Atoms, scans: &[(bool, &Request, Scanned)], bits: &[u64]) -> Feasibility {
        let per_scenario = scans
            .iter()
            .map(|(_, r, _)| {
                let ctx = &r.context;
                // Condition atoms on an unknown key with known values, grouped by key.
                let mut groups: Vec<(String, Vec<(usize, &Condition)>)> = Vec::new();
                for (local, b) in bits.iter().enumerate() {
                    let Some(i) = (0..63).position(|i| bit(i) == Some(*b)) else {
                        continue;
                    };
                    let Some(Atom {
                        kind: AtomKind::Condition(c),
                        ..
                    }) = atoms.list.get(i)
                    else {
                        continue;
                    };
                    let key_unknown = ctx.get(&c.key).is_some_and(ContextValue::is_unknown);
                    if !key_unknown || c.values.iter().any(|v| v.depends_on_unknown(ctx)) {
                        continue;
                    }
                    let k = c.key.to_ascii_lowercase();
                    match groups.iter_mut().find(|(g, _)| *g == k) {
                        Some((_, v)) => v.push((local, c)),
                        None => groups.push((k, vec![(local, c)])),
                    }
                }
                groups
                    .into_iter()
                    .filter_map(|(key, members)| {
                        let Some(ContextValue::Unknown(u)) = ctx.get(&key) else {
                            return None;
                        };
                        let uses: Vec<_> = members
                            .iter()
                            .map(|(_, c)| (&c.operator, c.values.as_slice()))
                            .collect();
                        let (vectors, complete) = crate::condition::truth_vectors(u, &uses, ctx);
                        // Re-index each vector from the group's order to local bits.
                        let to_local = |v: u64| {
                            members
                                .iter()
                                .enumerate()
                                .filter(|(j, _)| v >> j & 1 == 1)
                                .fold(0u64, |acc, (_, (local, _))| acc | 1 << local)
                        };
                        let mask = members.iter().fold(0u64, |acc, (l, _)| acc | 1 << l);
                        Some((mask, vectors.into_iter().map(to_local).collect(), complete))
                    })
                    .collect()
            })
            .collect();
        Feasibility { per_scenario }
    }

    fn allows(&self, scenario: usize, local: u64) -> bool {
        self.per_scenario.get(scenario).is_none_or(|groups| {
            groups
                .iter()
                .all(|(mask, vectors, complete)| !complete || vectors.contains(&(local & mask)))
        })
    }
}

/// Too many unknowns to combine: the most and least permissive cases bound the answer.
fn bounded(
    req: &Request,
    policies: &PolicySet,
    scans: &[(bool, &Request, Scanned)],
    atoms: &Atoms,
    used: u64,
) -> Response {
    let most = |h: &Hit| h.needs == 0 || h.statement.effect == Effect::Allow;
    let least = |h: &Hit| h.needs == 0 || h.statement.effect == Effect::Deny;
    let bounds: Vec<(Verdict, Verdict)> = scans
        .iter()
        .map(|(same, r, s)| {
            (
                judge(s, r, policies, *same, &most),
                judge(s, r, policies, *same, &least),
            )
        })
        .collect();
    let never_allowed = bounds.iter().all(|(m, _)| m.decision() != Decision::Allow);
    let always_allowed = bounds.iter().all(|(_, l)| l.decision() == Decision::Allow);
    let always_denied = bounds
        .iter()
        .all(|(m, _)| m.decision() == Decision::ExplicitDeny);
    let (decision, sample) = if always_denied {
        (Decision::ExplicitDeny, 0)
    } else if never_allowed {
        (Decision::ImplicitDeny, 0)
    } else if always_allowed {
        (Decision::Allow, 1)
    } else {
        (Decision::Undecided, 0)
    };
    let mut out = Vec::new();
    for ((_, r, s), (m, l)) in scans.iter().zip(&bounds) {
        let (v, f): (&Verdict, &dyn Fn(&Hit) -> bool) =
            if sample == 0 { (m, &most) } else { (l, &least) };
        out.extend(reasons(v, s, r, atoms, f));
    }
    let residual =
        (decision == Decision::Undecided || !always_denied && never_allowed).then(|| {
            let bits: Vec<u64> = (0..63).filter_map(bit).filter(|b| used & b != 0).collect();
            build_residual(atoms, &bits, Vec::new(), req)
        });
    if let Some(res) = &residual {
        let mut summary = whole(PolicyType::Identity, None, residual::summary(res, decision));
        summary.undecided = true;
        out.insert(0, summary);
    }
    Response {
        decision,
        reasons: out,
        notes: Vec::new(),
        residual,
    }
}

/// The residual over the atoms of `bits`, with the cases worked out (empty: too many).
fn build_residual(
    atoms: &Atoms,
    bits: &[u64],
    cases: Vec<(Decision, Vec<residual::Term>)>,
    req: &Request,
) -> Residual {
    // Only the atoms a formula names (all of them when there is no formula).
    let named: Vec<usize> = if cases.is_empty() {
        (0..bits.len()).collect()
    } else {
        let mut n: Vec<usize> = cases
            .iter()
            .flat_map(|(_, terms)| terms.iter().flatten().map(|(i, _)| *i))
            .collect();
        n.sort_unstable();
        n.dedup();
        n
    };
    let depends_on: Vec<Dependency> = named
        .iter()
        .filter_map(|local| {
            let b = bits.get(*local)?;
            let i = (0..63).position(|i| bit(i) == Some(*b))?;
            let a = atoms.list.get(i)?;
            Some(dependency(a, req))
        })
        .collect();
    let index_of = |local: usize| named.iter().position(|n| *n == local).unwrap_or(0);
    let complete = !cases.is_empty();
    Residual {
        depends_on,
        cases: cases
            .into_iter()
            .map(|(decision, terms)| ResidualCase {
                decision,
                when: terms
                    .into_iter()
                    .map(|t| {
                        t.into_iter()
                            .map(|(i, holds)| Literal {
                                depends_on: index_of(i),
                                holds,
                            })
                            .collect()
                    })
                    .collect(),
            })
            .collect(),
        complete,
    }
}

fn dependency(a: &Atom, req: &Request) -> Dependency {
    let ctx = &req.context;
    let settled = |key: &str| match ctx.get(key) {
        Some(ContextValue::Unknown(u)) => u.settled_by.clone(),
        _ => None,
    };
    let (kind, keys) = match &a.kind {
        AtomKind::Condition(c) => {
            let mut keys = vec![c.key.clone()];
            for v in &c.values {
                if let crate::condition::CondValue::Text(t) = v {
                    keys.extend(
                        t.variable_keys()
                            .filter(|k| ctx.get(k).is_some_and(ContextValue::is_unknown))
                            .map(str::to_string),
                    );
                }
            }
            (
                DependencyKind::Condition {
                    operator: c.operator.name(),
                    key: c.key.clone(),
                    values: c.value_texts(),
                },
                keys,
            )
        }
        AtomKind::Resource { statement, negated } => {
            let patterns: Vec<String> = statement
                .resource
                .iter()
                .flat_map(|r| r.patterns.iter().map(|t| t.text()))
                .collect();
            let keys = statement
                .resource
                .iter()
                .flat_map(|r| {
                    r.patterns
                        .iter()
                        .flat_map(|t| t.variable_keys().map(str::to_string).collect::<Vec<_>>())
                })
                .filter(|k| ctx.get(k).is_some_and(ContextValue::is_unknown))
                .collect();
            (
                DependencyKind::Resource {
                    resource: req.resource.clone(),
                    patterns,
                    negated: *negated,
                },
                keys,
            )
        }
        AtomKind::Principal { why, .. } => (
            DependencyKind::Principal { why: why.clone() },
            vec!["aws:PrincipalArn".to_string()],
        ),
        AtomKind::ResourceAccount => (
            DependencyKind::ResourceAccount {
                resource: req.resource.clone(),
                account: req.principal.account().unwrap_or_default().to_string(),
            },
            vec!["aws:ResourceAccount".to_string()],
        ),
    };
    let mut settled_by: Vec<String> = keys.iter().filter_map(|k| settled(k)).collect();
    if let AtomKind::ResourceAccount = a.kind {
        settled_by.push("the resource's account: give `resource_account`".into());
    }
    if let AtomKind::Principal { .. } = a.kind {
        settled_by.push("the role's path: give `aws:PrincipalArn`".into());
    }
    settled_by.dedup();
    let mut keys = keys;
    keys.dedup();
    Dependency {
        policy_type: a.first,
        statements: a.statements.clone(),
        keys,
        settled_by,
        kind,
    }
}
