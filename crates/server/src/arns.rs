//! Recovery point ARNs per resource type, as AWS Backup writes them (the seed's table,
//! "AWS Backup resource ARNs", from AWS Backup's access-control page).

use vaultward_iam::arn::Arn;

/// The resource type AWS Backup reports for a source resource ARN, or `None` when AWS Backup
/// does not protect it.
pub fn resource_type(resource_arn: &str) -> Option<&'static str> {
    let a = Arn::parse(resource_arn)?;
    let r = a.resource;
    Some(match a.service {
        "ec2" if r.starts_with("volume/") => "EBS",
        "ec2" if r.starts_with("instance/") => "EC2",
        "rds" if r.starts_with("db:") => "RDS",
        // DocumentDB and Neptune clusters have the same ARN form; they are reported as Aurora.
        "rds" if r.starts_with("cluster:") => "Aurora",
        "dynamodb" if r.strip_prefix("table/").is_some_and(|t| !t.contains('/')) => "DynamoDB",
        "elasticfilesystem" if r.starts_with("file-system/") => "EFS",
        "fsx" if r.starts_with("file-system/") => "FSx",
        "s3" if !r.is_empty() && !r.contains('/') => "S3",
        "storagegateway" if r.contains("/volume/") => "Storage Gateway",
        "redshift" if r.starts_with("cluster:") => "Redshift",
        "timestream" if r.starts_with("database/") => "Timestream",
        "cloudformation" if r.starts_with("stack/") => "CloudFormation",
        "backup-gateway" if r.starts_with("vm/") => "VirtualMachine",
        "ssm-sap" => "SAP HANA on Amazon EC2",
        _ => return None,
    })
}

fn hex17() -> String {
    let mut s = uuid::Uuid::new_v4().simple().to_string();
    s.truncate(17);
    s
}

