//! Builds a snapshot from a folder of AWS CLI outputs (layout in `docs/snapshot.md`).
//! A file that is missing leaves its part unknown; a `*.error` file beside it (the CLI's
//! error text) records why, and `NoSuchBucketPolicy`-style errors mean "there is none".

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

mod compute;

use crate::{
    Bucket, Collected, Encryption, Instance, KmsKey, Lifecycle, Organization, RecoveryPoint,
    Snapshot, Table, Vault, VaultLock, Volume,
};

/// A file of the folder that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct LoadError {
    pub file: String,
    pub message: String,
}

fn read_json(path: &Path) -> Result<Option<Value>, LoadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(LoadError {
                file: path.display().to_string(),
                message: e.to_string(),
            })
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| LoadError {
            file: path.display().to_string(),
            message: format!("line {}, column {}: {e}", e.line(), e.column()),
        })
}

/// A policy from `get-bucket-policy` / `get-key-policy` / `get-backup-vault-access-policy`
/// output (`{"Policy": "..."}`), or what its `.error` file says.
fn policy(dir: &Path, stem: &str) -> Result<Collected, LoadError> {
    if let Some(v) = read_json(&dir.join(format!("{stem}.json")))? {
        return Ok(match v.get("Policy") {
            Some(Value::String(s)) => Collected::Document(Value::String(s.clone())),
            Some(other) => Collected::Document(other.clone()),
            None => Collected::Document(v),
        });
    }
    match std::fs::read_to_string(dir.join(format!("{stem}.error"))) {
        Ok(err)
            if err.contains("NoSuchBucketPolicy")
                || err.contains("ResourceNotFoundException")
                || err.contains("NoSuchPolicy") =>
        {
            Ok(Collected::Document(Value::Null))
        }
        Ok(err) => Ok(Collected::NotCollected {
            not_collected: err.trim().lines().last().unwrap_or("error").to_string(),
        }),
        Err(_) => Ok(Collected::Unknown),
    }
}

fn tags(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t.get("Key")?.as_str()?.to_string(),
                t.get("Value")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// The entries of `dir` that pass `keep`, sorted (none when `dir` does not exist).
fn entries(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| keep(p))
        .collect();
    out.sort();
    out
}

fn subdirs(dir: &Path) -> Vec<std::path::PathBuf> {
    entries(dir, Path::is_dir)
}

fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    entries(dir, |p| p.extension().is_some_and(|e| e == "json"))
}

fn policy_files(dir: &Path) -> Result<Vec<Vec<Value>>, LoadError> {
    // Files named `LEVEL-NAME.json` (the output of `aws organizations describe-policy`).
    let mut levels: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
    for f in json_files(dir) {
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let level: usize = name
            .split('-')
            .next()
            .and_then(|l| l.parse().ok())
            .ok_or_else(|| LoadError {
                file: f.display().to_string(),
                message: "name it LEVEL-NAME.json, with LEVEL 0 for the organization root".into(),
            })?;
        let v = read_json(&f)?.unwrap_or(Value::Null);
        let id = v
            .pointer("/Policy/PolicySummary/Id")
            .and_then(Value::as_str)
            .map(str::to_string);
        let content = v.pointer("/Policy/Content").cloned().unwrap_or(v);
        let pname = name
            .split_once('-')
            .map_or(name.clone(), |(_, n)| n.to_string());
        let mut entry = serde_json::json!({"name": pname, "document": content});
        if let Some(id) = id {
            entry["id"] = Value::String(id);
        }
        levels.entry(level).or_default().push(entry);
    }
    Ok(levels.into_values().collect())
}

/// Reads the folder `dir` into a snapshot.
pub fn from_aws_cli(dir: &Path) -> Result<Snapshot, LoadError> {
    let identity = read_json(&dir.join("caller-identity.json"))?.ok_or_else(|| LoadError {
        file: dir.join("caller-identity.json").display().to_string(),
        message: "missing: write it with `aws sts get-caller-identity > caller-identity.json`"
            .into(),
    })?;
    let account_id = identity
        .get("Account")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut notes = Vec::new();
    let iam = read_json(&dir.join("iam.json"))?;
    if iam.is_none() {
        notes.push("iam.json missing: the role's policies are unknown".into());
    }
    let organization = organization(dir)?;
    let mut buckets = Vec::new();
    for d in subdirs(&dir.join("s3")) {
        buckets.push(bucket(&d)?);
    }
    let kms_keys = kms_keys(dir)?;
    let dynamodb_tables = tables(dir)?;
    let ebs_volumes = volumes(dir, &account_id)?;
    let ec2_instances = instances(dir, &account_id)?;
    let (backup_vaults, recovery_points) = vaults(dir)?;
    let not_collected = lists_not_collected(dir);
    let mut s = Snapshot {
        account_id,
        organization,
        iam,
        buckets,
        kms_keys,
        dynamodb_tables,
        ec2_instances,
        ebs_volumes,
        backup_vaults,
        recovery_points,
        notes,
        not_collected,
        ..Snapshot::default()
    };
    compute::load(dir, &mut s)?;
    Ok(s)
}

