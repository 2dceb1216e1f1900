//! Fixes for the check's findings. Every blocking or unknown finding ends in exactly one
//! entry: a patch of the document that decided it, or a `manual` entry saying what a person
//! must do and why Vaultward cannot.
//!
//! A patch is offered as verified only when both hold: with it applied the findings it is
//! for are gone (the snapshot is checked again), and no other principal (anonymous callers,
//! other accounts, the account's root, its other roles and users) gains any access it did
//! not have, for every action the patched document covers. Patches are chosen from the
//! findings' typed data ([`Decider`]: which document, which statement), never from their
//! prose. One document gets one patch, whatever the number of findings it closes; a patch
//! that uncovers another finding on the same document (a key policy exempting the role from
//! a Deny, then lacking an Allow) is extended, not doubled.
//!
//! The verified patches, applied together, give the patched snapshot: `fix` succeeds exactly
//! when the check of that snapshot is `ok`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use vaultward_snapshot::Snapshot;

use self::docs::{apply_command, read_doc, slug, target_name, write_doc};
use self::patch::{no_patch, patch_doc, target_of, NoPatch};
use self::verify::{sweep, sweep_resources};
use crate::check::{
    check, CheckOptions, Code, Decider, DocRef, Finding, Level, Op, Report, RoleError, Status,
};
use crate::diff::unified;

mod deny;
mod docs;
mod patch;
pub(crate) mod verify;

#[cfg(test)]
mod tests;

/// The inline policy `fix` adds missing permissions to.
pub const INLINE_POLICY: &str = "VaultwardMissingPermissions";
/// The Sid of the statements `fix` adds to key policies and SCPs.
const SID: &str = "AllowVaultwardBackupRole";

/// How a patch was verified.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Every finding the patch is for is gone when the snapshot is checked with it.
    pub finding_cleared: bool,
    /// No other principal gains access (see `gained` otherwise).
    pub no_new_access: bool,
    pub principals_checked: usize,
    pub actions_checked: usize,
    /// Who would gain what, if anyone.
    pub gained: Vec<String>,
    /// The SMT comparison of the patched document with the original, for every
    /// principal other than the role (`vaultward compare`): `no new access`, `new access:
    /// <witness request>`, or `undecided: <why>` (then the patch is not verified).
    pub compare: String,
}

impl Verification {
    pub fn verified(&self) -> bool {
        self.finding_cleared && self.no_new_access
    }
}

/// A finding an entry is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRef {
    pub code: Code,
    pub level: Level,
    pub resource: String,
    pub operation: Op,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<Decider>,
}

impl From<&Finding> for FindingRef {
    fn from(f: &Finding) -> Self {
        FindingRef {
            code: f.code,
            level: f.level,
            resource: f.resource.clone(),
            operation: f.operation,
            action: f.action.clone(),
            decided_by: f.decided_by.clone(),
        }
    }
}

impl FindingRef {
    fn same(&self, f: &Finding) -> bool {
        self.code == f.code
            && self.resource == f.resource
            && self.operation == f.operation
            && self.action == f.action
            && self.decided_by.as_ref().map(|d| &d.document)
                == f.decided_by.as_ref().map(|d| &d.document)
    }
}

/// Whose credentials the apply command needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Applier {
    /// An administrator of this account (or of the key's account, for a key elsewhere).
    Account { account: String },
    /// The organization's management account (or a delegated policy administrator).
    ManagementAccount,
}

/// A patched document.
#[derive(Debug, Clone, Serialize)]
pub struct Patch {
    /// The document patched.
    pub document: DocRef,
    /// What the file is: `bucket-policy`, `key-policy`, `scp`, ...
    pub target: &'static str,
    pub findings: Vec<FindingRef>,
    pub file: String,
    pub description: String,
    /// The AWS CLI command that applies the file (run in the output folder).
    pub apply: String,
    pub applied_by: Applier,
    pub before: String,
    pub after: String,
    pub diff: String,
    pub verification: Verification,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<String>,
}

/// What a person must do, and why Vaultward cannot.
#[derive(Debug, Clone, Serialize)]
pub struct Manual {
    pub findings: Vec<FindingRef>,
    pub why: String,
    pub steps: Vec<String>,
}

/// One entry of `fixes.json`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Entry {
    Patch(Box<Patch>),
    Manual(Manual),
}

/// Whether the fixes close everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixStatus {
    /// Every blocking finding has a verified patch and the patched snapshot checks `ok`.
    Fixed,
    /// Something remains (see `remaining`): a manual step, an unverified patch, an unknown.
    Incomplete,
}

