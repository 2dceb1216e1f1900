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

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request,
};

use crate::check::docs::json as doc_json;
use crate::check::{
    check, CheckOptions, Code, Decider, DocRef, Finding, Level, Op, Report, ResourceKind,
    RoleError, Status,
};
use crate::diff::unified;
use vaultward_analysis::{compare, Options, Outcome};
use vaultward_model::policies::statement;
use vaultward_model::service::{steps, Subject};
use vaultward_snapshot::{Collected, Snapshot};

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

fn statements_mut(doc: &mut Value) -> Vec<&mut Value> {
    match &mut doc["Statement"] {
        Value::Array(a) => a.iter_mut().collect(),
        s @ Value::Object(_) => vec![s],
        _ => Vec::new(),
    }
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    }
}

/// Adds an `ArnNotLike` `aws:PrincipalArn` exception for `role` to the Deny statement at
/// `index`, merging with an existing exception.
///
/// A `NotPrincipal` becomes `Principal: "*"` (AWS recommends the condition instead, and
/// matches no wildcard in `NotPrincipal`), keeping exempt exactly those it exempted that a
/// condition can name, and no one else. `NotPrincipal` with `Deny` leaves a principal out
/// only when every identity of its chain is listed (the account, and the user; or the
/// account, the role and the exact session), and never a principal with a permissions
/// boundary ("AWS JSON policy elements: NotPrincipal", IAM User Guide). So: an account
/// becomes its root user's ARN; a user is carried only when its account is listed too and
/// the IAM export shows it has no boundary; service principals go into a
/// `StringNotEqualsIfExists` on `aws:PrincipalServiceName`. Roles and sessions are not
/// carried (`aws:PrincipalArn` of a session is its role's ARN, so the exception would cover
/// every session of the role where `NotPrincipal` covered one or none): each one dropped is
/// returned as a caveat, as are federated and canonical-user entries.
fn exempt_in_deny(
    s: &Snapshot,
    doc: &Value,
    index: usize,
    role: &str,
) -> Option<(Value, Vec<String>)> {
    let mut doc = doc.clone();
    let mut caveats = Vec::new();
    let st = statements_mut(&mut doc).into_iter().nth(index)?;
    if st.get("Effect").and_then(Value::as_str) != Some("Deny") {
        return None;
    }
    let obj = st.as_object_mut()?;
    let mut arns: Vec<Value> = Vec::new();
    let mut services: Vec<Value> = Vec::new();
    if let Some(np) = obj.remove("NotPrincipal") {
        if np.as_str() == Some("*") {
            return None;
        }
        let listed: Vec<String> = np
            .get("AWS")
            .map(as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let account_listed = |account: &str| {
            listed
                .iter()
                .any(|l| l == account || *l == format!("arn:aws:iam::{account}:root"))
        };
        for text in &listed {
            let parsed = vaultward_iam::arn::Arn::parse(text);
            let resource = parsed.as_ref().map_or("", |a| a.resource);
            if vaultward_iam::arn::is_account_id(text) {
                arns.push(json!(format!("arn:aws:iam::{text}:root")));
            } else if resource == "root" && !text.contains(['*', '?']) {
                arns.push(json!(text));
            } else if resource.starts_with("user/") && !text.contains(['*', '?']) {
                let account = parsed.as_ref().map_or("", |a| a.account);
                if !account_listed(account) {
                    caveats.push(format!("`{text}` was in the statement's `NotPrincipal` without its account, so AWS did not exempt it; it stays subject to the Deny"));
                } else if user_has_boundary(s, text) != Some(false) {
                    caveats.push(format!("`{text}` was in the statement's `NotPrincipal`, but AWS never exempts a principal with a permissions boundary there (or the IAM export does not show the user), so it stays subject to the Deny"));
                } else {
                    arns.push(json!(text));
                }
            } else if *text == role {
                // Added below.
            } else {
                caveats.push(format!("`{text}` was in the statement's `NotPrincipal`; it is not carried into the exception: AWS matches no wildcard there, a role's ARN there exempts none of its sessions, and `aws:PrincipalArn` cannot name one session (it is the session's role ARN); exempt the principal by hand if it should be"));
            }
        }
        services.extend(np.get("Service").map(as_list).unwrap_or_default());
        for other in ["Federated", "CanonicalUser"] {
            if np.get(other).is_some() {
                caveats.push(format!("the statement's `NotPrincipal` exempted `{other}` principals, which an `aws:PrincipalArn` condition cannot name: they are no longer exempt"));
            }
        }
        obj.insert("Principal".into(), json!("*"));
    }
    let cond = obj.entry("Condition").or_insert_with(|| json!({}));
    let cond = cond.as_object_mut()?;
    let anl = cond
        .entry("ArnNotLike")
        .or_insert_with(|| json!({}))
        .as_object_mut()?;
    let existing_key = anl
        .keys()
        .find(|k| k.eq_ignore_ascii_case("aws:PrincipalArn"))
        .cloned()
        .unwrap_or_else(|| "aws:PrincipalArn".into());
    let mut values = anl
        .remove(&existing_key)
        .map(|v| as_list(&v))
        .unwrap_or_default();
    for a in arns.into_iter().chain([json!(role)]) {
        if !values.contains(&a) {
            values.push(a);
        }
    }
    anl.insert(existing_key, Value::Array(values));
    if !services.is_empty() {
        let sne = cond
            .entry("StringNotEqualsIfExists")
            .or_insert_with(|| json!({}))
            .as_object_mut()?;
        let mut values = sne
            .remove("aws:PrincipalServiceName")
            .map(|v| as_list(&v))
            .unwrap_or_default();
        for s in services {
            if !values.contains(&s) {
                values.push(s);
            }
        }
        sne.insert("aws:PrincipalServiceName".into(), Value::Array(values));
    }
    Some((doc, caveats))
}

/// Whether the IAM export shows `user` with a permissions boundary (`None`: not shown).
fn user_has_boundary(s: &Snapshot, user: &str) -> Option<bool> {
    iam_list(s, "UserDetailList")
        .iter()
        .find(|u| u.get("Arn").and_then(Value::as_str) == Some(user))
        .map(|u| u.get("PermissionsBoundary").is_some_and(|b| !b.is_null()))
}

/// Replaces the statement with Sid `sid` (or appends one): `make(actions already granted)`.
fn upsert_statement(doc: &Value, sid: &str, make: impl Fn(&[String]) -> Value) -> Value {
    let mut doc = doc.clone();
    if !doc.is_object() {
        doc = json!({"Version": "2012-10-17", "Statement": []});
    }
    let mut list = as_list(&doc["Statement"]);
    let pos = list
        .iter()
        .position(|s| s.get("Sid").and_then(Value::as_str) == Some(sid));
    let granted: Vec<String> = pos
        .map(|i| {
            as_list(&list[i]["Action"])
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let st = make(&granted);
    match pos {
        Some(i) => list[i] = st,
        None => list.push(st),
    }
    doc["Statement"] = Value::Array(list);
    doc
}

fn union(granted: &[String], new: &BTreeSet<String>) -> Vec<String> {
    let mut all: BTreeSet<String> = granted.iter().cloned().collect();
    all.extend(new.iter().cloned());
    all.into_iter().collect()
}

/// The principals whose access must not change, with their `aws:PrincipalArn`.
fn other_principals(s: &Snapshot, role: &str) -> Vec<(String, Option<String>)> {
    let acct = &s.account_id;
    let mut out: Vec<(String, Option<String>)> = vec![
        ("*".into(), None),
        (
            "123456789012".into(),
            Some("arn:aws:iam::123456789012:root".into()),
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/Outsider/s".into(),
            Some("arn:aws:iam::123456789012:role/Outsider".into()),
        ),
        (acct.clone(), Some(format!("arn:aws:iam::{acct}:root"))),
        (
            format!("arn:aws:sts::{acct}:assumed-role/SomeOtherRole/s"),
            Some(format!("arn:aws:iam::{acct}:role/SomeOtherRole")),
        ),
    ];
    for r in iam_list(s, "RoleDetailList") {
        let (Some(arn), Some(name)) = (
            r.get("Arn").and_then(Value::as_str),
            r.get("RoleName").and_then(Value::as_str),
        ) else {
            continue;
        };
        if arn != role {
            out.push((
                format!("arn:aws:sts::{acct}:assumed-role/{name}/s"),
                Some(arn.to_string()),
            ));
        }
    }
    for u in iam_list(s, "UserDetailList") {
        if let Some(arn) = u.get("Arn").and_then(Value::as_str) {
            out.push((arn.to_string(), Some(arn.to_string())));
        }
    }
    out
}

/// Every action a document's `Action` values cover, for the verification sweep.
fn covered_actions(doc: &Value) -> BTreeSet<String> {
    let c = vaultward_catalog::catalog();
    let mut out = BTreeSet::new();
    for st in as_list(&doc["Statement"]) {
        for p in as_list(&st["Action"]) {
            let Some(p) = p.as_str() else { continue };
            if p.contains('*') || p.contains('?') {
                out.extend(
                    c.expand(p)
                        .into_iter()
                        .map(|(s, a)| format!("{}:{}", s.prefix, a.name)),
                );
            } else {
                out.insert(p.to_string());
            }
        }
    }
    out
}

fn named(v: &Value, kind: PolicyKind, name: &str) -> Option<NamedPolicy> {
    parse_policy(&v.to_string(), kind)
        .policy
        .map(|policy| NamedPolicy {
            name: name.into(),
            policy,
        })
}

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
const ALLOW_ALL_PRINCIPALS: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}"#;

/// The policy sets in which `doc` (as `p`) is the only thing that can make a difference:
/// everything else allows.
fn settings(doc: &DocRef, p: Option<NamedPolicy>) -> Vec<PolicySet> {
    let all = |k| {
        let v: Value = serde_json::from_str(if k == PolicyKind::Resource {
            ALLOW_ALL_PRINCIPALS
        } else {
            ALLOW_ALL
        })
        .unwrap_or_default();
        named(&v, k, "allow-all")
    };
    let identity: Vec<NamedPolicy> = all(PolicyKind::Identity).into_iter().collect();
    match doc {
        DocRef::BucketPolicy { .. } | DocRef::KeyPolicy { .. } | DocRef::VaultPolicy { .. } => {
            vec![PolicySet {
                identity,
                resource: p,
                ..Default::default()
            }]
        }
        // Alone at its level, and beside an SCP that allows everything (so a changed Deny
        // shows even when another SCP of the level allows).
        DocRef::Scp { .. } | DocRef::ScpLevel { .. } => {
            let beside: Vec<NamedPolicy> = p.iter().cloned().chain(all(PolicyKind::Scp)).collect();
            [p.into_iter().collect(), beside]
                .into_iter()
                .map(|level: Vec<NamedPolicy>| PolicySet {
                    identity: identity.clone(),
                    resource: all(PolicyKind::Resource),
                    scps: Some(vec![level]),
                    ..Default::default()
                })
                .collect()
        }
        DocRef::Rcp { .. } => vec![PolicySet {
            identity,
            resource: all(PolicyKind::Resource),
            rcps: Some(vec![p.into_iter().collect()]),
            ..Default::default()
        }],
        DocRef::Boundary { .. } => vec![PolicySet {
            identity,
            boundary: p,
            resource: all(PolicyKind::Resource),
            ..Default::default()
        }],
        DocRef::ManagedPolicy { .. } | DocRef::InlinePolicy { .. } => vec![PolicySet {
            identity: p.into_iter().collect(),
            ..Default::default()
        }],
        DocRef::RoleIdentity { .. } | DocRef::OwnershipControls { .. } | DocRef::Vendor => {
            Vec::new()
        }
    }
}

fn policy_kind(doc: &DocRef) -> PolicyKind {
    match doc {
        DocRef::BucketPolicy { .. } => PolicyKind::Resource,
        DocRef::KeyPolicy { .. } => PolicyKind::Key,
        DocRef::VaultPolicy { .. } => PolicyKind::Vault,
        DocRef::Scp { .. } | DocRef::ScpLevel { .. } => PolicyKind::Scp,
        DocRef::Rcp { .. } => PolicyKind::Rcp,
        DocRef::Boundary { .. } => PolicyKind::Boundary,
        _ => PolicyKind::Identity,
    }
}

/// `vaultward compare` of the original and the patched document, the role left out.
fn compare_docs(
    kind: PolicyKind,
    role: &str,
    old: Option<&Value>,
    new: &Value,
) -> Result<Outcome, vaultward_analysis::CompareError> {
    let mut opts = Options::new(kind);
    opts.exclude_principals = vec![role.to_string()];
    let text = |v: &Value| match doc_json(v) {
        Some(j) => j.to_string(),
        None => v.to_string(),
    };
    let new_text = text(new);
    match old {
        Some(o) => compare(&text(o), &new_text, &opts),
        // No document before: the patched one against a document that neither allows
        // nor denies anything a real request could ask (no document at all).
        None => {
            let nothing = if matches!(
                kind,
                PolicyKind::Resource | PolicyKind::Key | PolicyKind::Vault | PolicyKind::Trust
            ) {
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/nobody"}, "Action": "none:none", "Resource": "arn:aws:none:::none"}]}"#
            } else {
                r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "none:none", "Resource": "arn:aws:none:::none"}]}"#
            };
            compare(nothing, &new_text, &opts)
        }
    }
}

