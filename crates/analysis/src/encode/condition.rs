//! Conditions: each operator against the key's values, sets, `...IfExists`, and
//! `...IgnoreCase` with policy variables.

use vaultward_iam::condition::{positive, CondValue, OpKind};

use super::{key_type, Encoder, KeyType};
use crate::smt::{self, lit};

impl Encoder<'_> {
    /// `StringEqualsIgnoreCase` against a value with policy variables: the request's
    /// value `s`, cut where the resolved text's pieces fall (each literal piece has its
    /// length, each variable its value's), equals each piece ignoring case: literal pieces
    /// by their case-insensitive expression, variables by `str.to_lower`. The solver's
    /// `str.to_lower` folds ASCII letters only and the engine folds as Unicode does, so
    /// this is exact while `s` and the variables' values are ASCII; beyond, the condition
    /// is abstracted (a free Boolean, as for conditions not modelled), and "no new
    /// access" stays a proof. cvc5 has `str.to_lower`; with Z3 4.8, which has not, the
    /// whole condition is abstracted.
    fn ignore_case_with_variables(
        &mut self,
        t: &vaultward_iam::template::Template,
        s: &str,
    ) -> Result<String, String> {
        use vaultward_iam::template::Segment;
        let text = t.text();
        if !self.opts.solver_folds_case() {
            return Err(format!(
                "`{text}` holds a policy variable under `...IgnoreCase`, which needs cvc5's `str.to_lower` (the solver is `{}`)",
                self.opts.solver
            ));
        }
        let mut pieces = Vec::new();
        let mut resolved = Vec::new();
        let mut values = Vec::new();
        let mut joined = Vec::new();
        let mut offset = "0".to_string();
        let ascii = |x: &str| {
            format!(
                "(str.in_re {x} (re.* (re.range {} {})))",
                lit("\u{0}"),
                lit("\u{7f}")
            )
        };
        for seg in t.segments().unwrap_or_default() {
            let (len, holds) = match seg {
                Segment::Text(x) => {
                    joined.push(lit(x));
                    let n = x.chars().count();
                    let re = smt::re_ignore_case(x)?;
                    (
                        n.to_string(),
                        format!("(str.in_re (str.substr {s} {offset} {n}) {re})"),
                    )
                }
                Segment::Escaped(c) => (
                    {
                        joined.push(lit(&c.to_string()));
                        "1".to_string()
                    },
                    format!("(= (str.substr {s} {offset} 1) {})", lit(&c.to_string())),
                ),
                Segment::Var { key, default } => {
                    let v = self.key_var(key, Some(KeyType::Str))?;
                    let has = format!("(and {v}_present (not {v}_list))");
                    let value = match default {
                        Some(d) if d.is_ascii() => format!("(ite {has} {v}_str {})", lit(d)),
                        Some(_) => {
                            return Err(format!(
                                "`...IgnoreCase` on `{text}`: folding letters beyond ASCII is not modelled"
                            ))
                        }
                        None => {
                            resolved.push(has);
                            format!("{v}_str")
                        }
                    };
                    values.push(ascii(&value));
                    joined.push(value.clone());
                    let len = format!("(str.len {value})");
                    let holds = format!(
                        "(= (str.to_lower (str.substr {s} {offset} {len})) (str.to_lower {value}))"
                    );
                    (len, holds)
                }
            };
            pieces.push(holds);
            offset = format!("(+ {offset} {len})");
        }
        pieces.push(format!("(= (str.len {s}) {offset})"));
        let resolved = smt::and(&resolved);
        let exact = smt::and(&[resolved.clone(), smt::and(&pieces)]);
        let guard = smt::and(&[vec![ascii(s)], values].concat());
        let beyond = self.abstract_as(
            format!("ignore-case|{text}|{s}"),
            format!("`...IgnoreCase` on `{text}` with letters beyond ASCII"),
        );
        // Beyond ASCII, equal text is still equal ignoring case, whatever the folding.
        let same = match joined.len() {
            0 => format!("(= {s} \"\")"),
            1 => format!("(= {s} {})", joined.remove(0)),
            _ => format!("(= {s} (str.++ {}))", joined.join(" ")),
        };
        self.ascii_guards.push(guard.clone());
        Ok(format!(
            "(ite {guard} {exact} (or (and {resolved} {same}) {beyond}))"
        ))
    }

    pub(super) fn condition(
        &mut self,
        c: &vaultward_iam::policy::Condition,
    ) -> Result<String, String> {
        use vaultward_iam::condition::SetOp;
        let op = &c.operator;
        let ty = key_type(op.kind);
        let var = self.key_var(&c.key, ty)?;
        let present = format!("{var}_present");
        let list = format!("{var}_list");
        // Null: a key given as an empty list is absent, as the engine reads it.
        if op.kind == OpKind::Null {
            let mut vs = Vec::new();
            for v in &c.values {
                if let CondValue::Null(absent) = v {
                    vs.push(if *absent {
                        format!("(not {present})")
                    } else {
                        present.clone()
                    });
                }
            }
            return Ok(smt::or(&vs));
        }
        let negated = op.kind.is_negated();
        // One value of the request against the policy values: any matches (positive), none
        // does (negated).
        let one = |this: &mut Self, value: &str, el: &str| -> Result<String, String> {
            let mut matches = Vec::new();
            for v in &c.values {
                matches.push(this.compare_value(op.kind, &var, value, el, v)?);
            }
            let any = smt::or(&matches);
            Ok(if negated { format!("(not {any})") } else { any })
        };
        // The engine: an absent key is true for `...IfExists`, `ForAllValues:` and negated
        // plain operators; a plain operator on a list is false.
        let when_absent =
            op.if_exists || op.set == Some(SetOp::ForAllValues) || (op.set.is_none() && negated);
        let absent = if when_absent { "true" } else { "false" };
        let when_present = match op.set {
            None => format!(
                "(ite {list} false {})",
                one(self, &format!("{var}_str"), "")?
            ),
            Some(set) => {
                let width = self.width(&c.key.to_ascii_lowercase());
                let mut each = Vec::new();
                for i in 0..width {
                    // Element i's variables: `_str`, `_real`, ... for the first, with
                    // the suffix `_e{i}` for the others (a string element is `_e{i}`).
                    let (value, el) = if i == 0 {
                        (format!("{var}_str"), String::new())
                    } else {
                        (format!("{var}_e{i}"), format!("_e{i}"))
                    };
                    let holds = one(self, &value, &el)?;
                    // Element i is carried when the request gives a list of more than i
                    // values, or (i = 0) a single value.
                    let carried = if i == 0 {
                        "true".to_string()
                    } else {
                        format!("(and {list} (< {i} {var}_n))")
                    };
                    each.push(match set {
                        SetOp::ForAllValues => format!("(=> {carried} {holds})"),
                        SetOp::ForAnyValue => format!("(and {carried} {holds})"),
                    });
                }
                match set {
                    SetOp::ForAllValues => smt::and(&each),
                    SetOp::ForAnyValue => smt::or(&each),
                }
            }
        };
        Ok(format!("(ite {present} {when_present} {absent})"))
    }

    /// Whether the key's value matches one policy value under the positive operator.
    fn compare_value(
        &mut self,
        kind: OpKind,
        var: &str,
        s: &str,
        el: &str,
        v: &CondValue,
    ) -> Result<String, String> {
        use OpKind::*;
        let n = format!("{var}_int{el}");
        let ok = format!("(not {var}_bad{el})");
        let positive = positive(kind);
        Ok(match (positive, v) {
            (StringEquals | StringLike, CondValue::Text(t)) => {
                let (re, resolved) = self.template(t, positive == StringLike)?;
                format!("(and {resolved} (str.in_re {s} {re}))")
            }
            // Case-insensitive equality: each ASCII letter either way (the engine folds
            // with Unicode's lowercase; other letters are not modelled).
            (StringEqualsIgnoreCase, CondValue::Folded(text)) => {
                format!("(str.in_re {s} {})", smt::re_ignore_case(text)?)
            }
            (StringEqualsIgnoreCase, CondValue::Text(t)) if t.has_variables() => {
                self.ignore_case_with_variables(t, s)?
            }
            (StringEqualsIgnoreCase, CondValue::Text(t)) => {
                format!("(str.in_re {s} {})", smt::re_ignore_case(&t.text())?)
            }
            (ArnEquals | ArnLike, CondValue::Arn(p)) => match p.text() {
                Some(t) if t == "*" => format!("(str.in_re {s} {})", smt::ARN_RE),
                Some(t) => format!(
                    "(and (str.in_re {s} {}) (str.in_re {s} {}))",
                    smt::ARN_RE,
                    smt::re_of_arn_pattern(&t)
                ),
                None => "false".into(),
            },
            (ArnEquals | ArnLike, CondValue::Text(t)) => {
                return Err(format!(
                    "`{}` holds a policy variable, which compare does not model yet",
                    t.text()
                ))
            }
            (BinaryEquals, CondValue::Binary(b)) => format!("(= {s} {})", lit(b)),
            (
                NumericEquals
                | NumericLessThan
                | NumericLessThanEquals
                | NumericGreaterThan
                | NumericGreaterThanEquals,
                CondValue::Number(x),
            ) => {
                if !x.is_finite() || x.abs() > 1.0e15 {
                    return Err(format!("the number {x} is beyond what compare models"));
                }
                // The policy's number as an exact decimal (Rust prints the shortest text
                // that reads back as the same f64, never in exponent form).
                let text = format!("{}", x.abs());
                let text = if text.contains('.') {
                    text
                } else {
                    format!("{text}.0")
                };
                let k = if *x < 0.0 {
                    format!("(- {text})")
                } else {
                    text
                };
                let n = format!("{var}_real{el}");
                let rel = match positive {
                    NumericEquals => "=",
                    NumericLessThan => "<",
                    NumericLessThanEquals => "<=",
                    NumericGreaterThan => ">",
                    _ => ">=",
                };
                format!("(and {ok} ({rel} {n} {k}))")
            }
            (
                DateEquals
                | DateLessThan
                | DateLessThanEquals
                | DateGreaterThan
                | DateGreaterThanEquals,
                CondValue::Date(d),
            ) => {
                let rel = match positive {
                    DateEquals => "=",
                    DateLessThan => "<",
                    DateLessThanEquals => "<=",
                    DateGreaterThan => ">",
                    _ => ">=",
                };
                // The engine compares milliseconds; a request's value is epoch seconds.
                let k = if *d < 0 {
                    format!("(- {})", d.unsigned_abs())
                } else {
                    d.to_string()
                };
                format!("(and {ok} ({rel} (* 1000 {n}) {k}))")
            }
            (Bool, CondValue::Bool(b)) => {
                format!(
                    "(and {ok} (= {var}_bool{el} {}))",
                    if *b { "true" } else { "false" }
                )
            }
            (IpAddress, CondValue::Ip(net)) => match net {
                ipnet::IpNet::V4(n) => {
                    let mask = if n.prefix_len() == 0 {
                        0u32
                    } else {
                        u32::MAX << (32 - u32::from(n.prefix_len()))
                    };
                    let addr = u32::from(n.network()) & mask;
                    format!(
                        "(and {ok} (not {var}_v6{el}) (= (bvand {var}_ip{el} #x{mask:08x}) #x{addr:08x}))"
                    )
                }
                // An IPv6 range holds only IPv6 addresses (and an IPv4 one only IPv4).
                ipnet::IpNet::V6(n) => {
                    let mask = if n.prefix_len() == 0 {
                        0u128
                    } else {
                        u128::MAX << (128 - u32::from(n.prefix_len()))
                    };
                    let addr = u128::from(n.network()) & mask;
                    format!("(and {ok} {var}_v6{el} (= (bvand {var}_ip6{el} #x{mask:032x}) #x{addr:032x}))")
                }
            },
            (k, v) => return Err(format!("{k:?} with {v:?} is not modelled by compare yet")),
        })
    }
}
