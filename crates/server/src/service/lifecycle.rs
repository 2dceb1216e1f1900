//! Recovery point lifecycles: what a request may set, and the deadlines they give.
//!
//! AWS Backup API reference, `Lifecycle`
//! (<https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html>): days after
//! creation to the move to cold storage and to deletion; "Backups transitioned to cold
//! storage must be stored in cold storage for a minimum of 90 days"; "The transition to cold
//! after days setting can't be changed after a backup has been transitioned to cold"; "To
//! remove the existing lifecycle and retention periods and keep your recovery points
//! indefinitely, specify -1 for MoveToColdStorageAfterDays and DeleteAfterDays".
//! `StartBackupJob` (<https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html>):
//! "This parameter has a maximum value of 100 years (36,500 days)".

use super::*;

/// The longest lifecycle setting, in days (StartBackupJob, `Lifecycle`).
pub(super) const MAX_LIFECYCLE_DAYS: i64 = 36_500;
/// The shortest stay in cold storage, in days (`Lifecycle`).
pub(super) const MIN_COLD_DAYS: i64 = 90;

/// Resource types whose recovery points can move to cold storage: the "Lifecycle to cold
/// storage" row of "Feature availability by resource", AWS Backup developer guide
/// (<https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html#features-by-resource>);
/// EBS through the EBS Snapshots Archive tier ("Amazon EBS and AWS Backup",
/// <https://docs.aws.amazon.com/aws-backup/latest/devguide/multi-volume-crash-consistent.html>:
/// "EBS is one of the resource that supports a transition of backups to cold storage"), and
/// DynamoDB only with advanced DynamoDB backup ("Advanced DynamoDB backup",
/// <https://docs.aws.amazon.com/aws-backup/latest/devguide/advanced-ddb-backup.html>: "Tiering
/// backups to cold storage").
const COLD_STORAGE_TYPES: &[&str] = &[
    "EBS",
    "EFS",
    "DynamoDB",
    "Timestream",
    "SAP HANA on Amazon EC2",
    "VirtualMachine",
    "CloudFormation",
];

/// A validated lifecycle: whole days after creation to cold storage and to deletion, `None`
/// for never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Lifecycle {
    pub cold: Option<i64>,
    pub delete: Option<i64>,
    /// `OptInToArchiveForSupportedResources`, kept as given.
    pub opt_in_archive: Option<bool>,
}

/// A day setting: at least 1 and at most [`MAX_LIFECYCLE_DAYS`], or -1 for never.
fn day_setting(l: &Value, key: &str) -> Result<Option<i64>, ApiError> {
    match l.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(-1) => Ok(None),
            Some(d) if (1..=MAX_LIFECYCLE_DAYS).contains(&d) => Ok(Some(d)),
            Some(_) => Err(ApiError::invalid(format!(
                "Lifecycle.{key} must be between 1 and {MAX_LIFECYCLE_DAYS} days, or -1 to keep the recovery point indefinitely"
            ))),
            None => Err(ApiError::invalid(format!(
                "Lifecycle.{key} must be a whole number of days"
            ))),
        },
    }
}