/// Compares what every other principal may do on `resources` under the old and the new
/// document, everything else allowing (so only the document can make a difference).
fn sweep(
    s: &Snapshot,
    role: &str,
    doc: &DocRef,
    old: Option<&Value>,
    new: &Value,
    resources: &[(String, String)],
) -> Verification {
    let kind = policy_kind(doc);
    let old_sets = settings(doc, old.and_then(|v| named(v, kind, "policy")));
    let new_sets = settings(doc, named(new, kind, "policy"));
    let mut actions = covered_actions(new);
    if let Some(o) = old {
        actions.extend(covered_actions(o));
    }
    let principals = if new_sets.is_empty() {
        Vec::new()
    } else {
        other_principals(s, role)
    };
    let mut gained = Vec::new();
    for (p, parn) in &principals {
        for action in &actions {
            for (resource, account) in resources {
                let mut ctx = Context::default();
                ctx.insert("aws:SecureTransport", ContextValue::Single("true".into()));
                if let Some(a) = parn {
                    ctx.insert("aws:PrincipalArn", ContextValue::Single(a.clone()));
                }
                let Ok(req) = Request::new(p, action, resource, Some(account), ctx) else {
                    continue;
                };
                for (o, n) in old_sets.iter().zip(&new_sets) {
                    let before = authorize(&req, o).decision;
                    let after = authorize(&req, n).decision;
                    if after == Decision::Allow && before != Decision::Allow {
                        gained.push(format!("{p} gains {action} on {resource}"));
                        break;
                    }
                }
            }
        }
    }
    gained.dedup();
    // The exact check: no request by any principal other than the role is allowed by the
    // patched document and not by the original (an SMT solver decides it for every
    // principal, action, resource and context; the probes above stay as a second check).
    // Object Ownership is a setting, not a policy: it can take ACL access away, never add.
    let compare = if matches!(doc, DocRef::OwnershipControls { .. }) {
        "no new access (a setting, not a policy)".to_string()
    } else if matches!(doc, DocRef::InlinePolicy { role: r, .. } if r == role) {
        // The role's own inline policy grants no one else anything.
        "no new access (the role's own inline policy applies to no other principal)".to_string()
    } else {
        match compare_docs(kind, role, old, new) {
            Ok(Outcome::NoNewAccess) => "no new access".to_string(),
            Ok(Outcome::NewAccess(w)) => {
                gained.push(format!(
                    "{} gains {} on {}",
                    w["request"]["principal"].as_str().unwrap_or("a principal"),
                    w["request"]["action"].as_str().unwrap_or("an action"),
                    w["request"]["resource"].as_str().unwrap_or("a resource")
                ));
                format!("new access: {}", w["request"])
            }
            Ok(Outcome::Undecided(why)) => format!("undecided: {why}"),
            Err(e) => format!("undecided: {e}"),
        }
    };
    let compared_clean = compare.starts_with("no new access");
    Verification {
        finding_cleared: false,
        no_new_access: gained.is_empty() && compared_clean,
        compare,
        principals_checked: principals.len(),
        actions_checked: if principals.is_empty() {
            0
        } else {
            actions.len()
        },
        gained,
    }
}

