//! `vaultward compare OLD.json NEW.json --kind KIND [--format human|json]`: does NEW allow
//! any request (any principal, action, resource, context) that OLD does not? Decided by an
//! SMT solver (cvc5 or Z3), every witness confirmed by the engine. Exit 0 no new access,
//! 1 new access (with a witness: a complete `authorize` case), 3 undecided (the solver's
//! limit, or a construct not modelled exactly; never a guess), 2 bad input.
//!
//! `vaultward compare --access-not-granted ACTION[,ACTION...] POLICY.json --kind KIND`:
//! does the policy grant any of these actions on any resource? Exit 0 no, 1 yes (witness).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;
use vaultward_analysis::{access_not_granted, compare, CompareError, Options, Outcome};
use vaultward_iam::PolicyKind;

use crate::input::read_text;

#[derive(clap::Args)]
pub struct Args {
    /// OLD and NEW policy documents (one document with `--access-not-granted`).
    #[arg(num_args = 1..=2, required = true)]
    policies: Vec<PathBuf>,
    /// What the policies are.
    #[arg(long, value_parser = ["identity", "resource", "trust", "scp", "rcp", "boundary", "session", "key", "vault"], ignore_case = true)]
    kind: String,
    /// Actions (comma-separated) the policy must not grant on any resource.
    #[arg(long, value_delimiter = ',')]
    access_not_granted: Vec<String>,
    /// Output format.
    #[arg(long, default_value = "human", value_parser = ["human", "json"], ignore_case = true)]
    format: String,
    /// The solver's time limit, in seconds (beyond it: undecided, exit 3).
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// The SMT solver command (`cvc5` or `z3`; default: cvc5 when installed, else z3).
    #[arg(long)]
    solver: Option<String>,
    /// Compare SCPs on their own, without the `FullAWSAccess` AWS attaches beside them
    /// (an RCP is always compared with `RCPFullAWSAccess` beside it).
    #[arg(long)]
    scp_alone: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let kind = PolicyKind::parse(&args.kind.to_ascii_lowercase())
        .ok_or_else(|| anyhow::anyhow!("unknown policy kind `{}`", args.kind))?;
    let mut opts = Options::new(kind);
    opts.timeout = Duration::from_secs(args.timeout.max(1));
    opts.scp_alone = args.scp_alone;
    if let Some(s) = args.solver {
        opts.solver = s;
    }
    let texts: Vec<String> = args
        .policies
        .iter()
        .map(|p| read_text(p))
        .collect::<Result<_, _>>()?;
    let result = match (texts.as_slice(), args.access_not_granted.is_empty()) {
        ([old, new], true) => compare(old, new, &opts),
        ([one], false) => access_not_granted(one, &args.access_not_granted, &opts),
        ([_], true) => {
            eprintln!("error: give OLD and NEW, or one policy with `--access-not-granted`");
            return Ok(ExitCode::from(2));
        }
        _ => {
            eprintln!("error: `--access-not-granted` takes one policy");
            return Ok(ExitCode::from(2));
        }
    };
    let outcome = match result {
        Ok(o) => o,
        Err(CompareError::BadInput(m)) => {
            eprintln!("error: {m}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => {
            // The solver is missing, or a witness was not confirmed: not a verdict.
            eprintln!("error: {e}");
            return Ok(ExitCode::from(3));
        }
    };
    // A witness names a real action of the service when one serves (the solver's own pick
    // may be any string the patterns match); re-confirmed by the engine.
    let outcome = match outcome {
        Outcome::NewAccess(w) => {
            let old = texts
                .first()
                .filter(|_| texts.len() == 2)
                .cloned()
                .unwrap_or_else(|| r#"{"Version": "2012-10-17", "Statement": []}"#.to_string());
            let action = w["request"]["action"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let candidates: Vec<String> = action
                .split_once(':')
                .and_then(|(prefix, _)| vaultward_catalog::catalog().service(prefix))
                .map(|s| {
                    s.actions
                        .iter()
                        .map(|a| format!("{}:{}", s.prefix, a.name))
                        .collect()
                })
                .unwrap_or_default();
            let known = candidates.iter().any(|c| c.eq_ignore_ascii_case(&action));
            if known || texts.len() != 2 {
                Outcome::NewAccess(w)
            } else {
                Outcome::NewAccess(Box::new(vaultward_analysis::prefer_action(
                    &w,
                    &old,
                    &opts,
                    &candidates,
                )))
            }
        }
        other => other,
    };
    let json_out = args.format.eq_ignore_ascii_case("json");
    // What the policies were compared beside, said in the output.
    let beside = match kind {
        PolicyKind::Scp if opts.scp_alone => {
            Some("the SCPs were compared on their own (`--scp-alone`)")
        }
        PolicyKind::Scp => {
            Some("each SCP was compared with `FullAWSAccess` beside it, as AWS attaches it")
        }
        PolicyKind::Rcp => {
            Some("each RCP was compared with `RCPFullAWSAccess` beside it, as AWS attaches it")
        }
        _ => None,
    };
    let (code, text) = match &outcome {
        Outcome::NoNewAccess => (
            0,
            if json_out {
                json!({"new_access": false, "witness": null, "undecided": null}).to_string()
            } else if args.access_not_granted.is_empty() {
                "no new access: NEW allows no request that OLD does not".into()
            } else {
                format!(
                    "not granted: the policy allows none of {} on any resource",
                    args.access_not_granted.join(", ")
                )
            },
        ),
        Outcome::NewAccess(w) => (
            1,
            if json_out {
                json!({"new_access": true, "witness": w, "undecided": null}).to_string()
            } else {
                format!(
                    "new access: this request is allowed with NEW and not with OLD (the engine confirms it; run it with `vaultward authorize --input`):\n{}",
                    serde_json::to_string_pretty(w)?
                )
            },
        ),
        Outcome::Undecided(why) => (
            3,
            if json_out {
                json!({"new_access": null, "witness": null, "undecided": why}).to_string()
            } else {
                format!("undecided: {why}")
            },
        ),
    };
    let text = match (beside, json_out) {
        (Some(b), true) => {
            let mut v: serde_json::Value = serde_json::from_str(&text)?;
            v["compared_with"] = json!(b);
            v.to_string()
        }
        (Some(b), false) => format!("{text}\n({b})"),
        (None, _) => text,
    };
    println!("{text}");
    Ok(ExitCode::from(code))
}