/// `organization.json` (`aws organizations describe-organization`) and the policy folders.
fn organization(dir: &Path) -> Result<Option<Organization>, LoadError> {
    Ok(match read_json(&dir.join("organization.json"))? {
        None => None,
        Some(o) => Some(Organization {
            id: o
                .pointer("/Organization/Id")
                .and_then(Value::as_str)
                .map(str::to_string),
            path: org_path(dir, o.pointer("/Organization/Id").and_then(Value::as_str))?,
            management_account: o
                .pointer("/Organization/MasterAccountId")
                .and_then(Value::as_str)
                .map(str::to_string),
            scps: policy_files(&dir.join("scps"))?,
            rcps: policy_files(&dir.join("rcps"))?,
            policies_not_collected: (!dir.join("scps").is_dir() && !dir.join("rcps").is_dir())
                .then(|| "the export has neither scps/ nor rcps/".to_string()),
        }),
    })
}

/// `get-bucket-location`'s answer as a Region: none (`null`) or empty is us-east-1, `EU`
/// eu-west-1 (S3 API reference, GetBucketLocation:
/// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html).
pub fn region_of_location(constraint: Option<&str>) -> String {
    match constraint {
        None | Some("") => "us-east-1".into(),
        Some("EU") => "eu-west-1".into(),
        Some(r) => r.into(),
    }
}

/// The account's `aws:PrincipalOrgPaths` from `parents/0.json`, `parents/1.json`, ...: the
/// outputs of `aws organizations list-parents --child-id ID`, from the account (0) up to
/// the root. `None` when the files are missing or do not reach the root.
fn org_path(dir: &Path, org_id: Option<&str>) -> Result<Option<String>, LoadError> {
    let Some(org_id) = org_id else {
        return Ok(None);
    };
    let mut ids = Vec::new();
    for level in 0..crate::MAX_ORG_DEPTH {
        let file = dir.join(format!("parents/{level}.json"));
        let Some(v) = read_json(&file)? else {
            return Ok(None);
        };
        let parent = v.pointer("/Parents/0");
        let (Some(id), kind) = (
            parent.and_then(|p| p.get("Id")).and_then(Value::as_str),
            parent.and_then(|p| p.get("Type")).and_then(Value::as_str),
        ) else {
            return Err(LoadError {
                file: file.display().to_string(),
                message:
                    "no `Parents[0].Id`: expected the output of `aws organizations list-parents`"
                        .into(),
            });
        };
        ids.push(id.to_string());
        if kind == Some("ROOT") {
            ids.reverse();
            return Ok(Some(crate::org_path(org_id, &ids)));
        }
    }
    Ok(None)
}

