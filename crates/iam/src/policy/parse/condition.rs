//! The `Condition` element: operators, keys and values.
//!
//! A condition IAM stores but that cannot match as written (an unknown operator,
//! `NullIfExists`, a value not of its operator's type) is read as one that never matches
//! ([`Unmatchable`]), as AWS evaluates it, and reported with Access Analyzer's check.

use crate::condition::{parse_value, CondValue, OpKind, Operator, SetOp, Unmatchable, ValueType};
use crate::diagnostic::checks::{self, Check};
use crate::json::{Json, Member, Span, Value};

use super::{variable_check, Item, Reader, Seen, Seg};
use crate::policy::Condition;

/// How a condition's operator was read.
#[derive(Clone)]
enum Read {
    Known(Operator),
    /// Not an operator AWS evaluates: the name as written.
    Unknown(String),
}

impl<'j> Reader<'_, 'j> {
    pub(super) fn conditions(&mut self, j: &'j Json<'j>) -> Vec<Condition> {
        let Some(ops) = j.as_object() else {
            self.fatal(
                &checks::DATA_TYPE_MISMATCH,
                format!("`Condition` must be an object, not {}", j.kind()),
                j.span,
                None,
            );
            return Vec::new();
        };
        if ops.is_empty() {
            self.empty_block(j.span, "`Condition`");
        }
        let mut out = Vec::new();
        let mut seen_ops = Seen::default();
        for op_member in ops {
            if seen_ops.first(op_member.key, false).is_some() {
                self.fatal(
                    &checks::DUPLICATE_KEY,
                    format!(
                        "condition operator `{}` appears more than once",
                        op_member.key
                    ),
                    op_member.key_span,
                    Some("merge the two blocks into one".into()),
                );
                continue;
            }
            self.with(Seg::Key(op_member.key), |r| {
                r.operator_block(op_member, &mut out)
            });
        }
        out
    }

    fn empty_block(&mut self, span: Span, what: &str) {
        self.report(
            &checks::EMPTY_OBJECT_CONDITION,
            format!("{what} is an empty object, which adds no condition"),
            span,
            Some("remove it, or write the condition".into()),
        );
    }

    fn operator_block(&mut self, op_member: &'j Member<'j>, out: &mut Vec<Condition>) {
        let name = op_member.key;
        let read = match Operator::parse(name) {
            Some(op) => {
                if op.kind == OpKind::Null && op.set.is_some() {
                    self.report(
                        &checks::NULL_WITH_QUALIFIER,
                        format!("`{name}` is always {}", op.set == Some(SetOp::ForAllValues)),
                        op_member.key_span,
                        Some("use `Null` alone to test whether a key is present".into()),
                    );
                }
                Read::Known(op)
            }
            None => {
                let null_if_exists = name.ends_with("NullIfExists");
                let (check, help) = if null_if_exists {
                    (
                        &checks::NULL_WITH_IF_EXISTS,
                        "use `Null` (it already tests presence)".to_string(),
                    )
                } else {
                    (
                        &checks::INVALID_CONDITION_OPERATOR,
                        match Operator::suggest(name) {
                            Some(s) => {
                                format!("did you mean `{s}`? operator names are case-sensitive")
                            }
                            None => {
                                "see the list of condition operators in the IAM User Guide".into()
                            }
                        },
                    )
                };
                self.report(
                    check,
                    format!("`{name}` is not a condition operator, so AWS evaluates the condition as not matching"),
                    op_member.key_span,
                    Some(help),
                );
                Read::Unknown(name.to_string())
            }
        };
        let Some(keys) = op_member.value.as_object() else {
            self.fatal(
                &checks::DATA_TYPE_MISMATCH,
                format!(
                    "the `{name}` block must be an object of condition keys, not {}",
                    op_member.value.kind()
                ),
                op_member.value.span,
                None,
            );
            return;
        };
        if keys.is_empty() {
            self.empty_block(op_member.value.span, &format!("the `{name}` block"));
        }
        let mut seen_keys = Seen::default();
        for key_member in keys {
            match seen_keys.first(key_member.key, true) {
                Some(first) if first == key_member.key => {
                    self.fatal(
                        &checks::DUPLICATE_KEY,
                        format!(
                            "condition key `{}` appears more than once under `{name}`",
                            key_member.key
                        ),
                        key_member.key_span,
                        Some("put all values in one array".into()),
                    );
                    continue;
                }
                Some(first) => {
                    let first = first.to_string();
                    self.with(Seg::Key(key_member.key), |r| {
                        r.report(
                            &checks::DUPLICATE_KEYS_WITH_DIFFERENT_CASE,
                            format!("condition key `{}` appears again as `{first}` under `{name}` (key names ignore case)", key_member.key),
                            key_member.key_span,
                            Some("keep one spelling and put all values in one array".into()),
                        );
                    });
                }
                None => {}
            }
            if let Some(c) = self.with(Seg::Key(key_member.key), |r| r.condition(&read, key_member))
            {
                out.push(c);
            }
        }
    }

    fn condition(&mut self, read: &Read, m: &'j Member<'j>) -> Option<Condition> {
        if m.key.is_empty() {
            self.fatal(
                &checks::INVALID_CONDITION_KEY_FORMAT,
                "condition key name is empty".into(),
                m.key_span,
                None,
            );
            return None;
        }
        let raw = self.scalar_list(&m.value);
        if raw.is_empty() && matches!(m.value.value, Value::Array(_)) {
            let (check, what) = match read {
                Read::Known(op) if op.set == Some(SetOp::ForAllValues) => (
                    &checks::EMPTY_ARRAY_CONDITION_FORALLVALUES,
                    "matches only when the key is absent",
                ),
                Read::Known(op) if op.set == Some(SetOp::ForAnyValue) => {
                    (&checks::EMPTY_ARRAY_CONDITION_FORANYVALUE, "never matches")
                }
                Read::Known(op) if op.if_exists => (
                    &checks::EMPTY_ARRAY_CONDITION_IFEXISTS,
                    "matches only when the key is absent",
                ),
                _ => (&checks::EMPTY_ARRAY_CONDITION, "never matches"),
            };
            self.report(
                check,
                format!(
                    "condition key `{}` has no values, so the condition {what}",
                    m.key
                ),
                m.value.span,
                Some("list the values, or test presence with `Null`".into()),
            );
        }
        self.value_kinds(read, m);
        let op = match read {
            Read::Known(op) => *op,
            // Never evaluated as this operator: every value is unmatchable.
            Read::Unknown(_) => Operator {
                kind: OpKind::StringEquals,
                set: None,
                if_exists: false,
            },
        };
        let mut values = Vec::with_capacity(raw.len());
        for (v, span, item) in &raw {
            let value = match read {
                Read::Unknown(name) => CondValue::Unmatchable(Unmatchable::Operator {
                    name: name.clone(),
                    value: v.to_string(),
                }),
                Read::Known(op) => match parse_value(op.kind, v, self.substitute) {
                    Ok(cv) => cv,
                    Err(msg) => self.with_item(*item, |r| r.bad_value(op, v, msg, *span))?,
                },
            };
            if !self.substitute && v.contains("${") && op.kind.value_type() == ValueType::String {
                self.with_item(*item, |r| r.variables_not_substituted(*span));
            }
            values.push(value);
        }
        Some(Condition {
            operator: op,
            key: m.key.to_string(),
            raw_values: if values.iter().all(|v| v.text().is_some()) {
                None
            } else {
                Some(raw.into_iter().map(|(v, _, _)| v.to_string()).collect())
            },
            values,
        })
    }

    /// A value `parse_value` refused: a variable where the operator takes none, or a value
    /// of another type (both stored by IAM, and never matching), or a malformed variable
    /// in a string (refused). `None` when the policy cannot be read.
    fn bad_value(&mut self, op: &Operator, v: &str, msg: String, span: Span) -> Option<CondValue> {
        let ty = op.kind.value_type();
        let check: &'static Check = if matches!(ty, ValueType::String | ValueType::Arn) {
            self.fatal(variable_check(v), msg, span, None);
            return None;
        } else if v.contains("${") {
            &checks::INVALID_VARIABLE_FOR_OPERATOR
        } else {
            match ty {
                ValueType::Numeric => &checks::TYPE_MISMATCH_NUMBER,
                ValueType::Date => &checks::TYPE_MISMATCH_DATE,
                ValueType::Ip => &checks::TYPE_MISMATCH_IP_RANGE,
                ValueType::Binary => &checks::TYPE_MISMATCH_STRING,
                _ => &checks::TYPE_MISMATCH_BOOLEAN,
            }
        };
        self.report(
            check,
            format!(
                "{msg} (for `{}`), so AWS evaluates the condition as not matching",
                op.name()
            ),
            span,
            Some(if check.id == checks::INVALID_VARIABLE_FOR_OPERATOR.id {
                "policy variables work only with string and ARN operators".into()
            } else {
                format!("write a value `{}` compares", op.name())
            }),
        );
        Some(CondValue::Unmatchable(Unmatchable::Value(v.to_string())))
    }

    /// The JSON types of one key's values: mixed types, and several Booleans.
    fn value_kinds(&mut self, read: &Read, m: &'j Member<'j>) {
        let Value::Array(items) = &m.value.value else {
            return;
        };
        let kind = |j: &Json<'_>| match j.value {
            Value::String(_) => 0,
            Value::Number(_) => 1,
            Value::Bool(_) => 2,
            _ => 3,
        };
        if let Some(first) = items.first() {
            if items.iter().any(|i| kind(i) != kind(first)) {
                self.report(
                    &checks::INVALID_CONDITION_DATA_TYPE,
                    format!("the values of `{}` mix JSON types", m.key),
                    m.value.span,
                    Some("write every value the same way (all strings, for example)".into()),
                );
            }
        }
        if matches!(read, Read::Known(op) if op.kind == OpKind::Bool) && items.len() > 1 {
            self.report(
                &checks::INVALID_CONDITION_MULTIPLE_BOOLEAN,
                format!("`{}` holds one Boolean: list one value", m.key),
                m.value.span,
                None,
            );
        }
    }

    /// Condition values: strings, numbers or booleans, alone or in an array.
    fn scalar_list(&mut self, j: &'j Json<'j>) -> Vec<Item<'j>> {
        let one = |r: &mut Self, v: &'j Json<'j>, i: Option<usize>| -> Option<Item<'j>> {
            match &v.value {
                Value::String(s) => Some((s, v.span, i)),
                Value::Number(n) => Some((n, v.span, i)),
                Value::Bool(b) => Some((if *b { "true" } else { "false" }, v.span, i)),
                _ => {
                    r.fatal(
                        &checks::DATA_TYPE_MISMATCH,
                        format!(
                            "a condition value must be a string, number or boolean, not {}",
                            v.kind()
                        ),
                        v.span,
                        None,
                    );
                    None
                }
            }
        };
        match &j.value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, it)| self.with(Seg::Index(i), |r| one(r, it, Some(i))))
                .collect(),
            _ => one(self, j, None).into_iter().collect(),
        }
    }
}