impl Lifecycle {
    /// The `Lifecycle` of a request (absent: none), with AWS's rules on its own values.
    pub(super) fn from_request(l: Option<&Value>) -> Result<Lifecycle, ApiError> {
        let Some(l) = l.filter(|l| !l.is_null()) else {
            return Ok(Lifecycle::default());
        };
        let Some(fields) = l.as_object() else {
            return Err(ApiError::invalid(
                "Lifecycle must be an object with MoveToColdStorageAfterDays, DeleteAfterDays, OptInToArchiveForSupportedResources",
            ));
        };
        let mut opt_in_archive = None;
        for (k, v) in fields {
            match (k.as_str(), v) {
                ("MoveToColdStorageAfterDays" | "DeleteAfterDays", _) => {}
                ("OptInToArchiveForSupportedResources", Value::Bool(b)) => {
                    opt_in_archive = Some(*b)
                }
                ("OptInToArchiveForSupportedResources", Value::Null) => {}
                (other, _) => {
                    return Err(ApiError::invalid(format!(
                        "Lifecycle: `{other}` is not a lifecycle field (or not of its type)"
                    )))
                }
            }
        }
        let cold = day_setting(l, "MoveToColdStorageAfterDays")?;
        let delete = day_setting(l, "DeleteAfterDays")?;
        if let (Some(c), Some(d)) = (cold, delete) {
            if d < c.saturating_add(MIN_COLD_DAYS) {
                return Err(ApiError::invalid(format!(
                    "Lifecycle: DeleteAfterDays ({d}) must be at least {MIN_COLD_DAYS} days after MoveToColdStorageAfterDays ({c}): backups stay in cold storage for at least {MIN_COLD_DAYS} days"
                )));
            }
        }
        Ok(Lifecycle {
            cold,
            delete,
            opt_in_archive,
        })
    }

    /// Refuses a move to cold storage for a resource type that has no cold storage (AWS
    /// ignores the setting for those; this service says so rather than keep a setting that
    /// never applies). `advanced_dynamodb`: the recovery point is an AWS Backup recovery
    /// point of a DynamoDB table, not a DynamoDB backup.
    pub(super) fn check_cold_storage(
        &self,
        resource_type: &str,
        advanced_dynamodb: bool,
    ) -> Result<(), ApiError> {
        if self.cold.is_none() {
            return Ok(());
        }
        let supported = COLD_STORAGE_TYPES.contains(&resource_type)
            && (resource_type != "DynamoDB" || advanced_dynamodb);
        if supported {
            Ok(())
        } else {
            let why = if resource_type == "DynamoDB" {
                "DynamoDB backups move to cold storage only with advanced DynamoDB backup"
                    .to_string()
            } else {
                format!("{resource_type} recovery points have no cold storage")
            };
            Err(ApiError::invalid(format!(
                "Lifecycle.MoveToColdStorageAfterDays: {why} (AWS Backup, \"Feature availability by resource\"); leave it out or give -1"
            )))
        }
    }

    /// The lifecycle as stored and answered: the settings in force (a -1 removes one).
    pub(super) fn to_json(self) -> Value {
        let mut m = Map::new();
        if let Some(c) = self.cold {
            m.insert("MoveToColdStorageAfterDays".into(), json!(c));
        }
        if let Some(d) = self.delete {
            m.insert("DeleteAfterDays".into(), json!(d));
        }
        if let Some(o) = self.opt_in_archive {
            m.insert("OptInToArchiveForSupportedResources".into(), json!(o));
        }
        Value::Object(m)
    }

    /// `CalculatedLifecycle` for a recovery point created at `created`.
    pub(super) fn calculated(self, created: f64) -> Value {
        let at = |days: i64| created + days as f64 * DAY;
        let mut m = Map::new();
        if let Some(c) = self.cold {
            m.insert("MoveToColdStorageAt".into(), json!(at(c)));
        }
        if let Some(d) = self.delete {
            m.insert("DeleteAt".into(), json!(at(d)));
        }
        Value::Object(m)
    }
}

/// Whether the stored recovery point `rp` is an AWS Backup recovery point of a DynamoDB
/// table (advanced DynamoDB backup) rather than a DynamoDB backup.
pub(super) fn is_advanced_dynamodb(rp: &Value) -> bool {
    rp.at("RecoveryPointArn")
        .as_str()
        .and_then(vaultward_iam::arn::Arn::parse)
        .is_some_and(|a| a.service == "backup")
}

/// When the recovery point's retention ends (`CalculatedLifecycle.DeleteAt`); `None`: kept
/// indefinitely.
pub(super) fn retention_end(rp: &Value) -> Option<f64> {
    rp.at("CalculatedLifecycle").at("DeleteAt").as_f64()
}

/// When the recovery point moves to cold storage, if it is set to.
pub(super) fn cold_storage_at(rp: &Value) -> Option<f64> {
    rp.at("CalculatedLifecycle")
        .at("MoveToColdStorageAt")
        .as_f64()
}