/// `YYYYMMDDhhmmss` for epoch seconds (UTC), for years 1970 to 9999 (earlier and later
/// times are clamped, so the arithmetic below stays far from overflow).
#[expect(
    clippy::arithmetic_side_effects,
    reason = "days since the epoch of a clamped time: every term is bounded by a few million"
)]
pub fn compact_time(t: f64) -> String {
    let secs = (t as i64).clamp(0, 253_402_300_799);
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A new recovery point ARN for a backup of `resource_arn` (of `resource_type`) into a vault
/// in `region` of `account`, at `now`.
pub fn recovery_point_arn(
    resource_arn: &str,
    resource_type: &str,
    region: &str,
    account: &str,
    advanced_dynamodb: bool,
    now: f64,
) -> String {
    let backup_rp = || {
        format!(
            "arn:aws:backup:{region}:{account}:recovery-point:{}",
            uuid::Uuid::new_v4().to_string().to_uppercase()
        )
    };
    let job = || format!("job-{}", uuid::Uuid::new_v4());
    let resource = Arn::parse(resource_arn).map_or("", |a| a.resource);
    match resource_type {
        "EBS" | "Storage Gateway" => format!("arn:aws:ec2:{region}::snapshot/snap-{}", hex17()),
        "EC2" => format!("arn:aws:ec2:{region}::image/ami-{}", hex17()),
        "RDS" => format!(
            "arn:aws:rds:{region}:{account}:snapshot:awsbackup:{}",
            job()
        ),
        "Aurora" => format!(
            "arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:{}",
            job()
        ),
        "DynamoDB" if !advanced_dynamodb => format!(
            "arn:aws:dynamodb:{region}:{account}:{resource}/backup/{:013}-{}",
            (now * 1000.0) as i64,
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .get(..8)
                .unwrap_or_default()
        ),
        "FSx" => format!("arn:aws:fsx:{region}:{account}:backup/backup-{}", hex17()),
        "Redshift" => format!(
            "arn:aws:redshift:{region}:{account}:snapshot:{}/awsbackup:{}",
            resource.trim_start_matches("cluster:"),
            job()
        ),
        // S3 periodic backups: `BUCKET-YYYYMMDDhhmmss-SUFFIX`.
        "S3" => format!(
            "arn:aws:backup:{region}:{account}:recovery-point:{resource}-{}-{}",
            compact_time(now),
            uuid::Uuid::new_v4()
                .simple()
                .to_string()
                .get(..8)
                .unwrap_or_default()
        ),
        _ => backup_rp(),
    }
}

/// ISO 8601 in UTC, as STS writes `Expiration` and `aws:CurrentTime` takes it.
pub fn iso8601(epoch: f64) -> String {
    let t = compact_time(epoch);
    let part = |a: usize, b: usize| t.get(a..b).unwrap_or("00");
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        part(0, 4),
        part(4, 6),
        part(6, 8),
        part(8, 10),
        part(10, 12),
        part(12, 14)
    )
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]
    use super::*;

    fn matches(pattern: &str, arn: &str) -> bool {
        vaultward_iam::glob::Glob::new(pattern).is_match(arn)
    }

    /// Each row of the seed's "AWS Backup resource ARNs" table.
    #[test]
    fn recovery_point_arns_follow_the_table() {
        let (r, a, t) = ("us-east-1", "111122223333", 1_700_000_000.0);
        let rows = [
            (
                "arn:aws:ec2:us-east-1:111122223333:volume/vol-1",
                "EBS",
                "arn:aws:ec2:us-east-1::snapshot/snap-*",
            ),
            (
                "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
                "EC2",
                "arn:aws:ec2:us-east-1::image/ami-*",
            ),
            (
                "arn:aws:rds:us-east-1:111122223333:db:orders",
                "RDS",
                "arn:aws:rds:us-east-1:111122223333:snapshot:awsbackup:job-*",
            ),
            (
                "arn:aws:rds:us-east-1:111122223333:cluster:c1",
                "Aurora",
                "arn:aws:rds:us-east-1:111122223333:cluster-snapshot:awsbackup:job-*",
            ),
            (
                "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1",
                "EFS",
                "arn:aws:backup:us-east-1:111122223333:recovery-point:*",
            ),
            (
                "arn:aws:fsx:us-east-1:111122223333:file-system/fs-1",
                "FSx",
                "arn:aws:fsx:us-east-1:111122223333:backup/backup-*",
            ),
            (
                "arn:aws:s3:::my-bucket",
                "S3",
                "arn:aws:backup:us-east-1:111122223333:recovery-point:my-bucket-20231114221320-*",
            ),
            (
                "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-1/volume/vol-1",
                "Storage Gateway",
                "arn:aws:ec2:us-east-1::snapshot/snap-*",
            ),
            (
                "arn:aws:redshift:us-east-1:111122223333:cluster:wh",
                "Redshift",
                "arn:aws:redshift:us-east-1:111122223333:snapshot:wh/awsbackup:job-*",
            ),
            (
                "arn:aws:timestream:us-east-1:111122223333:database/db/table/t",
                "Timestream",
                "arn:aws:backup:us-east-1:111122223333:recovery-point:*",
            ),
            (
                "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1",
                "CloudFormation",
                "arn:aws:backup:us-east-1:111122223333:recovery-point:*",
            ),
            (
                "arn:aws:backup-gateway:us-east-1:111122223333:vm/vm-1",
                "VirtualMachine",
                "arn:aws:backup:us-east-1:111122223333:recovery-point:*",
            ),
        ];
        for (res, ty, pattern) in rows {
            assert_eq!(resource_type(res), Some(ty), "{res}");
            let arn = recovery_point_arn(res, ty, r, a, true, t);
            assert!(matches(pattern, &arn), "{ty}: {arn} !~ {pattern}");
        }
        let table = "arn:aws:dynamodb:us-east-1:111122223333:table/MyTable";
        assert_eq!(resource_type(table), Some("DynamoDB"));
        let plain = recovery_point_arn(table, "DynamoDB", r, a, false, t);
        assert!(
            matches(
                "arn:aws:dynamodb:us-east-1:111122223333:table/MyTable/backup/1700000000000-*",
                &plain
            ),
            "{plain}"
        );
        let advanced = recovery_point_arn(table, "DynamoDB", r, a, true, t);
        assert!(matches(
            "arn:aws:backup:us-east-1:111122223333:recovery-point:*",
            &advanced
        ));
        assert_eq!(resource_type("arn:aws:sqs:us-east-1:111122223333:q"), None);
    }

    #[test]
    fn compact_times() {
        assert_eq!(compact_time(0.0), "19700101000000");
        assert_eq!(compact_time(1_700_000_000.0), "20231114221320");
    }
}
