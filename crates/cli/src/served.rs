//! `vaultward serve`'s state as snapshots, one per account of its configuration: the
//! principals and their policies, trust policies and tags from the configuration
//! (`serve --config`), the vaults (policy, key, lock) and recovery points from the store
//! of its data directory, read read-only beside a running server. `exposure` answers
//! them with only the AWS Backup API behind the recovery points.

use std::path::Path;

use serde_json::{json, Value};
use vaultward_server::store::{read_records, Kind};
use vaultward_snapshot::{Snapshot, VaultLock};

/// The tags of a configuration entry, as the IAM export writes them.
fn tags(v: &Value) -> Value {
    let list: Vec<Value> = v
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Value::Array(list)
}

/// One role or user of the configuration as an IAM export entry.
fn principal(account: &str, kind: &str, p: &Value) -> Value {
    let name = p["name"].as_str().unwrap_or_default();
    let path = p["path"].as_str().unwrap_or("/");
    let policies: Vec<Value> = p["policies"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, d)| json!({"PolicyName": format!("{kind}/{name}#{i}"), "PolicyDocument": d}))
        .collect();
    let arn = format!("arn:aws:iam::{account}:{kind}{path}{name}");
    if kind == "role" {
        let mut r = json!({"RoleName": name, "Arn": arn, "Path": path, "RolePolicyList": policies,
            "AttachedManagedPolicies": [], "InstanceProfileList": [], "Tags": tags(&p["tags"])});
        if let Some(t) = p.get("trust_policy") {
            r["AssumeRolePolicyDocument"] = t.clone();
        }
        r
    } else {
        json!({"UserName": name, "Arn": arn, "Path": path, "UserPolicyList": policies, "GroupList": [],
            "AttachedManagedPolicies": [], "Tags": tags(&p["tags"])})
    }
}

/// A stored vault as the snapshot's `backup_vaults` entry.
fn vault(v: &Value) -> Value {
    let lock = match v.get("Lock") {
        None => VaultLock::from_fields(Some(false), None, None, None),
        Some(l) => VaultLock::from_fields(
            Some(true),
            l["MinRetentionDays"].as_i64(),
            l["MaxRetentionDays"].as_i64(),
            l["LockDate"].as_f64().map(vaultward_server::arns::iso8601),
        ),
    };
    json!({"name": v["BackupVaultName"], "arn": v["BackupVaultArn"],
        "access_policy": v.get("Policy").cloned().unwrap_or(Value::Null),
        "encryption_key_arn": v["EncryptionKeyArn"], "vault_type": "BACKUP_VAULT", "lock": lock})
}

/// The snapshots of `serve`'s configuration (`config_text`, named `config_name` in
/// errors) and data directory, or what is wrong with them; each with whether the
/// account's root user may call (the configuration gives it access keys).
pub fn snapshots(
    config_name: &str,
    config_text: &str,
    dir: &Path,
) -> Result<Vec<(Snapshot, bool)>, String> {
    vaultward_server::config::Config::from_json(config_name, config_text)
        .map_err(|e| e.to_string())?;
    let raw: Value =
        serde_json::from_str(config_text).map_err(|e| format!("{config_name}: {e}"))?;
    let vaults = read_records(dir, Kind::Vault).map_err(|e| e.to_string())?;
    let points = read_records(dir, Kind::RecoveryPoint).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for a in raw["accounts"].as_array().into_iter().flatten() {
        let id = a["id"].as_str().unwrap_or_default();
        let list = |k: &str, kind: &str| -> Vec<Value> {
            a[k].as_array()
                .into_iter()
                .flatten()
                .map(|p| principal(id, kind, p))
                .collect()
        };
        let mine: Vec<&Value> = vaults
            .iter()
            .map(|(_, v)| v)
            .filter(|v| v["AccountId"].as_str() == Some(id))
            .collect();
        let arns: Vec<&str> = mine
            .iter()
            .filter_map(|v| v["BackupVaultArn"].as_str())
            .collect();
        let rps: Vec<Value> = points
            .iter()
            .map(|(_, p)| p)
            .filter(|p| p["BackupVaultArn"].as_str().is_some_and(|v| arns.contains(&v)))
            .map(|p| json!({"arn": p["RecoveryPointArn"], "vault_arn": p["BackupVaultArn"],
                "resource_type": p["ResourceType"], "resource_arn": p["ResourceArn"],
                "encryption_key_arn": p["EncryptionKeyArn"], "is_encrypted": p["IsEncrypted"].as_bool(),
                "status": p["Status"]}))
            .collect();
        // The vault service runs no compute and holds no bucket, table or key: its lists
        // are empty, not unknown.
        let mut s = json!({"account_id": id,
            "iam": {"RoleDetailList": list("roles", "role"), "UserDetailList": list("users", "user"),
                    "GroupDetailList": [], "Policies": []},
            "buckets": [], "kms_keys": [], "dynamodb_tables": [], "ec2_instances": [], "ebs_volumes": [],
            "backup_vaults": mine.iter().map(|v| vault(v)).collect::<Vec<_>>(), "recovery_points": rps,
            "lambda_functions": [], "lambda_event_source_mappings": [], "cloudformation_stacks": [],
            "sagemaker_notebook_instances": [], "glue_dev_endpoints": [], "codebuild_projects": [],
            "ecs_task_definitions": [], "ssm_managed_instances": []});
        if let Some(o) = a.get("organization") {
            s["organization"] =
                json!({"id": o["id"], "path": o.get("path"), "scps": [], "rcps": []});
        }
        let name = format!("{} (account {id})", dir.display());
        let root = a.get("root").is_some_and(|r| !r.is_null());
        out.push((
            Snapshot::from_json(&name, &s.to_string()).map_err(|e| e.to_string())?,
            root,
        ));
    }
    Ok(out)
}