fn slug(s: &str) -> String {
    s.rsplit([':', '/'])
        .next()
        .unwrap_or(s)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The permission model's statements for finding `f`: the grants of the steps that make
/// its request (its resource kind, operation and action), written for the role's account,
/// path and name token (taken from the role's ARN, `.../PATH/TOKENBackupRole`) and the names
/// the check used. Empty when no step makes it, or its grant names the vendor's account
/// (which the snapshot does not hold).
fn model_statements(s: &Snapshot, opts: &CheckOptions, f: &Finding) -> Vec<Value> {
    let Some(subject) = subject_of(f.resource_kind) else {
        return Vec::new();
    };
    let Some(arn) = vaultward_iam::arn::Arn::parse(&opts.role_arn) else {
        return Vec::new();
    };
    let Some((path, name)) = arn
        .resource
        .strip_prefix("role")
        .and_then(|rest| rest.rsplit_once('/'))
    else {
        return Vec::new();
    };
    let n = &opts.names;
    let params = vaultward_model::Params {
        account: s.account_id.clone(),
        // Statements naming the vendor's account are not proposed (it is not in the snapshot).
        vendor_account: VENDOR_UNKNOWN.into(),
        external_id: "unused".into(),
        role_path: format!("{path}/"),
        name_token: name.strip_suffix("BackupRole").unwrap_or(name).to_string(),
        continuous_s3: opts.continuous_s3,
        vendor_tag_key: n.vendor_tag_key.clone(),
        vendor_tag_value: n.vendor_tag_value.clone(),
        restore_tag_key: n.restore_tag_key.clone(),
        restore_table_prefix: n.restore_table_prefix.clone(),
        restore_instance_roles: n.restore_instance_role.iter().cloned().collect(),
        ..vaultward_model::Params::default()
    };
    let mut out: Vec<Value> = Vec::new();
    for step in steps(subject, f.operation).filter(|st| st.action.eq_ignore_ascii_case(&f.action)) {
        let Some(st) = statement(&params, step.grant).map(|g| g.to_json()) else {
            continue;
        };
        if !st.to_string().contains(VENDOR_UNKNOWN) && !out.contains(&st) {
            out.push(st);
        }
    }
    out
}

/// The account the model's statements are written for when the vendor's is not known.
const VENDOR_UNKNOWN: &str = "000000000000";

/// The table's subject for a finding's resource kind.
fn subject_of(kind: ResourceKind) -> Option<Subject> {
    match kind {
        ResourceKind::Bucket => Some(Subject::Bucket),
        ResourceKind::Table => Some(Subject::Table),
        ResourceKind::Volume => Some(Subject::Volume),
        ResourceKind::Instance => Some(Subject::Instance),
        ResourceKind::Vault => Some(Subject::Vault),
        ResourceKind::Role | ResourceKind::Account | ResourceKind::ResourceList => None,
    }
}

fn role_in_export(s: &Snapshot, role: &str) -> bool {
    iam_list(s, "RoleDetailList")
        .iter()
        .any(|r| r.get("Arn").and_then(Value::as_str) == Some(role))
}

fn managed_by_aws(policy_arn: &str) -> bool {
    policy_arn.starts_with("arn:aws:iam::aws:policy/")
}

/// Why a finding gets no patch, and what a person must do.
struct NoPatch {
    why: String,
    steps: Vec<String>,
}

fn no_patch(why: impl Into<String>, steps: &[&str]) -> NoPatch {
    NoPatch {
        why: why.into(),
        steps: steps.iter().map(|s| s.to_string()).collect(),
    }
}

/// The document a finding's patch goes into.
fn target_of(s: &Snapshot, opts: &CheckOptions, f: &Finding) -> Result<DocRef, NoPatch> {
    let role = &opts.role_arn;
    let again = "run `vaultward check` again";
    if f.level != Level::Blocking {
        return Err(NoPatch {
            why: format!("the check cannot decide this ({}): {}", f.code, f.reason),
            steps: vec![f.fix.clone(), again.into()],
        });
    }
    let doc = f.decided_by.as_ref().and_then(|d| d.document.clone());
    match (f.code, doc) {
        (Code::AwsManagedKey, doc) => Err(NoPatch {
            why: format!(
                "the data is encrypted under the AWS managed key {}, whose key policy AWS owns: it cannot be edited, and it allows use only through its own service in its own account",
                match doc {
                    Some(DocRef::KeyPolicy { key }) => format!("`{key}`"),
                    _ => "of the service".into(),
                }
            ),
            steps: vec![
                format!("re-encrypt `{}` with a customer managed key whose key policy lets `{role}` use it (S3: copy the objects onto themselves with `--sse aws:kms --sse-kms-key-id KEY`; EBS: copy the snapshot or volume with `--kms-key-id KEY`; DynamoDB: `aws dynamodb update-table --sse-specification Enabled=true,SSEType=KMS,KMSMasterKeyId=KEY`)", f.resource),
                "or exclude the data from the backup".into(),
                again.into(),
            ],
        }),
        (Code::SseCObject, _) => Err(no_patch(
            "objects encrypted with customer-provided keys (SSE-C) can be read only with that key, which S3 does not keep: no policy change can give it to the backup service",
            &["copy the objects to SSE-KMS or SSE-S3 encryption (`aws s3 cp` with the SSE-C key as `--sse-c-copy-source-key` and `--sse aws:kms`)", "or exclude them from the backup", again],
        )),
        (Code::MissingIdentityPermission, _) => {
            if model_statements(s, opts, f).is_empty() {
                return Err(no_patch(
                    format!("the permissions model has no statement granting `{}` to a role named like `{role}` (the model derives names and paths from the role's ARN)", f.action),
                    &["redeploy the permissions file (`vaultward permissions`) for this role", again],
                ));
            }
            Ok(DocRef::InlinePolicy { role: role.clone(), name: INLINE_POLICY.into() })
        }
        (Code::ObjectOwnerMismatch, Some(d @ DocRef::OwnershipControls { .. })) => Ok(d),
        (Code::ScpDenies, Some(DocRef::ScpLevel { level })) => {
            let first = s
                .organization
                .as_ref()
                .and_then(|o| o.scps.get(level))
                .and_then(|l| l.first());
            match first {
                Some(p) => Ok(DocRef::Scp {
                    level,
                    index: 0,
                    name: p.get("name").and_then(Value::as_str).map_or_else(|| format!("scp[{level}][0]"), str::to_string),
                }),
                None => Err(no_patch(
                    format!("no SCP is attached at level {level} of the organization, so nothing there allows `{}` (AWS requires at least one SCP at every level)", f.action),
                    &["from the management account, attach an SCP allowing the action (for example FullAWSAccess) at that level", again],
                )),
            }
        }
        (Code::KmsKeyPolicyDenies, Some(d @ DocRef::KeyPolicy { .. })) => {
            if f.decided_by.as_ref().is_some_and(Decider::is_deny) || role_in_export(s, role) {
                Ok(d)
            } else {
                Err(no_patch(
                    format!("the key policy must name `{role}` as a principal, and KMS rejects a key policy naming a principal that does not exist; the role is not in the snapshot's IAM export"),
                    &["create the role (deploy the permissions file), collect the account again, and run `vaultward fix` again"],
                ))
            }
        }
        (Code::BoundaryDenies | Code::IdentityPolicyDenies, Some(DocRef::Boundary { policy } | DocRef::ManagedPolicy { policy }))
            if managed_by_aws(&policy) =>
        {
            Err(no_patch(
                format!("`{policy}` is an AWS managed policy: AWS owns it and it cannot be edited"),
                &["attach a customer managed copy of it instead (`aws iam create-policy`, then replace the attachment), with the change Vaultward proposes for a customer managed policy", again],
            ))
        }
        (Code::IdentityPolicyDenies | Code::BoundaryDenies, Some(d @ (DocRef::Boundary { .. } | DocRef::ManagedPolicy { .. } | DocRef::InlinePolicy { .. })))
            if f.decided_by.as_ref().is_some_and(Decider::is_deny) =>
        {
            Ok(d)
        }
        (Code::BoundaryDenies, Some(d @ DocRef::Boundary { .. })) => {
            if model_statements(s, opts, f).is_empty() {
                return Err(no_patch(
                    format!("the permissions model has no statement granting `{}` to this role, to add to its boundary", f.action),
                    &["allow the action in the role's permissions boundary", again],
                ));
            }
            Ok(d)
        }
        (
            Code::ExplicitDenyBucketPolicy | Code::KmsKeyPolicyDenies | Code::VaultPolicyDenies | Code::ScpDenies | Code::RcpDenies,
            Some(d @ (DocRef::BucketPolicy { .. } | DocRef::KeyPolicy { .. } | DocRef::VaultPolicy { .. } | DocRef::Scp { .. } | DocRef::Rcp { .. })),
        ) if f.decided_by.as_ref().is_some_and(Decider::is_deny) => Ok(d),
        (Code::VaultPolicyDenies, _) => Err(no_patch(
            "the vault's access policy does not allow the role and no Deny of it decided: a vault in another account must allow the role itself, from that account",
            &["add to the vault's access policy a statement allowing the role the action (from the vault's account)", again],
        )),
        (_, Some(DocRef::Vendor)) => Err(no_patch(
            "the request goes to the vendor's side, whose policies are not the customer's to change",
            &["ask the backup vendor to allow the role on its side", again],
        )),
        (code, _) => Err(NoPatch {
            why: format!("Vaultward has no patch for `{code}` here: the deciding document is not one it can locate in the snapshot ({})", f.reason),
            steps: vec![f.fix.clone(), again.into()],
        }),
    }
}

/// Reads a document of the snapshot (`None`: it does not exist yet).
fn read_doc(s: &Snapshot, doc: &DocRef) -> Result<Option<Value>, String> {
    let missing = || format!("{doc:?} is not in the snapshot");
    let collected = |c: &Collected| match c {
        Collected::Document(v) => Ok(doc_json(v)),
        _ => Err(format!("{doc:?} was not collected")),
    };
    match doc {
        DocRef::BucketPolicy { bucket } => collected(
            &s.buckets
                .iter()
                .find(|b| &b.name == bucket)
                .ok_or_else(missing)?
                .policy,
        ),
        DocRef::KeyPolicy { key } => collected(
            &s.kms_keys
                .iter()
                .find(|k| &k.arn == key)
                .ok_or_else(missing)?
                .policy,
        ),
        DocRef::VaultPolicy { vault } => collected(
            &s.backup_vaults
                .iter()
                .find(|v| &v.arn == vault)
                .ok_or_else(missing)?
                .access_policy,
        ),
        DocRef::Scp { level, index, .. } | DocRef::Rcp { level, index, .. } => {
            let org = s.organization.as_ref().ok_or_else(missing)?;
            let levels = if matches!(doc, DocRef::Scp { .. }) {
                &org.scps
            } else {
                &org.rcps
            };
            let e = levels
                .get(*level)
                .and_then(|l| l.get(*index))
                .ok_or_else(missing)?;
            Ok(doc_json(e.get("document").unwrap_or(e)))
        }
        DocRef::Boundary { policy } | DocRef::ManagedPolicy { policy } => {
            let p = iam_list(s, "Policies")
                .iter()
                .find(|p| p.get("Arn").and_then(Value::as_str) == Some(policy))
                .ok_or_else(missing)?;
            let v = as_list(&p["PolicyVersionList"])
                .into_iter()
                .find(|v| v.get("IsDefaultVersion") == Some(&Value::Bool(true)))
                .ok_or_else(missing)?;
            Ok(doc_json(&v["Document"]))
        }
        DocRef::InlinePolicy { role, name } => {
            let r = iam_list(s, "RoleDetailList")
                .iter()
                .find(|r| r.get("Arn").and_then(Value::as_str) == Some(role))
                .ok_or_else(missing)?;
            Ok(as_list(&r["RolePolicyList"])
                .into_iter()
                .find(|p| p.get("PolicyName").and_then(Value::as_str) == Some(name))
                .and_then(|p| doc_json(&p["PolicyDocument"])))
        }
        DocRef::OwnershipControls { bucket } => {
            let b = s
                .buckets
                .iter()
                .find(|b| &b.name == bucket)
                .ok_or_else(missing)?;
            Ok(Some(
                json!({"Rules": [{"ObjectOwnership": b.ownership.clone().unwrap_or_default()}]}),
            ))
        }
        DocRef::ScpLevel { .. } | DocRef::RoleIdentity { .. } | DocRef::Vendor => {
            Err(format!("{doc:?} is not one document"))
        }
    }
}

/// A list of the IAM export (`RoleDetailList`, `UserDetailList`, `Policies`), empty when
/// absent.
fn iam_list<'s>(s: &'s Snapshot, key: &str) -> &'s [Value] {
    s.iam
        .as_ref()
        .and_then(|i| i.get(key))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Writes a document into the snapshot.