/// Whether the recovery point has reached its deletion date at `now` (expired: deleted by the
/// sweeper, and neither restored nor copied meanwhile).
pub(super) fn expired(rp: &Value, now: f64) -> bool {
    retention_end(rp).is_some_and(|at| now >= at)
}

/// What the lifecycle sweeper does to a recovery point at `now`, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Due {
    Expire,
    MoveToCold,
}

pub(super) fn due(rp: &Value, now: f64) -> Option<Due> {
    if expired(rp, now) {
        Some(Due::Expire)
    } else if rp.at("StorageClass") == "WARM" && cold_storage_at(rp).is_some_and(|at| now >= at) {
        Some(Due::MoveToCold)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(v: Value) -> Result<Lifecycle, ApiError> {
        Lifecycle::from_request(Some(&v))
    }

    /// `Lifecycle` (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html):
    /// 90 days in cold storage, -1 for indefinitely; StartBackupJob: at most 36,500 days.
    #[test]
    fn lifecycle_settings_as_aws_takes_them() {
        let ok = |v: Value, cold, delete| {
            let l = parse(v.clone()).unwrap_or_else(|e| panic!("{v}: {e:?}"));
            assert_eq!((l.cold, l.delete), (cold, delete), "{v}");
        };
        ok(json!({}), None, None);
        ok(json!({"DeleteAfterDays": 1}), None, Some(1));
        ok(
            json!({"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 100}),
            Some(10),
            Some(100),
        );
        ok(
            json!({"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": -1}),
            None,
            None,
        );
        ok(
            json!({"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": 7}),
            None,
            Some(7),
        );
        ok(json!({"MoveToColdStorageAfterDays": 30}), Some(30), None);
        ok(json!({"DeleteAfterDays": 36500}), None, Some(36500));
        for bad in [
            json!({"MoveToColdStorageAfterDays": 10, "DeleteAfterDays": 99}),
            json!({"DeleteAfterDays": 0}),
            json!({"DeleteAfterDays": -2}),
            json!({"DeleteAfterDays": 36501}),
            json!({"DeleteAfterDays": "7"}),
            json!({"DeleteAfterDays": 1.5}),
            json!({"Other": 1}),
            json!({"OptInToArchiveForSupportedResources": "yes"}),
            json!([1]),
        ] {
            assert_eq!(
                parse(bad.clone()).unwrap_err().code,
                "InvalidParameterValueException",
                "{bad}"
            );
        }
        let l = parse(json!({"MoveToColdStorageAfterDays": -1, "DeleteAfterDays": 7})).unwrap();
        assert_eq!(l.to_json(), json!({"DeleteAfterDays": 7}));
    }

    /// Cold storage only for the resource types that have it ("Feature availability by
    /// resource",
    /// https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-feature-availability.html#features-by-resource).
    #[test]
    fn cold_storage_only_where_the_resource_type_has_it() {
        let cold = parse(json!({"MoveToColdStorageAfterDays": 1, "DeleteAfterDays": 91})).unwrap();
        for ty in [
            "EBS",
            "EFS",
            "Timestream",
            "CloudFormation",
            "VirtualMachine",
        ] {
            cold.check_cold_storage(ty, false).unwrap();
        }
        cold.check_cold_storage("DynamoDB", true).unwrap();
        for (ty, advanced) in [
            ("DynamoDB", false),
            ("EC2", true),
            ("RDS", true),
            ("Aurora", true),
            ("FSx", true),
            ("S3", true),
            ("Redshift", true),
            ("Storage Gateway", true),
        ] {
            let e = cold.check_cold_storage(ty, advanced).unwrap_err();
            assert_eq!(e.code, "InvalidParameterValueException", "{ty}");
        }
        // No move to cold storage: any type.
        parse(json!({"DeleteAfterDays": 5}))
            .unwrap()
            .check_cold_storage("RDS", false)
            .unwrap();
    }
}
