//! Findings grouped by cause: one entry per deciding statement (or missing Allow) of one
//! document, listing every resource, operation and action it stops, so a bucket policy's
//! Deny that blocks eight actions is one entry, and so is an SCP's statement that blocks
//! every bucket of every account. The per-action findings stay in the report; the groups
//! are what a person reads.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Code, Decider, Finding, Level, Op};

/// One cause and everything it stops.
#[derive(Debug, Clone, Serialize)]
pub struct CauseGroup {
    pub code: Code,
    pub level: Level,
    /// The deciding policy and statement, in words, when one decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Decider>,
    /// The first finding's reason (each finding has its own, naming its action).
    pub reason: String,
    /// The findings' fixes, each once.
    pub fix: String,
    /// The accounts it stops, for an organization's check (empty for one account).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    pub resources: Vec<String>,
    /// Per operation, the actions it stops.
    pub operations: BTreeMap<Op, Vec<String>>,
    /// Objects and bytes at stake, each resource and operation counted once.
    pub objects: u64,
    pub bytes: u64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub at_least: bool,
    /// The findings it groups, by their index in the report's `findings`.
    pub findings: Vec<usize>,
}

/// What makes two findings the same cause: the code, the level, and the deciding
/// document and statement; without a document, the policy named, or the resource and
/// the fix (a snapshot gap is its own cause per resource).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    level: Level,
    code: Code,
    document: String,
    statement: Option<usize>,
    sid: Option<String>,
}

fn key(f: &Finding, account: &str) -> Key {
    let document = match f.decided_by.as_ref().and_then(|d| d.document.as_ref()) {
        // An organization's policy is the same document for every account it governs.
        Some(d) => match d.organization_key() {
            Some(org) => org,
            None => format!("{account}|{d:?}"),
        },
        None => match &f.policy {
            Some(p) => format!("{account}|{p}|{}", f.resource),
            None => format!("{account}|{}|{}", f.resource, f.fix),
        },
    };
    Key {
        level: f.level,
        code: f.code,
        document,
        statement: f.decided_by.as_ref().and_then(|d| d.statement_index),
        sid: f.statement.clone(),
    }
}

/// An account, resource and operation.
type Place = (String, String, Op);
/// Objects, bytes, whether a floor.
type Stake = (u64, u64, bool);

/// Groups `findings` (each with the account it belongs to) by cause, most serious and
/// largest first.
pub fn group<'a>(findings: impl IntoIterator<Item = (&'a str, &'a Finding)>) -> Vec<CauseGroup> {
    let mut groups: BTreeMap<Key, CauseGroup> = BTreeMap::new();
    // Objects at stake per group, per (account, resource, operation): the largest of its
    // actions' figures (they are the same objects).
    let mut stake: BTreeMap<Key, BTreeMap<Place, Stake>> = BTreeMap::new();
    for (i, (account, f)) in findings.into_iter().enumerate() {
        let k = key(f, account);
        let g = groups.entry(k.clone()).or_insert_with(|| CauseGroup {
            code: f.code,
            level: f.level,
            policy: f.policy.clone(),
            statement: f.statement.clone(),
            decided_by: f.decided_by.clone(),
            reason: f.reason.clone(),
            fix: f.fix.clone(),
            accounts: Vec::new(),
            resources: Vec::new(),
            operations: BTreeMap::new(),
            objects: 0,
            bytes: 0,
            at_least: false,
            findings: Vec::new(),
        });
        g.findings.push(i);
        // Actions of one cause may each have their own fix (the action named).
        if !g.fix.split("; ").any(|x| x == f.fix) {
            g.fix = format!("{}; {}", g.fix, f.fix);
        }
        if !account.is_empty() && !g.accounts.iter().any(|a| a == account) {
            g.accounts.push(account.to_string());
        }
        if !g.resources.contains(&f.resource) {
            g.resources.push(f.resource.clone());
        }
        let actions = g.operations.entry(f.operation).or_default();
        if !actions.contains(&f.action) {
            actions.push(f.action.clone());
        }
        let e = stake
            .entry(k)
            .or_default()
            .entry((account.to_string(), f.resource.clone(), f.operation))
            .or_default();
        *e = (
            e.0.max(f.impact.objects),
            e.1.max(f.impact.bytes),
            e.2 || f.impact.at_least,
        );
    }
    let mut out: Vec<CauseGroup> = groups
        .into_iter()
        .map(|(k, mut g)| {
            for (objects, bytes, at_least) in stake.get(&k).into_iter().flat_map(|m| m.values()) {
                g.objects = g.objects.saturating_add(*objects);
                g.bytes = g.bytes.saturating_add(*bytes);
                g.at_least |= *at_least;
            }
            g
        })
        .collect();
    out.sort_by(|a, b| {
        (
            a.level,
            std::cmp::Reverse(a.bytes),
            std::cmp::Reverse(a.findings.len()),
            a.code,
        )
            .cmp(&(
                b.level,
                std::cmp::Reverse(b.bytes),
                std::cmp::Reverse(b.findings.len()),
                b.code,
            ))
    });
    out
}
