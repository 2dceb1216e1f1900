//! The typed part of a finding: what `fix`, the reports and other tools act on. Codes and
//! kinds are enums (serialized as stable kebab-case strings); the deciding statement is
//! located by data (which document of the snapshot, which statement), never by its prose.

use serde::{Deserialize, Serialize};
use vaultward_iam::authorizer::PolicyType;
use vaultward_iam::policy::Effect;

macro_rules! kebab_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];

            /// The stable string (as serialized).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

kebab_enum! {
    /// What a finding is: its stable code (the README lists them).
    pub enum Code {
        /// A Deny statement of the bucket policy applies to the role.
        ExplicitDenyBucketPolicy => "explicit-deny-bucket-policy",
        /// The key policy denies the role, or does not allow it.
        KmsKeyPolicyDenies => "kms-key-policy-denies",
        /// The data is encrypted with an AWS managed key, whose policy cannot be edited.
        AwsManagedKey => "aws-managed-key",
        /// The backup vault's access policy denies the role.
        VaultPolicyDenies => "vault-policy-denies",
        /// Another resource policy denies the role.
        ResourcePolicyDenies => "resource-policy-denies",
        /// A service control policy denies, or a level of them does not allow.
        ScpDenies => "scp-denies",
        /// A resource control policy denies.
        RcpDenies => "rcp-denies",
        /// The role's permissions boundary denies or does not allow.
        BoundaryDenies => "boundary-denies",
        /// A Deny in one of the role's own policies applies.
        IdentityPolicyDenies => "identity-policy-denies",
        /// No policy of the role allows the request.
        MissingIdentityPermission => "missing-identity-permission",
        /// Objects encrypted with customer-provided keys (SSE-C).
        SseCObject => "sse-c-object",
        /// Objects owned by another account while ACLs are in force.
        ObjectOwnerMismatch => "object-owner-mismatch",
        /// A `NotPrincipal` with a wildcard ARN, which AWS never matches (warning).
        NotprincipalWildcard => "notprincipal-wildcard",
        /// The answer depends on a value the snapshot does not hold (the residual says which).
        CannotDecide => "cannot-decide",
        /// A level of SCPs or RCPs lacks an Allow, and one of its policies is unreadable.
        OrgPolicyUnreadable => "org-policy-unreadable",
        /// Something the check needs is not in the snapshot.
        NotCollected => "not-collected",
        /// A policy document in the snapshot cannot be read.
        UnreadablePolicy => "unreadable-policy",
        /// Objects with no recorded owner in a bucket where ACLs are in force.
        ObjectOwnerUnknown => "object-owner-unknown",
        /// The listing of a bucket's objects is a sample.
        ListingTruncated => "listing-truncated",
        /// The organization's SCPs and RCPs were not collected.
        OrganizationPoliciesNotCollected => "organization-policies-not-collected",
        /// ACLs are in force on the bucket, and the role writes no ACL: an object's
        /// non-private ACL is a manual step of its restore (warning).
        AclNotRestored => "acl-not-restored",
    }
}

