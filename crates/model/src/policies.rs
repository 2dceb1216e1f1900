//! The backup role's managed policies (and the support role's inline policy), written from
//! the service table for a selection: a grant is in the file when one of its needs applies
//! (its asset type selected, restore chosen, its `when` holding), and lists the actions of
//! the needs that apply, in the table's order. Nothing else is granted.

use serde_json::{json, Map, Value};

use crate::params::Params;
use crate::service::{service_of, Cond, Effect, Grant, Names, Policy, TABLE};

/// One statement of a generated policy.
#[derive(Debug, Clone)]
pub struct Statement {
    pub grant: &'static Grant,
    pub sid: &'static str,
    pub allow: bool,
    pub actions: Vec<&'static str>,
    pub resources: Vec<String>,
    pub condition: Option<Value>,
}

impl Statement {
    pub fn to_json(&self) -> Value {
        let mut s = Map::new();
        s.insert("Sid".into(), json!(self.sid));
        s.insert(
            "Effect".into(),
            json!(if self.allow { "Allow" } else { "Deny" }),
        );
        s.insert("Action".into(), json!(self.actions));
        s.insert(
            "Resource".into(),
            match self.resources.as_slice() {
                [one] => json!(one),
                many => json!(many),
            },
        );
        if let Some(c) = &self.condition {
            s.insert("Condition".into(), c.clone());
        }
        Value::Object(s)
    }
}

/// A generated policy.
#[derive(Debug, Clone)]
pub struct PolicySpec {
    pub policy: Policy,
    pub name: String,
    pub description: &'static str,
    pub statements: Vec<Statement>,
}

impl PolicySpec {
    pub fn document(&self) -> Value {
        json!({"Version": "2012-10-17", "Statement": self.statements.iter().map(Statement::to_json).collect::<Vec<_>>()})
    }
}

/// The templates' values for `p`.
struct Fill<'p> {
    p: &'p Params,
    names: Names,
}

impl Fill<'_> {
    fn one(&self, template: &str) -> String {
        self.names.fill(
            template,
            &[
                ("account", &self.p.account),
                ("vendor_account", &self.p.vendor_account),
            ],
        )
    }

    /// A template, or the values of a list placeholder.
    fn many(&self, template: &str) -> Option<Vec<String>> {
        let p = self.p;
        Some(match template {
            // Customer keys only through the services of the selected assets, in each region.
            "{via_services}" => p
                .assets
                .iter()
                .flat_map(|a| {
                    p.regions
                        .iter()
                        .map(move |r| format!("{}.{r}.amazonaws.com", service_of(*a)))
                })
                .collect(),
            "{restore_instance_roles}" => p
                .restore_instance_roles
                .iter()
                .map(|r| p.restore_instance_role_arn(r))
                .collect(),
            "{restore_instance_profiles}" => p
                .restore_instance_roles
                .iter()
                .map(|r| p.restore_instance_profile_arn(r))
                .collect(),
            _ => return None,
        })
    }

    fn condition(&self, conds: &[Cond]) -> Option<Value> {
        let mut out = Map::new();
        for c in conds.iter().filter(|c| c.when.holds(self.p)) {
            let value = match c.values {
                [one] => match self.many(one) {
                    Some(list) => json!(list),
                    None => json!(self.one(one)),
                },
                many => json!(many.iter().map(|v| self.one(v)).collect::<Vec<_>>()),
            };
            let op = out
                .entry(c.operator)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(keys) = op {
                keys.insert(self.one(c.key), value);
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }
}

/// The statement `grant` makes in a file generated with `p`, or `None` when no need of it
/// applies. (A Deny is made when its policy is in the file: see [`policies`].)
pub fn statement(p: &Params, grant: &'static Grant) -> Option<Statement> {
    let mut actions: Vec<&'static str> = Vec::new();
    for need in grant.needs.iter().filter(|n| n.applies(p)) {
        for a in need.actions {
            if !actions.contains(a) {
                actions.push(a);
            }
        }
    }
    if actions.is_empty() {
        return None;
    }
    let fill = Fill {
        p,
        names: Names::from(p),
    };
    let resources = grant
        .resources
        .iter()
        .flat_map(|r| fill.many(r).unwrap_or_else(|| vec![fill.one(r)]))
        .collect();
    Some(Statement {
        grant,
        sid: grant.sid,
        allow: grant.effect == Effect::Allow,
        actions,
        resources,
        condition: fill.condition(grant.conditions),
    })
}

/// Every policy of the file for `p` with its statements, in the file's order: the backup
/// role's managed policies, then the support role's inline policy. A policy is in the file
/// when one of its Allows is.
fn all(p: &Params) -> Vec<PolicySpec> {
    let mut out: Vec<PolicySpec> = Policy::MANAGED
        .iter()
        .chain([&Policy::Support])
        .map(|&policy| PolicySpec {
            policy,
            name: format!("{}{}", p.name_token, policy.suffix()),
            description: policy.description(),
            statements: TABLE
                .iter()
                .filter(|g| g.effect == Effect::Allow && g.policies.first() == Some(&policy))
                .filter_map(|g| statement(p, g))
                .collect(),
        })
        .filter(|s| !s.statements.is_empty())
        .collect();
    for g in TABLE.iter().filter(|g| g.effect == Effect::Deny) {
        let Some(spec) = g
            .policies
            .iter()
            .find_map(|want| out.iter().position(|s| s.policy == *want))
            .and_then(|i| out.get_mut(i))
        else {
            continue;
        };
        spec.statements.extend(statement(p, g));
    }
    out
}

/// The backup role's managed policies for `p`, in a fixed order.
pub fn policies(p: &Params) -> Vec<PolicySpec> {
    all(p)
        .into_iter()
        .filter(|s| s.policy != Policy::Support)
        .collect()
}

/// The support role's inline policy for `p` (with `--support-role`).
pub fn support_policy(p: &Params) -> Option<PolicySpec> {
    all(p).into_iter().find(|s| s.policy == Policy::Support)
}
