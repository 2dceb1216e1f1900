//! Who can change who can: the principals that can rewrite what decides the other two
//! answers (the vault access policy, the key policy and its grants, IAM), and those whose
//! hops (`audit`'s assume-role, pass-role and code-injection methods, each confirmed by
//! the engine) lead, hop by hop, to a principal that destroys or reads the backups.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use vaultward_snapshot::RecoveryPoint;

use super::evaluate::{Evaluator, KeyState, Outcome};
use super::granted::{change, Change, Granted, Inputs, Opens};
use super::routes::RouteCtx;
use super::table::{Question, Route};
use super::{Answer, Exposed, Taken, Unsettled};
use crate::audit::{opens, Hop, HopTaken, Path, PathClass, PathStep};

/// A principal's paths and hops, as `audit` finds them.
type View = (Vec<Path>, Vec<HopTaken>);

/// A probe: its code, the action, the resource, the context, the resource policy.
type Probe<'a> = (
    &'static str,
    &'static str,
    String,
    Vec<(String, String)>,
    &'a Result<Option<vaultward_iam::NamedPolicy>, String>,
);

/// A way so far: each hop with its requests.
type Way = Vec<(Hop, Vec<PathStep>)>;

/// What `audit` finds for each principal, read once.
#[derive(Default)]
pub(super) struct Graph {
    views: BTreeMap<String, Result<View, String>>,
    pub requests: usize,
}

const POLICY_HINT: &str = "an SCP Deny on backup:PutBackupVaultAccessPolicy, backup:DeleteBackupVaultAccessPolicy and kms:PutKeyPolicy outside a break-glass role; a key policy that keeps key administration to that role";
const IAM_HINT: &str = "an SCP Deny on IAM writes outside the administrators' roles, or permissions boundaries on every role that may create or change roles";
const CHAIN_HINT: &str = "close what the last principal of the chain can do, or the first hop (its trust policy, its iam:PassRole, the compute it runs as)";

impl Graph {
    fn view(
        &mut self,
        ev_s: &vaultward_snapshot::Snapshot,
        facts: &crate::check::RequestFacts,
        arn: &str,
    ) -> Result<&View, String> {
        if !self.views.contains_key(arn) {
            let v = opens(ev_s, arn, facts).map_err(|e| e.to_string());
            let v = v.map(|(p, h, n)| {
                self.requests = self.requests.saturating_add(n);
                (p, h)
            });
            self.views.insert(arn.to_string(), v);
        }
        match self.views.get(arn) {
            Some(Ok(v)) => Ok(v),
            Some(Err(e)) => Err(format!(
                "the escalation paths of `{arn}` could not be read: {e}"
            )),
            None => Err(format!("the escalation paths of `{arn}` were not read")),
        }
    }
}

