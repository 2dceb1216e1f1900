//! Statements and their elements: `Sid`, `Effect`, `Action`, `Resource`, and the rules
//! of RCPs.

use crate::diagnostic::checks;
use crate::glob::Glob;
use crate::json::{Json, Span, Value};
use crate::principal::PrincipalEntry;
use crate::template::Template;

use super::{show, variable_check, Reader, Seen, Seg};
use crate::policy::{
    ActionElement, Effect, PolicyKind, PrincipalElement, ResourceElement, Statement,
};

/// A statement's members, gathered in one pass (the hot path of parsing).
#[derive(Default)]
pub(super) struct Fields<'j> {
    pub(super) span: Span,
    slots: [Option<&'j Json<'j>>; 10],
}

impl<'j> Fields<'j> {
    fn slot(name: &str) -> Option<usize> {
        Some(match name {
            "Sid" => 0,
            "Effect" => 1,
            "Principal" => 2,
            "NotPrincipal" => 3,
            "Action" => 4,
            "NotAction" => 5,
            "Resource" => 6,
            "NotResource" => 7,
            "Condition" => 8,
            "Id" => 9,
            _ => return None,
        })
    }

    pub(super) fn get(&self, name: &str) -> Option<&'j Json<'j>> {
        Self::slot(name).and_then(|i| self.slots.get(i).copied().flatten())
    }
}

/// An element found in a statement: its name, whether it is the `Not` form, its value.
pub(super) type Found<'j> = (&'static str, bool, &'j Json<'j>);

const STATEMENT_KEYS: [&str; 10] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Id",
];

