//! Condition operators and their evaluation.
//!
//! Sources, AWS IAM User Guide:
//! - "IAM JSON policy elements: Condition operators"
//!   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
//! - "Single-valued vs. multivalued context keys"
//!   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html)
//! - "Creating a condition with multiple keys or values"
//!   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html)

use std::net::IpAddr;

use ipnet::IpNet;

use crate::arn::ArnPattern;
use crate::context::{Context, ContextValue};
use crate::template::Template;

mod candidates;
mod date;
mod globs;
pub use date::{format_date, parse_date};

/// The operator family, which fixes how values are read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const ALL_KINDS: [(&str, OpKind); 27] = [
    ("StringEquals", OpKind::StringEquals),
    ("StringNotEquals", OpKind::StringNotEquals),
    ("StringEqualsIgnoreCase", OpKind::StringEqualsIgnoreCase),
    (
        "StringNotEqualsIgnoreCase",
        OpKind::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", OpKind::StringLike),
    ("StringNotLike", OpKind::StringNotLike),
    ("NumericEquals", OpKind::NumericEquals),
    ("NumericNotEquals", OpKind::NumericNotEquals),
    ("NumericLessThan", OpKind::NumericLessThan),
    ("NumericLessThanEquals", OpKind::NumericLessThanEquals),
    ("NumericGreaterThan", OpKind::NumericGreaterThan),
    ("NumericGreaterThanEquals", OpKind::NumericGreaterThanEquals),
    ("DateEquals", OpKind::DateEquals),
    ("DateNotEquals", OpKind::DateNotEquals),
    ("DateLessThan", OpKind::DateLessThan),
    ("DateLessThanEquals", OpKind::DateLessThanEquals),
    ("DateGreaterThan", OpKind::DateGreaterThan),
    ("DateGreaterThanEquals", OpKind::DateGreaterThanEquals),
    ("Bool", OpKind::Bool),
    ("BinaryEquals", OpKind::BinaryEquals),
    ("IpAddress", OpKind::IpAddress),
    ("NotIpAddress", OpKind::NotIpAddress),
    ("ArnEquals", OpKind::ArnEquals),
    ("ArnLike", OpKind::ArnLike),
    ("ArnNotEquals", OpKind::ArnNotEquals),
    ("ArnNotLike", OpKind::ArnNotLike),
    ("Null", OpKind::Null),
];

/// The value type an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueType {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

impl OpKind {
    pub fn name(self) -> &'static str {
        ALL_KINDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("", |(n, _)| n)
    }

    /// Negated operators (`StringNotEquals`, `NotIpAddress`, ...) are true when the key is absent.
    pub fn is_negated(self) -> bool {
        use OpKind::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    pub fn value_type(self) -> ValueType {
        use OpKind::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => ValueType::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => ValueType::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => ValueType::Date,
            Bool => ValueType::Bool,
            BinaryEquals => ValueType::Binary,
            IpAddress | NotIpAddress => ValueType::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => ValueType::Arn,
            Null => ValueType::Null,
        }
    }

    /// Whether policy values are read as patterns with `*` and `?`.
    fn wildcards(self) -> bool {
        use OpKind::*;
        matches!(
            self,
            StringLike | StringNotLike | ArnEquals | ArnLike | ArnNotEquals | ArnNotLike
        )
    }
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    ForAllValues,
    ForAnyValue,
}

/// A full operator: kind, optional set qualifier, optional `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub kind: OpKind,
    pub set: Option<SetOp>,
    pub if_exists: bool,
}

