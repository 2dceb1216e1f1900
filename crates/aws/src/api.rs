//! Every AWS API call the collector can make, with the IAM action that authorizes it.
//! The collector makes calls only through [`Api`], so this table is the whole of what it
//! needs; a test evaluates each row against the generated inventory policy.

/// One AWS API operation the collector calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Api {
    GetCallerIdentity,
    GetAccountAuthorizationDetails,
    DescribeOrganization,
    ListParents,
    ListPoliciesForTarget,
    DescribePolicy,
    DescribeRegions,
    ListBuckets,
    GetBucketLocation,
    GetBucketPolicy,
    GetBucketOwnershipControls,
    GetPublicAccessBlock,
    GetBucketEncryption,
    GetBucketVersioning,
    GetBucketTagging,
    ListObjectVersions,
    HeadObject,
    ListKeys,
    DescribeKey,
    GetKeyPolicy,
    ListGrants,
    ListAliases,
    ListTables,
    DescribeTable,
    ListTagsOfResource,
    DescribeInstances,
    DescribeVolumes,
    ListBackupVaults,
    GetBackupVaultAccessPolicy,
    ListRecoveryPointsByBackupVault,
    ListFunctions,
    ListEventSourceMappings,
    DescribeStacks,
    ListNotebookInstances,
    DescribeNotebookInstance,
    GetDevEndpoints,
    ListProjects,
    BatchGetProjects,
    ListTaskDefinitions,
    DescribeTaskDefinition,
    DescribeInstanceInformation,
    // The management-account side of `collect --org` (see [`Api::MANAGEMENT`]).
    ListRoots,
    ListOrganizationalUnitsForParent,
    ListAccountsForParent,
    ListPolicies,
    ListTargetsForPolicy,
    AssumeRole,
}

