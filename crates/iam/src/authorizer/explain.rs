//! Plain-words explanations of why a statement applied. Built only for the
//! statements that decided, so evaluation itself stays allocation-light.

use crate::condition::{evaluate, truth, KeyState, Truth};
use crate::context::ContextValue;
use crate::policy::{Effect, Statement};
use crate::request::Request;

/// "explicit Deny in resource policy `bucket` statement `X`: StringNotEquals aws:SourceVpc is true because the key is absent".
pub fn explain_statement(
    policy_words: &str,
    policy_name: &str,
    st: &Statement,
    index: usize,
    req: &Request,
) -> String {
    let label = st.sid.clone().unwrap_or_else(|| format!("#{index}"));
    let head = match st.effect {
        Effect::Deny => {
            format!("explicit Deny in {policy_words} `{policy_name}` statement `{label}`")
        }
        Effect::Allow => format!("Allow in {policy_words} `{policy_name}` statement `{label}`"),
    };
    let mut parts: Vec<String> = Vec::new();
    if st.action.negated {
        parts.push(format!("`{}` is not in its NotAction", req.action));
    }
    if let Some(r) = &st.resource {
        if r.negated {
            parts.push(format!("`{}` is not in its NotResource", req.resource));
        }
    }
    if let Some(p) = &st.principal {
        if p.negated {
            parts.push("the principal is not excluded by its NotPrincipal".into());
        }
    }
    for c in &st.conditions {
        let (result, state) = evaluate(&c.operator, &c.key, &c.values, &req.context);
        if state == KeyState::Unknown || c.values.iter().any(|v| v.depends_on_unknown(&req.context))
        {
            let t = truth(&c.operator, &c.key, &c.values, &req.context);
            let how = match t {
                Truth::True => "true for every value it can have",
                Truth::False => "false for every value it can have",
                Truth::Unknown => "not known",
            };
            parts.push(format!(
                "{} {} is {how} (the value is not known)",
                c.operator.name(),
                c.key
            ));
            continue;
        }
        let policy_values = c
            .value_texts()
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let because = match state {
            KeyState::Absent => "because the key is absent from the request".to_string(),
            _ => {
                let given = match req.context.get(&c.key) {
                    Some(ContextValue::Single(s)) => format!("`{s}`"),
                    Some(ContextValue::Multi(v)) => format!(
                        "[{}]",
                        v.iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Some(ContextValue::Unknown(_)) | None => String::new(),
                };
                if matches!(state, KeyState::Multi(_)) && c.operator.set.is_none() {
                    format!("because the request has several values {given} and a single-valued operator does not match a multivalued key")
                } else {
                    format!("for request value {given} against {policy_values}")
                }
            }
        };
        parts.push(format!(
            "{} {} is {result} {because}",
            c.operator.name(),
            c.key
        ));
    }
    if parts.is_empty() {
        head
    } else {
        format!("{head}: {}", parts.join("; "))
    }
}
