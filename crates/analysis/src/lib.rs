//! `vaultward compare`: does NEW allow a request OLD does not? Decided for every principal,
//! action, resource and context at once, offline, by encoding both policies as SMT
//! constraints (strings with regular-expression membership, integers, bit-vectors for IPv4)
//! and asking an SMT solver (Z3, or cvc5) through SMT-LIB text on its standard input.
//!
//! The answer is one of: no new access (the solver proved there is no such request), new
//! access with a **witness** (a complete `authorize` case that the engine itself decides
//! Allow under NEW and not under OLD: a witness the engine does not confirm is a bug and is
//! reported as one, never printed), or undecided (the solver's limit, or a construct this
//! encoding does not model exactly; never a guess).
//!
//! The same idea as IAM Access Analyzer's `CheckNoNewAccess` (Zelkova) and Cedar's
//! analysis through cvc5; the code is Vaultward's own. Semantics follow the engine
//! (`vaultward-iam`), which follows AWS's pages: policy evaluation logic, condition
//! operators (absent keys: positive operators false, negated ones true, `...IfExists` true),
//! the `Principal` element.
//!
//! Conditions the encoding does not model exactly (below) are abstracted, not guessed: each
//! distinct one becomes a free Boolean shared by OLD and NEW. "No new access" stays a proof
//! (every real request gives the condition some value, which the solver has already
//! tried), and a witness still has to be confirmed by the engine; only when the solver's
//! request rests on such a condition and does not hold is the answer undecided. Principal
//! entries outside the request model (federated, web identity, SAML, canonical users) are
//! abstracted the same way.
//!
//! What is modelled exactly: `Action`/`NotAction` (case-insensitive wildcards),
//! `Resource`/`NotResource` (wildcards), `Principal` and `NotPrincipal` (everyone,
//! accounts, users, roles with their paths, sessions, services), Deny over Allow, RCPs
//! (only for the services they govern), and conditions on single-valued
//! keys with the string (`...IgnoreCase` included), ARN, numeric (rationals), date, Bool,
//! Binary, IPv4 and IPv6 and Null operators, `IfExists`, and keys whose values are not of the operator's type. What is
//! reported undecided rather than guessed: policy variables inside ARN and
//! `...IgnoreCase` operators (in `Resource`/`NotResource` and string operators they are
//! modelled, with defaults and the no-value rule), `...IgnoreCase` on non-ASCII letters,
//! and a key used with operators of two types. Keys may be single values or lists (a plain
//! operator on a list is false, as the engine reads it); keys under
//! `ForAnyValue:`/`ForAllValues:` (strings, numbers, dates, Booleans, addresses) carry up
//! to one value per set condition on them, plus one, each element typed and possibly
//! unreadable as its type.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};
use vaultward_iam::condition::{positive, CondValue, OpKind};
use vaultward_iam::managed::Managed;
use vaultward_iam::policy::{Effect, Statement};
use vaultward_iam::principal::PrincipalEntry;
use vaultward_iam::{authorize, parse_case, parse_policy, Decision, Policy, PolicyKind};

mod smt;

use smt::{lit, re_of_glob, Model};

/// What `compare` found.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// NEW allows no request that OLD does not.
    NoNewAccess,
    /// A request NEW allows and OLD does not, as an `authorize` case (NEW in its place),
    /// confirmed by the engine.
    NewAccess(Box<Value>),
    /// The solver could not decide within its limit, or the policies use what the
    /// encoding does not model exactly; the reason says which.
    Undecided(String),
}

/// Why a comparison could not start.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A policy is not valid (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// The solver could not be run.
    #[error("cannot run the SMT solver `{solver}`: {why}")]
    Solver { solver: String, why: String },
    /// A witness the engine does not confirm: a bug of the encoding, never printed as a
    /// finding.
    #[error("internal error: the solver's witness is not confirmed by the engine ({0}); this is a bug, please report it with both policies")]
    Unconfirmed(String),
}

/// How to compare.
#[derive(Debug, Clone)]
pub struct Options {
    pub kind: PolicyKind,
    /// The solver's command (`z3` by default; `cvc5` works too).
    pub solver: String,
    pub timeout: Duration,
    /// Principals (ARNs, or ARN patterns with `*` and `?`) left out of the question: "new
    /// access for anyone but these".
    pub exclude_principals: Vec<String>,
    /// Only these actions (lowercase `service:action`): `--access-not-granted`.
    pub only_actions: Vec<String>,
    /// SCPs compared on their own. By default an SCP is compared with `FullAWSAccess`
    /// beside it, as AWS attaches it to every root, OU and account; an RCP is always
    /// compared with `RCPFullAWSAccess` beside it, which cannot be detached.
    pub scp_alone: bool,
}

