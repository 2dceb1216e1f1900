//! The documents of the snapshot a patch reads and writes, the name of each patch's file,
//! and the AWS CLI command that applies it.

use serde_json::{json, Value};
use vaultward_snapshot::{Collected, Snapshot};

use super::Applier;
use crate::check::docs::json as doc_json;
use crate::check::DocRef;

/// A document's statements, as a list (a single statement object is one).
pub(super) fn statements_mut(doc: &mut Value) -> Vec<&mut Value> {
    match &mut doc["Statement"] {
        Value::Array(a) => a.iter_mut().collect(),
        s @ Value::Object(_) => vec![s],
        _ => Vec::new(),
    }
}

/// A list value's items, or the value as a one-item list.
pub(super) fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    }
}

pub(super) fn slug(s: &str) -> String {
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

pub(super) fn role_in_export(s: &Snapshot, role: &str) -> bool {
    iam_list(s, "RoleDetailList")
        .iter()
        .any(|r| r.get("Arn").and_then(Value::as_str) == Some(role))
}

pub(super) fn managed_by_aws(policy_arn: &str) -> bool {
    policy_arn.starts_with("arn:aws:iam::aws:policy/")
}

/// Reads a document of the snapshot (`None`: it does not exist yet).
pub(super) fn read_doc(s: &Snapshot, doc: &DocRef) -> Result<Option<Value>, String> {
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
pub(super) fn iam_list<'s>(s: &'s Snapshot, key: &str) -> &'s [Value] {
    s.iam
        .as_ref()
        .and_then(|i| i.get(key))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Writes a document into the snapshot.
pub(super) fn write_doc(s: &mut Snapshot, doc: &DocRef, new: &Value) -> Result<(), String> {
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

/// What a patch's file is: `bucket-policy`, `key-policy`, `scp`, ...
pub(super) fn target_name(doc: &DocRef) -> &'static str {
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
pub(super) fn apply_command(s: &Snapshot, doc: &DocRef, file: &str) -> (String, Applier) {
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
