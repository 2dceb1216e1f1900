//! One check across an AWS Organization: every account checked with its own SCPs and RCPs
//! (its snapshot carries its path through the tree), the role found by path and name in
//! each, accounts in parallel on every core with memory bounded by the accounts in flight,
//! and one report: the verdict and the objects and bytes at stake for the organization
//! and for each account, the accounts that were not collected `unknown`, and the findings
//! grouped by cause across accounts (the same SCP statement blocking 300 accounts is one
//! entry listing them).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use vaultward_snapshot::org::role_arn;

use serde::Serialize;
use vaultward_snapshot::Snapshot;

use crate::check::{self, group, CauseGroup, CheckOptions, Finding, RoleError, Status, Totals};

mod fix;
mod render;
pub use fix::{fix_organization, AccountFixes, OrgPatch};
pub use render::{html_org, render_human, sarif_org};

/// An account of the organization, as the collection found it.
#[derive(Debug, Clone)]
pub struct OrgAccount {
    pub id: String,
    pub name: Option<String>,
    /// Why its snapshot is missing (the member role could not be assumed, the account is
    /// suspended); `None` when it was collected.
    pub not_collected: Option<String>,
    /// The organization's management account (SCPs and RCPs do not apply to it).
    pub management: bool,
}

/// What to check in every account.
#[derive(Debug, Clone)]
pub struct OrgOptions {
    /// The role's path and name (`/vaultward/VaultwardBackupRole`): its ARN in each
    /// account is `arn:aws:iam::ACCOUNT:role/vaultward/VaultwardBackupRole`.
    pub role: String,
    /// The options of each account's check; its `role_arn` is replaced per account.
    pub template: CheckOptions,
    /// Accounts checked at once (0: one per core).
    pub threads: usize,
}

/// One account's part of the organization's report.
#[derive(Debug, Clone, Serialize)]
pub struct AccountResult {
    pub account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: Status,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub management: bool,
    /// Why the account could not be checked (not collected, the role not there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub totals: Vec<Totals>,
    pub findings: Vec<Finding>,
    pub requests: usize,
}

/// A finding and the account it is in, for the organization's groups.
#[derive(Debug, Clone, Serialize)]
pub struct OrgFinding<'a> {
    pub account: &'a str,
    #[serde(flatten)]
    pub finding: &'a Finding,
}

/// The organization's report.
#[derive(Debug, Clone, Serialize)]
pub struct OrgReport {
    /// Over every account: `blocked` if any blocks, else `unknown` if any is unknown or
    /// was not collected, else `ok`.
    pub status: Status,
    pub role: String,
    /// Summed over the accounts.
    pub totals: Vec<Totals>,
    pub accounts: Vec<AccountResult>,
    /// The findings by cause across accounts; `findings` index the accounts' findings in
    /// order (account by account, as listed).
    pub groups: Vec<CauseGroup>,
    pub requests: usize,
}

impl OrgReport {
    /// Every finding with its account, in the order the groups index them.
    pub fn findings(&self) -> impl Iterator<Item = OrgFinding<'_>> {
        self.accounts.iter().flat_map(|a| {
            a.findings.iter().map(move |f| OrgFinding {
                account: &a.account,
                finding: f,
            })
        })
    }
}

/// Checks every account of the organization. `load` reads an account's snapshot (called
/// once per collected account, from the worker threads; the snapshot is dropped as soon
/// as its account is checked).
pub fn check_organization<F>(accounts: &[OrgAccount], load: F, opts: &OrgOptions) -> OrgReport
where
    F: Fn(&OrgAccount) -> Result<Snapshot, String> + Sync,
{
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(accounts.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, AccountResult)>> =
        Mutex::new(Vec::with_capacity(accounts.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(a) = accounts.get(i) else {
                    break;
                };
                let r = check_account(a, &load, opts);
                if let Ok(mut v) = results.lock() {
                    v.push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    let accounts: Vec<AccountResult> = results.into_iter().map(|(_, r)| r).collect();
    let status = accounts
        .iter()
        .map(|a| a.status)
        .max()
        .unwrap_or(Status::Unknown);
    let mut totals: Vec<Totals> = Vec::new();
    for a in &accounts {
        for t in &a.totals {
            match totals.iter_mut().find(|x| x.operation == t.operation) {
                Some(x) => add(x, t),
                None => totals.push(t.clone()),
            }
        }
    }
    let groups = group(
        accounts
            .iter()
            .flat_map(|a| a.findings.iter().map(move |f| (a.account.as_str(), f))),
    );
    OrgReport {
        status,
        role: opts.role.clone(),
        totals,
        requests: accounts.iter().map(|a| a.requests).sum(),
        accounts,
        groups,
    }
}

fn add(into: &mut Totals, t: &Totals) {
    into.resources = into.resources.saturating_add(t.resources);
    into.ok = into.ok.saturating_add(t.ok);
    into.blocked = into.blocked.saturating_add(t.blocked);
    into.unknown = into.unknown.saturating_add(t.unknown);
    into.objects_blocked = into.objects_blocked.saturating_add(t.objects_blocked);
    into.bytes_blocked = into.bytes_blocked.saturating_add(t.bytes_blocked);
    into.objects_unknown = into.objects_unknown.saturating_add(t.objects_unknown);
    into.bytes_unknown = into.bytes_unknown.saturating_add(t.bytes_unknown);
    into.at_least |= t.at_least;
}

fn check_account<F>(a: &OrgAccount, load: &F, opts: &OrgOptions) -> AccountResult
where
    F: Fn(&OrgAccount) -> Result<Snapshot, String>,
{
    let unknown = |reason: String| AccountResult {
        account: a.id.clone(),
        name: a.name.clone(),
        status: Status::Unknown,
        management: a.management,
        reason: Some(reason),
        totals: Vec::new(),
        findings: Vec::new(),
        requests: 0,
    };
    if let Some(why) = &a.not_collected {
        return unknown(format!("not collected: {why}"));
    }
    let s = match load(a) {
        Ok(s) => s,
        Err(e) => return unknown(format!("its snapshot cannot be read: {e}")),
    };
    let mut o = opts.template.clone();
    o.role_arn = role_arn(&a.id, &opts.role);
    match check::check(&s, &o) {
        Ok(r) => AccountResult {
            account: a.id.clone(),
            name: a.name.clone(),
            status: r.status,
            management: a.management,
            reason: None,
            totals: r.totals,
            findings: r.findings,
            requests: r.requests,
        },
        // The role is not deployed in this account: its backups cannot run, and what
        // else blocks is not known until it is.
        Err(RoleError::NotInExport { .. }) => unknown(format!(
            "the role `{}` is not in the account's IAM export: deploy it (the stack set does), collect again",
            o.role_arn
        )),
        Err(e) => unknown(e.to_string()),
    }
}
