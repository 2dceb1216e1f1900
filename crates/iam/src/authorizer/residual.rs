//! What an answer depends on when part of the request is unknown, as data and in words:
//! "allowed only if `aws:SourceIp` is in `192.0.2.0/24` (resource policy `office-only`,
//! statement `IPAllow`)".

use serde::Serialize;

use super::{Decision, PolicyType};

/// What a decision depends on, and which way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Residual {
    /// Each thing the answer depends on.
    pub depends_on: Vec<Dependency>,
    /// For each decision that can come out, when: any of the terms, each a set of
    /// dependencies that must hold (or not). Empty when there were too many unknowns to
    /// work it out (`complete` is then false, and `depends_on` lists them all).
    pub cases: Vec<ResidualCase>,
    pub complete: bool,
}

/// One thing the decision depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    #[serde(flatten)]
    pub kind: DependencyKind,
    /// The policy type of the first statement it appears in.
    pub policy_type: PolicyType,
    /// The statements it appears in (`statement_ref`s).
    pub statements: Vec<String>,
    /// The context keys whose unknown values it reads.
    pub keys: Vec<String>,
    /// What would settle it, as the request's unknown values say.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settled_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DependencyKind {
    /// A condition on a value that is not known.
    Condition {
        operator: String,
        key: String,
        values: Vec<String>,
    },
    /// Whether `resource` matches a `Resource` (or `NotResource`) with a policy variable
    /// whose value is not known.
    Resource {
        resource: String,
        patterns: Vec<String>,
        negated: bool,
    },
    /// Whether the statement's principal names the request's (why it is not known).
    Principal { why: String },
    /// Whether `resource` is in the principal's `account`.
    ResourceAccount { resource: String, account: String },
}

/// A decision and the terms under which it comes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidualCase {
    pub decision: Decision,
    pub when: Vec<Vec<Literal>>,
}

/// One dependency (an index into [`Residual::depends_on`]) holding or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Literal {
    pub depends_on: usize,
    pub holds: bool,
}

impl Dependency {
    /// The dependency in words, holding or not: "`aws:SourceIp` is in `192.0.2.0/24`".
    pub fn words(&self, holds: bool) -> String {
        match &self.kind {
            DependencyKind::Condition {
                operator,
                key,
                values,
            } => condition_words(operator, key, values, holds),
            DependencyKind::Resource {
                resource,
                patterns,
                negated,
            } => {
                let list = ticked(patterns, "or");
                let matches = holds != *negated;
                format!(
                    "`{resource}` {} {list}",
                    if matches { "matches" } else { "does not match" }
                )
            }
            DependencyKind::Principal { why } => {
                format!(
                    "the statement's principal {} the request's ({why})",
                    if holds { "names" } else { "does not name" }
                )
            }
            DependencyKind::ResourceAccount { resource, account } => format!(
                "`{resource}` is {}in the principal's account `{account}`",
                if holds { "" } else { "not " }
            ),
        }
    }

    /// "(resource policy `office-only`, statement `IPAllow`)".
    fn location(&self) -> String {
        let places: Vec<String> = self.statements.iter().map(|s| place(s)).collect();
        if places.is_empty() {
            String::new()
        } else {
            format!(" ({})", places.join("; "))
        }
    }
}

/// `resource:office-only/IPAllow` as "resource policy `office-only`, statement `IPAllow`".
fn place(sref: &str) -> String {
    let (ty, rest) = sref.split_once(':').unwrap_or(("", sref));
    let (ty, level) = match ty.split_once('[') {
        Some((t, l)) => (t, format!(" level {}", l.trim_end_matches(']'))),
        None => (ty, String::new()),
    };
    let words = match ty {
        "identity" => "identity policy",
        "resource" => "resource policy",
        "boundary" => "permissions boundary",
        "session" => "session policy",
        "scp" => "SCP",
        "rcp" => "RCP",
        other => other,
    };
    let (policy, statement) = rest.rsplit_once('/').unwrap_or((rest, ""));
    format!("{words}{level} `{policy}`, statement `{statement}`")
}

fn ticked(values: &[String], joiner: &str) -> String {
    let t: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match t.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {joiner} {last}", init.join(", ")),
    }
}

