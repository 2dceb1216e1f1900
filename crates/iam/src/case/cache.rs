//! Reading many cases in a row, each policy compiled once: documents are kept by content
//! (their kind and their text, byte for byte), and so are whole policy sets, so a stream
//! that asks about many requests under the same policies reads each policy once.
//!
//! What a case gives is the same whether its policies come from the cache or are read
//! afresh: the same policies, and the same findings at the same places (a finding is kept
//! relative to where its document starts, and placed again where the document stands in
//! the case at hand). Both caches are bounded; when one is full it is emptied and filled
//! again. Something is kept the second time it is seen, not the first: a stream whose
//! every case differs pays next to nothing for the cache.

use std::collections::HashMap;
use std::sync::Arc;

use crate::authorizer::{PolicySet, ResourceRule};
use crate::diagnostic::Finding;
use crate::json::{self, Json};
use crate::policy::{Policy, PolicyKind};
use crate::request::Request;

use super::{
    at_origin, from_origin, json_error, read_case, read_document, resource_kind, Case, CaseError,
    CaseReader, CASE_KEYS,
};

/// Documents kept at most, and bytes of their text.
const MAX_DOCUMENTS: usize = 1024;
const MAX_DOCUMENT_BYTES: usize = 64 << 20;
/// Policy sets kept at most, and bytes of their text.
const MAX_SETS: usize = 64;
const MAX_SET_BYTES: usize = 64 << 20;

/// A case whose policies may be shared with other cases read by the same [`CaseParser`].
#[derive(Debug, Clone)]
pub struct CachedCase {
    pub request: Request,
    pub policies: Arc<PolicySet>,
    /// The findings about its policies, located in the case's text.
    pub findings: Vec<Finding>,
}

impl From<Case> for CachedCase {
    fn from(c: Case) -> Self {
        CachedCase {
            request: c.request,
            policies: Arc::new(c.policies),
            findings: c.findings,
        }
    }
}

/// Reads cases one after another, reusing what earlier ones compiled: give it every line
/// of a stream. One per thread.
#[derive(Default)]
pub struct CaseParser {
    arena: json::Arena,
    docs: DocCache,
    sets: SetCache,
}

impl CaseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a case, as [`crate::parse_case`] does.
    pub fn parse(&mut self, src: &str) -> Result<CachedCase, CaseError> {
        let CaseParser { arena, docs, sets } = self;
        arena.reset();
        let j = json::parse(src, arena).map_err(|e| json_error(src, &e))?;
        if let Some(c) = cached(src, &j, docs, sets) {
            return Ok(c);
        }
        // Anything else (an invalid case, most often): the reader says what is wrong.
        read_case(src, &j, Some(docs)).map(CachedCase::from)
    }

    /// Reads a request (a case's `request`, alone) and gives it the policies of `set`.
    pub fn parse_request(
        &mut self,
        set: &mut PolicySetSource,
        src: &str,
    ) -> Result<CachedCase, CaseError> {
        self.arena.reset();
        let j = json::parse(src, &self.arena).map_err(|e| json_error(src, &e))?;
        let mut r = CaseReader::new(src, None);
        let request = r.request(&j);
        let request = match request {
            Some(req) if r.errors.is_empty() => req,
            _ => return Err(CaseError { findings: r.errors }),
        };
        let (policies, findings) = set.for_kind(resource_kind(set.rule, Some(&request)))?;
        Ok(CachedCase {
            request,
            policies,
            findings,
        })
    }
}

