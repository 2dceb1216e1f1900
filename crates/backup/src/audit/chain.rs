//! Chains to their end: a hop into another role is a path only when what it leads to is
//! one. From each hop of the audited role, the roles it reaches are read one by one with
//! the engine (each with its own plan: its policies, its boundary, the same SCPs),
//! breadth first, each role once (cycles end there); the chain reported is the shortest
//! that ends in a confirmed path, else the shortest that ends in a possible one. A role
//! that is not in the export (deleted) ends nothing.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use vaultward_snapshot::Snapshot;

use super::{short, view, Edge, Hop, Leads, Path, Reach, RoleView};
use crate::check::RequestFacts;

pub(super) struct Walk<'s> {
    s: &'s Snapshot,
    facts: &'s RequestFacts,
    root: String,
    /// Each role read so far; `None` when it is not in the export.
    views: BTreeMap<String, Option<RoleView>>,
}

/// A hop taken, with the role that takes it.
type Taken = (String, Edge);

impl<'s> Walk<'s> {
    pub(super) fn new(s: &'s Snapshot, facts: &'s RequestFacts, root: &str, v: RoleView) -> Self {
        let mut views = BTreeMap::new();
        views.insert(root.to_string(), Some(v));
        Walk {
            s,
            facts,
            root: root.to_string(),
            views,
        }
    }

    fn view(&mut self, role: &str) -> Option<&RoleView> {
        if !self.views.contains_key(role) {
            let v = view(self.s, role, self.facts).ok();
            self.views.insert(role.to_string(), v);
        }
        self.views.get(role).and_then(Option::as_ref)
    }

    /// What the audited role could not read.
    pub(super) fn unknown(&self) -> Vec<String> {
        self.views
            .get(&self.root)
            .and_then(Option::as_ref)
            .map(|v| v.unknown.clone())
            .unwrap_or_default()
    }

    /// Requests evaluated, for every role read.
    pub(super) fn requests(&self) -> usize {
        self.views.values().flatten().map(|v| v.requests).sum()
    }

    /// The audited role's paths: its own, and each hop followed to its end.
    pub(super) fn paths(&mut self) -> Vec<Path> {
        let root = self.root.clone();
        let (mut out, edges) = match self.view(&root) {
            Some(v) => (v.paths.clone(), v.edges.clone()),
            None => return Vec::new(),
        };
        for e in edges {
            match &e.leads {
                Leads::Unknown(why) => out.push(unknown_end(&e, why)),
                Leads::Role(to) => {
                    if let Some(p) = self.follow(&e, &to.clone()) {
                        out.push(p);
                    }
                }
            }
        }
        out
    }

    /// The paths a role ends a chain in: its own, its hops into what the snapshot does not
    /// say, and, when its side cannot be read in full, that.
    fn ends(&mut self, role: &str) -> Option<(Vec<Path>, Vec<Edge>)> {
        let v = self.view(role)?;
        let mut ends = v.paths.clone();
        for e in &v.edges {
            if let Leads::Unknown(why) = &e.leads {
                ends.push(unknown_end(e, why));
            }
        }
        if !v.unknown.is_empty() {
            ends.push(Path {
                class: super::PathClass::AssumeRole,
                code: "unreadable-role".into(),
                title: format!("`{}`'s side cannot be read in full", short(role)),
                target: role.to_string(),
                steps: Vec::new(),
                fix: "collect the role's policies".into(),
                possible: true,
                chain: Vec::new(),
                reaches: None,
                depends_on: v.unknown.clone(),
            });
        }
        Some((ends, v.edges.clone()))
    }

    fn follow(&mut self, first: &Edge, to: &str) -> Option<Path> {
        if to == self.root {
            return None;
        }
        let mut seen: BTreeSet<String> = [self.root.clone(), to.to_string()].into();
        let mut queue: VecDeque<(String, Vec<Taken>)> = VecDeque::new();
        queue.push_back((to.to_string(), vec![(self.root.clone(), first.clone())]));
        let mut possible: Option<Path> = None;
        while let Some((role, hops)) = queue.pop_front() {
            // A role not in the export (deleted) ends nothing.
            let Some((ends, edges)) = self.ends(&role) else {
                continue;
            };
            let more = ends.len().saturating_sub(1);
            if let Some(end) = ends.iter().find(|p| !p.possible) {
                let p = chained(first, &hops, &role, end, more);
                if !p.possible {
                    return Some(p);
                }
                possible.get_or_insert(p);
            } else if let Some(end) = ends.first() {
                possible.get_or_insert_with(|| chained(first, &hops, &role, end, more));
            }
            for e in edges {
                if let Leads::Role(next) = &e.leads {
                    if seen.insert(next.clone()) {
                        let mut h = hops.clone();
                        h.push((role.clone(), e.clone()));
                        queue.push_back((next.clone(), h));
                    }
                }
            }
        }
        possible
    }
}

/// A hop into compute whose role the snapshot does not say: possible.
fn unknown_end(e: &Edge, why: &str) -> Path {
    let mut depends_on = e.depends_on.clone();
    depends_on.push(why.to_string());
    Path {
        class: e.class,
        code: e.code.to_string(),
        title: format!("{} (which role it runs as is not in the snapshot)", e.title),
        target: e.target.clone(),
        steps: e.steps.clone(),
        fix: e.fix.clone(),
        possible: true,
        chain: Vec::new(),
        reaches: None,
        depends_on,
    }
}

/// The chain of `hops` (the first of them `first`) ending in `end`, a path of `last`.
fn chained(first: &Edge, hops: &[Taken], last: &str, end: &Path, more: usize) -> Path {
    let mut steps = Vec::new();
    let mut depends_on = Vec::new();
    let mut titles = Vec::new();
    for (i, (from, e)) in hops.iter().enumerate() {
        for s in &e.steps {
            let mut s = s.clone();
            if i > 0 {
                s.principal = Some(from.clone());
            }
            steps.push(s);
        }
        depends_on.extend(e.depends_on.iter().cloned());
        titles.push(e.title.clone());
    }
    for s in &end.steps {
        let mut s = s.clone();
        s.principal.get_or_insert_with(|| last.to_string());
        steps.push(s);
    }
    depends_on.extend(end.depends_on.iter().cloned());
    let possible =
        end.possible || !depends_on.is_empty() || steps.iter().any(|s| s.depends_on.is_some());
    let chain = hops
        .iter()
        .map(|(from, e)| Hop {
            code: e.code.to_string(),
            from: from.clone(),
            to: match &e.leads {
                Leads::Role(r) => r.clone(),
                Leads::Unknown(_) => String::new(),
            },
        })
        .collect();
    Path {
        class: first.class,
        code: first.code.to_string(),
        title: format!(
            "{}; as `{}`: {}",
            titles.join("; then "),
            short(last),
            end.title
        ),
        target: first.target.clone(),
        steps,
        fix: first.fix.clone(),
        possible,
        chain,
        reaches: Some(Reach {
            role: last.to_string(),
            class: end.class,
            code: end.code.clone(),
            title: end.title.clone(),
            more,
        }),
        depends_on,
    }
}