/// One bucket's folder (`s3/NAME/`).
fn bucket(d: &Path) -> Result<Bucket, LoadError> {
    let name = d
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let region = read_json(&d.join("location.json"))?
        .map(|v| region_of_location(v.get("LocationConstraint").and_then(Value::as_str)));
    let ownership = read_json(&d.join("ownership.json"))?.and_then(|v| {
        v.pointer("/OwnershipControls/Rules/0/ObjectOwnership")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let mut not_collected = BTreeMap::new();
    let encryption = read_json(&d.join("encryption.json"))?;
    if encryption.is_none() {
        not_collected.insert(
            "default_encryption".to_string(),
            "the export has no encryption.json (`aws s3api get-bucket-encryption`)".to_string(),
        );
    }
    let default_encryption = encryption.and_then(|v| {
        let rule = v.pointer("/ServerSideEncryptionConfiguration/Rules/0")?;
        let by_default = rule.get("ApplyServerSideEncryptionByDefault")?;
        Some(Encryption {
            sse: by_default.get("SSEAlgorithm")?.as_str()?.to_string(),
            kms_key_id: by_default
                .get("KMSMasterKeyID")
                .and_then(Value::as_str)
                .map(str::to_string),
            // A rule without the element has no Bucket Key: "By default, S3 Bucket Key is
            // not enabled" (S3 API reference, ServerSideEncryptionRule).
            bucket_key_enabled: Some(
                rule.get("BucketKeyEnabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ),
        })
    });
    let listing = read_json(&d.join("objects.json"))?;
    if listing.is_none() {
        not_collected.insert(
            "objects".to_string(),
            "the export has no objects.json (`aws s3api list-object-versions`)".to_string(),
        );
    }
    let objects = listing
        .map(|v| {
            let list = v
                .get("Versions")
                .or_else(|| v.get("Contents"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            list.iter()
                .filter_map(|o| {
                    Some(crate::Object {
                        key: o.get("Key")?.as_str()?.to_string(),
                        version_id: o
                            .get("VersionId")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        size: o.get("Size")?.as_u64()?,
                        owner_account: None,
                        kms_key_id: None,
                        bucket_key_enabled: None,
                        tags: None,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Bucket {
        name,
        region,
        policy: policy(d, "policy")?,
        ownership,
        default_encryption,
        versioning: None,
        public_access_block: Collected::Unknown,
        tags: BTreeMap::new(),
        objects,
        objects_truncated: false,
        not_collected,
    })
}

/// The keys (`kms/ID/describe-key.json` and their policies).
fn kms_keys(dir: &Path) -> Result<Vec<KmsKey>, LoadError> {
    let mut kms_keys = Vec::new();
    for d in subdirs(&dir.join("kms")) {
        let Some(meta) = read_json(&d.join("describe-key.json"))? else {
            continue;
        };
        let Some(arn) = meta.pointer("/KeyMetadata/Arn").and_then(Value::as_str) else {
            continue;
        };
        kms_keys.push(KmsKey {
            arn: arn.to_string(),
            policy: policy(&d, "policy")?,
            manager: meta
                .pointer("/KeyMetadata/KeyManager")
                .and_then(Value::as_str)
                .map(str::to_string),
            aliases: Vec::new(),
            origin: meta
                .pointer("/KeyMetadata/Origin")
                .and_then(Value::as_str)
                .map(str::to_string),
            grants: match read_json(&d.join("list-grants.json"))? {
                Some(v) => Collected::Document(v.get("Grants").cloned().unwrap_or(v)),
                None => match std::fs::read_to_string(d.join("list-grants.error")) {
                    Ok(err) => Collected::NotCollected {
                        not_collected: err.trim().lines().last().unwrap_or("error").to_string(),
                    },
                    Err(_) => Collected::Unknown,
                },
            },
        });
    }
    Ok(kms_keys)
}

/// The tables (`dynamodb/*.json`, `aws dynamodb describe-table`).
fn tables(dir: &Path) -> Result<Vec<Table>, LoadError> {
    let mut dynamodb_tables = Vec::new();
    let ddb = dir.join("dynamodb");
    for f in json_files(&ddb) {
        let Some(v) = read_json(&f)? else { continue };
        let Some(arn) = v.pointer("/Table/TableArn").and_then(Value::as_str) else {
            continue;
        };
        dynamodb_tables.push(Table {
            arn: arn.to_string(),
            kms_key_id: v
                .pointer("/Table/SSEDescription/KMSMasterKeyArn")
                .and_then(Value::as_str)
                .map(str::to_string),
            tags: BTreeMap::new(),
        });
    }
    Ok(dynamodb_tables)
}

/// The region of an availability zone (`us-east-1a`).
fn region_of(az: &str) -> String {
    az.trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .to_string()
}

/// The volumes (`ec2/volumes.json`, `aws ec2 describe-volumes`).
fn volumes(dir: &Path, account_id: &str) -> Result<Vec<Volume>, LoadError> {
    let mut ebs_volumes = Vec::new();
    if let Some(v) = read_json(&dir.join("ec2/volumes.json"))? {
        for vol in v
            .get("Volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(id), Some(az)) = (
                vol.get("VolumeId").and_then(Value::as_str),
                vol.get("AvailabilityZone").and_then(Value::as_str),
            ) else {
                continue;
            };
            ebs_volumes.push(Volume {
                arn: format!("arn:aws:ec2:{}:{account_id}:volume/{id}", region_of(az)),
                encrypted: vol.get("Encrypted").and_then(Value::as_bool),
                kms_key_id: vol
                    .get("KmsKeyId")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                tags: tags(vol.get("Tags")),
            });
        }
    }
    Ok(ebs_volumes)
}

/// The instances (`ec2/instances.json`, `aws ec2 describe-instances`).
fn instances(dir: &Path, account_id: &str) -> Result<Vec<Instance>, LoadError> {
    let mut ec2_instances = Vec::new();
    if let Some(v) = read_json(&dir.join("ec2/instances.json"))? {
        for r in v
            .get("Reservations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for i in r
                .get("Instances")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(id), Some(az)) = (
                    i.get("InstanceId").and_then(Value::as_str),
                    i.pointer("/Placement/AvailabilityZone")
                        .and_then(Value::as_str),
                ) else {
                    continue;
                };
                let volumes = i
                    .get("BlockDeviceMappings")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|b| {
                        b.pointer("/Ebs/VolumeId")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .collect();
                ec2_instances.push(Instance {
                    arn: format!("arn:aws:ec2:{}:{account_id}:instance/{id}", region_of(az)),
                    tags: tags(i.get("Tags")),
                    volumes,
                    instance_profile_arn: i
                        .pointer("/IamInstanceProfile/Arn")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                });
            }
        }
    }
    Ok(ec2_instances)
}

/// The vaults (`backup/vaults.json`, `aws backup list-backup-vaults`) with their key and
/// Vault Lock, their policies, and their recovery points
/// (`backup/VAULT.recovery-points.json`, `aws backup list-recovery-points-by-backup-vault`).
fn vaults(dir: &Path) -> Result<(Vec<Vault>, Vec<RecoveryPoint>), LoadError> {
    let mut backup_vaults = Vec::new();
    let mut points = Vec::new();
    let backup = dir.join("backup");
    if let Some(v) = read_json(&backup.join("vaults.json"))? {
        for vault in v
            .get("BackupVaultList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(arn)) = (
                vault.get("BackupVaultName").and_then(Value::as_str),
                vault.get("BackupVaultArn").and_then(Value::as_str),
            ) else {
                continue;
            };
            let text = |k: &str| vault.get(k).and_then(Value::as_str).map(str::to_string);
            let mut out = Vault {
                name: name.to_string(),
                arn: arn.to_string(),
                access_policy: policy(&backup, &format!("{name}.policy"))?,
                encryption_key_arn: text("EncryptionKeyArn"),
                vault_type: text("VaultType"),
                lock: Some(VaultLock::from_fields(
                    vault.get("Locked").and_then(Value::as_bool),
                    vault.get("MinRetentionDays").and_then(Value::as_i64),
                    vault.get("MaxRetentionDays").and_then(Value::as_i64),
                    text("LockDate"),
                )),
                ..Vault::default()
            };
            let file = backup.join(format!("{name}.recovery-points.json"));
            match read_json(&file)? {
                Some(listing) => points.extend(
                    listing
                        .get("RecoveryPoints")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|p| recovery_point(p, arn)),
                ),
                None => {
                    let error = std::fs::read_to_string(file.with_extension("error"))
                        .map(|e| format!(": {}", e.trim()))
                        .unwrap_or_default();
                    out.not_collected.insert(
                        "recovery_points".into(),
                        format!("the export has no `{name}.recovery-points.json` (`aws backup list-recovery-points-by-backup-vault --backup-vault-name {name}`){error}"),
                    );
                }
            }
            backup_vaults.push(out);
        }
    }
    Ok((backup_vaults, points))
}

/// One entry of `list-recovery-points-by-backup-vault`.
fn recovery_point(p: &Value, vault_arn: &str) -> Option<RecoveryPoint> {
    let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
    let lifecycle = p.get("Lifecycle");
    let calculated = p.get("CalculatedLifecycle");
    let day = |k: &str| lifecycle.and_then(|l| l.get(k)).and_then(Value::as_i64);
    let at = |k: &str| {
        calculated
            .and_then(|c| c.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Some(RecoveryPoint {
        arn: text("RecoveryPointArn")?,
        vault_arn: text("BackupVaultArn").unwrap_or_else(|| vault_arn.to_string()),
        resource_type: text("ResourceType"),
        resource_arn: text("ResourceArn"),
        encryption_key_arn: text("EncryptionKeyArn"),
        is_encrypted: p.get("IsEncrypted").and_then(Value::as_bool),
        status: text("Status"),
        creation_date: text("CreationDate"),
        lifecycle: (lifecycle.is_some() || calculated.is_some()).then(|| Lifecycle {
            delete_after_days: day("DeleteAfterDays"),
            move_to_cold_storage_after_days: day("MoveToColdStorageAfterDays"),
            delete_at: at("DeleteAt"),
            move_to_cold_storage_at: at("MoveToColdStorageAt"),
        }),
    })
}

/// A list whose files are missing is not known to be empty.
fn lists_not_collected(dir: &Path) -> BTreeMap<String, String> {
    let mut not_collected = BTreeMap::new();
    for (list, rel) in [
        ("buckets", "s3"),
        ("kms_keys", "kms"),
        ("dynamodb_tables", "dynamodb"),
        ("ec2_instances", "ec2/instances.json"),
        ("ebs_volumes", "ec2/volumes.json"),
        ("backup_vaults", "backup/vaults.json"),
        ("recovery_points", "backup/vaults.json"),
    ] {
        if !dir.join(rel).exists() {
            let error = std::fs::read_to_string(dir.join(rel.replace(".json", ".error")))
                .map(|e| format!(": {}", e.trim()))
                .unwrap_or_default();
            not_collected.insert(
                list.to_string(),
                format!("`{rel}` is not in the export{error}"),
            );
        }
    }
    not_collected
}