/// A valid case whose policies are in the cache, or read into it; `None` for anything
/// else, which the reader then reads from the start (so that its errors are said in their
/// order).
fn cached(src: &str, j: &Json<'_>, docs: &mut DocCache, sets: &mut SetCache) -> Option<CachedCase> {
    let members = j.as_object()?;
    if members.iter().any(|m| !CASE_KEYS.contains(&m.key)) {
        return None;
    }
    let mut r = CaseReader::new(src, None);
    let request = r.request(j.get("request")?)?;
    let rule = r.rule(j);
    if !r.errors.is_empty() {
        return None;
    }
    let kind = resource_kind(rule, Some(&request));
    let text = |m: &json::Member<'_>| {
        src.get(m.value.span.start as usize..m.value.span.end as usize)
            .unwrap_or_default()
    };
    let pieces: Vec<(&str, &str)> = members
        .iter()
        .filter(|m| m.key != "request")
        .map(|m| (m.key, text(m)))
        .collect();
    // Where each field's value starts (line, column), for findings kept relative to it.
    let origin = |field: &str| {
        let m = members.iter().find(|m| m.key == field);
        m.map_or((1, 1), |m| json::line_col(src, m.value.span.start as usize))
    };
    let hash = SetCache::hash(kind, &pieces);
    if let Some(e) = sets.get(hash, kind, &pieces) {
        let mut origins: Vec<(&str, (usize, usize))> = Vec::new();
        let findings = e
            .findings
            .iter()
            .map(|(field, f)| {
                let o = match origins.iter().find(|(n, _)| n == field) {
                    Some((_, o)) => *o,
                    None => {
                        let o = origin(field);
                        origins.push((field, o));
                        o
                    }
                };
                at_origin(f.clone(), o)
            })
            .collect();
        return Some(CachedCase {
            request,
            policies: Arc::clone(&e.policies),
            findings,
        });
    }
    let mut r = CaseReader::new(src, Some(docs));
    let policies = Arc::new(r.policies(j, rule, kind));
    if !r.errors.is_empty() {
        return None;
    }
    // Each finding kept relative to its field's value; one whose field cannot be told is
    // not kept (the set is then read again next time).
    let relative: Option<Vec<(&'static str, Finding)>> = r
        .findings
        .iter()
        .map(|f| {
            let field = field_of(&f.path)?;
            Some((field, from_origin(f.clone(), origin(field))))
        })
        .collect();
    if let Some(relative) = relative {
        sets.insert(hash, kind, &pieces, Arc::clone(&policies), relative);
    }
    Some(CachedCase {
        request,
        policies,
        findings: r.findings,
    })
}

/// The case field a finding's path starts in (`$.identity_policies[0].document...`).
fn field_of(path: &str) -> Option<&'static str> {
    let rest = path.strip_prefix("$.")?;
    let end = rest.find(['[', '.']).unwrap_or(rest.len());
    let name = rest.get(..end)?;
    CASE_KEYS.iter().copied().find(|k| *k == name)
}

/// A policy set given once (a case's fields without `request`), for a stream of
/// requests. Its resource policy is read as the kind each request needs (inferred from
/// the request when `resource_policy_kind` does not say), each kind once.
#[derive(Clone)]
pub struct PolicySetSource {
    src: String,
    rule: Option<ResourceRule>,
    read: Vec<(PolicyKind, ReadSet)>,
}

type ReadSet = Result<(Arc<PolicySet>, Vec<Finding>), CaseError>;

/// The fields of a policy set: a case's, but `request`.
const SET_KEYS: [&str; 8] = [
    "identity_policies",
    "resource_policy",
    "permissions_boundary",
    "session_policy",
    "scps",
    "rcps",
    "resource_policy_kind",
    "management_account",
];