fn write_doc(s: &mut Snapshot, doc: &DocRef, new: &Value) -> Result<(), String> {
    let missing = || format!("{doc:?} is not in the snapshot");
    match doc {
        DocRef::BucketPolicy { bucket } => {
            let b = s
                .buckets
                .iter_mut()
                .find(|b| &b.name == bucket)
                .ok_or_else(missing)?;
            b.policy = Collected::Document(new.clone());
        }
        DocRef::KeyPolicy { key } => {
            let k = s
                .kms_keys
                .iter_mut()
                .find(|k| &k.arn == key)
                .ok_or_else(missing)?;
            k.policy = Collected::Document(new.clone());
        }
        DocRef::VaultPolicy { vault } => {
            let v = s
                .backup_vaults
                .iter_mut()
                .find(|v| &v.arn == vault)
                .ok_or_else(missing)?;
            v.access_policy = Collected::Document(new.clone());
        }
        DocRef::Scp { level, index, .. } | DocRef::Rcp { level, index, .. } => {
            let scp = matches!(doc, DocRef::Scp { .. });
            let org = s.organization.as_mut().ok_or_else(missing)?;
            let levels = if scp { &mut org.scps } else { &mut org.rcps };
            let e = levels
                .get_mut(*level)
                .and_then(|l| l.get_mut(*index))
                .ok_or_else(missing)?;
            match e.get_mut("document") {
                Some(d) => *d = new.clone(),
                None => *e = new.clone(),
            }
        }
        DocRef::Boundary { policy } | DocRef::ManagedPolicy { policy } => {
            let p = s
                .iam
                .as_mut()
                .and_then(|i| i.get_mut("Policies"))
                .and_then(Value::as_array_mut)
                .and_then(|l| {
                    l.iter_mut()
                        .find(|p| p.get("Arn").and_then(Value::as_str) == Some(policy))
                })
                .ok_or_else(missing)?;
            let v = p
                .get_mut("PolicyVersionList")
                .and_then(Value::as_array_mut)
                .and_then(|l| {
                    l.iter_mut()
                        .find(|v| v.get("IsDefaultVersion") == Some(&Value::Bool(true)))
                })
                .ok_or_else(missing)?;
            v["Document"] = new.clone();
        }
        DocRef::InlinePolicy { role, name } => {
            let r = s
                .iam
                .as_mut()
                .and_then(|i| i.get_mut("RoleDetailList"))
                .and_then(Value::as_array_mut)
                .and_then(|l| {
                    l.iter_mut()
                        .find(|r| r.get("Arn").and_then(Value::as_str) == Some(role))
                })
                .ok_or_else(missing)?;
            let list = r
                .as_object_mut()
                .map(|o| o.entry("RolePolicyList").or_insert_with(|| json!([])))
                .and_then(Value::as_array_mut)
                .ok_or_else(missing)?;
            match list
                .iter_mut()
                .find(|p| p.get("PolicyName").and_then(Value::as_str) == Some(name))
            {
                Some(p) => p["PolicyDocument"] = new.clone(),
                None => list.push(json!({"PolicyName": name, "PolicyDocument": new})),
            }
        }
        DocRef::OwnershipControls { bucket } => {
            let account = s.account_id.clone();
            let b = s
                .buckets
                .iter_mut()
                .find(|b| &b.name == bucket)
                .ok_or_else(missing)?;
            let mode = new["Rules"][0]["ObjectOwnership"]
                .as_str()
                .unwrap_or_default();
            b.ownership = Some(mode.to_string());
            if mode == "BucketOwnerEnforced" {
                // With ACLs disabled the bucket owner owns every object.
                for o in &mut b.objects {
                    o.owner_account = Some(account.clone());
                }
            }
        }
        DocRef::ScpLevel { .. } | DocRef::RoleIdentity { .. } | DocRef::Vendor => {
            return Err(format!("{doc:?} is not one document"));
        }
    }
    Ok(())
}