impl Operator {
    /// Reads an operator name such as `ForAnyValue:StringLikeIfExists`. Names are case-sensitive.
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(SetOp::ForAllValues), r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(SetOp::ForAnyValue), r)
        } else {
            (None, name)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let kind = ALL_KINDS.iter().find(|(n, _)| *n == base)?.1;
        // `NullIfExists` is no operator; `ForAllValues:Null` and `ForAnyValue:Null` are
        // (see `Operator::fixed_outcome`).
        if kind == OpKind::Null && if_exists {
            return None;
        }
        Some(Operator {
            kind,
            set,
            if_exists,
        })
    }

    /// The operator closest to `name` (case-insensitive match or small edit distance), for hints.
    pub fn suggest(name: &str) -> Option<String> {
        let lower = name.to_ascii_lowercase();
        let base = lower
            .trim_start_matches("forallvalues:")
            .trim_start_matches("foranyvalue:");
        let base = base.strip_suffix("ifexists").unwrap_or(base);
        ALL_KINDS
            .iter()
            .map(|(n, _)| (crate::edit_distance(&n.to_ascii_lowercase(), base), *n))
            .filter(|(d, _)| *d <= 3)
            .min()
            .map(|(_, n)| n.to_string())
    }

    pub fn name(&self) -> String {
        let mut s = String::new();
        // Writing to a `String` does not fail.
        let _ = self.write_name(&mut s);
        s
    }

    /// [`Operator::name`], written into `out`.
    pub fn write_name(&self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        match self.set {
            Some(SetOp::ForAllValues) => out.write_str("ForAllValues:")?,
            Some(SetOp::ForAnyValue) => out.write_str("ForAnyValue:")?,
            None => {}
        }
        out.write_str(self.kind.name())?;
        if self.if_exists {
            out.write_str("IfExists")?;
        }
        Ok(())
    }
}

/// A policy value, read according to its operator.
#[derive(Debug, Clone, PartialEq)]
pub enum CondValue {
    Text(Template),
    /// `StringEqualsIgnoreCase` value without variables.
    Folded(String),
    /// `Arn*` value without variables, compiled once.
    Arn(ArnPattern),
    Number(f64),
    Date(i64),
    Bool(bool),
    Binary(String),
    Ip(IpNet),
    /// `Null`: `true` means "the key must be absent".
    Null(bool),
    /// A value the condition can never match (see [`Unmatchable`]).
    Unmatchable(Unmatchable),
}

/// What makes a condition unable to match, with the text as written, so the policy reads
/// (and writes back) as stored. IAM stores such conditions and they match no request
/// (Access Analyzer's checks `invalid-condition-operator`, `null-with-if-exists` and the
/// `type-mismatch-*` warnings, "IAM policy validation check reference"): `authorize` then
/// decides the statement rather than refusing the policy.
#[derive(Debug, Clone, PartialEq)]
pub enum Unmatchable {
    /// The operator is not one AWS evaluates (`StringEqualz`, `NullIfExists`): its name
    /// as written, and one value.
    Operator { name: String, value: String },
    /// The value is not of its operator's type (`NumericLessThan: "soon"`).
    Value(String),
}

impl CondValue {
    /// Whether the value holds a policy variable that `ctx` cannot fill.
    pub fn is_unresolved(&self, ctx: &Context) -> bool {
        matches!(self, CondValue::Text(t) if t.has_variables() && t.resolve_text(ctx).is_none())
    }

    /// Whether the value holds a policy variable whose key's value is unknown in `ctx`.
    pub fn depends_on_unknown(&self, ctx: &Context) -> bool {
        matches!(self, CondValue::Text(t) if t.depends_on_unknown(ctx))
    }

    /// The value as written, when the parsed form can say it exactly.
    pub fn text(&self) -> Option<String> {
        match self {
            CondValue::Text(t) => Some(t.text()),
            CondValue::Folded(s) | CondValue::Binary(s) => Some(s.clone()),
            CondValue::Arn(p) => p.text(),
            CondValue::Unmatchable(Unmatchable::Operator { value, .. })
            | CondValue::Unmatchable(Unmatchable::Value(value)) => Some(value.clone()),
            _ => None,
        }
    }
}

