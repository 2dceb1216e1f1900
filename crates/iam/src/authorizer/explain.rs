//! Plain-words explanations of why a statement applied. Built only for the
//! statements that decided, so evaluation itself stays allocation-light; written
//! straight into whatever takes them ([`write_explanation`]), a `String` or the JSON
//! output.

use std::fmt::{self, Write};

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
    let mut s = String::new();
    // Writing to a `String` does not fail.
    let _ = write_explanation(&mut s, policy_words, policy_name, st, index, req);
    s
}

/// The statement's label: its `Sid`, or `#N` for its position.
pub(super) fn write_label(out: &mut impl Write, st: &Statement, index: usize) -> fmt::Result {
    match &st.sid {
        Some(sid) => out.write_str(sid),
        None => write!(out, "#{index}"),
    }
}

/// Writes each piece in turn (`write!` without its formatting machinery: explanations
/// are written for every decision of a stream).
fn put(out: &mut impl Write, pieces: &[&str]) -> fmt::Result {
    pieces.iter().try_for_each(|p| out.write_str(p))
}

/// [`explain_statement`], written into `out`.
pub(super) fn write_explanation(
    out: &mut impl Write,
    policy_words: &str,
    policy_name: &str,
    st: &Statement,
    index: usize,
    req: &Request,
) -> fmt::Result {
    let effect = match st.effect {
        Effect::Deny => "explicit Deny",
        Effect::Allow => "Allow",
    };
    put(
        out,
        &[
            effect,
            " in ",
            policy_words,
            " `",
            policy_name,
            "` statement `",
        ],
    )?;
    write_label(out, st, index)?;
    out.write_char('`')?;
    // The parts after the head: the first after ": ", the others after "; ".
    let mut first = true;
    let mut part = |out: &mut dyn Write| -> fmt::Result {
        out.write_str(if first { ": " } else { "; " })?;
        first = false;
        Ok(())
    };
    if st.action.negated {
        part(out)?;
        put(out, &["`", &req.action, "` is not in its NotAction"])?;
    }
    if let Some(r) = &st.resource {
        if r.negated {
            part(out)?;
            put(out, &["`", &req.resource, "` is not in its NotResource"])?;
        }
    }
    if let Some(p) = &st.principal {
        if p.negated {
            part(out)?;
            out.write_str("the principal is not excluded by its NotPrincipal")?;
        }
    }
    for c in &st.conditions {
        part(out)?;
        let (result, state) = evaluate(&c.operator, &c.key, &c.values, &req.context);
        if state == KeyState::Unknown || c.values.iter().any(|v| v.depends_on_unknown(&req.context))
        {
            let t = truth(&c.operator, &c.key, &c.values, &req.context);
            let how = match t {
                Truth::True => "true for every value it can have",
                Truth::False => "false for every value it can have",
                Truth::Unknown => "not known",
            };
            write!(
                out,
                "{} {} is {how} (the value is not known)",
                c.operator.name(),
                c.key
            )?;
            continue;
        }
        c.operator.write_name(out)?;
        let result = if result { "true" } else { "false" };
        put(out, &[" ", &c.key, " is ", result, " "])?;
        if state == KeyState::Absent {
            out.write_str("because the key is absent from the request")?;
            continue;
        }
        let several = matches!(state, KeyState::Multi(_)) && c.operator.set.is_none();
        out.write_str(if several {
            "because the request has several values "
        } else {
            "for request value "
        })?;
        match req.context.get(&c.key) {
            Some(ContextValue::Single(s)) => put(out, &["`", s, "`"])?,
            Some(ContextValue::Multi(v)) => {
                out.write_char('[')?;
                write_list(out, v)?;
                out.write_char(']')?;
            }
            Some(ContextValue::Unknown(_)) | None => {}
        }
        if several {
            out.write_str(" and a single-valued operator does not match a multivalued key")?;
        } else {
            out.write_str(" against ")?;
            write_list(out, &c.value_texts())?;
        }
    }
    Ok(())
}

/// "`a`, `b`".
fn write_list(out: &mut impl Write, values: &[String]) -> fmt::Result {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        put(out, &["`", v, "`"])?;
    }
    Ok(())
}
