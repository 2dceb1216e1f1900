//! The global condition keys (`aws:*`), written by hand: the service data does not carry them.
//!
//! Source: "AWS global condition context keys", AWS IAM User Guide
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html):
//! each key's value type and whether it is single- or multivalued.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct GlobalKey {
    /// The key; `${TagKey}` stands for any tag key.
    pub name: &'static str,
    /// `String`, `ARN`, `Bool`, `Date`, `Numeric` or `IPAddress`.
    pub key_type: &'static str,
    pub multivalued: bool,
}

const fn k(name: &'static str, key_type: &'static str, multivalued: bool) -> GlobalKey {
    GlobalKey {
        name,
        key_type,
        multivalued,
    }
}

pub const GLOBAL_KEYS: [GlobalKey; 50] = [
    // Properties of the principal
    k("aws:PrincipalArn", "ARN", false),
    k("aws:PrincipalAccount", "String", false),
    k("aws:PrincipalOrgPaths", "String", true),
    k("aws:PrincipalOrgID", "String", false),
    k("aws:PrincipalTag/${TagKey}", "String", false),
    k("aws:PrincipalIsAWSService", "Bool", false),
    k("aws:PrincipalServiceName", "String", false),
    k("aws:PrincipalServiceNamesList", "String", true),
    k("aws:PrincipalType", "String", false),
    k("aws:userid", "String", false),
    k("aws:username", "String", false),
    k("aws:AssumedRoot", "String", false),
    // Properties of a role session
    k("aws:FederatedProvider", "String", false),
    k("aws:TokenIssueTime", "Date", false),
    k("aws:MultiFactorAuthAge", "Numeric", false),
    k("aws:MultiFactorAuthPresent", "Bool", false),
    k("aws:Ec2InstanceSourceVpc", "String", false),
    k("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress", false),
    k("aws:SourceIdentity", "String", false),
    k("ec2:RoleDelivery", "Numeric", false),
    k("ec2:SourceInstanceArn", "ARN", false),
    k("glue:RoleAssumedBy", "String", false),
    k("glue:CredentialIssuingService", "String", false),
    k("lambda:SourceFunctionArn", "ARN", false),
    k("ssm:SourceInstanceArn", "ARN", false),
    k("identitystore:UserId", "String", false),
    // Properties of the network
    k("aws:SourceIp", "IPAddress", false),
    k("aws:SourceVpc", "String", false),
    k("aws:SourceVpcArn", "ARN", false),
    k("aws:SourceVpce", "String", false),
    k("aws:VpceAccount", "String", false),
    k("aws:VpceOrgPaths", "String", true),
    k("aws:VpceOrgID", "String", false),
    k("aws:VpcSourceIp", "IPAddress", false),
    // Properties of the resource
    k("aws:ResourceAccount", "String", false),
    k("aws:ResourceOrgID", "String", false),
    k("aws:ResourceOrgPaths", "String", true),
    k("aws:ResourceTag/${TagKey}", "String", false),
    // Properties of the request
    k("aws:CalledVia", "String", true),
    k("aws:CalledViaFirst", "String", false),
    k("aws:CalledViaLast", "String", false),
    k("aws:ViaAWSService", "Bool", false),
    k("aws:CurrentTime", "Date", false),
    k("aws:EpochTime", "Date", false),
    k("aws:referer", "String", false),
    k("aws:RequestedRegion", "String", false),
    k("aws:RequestTag/${TagKey}", "String", false),
    k("aws:TagKeys", "String", true),
    k("aws:SecureTransport", "Bool", false),
    k("aws:SourceAccount", "String", false),
];

/// Cross-service keys that also stand on the global page.
const MORE: [GlobalKey; 4] = [
    k("aws:SourceArn", "ARN", false),
    k("aws:SourceOrgID", "String", false),
    k("aws:SourceOrgPaths", "String", true),
    k("aws:UserAgent", "String", false),
];

/// The global key named `key` (ignoring case; tag keys match `${TagKey}`).
pub fn global_key(key: &str) -> Option<&'static GlobalKey> {
    GLOBAL_KEYS
        .iter()
        .chain(MORE.iter())
        .find(|g| crate::key_matches(g.name, key))
}