/// The change answer for one vault and resource type.
pub(super) fn answer(
    ev: &mut Evaluator<'_>,
    ctx: &RouteCtx<'_>,
    rps: &[&RecoveryPoint],
    keys: &[KeyState],
    routes: &[&'static Route],
    answers: &[Answer],
) -> Answer {
    let mut a = Answer::empty(Question::Change);
    let example = rps.first().map(|r| r.arn.clone()).unwrap_or_default();
    let mut customer_keys: Vec<(String, Result<Option<vaultward_iam::NamedPolicy>, String>)> =
        Vec::new();
    for k in keys {
        if let KeyState::Customer { arn, policy, .. } = k {
            if !customer_keys.iter().any(|(a, _)| a == arn) {
                customer_keys.push((arn.clone(), policy.clone()));
            }
        }
    }
    let vault_policy = ctx.vault_policy;
    // An IAM write grants identity permissions, which the SCPs, RCPs, boundaries and
    // resource policies still cap: it opens a route when it writes to a principal that
    // already has one, or when the principal it changes has one once changed (`granted`).
    let listed: BTreeSet<&String> = answers
        .iter()
        .flat_map(|a| &a.principals)
        .map(|p| &p.principal)
        .collect();
    // Principals of the snapshot that may destroy or read (unknown): a write or chain
    // into one is unknown too, never none.
    let mut maybe: BTreeMap<String, String> = BTreeMap::new();
    for ans in answers {
        for u in ans
            .unknown
            .iter()
            .filter(|u| u.principal.starts_with("arn:"))
        {
            if !listed.contains(&u.principal) {
                maybe.entry(u.principal.clone()).or_insert_with(|| {
                    format!(
                        "`{}` may {} ({}): {}",
                        u.principal,
                        ans.question.name(),
                        u.code,
                        u.settle
                    )
                });
            }
        }
    }
    let inputs = Inputs {
        ctx,
        rps,
        keys,
        routes,
    };
    let mut granted = Granted::default();
    let limits = limited(ev.s);
    let mut direct: BTreeMap<usize, Vec<Taken>> = BTreeMap::new();
    for i in 0..ev.principals.len() {
        let mut taken = Vec::new();
        let mut probes: Vec<Probe<'_>> = vec![
            (
                "vault-policy-write",
                "backup:PutBackupVaultAccessPolicy",
                ctx.vault.arn.clone(),
                Vec::new(),
                vault_policy,
            ),
            (
                "vault-policy-write",
                "backup:DeleteBackupVaultAccessPolicy",
                ctx.vault.arn.clone(),
                Vec::new(),
                vault_policy,
            ),
        ];
        for (k, p) in &customer_keys {
            probes.push((
                "key-policy-write",
                "kms:PutKeyPolicy",
                k.clone(),
                Vec::new(),
                p,
            ));
            probes.push((
                "key-grant",
                "kms:CreateGrant",
                k.clone(),
                vec![("kms:GrantIsForAWSResource".into(), "false".into())],
                p,
            ));
        }
        for (code, action, resource, c, p) in probes {
            if taken.iter().any(|t: &Taken| t.code == code) {
                continue;
            }
            match ev.request_under(i, action, &resource, &c, p, None, ctx.region) {
                Outcome::Allowed(st) => taken.push(Taken {
                    code: code.into(),
                    title: format!("`{action}`: rewrite who may destroy or read"),
                    recovery_point: example.clone(),
                    steps: vec![st],
                    chain: Vec::new(),
                    hint: POLICY_HINT.into(),
                }),
                Outcome::Possible(_, why) => a.unknown.push(Unsettled {
                    principal: ev.principals[i].arn.clone(),
                    code: code.into(),
                    settle: why,
                }),
                Outcome::Denied { .. } => {}
            }
        }
        let arn = ev.principals[i].arn.clone();
        let (s, facts) = (ev.s, ev.facts);
        let paths: Vec<Path> = match ev.escalation.view(s, facts, &arn) {
            Ok((paths, _)) => paths
                .iter()
                .filter(|p| p.class == PathClass::IamWrite)
                .cloned()
                .collect(),
            Err(why) => {
                a.unknown.push(Unsettled {
                    principal: arn.clone(),
                    code: "iam-write".into(),
                    settle: why,
                });
                Vec::new()
            }
        };
        let known = (&listed, &maybe);
        let w = iam_write(ev, i, &paths, &limits, known, &mut granted, &inputs, &mut a);
        if let Some(t) = w {
            taken.push(Taken {
                recovery_point: example.clone(),
                ..t
            });
        }
        if !taken.is_empty() {
            direct.insert(i, taken);
        }
    }
    // The principals a chain may end at: those that destroy, read or change directly.
    let mut ends: BTreeMap<String, String> = BTreeMap::new();
    for ans in answers {
        for p in &ans.principals {
            for r in &p.routes {
                ends.entry(p.principal.clone())
                    .or_insert_with(|| format!("{} ({})", ans.question.name(), r.code));
            }
        }
    }
    for (i, t) in &direct {
        ends.entry(ev.principals[*i].arn.clone())
            .or_insert_with(|| {
                format!(
                    "change ({})",
                    t.first().map(|x| x.code.as_str()).unwrap_or("")
                )
            });
    }
    for i in 0..ev.principals.len() {
        let arn = ev.principals[i].arn.clone();
        let mut taken = direct.remove(&i).unwrap_or_default();
        if let Some(t) = chain(ev, &arn, (&ends, &maybe), &example, &mut a) {
            taken.push(t);
        }
        if !taken.is_empty() {
            a.principals.push(Exposed {
                principal: arn,
                kind: ev.principals[i].kind,
                routes: taken,
            });
        }
    }
    ev.escalation.requests = ev.escalation.requests.saturating_add(granted.requests);
    let now: BTreeSet<&String> = a.principals.iter().map(|p| &p.principal).collect();
    a.unknown.retain(|u| !now.contains(&u.principal));
    a
}

/// One IAM write a principal may make, from `audit`'s paths or the limits it may lift.
struct Write {
    code: String,
    title: String,
    target: String,
    steps: Vec<PathStep>,
    possible: bool,
}