impl Api {
    pub const ALL: &'static [Api] = &[
        Api::GetCallerIdentity,
        Api::GetAccountAuthorizationDetails,
        Api::DescribeOrganization,
        Api::ListParents,
        Api::ListPoliciesForTarget,
        Api::DescribePolicy,
        Api::DescribeRegions,
        Api::ListBuckets,
        Api::GetBucketLocation,
        Api::GetBucketPolicy,
        Api::GetBucketOwnershipControls,
        Api::GetPublicAccessBlock,
        Api::GetBucketEncryption,
        Api::GetBucketVersioning,
        Api::GetBucketTagging,
        Api::ListObjectVersions,
        Api::HeadObject,
        Api::ListKeys,
        Api::DescribeKey,
        Api::GetKeyPolicy,
        Api::ListGrants,
        Api::ListAliases,
        Api::ListTables,
        Api::DescribeTable,
        Api::ListTagsOfResource,
        Api::DescribeInstances,
        Api::DescribeVolumes,
        Api::ListBackupVaults,
        Api::GetBackupVaultAccessPolicy,
        Api::ListRecoveryPointsByBackupVault,
        Api::ListFunctions,
        Api::ListEventSourceMappings,
        Api::DescribeStacks,
        Api::ListNotebookInstances,
        Api::DescribeNotebookInstance,
        Api::GetDevEndpoints,
        Api::ListProjects,
        Api::BatchGetProjects,
        Api::ListTaskDefinitions,
        Api::DescribeTaskDefinition,
        Api::DescribeInstanceInformation,
    ];

    /// Every call `collect --org` makes as the caller (the management account or a delegated
    /// administrator) before it collects each account with the member role; the policy
    /// `docs/collect.md` documents for that side grants exactly these actions (a test holds
    /// them together). Collecting the caller's own account also needs [`Api::ALL`].
    pub const MANAGEMENT: &'static [Api] = &[
        Api::GetCallerIdentity,
        Api::DescribeOrganization,
        Api::ListRoots,
        Api::ListOrganizationalUnitsForParent,
        Api::ListAccountsForParent,
        Api::ListPolicies,
        Api::DescribePolicy,
        Api::ListTargetsForPolicy,
        Api::AssumeRole,
    ];

    /// The IAM action that authorizes the call, from the Service Authorization Reference;
    /// `None` for `sts:GetCallerIdentity`, which needs no permission ("No permissions are
    /// required to perform this operation", STS API reference).
    pub fn action(self) -> Option<&'static str> {
        Some(match self {
            Api::GetCallerIdentity => return None,
            Api::GetAccountAuthorizationDetails => "iam:GetAccountAuthorizationDetails",
            Api::DescribeOrganization => "organizations:DescribeOrganization",
            Api::ListParents => "organizations:ListParents",
            Api::ListPoliciesForTarget => "organizations:ListPoliciesForTarget",
            Api::DescribePolicy => "organizations:DescribePolicy",
            Api::DescribeRegions => "ec2:DescribeRegions",
            Api::ListBuckets => "s3:ListAllMyBuckets",
            Api::GetBucketLocation => "s3:GetBucketLocation",
            Api::GetBucketPolicy => "s3:GetBucketPolicy",
            Api::GetBucketOwnershipControls => "s3:GetBucketOwnershipControls",
            Api::GetPublicAccessBlock => "s3:GetBucketPublicAccessBlock",
            Api::GetBucketEncryption => "s3:GetEncryptionConfiguration",
            Api::GetBucketVersioning => "s3:GetBucketVersioning",
            Api::GetBucketTagging => "s3:GetBucketTagging",
            Api::ListObjectVersions => "s3:ListBucketVersions",
            // HeadObject with a version id needs s3:GetObjectVersion (see `actions`).
            Api::HeadObject => "s3:GetObject",
            Api::ListKeys => "kms:ListKeys",
            Api::DescribeKey => "kms:DescribeKey",
            Api::GetKeyPolicy => "kms:GetKeyPolicy",
            Api::ListGrants => "kms:ListGrants",
            Api::ListAliases => "kms:ListAliases",
            Api::ListTables => "dynamodb:ListTables",
            Api::DescribeTable => "dynamodb:DescribeTable",
            Api::ListTagsOfResource => "dynamodb:ListTagsOfResource",
            Api::DescribeInstances => "ec2:DescribeInstances",
            Api::DescribeVolumes => "ec2:DescribeVolumes",
            Api::ListBackupVaults => "backup:ListBackupVaults",
            Api::GetBackupVaultAccessPolicy => "backup:GetBackupVaultAccessPolicy",
            Api::ListRecoveryPointsByBackupVault => "backup:ListRecoveryPointsByBackupVault",
            Api::ListFunctions => "lambda:ListFunctions",
            Api::ListEventSourceMappings => "lambda:ListEventSourceMappings",
            Api::DescribeStacks => "cloudformation:DescribeStacks",
            Api::ListNotebookInstances => "sagemaker:ListNotebookInstances",
            Api::DescribeNotebookInstance => "sagemaker:DescribeNotebookInstance",
            Api::GetDevEndpoints => "glue:GetDevEndpoints",
            Api::ListProjects => "codebuild:ListProjects",
            Api::BatchGetProjects => "codebuild:BatchGetProjects",
            Api::ListTaskDefinitions => "ecs:ListTaskDefinitions",
            Api::DescribeTaskDefinition => "ecs:DescribeTaskDefinition",
            Api::DescribeInstanceInformation => "ssm:DescribeInstanceInformation",
            Api::ListRoots => "organizations:ListRoots",
            Api::ListOrganizationalUnitsForParent => {
                "organizations:ListOrganizationalUnitsForParent"
            }
            Api::ListAccountsForParent => "organizations:ListAccountsForParent",
            Api::ListPolicies => "organizations:ListPolicies",
            Api::ListTargetsForPolicy => "organizations:ListTargetsForPolicy",
            Api::AssumeRole => "sts:AssumeRole",
        })
    }

    /// Every action the call may need: HeadObject on a version also needs
    /// `s3:GetObjectVersion`.
    pub fn actions(self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self.action().into_iter().collect();
        if self == Api::HeadObject {
            out.push("s3:GetObjectVersion");
        }
        out
    }

    /// An example resource the call is made on, in `account` and `region`, for tests and
    /// for the summary's wording.
    pub fn sample_resource(self, account: &str, region: &str) -> String {
        match self {
            Api::GetBucketLocation
            | Api::GetBucketPolicy
            | Api::GetBucketOwnershipControls
            | Api::GetPublicAccessBlock
            | Api::GetBucketEncryption
            | Api::GetBucketVersioning
            | Api::GetBucketTagging
            | Api::ListObjectVersions => "arn:aws:s3:::customer-bucket".into(),
            Api::HeadObject => "arn:aws:s3:::customer-bucket/a.txt".into(),
            Api::DescribeKey | Api::GetKeyPolicy | Api::ListGrants => {
                format!("arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
            }
            Api::DescribeTable | Api::ListTagsOfResource => {
                format!("arn:aws:dynamodb:{region}:{account}:table/orders")
            }
            Api::GetBackupVaultAccessPolicy | Api::ListRecoveryPointsByBackupVault => {
                format!("arn:aws:backup:{region}:{account}:backup-vault:Default")
            }
            Api::DescribeStacks => {
                format!("arn:aws:cloudformation:{region}:{account}:stack/app/1")
            }
            Api::DescribeNotebookInstance => {
                format!("arn:aws:sagemaker:{region}:{account}:notebook-instance/analysis")
            }
            Api::BatchGetProjects => format!("arn:aws:codebuild:{region}:{account}:project/build"),
            Api::AssumeRole => {
                format!("arn:aws:iam::{account}:role/vaultward/VaultwardInventoryRole")
            }
            Api::ListOrganizationalUnitsForParent | Api::ListAccountsForParent => {
                "arn:aws:organizations::111111111111:root/o-a1b2c3d4e5/r-ab12".into()
            }
            Api::DescribePolicy | Api::ListTargetsForPolicy => {
                "arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/service_control_policy/p-examplepolicyid111".into()
            }
            _ => "*".into(),
        }
    }

    /// The operation's name as AWS spells it.
    pub fn name(self) -> String {
        format!("{self:?}")
    }
}
