//! Writing a policy back to JSON. One value is written as a string, several as an array.

use serde_json::{json, Map, Value};

use crate::glob::Glob;
use crate::template::Template;

use super::{Condition, Effect, Policy, PrincipalRaw, Statement, Version};
use crate::condition::{CondValue, Unmatchable};

fn one_or_many(values: &[String]) -> Value {
    match values {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    }
}

/// The operator as written: an operator AWS does not know is kept in its values.
fn operator_text(c: &Condition) -> String {
    c.values
        .iter()
        .find_map(|v| match v {
            CondValue::Unmatchable(Unmatchable::Operator { name, .. }) => Some(name.clone()),
            _ => None,
        })
        .unwrap_or_else(|| c.operator.name())
}

impl Policy {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(v) = self.version {
            m.insert(
                "Version".into(),
                json!(match v {
                    Version::V2012_10_17 => "2012-10-17",
                    Version::V2008_10_17 => "2008-10-17",
                }),
            );
        }
        if let Some(id) = &self.id {
            m.insert("Id".into(), json!(id));
        }
        m.insert(
            "Statement".into(),
            Value::Array(self.statements.iter().map(Statement::to_json).collect()),
        );
        Value::Object(m)
    }
}

impl Statement {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), json!(sid));
        }
        m.insert(
            "Effect".into(),
            json!(match self.effect {
                Effect::Allow => "Allow",
                Effect::Deny => "Deny",
            }),
        );
        if let Some(p) = &self.principal {
            let v = match &p.raw {
                PrincipalRaw::Star => json!("*"),
                PrincipalRaw::Map(entries) => Value::Object(
                    entries
                        .iter()
                        .map(|(k, vs)| (k.clone(), one_or_many(vs)))
                        .collect(),
                ),
            };
            m.insert(
                if p.negated {
                    "NotPrincipal"
                } else {
                    "Principal"
                }
                .into(),
                v,
            );
        }
        m.insert(
            if self.action.negated {
                "NotAction"
            } else {
                "Action"
            }
            .into(),
            one_or_many(
                &self
                    .action
                    .patterns
                    .iter()
                    .map(Glob::pattern_text)
                    .collect::<Vec<_>>(),
            ),
        );
        if let Some(r) = &self.resource {
            m.insert(
                if r.negated { "NotResource" } else { "Resource" }.into(),
                one_or_many(&r.patterns.iter().map(Template::text).collect::<Vec<_>>()),
            );
        }
        if !self.conditions.is_empty() {
            let mut ops: Map<String, Value> = Map::new();
            for c in &self.conditions {
                let entry = ops
                    .entry(operator_text(c))
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(keys) = entry {
                    keys.insert(c.key.clone(), one_or_many(&c.value_texts()));
                }
            }
            m.insert("Condition".into(), Value::Object(ops));
        }
        Value::Object(m)
    }
}