impl Options {
    /// Whether the solver has `str.to_lower` (cvc5 does; Z3 4.8 has not).
    pub fn solver_folds_case(&self) -> bool {
        std::path::Path::new(&self.solver)
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("cvc5"))
    }

    pub fn new(kind: PolicyKind) -> Options {
        Options {
            kind,
            solver: default_solver(),
            timeout: Duration::from_secs(10),
            exclude_principals: Vec::new(),
            only_actions: Vec::new(),
            scp_alone: false,
        }
    }
}

/// `VAULTWARD_SMT_SOLVER`, else cvc5 when it is installed (much faster on strings than
/// Debian's Z3 4.8: 7 ms against 16 ms median, 0.2 s against 3.8 s at worst, on the
/// differential test's queries), else Z3.
pub fn default_solver() -> String {
    if let Ok(s) = std::env::var("VAULTWARD_SMT_SOLVER") {
        return s;
    }
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    if on_path("cvc5") {
        "cvc5".into()
    } else {
        "z3".into()
    }
}

fn parse(src: &str, kind: PolicyKind, which: &str) -> Result<Policy, CompareError> {
    let parsed = parse_policy(src, kind);
    // What the engine refuses to evaluate is bad input; other errors (a wildcard inside a
    // principal, which names nobody) are evaluated as the engine evaluates them.
    if parsed.findings.iter().any(|f| f.fatal) || parsed.policy.is_none() {
        let msgs: Vec<String> = parsed
            .findings
            .iter()
            .filter(|f| f.fatal)
            .map(|f| {
                format!(
                    "{which}:{}:{}: {} ({})",
                    f.line.unwrap_or(0),
                    f.column.unwrap_or(0),
                    f.message,
                    f.path
                )
            })
            .collect();
        return Err(CompareError::BadInput(msgs.join("\n")));
    }
    parsed
        .policy
        .ok_or_else(|| CompareError::BadInput(format!("{which}: not a policy")))
}

/// Does `new` allow a request `old` does not?
pub fn compare(old: &str, new: &str, opts: &Options) -> Result<Outcome, CompareError> {
    let old_p = parse(old, opts.kind, "OLD")?;
    let new_p = parse(new, opts.kind, "NEW")?;
    run(Some(&old_p), &new_p, old, new, opts)
}

/// Does the policy grant any of `actions` on any resource (to anyone, for resource-side
/// kinds)? `NoNewAccess` means no; `NewAccess` holds a request that it does.
pub fn access_not_granted(
    src: &str,
    actions: &[String],
    opts: &Options,
) -> Result<Outcome, CompareError> {
    let p = parse(src, opts.kind, "POLICY")?;
    // Each must be one concrete action: a pattern would be matched as text and answer
    // "not granted" for a request no one can make.
    for a in actions {
        if !vaultward_iam::request::is_action_name(a) {
            return Err(CompareError::BadInput(format!(
                "`{a}` is not one action: give `service:Action` names, without wildcards"
            )));
        }
    }
    let mut o = opts.clone();
    o.only_actions = actions.iter().map(|a| a.to_ascii_lowercase()).collect();
    let empty = r#"{"Version": "2012-10-17", "Statement": []}"#;
    run(None, &p, empty, src, &o)
}

/// The kinds whose policy sits on the resource side (a `Principal` element).
fn resource_side(kind: PolicyKind) -> bool {
    matches!(
        kind,
        PolicyKind::Resource
            | PolicyKind::Trust
            | PolicyKind::Key
            | PolicyKind::Vault
            | PolicyKind::Rcp
    )
}

