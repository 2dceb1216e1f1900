//! The report: causes merged into findings per resource, operation and deciding
//! statement, the matrix of resources and operations, the totals, in the report's order.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use vaultward_snapshot::Snapshot;

use super::{
    count, human_bytes, Cell, CheckOptions, Code, Decider, DocError, Finding, Impact, Level, Op,
    Report, ResourceKind, Status, Totals, Unreadable,
};

/// One reason a request fails, before it is attached to a resource and an impact.
#[derive(Clone)]
pub(super) struct Cause {
    pub(super) code: Code,
    pub(super) level: Level,
    pub(super) action: String,
    pub(super) policy: Option<String>,
    pub(super) statement: Option<String>,
    pub(super) decided_by: Option<Decider>,
    pub(super) kms_via_service: Option<String>,
    pub(super) reason: String,
    pub(super) fix: String,
    pub(super) parse_errors: Vec<DocError>,
}

impl Cause {
    pub(super) fn new(
        code: Code,
        level: Level,
        action: &str,
        reason: String,
        fix: String,
    ) -> Cause {
        Cause {
            code,
            level,
            action: action.to_string(),
            policy: None,
            statement: None,
            decided_by: None,
            kms_via_service: None,
            reason,
            fix,
            parse_errors: Vec::new(),
        }
    }

    pub(super) fn unknown(code: Code, action: &str, reason: String, fix: &str) -> Cause {
        Cause {
            code,
            level: Level::Unknown,
            action: action.to_string(),
            policy: None,
            statement: None,
            decided_by: None,
            kms_via_service: None,
            reason,
            fix: fix.to_string(),
            parse_errors: Vec::new(),
        }
    }

    pub(super) fn unreadable(u: &Unreadable, action: &str) -> Cause {
        let not_collected = u.errors.iter().all(|e| e.code == "not-collected");
        Cause {
            code: if not_collected {
                Code::NotCollected
            } else {
                Code::UnreadablePolicy
            },
            level: Level::Unknown,
            action: action.to_string(),
            policy: Some(u.what.clone()),
            statement: None,
            decided_by: None,
            kms_via_service: None,
            reason: u.reason(),
            fix: if not_collected {
                "collect it (`vaultward collect`, or add it to the snapshot) and check again".into()
            } else {
                "correct the document (see `parse_errors`; `vaultward validate` explains each) or collect it again, and check again".into()
            },
            parse_errors: u.errors.clone(),
        }
    }
}

pub(super) type FindingKey = (
    String,
    Op,
    Level,
    Code,
    String,
    Option<String>,
    Option<String>,
);

/// Findings merged by cause, and the matrix.
#[derive(Default)]
pub(super) struct Acc {
    pub(super) findings: BTreeMap<FindingKey, Finding>,
    pub(super) cells: BTreeMap<(String, Op), Status>,
    pub(super) totals: BTreeMap<Op, Totals>,
}

impl Acc {
    pub(super) fn cell(&mut self, resource: &str, op: Op, status: Status) {
        let c = self
            .cells
            .entry((resource.to_string(), op))
            .or_insert(Status::Ok);
        *c = (*c).max(status);
    }

    pub(super) fn push(
        &mut self,
        resource: &str,
        kind: ResourceKind,
        op: Op,
        cause: Cause,
        impact: &Impact,
    ) {
        let key = (
            resource.to_string(),
            op,
            cause.level,
            cause.code,
            cause.action.clone(),
            cause.policy.clone(),
            cause.statement.clone(),
        );
        match cause.level {
            Level::Blocking => self.cell(resource, op, Status::Blocked),
            Level::Unknown => self.cell(resource, op, Status::Unknown),
            Level::Warning => {}
        }
        match self.findings.get_mut(&key) {
            Some(f) => {
                f.impact.objects += impact.objects;
                f.impact.bytes += impact.bytes;
                f.impact.at_least |= impact.at_least;
            }
            None => {
                self.findings.insert(
                    key,
                    Finding {
                        code: cause.code,
                        level: cause.level,
                        resource: resource.to_string(),
                        resource_kind: kind,
                        operation: op,
                        action: cause.action,
                        policy: cause.policy,
                        statement: cause.statement,
                        decided_by: cause.decided_by,
                        kms_via_service: cause.kms_via_service,
                        reason: cause.reason,
                        impact: impact.clone(),
                        fix: cause.fix,
                        parse_errors: cause.parse_errors,
                    },
                );
            }
        }
    }
}

/// The report: the findings merged by cause, in the report's order, the matrix, the totals
/// per operation and the verdict.
pub(super) fn finish(acc: Acc, s: &Snapshot, opts: &CheckOptions, requests: usize) -> Report {
    let mut findings: Vec<Finding> = acc.findings.into_values().collect();
    for f in &mut findings {
        f.impact.summary = summary(f.level, f.operation, &f.impact);
    }
    findings.sort_by(|a, b| order(a).cmp(&order(b)));
    let matrix: Vec<Cell> = acc
        .cells
        .iter()
        .map(|((r, op), st)| Cell {
            resource: r.clone(),
            operation: *op,
            status: *st,
        })
        .collect();
    let mut totals = Vec::new();
    for &op in &opts.operations {
        let mut t = acc.totals.get(&op).cloned().unwrap_or_default();
        t.operation = Some(op);
        for ((_, o), st) in &acc.cells {
            if *o != op {
                continue;
            }
            t.resources += 1;
            match st {
                Status::Ok => t.ok += 1,
                Status::Blocked => t.blocked += 1,
                Status::Unknown => t.unknown += 1,
            }
        }
        totals.push(t);
    }
    let status = acc
        .cells
        .values()
        .copied()
        .chain(findings.iter().filter_map(|f| match f.level {
            Level::Blocking => Some(Status::Blocked),
            Level::Unknown => Some(Status::Unknown),
            Level::Warning => None,
        }))
        .max()
        .unwrap_or(Status::Ok);
    let groups = super::group(findings.iter().map(|f| ("", f)));
    Report {
        status,
        account: s.account_id.clone(),
        role: opts.role_arn.clone(),
        totals,
        findings,
        groups,
        matrix,
        requests,
    }
}

pub(super) fn summary(level: Level, op: Op, i: &Impact) -> String {
    let floor = if i.at_least { "at least " } else { "" };
    let objects = format!(
        "{floor}{} ({})",
        count(i.objects, "object"),
        human_bytes(i.bytes)
    );
    match level {
        Level::Blocking if i.objects > 0 => format!("{objects} not {}", op.done()),
        Level::Blocking => format!("{} fails", op.name()),
        Level::Unknown if i.objects > 0 => {
            format!("cannot tell: {objects} may not be {}", op.done())
        }
        Level::Unknown => format!("cannot tell whether the {} works", op.name()),
        Level::Warning => String::new(),
    }
}

/// The report's order of findings: blocking first, then unknown, then warnings; the most
/// data first.
pub(super) fn order(f: &Finding) -> (Level, Reverse<u64>, Reverse<u64>, &str, Op, &str, &str) {
    (
        f.level,
        Reverse(f.impact.bytes),
        Reverse(f.impact.objects),
        &f.resource,
        f.operation,
        &f.action,
        f.code.as_str(),
    )
}
