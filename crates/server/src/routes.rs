//! AWS Backup's REST paths (from the service's API model, as the AWS CLI sends them) to
//! operations. Path labels arrive percent-encoded (an ARN's `/` as `%2F`) and are decoded
//! here, one segment at a time.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    CreateBackupVault(String),
    DescribeBackupVault(String),
    ListBackupVaults,
    DeleteBackupVault(String),
    PutBackupVaultAccessPolicy(String),
    GetBackupVaultAccessPolicy(String),
    DeleteBackupVaultAccessPolicy(String),
    PutBackupVaultLockConfiguration(String),
    DeleteBackupVaultLockConfiguration(String),
    StartBackupJob,
    DescribeBackupJob(String),
    ListBackupJobs,
    ListRecoveryPointsByBackupVault(String),
    DescribeRecoveryPoint(String, String),
    UpdateRecoveryPointLifecycle(String, String),
    DeleteRecoveryPoint(String, String),
    StartRestoreJob,
    DescribeRestoreJob(String),
    StartCopyJob,
    DescribeCopyJob(String),
    TagResource(String),
    UntagResource(String),
    ListTags(String),
}

impl Route {
    /// The operation's name, which is also its IAM action after `backup:`.
    pub fn name(&self) -> &'static str {
        match self {
            Route::CreateBackupVault(_) => "CreateBackupVault",
            Route::DescribeBackupVault(_) => "DescribeBackupVault",
            Route::ListBackupVaults => "ListBackupVaults",
            Route::DeleteBackupVault(_) => "DeleteBackupVault",
            Route::PutBackupVaultAccessPolicy(_) => "PutBackupVaultAccessPolicy",
            Route::GetBackupVaultAccessPolicy(_) => "GetBackupVaultAccessPolicy",
            Route::DeleteBackupVaultAccessPolicy(_) => "DeleteBackupVaultAccessPolicy",
            Route::PutBackupVaultLockConfiguration(_) => "PutBackupVaultLockConfiguration",
            Route::DeleteBackupVaultLockConfiguration(_) => "DeleteBackupVaultLockConfiguration",
            Route::StartBackupJob => "StartBackupJob",
            Route::DescribeBackupJob(_) => "DescribeBackupJob",
            Route::ListBackupJobs => "ListBackupJobs",
            Route::ListRecoveryPointsByBackupVault(_) => "ListRecoveryPointsByBackupVault",
            Route::DescribeRecoveryPoint(..) => "DescribeRecoveryPoint",
            Route::UpdateRecoveryPointLifecycle(..) => "UpdateRecoveryPointLifecycle",
            Route::DeleteRecoveryPoint(..) => "DeleteRecoveryPoint",
            Route::StartRestoreJob => "StartRestoreJob",
            Route::DescribeRestoreJob(_) => "DescribeRestoreJob",
            Route::StartCopyJob => "StartCopyJob",
            Route::DescribeCopyJob(_) => "DescribeCopyJob",
            Route::TagResource(_) => "TagResource",
            Route::UntagResource(_) => "UntagResource",
            Route::ListTags(_) => "ListTags",
        }
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .to_string()
}

pub fn route(method: &str, raw_path: &str) -> Option<Route> {
    let mut segs: Vec<String> = raw_path.split('/').skip(1).map(decode).collect();
    if segs.last().is_some_and(String::is_empty) {
        segs.pop();
    }
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let own = |i: usize| s.get(i).map_or_else(String::new, |x| x.to_string());
    Some(match (method, s.as_slice()) {
        ("GET", ["backup-vaults"]) => Route::ListBackupVaults,
        ("PUT", ["backup-vaults", _]) => Route::CreateBackupVault(own(1)),
        ("GET", ["backup-vaults", _]) => Route::DescribeBackupVault(own(1)),
        ("DELETE", ["backup-vaults", _]) => Route::DeleteBackupVault(own(1)),
        ("PUT", ["backup-vaults", _, "access-policy"]) => Route::PutBackupVaultAccessPolicy(own(1)),
        ("GET", ["backup-vaults", _, "access-policy"]) => Route::GetBackupVaultAccessPolicy(own(1)),
        ("DELETE", ["backup-vaults", _, "access-policy"]) => {
            Route::DeleteBackupVaultAccessPolicy(own(1))
        }
        ("PUT", ["backup-vaults", _, "vault-lock"]) => {
            Route::PutBackupVaultLockConfiguration(own(1))
        }
        ("DELETE", ["backup-vaults", _, "vault-lock"]) => {
            Route::DeleteBackupVaultLockConfiguration(own(1))
        }
        ("GET", ["backup-vaults", _, "recovery-points"]) => {
            Route::ListRecoveryPointsByBackupVault(own(1))
        }
        ("GET", ["backup-vaults", _, "recovery-points", _]) => {
            Route::DescribeRecoveryPoint(own(1), own(3))
        }
        ("POST", ["backup-vaults", _, "recovery-points", _]) => {
            Route::UpdateRecoveryPointLifecycle(own(1), own(3))
        }
        ("DELETE", ["backup-vaults", _, "recovery-points", _]) => {
            Route::DeleteRecoveryPoint(own(1), own(3))
        }
        ("PUT", ["backup-jobs"]) => Route::StartBackupJob,
        ("GET", ["backup-jobs"]) => Route::ListBackupJobs,
        ("GET", ["backup-jobs", _]) => Route::DescribeBackupJob(own(1)),
        ("PUT", ["restore-jobs"]) => Route::StartRestoreJob,
        ("GET", ["restore-jobs", _]) => Route::DescribeRestoreJob(own(1)),
        ("PUT", ["copy-jobs"]) => Route::StartCopyJob,
        ("GET", ["copy-jobs", _]) => Route::DescribeCopyJob(own(1)),
        ("POST", ["tags", _]) => Route::TagResource(own(1)),
        ("GET", ["tags", _]) => Route::ListTags(own(1)),
        ("POST", ["untag", _]) => Route::UntagResource(own(1)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_the_cli_sends_them() {
        assert_eq!(
            route("GET", "/backup-vaults/"),
            Some(Route::ListBackupVaults)
        );
        assert_eq!(
            route("PUT", "/backup-vaults/v1/access-policy"),
            Some(Route::PutBackupVaultAccessPolicy("v1".into()))
        );
        assert_eq!(
            route(
                "DELETE",
                "/backup-vaults/v1/recovery-points/arn%3Aaws%3Aec2%3Aus-east-1%3A%3Asnapshot%2Fsnap-1"
            ),
            Some(Route::DeleteRecoveryPoint(
                "v1".into(),
                "arn:aws:ec2:us-east-1::snapshot/snap-1".into()
            ))
        );
        assert_eq!(
            route(
                "GET",
                "/tags/arn%3Aaws%3Abackup%3Aus-east-1%3A1%3Abackup-vault%3Av1/"
            ),
            Some(Route::ListTags(
                "arn:aws:backup:us-east-1:1:backup-vault:v1".into()
            ))
        );
        assert_eq!(route("PATCH", "/backup-vaults/v1"), None);
        assert_eq!(route("GET", "/nothing"), None);
    }
}