/// Reads one policy value for `kind`; the error says what is wrong.
pub fn parse_value(kind: OpKind, raw: &str, substitute: bool) -> Result<CondValue, String> {
    match kind.value_type() {
        ValueType::String | ValueType::Arn => {
            let t = Template::new(raw, substitute, kind.wildcards()).map_err(|e| e.message)?;
            Ok(
                match (t.has_variables(), kind.value_type(), positive(kind)) {
                    (false, ValueType::Arn, _) => CondValue::Arn(ArnPattern::new(raw)),
                    (false, _, OpKind::StringEqualsIgnoreCase) => {
                        CondValue::Folded(raw.to_string())
                    }
                    _ => CondValue::Text(t),
                },
            )
        }
        ValueType::Numeric => parse_number(raw)
            .map(CondValue::Number)
            .ok_or_else(|| format!("`{raw}` is not a number")),
        ValueType::Date => parse_date(raw).map(CondValue::Date).ok_or_else(|| {
            format!("`{raw}` is not a date: use ISO 8601 (`2024-01-31T12:00:00Z`) or epoch seconds")
        }),
        ValueType::Bool => parse_bool(raw)
            .map(CondValue::Bool)
            .ok_or_else(|| format!("`{raw}` is not `true` or `false`")),
        ValueType::Binary => {
            if !raw.is_empty()
                && raw
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            {
                Ok(CondValue::Binary(raw.to_string()))
            } else {
                Err(format!("`{raw}` is not base64"))
            }
        }
        ValueType::Ip => parse_cidr(raw)
            .map(CondValue::Ip)
            .ok_or_else(|| format!("`{raw}` is not an IPv4 or IPv6 address or CIDR block")),
        ValueType::Null => parse_bool(raw)
            .map(CondValue::Null)
            .ok_or_else(|| format!("`Null` takes `true` or `false`, not `{raw}`")),
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("nan") || t.to_ascii_lowercase().contains("inf") {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

pub(crate) fn parse_cidr(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Outcome of one condition (one operator and key), with enough to explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyState {
    Absent,
    Single,
    Multi(usize),
    /// Present with a value that is not known: see [`truth`].
    Unknown,
}

/// The outcome of a condition that does not depend on the request (issue 27): a value it
/// can never match makes it false; `ForAllValues:Null` is always true and
/// `ForAnyValue:Null` always false (Access Analyzer's "Null with qualifier", IAM policy
/// validation check reference).
fn fixed_outcome(op: &Operator, values: &[CondValue]) -> Option<bool> {
    if values
        .iter()
        .any(|v| matches!(v, CondValue::Unmatchable(_)))
    {
        return Some(false);
    }
    match (op.kind, op.set) {
        (OpKind::Null, Some(SetOp::ForAllValues)) => Some(true),
        (OpKind::Null, Some(SetOp::ForAnyValue)) => Some(false),
        _ => None,
    }
}

/// A condition's three-valued outcome: unknown when it depends on a value that is not
/// known and some value it could have makes it true, another false.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    False,
    True,
    Unknown,
}

impl From<bool> for Truth {
    fn from(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }
}

/// Evaluates one condition when some value of the request may be unknown. True or
/// false when every value the unknowns can take gives that answer, unknown otherwise
/// (also when the engine cannot enumerate them, which is never a guess).
pub fn truth(op: &Operator, key: &str, values: &[CondValue], ctx: &Context) -> Truth {
    if let Some(result) = fixed_outcome(op, values) {
        return Truth::from(result);
    }
    if !ctx.has_unknown() {
        return Truth::from(evaluate(op, key, values, ctx).0);
    }
    let found = ctx.get(key);
    // A variable whose value is unknown: the policy values themselves are not known.
    if values.iter().any(|v| v.depends_on_unknown(ctx)) {
        return Truth::Unknown;
    }
    let Some(ContextValue::Unknown(u)) = found else {
        return Truth::from(evaluate_found(op, found, values, ctx).0);
    };
    if !u.multivalued && !u.maybe_absent {
        if let Some(t) = globs::truth(op, values, &u.domain, ctx) {
            return t;
        }
    }
    let (candidates, complete) = candidates::for_key(u, &[(op, values)], ctx);
    let mut seen = None;
    for c in &candidates {
        let t = evaluate_found(op, c.as_ref(), values, ctx).0;
        match seen {
            None => seen = Some(t),
            Some(s) if s != t => return Truth::Unknown,
            Some(_) => {}
        }
    }
    match seen {
        Some(t) if complete => Truth::from(t),
        _ => Truth::Unknown,
    }
}

/// The truth values that the conditions `uses` on one unknown key can take together:
/// one bit per condition (bit `i` set when `uses[i]` holds) for each value tried, and
/// whether those values cover every class the conditions tell apart. When they do not
/// (patterns with wildcards, mixed operator families, sets), a combination missing from
/// the list may still happen.
pub fn truth_vectors(
    u: &crate::context::Unknown,
    uses: &[(&Operator, &[CondValue])],
    ctx: &Context,
) -> (Vec<u64>, bool) {
    let (candidates, complete) = candidates::for_key(u, uses, ctx);
    let mut out: Vec<u64> = candidates
        .iter()
        .map(|c| {
            uses.iter()
                .enumerate()
                .take(64)
                .filter(|(_, (op, values))| evaluate_found(op, c.as_ref(), values, ctx).0)
                .fold(0u64, |acc, (i, _)| {
                    acc | 1u64.checked_shl(i as u32).unwrap_or(0)
                })
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    (out, complete && uses.len() <= 64)
}

/// Evaluates one operator/key/values triple against the context. An unknown value is
/// reported as [`KeyState::Unknown`] and false: ask [`truth`] for such contexts.
pub fn evaluate(op: &Operator, key: &str, values: &[CondValue], ctx: &Context) -> (bool, KeyState) {
    evaluate_found(op, ctx.get(key), values, ctx)
}

/// [`evaluate`] on the key's value as found in the context (`None`: absent).
fn evaluate_found(
    op: &Operator,
    found: Option<&ContextValue>,
    values: &[CondValue],
    ctx: &Context,
) -> (bool, KeyState) {
    // Decided before the key is read (see `fixed_outcome`).
    if let Some(result) = fixed_outcome(op, values) {
        let state = match found {
            None => KeyState::Absent,
            Some(ContextValue::Multi(v)) if v.is_empty() => KeyState::Absent,
            Some(ContextValue::Multi(v)) => KeyState::Multi(v.len()),
            Some(ContextValue::Single(_)) => KeyState::Single,
            Some(ContextValue::Unknown(_)) => KeyState::Unknown,
        };
        return (result, state);
    }
    if matches!(found, Some(ContextValue::Unknown(_))) {
        return (false, KeyState::Unknown);
    }
    if op.kind == OpKind::Null {
        let absent = match found {
            None => true,
            Some(ContextValue::Multi(v)) => v.is_empty(),
            Some(ContextValue::Single(_) | ContextValue::Unknown(_)) => false,
        };
        let state = if absent {
            KeyState::Absent
        } else {
            KeyState::Single
        };
        // Null with several values: any of them may hold (OR across values).
        return (
            values
                .iter()
                .any(|v| matches!(v, CondValue::Null(want) if *want == absent)),
            state,
        );
    }
    let request_values: &[String] = match found {
        None => &[],
        Some(v) => v.values(),
    };
    let state = match found {
        None => KeyState::Absent,
        Some(ContextValue::Single(_)) => KeyState::Single,
        Some(ContextValue::Multi(v)) if v.is_empty() => KeyState::Absent,
        Some(ContextValue::Multi(v)) => KeyState::Multi(v.len()),
        Some(ContextValue::Unknown(_)) => KeyState::Unknown,
    };
    let result = match (op.set, &state) {
        (_, KeyState::Absent) if op.if_exists => true,
        (Some(SetOp::ForAllValues), KeyState::Absent) => true,
        (Some(SetOp::ForAnyValue), KeyState::Absent) => false,
        (None, KeyState::Absent) => op.kind.is_negated(),
        (Some(SetOp::ForAllValues), _) => request_values
            .iter()
            .all(|rv| one_value(op.kind, rv, values, ctx)),
        (Some(SetOp::ForAnyValue), _) => request_values
            .iter()
            .any(|rv| one_value(op.kind, rv, values, ctx)),
        (None, KeyState::Single) => request_values
            .first()
            .is_some_and(|rv| one_value(op.kind, rv, values, ctx)),
        // A single-valued operator does not match a multivalued key.
        (None, KeyState::Multi(_)) => false,
        (_, KeyState::Unknown) => false,
    };
    (result, state)
}

/// Whether one request value satisfies the operator against the policy values:
/// for positive operators any policy value matches; for negated ones none does.
fn one_value(kind: OpKind, rv: &str, values: &[CondValue], ctx: &Context) -> bool {
    let base = positive(kind);
    let any = values.iter().any(|pv| compare(base, rv, pv, ctx));
    if kind.is_negated() {
        !any
    } else {
        any
    }
}

/// The operator a negated one negates (`StringNotEquals` → `StringEquals`); others as they are.
pub fn positive(kind: OpKind) -> OpKind {
    use OpKind::*;
    match kind {
        StringNotEquals => StringEquals,
        StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
        StringNotLike => StringLike,
        NumericNotEquals => NumericEquals,
        DateNotEquals => DateEquals,
        NotIpAddress => IpAddress,
        ArnNotEquals => ArnEquals,
        ArnNotLike => ArnLike,
        k => k,
    }
}

fn compare(kind: OpKind, rv: &str, pv: &CondValue, ctx: &Context) -> bool {
    use OpKind::*;
    match (kind, pv) {
        (StringEquals | StringLike, CondValue::Text(t)) => t.matches(ctx, rv) == Some(true),
        (StringEqualsIgnoreCase, CondValue::Text(t)) => t
            .resolve_text(ctx)
            .is_some_and(|s| s.to_lowercase() == rv.to_lowercase()),
        (StringEqualsIgnoreCase, CondValue::Folded(s)) => s
            .chars()
            .flat_map(char::to_lowercase)
            .eq(rv.chars().flat_map(char::to_lowercase)),
        (ArnEquals | ArnLike, CondValue::Text(t)) => t
            .resolve_text(ctx)
            .is_some_and(|p| ArnPattern::new(&p).is_match(rv)),
        (ArnEquals | ArnLike, CondValue::Arn(p)) => p.is_match(rv),
        (NumericEquals, CondValue::Number(n)) => parse_number(rv).is_some_and(|r| r == *n),
        (NumericLessThan, CondValue::Number(n)) => parse_number(rv).is_some_and(|r| r < *n),
        (NumericLessThanEquals, CondValue::Number(n)) => parse_number(rv).is_some_and(|r| r <= *n),
        (NumericGreaterThan, CondValue::Number(n)) => parse_number(rv).is_some_and(|r| r > *n),
        (NumericGreaterThanEquals, CondValue::Number(n)) => {
            parse_number(rv).is_some_and(|r| r >= *n)
        }
        (DateEquals, CondValue::Date(d)) => parse_date(rv).is_some_and(|r| r == *d),
        (DateLessThan, CondValue::Date(d)) => parse_date(rv).is_some_and(|r| r < *d),
        (DateLessThanEquals, CondValue::Date(d)) => parse_date(rv).is_some_and(|r| r <= *d),
        (DateGreaterThan, CondValue::Date(d)) => parse_date(rv).is_some_and(|r| r > *d),
        (DateGreaterThanEquals, CondValue::Date(d)) => parse_date(rv).is_some_and(|r| r >= *d),
        (Bool, CondValue::Bool(b)) => parse_bool(rv) == Some(*b),
        (BinaryEquals, CondValue::Binary(b)) => rv == b,
        (IpAddress, CondValue::Ip(net)) => rv.parse::<IpAddr>().is_ok_and(|ip| net.contains(&ip)),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
