//! The checks `vaultward validate` runs: one table, from which the findings' codes and
//! severities, `vaultward validate --help`, the SARIF rules and `docs/codes.md` are written.
//!
//! Every check of IAM Access Analyzer's policy check reference is here under the name
//! Access Analyzer gives it (its section's title in kebab case; the issue code is the same
//! words in upper snake case) and with its severity ("IAM policy validation check
//! reference", https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
//! Vaultward's own checks follow, each with the page it rests on. `differs` says where
//! Vaultward deliberately departs from Access Analyzer, and why.

use super::Severity;
use crate::policy::PolicyKind;

/// Where a check's rule is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A section of Access Analyzer's policy check reference, by its anchor.
    AccessAnalyzer(&'static str),
    /// Another page (Vaultward's own checks).
    Page(&'static str),
}

/// The page of Access Analyzer's policy check reference.
pub const ACCESS_ANALYZER_REFERENCE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html";

impl Source {
    /// The address of the rule's text.
    pub fn url(self) -> String {
        match self {
            Source::AccessAnalyzer(anchor) => format!(
                "{ACCESS_ANALYZER_REFERENCE}#access-analyzer-reference-policy-checks-{anchor}"
            ),
            Source::Page(url) => url.to_string(),
        }
    }
}

/// One check: what it is called, how serious it is, where it applies, where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// The stable code of its findings (kebab case).
    pub id: &'static str,
    pub severity: Severity,
    /// The policy kinds it applies to.
    pub kinds: &'static [PolicyKind],
    pub source: Source,
    /// What the check finds, in one sentence.
    pub summary: &'static str,
    /// How Vaultward departs from Access Analyzer on this check, and why.
    pub differs: Option<&'static str>,
    /// Whether Vaultward raises it (a check Access Analyzer's page still lists but AWS no
    /// longer enforces is kept, with the reason in `differs`, and never raised).
    pub raised: bool,
    /// The code the policy reader used for it before it took Access Analyzer's name. Other
    /// crates still match on it; `validate` reports the check's `id`.
    pub legacy: Option<&'static str>,
}

impl Check {
    /// Access Analyzer's issue code (`ARN_ACCOUNT_NOT_ALLOWED`), for its checks.
    pub fn issue_code(&self) -> Option<String> {
        matches!(self.source, Source::AccessAnalyzer(_))
            .then(|| self.id.replace('-', "_").to_ascii_uppercase())
    }

    /// The code a finding of this check carries when the policy reader makes it.
    pub fn reader_code(&self) -> &'static str {
        self.legacy.unwrap_or(self.id)
    }

    /// Whether the check applies to policies of `kind`.
    pub fn applies_to(&self, kind: PolicyKind) -> bool {
        self.kinds.contains(&kind)
    }
}

/// The check whose id (or legacy code) is `code`.
pub fn by_code(code: &str) -> Option<&'static Check> {
    ALL.iter().find(|c| c.id == code || c.legacy == Some(code))
}

use PolicyKind::{Boundary, Identity, Key, Rcp, Resource, Scp, Session, Trust, Vault};

/// Every kind.
pub const ANY: &[PolicyKind] = &[
    Identity, Resource, Trust, Scp, Rcp, Boundary, Session, Key, Vault,
];
/// Policies with a `Resource` element (all but trust policies).
pub const WITH_RESOURCE: &[PolicyKind] =
    &[Identity, Resource, Scp, Rcp, Boundary, Session, Key, Vault];
/// Policies whose statements name principals.
pub const WITH_PRINCIPAL: &[PolicyKind] = &[Resource, Trust, Rcp, Key, Vault];
/// Policies that never name principals.
pub const WITHOUT_PRINCIPAL: &[PolicyKind] = &[Identity, Scp, Boundary, Session];
/// Resource-based policies other than trust policies and RCPs.
pub const RESOURCE_BASED: &[PolicyKind] = &[Resource, Key, Vault];
/// Policies that grant an identity permissions (identity, boundary, session policies).
pub const IDENTITY_BASED: &[PolicyKind] = &[Identity, Boundary, Session];
/// Policies AWS Organizations stores.
pub const ORGANIZATIONS: &[PolicyKind] = &[Scp, Rcp];
/// Policies IAM itself stores (its own syntax rules apply).
pub const IAM_STORED: &[PolicyKind] = &[Identity, Trust, Boundary, Session];
pub const TRUST: &[PolicyKind] = &[Trust];
pub const SCP: &[PolicyKind] = &[Scp];
pub const RCP: &[PolicyKind] = &[Rcp];
pub const KEY_AND_VAULT: &[PolicyKind] = &[Key, Vault];
pub const VAULT: &[PolicyKind] = &[Vault];
pub const KEY_AND_RESOURCE: &[PolicyKind] = &[Resource, Key];

const fn aa(anchor: &'static str) -> Source {
    Source::AccessAnalyzer(anchor)
}

macro_rules! checks {
    ($(
        $name:ident = $id:literal, $sev:ident, $kinds:expr, $src:expr, $summary:literal
        $(, differs: $differs:literal)? $(, retired: $retired:literal)? $(, legacy: $legacy:literal)? ;
    )*) => {
        $(
            #[doc = $summary]
            pub const $name: Check = Check {
                id: $id,
                severity: Severity::$sev,
                kinds: $kinds,
                source: $src,
                summary: $summary,
                differs: checks!(@opt $($differs)? $($retired)?),
                raised: checks!(@raised $($retired)?),
                legacy: checks!(@opt $($legacy)?),
            };
        )*
        /// Every check, Access Analyzer's first (in the order of its page), then Vaultward's.
        pub const ALL: &[Check] = &[$($name),*];
    };
    (@opt) => { None };
    (@opt $s:literal) => { Some($s) };
    (@raised) => { true };
    (@raised $s:literal) => { false };
}