fn run(
    old: Option<&Policy>,
    new: &Policy,
    old_src: &str,
    new_src: &str,
    opts: &Options,
) -> Result<Outcome, CompareError> {
    let mut enc = Encoder::new(opts);
    let mut all = vec![new];
    all.extend(old);
    enc.scan(&all);
    let new_allowed = match enc.allowed(new) {
        Ok(f) => f,
        Err(why) => return Ok(Outcome::Undecided(why)),
    };
    let old_allowed = match old {
        Some(p) => match enc.allowed(p) {
            Ok(f) => f,
            Err(why) => return Ok(Outcome::Undecided(why)),
        },
        None => "false".to_string(),
    };
    let script = enc.script(&new_allowed, &old_allowed);
    // Where folding case is exact only on ASCII, a request in ASCII is looked for first:
    // its witness is one the engine confirms. Without one, the whole question is asked.
    let answer = if enc.ascii_guards.is_empty() {
        smt::solve(&opts.solver, &script, opts.timeout, &enc.outputs())?
    } else {
        let guarded = script.replacen(
            "(check-sat)",
            &format!("(assert {})\n(check-sat)", smt::and(&enc.ascii_guards)),
            1,
        );
        match smt::solve(&opts.solver, &guarded, opts.timeout, &enc.outputs())? {
            smt::Answer::Sat(m) => smt::Answer::Sat(m),
            _ => smt::solve(&opts.solver, &script, opts.timeout, &enc.outputs())?,
        }
    };
    let model = match answer {
        // The request model's own constraints are satisfiable by construction (a user
        // `p` of account 111111111111 asking `a:b` satisfies them for every kind; the
        // named tests find witnesses for each kind), so unsat means no such request.
        smt::Answer::Unsat => return Ok(Outcome::NoNewAccess),
        smt::Answer::Unknown(why) => {
            return Ok(Outcome::Undecided(format!(
                "the solver could not decide within {} s ({why})",
                opts.timeout.as_secs()
            )))
        }
        smt::Answer::Sat(m) => m,
    };
    let case = enc.witness(&model, new_src)?;
    match confirm(&case, old_src, opts.kind, opts.scp_alone) {
        Ok(()) => Ok(Outcome::NewAccess(Box::new(case))),
        // With abstracted conditions the solver's request may rest on a value they cannot
        // take for it: not a verdict either way.
        Err(CompareError::Unconfirmed(_)) if !enc.abstracted.is_empty() => {
            let why: Vec<&str> = enc.abstracted.values().map(|(_, w)| w.as_str()).collect();
            Ok(Outcome::Undecided(format!(
                "the answer depends on conditions compare does not model exactly ({}), and the request the solver found does not hold",
                why.join("; ")
            )))
        }
        Err(e) => Err(e),
    }
}

/// A witness with a more telling action: the solver picks any string the patterns match
/// (`s3:s`), so the caller offers real action names (from the action catalog) and the
/// first one for which the engine still decides Allow with NEW and not with OLD replaces
/// it. Each candidate is confirmed concretely, so the witness stays exact; without a
/// confirmed candidate it is returned as it was.
pub fn prefer_action(
    witness: &Value,
    old_src: &str,
    opts: &Options,
    candidates: &[String],
) -> Value {
    for a in candidates {
        let mut case = witness.clone();
        case["request"]["action"] = Value::String(a.clone());
        if confirm(&case, old_src, opts.kind, opts.scp_alone).is_ok() {
            return case;
        }
    }
    witness.clone()
}

/// The engine must decide the witness Allow with NEW and not with OLD.
fn confirm(
    case: &Value,
    old_src: &str,
    kind: PolicyKind,
    scp_alone: bool,
) -> Result<(), CompareError> {
    let decide = |c: &Value| -> Result<Decision, CompareError> {
        let parsed = parse_case(&c.to_string()).map_err(|e| {
            CompareError::Unconfirmed(format!("the witness is not a valid case: {e:?}"))
        })?;
        Ok(authorize(&parsed.request, &parsed.policies).decision)
    };
    let with_new = decide(case)?;
    let old_doc: Value = serde_json::from_str(old_src)
        .map_err(|e| CompareError::Unconfirmed(format!("OLD is not JSON: {e}")))?;
    let mut old_case = case.clone();
    place(&mut old_case, kind, old_doc, scp_alone);
    let with_old = decide(&old_case)?;
    if with_new == Decision::Allow && with_old != Decision::Allow {
        Ok(())
    } else {
        Err(CompareError::Unconfirmed(format!(
            "the engine decides {with_new:?} with NEW and {with_old:?} with OLD for {case}"
        )))
    }
}