/// The roles and users of the export whose permissions boundary or Deny policies limit
/// them: a writer that may lift those (IAM API reference, DeleteRolePermissionsBoundary,
/// DeleteRolePolicy, DetachRolePolicy and their user forms) changes what they can do.
pub(super) fn limited(s: &vaultward_snapshot::Snapshot) -> Vec<(String, bool, bool)> {
    let mut out = Vec::new();
    for (list, inline) in [
        ("RoleDetailList", "RolePolicyList"),
        ("UserDetailList", "UserPolicyList"),
    ] {
        for e in s
            .iam
            .as_ref()
            .and_then(|i| i.get(list))
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(arn) = e.get("Arn").and_then(serde_json::Value::as_str) else {
                continue;
            };
            let boundary = e.get("PermissionsBoundary").is_some();
            // A Deny anywhere in its own policies (inline, or attached managed ones,
            // whose text the check reads the same way).
            let deny = e
                .get(inline)
                .map(|p| p.to_string().contains("\"Deny\""))
                .unwrap_or(false)
                || !e
                    .get("AttachedManagedPolicies")
                    .and_then(serde_json::Value::as_array)
                    .is_none_or(Vec::is_empty);
            if boundary || deny {
                out.push((arn.to_string(), boundary, deny));
            }
        }
    }
    out
}

/// The first IAM write of principal `i` that opens a route: the writes to one target
/// taken together (granting a role everything and lifting its boundary is one change),
/// a target already listed, or a new role or user the principal may also create. `paths`
/// are its `audit` paths of the iam-write class; `limited` the principals whose limits it
/// may lift ([`limited`]). Possible ones go to `a.unknown`.
#[expect(
    clippy::too_many_arguments,
    reason = "the writer, what it may write, and the answer's inputs"
)]
fn iam_write(
    ev: &mut Evaluator<'_>,
    i: usize,
    paths: &[Path],
    limited: &[(String, bool, bool)],
    (listed, maybe): (&BTreeSet<&String>, &BTreeMap<String, String>),
    granted: &mut Granted,
    inputs: &Inputs<'_, '_>,
    a: &mut Answer,
) -> Option<Taken> {
    let arn = ev.principals[i].arn.clone();
    let mut writes: Vec<Write> = paths
        .iter()
        .map(|p| Write {
            code: p.code.clone(),
            title: p.title.clone(),
            target: p.target.clone(),
            steps: root_steps(&arn, &p.steps),
            possible: p.possible,
        })
        .collect();
    for (t, boundary, deny) in limited {
        let user = t.contains(":user/");
        let mut probe = |code: &str, actions: [&str; 2]| {
            for action in actions {
                match ev.request(i, action, t, &[], None, None, inputs.ctx.region) {
                    Outcome::Allowed(st) | Outcome::Possible(st, _) => {
                        let possible = st.depends_on.is_some();
                        writes.push(Write {
                            code: code.into(),
                            title: format!("`{action}` on `{t}`"),
                            target: t.clone(),
                            steps: root_steps(&arn, &[st]),
                            possible,
                        });
                        return;
                    }
                    Outcome::Denied { .. } => {}
                }
            }
        };
        if *boundary {
            probe(
                "iam-remove-boundary",
                if user {
                    [
                        "iam:DeleteUserPermissionsBoundary",
                        "iam:PutUserPermissionsBoundary",
                    ]
                } else {
                    [
                        "iam:DeleteRolePermissionsBoundary",
                        "iam:PutRolePermissionsBoundary",
                    ]
                },
            );
        }
        if *deny {
            probe(
                "iam-remove-deny",
                if user {
                    ["iam:DeleteUserPolicy", "iam:DetachUserPolicy"]
                } else {
                    ["iam:DeleteRolePolicy", "iam:DetachRolePolicy"]
                },
            );
        }
    }
    let mut by_target: BTreeMap<&str, Vec<&Write>> = BTreeMap::new();
    for w in &writes {
        by_target.entry(w.target.as_str()).or_default().push(w);
    }
    // A new principal granted everything is the likeliest to open a route: first.
    let mut targets: Vec<(&str, Vec<&Write>)> = by_target.into_iter().collect();
    targets.sort_by_key(|(t, _)| !t.contains("vaultward-audit-any"));
    for (target, group) in targets {
        // A write to a role or user of no existing name needs it created first.
        if target.contains("vaultward-audit-any") {
            let create = if target.contains(":role/") {
                "iam:CreateRole"
            } else {
                "iam:CreateUser"
            };
            if !matches!(
                ev.request(i, create, target, &[], None, None, inputs.ctx.region),
                Outcome::Allowed(_)
            ) {
                continue;
            }
        }
        let decided: Vec<&Write> = group.iter().copied().filter(|w| !w.possible).collect();
        let open = |ev: &Evaluator<'_>, g: &mut Granted, ws: &[&Write]| -> Opens {
            if ws.is_empty() {
                return None;
            }
            if listed.contains(&target.to_string()) {
                return Some(Ok(format!("`{target}` already can")));
            }
            let changes: Vec<Change> = ws.iter().filter_map(|w| change(&w.code)).collect();
            if changes.is_empty() {
                // The writer acts as the target: as far as the target may.
                return maybe.get(target).map(|why| Err(why.clone()));
            }
            g.opens(ev, &arn, target, &changes, inputs)
        };
        match open(ev, granted, &decided) {
            Some(Ok(what)) => {
                let titles: Vec<&str> = decided.iter().map(|w| w.title.as_str()).collect();
                let codes: Vec<String> = decided.iter().map(|w| format!("`{}`", w.code)).collect();
                return Some(Taken {
                    code: "iam-write".into(),
                    title: format!("{} ({}): {what}", titles.join("; "), codes.join(", ")),
                    recovery_point: String::new(),
                    steps: decided.iter().flat_map(|w| w.steps.clone()).collect(),
                    chain: Vec::new(),
                    hint: IAM_HINT.into(),
                });
            }
            Some(Err(why)) => a.unknown_once(&arn, format!("iam-write:{target}"), why),
            None => {}
        }
        if decided.len() < group.len() {
            if let Some(Ok(_)) = open(ev, granted, &group) {
                let depends: Vec<String> = group
                    .iter()
                    .flat_map(|w| w.steps.iter().filter_map(|s| s.depends_on.clone()))
                    .collect();
                a.unknown_once(&arn, format!("iam-write:{target}"), depends.join("; "));
            }
        }
    }
    None
}