impl PolicySetSource {
    /// Reads a policy set from JSON text: every error in it, as for a case, located in
    /// `src`. The resource policy is checked as the kind `resource_policy_kind` names, or
    /// when absent as a resource policy, a trust policy and a key policy (the set is
    /// refused when it is valid as none).
    pub fn new(src: String) -> Result<PolicySetSource, CaseError> {
        let rule = {
            let arena = json::Arena::with_capacity(src.len());
            let j = json::parse(&src, &arena).map_err(|e| json_error(&src, &e))?;
            let mut r = CaseReader::new(&src, None);
            if j.as_object().is_none() {
                let message = format!("a policy set must be a JSON object, not {}", j.kind());
                r.error("$", &j, message, None);
            }
            r.check_keys(&j, &SET_KEYS, "$");
            let rule = r.rule(&j);
            if !r.errors.is_empty() {
                return Err(CaseError { findings: r.errors });
            }
            rule
        };
        let mut set = PolicySetSource {
            src,
            rule,
            read: Vec::new(),
        };
        // Without `resource_policy_kind` the requests say which kind the resource policy
        // is: the set is refused only when it is invalid as every kind (a request of a
        // kind it is invalid as gets the errors on its line).
        let first = set.for_kind(resource_kind(rule, None));
        if first.is_err() && rule.is_none() {
            let valid_as_another = [PolicyKind::Trust, PolicyKind::Key]
                .into_iter()
                .any(|kind| set.for_kind(kind).is_ok());
            if valid_as_another {
                return Ok(set);
            }
        }
        first?;
        Ok(set)
    }

    /// The findings about the set's policies (its resource policy read as
    /// `resource_policy_kind` names, or as a resource policy).
    pub fn findings(&mut self) -> Vec<Finding> {
        self.for_kind(resource_kind(self.rule, None))
            .map(|(_, f)| f)
            .unwrap_or_default()
    }

    fn for_kind(&mut self, kind: PolicyKind) -> ReadSet {
        if let Some((_, read)) = self.read.iter().find(|(k, _)| *k == kind) {
            return read.clone();
        }
        let read = {
            let arena = json::Arena::with_capacity(self.src.len());
            let j = json::parse(&self.src, &arena).map_err(|e| json_error(&self.src, &e))?;
            let mut r = CaseReader::new(&self.src, None);
            let policies = r.policies(&j, self.rule, kind);
            if r.errors.is_empty() {
                Ok((Arc::new(policies), r.findings))
            } else {
                Err(CaseError { findings: r.errors })
            }
        };
        self.read.push((kind, read.clone()));
        read
    }
}

/// Documents by kind and text: the policy read from each, and its findings placed
/// relative to where the document starts.
#[derive(Default)]
pub(crate) struct DocCache {
    map: HashMap<u64, Vec<DocEntry>>,
    seen: Seen,
    entries: usize,
    bytes: usize,
}

struct DocEntry {
    kind: PolicyKind,
    text: Box<str>,
    policy: Option<Policy>,
    findings: Vec<Finding>,
}

impl DocCache {
    /// The policy in `doc` (whose text in `src` is `text`) and its findings, located
    /// relative to the document's start: from the cache, or read and kept.
    pub(crate) fn read(
        &mut self,
        kind: PolicyKind,
        doc: &Json<'_>,
        src: &str,
        text: &str,
        name: &str,
    ) -> (Option<Policy>, Vec<Finding>) {
        let hash = content_hash(text.as_bytes()) ^ kind as u64;
        if let Some(e) = self
            .map
            .get(&hash)
            .and_then(|v| v.iter().find(|e| e.kind == kind && *e.text == *text))
        {
            return (e.policy.clone(), e.findings.clone());
        }
        let (policy, findings) = read_document(kind, doc, src, text, name);
        if !self.seen.admit(hash) {
            return (policy, findings_relative(findings, src, doc));
        }
        let relative = findings_relative(findings, src, doc);
        if self.entries >= MAX_DOCUMENTS
            || self.bytes.saturating_add(text.len()) > MAX_DOCUMENT_BYTES
        {
            self.map.clear();
            self.entries = 0;
            self.bytes = 0;
        }
        self.entries = self.entries.saturating_add(1);
        self.bytes = self.bytes.saturating_add(text.len());
        self.map.entry(hash).or_default().push(DocEntry {
            kind,
            text: text.into(),
            policy: policy.clone(),
            findings: relative.clone(),
        });
        (policy, relative)
    }
}

