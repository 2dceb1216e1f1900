//! Values to try for a key whose value is unknown: one from every class of values the
//! conditions on the key tell apart, when the engine can list the classes ("complete"),
//! or a best effort that callers must not trust to rule anything out.
//!
//! Classes per operator family ("IAM JSON policy elements: Condition operators",
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
//! - exact strings, ARNs and binary values without wildcards: equal to one of the policy's
//!   values, or to none of them;
//! - numbers and dates: each policy value, and every gap between and beyond them;
//! - addresses: CIDR blocks nest or are disjoint, so every region of their diagram starts
//!   at a block's first address or just past a block's end, or at the start of the space;
//! - Booleans: `true`, `false`;
//! - `Null`: the key is present (an unknown value is there), nothing else matters.
//!
//! Patterns with wildcards (`StringLike`, `ArnLike`) and sets (multivalued keys) have
//! classes the engine does not enumerate: their candidates only ever prove something
//! possible, never impossible.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{format_date, positive, CondValue, OpKind, Operator, ValueType};
use crate::context::{Context, ContextValue, Domain, Unknown};

/// A string no policy value is likely to be; completeness never rests on it being
/// unlike every value (the values themselves are candidates too, and equality is
/// checked by evaluation, not assumed).
const FRESH: &str = "vaultward-unmatched-value";

/// Candidate values for the unknown `u`, given the conditions that read it; `true` when
/// they cover every class the conditions tell apart. `None` stands for the key being
/// absent, when it may be.
pub(super) fn for_key(
    u: &Unknown,
    uses: &[(&Operator, &[CondValue])],
    ctx: &Context,
) -> (Vec<Option<ContextValue>>, bool) {
    let (singles, complete) = single_candidates(&u.domain, uses, ctx);
    let absent = u.maybe_absent.then_some(None);
    if !u.multivalued {
        let values = singles.into_iter().map(|s| Some(ContextValue::Single(s)));
        return (absent.into_iter().chain(values).collect(), complete);
    }
    // A set: the empty set, each candidate alone, all of them together. Sets have more
    // classes than these, so never complete.
    let mut sets = vec![Some(ContextValue::Multi(Vec::new()))];
    sets.extend(
        singles
            .iter()
            .map(|s| Some(ContextValue::Multi(vec![s.clone()]))),
    );
    if singles.len() > 1 {
        sets.push(Some(ContextValue::Multi(singles)));
    }
    sets.extend(absent);
    (sets, false)
}