/// `audit`'s steps name no statement for the root user, which needs none.
fn root_steps(arn: &str, steps: &[PathStep]) -> Vec<PathStep> {
    let mut steps = steps.to_vec();
    if arn.ends_with(":root") {
        for st in steps.iter_mut().filter(|s| s.allowed_by.is_empty()) {
            st.allowed_by
                .push("the root user (every permission of its account)".into());
        }
    }
    steps
}

/// The shortest chain of hops from `start` to another principal in `ends`.
fn chain(
    ev: &mut Evaluator<'_>,
    start: &str,
    (ends, maybe): (&BTreeMap<String, String>, &BTreeMap<String, String>),
    example: &str,
    a: &mut Answer,
) -> Option<Taken> {
    let (s, facts) = (ev.s, ev.facts);
    let mut queue: VecDeque<(String, Way)> = VecDeque::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    queue.push_back((start.to_string(), Vec::new()));
    seen.insert(start.to_string());
    while let Some((at, path)) = queue.pop_front() {
        let from = at.clone();
        let hops: Vec<(String, Vec<PathStep>, Result<String, String>)> =
            match ev.escalation.view(s, facts, &at) {
                Ok((_, hops)) => hops
                    .iter()
                    .filter(|h| {
                        matches!(
                            h.class,
                            PathClass::AssumeRole | PathClass::PassRole | PathClass::CodeInjection
                        )
                    })
                    .map(|h| (h.code.clone(), h.steps.clone(), h.leads.clone()))
                    .collect(),
                Err(why) => {
                    a.unknown_once(start, "chain".into(), why);
                    Vec::new()
                }
            };
        for (code, steps, leads) in hops {
            let to = match leads {
                Ok(to) => to,
                Err(why) => {
                    a.unknown_once(start, format!("chain:{code}"), why);
                    continue;
                }
            };
            if !seen.insert(to.clone()) {
                continue;
            }
            let mut steps = steps;
            for st in &mut steps {
                if from != start {
                    st.principal = Some(from.clone());
                }
                if from.ends_with(":root") && st.allowed_by.is_empty() {
                    st.allowed_by
                        .push("the root user (every permission of its account)".into());
                }
            }
            let mut next = path.clone();
            next.push((
                Hop {
                    code: code.clone(),
                    from: from.clone(),
                    to: to.clone(),
                },
                steps,
            ));
            if let Some(why) = maybe.get(&to).filter(|_| !ends.contains_key(&to)) {
                a.unknown_once(
                    start,
                    "chain".into(),
                    format!("a chain leads to `{to}`: {why}"),
                );
            }
            if let Some(what) = ends.get(&to) {
                let chain: Vec<Hop> = next.iter().map(|(h, _)| h.clone()).collect();
                let steps = next.into_iter().flat_map(|(_, s)| s).collect();
                return Some(Taken {
                    code: "chain".into(),
                    title: format!("act as `{to}`, which can {what}"),
                    recovery_point: example.to_string(),
                    steps,
                    chain,
                    hint: CHAIN_HINT.into(),
                });
            }
            queue.push_back((to, next));
        }
    }
    None
}
