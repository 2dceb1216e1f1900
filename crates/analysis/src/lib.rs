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
//! (only for the services they govern), keys derived from the request's principal and
//! resource (`aws:PrincipalArn`, `aws:PrincipalAccount` and, on AWS KMS requests,
//! `kms:CallerAccount`: the principal's account; `aws:ResourceAccount`; never free), and
//! conditions on single-valued keys with the string (`...IgnoreCase` included), ARN,
//! numeric (rationals), date, Bool, Binary, IPv4 and IPv6 and Null operators, `IfExists`,
//! and keys whose values are not of the operator's type. What is
//! reported undecided rather than guessed: policy variables inside ARN and
//! `...IgnoreCase` operators (in `Resource`/`NotResource` and string operators they are
//! modelled, with defaults and the no-value rule), `...IgnoreCase` on non-ASCII letters,
//! and a key used with operators of two types. Keys may be single values or lists (a plain
//! operator on a list is false, as the engine reads it); keys under
//! `ForAnyValue:`/`ForAllValues:` (strings, numbers, dates, Booleans, addresses) carry up
//! to one value per set condition on them, plus one, each element typed and possibly
//! unreadable as its type.

use std::time::Duration;

use serde_json::{json, Value};
use vaultward_iam::managed::Managed;
use vaultward_iam::{authorize, parse_case, parse_policy, Decision, Policy, PolicyKind};

mod encode;
mod smt;

use encode::Encoder;

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
    /// The account that owns the resource asked about (12 digits): every request is on a
    /// resource of this account, so `aws:ResourceAccount` (which the engine derives from
    /// the request's resource account) is this account too. `None`: any account. For
    /// identity-side kinds, whose requests stay in the principal's account, it pins the
    /// principal's account as well.
    pub resource_account: Option<String>,
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
            resource_account: None,
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
    run(Some((&old_p, old)), &new_p, new, opts)
}

/// The empty policy: in place of a standard resource or vault policy, what the
/// principal's identity policies alone allow (its own account's resources).
const EMPTY: &str = r#"{"Version": "2012-10-17", "Statement": []}"#;

/// What a request is allowed without any grant of a policy of `kind`, as the document
/// that takes the policy's place (`None`: nothing is). For a standard resource or vault
/// policy, the empty one: a principal of the resource's own account is allowed by its
/// identity policies alone (IAM User Guide, "Policy evaluation logic", same-account
/// requests), which is no access the policy grants. For an SCP beside `FullAWSAccess`
/// and an RCP beside `RCPFullAWSAccess` the empty one would allow everything, so the
/// question is whether the policy lets the action through: measured against nothing.
/// Elsewhere the empty policy allows nothing, and says so to the engine.
fn without_grants(kind: PolicyKind, scp_alone: bool) -> Option<&'static str> {
    match kind {
        PolicyKind::Scp if !scp_alone => None,
        PolicyKind::Rcp => None,
        _ => Some(EMPTY),
    }
}

/// Does the policy grant any of `actions` on any resource (to anyone, for resource-side
/// kinds)? `NoNewAccess` means no; `NewAccess` holds a request that it does. What a
/// principal has without the policy (a standard resource or vault policy's own account,
/// allowed by its identity policies) is not granted by it; an SCP or RCP beside its
/// AWS-managed policy grants what it lets through.
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
    let baseline = match without_grants(opts.kind, opts.scp_alone) {
        Some(src) => Some((parse(src, opts.kind, "the empty policy")?, src)),
        None => None,
    };
    run(baseline.as_ref().map(|(p, s)| (p, *s)), &p, src, &o)
}

/// The kinds whose policy sits on the resource side (a `Principal` element).
pub(crate) fn resource_side(kind: PolicyKind) -> bool {
    matches!(
        kind,
        PolicyKind::Resource
            | PolicyKind::Trust
            | PolicyKind::Key
            | PolicyKind::Vault
            | PolicyKind::Rcp
    )
}

/// Does `new` allow a request `old` does not? `old` is the policy and its text; `None`
/// allows nothing.
fn run(
    old: Option<(&Policy, &str)>,
    new: &Policy,
    new_src: &str,
    opts: &Options,
) -> Result<Outcome, CompareError> {
    if let Some(a) = &opts.resource_account {
        if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CompareError::BadInput(format!(
                "the resource's account `{a}` is not an account ID: give its 12 digits"
            )));
        }
    }
    let mut enc = Encoder::new(opts);
    let mut all = vec![new];
    all.extend(old.map(|(p, _)| p));
    enc.scan(&all);
    let new_allowed = match enc.allowed(new) {
        Ok(f) => f,
        Err(why) => return Ok(Outcome::Undecided(why)),
    };
    let old_allowed = match old {
        Some((p, _)) => match enc.allowed(p) {
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
    match confirm(&case, old.map(|(_, s)| s), opts.kind, opts.scp_alone) {
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
        if confirm(&case, Some(old_src), opts.kind, opts.scp_alone).is_ok() {
            return case;
        }
    }
    witness.clone()
}

/// The engine must decide the witness Allow with NEW and not with OLD (`None`: OLD allows
/// nothing).
fn confirm(
    case: &Value,
    old_src: Option<&str>,
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
    let with_old = match old_src {
        Some(src) => {
            let old_doc: Value = serde_json::from_str(src)
                .map_err(|e| CompareError::Unconfirmed(format!("OLD is not JSON: {e}")))?;
            let mut old_case = case.clone();
            place(&mut old_case, kind, old_doc, scp_alone);
            decide(&old_case)?
        }
        None => Decision::ImplicitDeny,
    };
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
pub(crate) fn place(case: &mut Value, kind: PolicyKind, doc: Value, scp_alone: bool) {
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
