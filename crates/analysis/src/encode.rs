//! The encoding of policies as SMT constraints: the request's variables, each statement,
//! principal and policy variable; conditions are in [`condition`], the script and the
//! witness in [`script`].

use std::collections::BTreeMap;

use vaultward_iam::condition::OpKind;
use vaultward_iam::policy::{Effect, Statement};
use vaultward_iam::principal::PrincipalEntry;
use vaultward_iam::{Policy, PolicyKind};

use crate::smt::{self, lit, re_of_glob};
use crate::{resource_side, Options};

mod condition;
mod script;

/// The type a context key's values are compared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyType {
    Str,
    Int,
    Date,
    Bool,
    Ip,
}

pub(super) fn key_type(kind: OpKind) -> Option<KeyType> {
    use OpKind::*;
    Some(match kind {
        StringEquals
        | StringNotEquals
        | StringEqualsIgnoreCase
        | StringNotEqualsIgnoreCase
        | StringLike
        | StringNotLike
        | ArnEquals
        | ArnLike
        | ArnNotEquals
        | ArnNotLike
        | BinaryEquals => KeyType::Str,
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => KeyType::Int,
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => KeyType::Date,
        Bool => KeyType::Bool,
        IpAddress | NotIpAddress => KeyType::Ip,
        Null => return None,
    })
}

/// `arn:aws:iam::*:role/PATH/NAME` (no other wildcard): the role's path and name.
pub(super) fn role_in_any_account(p: &str) -> Option<(&str, &str)> {
    let rest = p.strip_prefix("arn:aws:iam::*:role")?;
    if rest.contains(['*', '?']) || !rest.starts_with('/') {
        return None;
    }
    let cut = rest.rfind('/')?;
    let (path, name) = (rest.get(..=cut)?, rest.get(cut.saturating_add(1)..)?);
    (!name.is_empty()).then_some((path, name))
}

/// When the request-context model says a key is in every request: the SMT condition on
/// the request under which it is present (`None`: it may be absent).
pub(super) fn always_present(lower: &str) -> Option<String> {
    use vaultward_iam::request_context::{Presence, KEYS};
    let m = KEYS.iter().find(|m| m.key.eq_ignore_ascii_case(lower))?;
    let not_service = |list: &[&str]| {
        let prefixes: Vec<String> = list
            .iter()
            .map(|s| format!("(str.prefixof {} action)", lit(&format!("{s}:"))))
            .collect();
        format!("(not {})", smt::or(&prefixes))
    };
    match m.presence {
        Presence::Always => Some("true".into()),
        Presence::AllServicesBut(list) => Some(not_service(list)),
        // Role sessions always carry their session's keys (pkind 1); users and the root
        // carry them only with temporary credentials, which the model leaves free.
        Presence::Temporary => Some("(= pkind 1)".into()),
        Presence::Service(svc) => {
            Some(format!("(str.prefixof {} action)", lit(&format!("{svc}:"))))
        }
        _ => None,
    }
}

pub(crate) struct Encoder<'o> {
    opts: &'o Options,
    /// Context keys (lowercase) with their type and the name they are written with.
    keys: BTreeMap<String, (Option<KeyType>, String)>,
    /// Service principals the policies name (a witness may be one of them).
    services: Vec<String>,
    /// Keys that set operators test, with how many values a request may need to carry
    /// (one per set condition on the key, plus one: enough for every existential of NEW
    /// and of OLD's negation to have its own value).
    multi: BTreeMap<String, usize>,
    /// Some principal entry names a role under a path other than `/`: the role path is
    /// then free in the model (otherwise it is `/`, which nothing could tell apart).
    role_paths: bool,
    /// Conditions the encoding does not model, by signature: (their Boolean, why).
    pub(crate) abstracted: BTreeMap<String, (String, String)>,
    /// Where `...IgnoreCase` is exact only on ASCII text: the guards saying so, under
    /// which a witness is looked for first.
    pub(crate) ascii_guards: Vec<String>,
}

