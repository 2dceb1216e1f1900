//! Chains to their end: a hop into another role is a path only when what it leads to is
//! one. Every role the audited role's hops reach is read once with the engine (each with
//! its own plan: its policies, its boundary, the same SCPs), breadth first, so cycles end;
//! then one pass backwards from the roles that open a path gives each role its next hop
//! on a shortest way there. The chain reported for a hop is the shortest that ends in a
//! confirmed path, else the shortest that ends in a possible one. A role that is not in
//! the export (deleted) ends nothing.

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
        let graph = self.graph(&edges);
        for e in edges {
            match &e.leads {
                Leads::Unknown(why) => out.push(unknown_end(&e, why)),
                Leads::Role(to) => {
                    if let Some(p) = graph.follow(&e, to) {
                        out.push(p);
                    }
                }
            }
        }
        out
    }

    /// Every role the audited role's hops reach (not the audited role itself: a chain
    /// through it adds nothing), each read once, with its ends and its hops.
    fn graph(&mut self, first: &[Edge]) -> Graph {
        let mut g = Graph::default();
        let mut queue: VecDeque<String> = VecDeque::new();
        let mut seen: BTreeSet<String> = [self.root.clone()].into();
        let next = |edges: &[Edge], queue: &mut VecDeque<String>, seen: &mut BTreeSet<String>| {
            for e in edges {
                if let Leads::Role(r) = &e.leads {
                    if seen.insert(r.clone()) {
                        queue.push_back(r.clone());
                    }
                }
            }
        };
        next(first, &mut queue, &mut seen);
        while let Some(role) = queue.pop_front() {
            // A role not in the export (deleted) ends nothing and leads nowhere.
            let Some((ends, edges)) = self.ends(&role) else {
                continue;
            };
            next(&edges, &mut queue, &mut seen);
            let edges = edges
                .into_iter()
                .filter(|e| matches!(&e.leads, Leads::Role(r) if *r != self.root))
                .collect();
            g.roles.insert(role, (ends, edges));
        }
        g.root = self.root.clone();
        g.settle(true);
        g.settle(false);
        g
    }

    /// The paths a role ends a chain in: its own, its hops into what the snapshot does not
    /// say, and, when its side cannot be read in full, that; and its hops.
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
}

/// The roles reached, and for each the shortest way to an end: first to a confirmed path,
/// else to a possible one.
#[derive(Default)]
struct Graph {
    root: String,
    roles: BTreeMap<String, (Vec<Path>, Vec<Edge>)>,
    /// Per role and kind of end (confirmed: `true`): the hop to take next (its index in
    /// the role's hops), or `None` when the role ends there itself.
    next: BTreeMap<(String, bool), Option<usize>>,
}

impl Graph {
    /// The end a role has itself.
    fn own_end(&self, role: &str, confirmed: bool) -> Option<&Path> {
        let (ends, _) = self.roles.get(role)?;
        if confirmed {
            ends.iter().find(|p| !p.possible)
        } else {
            ends.first()
        }
    }

    /// Breadth first from every role with an end of the kind, backwards along the hops:
    /// each role learns its next hop on a shortest way there (one pass over the graph).
    fn settle(&mut self, confirmed: bool) {
        let mut into: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::new();
        for (from, (_, edges)) in &self.roles {
            for (i, e) in edges.iter().enumerate() {
                if let Leads::Role(to) = &e.leads {
                    into.entry(to.as_str())
                        .or_default()
                        .push((from.as_str(), i));
                }
            }
        }
        let mut next: BTreeMap<(String, bool), Option<usize>> = BTreeMap::new();
        let mut queue: VecDeque<&str> = VecDeque::new();
        for role in self.roles.keys() {
            if self.own_end(role, confirmed).is_some() {
                next.insert((role.clone(), confirmed), None);
                queue.push_back(role);
            }
        }
        while let Some(to) = queue.pop_front() {
            for (from, i) in into.get(to).into_iter().flatten() {
                if let std::collections::btree_map::Entry::Vacant(slot) =
                    next.entry((from.to_string(), confirmed))
                {
                    slot.insert(Some(*i));
                    queue.push_back(from);
                }
            }
        }
        self.next.extend(next);
    }

    /// The chain from `first` (the audited role's hop into `to`) to its end.
    fn follow(&self, first: &Edge, to: &str) -> Option<Path> {
        let confirmed = [true, false]
            .into_iter()
            .find(|c| self.next.contains_key(&(to.to_string(), *c)))?;
        let mut hops: Vec<Taken> = vec![(self.root.clone(), first.clone())];
        let mut role = to.to_string();
        // Each step moves one hop nearer the end; the bound only guards the loop.
        for _ in 0..=self.roles.len() {
            match self.next.get(&(role.clone(), confirmed))? {
                None => {
                    let end = self.own_end(&role, confirmed)?;
                    let more = self
                        .roles
                        .get(&role)
                        .map_or(0, |(e, _)| e.len().saturating_sub(1));
                    return Some(chained(first, &hops, &role, end, more));
                }
                Some(i) => {
                    let e = self.roles.get(&role)?.1.get(*i)?.clone();
                    let Leads::Role(next) = &e.leads else {
                        return None;
                    };
                    let next = next.clone();
                    hops.push((role, e));
                    role = next;
                }
            }
        }
        None
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
