//! The property test and the brute-force sweep, on random accounts: roles and users
//! granted random subsets of every action of the route table, denied some by the vault
//! policy, the key policy or an SCP, under a random Vault Lock, encrypted or not.
//!
//! - Every route of every listed principal is confirmed by an oracle that evaluates each
//!   request with the engine directly, under the policy the route runs it under (the
//!   vault's, the key's, the one the principal rewrote or removed), through the service
//!   that makes it (`via`), with its context.
//! - The sweep: for every principal and every route of the table, the oracle's "every
//!   request allowed" implies the principal is listed under the route's question.
//!
//! Grants are written as `Action` or `NotAction`, inline, through a group or a managed
//! policy, and one role is under a permissions boundary.
//!
//! The oracle is written from the table's data (routes, gates, requests), which is the
//! specification; it shares no code with the evaluator. Sources: see `main.rs`.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::{json, Value};
use vaultward_backup::check::Where;
use vaultward_backup::vaults::table::{self, Gate, On, PolicyAs, Route};
use vaultward_backup::vaults::{Exposure, Question};
use vaultward_backup::{CheckOptions, Plan, RequestFacts, Snapshot};
use vaultward_iam::{Decision, NamedPolicy, PolicyKind};

use super::account::*;

/// What the random account's recovery point is under.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LockState {
    None,
    Governance,
    Compliance,
}

fn named(doc: &Value, kind: PolicyKind) -> NamedPolicy {
    NamedPolicy {
        name: "policy".into(),
        policy: vaultward_iam::parse_policy(&doc.to_string(), kind)
            .policy
            .unwrap(),
    }
}

fn rewritten(principal: &str, service: &str, kind: PolicyKind) -> NamedPolicy {
    named(
        &doc(
            json!([{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": format!("{service}:*"), "Resource": "*"}]),
        ),
        kind,
    )
}

/// The engine's decision on one request of `principal`.
fn decide(
    s: &Snapshot,
    principal: &str,
    action: &str,
    resource: &str,
    context: &[(String, String)],
    rp: Option<&NamedPolicy>,
    via: Option<&str>,
) -> bool {
    let mut opts = CheckOptions::new(principal, BTreeSet::new(), BTreeSet::new());
    opts.facts = RequestFacts {
        any_caller: true,
        ..RequestFacts::default()
    };
    let mut plan = Plan::new(s, &opts).unwrap();
    let at = Where {
        region: Some("us-east-1"),
        via,
        tags: None,
    };
    plan.decide(action, resource, ACCT, context, rp, at)
        .unwrap()
        .decision
        == Decision::Allow
}

/// The random account's facts the oracle needs.
struct World<'a> {
    s: &'a Snapshot,
    lock: LockState,
    encrypted: bool,
}

impl World<'_> {
    fn gate(&self, g: Gate) -> bool {
        match g {
            Gate::Always => true,
            Gate::Unlocked => self.lock == LockState::None,
            Gate::LockRemovable => self.lock == LockState::Governance,
            Gate::Unencrypted => !self.encrypted,
            Gate::CustomerKey | Gate::Encrypted | Gate::NotAwsManagedKey => self.encrypted,
            Gate::AwsManagedKey | Gate::ImportedKey | Gate::KeyUsableOutside | Gate::Continuous => {
                false
            }
        }
    }

    fn vault_policy(&self) -> Option<NamedPolicy> {
        self.s.backup_vaults[0]
            .access_policy
            .document()
            .map(|d| named(d, PolicyKind::Vault))
    }

    fn key_policy(&self) -> Option<NamedPolicy> {
        self.s
            .key(KEY)
            .and_then(|k| k.policy.document())
            .map(|d| named(d, PolicyKind::Key))
    }

    /// Every request of `route` allowed for `principal`, as AWS would decide it.
    fn route_allowed(&self, principal: &str, route: &Route) -> bool {
        if !route.gates.iter().all(|g| self.gate(*g)) {
            return false;
        }
        route.requests.iter().all(|r| {
            let mut context: Vec<(String, String)> = Vec::new();
            match r.on {
                On::PassRole(service) => {
                    context.push(("iam:PassedToService".into(), service.into()));
                    // The roles of the account that trust the service.
                    let trusting = if service == table::BACKUP_SERVICE {
                        vec![role_arn("BackupService")]
                    } else {
                        Vec::new()
                    };
                    trusting
                        .iter()
                        .any(|role| decide(self.s, principal, r.action, role, &context, None, None))
                }
                On::AnyBucket => decide(
                    self.s,
                    principal,
                    r.action,
                    "arn:aws:s3:::vaultward-exposure-any-bucket/image.bin",
                    &[],
                    None,
                    None,
                ),
                On::Key => {
                    if r.action == "kms:CreateGrant" {
                        let for_aws = if r.via.is_some() { "true" } else { "false" };
                        context.push(("kms:GrantIsForAWSResource".into(), for_aws.into()));
                    }
                    let p = match r.policy {
                        PolicyAs::Rewritten => Some(rewritten(principal, "kms", PolicyKind::Key)),
                        _ => self.key_policy(),
                    };
                    decide(
                        self.s,
                        principal,
                        r.action,
                        KEY,
                        &context,
                        p.as_ref(),
                        r.via,
                    )
                }
                On::RecoveryPoint | On::Vault => {
                    let resource = if r.on == On::Vault { VAULT } else { SNAP };
                    let p = if r.action.starts_with("backup:") {
                        match r.policy {
                            PolicyAs::Collected => self.vault_policy(),
                            PolicyAs::Removed => None,
                            PolicyAs::Rewritten => {
                                Some(rewritten(principal, "backup", PolicyKind::Vault))
                            }
                        }
                    } else {
                        None
                    };
                    decide(
                        self.s,
                        principal,
                        r.action,
                        resource,
                        &context,
                        p.as_ref(),
                        r.via,
                    )
                }
            }
        })
    }
}

/// Every route of the table for an EBS point.
fn ebs_routes() -> Vec<&'static Route> {
    let row = table::row("EBS", SNAP).unwrap();
    table::BACKUP_ROUTES
        .iter()
        .chain(table::KEY_ROUTES)
        .chain(row.routes)
        .collect()
}