/// The patched document for `findings` (all on `doc`), from `base` (the document as it
/// stands, perhaps already patched), with a description and caveats.
fn patch_doc(
    s: &Snapshot,
    opts: &CheckOptions,
    doc: &DocRef,
    base: Option<&Value>,
    findings: &[&Finding],
) -> Result<(Value, String, Vec<String>), NoPatch> {
    let role = opts.role_arn.as_str();
    let empty = json!({"Version": "2012-10-17", "Statement": []});
    let mut new = base.cloned().unwrap_or(empty);
    let mut caveats = Vec::new();
    let mut what = Vec::new();
    // Deny statements: exempt the role in each, by position.
    let denies: BTreeSet<usize> = findings
        .iter()
        .filter_map(|f| f.decided_by.as_ref())
        .filter(|d| d.is_deny())
        .filter_map(|d| d.statement_index)
        .collect();
    for i in &denies {
        let (n, c) = exempt_in_deny(s, &new, *i, role).ok_or_else(|| {
            no_patch(
                format!("statement #{i} of the document is not a Deny Vaultward can add an exception to (a `NotPrincipal: \"*\"`, or not a Deny)"),
                &["exempt the role in the statement by hand (an `ArnNotLike` condition on `aws:PrincipalArn`)"],
            )
        })?;
        new = n;
        caveats.extend(c);
    }
    if !denies.is_empty() {
        let sids: Vec<String> = findings
            .iter()
            .filter_map(|f| f.decided_by.as_ref())
            .filter(|d| d.is_deny())
            .map(|d| {
                d.sid
                    .clone()
                    .unwrap_or_else(|| format!("#{}", d.statement_index.unwrap_or_default()))
            })
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        what.push(format!(
            "exempt `{role}` in the Deny statement(s) {} with an `ArnNotLike` condition on `aws:PrincipalArn`",
            sids.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    // Missing Allows.
    let lacking: Vec<&&Finding> = findings
        .iter()
        .filter(|f| !f.decided_by.as_ref().is_some_and(Decider::is_deny))
        .collect();
    if !lacking.is_empty() {
        let actions: BTreeSet<String> = lacking.iter().map(|f| f.action.clone()).collect();
        match doc {
            DocRef::KeyPolicy { .. } => {
                let via: BTreeSet<String> = lacking
                    .iter()
                    .filter_map(|f| f.kms_via_service.clone())
                    .collect();
                let (grant, using): (BTreeSet<String>, BTreeSet<String>) = actions
                    .iter()
                    .cloned()
                    .partition(|a| a.eq_ignore_ascii_case("kms:CreateGrant"));
                if !using.is_empty() {
                    new = upsert_statement(
                        &new,
                        SID,
                        |granted| json!({"Sid": SID, "Effect": "Allow", "Principal": {"AWS": role}, "Action": union(granted, &using), "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": via.iter().collect::<Vec<_>>()}}}),
                    );
                }
                if !grant.is_empty() {
                    let sid = format!("{SID}Grants");
                    new = upsert_statement(
                        &new,
                        &sid,
                        |_| json!({"Sid": sid, "Effect": "Allow", "Principal": {"AWS": role}, "Action": "kms:CreateGrant", "Resource": "*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}, "StringEquals": {"kms:ViaService": via.iter().collect::<Vec<_>>()}}}),
                    );
                }
                what.push(format!(
                    "let `{role}` use the key for {} through {} only",
                    actions
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    via.iter()
                        .map(|v| format!("`{v}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            DocRef::Scp { .. } => {
                new = upsert_statement(
                    &new,
                    SID,
                    |granted| json!({"Sid": SID, "Effect": "Allow", "Action": union(granted, &actions), "Resource": "*", "Condition": {"ArnEquals": {"aws:PrincipalArn": role}}}),
                );
                what.push(format!(
                    "allow {} to `{role}` only (an `ArnEquals` condition on `aws:PrincipalArn`)",
                    actions
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            DocRef::Boundary { .. } | DocRef::InlinePolicy { .. } => {
                let mut list = as_list(&new["Statement"]);
                for f in &lacking {
                    let statements = model_statements(s, opts, f);
                    if statements.is_empty() {
                        return Err(no_patch(
                            format!(
                                "the permissions model has no statement granting `{}`",
                                f.action
                            ),
                            &["redeploy the permissions file (`vaultward permissions`)"],
                        ));
                    }
                    for mut st in statements {
                        if matches!(doc, DocRef::Boundary { .. }) {
                            // A boundary may be shared: the room it gains is the role's alone.
                            st["Condition"]["ArnEquals"]["aws:PrincipalArn"] = json!(role);
                        }
                        if !list.contains(&st) {
                            list.push(st);
                        }
                    }
                }
                new["Statement"] = Value::Array(list);
                what.push(format!(
                    "add the permissions model's statements for {} (better: redeploy the permissions file)",
                    actions.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                ));
            }
            DocRef::OwnershipControls { .. } => {
                new = json!({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]});
                what.push("set S3 Object Ownership to `BucketOwnerEnforced`".into());
                caveats.push("BucketOwnerEnforced disables ACLs: anyone who relied on an object ACL for access loses it; check first that nothing does".into());
            }
            other => {
                return Err(no_patch(
                    format!("Vaultward does not add Allow statements to {other:?}"),
                    &["allow the role there by hand"],
                ))
            }
        }
    }
    Ok((new, what.join("; "), caveats))
}

/// What a patch's file is: `bucket-policy`, `key-policy`, `scp`, ...
fn target_name(doc: &DocRef) -> &'static str {
    match doc {
        DocRef::BucketPolicy { .. } => "bucket-policy",
        DocRef::KeyPolicy { .. } => "key-policy",
        DocRef::VaultPolicy { .. } => "vault-access-policy",
        DocRef::Scp { .. } => "scp",
        DocRef::Rcp { .. } => "rcp",
        DocRef::Boundary { .. } => "permissions-boundary",
        DocRef::ManagedPolicy { .. } => "managed-policy",
        DocRef::InlinePolicy { .. } => "inline-policy",
        DocRef::OwnershipControls { .. } => "ownership-controls",
        DocRef::ScpLevel { .. } | DocRef::RoleIdentity { .. } | DocRef::Vendor => "document",
    }
}

/// The AWS CLI command that applies the patch's `file`, and whose credentials it needs.
fn apply_command(s: &Snapshot, doc: &DocRef, file: &str) -> (String, Applier) {
    let here = Applier::Account {
        account: s.account_id.clone(),
    };
    match doc {
        DocRef::BucketPolicy { bucket } => (
            format!("aws s3api put-bucket-policy --bucket {bucket} --policy file://{file}"),
            here,
        ),
        DocRef::KeyPolicy { key } => {
            let parts = vaultward_iam::arn::Arn::parse(key);
            let account = parts
                .as_ref()
                .map_or(s.account_id.clone(), |a| a.account.to_string());
            let region = parts
                .as_ref()
                .map(|a| format!(" --region {}", a.region))
                .unwrap_or_default();
            (
                format!("aws kms put-key-policy --key-id {key} --policy-name default --policy file://{file}{region}"),
                Applier::Account { account },
            )
        }
        DocRef::VaultPolicy { vault } => {
            let name = s
                .backup_vaults
                .iter()
                .find(|v| &v.arn == vault)
                .map_or_else(|| slug(vault), |v| v.name.clone());
            let region = vaultward_iam::arn::Arn::parse(vault)
                .map(|a| format!(" --region {}", a.region))
                .unwrap_or_default();
            (
                format!("aws backup put-backup-vault-access-policy --backup-vault-name {name} --policy file://{file}{region}"),
                here,
            )
        }
        DocRef::Scp { level, index, name } | DocRef::Rcp { level, index, name } => {
            let scp = matches!(doc, DocRef::Scp { .. });
            let id = s
                .organization
                .as_ref()
                .map(|o| if scp { &o.scps } else { &o.rcps })
                .and_then(|l| l.get(*level))
                .and_then(|l| l.get(*index))
                .and_then(|e| e.get("id"))
                .and_then(Value::as_str)
                .map_or_else(
                    || format!("\"$(aws organizations list-policies --filter {} --query \"Policies[?Name=='{name}'].Id\" --output text)\"", if scp { "SERVICE_CONTROL_POLICY" } else { "RESOURCE_CONTROL_POLICY" }),
                    str::to_string,
                );
            (
                format!("aws organizations update-policy --policy-id {id} --content file://{file}"),
                Applier::ManagementAccount,
            )
        }
        DocRef::Boundary { policy } | DocRef::ManagedPolicy { policy } => (
            format!("aws iam create-policy-version --policy-arn {policy} --policy-document file://{file} --set-as-default"),
            here,
        ),
        DocRef::InlinePolicy { role, name } => (
            format!(
                "aws iam put-role-policy --role-name {} --policy-name {name} --policy-document file://{file}",
                role.rsplit('/').next().unwrap_or(role)
            ),
            here,
        ),
        DocRef::OwnershipControls { bucket } => (
            format!("aws s3api put-bucket-ownership-controls --bucket {bucket} --ownership-controls file://{file}"),
            here,
        ),
        DocRef::ScpLevel { .. } | DocRef::RoleIdentity { .. } | DocRef::Vendor => {
            (String::new(), here)
        }
    }
}

/// The resources the verification sweep asks about, with their accounts.
fn sweep_resources(s: &Snapshot, doc: &DocRef, findings: &[FindingRef]) -> Vec<(String, String)> {
    let account_of = |arn: &str| {
        vaultward_iam::arn::Arn::parse(arn)
            .map(|a| a.account.to_string())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| s.account_id.clone())
    };
    let mut out: BTreeSet<(String, String)> = BTreeSet::new();
    match doc {
        DocRef::KeyPolicy { key } => {
            out.insert((key.clone(), account_of(key)));
        }
        DocRef::VaultPolicy { vault } => {
            out.insert((vault.clone(), account_of(vault)));
        }
        _ => {
            for f in findings {
                out.insert((f.resource.clone(), account_of(&f.resource)));
                if f.resource.starts_with("arn:aws:s3:::") {
                    out.insert((format!("{}/any-object", f.resource), s.account_id.clone()));
                }
            }
        }
    }
    out.into_iter().collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot::from_json("t", r#"{"account_id": "111122223333"}"#).unwrap()
    }

    #[test]
    fn the_sweep_catches_a_patch_that_opens_access() {
        let old = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]});
        let new = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]});
        let v = sweep(
            &snapshot(),
            "arn:aws:iam::111122223333:role/R",
            &DocRef::BucketPolicy { bucket: "b".into() },
            Some(&old),
            &new,
            &[("arn:aws:s3:::b/k".into(), "111122223333".into())],
        );
        assert!(!v.no_new_access);
        assert!(
            v.gained
                .iter()
                .any(|g| g.starts_with("* gains s3:GetObject")),
            "{:?}",
            v.gained
        );
    }

    /// An SCP Allow that names everyone opens access for the account's other principals,
    /// and the sweep says so; one restricted to the role does not. SCP Allow statements
    /// take conditions ("SCP syntax", AWS Organizations User Guide,
    /// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html).
    #[test]
    fn the_sweep_sees_an_scp_allow_for_everyone_but_not_one_for_the_role() {
        let role = "arn:aws:iam::111122223333:role/R";
        let old = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]});
        let doc = DocRef::Scp {
            level: 1,
            index: 0,
            name: "p".into(),
        };
        let res = [("arn:aws:s3:::b".to_string(), "111122223333".to_string())];
        let wide = upsert_statement(
            &old,
            SID,
            |_| json!({"Sid": SID, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        );
        assert!(!sweep(&snapshot(), role, &doc, Some(&old), &wide, &res).no_new_access);
        let narrow = upsert_statement(
            &old,
            SID,
            |_| json!({"Sid": SID, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"ArnEquals": {"aws:PrincipalArn": role}}}),
        );
        let v = sweep(&snapshot(), role, &doc, Some(&old), &narrow, &res);
        assert!(v.no_new_access, "{:?}", v.gained);
        assert!(v.principals_checked >= 5 && v.actions_checked > 100);
    }

    /// "AWS JSON policy elements: NotPrincipal", IAM User Guide
    /// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html):
    /// AWS recommends `ArnNotLike` on `aws:PrincipalArn` instead.
    #[test]
    fn an_exception_merges_with_an_existing_one_and_replaces_notprincipal() {
        let role = "arn:aws:iam::111122223333:role/R";
        let doc = json!({"Statement": [{"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"ArnNotLike": {"aws:principalarn": "arn:aws:iam::111122223333:root"}}}]});
        let (new, _) = exempt_in_deny(&snapshot(), &doc, 0, role).unwrap();
        assert_eq!(
            new["Statement"][0]["Condition"]["ArnNotLike"]["aws:principalarn"],
            json!(["arn:aws:iam::111122223333:root", role])
        );
        // Idempotent: a second exemption adds nothing.
        assert_eq!(exempt_in_deny(&snapshot(), &new, 0, role).unwrap().0, new);
        // An Allow is not a Deny.
        let allow = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]});
        assert!(exempt_in_deny(&snapshot(), &allow, 0, role).is_none());
        let np = json!({"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": ["111122223333", "arn:aws:sts::111122223333:assumed-role/R/s-*"], "Service": "backup.amazonaws.com"}, "Action": "s3:*", "Resource": "*"}});
        let (new, caveats) = exempt_in_deny(&snapshot(), &np, 0, role).unwrap();
        assert_eq!(new["Statement"]["Principal"], json!("*"));
        assert!(new["Statement"].get("NotPrincipal").is_none());
        assert_eq!(
            new["Statement"]["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
            json!(["arn:aws:iam::111122223333:root", role])
        );
        assert_eq!(
            new["Statement"]["Condition"]["StringNotEqualsIfExists"]["aws:PrincipalServiceName"],
            json!(["backup.amazonaws.com"])
        );
        assert_eq!(caveats.len(), 1, "the session ARN is reported: {caveats:?}");
    }

    /// `NotPrincipal` with `Deny` exempts a user only with its account, and never one with
    /// a permissions boundary; a role's ARN there exempts none of its sessions ("AWS JSON
    /// policy elements: NotPrincipal", IAM User Guide,
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
    /// The exception exempts no one `NotPrincipal` did not.
    #[test]
    fn the_exception_exempts_no_one_notprincipal_did_not() {
        let role = "arn:aws:iam::111122223333:role/R";
        let s = Snapshot::from_json("t", r#"{"account_id": "111122223333", "iam": {"UserDetailList": [
            {"Arn": "arn:aws:iam::111122223333:user/plain"},
            {"Arn": "arn:aws:iam::111122223333:user/bounded", "PermissionsBoundary": {"PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/B"}}
        ]}}"#).unwrap();
        let users = |list: Value| {
            let np = json!({"Statement": [{"Effect": "Deny", "NotPrincipal": {"AWS": list}, "Action": "s3:*", "Resource": "*"}]});
            let (new, caveats) = exempt_in_deny(&s, &np, 0, role).unwrap();
            (
                new["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"].clone(),
                caveats.len(),
            )
        };
        // Without its account, a user was not exempt.
        assert_eq!(
            users(json!(["arn:aws:iam::111122223333:user/plain"])),
            (json!([role]), 1)
        );
        // With it, it was, and stays so.
        assert_eq!(
            users(json!([
                "arn:aws:iam::111122223333:user/plain",
                "arn:aws:iam::111122223333:root"
            ])),
            (
                json!([
                    "arn:aws:iam::111122223333:user/plain",
                    "arn:aws:iam::111122223333:root",
                    role
                ]),
                0
            )
        );
        // A user with a boundary never was; one the export does not show is not carried.
        for u in ["bounded", "unknown"] {
            assert_eq!(
                users(json!([
                    format!("arn:aws:iam::111122223333:user/{u}"),
                    "111122223333"
                ])),
                (json!(["arn:aws:iam::111122223333:root", role]), 1)
            );
        }
        // Another role's ARN exempted none of its sessions.
        assert_eq!(
            users(json!([
                "arn:aws:iam::111122223333:role/Other",
                "111122223333"
            ])),
            (json!(["arn:aws:iam::111122223333:root", role]), 1)
        );
    }

    fn finding(
        code: Code,
        document: Option<DocRef>,
        effect: Option<vaultward_iam::policy::Effect>,
    ) -> Finding {
        Finding {
            code,
            level: Level::Blocking,
            resource: "arn:aws:s3:::b".into(),
            resource_kind: crate::check::ResourceKind::Bucket,
            operation: Op::Backup,
            action: "s3:GetObject".into(),
            policy: None,
            statement: None,
            decided_by: document.map(|d| Decider {
                policy_type: vaultward_iam::authorizer::PolicyType::Resource,
                document: Some(d),
                level: None,
                statement_index: effect.map(|_| 0),
                sid: None,
                effect,
                undecided: false,
            }),
            kms_via_service: None,
            reason: "r".into(),
            impact: Default::default(),
            fix: "f".into(),
            parse_errors: Vec::new(),
        }
    }

    /// Every kind of finding no patch can close gets a manual entry with the reason, never
    /// a silent skip.
    #[test]
    fn what_cannot_be_patched_says_why() {
        let s = snapshot();
        let opts = CheckOptions::new(
            "arn:aws:iam::111122223333:role/R",
            Default::default(),
            Default::default(),
        );
        let deny = Some(vaultward_iam::policy::Effect::Deny);
        let cases = [
            (
                finding(Code::SseCObject, None, None),
                "customer-provided keys",
            ),
            (
                finding(
                    Code::AwsManagedKey,
                    Some(DocRef::KeyPolicy { key: "k".into() }),
                    None,
                ),
                "AWS managed key `k`",
            ),
            (
                finding(
                    Code::VaultPolicyDenies,
                    Some(DocRef::VaultPolicy { vault: "v".into() }),
                    None,
                ),
                "does not allow the role",
            ),
            (
                finding(Code::ResourcePolicyDenies, Some(DocRef::Vendor), deny),
                "vendor's side",
            ),
            (
                finding(Code::ScpDenies, Some(DocRef::ScpLevel { level: 2 }), None),
                "no SCP is attached at level 2",
            ),
            (
                finding(
                    Code::IdentityPolicyDenies,
                    Some(DocRef::ManagedPolicy {
                        policy: "arn:aws:iam::aws:policy/AWSDenyAll".into(),
                    }),
                    deny,
                ),
                "AWS managed policy",
            ),
            (
                finding(
                    Code::KmsKeyPolicyDenies,
                    Some(DocRef::KeyPolicy { key: "k".into() }),
                    None,
                ),
                "KMS rejects a key policy naming a principal that does not exist",
            ),
            (
                Finding {
                    action: "s3:PutBucketPolicy".into(),
                    ..finding(Code::MissingIdentityPermission, None, None)
                },
                "no statement granting",
            ),
            (
                finding(Code::ExplicitDenyBucketPolicy, None, deny),
                "not one it can locate",
            ),
        ];
        for (f, why) in cases {
            match target_of(&s, &opts, &f) {
                Ok(d) => panic!("{:?} got a patch target {d:?}", f.code),
                Err(np) => {
                    assert!(np.why.contains(why), "{:?}: {}", f.code, np.why);
                    assert!(!np.steps.is_empty());
                }
            }
        }
        let mut unknown = finding(Code::NotCollected, None, None);
        unknown.level = Level::Unknown;
        assert!(target_of(&s, &opts, &unknown).is_err_and(|np| np.steps[0] == "f"));
    }
}
