//! Conditions on a value known only by a pattern it matches ([`Domain::Like`]): a
//! session's `aws:PrincipalArn` when its role's path is not known is
//! `arn:aws:iam::ACCOUNT:role/*NAME`. A policy pattern that no such value can match
//! decides the condition false, one that every such value matches decides it true; in
//! between it stays unknown. Patterns are the policy language's: `*` any run of
//! characters, `?` one ("Condition operators", string and ARN operators,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
//! ARN operators compare each of the six parts on its own.

use super::{positive, CondValue, OpKind, Operator, Truth, ValueType};
use crate::context::{Context, Domain};

/// The truth of a condition on a value matching `domain`, when the patterns decide it;
/// `None` when this reasoning does not apply (other operators, sets, case folding).
pub(super) fn truth(
    op: &Operator,
    values: &[CondValue],
    domain: &Domain,
    ctx: &Context,
) -> Option<Truth> {
    let Domain::Like(d) = domain else {
        return None;
    };
    let base = positive(op.kind);
    let arn = op.kind.value_type() == ValueType::Arn;
    if !matches!(
        base,
        OpKind::StringEquals | OpKind::StringLike | OpKind::ArnEquals | OpKind::ArnLike
    ) {
        return None;
    }
    let mut any_subset = false;
    let mut all_disjoint = true;
    for v in values {
        let (text, wild) = match v {
            CondValue::Text(t) => (t.resolve_text(ctx)?, base != OpKind::StringEquals),
            CondValue::Arn(p) => (p.text()?, true),
            _ => return None,
        };
        let rel = if arn {
            arn_relation(&text, d, wild)
        } else {
            relation(&text, d, wild)
        };
        any_subset |= rel == Relation::Contains;
        all_disjoint &= rel == Relation::Disjoint;
    }
    let holds = if any_subset {
        Truth::True
    } else if all_disjoint {
        Truth::False
    } else {
        Truth::Unknown
    };
    Some(match (holds, op.kind.is_negated()) {
        (Truth::True, true) => Truth::False,
        (Truth::False, true) => Truth::True,
        (t, _) => t,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    /// Every value of the domain matches the policy's pattern.
    Contains,
    /// No value of the domain matches it.
    Disjoint,
    /// Some may, some may not (or the engine cannot tell).
    Overlap,
}

/// How the policy's `pattern` (a glob when `wild`, else literal text) relates to the
/// values matching `domain` (a glob).
fn relation(pattern: &str, domain: &str, wild: bool) -> Relation {
    let p = tokens(pattern, wild);
    let d = tokens(domain, true);
    if !intersects(&p, &d) {
        Relation::Disjoint
    } else if contains(&p, &d) {
        Relation::Contains
    } else {
        Relation::Overlap
    }
}

/// ARN operators: each of the six parts on its own (the last one keeps its colons).
fn arn_relation(pattern: &str, domain: &str, wild: bool) -> Relation {
    let ps: Vec<&str> = pattern.splitn(6, ':').collect();
    let ds: Vec<&str> = domain.splitn(6, ':').collect();
    if ps.len() != 6 || ds.len() != 6 {
        return if ps.len() == ds.len() {
            relation(pattern, domain, wild)
        } else {
            Relation::Disjoint
        };
    }
    let rels: Vec<Relation> = ps
        .iter()
        .zip(&ds)
        .map(|(p, d)| relation(p, d, wild))
        .collect();
    if rels.contains(&Relation::Disjoint) {
        Relation::Disjoint
    } else if rels.iter().all(|r| *r == Relation::Contains) {
        Relation::Contains
    } else {
        Relation::Overlap
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    One,
    Any,
}

fn tokens(s: &str, wild: bool) -> Vec<Tok> {
    s.chars()
        .map(|c| match c {
            '*' if wild => Tok::Any,
            '?' if wild => Tok::One,
            c => Tok::Lit(c),
        })
        .collect()
}

/// Whether some string matches both patterns: a walk over pairs of positions.
fn intersects(a: &[Tok], b: &[Tok]) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![(0usize, 0usize)];
    while let Some((i, j)) = todo.pop() {
        if !seen.insert((i, j)) {
            continue;
        }
        let (ta, tb) = (a.get(i), b.get(j));
        if ta.is_none() && tb.is_none() {
            return true;
        }
        let next = |k: usize| k.saturating_add(1);
        // `*` may match nothing.
        if ta == Some(&Tok::Any) {
            todo.push((next(i), j));
        }
        if tb == Some(&Tok::Any) {
            todo.push((i, next(j)));
        }
        // Both read one character.
        if let (Some(x), Some(y)) = (ta, tb) {
            let compatible = match (x, y) {
                (Tok::Lit(p), Tok::Lit(q)) => p == q,
                _ => true,
            };
            if compatible {
                let ni = if *x == Tok::Any { i } else { next(i) };
                let nj = if *y == Tok::Any { j } else { next(j) };
                todo.push((ni, nj));
            }
        }
    }
    false
}

/// Whether every string matching `inner` matches `outer`, in the cases the engine can
/// tell cheaply (an all-`*` pattern, equal patterns, a literal inner one, `L*` against
/// an inner pattern that starts with `L`, `*L` against one that ends with `L`);
/// otherwise `false`, which only ever leaves a condition unknown.
fn contains(outer: &[Tok], inner: &[Tok]) -> bool {
    let literal = |ts: &[Tok]| ts.iter().all(|t| matches!(t, Tok::Lit(_)));
    if outer.iter().all(|t| *t == Tok::Any) && !outer.is_empty() {
        return true;
    }
    if outer == inner {
        return true;
    }
    if literal(inner) {
        return intersects(outer, inner);
    }
    if let Some((Tok::Any, head)) = outer.split_last() {
        if literal(head) && inner.starts_with(head) {
            return true;
        }
    }
    if let Some((Tok::Any, tail)) = outer.split_first() {
        if literal(tail) && inner.ends_with(tail) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_against_a_role_of_unknown_path() {
        let d = "arn:aws:iam::111122223333:role/*VaultwardBackupRole";
        // No path makes the role another one.
        assert_eq!(
            arn_relation("arn:aws:iam::*:role/Role1AllowedToBypassThisSCP", d, true),
            Relation::Disjoint
        );
        // Every path matches these.
        assert_eq!(
            arn_relation("arn:aws:iam::*:role/*", d, true),
            Relation::Contains
        );
        assert_eq!(
            arn_relation("arn:aws:iam::111122223333:*", d, true),
            Relation::Contains
        );
        // Some paths do, some do not.
        assert_eq!(
            arn_relation(
                "arn:aws:iam::111122223333:role/VaultwardBackupRole",
                d,
                true
            ),
            Relation::Overlap
        );
        assert_eq!(
            arn_relation("arn:aws:iam::111122223333:role/vaultward/*", d, true),
            Relation::Overlap
        );
        // Another account: never.
        assert_eq!(
            arn_relation("arn:aws:iam::444455556666:role/*", d, true),
            Relation::Disjoint
        );
    }

    #[test]
    fn intersection_of_globs() {
        let t = |s| tokens(s, true);
        assert!(intersects(&t("a*b"), &t("*c*")));
        assert!(!intersects(&t("a*"), &t("b*")));
        assert!(intersects(&t("a?c"), &t("*c")));
        assert!(!intersects(&t("a?"), &t("abc")));
        assert!(intersects(&t(""), &t("*")));
        assert!(!intersects(&t(""), &t("?")));
    }
}