impl Code {
    /// What the code means, and what to do about it: SARIF's `fullDescription` and
    /// `help`, and the sections of `docs/codes.md` (a test keeps them the same).
    pub fn help(self) -> (&'static str, &'static str) {
        match self {
            Code::ExplicitDenyBucketPolicy => ("A Deny statement of the bucket's policy applies to the backup role, so S3 refuses the request whatever the role's own policies allow.", "Exempt the role from the Deny (add its ARN to an `aws:PrincipalArn` condition of the statement, not to a `NotPrincipal` wildcard), or narrow the statement to what it is meant to block. `vaultward fix` writes the patch and verifies it opens nothing to anyone else."),
            Code::KmsKeyPolicyDenies => ("The KMS key that encrypts the data denies the role, or its key policy grants the role nothing (key policies must allow, identity policies alone are not enough unless the key policy delegates to the account).", "Add a statement to the key policy that allows the role the KMS actions the operation needs (for example `kms:Decrypt` for backup, `kms:GenerateDataKey` for restore), or delegate to the account's IAM policies."),
            Code::AwsManagedKey => ("The data is encrypted with an AWS managed key (`aws/s3`, `aws/ebs`, ...), whose key policy cannot be edited and grants other accounts' services nothing.", "Re-encrypt the data with a customer managed key whose policy allows the role, or back it up with a role of the same account."),
            Code::VaultPolicyDenies => ("The backup vault's access policy denies the role the vault operation.", "Exempt the role from the vault policy's Deny, or narrow it."),
            Code::ResourcePolicyDenies => ("A resource policy other than a bucket, key or vault policy (for example a DynamoDB table's) denies the role.", "Exempt the role from the Deny, or narrow it."),
            Code::ScpDenies => ("A service control policy of the account's organization denies the request, or a level of SCPs (root, an OU, the account) allows nothing that covers it.", "Ask the organization's administrators to exempt the role (an `aws:PrincipalArn` condition on the Deny, or an Allow at the level that lacks one)."),
            Code::RcpDenies => ("A resource control policy of the organization denies the request on the resource.", "Ask the organization's administrators to exempt the role in the RCP."),
            Code::BoundaryDenies => ("The role's permissions boundary denies the request or does not allow it: a boundary caps what identity policies grant.", "Add the operation's actions to the boundary, or remove the boundary's Deny."),
            Code::IdentityPolicyDenies => ("A Deny statement in one of the role's own policies applies to the request.", "Remove or narrow the Deny."),
            Code::MissingIdentityPermission => ("No policy of the role allows the request: the role lacks a permission the operation needs.", "Regenerate the role's policy with `vaultward permissions` for the assets in use, or add the action to it."),
            Code::SseCObject => ("Objects are encrypted with customer-provided keys (SSE-C): S3 needs the key with every read, and the backup service does not have it.", "Re-encrypt the objects with SSE-S3 or SSE-KMS, or exclude them from the backup."),
            Code::ObjectOwnerMismatch => ("ACLs are in force on the bucket and objects are owned by another account: the bucket owner's policies do not reach them, so the role cannot read them.", "Set the bucket's Object Ownership to `BucketOwnerEnforced` (ACLs disabled), after checking that no one relies on ACLs."),
            Code::NotprincipalWildcard => ("A `NotPrincipal` element holds a wildcard ARN. AWS does not match wildcards in `NotPrincipal`, so the statement exempts no one it seems to.", "Use `\"Principal\": \"*\"` with an `ArnNotLike` condition on `aws:PrincipalArn` instead."),
            Code::CannotDecide => ("The answer depends on a value AWS puts in the request but the snapshot does not hold (see `docs/request-context.md`): the backup service's egress address (`aws:SourceIp`), the Region of a bucket, the encryption context S3 sends when the bucket's S3 Bucket Key setting was not collected, a role's path, tags that were not collected. The finding names the statement whose condition depends on it, says which values allow and which deny (\"allowed only if `aws:SourceIp` is in `192.0.2.0/24` (resource policy `office-only`, statement `IPAllow`)\") and what would settle it. An unknown value is never taken as absent, and never guessed.", "Give the fact: `--network` (egress CIDRs, VPC endpoint, TLS version), `--context KEY=VALUE`, `--at` for the time keys, or a fuller snapshot. Where the dependency comes from a Deny, `vaultward fix` exempts the role in it with an `ArnNotLike` condition on `aws:PrincipalArn`, which removes it whatever the value is (verified like every patch); otherwise it writes a manual entry naming the fact."),
            Code::OrgPolicyUnreadable => ("A level of SCPs or RCPs allows nothing readable, and one of its policies cannot be read, so whether it allows is unknown.", "Fix or re-collect the unreadable policy."),
            Code::NotCollected => ("Something the check needs is not in the snapshot (a policy, a key, the objects), so the pair is unknown, never ok.", "Collect it (`vaultward collect` with permissions to read it), or add it to the snapshot."),
            Code::UnreadablePolicy => ("A policy document in the snapshot cannot be read: the finding carries the parser's errors with their JSON path, line and column.", "Fix the document (`vaultward validate` shows every error at once) and collect again."),
            Code::ObjectOwnerUnknown => ("Objects have no recorded owner in a bucket where ACLs are in force, so whether the role can read them is unknown.", "Collect the objects with their owners (`--objects all`), or disable ACLs on the bucket."),
            Code::ListingTruncated => ("The listing of the bucket's objects is a sample: the figures are at least those shown, and objects not listed are not checked.", "Collect every object (`--objects all`) or give an S3 Inventory listing with `--inventory`."),
            Code::OrganizationPoliciesNotCollected => ("The organization's SCPs and RCPs were not collected (a member account usually cannot read them), so whether they deny is unknown.", "Collect from the management account, or pass `--assume-org-policies-allow` to decide as if they denied nothing (reported as a warning)."),
            Code::AclNotRestored => ("ACLs are in force on the bucket and the role writes no ACL: restored objects are private, and an object's non-private ACL must be set again by hand.", "Disable ACLs on the bucket (`BucketOwnerEnforced`), or set the ACLs after the restore."),
        }
    }
}

