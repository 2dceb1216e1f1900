//! Which document a finding's patch goes into, and the patchers per document: Deny
//! exceptions, key policies, SCPs, identity policies and boundaries (the permission model's
//! grants), S3 Object Ownership.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use vaultward_model::policies::statement;
use vaultward_model::service::{steps, Subject};
use vaultward_snapshot::Snapshot;

use super::deny::exempt_in_deny;
use super::docs::{as_list, managed_by_aws, role_in_export};
use super::{INLINE_POLICY, SID};
use crate::check::{CheckOptions, Code, Decider, DocRef, Finding, Level, ResourceKind};

/// Replaces the statement with Sid `sid` (or appends one): `make(actions already granted)`.
pub(super) fn upsert_statement(doc: &Value, sid: &str, make: impl Fn(&[String]) -> Value) -> Value {
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

pub(super) fn union(granted: &[String], new: &BTreeSet<String>) -> Vec<String> {
    let mut all: BTreeSet<String> = granted.iter().cloned().collect();
    all.extend(new.iter().cloned());
    all.into_iter().collect()
}

/// The permission model's statements for finding `f`: the grants of the steps that make
/// its request (its resource kind, operation and action), written for the role's account,
/// path and name token (taken from the role's ARN, `.../PATH/TOKENBackupRole`) and the names
/// the check used. Empty when no step makes it, or its grant names the vendor's account
/// (which the snapshot does not hold).
pub(super) fn model_statements(s: &Snapshot, opts: &CheckOptions, f: &Finding) -> Vec<Value> {
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
pub(super) const VENDOR_UNKNOWN: &str = "000000000000";

/// The table's subject for a finding's resource kind.
pub(super) fn subject_of(kind: ResourceKind) -> Option<Subject> {
    match kind {
        ResourceKind::Bucket => Some(Subject::Bucket),
        ResourceKind::Table => Some(Subject::Table),
        ResourceKind::Volume => Some(Subject::Volume),
        ResourceKind::Instance => Some(Subject::Instance),
        ResourceKind::Vault => Some(Subject::Vault),
        ResourceKind::Role | ResourceKind::Account | ResourceKind::ResourceList => None,
    }
}

/// Why a finding gets no patch, and what a person must do.
pub(super) struct NoPatch {
    pub(super) why: String,
    pub(super) steps: Vec<String>,
}

pub(super) fn no_patch(why: impl Into<String>, steps: &[&str]) -> NoPatch {
    NoPatch {
        why: why.into(),
        steps: steps.iter().map(|s| s.to_string()).collect(),
    }
}

/// The document a finding's patch goes into.
pub(super) fn target_of(s: &Snapshot, opts: &CheckOptions, f: &Finding) -> Result<DocRef, NoPatch> {
    let role = &opts.role_arn;
    let again = "run `vaultward check` again";
    let doc = f.decided_by.as_ref().and_then(|d| d.document.clone());
    // An answer that depends on an unknown value because a Deny may apply: exempting the
    // role in that Deny removes the dependency, whatever the value is.
    if f.code == Code::CannotDecide && f.decided_by.as_ref().is_some_and(Decider::is_deny) {
        if let Some(
            d @ (DocRef::BucketPolicy { .. }
            | DocRef::KeyPolicy { .. }
            | DocRef::VaultPolicy { .. }
            | DocRef::Scp { .. }
            | DocRef::Rcp { .. }
            | DocRef::Boundary { .. }
            | DocRef::ManagedPolicy { .. }
            | DocRef::InlinePolicy { .. }),
        ) = doc.clone()
        {
            return Ok(d);
        }
    }
    if f.level != Level::Blocking {
        return Err(NoPatch {
            why: format!("the check cannot decide this ({}): {}", f.code, f.reason),
            steps: vec![f.fix.clone(), again.into()],
        });
    }
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

/// The patched document for `findings` (all on `doc`), from `base` (the document as it
/// stands, perhaps already patched), with a description and caveats: the Denies that stop
/// the role get an exception for it, and what lacks an Allow gets one, in the way the
/// document allows (a key policy, an SCP, an identity policy or boundary, S3 Object
/// Ownership).
pub(super) fn patch_doc(
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
    if let Some(done) = exempt_denies(s, &mut new, findings, role, &mut caveats)? {
        what.push(done);
    }
    // Missing Allows.
    let lacking: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| !f.decided_by.as_ref().is_some_and(Decider::is_deny))
        .collect();
    if !lacking.is_empty() {
        let actions: BTreeSet<String> = lacking.iter().map(|f| f.action.clone()).collect();
        what.push(match doc {
            DocRef::KeyPolicy { .. } => allow_in_key_policy(&mut new, role, &lacking, &actions),
            DocRef::Scp { .. } => allow_in_scp(&mut new, role, &actions),
            DocRef::Boundary { .. } | DocRef::InlinePolicy { .. } => {
                add_model_statements(s, opts, doc, &mut new, &lacking, &actions)?
            }
            DocRef::OwnershipControls { .. } => {
                new = json!({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]});
                caveats.push("BucketOwnerEnforced disables ACLs: anyone who relied on an object ACL for access loses it; check first that nothing does".into());
                "set S3 Object Ownership to `BucketOwnerEnforced`".into()
            }
            other => {
                return Err(no_patch(
                    format!("Vaultward does not add Allow statements to {other:?}"),
                    &["allow the role there by hand"],
                ))
            }
        });
    }
    Ok((new, what.join("; "), caveats))
}

/// Exempts the role in each Deny statement that stops it, by position; says what it did.
fn exempt_denies(
    s: &Snapshot,
    new: &mut Value,
    findings: &[&Finding],
    role: &str,
    caveats: &mut Vec<String>,
) -> Result<Option<String>, NoPatch> {
    let denies: BTreeSet<usize> = findings
        .iter()
        .filter_map(|f| f.decided_by.as_ref())
        .filter(|d| d.is_deny())
        .filter_map(|d| d.statement_index)
        .collect();
    for i in &denies {
        let (n, c) = exempt_in_deny(s, new, *i, role).ok_or_else(|| {
            no_patch(
                format!("statement #{i} of the document is not a Deny Vaultward can add an exception to (a `NotPrincipal: \"*\"`, or not a Deny)"),
                &["exempt the role in the statement by hand (an `ArnNotLike` condition on `aws:PrincipalArn`)"],
            )
        })?;
        *new = n;
        caveats.extend(c);
    }
    if denies.is_empty() {
        return Ok(None);
    }
    let sids: BTreeSet<String> = findings
        .iter()
        .filter_map(|f| f.decided_by.as_ref())
        .filter(|d| d.is_deny())
        .map(|d| {
            d.sid
                .clone()
                .unwrap_or_else(|| format!("#{}", d.statement_index.unwrap_or_default()))
        })
        .collect();
    Ok(Some(format!(
        "exempt `{role}` in the Deny statement(s) {} with an `ArnNotLike` condition on `aws:PrincipalArn`",
        sids.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
    )))
}

/// `a`, `b` as `` `a`, `b` ``.
fn quoted(items: &BTreeSet<String>) -> String {
    items
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A key policy: the role may use the key for the actions, only through the services the
/// requests came through (`kms:ViaService`), and create grants only for AWS resources.
fn allow_in_key_policy(
    new: &mut Value,
    role: &str,
    lacking: &[&Finding],
    actions: &BTreeSet<String>,
) -> String {
    let via: BTreeSet<String> = lacking
        .iter()
        .filter_map(|f| f.kms_via_service.clone())
        .collect();
    let (grant, using): (BTreeSet<String>, BTreeSet<String>) = actions
        .iter()
        .cloned()
        .partition(|a| a.eq_ignore_ascii_case("kms:CreateGrant"));
    if !using.is_empty() {
        *new = upsert_statement(
            new,
            SID,
            |granted| json!({"Sid": SID, "Effect": "Allow", "Principal": {"AWS": role}, "Action": union(granted, &using), "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": via.iter().collect::<Vec<_>>()}}}),
        );
    }
    if !grant.is_empty() {
        let sid = format!("{SID}Grants");
        *new = upsert_statement(
            new,
            &sid,
            |_| json!({"Sid": sid, "Effect": "Allow", "Principal": {"AWS": role}, "Action": "kms:CreateGrant", "Resource": "*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}, "StringEquals": {"kms:ViaService": via.iter().collect::<Vec<_>>()}}}),
        );
    }
    format!(
        "let `{role}` use the key for {} through {} only",
        quoted(actions),
        quoted(&via)
    )
}

/// An SCP: the actions, for the role only.
fn allow_in_scp(new: &mut Value, role: &str, actions: &BTreeSet<String>) -> String {
    *new = upsert_statement(
        new,
        SID,
        |granted| json!({"Sid": SID, "Effect": "Allow", "Action": union(granted, actions), "Resource": "*", "Condition": {"ArnEquals": {"aws:PrincipalArn": role}}}),
    );
    format!(
        "allow {} to `{role}` only (an `ArnEquals` condition on `aws:PrincipalArn`)",
        quoted(actions)
    )
}

/// An identity policy or a boundary: the permission model's statements for the failing
/// steps (in a boundary, for the role only: a boundary may be shared).
fn add_model_statements(
    s: &Snapshot,
    opts: &CheckOptions,
    doc: &DocRef,
    new: &mut Value,
    lacking: &[&Finding],
    actions: &BTreeSet<String>,
) -> Result<String, NoPatch> {
    let role = opts.role_arn.as_str();
    let mut list = as_list(&new["Statement"]);
    for f in lacking {
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
    Ok(format!(
        "add the permissions model's statements for {} (better: redeploy the permissions file)",
        quoted(actions)
    ))
}