/// The outcome of `fix`.
#[derive(Debug, Clone, Serialize)]
pub struct FixReport {
    pub status: FixStatus,
    /// The check's verdict on the snapshot with every verified patch applied.
    pub after: Status,
    pub entries: Vec<Entry>,
    /// The findings the check still reports once every verified patch is applied.
    pub remaining: Vec<FindingRef>,
    /// The snapshot with every verified patch applied.
    #[serde(skip)]
    pub patched: Snapshot,
}

impl FixReport {
    /// 0 when everything is fixed, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self.status {
            FixStatus::Fixed => 0,
            FixStatus::Incomplete => 1,
        }
    }

    pub fn patches(&self) -> impl Iterator<Item = &Patch> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Patch(p) => Some(&**p),
            Entry::Manual(_) => None,
        })
    }

    pub fn manuals(&self) -> impl Iterator<Item = &Manual> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Manual(m) => Some(m),
            Entry::Patch(_) => None,
        })
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// One document's patch while it is being built: the original, and the findings so far.
struct Draft {
    doc: DocRef,
    original: Option<Value>,
    after: Value,
    findings: Vec<FindingRef>,
    description: Vec<String>,
    caveats: Vec<String>,
    verification: Verification,
}

/// Proposes, verifies and applies a fix for every blocking finding of `check(s, opts)`;
/// everything else gets a manual entry.
pub fn fixes(s: &Snapshot, opts: &CheckOptions) -> Result<FixReport, RoleError> {
    let role = opts.role_arn.clone();
    let mut report = check(s, opts)?;
    let mut current = s.clone();
    let mut drafts: Vec<Draft> = Vec::new();
    let mut unpatched: Vec<(FindingRef, NoPatch)> = Vec::new();
    let mut attempted: Vec<FindingRef> = Vec::new();
    // A patch can uncover a finding it hid (the engine reports the first missing Allow):
    // patch again until nothing new comes up.
    for _round in 0..6 {
        let mut groups: BTreeMap<DocRef, Vec<&Finding>> = BTreeMap::new();
        for f in report.findings.iter().filter(|f| f.level != Level::Warning) {
            if attempted.iter().any(|a| a.same(f)) {
                continue;
            }
            attempted.push(f.into());
            match target_of(&current, opts, f) {
                Ok(doc) => groups.entry(doc).or_default().push(f),
                Err(np) => unpatched.push((f.into(), np)),
            }
        }
        if groups.is_empty() {
            break;
        }
        for (doc, fs) in groups {
            let refs: Vec<FindingRef> = fs.iter().map(|f| FindingRef::from(*f)).collect();
            let existing = drafts.iter().position(|d| d.doc == doc);
            if existing.is_some_and(|i| !drafts[i].verification.verified()) {
                // The document's patch did not verify, so it was not applied: no second one.
                for r in refs {
                    unpatched.push((r, no_patch_unverified(&doc)));
                }
                continue;
            }
            let base = match read_doc(&current, &doc) {
                Ok(b) => b,
                Err(why) => {
                    for r in refs {
                        unpatched.push((
                            r,
                            no_patch(
                                why.clone(),
                                &["collect the document and run `vaultward fix` again"],
                            ),
                        ));
                    }
                    continue;
                }
            };
            let (new, description, caveats) =
                match patch_doc(&current, opts, &doc, base.as_ref(), &fs) {
                    Ok(p) => p,
                    Err(np) => {
                        for r in refs {
                            unpatched.push((
                                r,
                                NoPatch {
                                    why: np.why.clone(),
                                    steps: np.steps.clone(),
                                },
                            ));
                        }
                        continue;
                    }
                };
            let mut candidate = current.clone();
            if let Err(why) = write_doc(&mut candidate, &doc, &new) {
                for r in refs {
                    unpatched.push((r, no_patch(why.clone(), &["patch the document by hand"])));
                }
                continue;
            }
            let rechecked = check(&candidate, opts)?;
            let cleared = refs
                .iter()
                .all(|r| !rechecked.findings.iter().any(|g| r.same(g)));
            let original = match existing {
                Some(i) => drafts[i].original.clone(),
                None => base.clone(),
            };
            let mut all_refs = existing.map_or_else(Vec::new, |i| drafts[i].findings.clone());
            all_refs.extend(refs);
            let resources = sweep_resources(&current, &doc, &all_refs);
            let mut verification =
                sweep(&current, &role, &doc, original.as_ref(), &new, &resources);
            verification.finding_cleared =
                cleared && existing.is_none_or(|i| drafts[i].verification.finding_cleared);
            if verification.verified() {
                current = candidate;
            }
            match existing {
                Some(i) => {
                    let d = &mut drafts[i];
                    d.after = new;
                    d.findings = all_refs;
                    d.description.push(description);
                    d.caveats.extend(caveats);
                    d.verification = verification;
                }
                None => drafts.push(Draft {
                    doc,
                    original,
                    after: new,
                    findings: all_refs,
                    description: vec![description],
                    caveats,
                    verification,
                }),
            }
        }
        report = check(&current, opts)?;
    }
    Ok(finish(s, opts, report, current, drafts, unpatched))
}