impl<'j> Reader<'_, 'j> {
    pub(super) fn statements(&mut self, j: &'j Json<'j>) -> Vec<Statement> {
        let items: Vec<(Option<usize>, &'j Json<'j>)> = match &j.value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, s)| (Some(i), s))
                .collect(),
            Value::Object(_) => vec![(None, j)],
            _ => {
                self.fatal(
                    &checks::DATA_TYPE_MISMATCH,
                    format!(
                        "`Statement` must be an object or an array, not {}",
                        j.kind()
                    ),
                    j.span,
                    None,
                );
                return Vec::new();
            }
        };
        if items.is_empty() {
            self.report(
                &checks::MISSING_STATEMENT,
                "`Statement` is empty: the policy grants nothing".into(),
                j.span,
                None,
            );
        }
        let mut out = Vec::with_capacity(items.len());
        let mut sids = Seen::default();
        for (i, s) in items {
            let st = self.with_item(i, |r| r.statement(s));
            let Some(st) = st else { continue };
            if let (Some(sid_json), Some(i)) = (s.get("Sid"), i) {
                if let Some(sid) = sid_json.as_str().filter(|s| !s.is_empty()) {
                    if sids.first(sid, false).is_some() {
                        let check = if checks::UNIQUE_SIDS_REQUIRED.applies_to(self.kind) {
                            &checks::UNIQUE_SIDS_REQUIRED
                        } else {
                            &checks::UNIQUE_SIDS_RECOMMENDED
                        };
                        self.with(Seg::Index(i), |r| {
                            r.with(Seg::Key("Sid"), |r| {
                                r.report(
                                    check,
                                    format!("`Sid` `{sid}` is used by more than one statement"),
                                    sid_json.span,
                                    Some("give each statement its own `Sid`".into()),
                                );
                            })
                        });
                    }
                }
            }
            out.push(st);
        }
        out
    }

    fn statement(&mut self, j: &'j Json<'j>) -> Option<Statement> {
        let Some(members) = j.as_object() else {
            self.fatal(
                &checks::DATA_TYPE_MISMATCH,
                format!("a statement must be an object, not {}", j.kind()),
                j.span,
                None,
            );
            return None;
        };
        let mut fields = Fields {
            span: j.span,
            ..Fields::default()
        };
        for m in members {
            match Fields::slot(m.key).and_then(|i| fields.slots.get_mut(i)) {
                Some(Some(_)) => self.duplicate_key(m, "statement"),
                Some(slot) => *slot = Some(&m.value),
                None => self.unknown_key(
                    m,
                    &STATEMENT_KEYS,
                    "statement",
                    &checks::INVALID_POLICY_ELEMENT,
                ),
            }
        }
        let j = &fields;
        let sid = j
            .get("Sid")
            .and_then(|v| self.with(Seg::Key("Sid"), |r| r.sid(v)));
        let effect = match j.get("Effect") {
            None => {
                self.fatal(
                    &checks::MISSING_EFFECT,
                    "the statement has no `Effect`".into(),
                    j.span,
                    Some("add `\"Effect\": \"Allow\"` or `\"Deny\"`".into()),
                );
                None
            }
            Some(e) => self.with(Seg::Key("Effect"), |r| match e.as_str() {
                Some("Allow") => Some(Effect::Allow),
                Some("Deny") => Some(Effect::Deny),
                _ => {
                    r.fatal(
                        &checks::INVALID_EFFECT,
                        format!("`Effect` must be `Allow` or `Deny`, not {}", show(e)),
                        e.span,
                        Some("the value is case-sensitive".into()),
                    );
                    None
                }
            }),
        };
        let principal = self.principal(j, effect);
        let action = self.action(j);
        let resource = self.resource(j, effect);
        if self.kind == PolicyKind::Rcp {
            self.rcp_rules(j, effect, principal.as_ref(), action.as_ref());
        }
        let conditions = match j.get("Condition") {
            None => Vec::new(),
            Some(c) => self.with(Seg::Key("Condition"), |r| r.conditions(c)),
        };
        Some(Statement {
            sid,
            effect: effect?,
            principal,
            action: action?,
            resource,
            conditions,
        })
    }

    /// `Sid`: a string; empty, or with characters IAM refuses, it is reported.
    fn sid(&mut self, v: &'j Json<'j>) -> Option<String> {
        let sid = self.string(v, "`Sid`")?;
        if sid.is_empty() {
            self.report(
                &checks::EMPTY_SID_VALUE,
                "`Sid` is empty".into(),
                v.span,
                Some("name the statement, or remove `Sid`".into()),
            );
        } else if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            self.report(
                &checks::UNSUPPORTED_SID,
                format!("`Sid` `{sid}` has characters other than ASCII letters and digits"),
                v.span,
                Some("use only `A-Z`, `a-z` and `0-9`".into()),
            );
        }
        if sid.contains("${") {
            self.report(
                &checks::VARIABLE_UNSUPPORTED_IN_ELEMENT,
                format!("`Sid` `{sid}` holds a policy variable, which AWS reads literally there"),
                v.span,
                None,
            );
        }
        Some(sid)
    }

    /// What AWS Organizations accepts in an RCP ("RCP syntax"): `Allow` only in the managed
    /// `RCPFullAWSAccess`, `Principal` only `"*"`, no `NotAction`, and no `"*"` alone in `Action`.
    fn rcp_rules(
        &mut self,
        j: &Fields<'j>,
        effect: Option<Effect>,
        principal: Option<&PrincipalElement>,
        action: Option<&ActionElement>,
    ) {
        const HELP: &str = "see \"RCP syntax\" in the AWS Organizations User Guide";
        if let (Some(Effect::Allow), Some(e)) = (effect, j.get("Effect")) {
            self.with(Seg::Key("Effect"), |r| {
                r.report(&checks::RCP_ALLOW, "an RCP supports `Allow` only in the AWS-managed `RCPFullAWSAccess`, which is always attached".into(), e.span, Some(HELP.into()));
            });
        }
        if let Some(p) = principal {
            if p.negated || p.entries != [PrincipalEntry::Everyone] {
                let key = if p.negated {
                    "NotPrincipal"
                } else {
                    "Principal"
                };
                if let Some(v) = j.get(key) {
                    self.with(Seg::Key(key), |r| {
                        r.report(&checks::RCP_PRINCIPAL, "an RCP statement must have `\"Principal\": \"*\"`; use conditions such as `aws:PrincipalOrgID` to narrow it".into(), v.span, Some(HELP.into()));
                    });
                }
            }
        }
        if let Some(v) = j.get("NotAction") {
            self.with(Seg::Key("NotAction"), |r| {
                r.report(
                    &checks::RCP_NOTACTION,
                    "an RCP cannot use `NotAction`: list the actions in `Action`".into(),
                    v.span,
                    Some(HELP.into()),
                );
            });
        }
        if let (Some(a), Some(v)) = (action, j.get("Action")) {
            if !a.negated && a.patterns.contains(&Glob::Any) {
                self.with(Seg::Key("Action"), |r| {
                    r.report(&checks::RCP_ACTION_WILDCARD, "an RCP cannot use `*` alone in `Action`: name the service, for example `s3:*`".into(), v.span, Some(HELP.into()));
                });
            }
        }
    }

    /// Which of an element and its `Not` form the statement has. Both at once is reported
    /// (and gives `Err`); neither gives `Ok(None)`.
    pub(super) fn either(
        &mut self,
        j: &Fields<'j>,
        pos: &'static str,
        neg: &'static str,
    ) -> Result<Option<Found<'j>>, ()> {
        match (j.get(pos), j.get(neg)) {
            (Some(_), Some(n)) => {
                self.with(Seg::Key(neg), |r| {
                    r.fatal(
                        &checks::UNSUPPORTED_ELEMENT_COMBINATION,
                        format!("a statement cannot have both `{pos}` and `{neg}`"),
                        n.span,
                        None,
                    )
                });
                Err(())
            }
            (Some(v), None) => Ok(Some((pos, false, v))),
            (None, Some(v)) => Ok(Some((neg, true, v))),
            (None, None) => Ok(None),
        }
    }

    fn action(&mut self, j: &Fields<'j>) -> Option<ActionElement> {
        let (key, negated, value) = match self.either(j, "Action", "NotAction") {
            Err(()) => return None,
            Ok(Some(found)) => found,
            Ok(None) => {
                self.fatal(
                    &checks::MISSING_ACTION,
                    "the statement has no `Action` or `NotAction`".into(),
                    j.span,
                    None,
                );
                return None;
            }
        };
        self.with(Seg::Key(key), |r| {
            let values = r.string_list(value, "action", &checks::EMPTY_ARRAY_ACTION);
            let mut patterns = Vec::with_capacity(values.len());
            for (v, span, item) in &values {
                if v.contains("${") {
                    r.with_item(*item, |r| {
                        r.report(
                            &checks::VARIABLE_UNSUPPORTED_IN_ELEMENT,
                            format!("`{v}` holds a policy variable, which AWS does not substitute in `{key}`"),
                            *span,
                            Some("name the actions, or move the variable to `Resource` or `Condition`".into()),
                        );
                    });
                }
                // IAM rejects such a policy ("Actions/Conditions must be prefaced by a
                // vendor"), so the engine does not evaluate it either.
                if *v != "*" && !valid_action(v) {
                    r.with_item(*item, |r| r.fatal(
                        &checks::INVALID_ACTION,
                        format!("`{v}` is not an action: write `service:Action`, for example `s3:GetObject`"),
                        *span,
                        None,
                    ));
                }
                patterns.push(Glob::new(v));
            }
            Some(ActionElement { negated, patterns })
        })
    }

    fn resource(&mut self, j: &Fields<'j>, effect: Option<Effect>) -> Option<ResourceElement> {
        let (key, negated, value) = match self.either(j, "Resource", "NotResource") {
            Err(()) => return None,
            Ok(Some(found)) => found,
            Ok(None) => {
                if self.kind != PolicyKind::Trust {
                    self.fatal(
                        &checks::MISSING_RESOURCE,
                        "the statement has no `Resource` or `NotResource`".into(),
                        j.span,
                        Some("add `\"Resource\": \"*\"` or the ARNs the statement covers".into()),
                    );
                }
                return None;
            }
        };
        self.with(Seg::Key(key), |r| {
            if r.kind == PolicyKind::Trust {
                r.report(&checks::ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE, format!("a trust policy cannot have `{key}`: it applies to its role"), value.span, Some(format!("remove `{key}`")));
            }
            if negated && effect == Some(Effect::Allow) {
                r.report(
                    &checks::ALLOW_WITH_NOTRESOURCE,
                    "`NotResource` with `Allow` grants the actions on every resource not listed, including ones created later".into(),
                    value.span,
                    Some("list the resources to allow in `Resource` instead".into()),
                );
            }
            let values = r.string_list(value, "resource", &checks::EMPTY_ARRAY_RESOURCE);
            let mut patterns = Vec::with_capacity(values.len());
            for (v, span, item) in &values {
                // IAM rejects a policy with such a resource, so the engine does not
                // evaluate it either (IAM User Guide, Resource element: "specify a resource
                // using its ARN", or `*`).
                if *v != "*" && !v.starts_with("arn:") {
                    r.with_item(*item, |r| r.fatal(&checks::INVALID_ARN_PREFIX, format!("`{v}` is not `*` or an ARN"), *span, Some("write the resource as `arn:partition:service:region:account:resource`".into())));
                }
                match Template::new(v, r.substitute, true) {
                    Ok(t) => {
                        if !r.substitute && v.contains("${") {
                            r.with_item(*item, |r| r.variables_not_substituted(*span));
                        }
                        patterns.push(t)
                    }
                    Err(e) => r.with_item(*item, |r| r.fatal(variable_check(v), e.message, *span, None)),
                }
            }
            Some(ResourceElement { negated, patterns })
        })
    }
}

/// `service:action`, where the service prefix is lowercase letters, digits and `-`.
fn valid_action(a: &str) -> bool {
    match a.split_once(':') {
        Some((svc, act)) => {
            !svc.is_empty()
                && svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !act.is_empty()
                && act.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || b == b'*' || b == b'?' || b == b'-' || b == b'_'
                })
        }
        None => false,
    }
}