/// Policy sets by the text of every field but `request`, and the kind their resource
/// policy was read as.
#[derive(Default)]
struct SetCache {
    map: HashMap<u64, Vec<SetEntry>>,
    seen: Seen,
    entries: usize,
    bytes: usize,
}

struct SetEntry {
    kind: PolicyKind,
    pieces: Vec<(Box<str>, Box<str>)>,
    policies: Arc<PolicySet>,
    /// Each finding's field, and the finding placed relative to where its value starts.
    findings: Vec<(&'static str, Finding)>,
}

impl SetCache {
    fn hash(kind: PolicyKind, pieces: &[(&str, &str)]) -> u64 {
        pieces.iter().fold(kind as u64, |h, (k, v)| {
            mix(
                mix(h, content_hash(k.as_bytes())),
                content_hash(v.as_bytes()),
            )
        })
    }

    fn get(&self, hash: u64, kind: PolicyKind, pieces: &[(&str, &str)]) -> Option<&SetEntry> {
        self.map.get(&hash)?.iter().find(|e| {
            e.kind == kind
                && e.pieces.len() == pieces.len()
                && e.pieces
                    .iter()
                    .zip(pieces)
                    .all(|((k, v), (k2, v2))| **k == **k2 && **v == **v2)
        })
    }

    fn insert(
        &mut self,
        hash: u64,
        kind: PolicyKind,
        pieces: &[(&str, &str)],
        policies: Arc<PolicySet>,
        findings: Vec<(&'static str, Finding)>,
    ) {
        let size = pieces.iter().fold(0usize, |n, (k, v)| {
            n.saturating_add(k.len()).saturating_add(v.len())
        });
        if !self.seen.admit(hash) {
            return;
        }
        if self.entries >= MAX_SETS || self.bytes.saturating_add(size) > MAX_SET_BYTES {
            self.map.clear();
            self.entries = 0;
            self.bytes = 0;
        }
        self.entries = self.entries.saturating_add(1);
        self.bytes = self.bytes.saturating_add(size);
        self.map.entry(hash).or_default().push(SetEntry {
            kind,
            pieces: pieces
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            policies,
            findings,
        });
    }
}

/// The hashes of what was read once: an entry is kept the second time its text is seen,
/// so that a stream whose every case differs pays nothing to keep what never comes back.
#[derive(Default)]
struct Seen(std::collections::HashSet<u64>);

/// Hashes remembered at most (then forgotten all at once).
const MAX_SEEN: usize = 1 << 16;

impl Seen {
    /// Whether `hash` was seen before (and it is remembered now).
    fn admit(&mut self, hash: u64) -> bool {
        if self.0.len() >= MAX_SEEN {
            self.0.clear();
        }
        !self.0.insert(hash)
    }
}

/// Findings located in `src` placed relative to where `doc` starts.
fn findings_relative(findings: Vec<Finding>, src: &str, doc: &Json<'_>) -> Vec<Finding> {
    if !findings.iter().any(|f| f.line.is_some()) {
        return findings;
    }
    let origin = json::line_col(src, doc.span.start as usize);
    findings
        .into_iter()
        .map(|f| from_origin(f, origin))
        .collect()
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(h: u64, w: u64) -> u64 {
    (h.rotate_left(23) ^ w).wrapping_mul(K)
}

/// A quick 64-bit hash of a text, four words at a time: a key is always compared in full
/// after, so it needs to spread, not to resist an adversary.
fn content_hash(bytes: &[u8]) -> u64 {
    let word = |c: &[u8]| u64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or_default());
    let mut lanes = [1u64, 2, 3, 4];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, w) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            *lane = mix(*lane, word(w));
        }
    }
    let mut h = lanes
        .iter()
        .fold(bytes.len() as u64, |h, lane| mix(h, *lane));
    let mut tail = blocks.remainder().chunks_exact(8);
    for w in &mut tail {
        h = mix(h, word(w));
    }
    for b in tail.remainder() {
        h = mix(h, u64::from(*b));
    }
    h
}

#[cfg(test)]
mod tests;