checks! {
    // Errors.
    ARN_ACCOUNT_NOT_ALLOWED = "arn-account-not-allowed", Error, WITH_RESOURCE, aa("error-arn-account-not-allowed"), "A resource ARN names an account, but no resource type of its service has an account in its ARN (an S3 bucket, for example).";
    ARN_REGION_NOT_ALLOWED = "arn-region-not-allowed", Error, WITH_RESOURCE, aa("error-arn-region-not-allowed"), "A resource ARN names a Region, but no resource type of its service has a Region in its ARN (IAM is global, for example).";
    DATA_TYPE_MISMATCH = "data-type-mismatch", Error, ANY, aa("error-data-type-mismatch"), "A policy element holds a JSON value of the wrong type (a number where a string belongs, an array where an object belongs).", legacy: "invalid-type";
    DUPLICATE_KEYS_WITH_DIFFERENT_CASE = "duplicate-keys-with-different-case", Error, ANY, aa("error-duplicate-keys-with-different-case"), "One condition block names the same condition key twice, spelt with different capitals (key names ignore case).";
    INVALID_ACTION = "invalid-action", Error, ANY, aa("error-invalid-action"), "An action is not `service:Action`, or its service has no such action.";
    INVALID_ARN_ACCOUNT = "invalid-arn-account", Error, WITH_RESOURCE, aa("error-invalid-arn-account"), "A resource ARN's account field is not a 12-digit account id where the service's ARNs need one.";
    INVALID_ARN_PREFIX = "invalid-arn-prefix", Error, WITH_RESOURCE, aa("error-invalid-arn-prefix"), "A resource is neither `*` nor an ARN starting with `arn:`.", legacy: "invalid-resource";
    INVALID_ARN_REGION = "invalid-arn-region", Error, WITH_RESOURCE, aa("error-invalid-arn-region"), "A resource ARN's Region is not a Region of its partition.", differs: "Access Analyzer also knows which Regions offer each service; Vaultward's catalog knows the Regions of each partition, so it reports a Region no partition has, or one of another partition.";
    INVALID_ARN_RESOURCE = "invalid-arn-resource", Error, WITH_RESOURCE, aa("error-invalid-arn-resource"), "A resource ARN matches no resource type of its service.";
    INVALID_ARN_SERVICE_CASE = "invalid-arn-service-case", Error, WITH_RESOURCE, aa("error-invalid-arn-service-case"), "A resource ARN's service field has capital letters; service prefixes are lowercase.";
    INVALID_CONDITION_DATA_TYPE = "invalid-condition-data-type", Error, ANY, aa("error-invalid-condition-data-type"), "The values of one condition key mix JSON types (strings with numbers or booleans).";
    INVALID_CONDITION_KEY_FORMAT = "invalid-condition-key-format", Error, ANY, aa("error-invalid-condition-key-format"), "A condition key is not `service:key-name`.", legacy: "invalid-condition-key";
    INVALID_CONDITION_MULTIPLE_BOOLEAN = "invalid-condition-multiple-boolean", Error, ANY, aa("error-invalid-condition-multiple-boolean"), "A `Bool` condition lists more than one value for a key that holds one Boolean.";
    INVALID_CONDITION_OPERATOR = "invalid-condition-operator", Error, ANY, aa("error-invalid-condition-operator"), "A condition operator is not one AWS knows; AWS evaluates such a condition as not matching.", legacy: "unknown-condition-operator";
    INVALID_EFFECT = "invalid-effect", Error, ANY, aa("error-invalid-effect"), "`Effect` is neither `Allow` nor `Deny` (the value is case-sensitive).";
    INVALID_GLOBAL_CONDITION_KEY = "invalid-global-condition-key", Error, ANY, aa("error-invalid-global-condition-key"), "An `aws:` condition key is not a global condition key.";
    INVALID_PARTITION = "invalid-partition", Error, WITH_RESOURCE, aa("error-invalid-partition"), "A resource ARN's partition is not an AWS partition (`aws`, `aws-cn`, `aws-us-gov`, ...).";
    INVALID_POLICY_ELEMENT = "invalid-policy-element", Error, ANY, aa("error-invalid-policy-element"), "The policy or a statement has an element the policy language does not define (names are case-sensitive).", legacy: "unknown-element";
    INVALID_PRINCIPAL_FORMAT = "invalid-principal-format", Error, WITH_PRINCIPAL, aa("error-invalid-principal-format"), "`Principal` is neither `\"*\"` nor an object of principal keys, or an `AWS` value is no account id, ARN or unique id.", legacy: "invalid-principal";
    INVALID_PRINCIPAL_KEY = "invalid-principal-key", Error, WITH_PRINCIPAL, aa("error-invalid-principal-key"), "A `Principal` key is not `AWS`, `Service`, `Federated` or `CanonicalUser`.";
    INVALID_REGION = "invalid-region", Error, ANY, aa("error-invalid-region"), "An `aws:RequestedRegion` condition value is not a Region.";
    INVALID_SERVICE = "invalid-service", Error, ANY, aa("error-invalid-service"), "A condition key's service prefix is not an AWS service.";
    INVALID_SERVICE_CONDITION_KEY = "invalid-service-condition-key", Error, ANY, aa("error-invalid-service-condition-key"), "A condition key is not one its service defines.";
    INVALID_SERVICE_IN_ACTION = "invalid-service-in-action", Error, ANY, aa("error-invalid-service-in-action"), "An action's service prefix is not an AWS service.";
    INVALID_VARIABLE_FOR_OPERATOR = "invalid-variable-for-operator", Error, ANY, aa("error-invalid-variable-for-operator"), "A policy variable is used with an operator other than a string or ARN one.";
    INVALID_VERSION = "invalid-version", Error, ANY, aa("error-invalid-version"), "`Version` is neither `2012-10-17` nor `2008-10-17`.";
    JSON_SYNTAX_ERROR = "json-syntax-error", Error, ANY, aa("error-json-syntax-error"), "The document is not valid JSON.";
    MISSING_ACTION = "missing-action", Error, ANY, aa("error-missing-action"), "A statement has no `Action` or `NotAction`.";
    MISSING_ARN_FIELD = "missing-arn-field", Error, WITH_RESOURCE, aa("error-missing-arn-field"), "A resource ARN has fewer than the six fields of `arn:partition:service:region:account:resource`.";
    MISSING_ARN_REGION = "missing-arn-region", Error, WITH_RESOURCE, aa("error-missing-arn-region"), "A resource ARN has no Region, but every resource type of its service has one in its ARN (API Gateway, for example).";
    MISSING_EFFECT = "missing-effect", Error, ANY, aa("error-missing-effect"), "A statement has no `Effect`.";
    MISSING_PRINCIPAL = "missing-principal", Error, WITH_PRINCIPAL, aa("error-missing-principal"), "A statement of a resource-based policy names no `Principal` or `NotPrincipal`.";
    MISSING_QUALIFIER = "missing-qualifier", Error, ANY, aa("error-missing-qualifier"), "A multivalued condition key is tested without `ForAnyValue:` or `ForAllValues:`, which never matches a request with several values.", legacy: "single-value-operator-on-multivalued-key";
    MISSING_RESOURCE = "missing-resource", Error, WITH_RESOURCE, aa("error-missing-resource"), "A statement has no `Resource` or `NotResource`.";
    MISSING_STATEMENT = "missing-statement", Error, ANY, aa("error-missing-statement"), "The policy has no `Statement`, or an empty one.";
    NULL_WITH_IF_EXISTS = "null-with-if-exists", Error, ANY, aa("error-null-with-if-exists"), "`NullIfExists` is not an operator; AWS evaluates such a condition as not matching.";
    SCP_SYNTAX_ERROR_ACTION_WILDCARD = "scp-syntax-error-action-wildcard", Error, SCP, aa("error-scp-syntax-error-action-wildcard"), "An SCP action has a wildcard before its end (`iam:*Role`).", retired: "AWS Organizations has accepted the full IAM policy language in SCPs since September 2025 (\"Unlock new possibilities: AWS Organizations service control policy now supports full IAM language\", AWS Security Blog), including wildcards anywhere in an action; Vaultward does not raise this older error.";
    SCP_SYNTAX_ERROR_ALLOW_CONDITION = "scp-syntax-error-allow-condition", Error, SCP, aa("error-scp-syntax-error-allow-condition"), "An SCP's `Allow` statement has a `Condition`.", retired: "AWS Organizations has accepted the full IAM policy language in SCPs since September 2025, conditions in `Allow` statements included (AWS Security Blog, \"AWS Organizations service control policy now supports full IAM language\"); Vaultward does not raise this older error.";
    SCP_SYNTAX_ERROR_ALLOW_NOTACTION = "scp-syntax-error-allow-notaction", Error, SCP, aa("error-scp-syntax-error-allow-notaction"), "An SCP's `Allow` statement uses `NotAction`.", retired: "AWS Organizations has accepted the full IAM policy language in SCPs since September 2025, `NotAction` with `Allow` included (AWS Security Blog, \"AWS Organizations service control policy now supports full IAM language\"); Vaultward does not raise this older error.";
    SCP_SYNTAX_ERROR_ALLOW_RESOURCE = "scp-syntax-error-allow-resource", Error, SCP, aa("error-scp-syntax-error-allow-resource"), "An SCP's `Allow` statement names resources other than `*`.", retired: "AWS Organizations has accepted the full IAM policy language in SCPs since September 2025, resource ARNs in `Allow` statements included (AWS Security Blog, \"AWS Organizations service control policy now supports full IAM language\"); Vaultward does not raise this older error.";
    SCP_SYNTAX_ERROR_NOTRESOURCE = "scp-syntax-error-notresource", Error, SCP, aa("error-scp-syntax-error-notresource"), "An SCP uses `NotResource`.", retired: "AWS Organizations has accepted the full IAM policy language in SCPs since September 2025, `NotResource` included (AWS Security Blog, \"AWS Organizations service control policy now supports full IAM language\"); Vaultward does not raise this older error.";
    SCP_SYNTAX_ERROR_PRINCIPAL = "scp-syntax-error-principal", Error, SCP, aa("error-scp-syntax-error-principal"), "An SCP statement has `Principal` or `NotPrincipal`; SCPs apply to the accounts they are attached to.";
    UNIQUE_SIDS_REQUIRED = "unique-sids-required", Error, IAM_STORED, aa("error-unique-sids-required"), "Two statements share a `Sid` in a policy IAM stores, where statement ids must be unique.", legacy: "duplicate-sid";
    UNSUPPORTED_ACTION_IN_POLICY = "unsupported-action-in-policy", Error, KEY_AND_VAULT, aa("error-unsupported-action-in-policy"), "A key or vault policy names an action of another service (an S3 action in a KMS key policy).", differs: "Vaultward knows the resource type of key (`kms`) and vault (`backup`) policies; for `--kind resource` it does not know which resource the policy is attached to, so the check does not run.";
    UNSUPPORTED_ELEMENT_COMBINATION = "unsupported-element-combination", Error, ANY, aa("error-unsupported-element-combination"), "A statement has both an element and its `Not` form (`Action` and `NotAction`, ...).", legacy: "conflicting-elements";
    UNSUPPORTED_GLOBAL_CONDITION_KEY = "unsupported-global-condition-key", Error, ANY, aa("error-unsupported-global-condition-key"), "The condition key `aws:ARN` is not supported; use `aws:PrincipalArn` or `aws:SourceArn`.";
    UNSUPPORTED_PRINCIPAL = "unsupported-principal", Error, WITHOUT_PRINCIPAL, aa("error-unsupported-principal"), "An identity policy (or boundary, session policy) has `Principal` or `NotPrincipal`: it applies to the identity it is attached to.", legacy: "principal-not-allowed";
    UNSUPPORTED_RESOURCE_ARN_IN_POLICY = "unsupported-resource-arn-in-policy", Error, KEY_AND_VAULT, aa("error-unsupported-resource-arn-in-policy"), "A key or vault policy names a resource of another service (an S3 ARN in a KMS key policy).", differs: "As for `unsupported-action-in-policy`: Vaultward knows the resource type of key and vault policies only.";
    UNSUPPORTED_SID = "unsupported-sid", Error, &[Identity, Trust, Boundary, Session, Scp, Rcp], aa("error-unsupported-sid"), "A `Sid` has characters other than ASCII letters and digits.", differs: "Not raised for resource, key and vault policies: S3, KMS and AWS Backup store any string as a `Sid` (the IAM User Guide's `Sid` page leaves its format to each service).";
    UNSUPPORTED_WILDCARD_IN_PRINCIPAL = "unsupported-wildcard-in-principal", Error, WITH_PRINCIPAL, aa("error-unsupported-wildcard-in-principal"), "A principal value other than `*` holds a wildcard; AWS matches no principal by pattern, so the value names nobody.", legacy: "principal-wildcard";
    MISSING_BRACE_IN_VARIABLE = "missing-brace-in-variable", Error, ANY, aa("error-missing-brace-in-variable"), "A policy variable `${` has no closing `}`.";
    MISSING_QUOTE_IN_VARIABLE = "missing-quote-in-variable", Error, ANY, aa("error-missing-quote-in-variable"), "A policy variable's default value is not in single quotes.";
    UNSUPPORTED_SPACE_IN_VARIABLE = "unsupported-space-in-variable", Error, ANY, aa("error-unsupported-space-in-variable"), "A policy variable's name has a space.";
    EMPTY_VARIABLE = "empty-variable", Error, ANY, aa("error-empty-variable"), "A policy variable `${}` names no key.";
    VARIABLE_UNSUPPORTED_IN_ELEMENT = "variable-unsupported-in-element", Error, ANY, aa("error-variable-unsupported-in-element"), "A policy variable appears outside `Resource` and `Condition` (in an action or a principal), where AWS reads it literally.";
    VARIABLE_UNSUPPORTED_IN_VERSION = "variable-unsupported-in-version", Error, ANY, aa("error-variable-unsupported-in-version"), "A value holds `${...}` but the policy's version is not 2012-10-17, so AWS reads it literally.", legacy: "variables-not-substituted";
    PRIVATE_IP_ADDRESS = "private-ip-address", Error, ANY, aa("error-private-ip-address"), "`aws:SourceIp` lists only private addresses under `IpAddress`: AWS sees public addresses there, so the condition never matches.";
    PRIVATE_NOT_IP_ADDRESS = "private-not-ip-address", Error, ANY, aa("error-private-not-ip-address"), "`aws:SourceIp` lists only private addresses under `NotIpAddress`, so the condition always matches.";
    POLICY_SIZE_EXCEEDS_SCP_QUOTA = "policy-size-exceeds-scp-quota", Error, ORGANIZATIONS, aa("error-policy-size-exceeds-scp-quota"), "The SCP or RCP has more than the 5,120 characters AWS Organizations accepts.", differs: "Applied to RCPs too, which have the same quota (\"Quotas for AWS Organizations\").", legacy: "policy-too-large";
    INVALID_SERVICE_PRINCIPAL_FORMAT = "invalid-service-principal-format", Error, ANY, aa("error-invalid-service-principal-format"), "A service principal (in `Principal` or as a condition value) is not `name.amazonaws.com`, or a `kms:ViaService` value is not `service.region.amazonaws.com`.";
    MISSING_TAG_KEY_IN_CONDITION = "missing-tag-key-in-condition", Error, ANY, aa("error-missing-tag-key-in-condition"), "A tag condition key (`aws:ResourceTag`, `aws:RequestTag`, `aws:PrincipalTag`) has no `/tag-key`.";
    INVALID_VPC_FORMAT = "invalid-vpc-format", Error, ANY, aa("error-invalid-vpc-format"), "An `aws:SourceVpc` value is not `vpc-` and 8 or 17 letters and digits.";
    INVALID_VPCE_FORMAT = "invalid-vpce-format", Error, ANY, aa("error-invalid-vpce-format"), "An `aws:SourceVpce` value is not `vpce-` and 8 or 17 letters and digits.";
    FEDERATED_PRINCIPAL_NOT_SUPPORTED = "federated-principal-not-supported", Error, &[Resource, Rcp, Key, Vault], aa("error-federated-principal-not-supported"), "A `Federated` principal is named outside a role trust policy (a SAML provider in a bucket policy).";
    UNSUPPORTED_ACTION_FOR_CONDITION_KEY = "unsupported-action-for-condition-key", Error, ANY, aa("error-unsupported-action-for-condition-key"), "A service's condition key is tested in a statement none of whose actions support it, so the key is absent from their requests.", legacy: "unsupported-condition-key";
    UNSUPPORTED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL = "unsupported-condition-key-for-service-principal", Error, WITH_PRINCIPAL, aa("error-unsupported-condition-key-for-service-principal"), "A statement whose principals are all services tests a key services do not carry (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`, `aws:PrincipalTag/*`).";
    ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL = "role-trust-policy-syntax-error-notprincipal", Error, TRUST, aa("error-role-trust-policy-syntax-error-notprincipal"), "A role trust policy uses `NotPrincipal`, which IAM refuses.", legacy: "notprincipal-in-trust-policy";
    ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL = "role-trust-policy-unsupported-wildcard-in-principal", Error, TRUST, aa("error-role-trust-policy-unsupported-wildcard-in-principal"), "A role trust policy has `\"Principal\": \"*\"`.";
    ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE = "role-trust-policy-syntax-error-resource", Error, TRUST, aa("error-role-trust-policy-syntax-error-resource"), "A role trust policy has `Resource` or `NotResource`: it applies to its role.", legacy: "resource-not-allowed";
    MISSING_ACTION_FOR_CONDITION_KEY = "missing-action-for-condition-key", Error, TRUST, aa("error-missing-action-for-condition-key"), "A trust policy tests a key that only an action it does not allow sets (`sts:SourceIdentity` needs `sts:SetSourceIdentity`; session tags need `sts:TagSession`).";
    INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY = "invalid-federated-principal-syntax-in-role-trust-policy", Error, TRUST, aa("error-invalid-federated-principal-syntax-in-role-trust-policy"), "A `Federated` principal is neither a provider's domain name nor an IAM SAML or OIDC provider ARN.";
    MISMATCHED_ACTION_FOR_PRINCIPAL = "mismatched-action-for-principal", Error, TRUST, aa("error-mismatched-action-for-principal"), "A SAML provider is trusted for `sts:AssumeRoleWithWebIdentity`, or an OIDC provider for `sts:AssumeRoleWithSAML`.";
    MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY = "missing-action-for-roles-anywhere-trust-policy", Error, TRUST, aa("error-missing-action-for-roles-anywhere-trust-policy"), "A trust policy for `rolesanywhere.amazonaws.com` lacks one of `sts:AssumeRole`, `sts:SetSourceIdentity` and `sts:TagSession`.";
    // General warnings.
    CREATE_SLR_WITH_NOT_RESOURCE = "create-slr-with-not-resource", Warning, IDENTITY_BASED, aa("general-warning-create-slr-with-not-resource"), "`iam:CreateServiceLinkedRole` is allowed with `NotResource`, so for every service-linked role not listed.";
    CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE = "create-slr-with-star-in-action-and-not-resource", Warning, IDENTITY_BASED, aa("general-warning-create-slr-with-star-in-action-and-not-resource"), "An action wildcard that covers `iam:CreateServiceLinkedRole` is allowed with `NotResource`.";
    CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE = "create-slr-with-not-action-and-not-resource", Warning, IDENTITY_BASED, aa("general-warning-create-slr-with-not-action-and-not-resource"), "`NotAction` with `NotResource` allows `iam:CreateServiceLinkedRole` on every role not listed.";
    CREATE_SLR_WITH_STAR_IN_RESOURCE = "create-slr-with-star-in-resource", Warning, IDENTITY_BASED, aa("general-warning-create-slr-with-star-in-resource"), "`iam:CreateServiceLinkedRole` is allowed on `*`, so for every service.";
    CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE = "create-slr-with-star-in-action-and-resource", Warning, IDENTITY_BASED, aa("general-warning-create-slr-with-star-in-action-and-resource"), "An action wildcard that covers `iam:CreateServiceLinkedRole` is allowed on `*`.";
    CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION = "create-slr-with-star-in-resource-and-not-action", Warning, IDENTITY_BASED, aa("general-warning-create-slr-with-star-in-resource-and-not-action"), "`NotAction` that does not exclude `iam:CreateServiceLinkedRole` is allowed on `*`.";
    DEPRECATED_GLOBAL_CONDITION_KEY = "deprecated-global-condition-key", Warning, ANY, aa("general-warning-deprecated-global-condition-key"), "A deprecated global condition key (`aws:ARN`) is tested.", retired: "Access Analyzer's page names `aws:ARN` as its only deprecated key, and lists the same key as the error `unsupported-global-condition-key`; Vaultward raises that error, once, rather than a warning beside it.";
    INVALID_DATE_VALUE = "invalid-date-value", Warning, ANY, aa("general-warning-invalid-date-value"), "A date condition value is epoch seconds rather than an ISO 8601 date, which may not mean the time intended.";
    INVALID_ROLE_REFERENCE = "invalid-role-reference", Warning, WITH_PRINCIPAL, aa("general-warning-invalid-role-reference"), "A principal is a role's unique id (`AROA...`): AWS writes these when the role is deleted, and a new role of the same name does not match it.";
    INVALID_USER_REFERENCE = "invalid-user-reference", Warning, WITH_PRINCIPAL, aa("general-warning-invalid-user-reference"), "A principal is a user's unique id (`AIDA...`): AWS writes these when the user is deleted, and a new user of the same name does not match it.";
    MISSING_VERSION = "missing-version", Warning, ANY, aa("general-warning-missing-version"), "The policy has no `Version`, so AWS reads it as 2008-10-17, without policy variables.";
    UNIQUE_SIDS_RECOMMENDED = "unique-sids-recommended", Warning, &[Resource, Scp, Rcp, Key, Vault], aa("general-warning-unique-sids-recommended"), "Two statements share a `Sid`.";
    WILDCARD_WITHOUT_LIKE_OPERATOR = "wildcard-without-like-operator", Warning, ANY, aa("general-warning-wildcard-without-like-operator"), "A `StringEquals`-type condition value holds `*` or `?`, which only `StringLike` reads as wildcards.";
    POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA = "policy-size-exceeds-identity-policy-quota", Warning, IDENTITY_BASED, aa("general-warning-policy-size-exceeds-identity-policy-quota"), "The policy has more characters (white space not counted) than IAM accepts for its kind.", legacy: "policy-too-large";
    POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA = "policy-size-exceeds-resource-policy-quota", Warning, KEY_AND_RESOURCE, aa("general-warning-policy-size-exceeds-resource-policy-quota"), "The policy is larger than its service accepts (20 KB for an S3 bucket policy, 32 KB for a KMS key policy).", legacy: "policy-too-large";
    TYPE_MISMATCH = "type-mismatch", Warning, ANY, aa("general-warning-type-mismatch"), "The operator compares another type than the condition key holds (a string operator on a Boolean key).", legacy: "condition-operator-type-mismatch";
    TYPE_MISMATCH_BOOLEAN = "type-mismatch-boolean", Warning, ANY, aa("general-warning-type-mismatch-boolean"), "A `Bool` (or `Null`) value is not `true` or `false`; AWS evaluates the condition as not matching.";
    TYPE_MISMATCH_DATE = "type-mismatch-date", Warning, ANY, aa("general-warning-type-mismatch-date"), "A date operator's value is not a date; AWS evaluates the condition as not matching.";
    TYPE_MISMATCH_IP_RANGE = "type-mismatch-ip-range", Warning, ANY, aa("general-warning-type-mismatch-ip-range"), "An IP address operator's value is not an address or CIDR range; AWS evaluates the condition as not matching.";
    TYPE_MISMATCH_NUMBER = "type-mismatch-number", Warning, ANY, aa("general-warning-type-mismatch-number"), "A numeric operator's value is not a number; AWS evaluates the condition as not matching.";
    TYPE_MISMATCH_STRING = "type-mismatch-string", Warning, ANY, aa("general-warning-type-mismatch-string"), "A `BinaryEquals` value is not base64; AWS evaluates the condition as not matching.";
    SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED = "specific-github-repo-and-branch-recommended", Warning, TRUST, aa("general-warning-specific-github-repo-and-branch-recommended"), "`token.actions.githubusercontent.com:sub` is tested with a wildcard, so workflows of more repositories or branches than intended may assume the role.";
    POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA = "policy-size-exceeds-role-trust-policy-quota", Warning, TRUST, aa("general-warning-policy-size-exceeds-role-trust-policy-quota"), "The trust policy has more characters (white space not counted) than the 4,096 IAM accepts at most.", differs: "Vaultward compares with the raised quota (4,096), not the default 2,048: a trust policy between the two may be accepted.", legacy: "policy-too-large";
    // Security warnings.
    ALLOW_WITH_NOT_PRINCIPAL = "allow-with-not-principal", SecurityWarning, WITH_PRINCIPAL, aa("security-warning-allow-with-not-principal"), "`Allow` with `NotPrincipal` grants everyone not listed, anonymous callers included.", legacy: "notprincipal-with-allow";
    FORALLVALUES_WITH_SINGLE_VALUED_KEY = "forallvalues-with-single-valued-key", SecurityWarning, ANY, aa("security-warning-forallvalues-with-single-valued-key"), "`ForAllValues:` on a single-valued key is true when the key is absent, so an `Allow` grants more than it seems.";
    PASS_ROLE_WITH_NOT_RESOURCE = "pass-role-with-not-resource", SecurityWarning, IDENTITY_BASED, aa("security-warning-pass-role-with-not-resource"), "`iam:PassRole` is allowed with `NotResource`, so for every role not listed.";
    PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE = "pass-role-with-star-in-action-and-not-resource", SecurityWarning, IDENTITY_BASED, aa("security-warning-pass-role-with-star-in-action-and-not-resource"), "An action wildcard that covers `iam:PassRole` is allowed with `NotResource`.";
    PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE = "pass-role-with-not-action-and-not-resource", SecurityWarning, IDENTITY_BASED, aa("security-warning-pass-role-with-not-action-and-not-resource"), "`NotAction` with `NotResource` allows `iam:PassRole` on every role not listed.";
    PASS_ROLE_WITH_STAR_IN_RESOURCE = "pass-role-with-star-in-resource", SecurityWarning, IDENTITY_BASED, aa("security-warning-pass-role-with-star-in-resource"), "`iam:PassRole` is allowed on `*` without `iam:PassedToService`, so every role may be passed to every service.";
    PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE = "pass-role-with-star-in-action-and-resource", SecurityWarning, IDENTITY_BASED, aa("security-warning-pass-role-with-star-in-action-and-resource"), "An action wildcard that covers `iam:PassRole` is allowed on `*` without `iam:PassedToService`.";
    PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION = "pass-role-with-star-in-resource-and-not-action", SecurityWarning, IDENTITY_BASED, aa("security-warning-pass-role-with-star-in-resource-and-not-action"), "`NotAction` that does not exclude `iam:PassRole` is allowed on `*` without `iam:PassedToService`.";
    MISSING_PAIRED_CONDITION_KEYS = "missing-paired-condition-keys", SecurityWarning, ANY, aa("security-warning-missing-paired-condition-keys"), "A condition key that is only safe with a related key is tested alone (`aws:VpcSourceIp` without `aws:SourceVpc`).";
    DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE = "deny-with-unsupported-tag-condition-key-for-service", SecurityWarning, ANY, aa("security-warning-deny-with-unsupported-tag-condition-key-for-service"), "A `Deny` tests a tag key that the listed actions of some services do not support, so it does not deny them.";
    DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE = "deny-notaction-with-unsupported-tag-condition-key-for-service", SecurityWarning, ANY, aa("security-warning-deny-notaction-with-unsupported-tag-condition-key-for-service"), "A `Deny` with `NotAction` tests a tag key, which many of the actions it covers do not support, so it does not deny them.";
    RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL = "restrict-access-to-service-principal", SecurityWarning, RESOURCE_BASED, aa("security-warning-restrict-access-to-service-principal"), "A service principal is allowed with no `aws:SourceArn` or `aws:SourceAccount` (or organization) condition: a confused deputy can use it.";
    MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL = "missing-condition-key-for-oidc-principal", SecurityWarning, TRUST, aa("security-warning-missing-condition-key-for-oidc-principal"), "An OIDC provider is trusted with no condition on its own keys (`provider:aud`, `provider:sub`), so any of its tokens may assume the role.";
    MISSING_GITHUB_REPO_CONDITION_KEY = "missing-github-repo-condition-key", SecurityWarning, TRUST, aa("security-warning-missing-github-repo-condition-key"), "GitHub's OIDC provider is trusted with no `token.actions.githubusercontent.com:sub` condition, so any repository's workflow may assume the role.";
    // Suggestions.
    EMPTY_ARRAY_ACTION = "empty-array-action", Suggestion, ANY, aa("suggestion-empty-array-action"), "`Action` is an empty array: the statement matches no action.";
    EMPTY_ARRAY_CONDITION = "empty-array-condition", Suggestion, ANY, aa("suggestion-empty-array-condition"), "A condition key has an empty array of values: the condition never matches.";
    EMPTY_ARRAY_CONDITION_FORALLVALUES = "empty-array-condition-forallvalues", Suggestion, ANY, aa("suggestion-empty-array-condition-forallvalues"), "`ForAllValues:` with an empty array matches only when the key is absent; `Null` says so plainly.";
    EMPTY_ARRAY_CONDITION_FORANYVALUE = "empty-array-condition-foranyvalue", Suggestion, ANY, aa("suggestion-empty-array-condition-foranyvalue"), "`ForAnyValue:` with an empty array never matches.";
    EMPTY_ARRAY_CONDITION_IFEXISTS = "empty-array-condition-ifexists", Suggestion, ANY, aa("suggestion-empty-array-condition-ifexists"), "`...IfExists` with an empty array matches only when the key is absent; `Null` says so plainly.";
    EMPTY_ARRAY_PRINCIPAL = "empty-array-principal", Suggestion, WITH_PRINCIPAL, aa("suggestion-empty-array-principal"), "A principal key has an empty array: it names nobody.";
    EMPTY_ARRAY_RESOURCE = "empty-array-resource", Suggestion, WITH_RESOURCE, aa("suggestion-empty-array-resource"), "`Resource` is an empty array: the statement matches no resource.";
    EMPTY_OBJECT_CONDITION = "empty-object-condition", Suggestion, ANY, aa("suggestion-empty-object-condition"), "`Condition` (or one operator's block) is an empty object, which adds no condition.";
    EMPTY_OBJECT_PRINCIPAL = "empty-object-principal", Suggestion, WITH_PRINCIPAL, aa("suggestion-empty-object-principal"), "`Principal` is an empty object: the statement names nobody.";
    EMPTY_SID_VALUE = "empty-sid-value", Suggestion, ANY, aa("suggestion-empty-sid-value"), "`Sid` is an empty string.";
    IMPROVE_IP_RANGE = "improve-ip-range", Suggestion, ANY, aa("suggestion-improve-ip-range"), "A CIDR range has bits set past its prefix length, which AWS ignores (`203.0.113.7/24` is `203.0.113.0/24`).";
    NULL_WITH_QUALIFIER = "null-with-qualifier", Suggestion, ANY, aa("suggestion-null-with-qualifier"), "`ForAllValues:Null` is always true and `ForAnyValue:Null` always false (Access Analyzer's reading, which Vaultward evaluates).";
    PRIVATE_IP_ADDRESS_SUBSET = "private-ip-address-subset", Suggestion, ANY, aa("suggestion-private-ip-address-subset"), "`aws:SourceIp` under `IpAddress` mixes private with public addresses; the private ones never match (use `aws:VpcSourceIp`).";
    PRIVATE_NOT_IP_ADDRESS_SUBSET = "private-not-ip-address-subset", Suggestion, ANY, aa("suggestion-private-not-ip-address-subset"), "`aws:SourceIp` under `NotIpAddress` mixes private with public addresses; the private ones have no effect.";
    REDUNDANT_ACTION = "redundant-action", Suggestion, ANY, aa("suggestion-redundant-action"), "An action is listed twice, or is covered by a wildcard of the same list.";
    REDUNDANT_CONDITION_VALUE_NUM = "redundant-condition-value-num", Suggestion, ANY, aa("suggestion-redundant-condition-value-num"), "A numeric comparison lists several values where the greatest (or least) alone decides.";
    REDUNDANT_RESOURCE = "redundant-resource", Suggestion, WITH_RESOURCE, aa("suggestion-redundant-resource"), "A resource is listed twice, or is covered by a wildcard ARN of the same list.";
    REDUNDANT_STATEMENT = "redundant-statement", Suggestion, ANY, aa("suggestion-redundant-statement"), "Two statements are the same but for their `Sid`.";
    WILDCARD_IN_SERVICE_NAME = "wildcard-in-service-name", Suggestion, ANY, aa("suggestion-wildcard-in-service-name"), "An action's service prefix, or a resource ARN's service, holds a wildcard and may cover services added later.";
    ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE = "allow-with-unsupported-tag-condition-key-for-service", Suggestion, ANY, aa("suggestion-allow-with-unsupported-tag-condition-key-for-service"), "An `Allow` tests a tag key that the listed actions of some services do not support, so it never allows them.";
    ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE = "allow-notaction-with-unsupported-tag-condition-key-for-service", Suggestion, ANY, aa("suggestion-allow-notaction-with-unsupported-tag-condition-key-for-service"), "An `Allow` with `NotAction` tests a tag key, so it allows only the actions that support the key.";
    RECOMMENDED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL = "recommended-condition-key-for-service-principal", Suggestion, RESOURCE_BASED, aa("suggestion-recommended-condition-key-for-service-principal"), "A service principal is narrowed with another key (`aws:Referer`, ...) rather than `aws:SourceArn` or `aws:SourceAccount`.";
    IRRELEVANT_CONDITION_KEY_IN_POLICY = "irrelevant-condition-key-in-policy", Suggestion, RESOURCE_BASED, aa("suggestion-irrelevant-condition-key-in-policy"), "A resource-based policy tests the account or organization of its own resource (`aws:ResourceAccount`, `s3:ResourceAccount`), which is always its owner's.";
    REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY = "redundant-principal-in-role-trust-policy", Suggestion, TRUST, aa("suggestion-redundant-principal-in-role-trust-policy"), "A trust policy names an assumed-role session and its role, which already covers it.";
    CONFIRM_AUDIENCE_CLAIM_TYPE = "confirm-audience-claim-type", Suggestion, TRUST, aa("suggestion-confirm-audience-claim-type"), "An OIDC `aud` claim is tested with a set qualifier: confirm the provider's audience claim is multivalued, or drop the qualifier.";
    // Vaultward's own checks.
    DUPLICATE_KEY = "duplicate-key", Error, ANY, Source::Page("https://www.rfc-editor.org/rfc/rfc8259#section-4"), "A JSON object has the same key twice; JSON readers disagree on which one wins, so the policy is not read.";
    POLICY_FRAGMENT = "policy-fragment", Error, ANY, Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"), "The document is a statement (or a list of them), not a policy with `Version` and `Statement`.";
    INVALID_ENCODING = "invalid-encoding", Error, ANY, Source::Page("https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html"), "A policy held in a JSON string is not valid URL encoding.";
    TOO_MANY_FINDINGS = "too-many-findings", Warning, ANY, Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-validation.html"), "More findings than are listed (the first 200 are).";
    UTF8_BOM = "utf8-bom", Warning, ANY, Source::Page("https://www.rfc-editor.org/rfc/rfc8259#section-8.1"), "The file starts with a UTF-8 byte-order mark, which JSON does not allow.";
    ALLOW_WITH_NOTACTION = "allow-with-notaction", SecurityWarning, ANY, Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"), "`NotAction` with `Allow` grants every action not listed, in every service, including actions AWS adds later.";
    ALLOW_WITH_NOTRESOURCE = "allow-with-notresource", SecurityWarning, WITH_RESOURCE, Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"), "`NotResource` with `Allow` grants the actions on every resource not listed, including resources created later.";
    TRUST_ANY_PRINCIPAL = "trust-any-principal", SecurityWarning, TRUST, Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"), "Any AWS principal of any account may assume the role (`{\"AWS\": \"*\"}` with no condition narrowing it).";
    TRUST_CROSS_ACCOUNT_WITHOUT_EXTERNAL_ID = "trust-cross-account-without-external-id", SecurityWarning, TRUST, Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"), "Another account may assume the role with no `sts:ExternalId` (or organization or source account) condition: a confused deputy can use it.";
    RESOURCE_POLICY_PUBLIC = "resource-policy-public", SecurityWarning, RESOURCE_BASED, Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"), "A resource-based policy allows `*` (anyone, anonymous callers included) with no condition.";
    PLACEHOLDER_IN_ARN = "placeholder-in-arn", Warning, ANY, Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"), "An ARN holds a template placeholder (`${AccountId}`, `<ACCOUNT_ID>`) that IAM does not substitute.";
    VAULT_ACTION_WILDCARD = "vault-action-wildcard", Error, VAULT, Source::Page("https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html"), "A vault access policy's action holds a wildcard, which AWS Backup refuses.";
    ACTION_WILDCARD_MATCHES_NOTHING = "action-wildcard-matches-nothing", Warning, ANY, Source::Page("https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"), "An action wildcard matches no action of its service.";
    RESOURCE_MATCHES_NO_ACTION = "resource-matches-no-action", Warning, WITH_RESOURCE, Source::Page("https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"), "A resource ARN is of none of the resource types the statement's actions act on, so it grants or denies nothing.";
    ACTION_MATCHES_NO_RESOURCE = "action-matches-no-resource", Warning, WITH_RESOURCE, Source::Page("https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html"), "An action acts on none of the statement's resources (`s3:ListBucket` on `bucket/*`), so the statement grants or denies it nothing.";
    RESOURCE_WILDCARD = "resource-wildcard", Suggestion, &[Identity, Resource, Boundary, Session, Vault], Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"), "Actions that support resource-level permissions are allowed on `*`.";
    SET_OPERATOR_ON_SINGLE_VALUED_KEY = "set-operator-on-single-valued-key", Warning, ANY, Source::Page("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"), "`ForAnyValue:` (or `ForAllValues:` in a `Deny`) on a single-valued key is not needed.";
    RCP_ALLOW = "rcp-allow", Error, RCP, Source::Page("https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html"), "An RCP has an `Allow` statement; only the AWS-managed `RCPFullAWSAccess` allows.";
    RCP_PRINCIPAL = "rcp-principal", Error, RCP, Source::Page("https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html"), "An RCP statement's principal is not `\"*\"`.";
    RCP_NOTACTION = "rcp-notaction", Error, RCP, Source::Page("https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html"), "An RCP uses `NotAction`.";
    RCP_ACTION_WILDCARD = "rcp-action-wildcard", Error, RCP, Source::Page("https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html"), "An RCP's `Action` is `*` alone.";
}