/// A condition in words, holding or not.
fn condition_words(operator: &str, key: &str, values: &[String], holds: bool) -> String {
    let (set, rest) = if let Some(r) = operator.strip_prefix("ForAllValues:") {
        (Some(true), r)
    } else if let Some(r) = operator.strip_prefix("ForAnyValue:") {
        (Some(false), r)
    } else {
        (None, operator)
    };
    let base = rest.strip_suffix("IfExists").unwrap_or(rest);
    if base == "Null" {
        let absent_wanted = values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        let absent = absent_wanted == holds;
        return format!("`{key}` is {}", if absent { "absent" } else { "present" });
    }
    let (negated, positive) = match base {
        "StringNotEquals" => (true, "StringEquals"),
        "StringNotEqualsIgnoreCase" => (true, "StringEqualsIgnoreCase"),
        "StringNotLike" => (true, "StringLike"),
        "NumericNotEquals" => (true, "NumericEquals"),
        "DateNotEquals" => (true, "DateEquals"),
        "NotIpAddress" => (true, "IpAddress"),
        "ArnNotEquals" => (true, "ArnEquals"),
        "ArnNotLike" => (true, "ArnLike"),
        b => (false, b),
    };
    let (yes, no) = match positive {
        "StringEquals" | "Bool" | "BinaryEquals" | "DateEquals" => ("is", "is not"),
        "StringEqualsIgnoreCase" => ("is, ignoring case,", "is not, ignoring case,"),
        "StringLike" | "ArnLike" | "ArnEquals" => ("matches", "does not match"),
        "NumericEquals" => ("equals", "does not equal"),
        "NumericLessThan" => ("is less than", "is not less than"),
        "NumericLessThanEquals" => ("is at most", "is more than"),
        "NumericGreaterThan" => ("is more than", "is at most"),
        "NumericGreaterThanEquals" => ("is at least", "is less than"),
        "DateLessThan" => ("is before", "is not before"),
        "DateLessThanEquals" => ("is at or before", "is after"),
        "DateGreaterThan" => ("is after", "is not after"),
        "DateGreaterThanEquals" => ("is at or after", "is before"),
        "IpAddress" => ("is in", "is not in"),
        _ => {
            return format!(
                "`{operator} {key} [{}]` {}",
                values.join(", "),
                if holds { "holds" } else { "does not hold" }
            )
        }
    };
    let list = ticked(values, "or");
    // A negated operator holds when its positive form does not, value by value.
    let positive_holds = holds != negated;
    match set {
        None => format!("`{key}` {} {list}", if positive_holds { yes } else { no }),
        // ForAllValues: every value satisfies the (possibly negated) operator.
        Some(true) if holds => format!(
            "every value of `{key}` {} {list}",
            if negated { no } else { yes }
        ),
        Some(true) => format!(
            "some value of `{key}` {} {list}",
            if negated { yes } else { no }
        ),
        // ForAnyValue: some value satisfies it.
        Some(false) if holds => format!(
            "some value of `{key}` {} {list}",
            if negated { no } else { yes }
        ),
        Some(false) => format!(
            "no value of `{key}` {} {list}",
            if negated { no } else { yes }
        ),
    }
}

fn decision_words(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allowed",
        Decision::ExplicitDeny => "denied by an explicit Deny",
        Decision::ImplicitDeny => "denied, as nothing allows it,",
        Decision::Undecided => "undecided",
    }
}