/// Whether a role ARN has a path other than `/` (`role/team/app`).
fn has_path(role_arn: &str) -> bool {
    role_arn
        .split_once(":role/")
        .is_some_and(|(_, rest)| rest.contains('/'))
}

impl<'o> Encoder<'o> {
    pub(crate) fn new(opts: &'o Options) -> Encoder<'o> {
        Encoder {
            opts,
            keys: BTreeMap::new(),
            services: Vec::new(),
            multi: BTreeMap::new(),
            role_paths: false,
            abstracted: BTreeMap::new(),
            ascii_guards: Vec::new(),
        }
    }

    /// Counts the set conditions per key over the policies (before encoding them).
    pub(crate) fn scan(&mut self, policies: &[&Policy]) {
        for p in policies {
            for st in &p.statements {
                for c in &st.conditions {
                    if c.operator.set.is_some() {
                        *self.multi.entry(c.key.to_ascii_lowercase()).or_insert(1) += 1;
                    }
                }
            }
        }
        for n in self.multi.values_mut() {
            *n = (*n).min(8);
        }
    }

    /// How many values a request's key may carry in the model.
    pub(super) fn width(&self, lower: &str) -> usize {
        self.multi.get(lower).copied().unwrap_or(1)
    }

    pub(super) fn key_var(&mut self, key: &str, ty: Option<KeyType>) -> Result<String, String> {
        let lower = key.to_ascii_lowercase();
        let e = self
            .keys
            .entry(lower.clone())
            .or_insert((None, key.to_string()));
        match (e.0, ty) {
            (_, None) => {}
            (None, Some(t)) => e.0 = Some(t),
            (Some(a), Some(b)) if a == b => {}
            (Some(_), Some(_)) => {
                return Err(format!(
                    "`{key}` is compared as two different types (for example as a string and as a number)"
                ))
            }
        }
        Ok(smt::ident(&lower))
    }

    /// The formula "the policy allows the request" (for its kind), given the request
    /// variables: `action`, `resource`, `pkind` and the principal's strings, the keys.
    pub(crate) fn allowed(&mut self, p: &Policy) -> Result<String, String> {
        let mut allows = Vec::new();
        let mut denies = Vec::new();
        for st in &p.statements {
            let f = self.statement(st)?;
            match st.effect {
                Effect::Allow => allows.push(f),
                Effect::Deny => denies.push(f),
            }
        }
        let a = smt::or(&allows);
        let d = smt::or(&denies);
        let granted = match self.opts.kind {
            // The principal's identity policies allow everything: a standard resource
            // policy is needed across accounts and for service principals; key and trust
            // policies always (policy evaluation logic).
            PolicyKind::Resource | PolicyKind::Vault => {
                format!("(or {a} (and same_account (not (= pkind 3))))")
            }
            // `FullAWSAccess` beside the SCP, and `RCPFullAWSAccess` beside the RCP, allow
            // everything: only their Denies can take access away (AWS Organizations,
            // "SCP evaluation" and "RCP evaluation").
            PolicyKind::Scp if !self.opts.scp_alone => "true".into(),
            PolicyKind::Rcp => "true".into(),
            _ => a,
        };
        if self.opts.kind == PolicyKind::Rcp {
            // RCPs govern only the services that support them (AWS Organizations, "List of
            // AWS services that support RCPs"); elsewhere they allow everything.
            let services: Vec<String> = vaultward_iam::authorizer::RCP_SERVICES
                .iter()
                .map(|s| format!("(str.prefixof {} action)", lit(&format!("{s}:"))))
                .collect();
            return Ok(format!(
                "(=> {} (and {granted} (not {d})))",
                smt::or(&services)
            ));
        }
        Ok(format!("(and {granted} (not {d}))"))
    }

    fn statement(&mut self, st: &Statement) -> Result<String, String> {
        let mut parts = Vec::new();
        // Action.
        let acts: Vec<String> = st
            .action
            .patterns
            .iter()
            .map(|g| {
                format!(
                    "(str.in_re action {})",
                    re_of_glob(&g.pattern_text().to_ascii_lowercase())
                )
            })
            .collect();
        let am = smt::or(&acts);
        parts.push(if st.action.negated {
            format!("(not {am})")
        } else {
            am
        });
        // Resource.
        if let Some(r) = &st.resource {
            let mut res = Vec::new();
            for t in &r.patterns {
                let (re, resolved) = self.template(t, true)?;
                res.push(format!("(and {resolved} (str.in_re resource {re}))"));
            }
            let rm = smt::or(&res);
            parts.push(if r.negated { format!("(not {rm})") } else { rm });
        }
        // Principal (resource-side kinds).
        if resource_side(self.opts.kind) {
            match &st.principal {
                None => parts.push("false".into()),
                // `NotPrincipal`: the statement applies unless every identity of the
                // principal's chain is listed (session ARN, role ARN, account; user ARN,
                // account); the principal's identity policies here set no boundary.
                Some(pe) if pe.negated => {
                    let names = |id: &str, this: &mut Self| -> Result<String, String> {
                        let mut v = Vec::new();
                        for e in &pe.entries {
                            v.push(this.names(e, id)?);
                        }
                        Ok(smt::or(&v))
                    };
                    let arn = names("parn", self)?;
                    let role = names("prole", self)?;
                    let acct = names("pacct", self)?;
                    let svc = names("psvc", self)?;
                    parts.push(format!(
                        "(not (ite (= pkind 0) (and {arn} {acct}) (ite (= pkind 1) (and {arn} {role} {acct}) (ite (= pkind 2) {acct} {svc}))))"
                    ));
                }
                Some(pe) => {
                    let mut ps = Vec::new();
                    for e in &pe.entries {
                        ps.push(self.principal_entry(e)?);
                    }
                    parts.push(smt::or(&ps));
                }
            }
        }
        // Conditions.
        for c in &st.conditions {
            match self.condition(c) {
                Ok(f) => parts.push(f),
                // What the encoding cannot model exactly is abstracted: a free Boolean per
                // distinct condition (shared by OLD and NEW), which keeps "no new access"
                // a proof (any real request gives the Boolean some value) and leaves a
                // witness to the engine's confirmation.
                Err(why) => parts.push(self.abstracted(c, why)),
            }
        }
        Ok(smt::and(&parts))
    }

    /// The free Boolean standing for a condition the encoding does not model.
    fn abstracted(&mut self, c: &vaultward_iam::policy::Condition, why: String) -> String {
        let signature = format!(
            "{}|{}|{:?}",
            c.operator.name(),
            c.key.to_ascii_lowercase(),
            c.values
        );
        self.abstract_as(signature, why)
    }

    /// The free Boolean for `signature` (the same one wherever the same construct appears).
    pub(super) fn abstract_as(&mut self, signature: String, why: String) -> String {
        let n = self.abstracted.len();
        let entry = self
            .abstracted
            .entry(signature)
            .or_insert_with(|| (format!("abstracted_{n}"), why));
        entry.0.clone()
    }

    /// Whether a `NotPrincipal` entry names the principal's identity `id`: `parn` (its own
    /// ARN), `prole` (a session's role), `pacct` (its account), `psvc` (a service).
    fn names(&mut self, e: &PrincipalEntry, id: &str) -> Result<String, String> {
        Ok(match (e, id) {
            (PrincipalEntry::Everyone, _) => "true".into(),
            (PrincipalEntry::Account(a), "pacct") => format!("(= pacct {})", lit(a)),
            (PrincipalEntry::User(a) | PrincipalEntry::Session(a), "parn") => {
                format!("(= parn {})", lit(a))
            }
            (PrincipalEntry::Role { arn, .. }, "prole") => {
                self.role_paths |= has_path(arn);
                format!("(= prole {})", lit(arn))
            }
            (PrincipalEntry::Service(s), "psvc") => {
                if !self.services.contains(s) {
                    self.services.push(s.clone());
                }
                format!("(= psvc {})", lit(s))
            }
            (PrincipalEntry::Unmatchable(_), _) => "false".into(),
            (
                PrincipalEntry::Account(_)
                | PrincipalEntry::User(_)
                | PrincipalEntry::Session(_)
                | PrincipalEntry::Role { .. }
                | PrincipalEntry::Service(_),
                _,
            ) => "false".into(),
            // Federated principals (web identity, SAML, federated users) and canonical
            // users are not in the request model: abstracted, like conditions.
            (other, id) => self.abstract_as(
                format!("principal|{other:?}|{id}"),
                format!("the principal {other:?} is not in compare's request model"),
            ),
        })
    }

    /// A policy string as a regular expression over the request's value, and the
    /// condition under which it resolves: each policy variable is the value of its key
    /// (a single value; a list or an absent key leaves it unresolved, unless it has a
    /// default), and an unresolved string matches nothing (IAM User Guide, Policy
    /// variables, "Policy variables with no value").
    pub(super) fn template(
        &mut self,
        t: &vaultward_iam::template::Template,
        wildcards: bool,
    ) -> Result<(String, String), String> {
        use vaultward_iam::template::Segment;
        let Some(segments) = t.segments() else {
            let text = t.text();
            let re = if wildcards {
                re_of_glob(&text)
            } else {
                format!("(str.to_re {})", lit(&text))
            };
            return Ok((re, "true".into()));
        };
        let mut parts = Vec::new();
        let mut resolved = Vec::new();
        for seg in segments {
            match seg {
                Segment::Text(text) if wildcards => parts.push(re_of_glob(text)),
                Segment::Text(text) => parts.push(format!("(str.to_re {})", lit(text))),
                Segment::Escaped(c) => parts.push(format!("(str.to_re {})", lit(&c.to_string()))),
                Segment::Var { key, default } => {
                    let v = self.key_var(key, Some(KeyType::Str))?;
                    let has = format!("(and {v}_present (not {v}_list))");
                    match default {
                        Some(d) => {
                            parts.push(format!("(str.to_re (ite {has} {v}_str {}))", lit(d)))
                        }
                        None => {
                            resolved.push(has);
                            parts.push(format!("(str.to_re {v}_str)"));
                        }
                    }
                }
            }
        }
        let re = match parts.len() {
            0 => "(str.to_re \"\")".to_string(),
            1 => parts.remove(0),
            _ => format!("(re.++ {})", parts.join(" ")),
        };
        Ok((re, smt::and(&resolved)))
    }

    fn principal_entry(&mut self, e: &PrincipalEntry) -> Result<String, String> {
        // pkind: 0 user, 1 role session, 2 root, 3 service.
        Ok(match e {
            PrincipalEntry::Everyone => "true".into(),
            PrincipalEntry::Account(a) => {
                format!("(and (< pkind 3) (= pacct {}))", lit(a))
            }
            PrincipalEntry::User(arn) => format!("(and (= pkind 0) (= parn {}))", lit(arn)),
            // A session of the role: its role ARN, path included, is the one named.
            PrincipalEntry::Role { arn, .. } => {
                self.role_paths |= has_path(arn);
                format!("(and (= pkind 1) (= prole {}))", lit(arn))
            }
            PrincipalEntry::Session(arn) => format!("(and (= pkind 1) (= parn {}))", lit(arn)),
            PrincipalEntry::Service(s) => {
                if !self.services.contains(s) {
                    self.services.push(s.clone());
                }
                format!("(and (= pkind 3) (= psvc {}))", lit(s))
            }
            PrincipalEntry::Unmatchable(_) => "false".into(),
            other => self.abstract_as(
                format!("principal|{other:?}"),
                format!("the principal {other:?} is not in compare's request model"),
            ),
        })
    }
}