/// Puts `doc` in the case where a policy of `kind` goes, with the AWS-managed policy
/// beside an SCP (unless `scp_alone`) or an RCP, as AWS attaches them.
fn place(case: &mut Value, kind: PolicyKind, doc: Value, scp_alone: bool) {
    let named = json!({"name": "policy", "document": doc});
    let managed = |m: Managed| -> Value {
        json!({"name": m.name(), "document": serde_json::from_str::<Value>(m.document()).unwrap_or(Value::Null)})
    };
    match kind {
        PolicyKind::Identity => case["identity_policies"] = json!([named]),
        PolicyKind::Boundary => case["permissions_boundary"] = named,
        PolicyKind::Session => case["session_policy"] = named,
        PolicyKind::Scp if scp_alone => case["scps"] = json!([[named]]),
        PolicyKind::Scp => case["scps"] = json!([[managed(Managed::FullAwsAccess), named]]),
        PolicyKind::Rcp => case["rcps"] = json!([[managed(Managed::RcpFullAwsAccess), named]]),
        _ => case["resource_policy"] = named,
    }
}

/// The type a context key's values are compared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyType {
    Str,
    Int,
    Date,
    Bool,
    Ip,
}

fn key_type(kind: OpKind) -> Option<KeyType> {
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

/// Keys the engine derives from the principal and resource: their values are tied to the
/// request, not free.
const DERIVED: [&str; 8] = [
    "aws:principalarn",
    "aws:principalaccount",
    "aws:resourceaccount",
    "aws:principaltype",
    "aws:principalisawsservice",
    "aws:username",
    "aws:userid",
    "aws:principalservicename",
];

/// `arn:aws:iam::*:role/PATH/NAME` (no other wildcard): the role's path and name.
fn role_in_any_account(p: &str) -> Option<(&str, &str)> {
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
fn always_present(lower: &str) -> Option<String> {
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

struct Encoder<'o> {
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
    abstracted: BTreeMap<String, (String, String)>,
    /// Where `...IgnoreCase` is exact only on ASCII text: the guards saying so, under
    /// which a witness is looked for first.
    ascii_guards: Vec<String>,
}

/// Whether a role ARN has a path other than `/` (`role/team/app`).
fn has_path(role_arn: &str) -> bool {
    role_arn
        .split_once(":role/")
        .is_some_and(|(_, rest)| rest.contains('/'))
}

impl<'o> Encoder<'o> {
    fn new(opts: &'o Options) -> Encoder<'o> {
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
    fn scan(&mut self, policies: &[&Policy]) {
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
    fn width(&self, lower: &str) -> usize {
        self.multi.get(lower).copied().unwrap_or(1)
    }

    fn key_var(&mut self, key: &str, ty: Option<KeyType>) -> Result<String, String> {
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
    fn allowed(&mut self, p: &Policy) -> Result<String, String> {
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
    fn abstract_as(&mut self, signature: String, why: String) -> String {
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
    fn template(
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

    fn condition(&mut self, c: &vaultward_iam::policy::Condition) -> Result<String, String> {
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

    fn outputs(&self) -> Vec<String> {
        let mut out: Vec<String> = [
            "action", "resource", "pkind", "pacct", "pname", "psvc", "racct", "ppath",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for (lower, (ty, _)) in &self.keys {
            if DERIVED.contains(&lower.as_str()) {
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

    fn script(&self, new_allowed: &str, old_allowed: &str) -> String {
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
            || self.keys.keys().any(|k| DERIVED.contains(&k.as_str()));
        if !names_principal {
            s.push_str("(assert (= pname \"p\"))\n(assert (= ppath \"/\"))\n(assert (= pacct \"111111111111\"))\n(assert (= psvc \"x\"))\n");
        }
        let _ = writeln!(s, "(assert (str.in_re pacct {}))", smt::ACCOUNT_RE);
        let _ = writeln!(s, "(assert (str.in_re racct {}))", smt::ACCOUNT_RE);
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
                let _ = writeln!(s, "(assert (= {v}_present {}))", def.0);
                let _ = writeln!(s, "(assert (=> {v}_present (= {v}_str {})))", def.1);
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
        // Keys AWS always sends are never absent in the model, nor in a witness (the
        // request-context model, `vaultward_iam::request_context`).
        for lower in self.keys.keys() {
            if DERIVED.contains(&lower.as_str()) {
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
        let _ = writeln!(s, "(assert (and {new_allowed} (not {old_allowed})))");
        s.push_str("(check-sat)\n");
        s
    }

    /// The witness case from the solver's model.
    fn witness(&self, m: &Model, new_src: &str) -> Result<Value, CompareError> {
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
            if DERIVED.contains(&lower.as_str())
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