/// The residual in words, for the reason that carries it.
pub(super) fn summary(r: &Residual, decision: Decision) -> String {
    let term = |t: &[Literal]| -> String {
        let parts: Vec<String> = t
            .iter()
            .filter_map(|l| {
                let d = r.depends_on.get(l.depends_on)?;
                Some(format!("{}{}", d.words(l.holds), d.location()))
            })
            .collect();
        if parts.is_empty() {
            "always".into()
        } else {
            parts.join(" and ")
        }
    };
    let head = match decision {
        Decision::Undecided => "cannot decide: the answer depends on values that are not known",
        Decision::ImplicitDeny => {
            "denied whatever the unknown values are; whether by an explicit Deny depends on them"
        }
        _ => "the answer depends on values that are not known",
    };
    if !r.complete {
        let what: Vec<String> = r
            .depends_on
            .iter()
            .map(|d| format!("{}{}", d.words(true), d.location()))
            .collect();
        return format!(
            "{head}; too many to work out which way: it depends on whether {}",
            what.join(", whether ")
        );
    }
    // The Allow case first: "allowed only if ...".
    let mut cases: Vec<&ResidualCase> = r.cases.iter().collect();
    cases.sort_by_key(|c| c.decision != Decision::Allow);
    let parts: Vec<String> = cases
        .iter()
        .map(|c| {
            let terms: Vec<String> = c.when.iter().map(|t| term(t)).collect();
            let only = if c.decision == Decision::Allow {
                " only"
            } else {
                ""
            };
            format!(
                "{}{only} if {}",
                decision_words(c.decision),
                terms.join(", or if ")
            )
        })
        .collect();
    let settled: Vec<&String> = {
        let mut s: Vec<&String> = r.depends_on.iter().flat_map(|d| &d.settled_by).collect();
        s.sort();
        s.dedup();
        s
    };
    let tail = if settled.is_empty() {
        String::new()
    } else {
        format!(
            "; to settle it: {}",
            settled
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    format!("{head}: {}{tail}", parts.join("; "))
}

/// One term of a cover: atoms (local indices) and the value each must have.
pub(super) type Term = Vec<(usize, bool)>;

/// A small cover of the combinations `on` (local bit vectors over `n` atoms) by terms,
/// using every combination not in `possible` as a don't-care. Each term is a prime
/// implicant: no literal can be dropped without covering a combination of another
/// decision, so a term never names an atom that does not matter there.
pub(super) fn minimal_cover(on: &[u64], possible: &[u64], n: usize) -> Vec<Term> {
    let off: Vec<u64> = possible
        .iter()
        .copied()
        .filter(|p| !on.contains(p))
        .collect();
    // A cube: (mask of the atoms it names, their values).
    let covers_off = |mask: u64, value: u64| off.iter().any(|o| o & mask == value & mask);
    let mut cubes: Vec<(u64, u64)> = Vec::new();
    let full: u64 = if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n).saturating_sub(1)
    };
    for m in on {
        if cubes.iter().any(|(mask, value)| m & mask == value & mask) {
            continue;
        }
        let mut mask = full;
        for i in 0..n {
            let without = mask & !(1u64 << i);
            if !covers_off(without, *m) {
                mask = without;
            }
        }
        cubes.push((mask, m & mask));
    }
    // Drop cubes whose combinations others cover.
    let mut kept: Vec<(u64, u64)> = Vec::new();
    for (i, c) in cubes.iter().enumerate() {
        let others = cubes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, c)| *c)
            .chain(kept.iter().copied())
            .collect::<Vec<_>>();
        let needed = on
            .iter()
            .filter(|m| *m & c.0 == c.1 & c.0)
            .any(|m| !others.iter().any(|(mask, value)| m & mask == value & mask));
        if needed {
            kept.push(*c);
        }
    }
    kept.into_iter()
        .map(|(mask, value)| {
            (0..n)
                .filter(|i| mask >> i & 1 == 1)
                .map(|i| (i, value >> i & 1 == 1))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_name_only_what_matters() {
        // f(a, b) = a: b never matters.
        let on = [0b01, 0b11];
        let possible = [0b00, 0b01, 0b10, 0b11];
        assert_eq!(minimal_cover(&on, &possible, 2), vec![vec![(0, true)]]);
        // f(a, b) = a and not b.
        assert_eq!(
            minimal_cover(&[0b01], &possible, 2),
            vec![vec![(0, true), (1, false)]]
        );
        // Impossible combinations are free: with 0b11 impossible, f = a reads as a.
        assert_eq!(
            minimal_cover(&[0b01], &[0b00, 0b01, 0b10], 2),
            vec![vec![(0, true)]]
        );
    }

    #[test]
    fn words() {
        assert_eq!(
            condition_words("IpAddress", "aws:SourceIp", &["192.0.2.0/24".into()], true),
            "`aws:SourceIp` is in `192.0.2.0/24`"
        );
        assert_eq!(
            condition_words(
                "NotIpAddress",
                "aws:SourceIp",
                &["192.0.2.0/24".into()],
                true
            ),
            "`aws:SourceIp` is not in `192.0.2.0/24`"
        );
        assert_eq!(
            condition_words(
                "StringNotEquals",
                "aws:RequestedRegion",
                &["eu-west-1".into(), "eu-central-1".into()],
                false
            ),
            "`aws:RequestedRegion` is `eu-west-1` or `eu-central-1`"
        );
        assert_eq!(
            condition_words(
                "ForAnyValue:StringEquals",
                "aws:TagKeys",
                &["a".into()],
                false
            ),
            "no value of `aws:TagKeys` is `a`"
        );
        assert_eq!(
            place("scp[1]:region-lock/DenyOtherRegions"),
            "SCP level 1 `region-lock`, statement `DenyOtherRegions`"
        );
    }
}