fn single_candidates(
    domain: &Domain,
    uses: &[(&Operator, &[CondValue])],
    ctx: &Context,
) -> (Vec<String>, bool) {
    if let Domain::OneOf(values) = domain {
        return (values.clone(), true);
    }
    if let Domain::Like(pattern) = domain {
        // Instances of the pattern: only ever evidence that something is possible.
        return (
            vec![
                pattern.replace('*', "").replace('?', "x"),
                pattern.replace(['*', '?'], "x"),
                pattern.replace('*', "x/").replace('?', "x"),
            ],
            false,
        );
    }
    let families: Vec<ValueType> = {
        let mut f: Vec<ValueType> = uses
            .iter()
            .map(|(op, _)| op.kind.value_type())
            .filter(|t| *t != ValueType::Null)
            .collect();
        f.sort();
        f.dedup();
        f
    };
    let mut out = Vec::new();
    let mut complete = families.len() <= 1;
    let between = match domain {
        Domain::Between(lo, hi) => Some((*lo, *hi)),
        _ => None,
    };
    for family in &families {
        let values = uses
            .iter()
            .filter(|(op, _)| op.kind.value_type() == *family)
            .flat_map(|(op, vals)| vals.iter().map(move |v| (op.kind, v)));
        let done = match family {
            ValueType::String | ValueType::Arn | ValueType::Binary => {
                between.is_none()
                    && !matches!(domain, Domain::InNetworks(_))
                    && texts(values, ctx, &mut out)
            }
            ValueType::Numeric => numbers(values, between, &mut out),
            ValueType::Date => dates(values, between, &mut out),
            ValueType::Bool => {
                out.extend(["true".to_string(), "false".to_string()]);
                between.is_none()
            }
            ValueType::Ip => {
                let within = match domain {
                    Domain::InNetworks(nets) => Some(
                        nets.iter()
                            .filter_map(|n| super::parse_cidr(n))
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                };
                addresses(values, within.as_deref(), &mut out);
                between.is_none()
            }
            ValueType::Null => true,
        };
        complete &= done;
    }
    if families.is_empty() {
        // Only `Null` reads the key: any present value answers it.
        out.push(match between.and_then(|(lo, _)| format_date(lo)) {
            Some(d) => d,
            None => FRESH.to_string(),
        });
    }
    if let Domain::NoneOf(excluded) = domain {
        out.retain(|v| !excluded.contains(v));
    }
    out.sort();
    out.dedup();
    (out, complete)
}

/// Strings, ARNs and binary values: each value, and one equal to none; for values
/// compared ignoring case, spellings that differ from every value compared exactly.
/// Complete unless a pattern has a wildcard, a value is not known, or no such spelling
/// was found.
fn texts<'a>(
    values: impl Iterator<Item = (OpKind, &'a CondValue)>,
    ctx: &Context,
    out: &mut Vec<String>,
) -> bool {
    let mut complete = true;
    let mut exact: Vec<String> = Vec::new();
    let mut folded: Vec<String> = Vec::new();
    for (kind, v) in values {
        let text = match v {
            CondValue::Text(t) => t.resolve_text(ctx),
            CondValue::Arn(p) => p.text(),
            CondValue::Folded(s) | CondValue::Binary(s) => Some(s.clone()),
            _ => None,
        };
        let Some(text) = text else {
            complete = false;
            continue;
        };
        let base = positive(kind);
        let wild = matches!(
            base,
            OpKind::StringLike | OpKind::ArnEquals | OpKind::ArnLike
        ) && text.contains(['*', '?']);
        if wild {
            complete = false;
            // Instances of the pattern: wildcards as nothing, and as one character.
            out.push(text.replace('*', "").replace('?', "x"));
            out.push(text.replace(['*', '?'], "x"));
        }
        if base == OpKind::StringEqualsIgnoreCase {
            folded.push(text);
        } else {
            exact.push(text);
        }
    }
    // A spelling of each case-insensitive value that no exact comparison meets.
    for f in &folded {
        let variants = [
            f.to_uppercase(),
            f.to_lowercase(),
            toggle_first(f),
            f.chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect(),
        ];
        let cased = f.chars().any(|c| c.is_uppercase() || c.is_lowercase());
        let apart = variants
            .iter()
            .filter(|v| v.to_lowercase() == f.to_lowercase() && !exact.contains(v))
            .cloned()
            .collect::<Vec<_>>();
        if cased && apart.is_empty() {
            complete = false;
        }
        out.extend(apart);
        out.push(f.clone());
    }
    out.extend(exact);
    out.push(FRESH.to_string());
    complete
}

fn toggle_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_uppercase() => c.to_lowercase().chain(chars).collect(),
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Numbers: each value, the midpoints between them, and one below and above all. An
/// instant range (`aws:EpochTime` compared as a number) bounds them, in seconds.
fn numbers<'a>(
    values: impl Iterator<Item = (OpKind, &'a CondValue)>,
    between: Option<(i64, i64)>,
    out: &mut Vec<String>,
) -> bool {
    let mut ns: Vec<f64> = values
        .filter_map(|(_, v)| match v {
            CondValue::Number(n) => Some(*n),
            _ => None,
        })
        .collect();
    let bounds = between.map(|(lo, hi)| (lo as f64 / 1000.0, hi as f64 / 1000.0));
    if let Some((lo, hi)) = bounds {
        ns.push(lo);
        ns.push(hi);
    }
    ns.sort_by(f64::total_cmp);
    ns.dedup();
    let mut points = ns.clone();
    for pair in ns.windows(2) {
        if let [a, b] = pair {
            points.push(a / 2.0 + b / 2.0);
        }
    }
    if let (Some(first), Some(last)) = (ns.first(), ns.last()) {
        points.push(first - 1.0);
        points.push(last + 1.0);
    } else {
        points.push(0.0);
    }
    out.extend(
        points
            .into_iter()
            .filter(|p| p.is_finite())
            .filter(|p| bounds.is_none_or(|(lo, hi)| (lo..=hi).contains(p)))
            .map(|p| p.to_string()),
    );
    true
}

/// Dates: each value and the milliseconds either side of it, within the range when
/// there is one, and the range's ends.
fn dates<'a>(
    values: impl Iterator<Item = (OpKind, &'a CondValue)>,
    between: Option<(i64, i64)>,
    out: &mut Vec<String>,
) -> bool {
    let (lo, hi) = between.unwrap_or(super::date::DATE_RANGE);
    let mut points = vec![lo, hi];
    for (_, v) in values {
        if let CondValue::Date(d) = v {
            points.extend([d.saturating_sub(1), *d, d.saturating_add(1)]);
        }
    }
    out.extend(
        points
            .into_iter()
            .filter(|p| (lo..=hi).contains(p))
            .filter_map(format_date),
    );
    true
}

/// Addresses: every block's first and last address and the ones just outside it, and
/// the ends of both address spaces. When the address is known to lie `within` some
/// blocks, those are blocks too, and only the points inside them count: the regions of
/// the diagram inside them start at one of those points just the same.
fn addresses<'a>(
    values: impl Iterator<Item = (OpKind, &'a CondValue)>,
    within: Option<&[ipnet::IpNet]>,
    out: &mut Vec<String>,
) {
    let mut points: Vec<IpAddr> = vec![
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V4(Ipv4Addr::BROADCAST),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::from(u128::MAX)),
    ];
    let blocks = values
        .filter_map(|(_, v)| match v {
            CondValue::Ip(net) => Some(*net),
            _ => None,
        })
        .chain(within.unwrap_or_default().iter().copied());
    for net in blocks {
        let (first, last) = (net.network(), net.broadcast());
        points.extend([first, last]);
        points.extend(step(first, false));
        points.extend(step(last, true));
    }
    out.extend(
        points
            .into_iter()
            .filter(|p| within.is_none_or(|nets| nets.iter().any(|n| n.contains(p))))
            .map(|p| p.to_string()),
    );
}

/// The address just before or after `a`, if there is one.
fn step(a: IpAddr, up: bool) -> Option<IpAddr> {
    match a {
        IpAddr::V4(v) => {
            let n = u32::from(v);
            let m = if up {
                n.checked_add(1)
            } else {
                n.checked_sub(1)
            }?;
            Some(IpAddr::V4(Ipv4Addr::from(m)))
        }
        IpAddr::V6(v) => {
            let n = u128::from(v);
            let m = if up {
                n.checked_add(1)
            } else {
                n.checked_sub(1)
            }?;
            Some(IpAddr::V6(Ipv6Addr::from(m)))
        }
    }
}

#[cfg(test)]
mod tests;