/// The `validate` part of `docs/codes.md`: one section per check, written from the table
/// (a test keeps the file the same).
pub fn markdown() -> String {
    let mut out = String::from(
        "## Validate\n\nThe checks of `vaultward validate` (the `code` of each finding, and the SARIF rule id). \
IAM Access Analyzer's come first, under the names and with the severities of its policy check reference; \
Vaultward's own follow. Severities: `error`, `security warning`, `warning`, `suggestion`; the command exits 1 \
when a finding is an error. Where Vaultward departs from Access Analyzer, the section says so and why \
(see also [validate.md](validate.md)).\n",
    );
    for c in ALL {
        let kinds = if c.kinds.len() == ANY.len() {
            "every kind".to_string()
        } else {
            c.kinds
                .iter()
                .map(|k| k.describe())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let source = match (c.source, c.issue_code()) {
            (Source::AccessAnalyzer(_), Some(code)) => {
                format!(
                    "[IAM Access Analyzer]({}), issue code `{code}`",
                    c.source.url()
                )
            }
            _ => format!("[source]({})", c.source.url()),
        };
        out.push_str(&format!(
            "\n### {}\n\n**{}** · {kinds} · {source}\n\n{}\n",
            c.id,
            c.severity.as_str(),
            c.summary
        ));
        if !c.raised {
            out.push_str("\n**Not raised.**");
            if let Some(d) = c.differs {
                out.push_str(&format!(" {d}"));
            }
            out.push('\n');
        } else if let Some(d) = c.differs {
            out.push_str(&format!("\n**Vaultward differs.** {d}\n"));
        }
    }
    out
}
