//! One set of fixes across an organization: each account's patches as `fix` writes them,
//! and each patch of an SCP or RCP once, however many accounts it unblocks, exempting the
//! role in every account (`arn:aws:iam::*:role/PATH/NAME`), verified to open nothing for
//! any other principal, with its apply command for the management account.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::Serialize;
use vaultward_analysis::Outcome;
use vaultward_iam::PolicyKind;
use vaultward_snapshot::Snapshot;

use super::{OrgAccount, OrgOptions};
use crate::check::DocRef;
use crate::fix::{fixes, Entry, FixReport, Patch};
use vaultward_snapshot::org::role_arn;

/// A patch of an organization's policy, written once for every account it unblocks.
#[derive(Debug, Clone, Serialize)]
pub struct OrgPatch {
    /// `scp` or `rcp`.
    pub target: &'static str,
    /// The policy's name, as the accounts' snapshots name it.
    pub policy: String,
    pub file: String,
    /// The accounts whose findings it closes.
    pub accounts: Vec<String>,
    pub description: String,
    /// The AWS CLI command that applies it, as the management account.
    pub apply: String,
    pub before: String,
    pub after: String,
    /// The SMT comparison of the patched policy with the original for every principal but
    /// the role in every account: `no new access`, or what another principal gains.
    pub compare: String,
    pub verified: bool,
}

/// What `fix` of an organization found, account by account.
#[derive(Debug, Clone, Serialize)]
pub struct AccountFixes {
    pub account: String,
    /// Why the account was not fixed (not collected, no role, unreadable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The account's fixes, without the organization's policies' patches (they are in
    /// the organization's list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<FixReport>,
}

/// The organization's policies' patches being gathered: by (target, name), the first
/// account's patch and every account it closes findings in.
type OrgPatches = BTreeMap<(&'static str, String), (Patch, Vec<String>)>;

/// Fixes every account. `emit` receives each account's fixes as soon as they are made
/// (so a caller can write them and let them go); the organization's patches come back.
pub fn fix_organization<F, E>(
    accounts: &[OrgAccount],
    load: F,
    opts: &OrgOptions,
    emit: E,
) -> Vec<OrgPatch>
where
    F: Fn(&OrgAccount) -> Result<Snapshot, String> + Sync,
    E: Fn(AccountFixes) + Sync,
{
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(accounts.len().max(1));
    let next = AtomicUsize::new(0);
    // Organization policy patches, by (target, name): the first account's, and every
    // account it closes findings in.
    let org: Mutex<OrgPatches> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(a) = accounts.get(i) else {
                    break;
                };
                let out = fix_account(a, &load, opts, &org);
                emit(out);
            });
        }
    });
    let org = org.into_inner().unwrap_or_default();
    org.into_values()
        .map(|(p, accounts)| organization_patch(p, accounts, &opts.role))
        .collect()
}

fn fix_account<F>(
    a: &OrgAccount,
    load: &F,
    opts: &OrgOptions,
    org: &Mutex<OrgPatches>,
) -> AccountFixes
where
    F: Fn(&OrgAccount) -> Result<Snapshot, String>,
{
    let none = |reason: String| AccountFixes {
        account: a.id.clone(),
        reason: Some(reason),
        report: None,
    };
    if let Some(why) = &a.not_collected {
        return none(format!("not collected: {why}"));
    }
    let s = match load(a) {
        Ok(s) => s,
        Err(e) => return none(format!("its snapshot cannot be read: {e}")),
    };
    let mut o = opts.template.clone();
    o.role_arn = role_arn(&a.id, &opts.role);
    let mut report = match fixes(&s, &o) {
        Ok(r) => r,
        Err(e) => return none(e.to_string()),
    };
    report.entries.retain(|e| {
        let Entry::Patch(p) = e else {
            return true;
        };
        let key = match &p.document {
            DocRef::Scp { name, .. } => ("scp", name.clone()),
            DocRef::Rcp { name, .. } => ("rcp", name.clone()),
            _ => return true,
        };
        if let Ok(mut m) = org.lock() {
            let e = m.entry(key).or_insert_with(|| ((**p).clone(), Vec::new()));
            e.1.push(a.id.clone());
        }
        false
    });
    AccountFixes {
        account: a.id.clone(),
        reason: None,
        report: Some(report),
    }
}

/// The most an SCP or RCP document may hold, in characters (AWS Organizations, "Quotas
/// for AWS Organizations": 5,120 for SCPs and RCPs).
const MAX_ORG_POLICY: usize = 5120;

