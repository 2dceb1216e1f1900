//! The SMT-LIB script of one question, the values the solver is asked for, and the
//! witness case built from its model.

use std::fmt::Write as _;

use serde_json::{json, Value};
use vaultward_iam::PolicyKind;

use super::{always_present, role_in_any_account, Encoder, KeyType};
use crate::smt::{self, lit, re_of_glob, Model};
use crate::{place, resource_side, CompareError};

/// Whether the engine derives `lower` from the case's request: the witness leaves it
/// out (the others, free or derived by the encoding alone, it writes).
fn by_engine(lower: &str) -> bool {
    smt::derived(lower).is_some_and(|d| d.by_engine)
}

impl Encoder<'_> {
    pub(crate) fn outputs(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            "action", "resource", "pkind", "pacct", "pname", "psvc", "racct", "ppath",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for (lower, (ty, _)) in &self.keys {
            if by_engine(lower) {
                continue;
            }
            let v = smt::ident(lower);
            out.push(format!("{v}_present"));
            out.push(format!("{v}_list"));
            out.push(format!("{v}_n"));
            for i in 0..self.width(lower) {
                let el = if i == 0 {
                    String::new()
                } else {
                    format!("_e{i}")
                };
                match ty {
                    None | Some(KeyType::Str) if i == 0 => out.push(format!("{v}_str")),
                    None | Some(KeyType::Str) => out.push(format!("{v}{el}")),
                    Some(KeyType::Int) => {
                        out.push(format!("{v}_real{el}"));
                        out.push(format!("{v}_bad{el}"));
                    }
                    Some(KeyType::Date) => {
                        out.push(format!("{v}_int{el}"));
                        out.push(format!("{v}_bad{el}"));
                    }
                    Some(KeyType::Bool) => {
                        out.push(format!("{v}_bool{el}"));
                        out.push(format!("{v}_bad{el}"));
                    }
                    Some(KeyType::Ip) => {
                        out.push(format!("{v}_ip{el}"));
                        out.push(format!("{v}_ip6{el}"));
                        out.push(format!("{v}_v6{el}"));
                        out.push(format!("{v}_bad{el}"));
                    }
                }
            }
        }
        out
    }

    /// The value of element `i` of key variable `v` (of type `ty`) in the model, as the
    /// text a request carries.
    fn element(m: &Model, v: &str, ty: Option<KeyType>, i: usize) -> String {
        let get = |k: String| m.get(&k).cloned().unwrap_or_default();
        let el = if i == 0 {
            String::new()
        } else {
            format!("_e{i}")
        };
        let bad = m.get(&format!("{v}_bad{el}")).map(String::as_str) == Some("true");
        match ty {
            None | Some(KeyType::Str) if i == 0 => get(format!("{v}_str")),
            None | Some(KeyType::Str) => get(format!("{v}{el}")),
            _ if bad => "not-a-value".to_string(),
            Some(KeyType::Int) => smt::decimal(&get(format!("{v}_real{el}"))),
            Some(KeyType::Date) => get(format!("{v}_int{el}")),
            Some(KeyType::Bool) => get(format!("{v}_bool{el}")),
            Some(KeyType::Ip)
                if m.get(&format!("{v}_v6{el}")).map(String::as_str) == Some("true") =>
            {
                smt::ipv6(&get(format!("{v}_ip6{el}")))
            }
            Some(KeyType::Ip) => smt::dotted(&get(format!("{v}_ip{el}"))),
        }
    }

    pub(crate) fn script(&self, new_allowed: &str, old_allowed: &str) -> String {
        let mut s = String::new();
        s.push_str("(set-option :produce-models true)\n(set-logic ALL)\n");
        for v in [
            "action", "resource", "pacct", "pname", "psvc", "racct", "ppath",
        ] {
            let _ = writeln!(s, "(declare-const {v} String)");
        }
        s.push_str("(declare-const pkind Int)\n");
        for (v, _) in self.abstracted.values() {
            let _ = writeln!(s, "(declare-const {v} Bool)");
        }
        // Derived principal strings.
        s.push_str(&smt::principal_defs());
        let kinds: &str = match self.opts.kind {
            PolicyKind::Identity | PolicyKind::Boundary | PolicyKind::Scp | PolicyKind::Rcp => {
                "(or (= pkind 0) (= pkind 1))"
            }
            PolicyKind::Session => "(= pkind 1)",
            _ => "(and (>= pkind 0) (<= pkind 3))",
        };
        let _ = writeln!(s, "(assert {kinds})");
        // The principal's strings matter only when something names them: a resource-side
        // policy, a key derived from the principal, an excluded principal. Otherwise they
        // are left unconstrained (the solver is much faster without them).
        let names_principal = resource_side(self.opts.kind)
            || !self.opts.exclude_principals.is_empty()
            || self.keys.keys().any(|k| smt::derived(k).is_some());
        if !names_principal {
            s.push_str("(assert (= pname \"p\"))\n(assert (= ppath \"/\"))\n(assert (= pacct \"111111111111\"))\n(assert (= psvc \"x\"))\n");
        }
        let _ = writeln!(s, "(assert (str.in_re pacct {}))", smt::ACCOUNT_RE);
        let _ = writeln!(s, "(assert (str.in_re racct {}))", smt::ACCOUNT_RE);
        // The resource asked about is in this account, and so is `aws:ResourceAccount`,
        // which the engine derives from it (a derived key, tied to `racct`).
        if let Some(a) = &self.opts.resource_account {
            let _ = writeln!(s, "(assert (= racct {}))", lit(a));
        }
        let _ = writeln!(s, "(assert (str.in_re pname {}))", smt::NAME_RE);
        // A role's path matters only where something reads it: a principal entry naming a
        // role under a path, `aws:PrincipalArn`, an excluded principal. Elsewhere it is `/`
        // (the solver is much faster without a free path).
        let path_read = self.role_paths
            || !self.opts.exclude_principals.is_empty()
            || self.keys.contains_key("aws:principalarn");
        if path_read {
            let _ = writeln!(s, "(assert (str.in_re ppath {}))", smt::PATH_RE);
            // Service-linked roles are outside SCPs and RCPs; leave them out of those
            // questions.
            if matches!(self.opts.kind, PolicyKind::Scp | PolicyKind::Rcp) {
                s.push_str("(assert (not (str.prefixof \"/aws-service-role/\" ppath)))\n");
            }
        } else {
            s.push_str("(assert (= ppath \"/\"))\n");
        }
        let _ = writeln!(s, "(assert (str.in_re psvc {}))", smt::SERVICE_RE);
        let services: Vec<String> = self
            .services
            .iter()
            .map(|v| format!("(= psvc {})", lit(v)))
            .collect();
        let _ = writeln!(s, "(assert (=> (= pkind 3) {}))", smt::or(&services));
        let _ = writeln!(s, "(assert (str.in_re action {}))", smt::ACTION_RE);
        s.push_str("(define-fun same_account () Bool (and (< pkind 3) (= pacct racct)))\n");
        match self.opts.kind {
            // Identity-side kinds: the request stays in the principal's account (no
            // resource policy is given, so another account's resource would be denied
            // by both).
            PolicyKind::Identity
            | PolicyKind::Boundary
            | PolicyKind::Session
            | PolicyKind::Scp
            | PolicyKind::Rcp => {
                s.push_str("(assert (= racct pacct))\n");
            }
            PolicyKind::Trust => {
                let _ = writeln!(s, "(assert (str.in_re resource {}))", smt::ROLE_RE);
                let _ = writeln!(s, "(assert (str.in_re action {}))", smt::TRUST_ACTION_RE);
                s.push_str("(assert (str.in_re resource (re.++ (str.to_re \"arn:aws:iam::\") (str.to_re racct) re.all)))\n");
            }
            PolicyKind::Key => {
                s.push_str("(assert (str.prefixof \"arn:aws:kms:\" resource))\n(assert (str.prefixof \"kms:\" action))\n");
            }
            _ => {}
        }
        self.declare_keys(&mut s);
        self.narrow(&mut s);
        let _ = writeln!(s, "(assert (and {new_allowed} (not {old_allowed})))");
        s.push_str("(check-sat)\n");
        s
    }

    /// The keys: their variables, each element's, their ranges; derived ones tied to the
    /// request.
    fn declare_keys(&self, s: &mut String) {
        // The keys: derived ones tied to the request, free ones printable.
        for (lower, (ty, _)) in &self.keys {
            let v = smt::ident(lower);
            let _ = writeln!(s, "(declare-const {v}_present Bool)");
            let _ = writeln!(s, "(declare-const {v}_list Bool)");
            let _ = writeln!(s, "(declare-const {v}_n Int)");
            let _ = writeln!(s, "(assert (<= 1 {v}_n {}))", self.width(lower));
            // The first element's variables are the key's own (below); the others carry
            // the suffix `_e{i}`.
            for i in 1..self.width(lower) {
                let _ = writeln!(s, "(declare-const {v}_e{i} String)");
                for (name, sort) in [
                    ("int", "Int"),
                    ("real", "Real"),
                    ("bool", "Bool"),
                    ("ip", "(_ BitVec 32)"),
                    ("ip6", "(_ BitVec 128)"),
                    ("v6", "Bool"),
                    ("bad", "Bool"),
                ] {
                    let _ = writeln!(s, "(declare-const {v}_{name}_e{i} {sort})");
                }
            }
            let _ = writeln!(s, "(declare-const {v}_str String)");
            let _ = writeln!(s, "(declare-const {v}_int Int)");
            let _ = writeln!(s, "(declare-const {v}_real Real)");
            let _ = writeln!(s, "(declare-const {v}_bool Bool)");
            let _ = writeln!(s, "(declare-const {v}_ip (_ BitVec 32))");
            let _ = writeln!(s, "(declare-const {v}_ip6 (_ BitVec 128))");
            let _ = writeln!(s, "(declare-const {v}_v6 Bool)");
            let _ = writeln!(s, "(declare-const {v}_bad Bool)");
            // Dates as epoch seconds (the engine reads them so, in milliseconds), numbers
            // as integers within what a request can carry.
            let (lo, hi) = if *ty == Some(KeyType::Date) {
                ("0", "100000000000")
            } else {
                ("(- 1000000000000000)", "1000000000000000")
            };
            for i in 0..self.width(lower) {
                let el = if i == 0 {
                    String::new()
                } else {
                    format!("_e{i}")
                };
                let _ = writeln!(s, "(assert (<= {lo} {v}_int{el} {hi}))");
                let _ = writeln!(
                    s,
                    "(assert (<= (- 1000000000000000.0) {v}_real{el} 1000000000000000.0))"
                );
            }
            if let Some(def) = smt::derived(lower) {
                // A key the engine does not derive is sent where the request-context
                // model says (`kms:CallerAccount`: AWS KMS requests), by a principal of
                // an account.
                let present = match always_present(lower) {
                    Some(sent) if !def.by_engine => format!("(and {} {sent})", def.present),
                    _ => def.present.to_string(),
                };
                let _ = writeln!(s, "(assert (= {v}_present {present}))");
                let _ = writeln!(s, "(assert (=> {v}_present (= {v}_str {})))", def.value);
                let _ = writeln!(s, "(assert (not {v}_bad))");
                let _ = writeln!(s, "(assert (not {v}_list))");
                if ty.is_some_and(|t| t != KeyType::Str) && lower != "aws:principalisawsservice" {
                    // A derived key compared as a number or address: not modelled.
                    let _ = writeln!(s, "(assert (not {v}_present))");
                }
                if lower == "aws:principalisawsservice" {
                    let _ = writeln!(s, "(assert (= {v}_bool (= pkind 3)))");
                }
            }
        }
    }

    /// What narrows the question: keys AWS always sends are present, principals left out
    /// are out, and only the actions asked about.
    fn narrow(&self, s: &mut String) {
        // Keys AWS always sends are never absent in the model, nor in a witness (the
        // request-context model, `vaultward_iam::request_context`).
        for lower in self.keys.keys() {
            if smt::derived(lower).is_some() {
                continue;
            }
            if let Some(when) = always_present(lower) {
                let v = smt::ident(lower);
                let _ = writeln!(s, "(assert (=> {when} {v}_present))");
            }
        }
        for p in &self.opts.exclude_principals {
            // A pattern (`arn:aws:iam::*:role/path/name`) leaves out every principal it
            // matches: the role in every account of an organization.
            if let Some((path, name)) = role_in_any_account(p) {
                // The role in every account: its sessions, whatever their account,
                // said on the model's own parts (much easier for the solver).
                let _ = writeln!(
                    s,
                    "(assert (not (and (= pkind 1) (= ppath {}) (= pname {}))))",
                    lit(path),
                    lit(name)
                );
            } else if p.contains(['*', '?']) {
                let re = re_of_glob(p);
                let _ = writeln!(s, "(assert (not (str.in_re parn {re})))");
                let _ = writeln!(s, "(assert (not (and (= pkind 1) (str.in_re prole {re}))))");
            } else {
                let _ = writeln!(s, "(assert (not (= parn {})))", lit(p));
                let _ = writeln!(s, "(assert (not (= prole {})))", lit(p));
            }
        }
        if !self.opts.only_actions.is_empty() {
            let acts: Vec<String> = self
                .opts
                .only_actions
                .iter()
                .map(|a| format!("(= action {})", lit(a)))
                .collect();
            let _ = writeln!(s, "(assert {})", smt::or(&acts));
        }
    }

    /// The witness case from the solver's model.
    pub(crate) fn witness(&self, m: &Model, new_src: &str) -> Result<Value, CompareError> {
        let get = |k: &str| m.get(k).cloned().unwrap_or_default();
        let pkind: i64 = get("pkind").parse().unwrap_or(0);
        let acct = get("pacct");
        let name = get("pname");
        let principal = match pkind {
            0 => format!("arn:aws:iam::{acct}:user/{name}"),
            1 => format!("arn:aws:sts::{acct}:assumed-role/{name}/vaultward"),
            2 => format!("arn:aws:iam::{acct}:root"),
            _ => get("psvc"),
        };
        let mut context = serde_json::Map::new();
        for (lower, (ty, written)) in &self.keys {
            let v = smt::ident(lower);
            if by_engine(lower)
                || m.get(&format!("{v}_present")).map(String::as_str) != Some("true")
            {
                continue;
            }
            // A list: its values (a plain operator is false on any list, so a key no set
            // operator tests carries one value).
            if m.get(&format!("{v}_list")).map(String::as_str) == Some("true") {
                let n: usize = get(&format!("{v}_n")).parse().unwrap_or(1);
                let values: Vec<Value> = (0..n.max(1))
                    .map(|i| Value::String(Self::element(m, &v, *ty, i)))
                    .collect();
                context.insert(written.clone(), Value::Array(values));
                continue;
            }
            let value = Self::element(m, &v, *ty, 0);
            context.insert(written.clone(), Value::String(value));
        }
        // A role session's role ARN, so that the engine knows its path.
        if pkind == 1 {
            let path = get("ppath");
            let path = if path.is_empty() {
                "/".to_string()
            } else {
                path
            };
            context.insert(
                "aws:PrincipalArn".into(),
                Value::String(format!("arn:aws:iam::{acct}:role{path}{name}")),
            );
        }
        let mut case = json!({
            "request": {
                "principal": principal,
                "action": get("action"),
                "resource": get("resource"),
                "resource_account": get("racct"),
                "context": context,
            }
        });
        let all = json!({"name": "allow-everything", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}});
        if self.opts.kind != PolicyKind::Identity {
            case["identity_policies"] = json!([all]);
        }
        let doc: Value = serde_json::from_str(new_src)
            .map_err(|e| CompareError::BadInput(format!("NEW is not JSON: {e}")))?;
        place(&mut case, self.opts.kind, doc, self.opts.scp_alone);
        Ok(case)
    }
}