kebab_enum! {
    /// What kind of thing a finding's `resource` is.
    pub enum ResourceKind {
        Bucket => "bucket",
        Table => "table",
        Volume => "volume",
        Instance => "instance",
        Vault => "vault",
        /// The backup role (its policies could not be read).
        Role => "role",
        /// The whole account (its organization's policies).
        Account => "account",
        /// A list of resources that was not collected.
        ResourceList => "resource-list",
    }
}

/// Where a deciding document lives in the snapshot: what `fix` patches and what the
/// apply command names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum DocRef {
    /// A bucket's policy (`buckets[].policy`).
    BucketPolicy { bucket: String },
    /// A KMS key's policy (`kms_keys[].policy`), by the key's ARN.
    KeyPolicy { key: String },
    /// A backup vault's access policy, by the vault's ARN.
    VaultPolicy { vault: String },
    /// One SCP (`organization.scps[level][index]`).
    Scp {
        level: usize,
        index: usize,
        name: String,
    },
    /// A level of SCPs as a whole (none of them allows).
    ScpLevel { level: usize },
    /// One RCP (`organization.rcps[level][index]`).
    Rcp {
        level: usize,
        index: usize,
        name: String,
    },
    /// The role's permissions boundary, a managed policy.
    Boundary { policy: String },
    /// A managed policy attached to the role.
    ManagedPolicy { policy: String },
    /// An inline policy of the role.
    InlinePolicy { role: String, name: String },
    /// The role's identity policies as a whole (none of them allows).
    RoleIdentity { role: String },
    /// A bucket's S3 Object Ownership setting.
    OwnershipControls { bucket: String },
    /// The vendor's side of the request (a document the customer does not own).
    Vendor,
}

impl DocRef {
    /// For an organization's policy (an SCP or RCP, or an SCP level), what names it
    /// whichever account's path it sits on: the same policy governs each of them.
    pub fn organization_key(&self) -> Option<String> {
        match self {
            DocRef::Scp { name, .. } => Some(format!("scp:{name}")),
            DocRef::Rcp { name, .. } => Some(format!("rcp:{name}")),
            DocRef::ScpLevel { level } => Some(format!("scp-level:{level}")),
            _ => None,
        }
    }
}

/// The statement (or the missing Allow) that decided a request, as the engine reported it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Decider {
    pub policy_type: PolicyType,
    /// The document in the snapshot; absent for a session policy or the vendor's side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<DocRef>,
    /// SCP/RCP level (0 is the organization root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    /// The statement's position in the document; absent when no statement allows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<Effect>,
    /// The engine could not decide whether this Deny applies.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub undecided: bool,
}

impl Decider {
    /// A Deny statement (rather than a missing Allow).
    pub fn is_deny(&self) -> bool {
        self.effect == Some(Effect::Deny) && self.statement_index.is_some()
    }
}