fn no_patch_unverified(doc: &DocRef) -> NoPatch {
    no_patch(
        format!("the patch Vaultward proposes for {doc:?} did not verify, so it was not applied and this finding stays"),
        &["review the unverified patch of that document and change it by hand", "run `vaultward check` again"],
    )
}

fn finish(
    s: &Snapshot,
    opts: &CheckOptions,
    after: Report,
    patched: Snapshot,
    drafts: Vec<Draft>,
    unpatched: Vec<(FindingRef, NoPatch)>,
) -> FixReport {
    let mut entries = Vec::new();
    for (n, d) in drafts.into_iter().enumerate() {
        let target = target_name(&d.doc);
        let name = match &d.doc {
            DocRef::BucketPolicy { bucket } | DocRef::OwnershipControls { bucket } => {
                bucket.clone()
            }
            DocRef::KeyPolicy { key } => slug(key),
            DocRef::VaultPolicy { vault } => slug(vault),
            DocRef::Scp { name, .. } | DocRef::Rcp { name, .. } => slug(name),
            DocRef::Boundary { policy } | DocRef::ManagedPolicy { policy } => slug(policy),
            DocRef::InlinePolicy { name, .. } => slug(name),
            _ => "document".into(),
        };
        let file = format!("{:02}-{name}-{target}.json", n + 1);
        let (apply, applied_by) = apply_command(s, &d.doc, &file);
        let before = d.original.as_ref().map(pretty).unwrap_or_default();
        let after_text = pretty(&d.after);
        let mut caveats = d.caveats;
        if matches!(
            d.doc,
            DocRef::Boundary { .. } | DocRef::ManagedPolicy { .. }
        ) {
            caveats.push("an IAM managed policy keeps at most 5 versions: if it has 5, delete the oldest non-default one first (`aws iam delete-policy-version`)".into());
        }
        if matches!(d.doc, DocRef::InlinePolicy { .. }) {
            caveats.push("an inline policy of the role changes only the role's own access".into());
        }
        if applied_by == Applier::ManagementAccount {
            caveats.push("only the organization's management account (or a delegated administrator for policy management) can apply this".into());
        }
        entries.push(Entry::Patch(Box::new(Patch {
            diff: unified(&file, &before, &after_text),
            target,
            document: d.doc,
            findings: d.findings,
            file,
            description: d.description.join("; "),
            apply,
            applied_by,
            before,
            after: after_text,
            verification: d.verification,
            caveats,
        })));
    }
    // Manual entries for what is still reported once the verified patches are applied,
    // one per reason and resource.
    let remaining: Vec<FindingRef> = after
        .findings
        .iter()
        .filter(|f| f.level != Level::Warning)
        .map(FindingRef::from)
        .collect();
    let mut manual: Vec<Manual> = Vec::new();
    for (r, np) in unpatched {
        if !after.findings.iter().any(|g| r.same(g)) {
            continue;
        }
        match manual.iter_mut().find(|m| {
            m.why == np.why && m.findings[0].resource == r.resource && m.findings[0].code == r.code
        }) {
            Some(m) => m.findings.push(r),
            None => manual.push(Manual {
                findings: vec![r],
                why: np.why,
                steps: np.steps,
            }),
        }
    }
    // Anything still reported and in no entry (a finding a patch was meant to clear).
    for r in &remaining {
        let covered = entries.iter().any(|e| match e {
            Entry::Patch(p) => p.findings.iter().any(|x| x == r),
            Entry::Manual(_) => false,
        }) || manual.iter().any(|m| m.findings.contains(r));
        if !covered {
            manual.push(Manual {
                findings: vec![r.clone()],
                why: format!(
                    "the check still reports `{}` on `{}` once every verified patch is applied",
                    r.code, r.resource
                ),
                steps: vec![format!(
                    "run `vaultward check` on the patched snapshot (`--role {}`) for the details",
                    opts.role_arn
                )],
            });
        }
    }
    entries.extend(manual.into_iter().map(Entry::Manual));
    FixReport {
        status: if after.status == Status::Ok {
            FixStatus::Fixed
        } else {
            FixStatus::Incomplete
        },
        after: after.status,
        entries,
        remaining,
        patched,
    }
}