/// The account's patch, made the organization's: the exemption names the role of every
/// account it unblocks (verified by the SMT comparison with exactly those left out); an
/// SCP too large for that names the role in every account by pattern instead, which only
/// an SCP can (it governs the organization's own principals alone; an RCP also governs
/// other accounts' principals, which a pattern would exempt too).
fn organization_patch(p: Patch, mut accounts: Vec<String>, role: &str) -> OrgPatch {
    accounts.sort();
    accounts.dedup();
    let (target, kind, name) = match &p.document {
        DocRef::Rcp { name, .. } => ("rcp", PolicyKind::Rcp, name.clone()),
        DocRef::Scp { name, .. } => ("scp", PolicyKind::Scp, name.clone()),
        _ => ("scp", PolicyKind::Scp, String::new()),
    };
    let arns: Vec<String> = accounts.iter().map(|a| role_arn(a, role)).collect();
    let patched: serde_json::Value = serde_json::from_str(&p.after).unwrap_or_default();
    let listed = with_roles(&patched, &arns, &arns);
    let pattern = role_arn("*", role);
    let (after, exclude) = match (serde_json::to_string(&listed), kind) {
        (Ok(text), _) if text.len() <= MAX_ORG_POLICY => (text, arns.clone()),
        (_, PolicyKind::Scp) => (
            serde_json::to_string(&with_roles(&patched, &arns, std::slice::from_ref(&pattern)))
                .unwrap_or_default(),
            vec![pattern.clone()],
        ),
        (text, _) => (text.unwrap_or_default(), arns.clone()),
    };
    let before: Option<serde_json::Value> = serde_json::from_str(&p.before).ok();
    let new: serde_json::Value = serde_json::from_str(&after).unwrap_or_default();
    let (compare, verified) = if after.len() > MAX_ORG_POLICY {
        (
            format!("not applied: the patched {target} has {} characters, over AWS's {MAX_ORG_POLICY}; exempt the role by hand (an RCP cannot name it by pattern without exempting other accounts' roles of that name)", after.len()),
            false,
        )
    } else {
        match crate::fix::verify::compare_docs_excluding(kind, &exclude, before.as_ref(), &new) {
            Ok(Outcome::NoNewAccess) => ("no new access".to_string(), true),
            Ok(Outcome::NewAccess(w)) => (format!("new access: {w}"), false),
            Ok(Outcome::Undecided(why)) => (format!("undecided: {why}"), false),
            Err(e) => (format!("undecided: {e}"), false),
        }
    };
    let file = format!("organization/{target}-{}.json", file_name(&name));
    let apply = p.apply.replace(&p.file, &file);
    let whom = if exclude.len() == 1 && exclude[0] == pattern {
        format!("`{pattern}`, the role in every account")
    } else {
        format!("the role in {} account(s)", accounts.len())
    };
    let description = accounts.first().map_or(p.description.clone(), |a| {
        p.description
            .replace(&role_arn(a, role), &role_arn("ACCOUNT", role))
    });
    OrgPatch {
        target,
        policy: name,
        description: format!("{description} (for {whom})"),
        file,
        accounts,
        apply,
        before: p.before,
        after,
        compare,
        verified,
    }
}

/// `doc` with every `aws:PrincipalArn` exemption value that names one of `own` replaced by
/// `all` (each once).
fn with_roles(doc: &serde_json::Value, own: &[String], all: &[String]) -> serde_json::Value {
    use serde_json::Value;
    fn walk(v: &mut Value, own: &[String], all: &[String]) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if k.eq_ignore_ascii_case("aws:PrincipalArn") {
                        let mut values: Vec<String> = match x {
                            Value::String(s) => vec![s.clone()],
                            Value::Array(a) => a
                                .iter()
                                .filter_map(|e| e.as_str().map(str::to_string))
                                .collect(),
                            _ => continue,
                        };
                        if values.iter().any(|s| own.contains(s)) {
                            values.retain(|s| !own.contains(s));
                            for a in all {
                                if !values.contains(a) {
                                    values.push(a.clone());
                                }
                            }
                            *x = Value::Array(values.into_iter().map(Value::String).collect());
                        }
                    } else {
                        walk(x, own, all);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, own, all)),
            _ => {}
        }
    }
    let mut d = doc.clone();
    walk(&mut d, own, all);
    d
}

/// A policy name as a file name: letters, digits, `-` and `_`.
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