/// The actions a random principal is granted from (every action of the table).
fn pool() -> Vec<&'static str> {
    let mut all = table::all_actions();
    all.push("ec2:DeleteSnapshot");
    all.sort_unstable();
    all.dedup();
    all
}

fn pick(pool: &[&'static str], idx: &[usize]) -> Vec<&'static str> {
    idx.iter().map(|&k| pool[k % pool.len()]).collect()
}

#[derive(Debug, Clone)]
struct Spec {
    roles: Vec<Vec<usize>>,
    users: Vec<Vec<usize>>,
    vault_denies: Vec<usize>,
    key_denies: Vec<usize>,
    scp_denies: Vec<usize>,
    lock: LockState,
    encrypted: bool,
    /// How the grants are written (bits): R0's as `NotAction`; u0's through a group; R1
    /// under a permissions boundary of u1's actions; u1's as a managed policy.
    shape: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    let grants = || proptest::collection::vec(proptest::collection::vec(0usize..64, 0..6), 2);
    (
        grants(),
        grants(),
        proptest::collection::vec(0usize..64, 0..3),
        proptest::collection::vec(0usize..64, 0..3),
        proptest::collection::vec(0usize..64, 0..3),
        prop_oneof![
            Just(LockState::None),
            Just(LockState::Governance),
            Just(LockState::Compliance)
        ],
        any::<bool>(),
        0u8..16,
    )
        .prop_map(
            |(roles, users, vault_denies, key_denies, scp_denies, lock, encrypted, shape)| Spec {
                roles,
                users,
                vault_denies,
                key_denies,
                scp_denies,
                lock,
                encrypted,
                shape,
            },
        )
}

fn build(sp: &Spec) -> (Account, Vec<String>) {
    let pool = pool();
    let mut a = Account::new();
    let mut everyone = vec![role_arn("BackupService"), ROOT.to_string()];
    let bit = |b: u8| sp.shape & (1 << b) != 0;
    let grant =
        |g: &[usize]| json!([{"Effect": "Allow", "Action": pick(&pool, g), "Resource": "*"}]);
    let boundary = bit(2).then(|| a.managed("Bound", grant(&sp.users[1])));
    for (i, g) in sp.roles.iter().enumerate() {
        let name = format!("R{i}");
        let statements = if i == 0 && bit(0) {
            json!([{"Effect": "Allow", "NotAction": pick(&pool, g), "Resource": "*"}])
        } else {
            grant(g)
        };
        let b = if i == 1 { boundary.as_deref() } else { None };
        a.role_trusting(
            &name,
            statements,
            b,
            json!({"Service": "ec2.amazonaws.com"}),
        );
        everyone.push(role_arn(&name));
    }
    for (i, g) in sp.users.iter().enumerate() {
        let name = format!("u{i}");
        if i == 0 && bit(1) {
            a.groups.push(json!({"GroupName": "ops", "Arn": format!("arn:aws:iam::{ACCT}:group/ops"), "Path": "/",
                "GroupPolicyList": [{"PolicyName": "ops", "PolicyDocument": doc(grant(g))}], "AttachedManagedPolicies": []}));
            a.user(&name, json!([]), None);
            a.users[i]["GroupList"] = json!(["ops"]);
        } else if i == 1 && bit(3) {
            let m = a.managed("UserGrant", grant(g));
            a.user(&name, json!([]), None);
            a.users[i]["AttachedManagedPolicies"] =
                json!([{"PolicyName": "UserGrant", "PolicyArn": m}]);
        } else {
            a.user(&name, grant(g), None);
        }
        everyone.push(user_arn(&name));
    }
    let backup: Vec<&str> = pick(&pool, &sp.vault_denies)
        .into_iter()
        .filter(|x| x.starts_with("backup:"))
        .collect();
    let policy = if backup.is_empty() {
        Value::Null
    } else {
        doc(
            json!([{"Effect": "Deny", "Principal": {"AWS": role_arn("R0")}, "Action": backup, "Resource": "*"}]),
        )
    };
    let kms: Vec<&str> = pick(&pool, &sp.key_denies)
        .into_iter()
        .filter(|x| x.starts_with("kms:"))
        .collect();
    let extra = if kms.is_empty() {
        json!([])
    } else {
        json!([{"Effect": "Deny", "Principal": {"AWS": user_arn("u0")}, "Action": kms, "Resource": "*"}])
    };
    let lock = match sp.lock {
        LockState::None => unlocked(),
        LockState::Governance => {
            json!({"locked": true, "mode": "governance", "min_retention_days": 7})
        }
        LockState::Compliance => {
            json!({"locked": true, "mode": "compliance", "min_retention_days": 7, "lock_date": "2024-01-01T00:00:00Z"})
        }
    };
    a.key(KEY, extra).vault("prod", policy, lock).ebs_point(
        "prod",
        SNAP,
        sp.encrypted.then_some(KEY),
    );
    let scp = pick(&pool, &sp.scp_denies);
    if !scp.is_empty() {
        a.scp(json!([{"Effect": "Deny", "Action": scp, "Resource": "*", "Condition": {"ArnEquals": {"aws:PrincipalArn": [role_arn("R1"), user_arn("u1")]}}}]));
    }
    (a, everyone)
}

fn listed(e: &Exposure, q: Question) -> BTreeSet<String> {
    who(e, "prod", q)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn listed_routes_are_confirmed_and_the_sweep_finds_no_omission(sp in spec()) {
        let (a, everyone) = build(&sp);
        let s = a.snapshot();
        let e = run(&s);
        let w = World { s: &s, lock: sp.lock, encrypted: sp.encrypted };
        let routes = ebs_routes();
        // Every listed route is one the oracle confirms (a route code may have one row
        // per encryption: one of them).
        for q in [Question::Destroy, Question::Read] {
            for p in &answer(&e, "prod", q).principals {
                for r in &p.routes {
                    let confirmed = routes.iter().filter(|x| x.code == r.code)
                        .any(|x| w.route_allowed(&p.principal, x));
                    prop_assert!(confirmed, "{} [{}] listed under {:?} but the oracle does not allow it", p.principal, r.code, q);
                }
            }
        }
        // Change: the first request of each direct route is allowed, under the policy it
        // writes through.
        for p in &answer(&e, "prod", Question::Change).principals {
            for r in p.routes.iter().filter(|r| r.code != "chain") {
                let st = &r.steps[0];
                let c: Vec<(String, String)> = st.context.clone().into_iter().collect();
                let rp = match r.code.as_str() {
                    "vault-policy-write" => w.vault_policy(),
                    "key-policy-write" | "key-grant" => w.key_policy(),
                    _ => None,
                };
                prop_assert!(decide(&s, &p.principal, &st.action, &st.resource, &c, rp.as_ref(), None),
                    "{} [{}] {} on {} is not allowed", p.principal, r.code, st.action, st.resource);
            }
        }
        // The sweep: no principal the oracle lets take a route is omitted.
        let destroy = listed(&e, Question::Destroy);
        let read = listed(&e, Question::Read);
        for p in &everyone {
            for r in &routes {
                if r.question == Question::Change || !w.route_allowed(p, r) {
                    continue;
                }
                let l = if r.question == Question::Destroy { &destroy } else { &read };
                prop_assert!(l.contains(p), "{p} can take {} ({:?}) but the answer omits it: {l:?}", r.code, r.question);
            }
        }
        // ec2:DeleteSnapshot never counts as a destroy.
        prop_assert!(answer(&e, "prod", Question::Destroy).principals.iter()
            .all(|x| x.routes.iter().all(|r| r.steps.iter().all(|s| s.action != "ec2:DeleteSnapshot"))));
    }
}
