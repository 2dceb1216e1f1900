//! The service's identities: accounts, their users and roles with access keys and
//! identity policies, and the tags of the resources they back up. Read from a JSON file
//! (`vaultward serve --config FILE`, format in `docs/server.md`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use vaultward_iam::{parse_policy, NamedPolicy, Policy, PolicyKind, Severity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default = "default_region")]
    region: String,
    accounts: Vec<AccountFile>,
}

fn default_region() -> String {
    "us-east-1".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountFile {
    id: String,
    /// AWS Backup's "Advanced DynamoDB backup" setting: recovery points of tables are then
    /// AWS Backup recovery points (default true, as for accounts since November 2021).
    #[serde(default = "yes")]
    advanced_dynamodb_backup: bool,
    #[serde(default)]
    users: Vec<PrincipalFile>,
    #[serde(default)]
    roles: Vec<PrincipalFile>,
    /// Source resources' tags, which backups copy (`{"arn": ..., "tags": {...}}`).
    #[serde(default)]
    resources: Vec<ResourceFile>,
    /// The AWS Organizations organization the account belongs to, if any.
    #[serde(default)]
    organization: Option<OrganizationFile>,
    /// Access keys of the account's root user, if it is to call (AWS advises against root
    /// access keys; tests use them to show what even the root user cannot do).
    #[serde(default)]
    root: Option<RootFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RootFile {
    access_key_id: String,
    secret_access_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationFile {
    /// `o-` and 10 to 32 lowercase letters or digits.
    id: String,
    /// The path of the account's parent: `o-…/r-…/` and the OUs down to it, each ending in
    /// `/` (`aws:PrincipalOrgPaths`).
    #[serde(default)]
    path: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalFile {
    name: String,
    #[serde(default = "root_path")]
    path: String,
    /// A user's keys; a role's keys call as its session `vaultward`. A role without keys is
    /// reached only with `sts:AssumeRole`.
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    secret_access_key: Option<String>,
    #[serde(default)]
    policies: Vec<Value>,
    /// A role's trust policy: who may assume it with `sts:AssumeRole`.
    #[serde(default)]
    trust_policy: Option<Value>,
    /// The principal's tags (`aws:PrincipalTag/KEY`).
    #[serde(default)]
    tags: BTreeMap<String, String>,
    /// A role's longest session, in seconds (AWS: 3600 unless set, at most 43200).
    #[serde(default)]
    max_session_duration: Option<i64>,
}

fn root_path() -> String {
    "/".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceFile {
    arn: String,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

/// A policy that parses without errors, or its errors (`PATH: message`, joined).
pub(crate) fn parse_checked(text: &str, kind: PolicyKind) -> Result<Policy, String> {
    let parsed = parse_policy(text, kind);
    let errors: Vec<String> = parsed
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.path, f.message))
        .collect();
    match parsed.policy {
        Some(p) if errors.is_empty() => Ok(p),
        _ => Err(errors.join("; ")),
    }
}

/// A caller, resolved from its access key.
#[derive(Debug, Clone)]
pub struct Identity {
    pub account: String,
    /// The ARN requests are made as: the user, or `assumed-role/NAME/vaultward` for a role.
    pub principal: String,
    /// `aws:PrincipalArn`: the user's or role's ARN.
    pub principal_arn: String,
    pub secret: String,
    pub policies: Arc<Vec<NamedPolicy>>,
    /// `aws:PrincipalTag/KEY`: the user's or role's tags, session tags over them.
    pub tags: Arc<BTreeMap<String, String>>,
    /// A session's session policy (`AssumeRole`'s `Policy`), with its text.
    pub session_policy: Option<Arc<(NamedPolicy, String)>>,
    /// A session's `SourceIdentity`.
    pub source_identity: Option<String>,
    /// When STS issued a session's credentials (`aws:TokenIssueTime`), epoch seconds.
    pub token_issued: Option<f64>,
    /// What the service knows of the request being served (not configured).
    pub request: RequestFacts,
}

/// Facts of one request that fill condition keys.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// `aws:SourceIp`: the connection's peer.
    pub source_ip: Option<std::net::IpAddr>,
    /// `aws:UserAgent` and `aws:Referer`: the headers, when the client sends them.
    pub user_agent: Option<String>,
    pub referer: Option<String>,
}

/// Temporary credentials issued by `sts:AssumeRole`.
#[derive(Debug, Clone)]
pub struct Session {
    pub identity: Identity,
    pub token: String,
    pub expires: f64,
}

/// `aws:userid` (and `GetCallerIdentity`'s `UserId`): a stable unique id, as AWS gives
/// users (`AIDA...`) and role sessions (`AROA...:SESSION`), derived from the ARN; the root
/// user's is the account id ("AWS global condition context keys", aws:userid,
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
pub fn user_id(who: &Identity) -> String {
    if who.principal == format!("arn:aws:iam::{}:root", who.account) {
        return who.account.clone();
    }
    use sha2::{Digest, Sha256};
    let id = |prefix: &str, arn: &str| {
        let h = hex::encode(Sha256::digest(arn.as_bytes())).to_uppercase();
        format!("{prefix}{}", h.get(..17).unwrap_or_default())
    };
    match who.principal.split_once(":assumed-role/") {
        Some((_, rest)) => {
            let session = rest.split_once('/').map_or("", |(_, s)| s);
            format!("{}:{session}", id("AROA", &who.principal_arn))
        }
        None => id("AIDA", &who.principal_arn),
    }
}

/// A role that `sts:AssumeRole` can reach.
#[derive(Debug, Clone)]
pub struct Role {
    pub account: String,
    pub name: String,
    pub arn: String,
    pub policies: Arc<Vec<NamedPolicy>>,
    pub trust: NamedPolicy,
    pub tags: Arc<BTreeMap<String, String>>,
    /// The longest session `AssumeRole` gives, in seconds.
    pub max_session_duration: i64,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub advanced_dynamodb_backup: bool,
    pub organization: Option<Organization>,
}

/// An account's place in AWS Organizations: fills `aws:PrincipalOrgID` and
/// `aws:PrincipalOrgPaths` for its callers, `aws:ResourceOrgID` and `aws:ResourceOrgPaths`
/// for its vaults and recovery points.
#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub path: Option<String>,
}

/// Whether `s` is `min..=max` lowercase ASCII letters or digits.
fn lower_alnum(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Whether `s` is `prefix` then `min..=max` lowercase ASCII letters or digits.
fn org_id_shape(s: &str, prefix: &str, min: usize, max: usize) -> bool {
    s.strip_prefix(prefix)
        .is_some_and(|rest| lower_alnum(rest, min, max))
}

/// The organization as configured, or what is wrong with it. ID shapes from the AWS
/// Organizations API reference (`Organization`, `Root`, `OrganizationalUnit`):
/// `o-[a-z0-9]{10,32}`, `r-[0-9a-z]{4,32}`, `ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}`.
fn organization(f: &OrganizationFile) -> Result<Organization, (&'static str, String)> {
    if !org_id_shape(&f.id, "o-", 10, 32) {
        return Err((
            "id",
            format!(
                "`{}` is not an organization id (`o-` and 10 to 32 lowercase letters or digits)",
                f.id
            ),
        ));
    }
    if let Some(path) = &f.path {
        let bad = |why: &str| {
            Err((
                "path",
                format!("`{path}` is not an organization path: {why} (for example `{}/r-ab12/ou-ab12-11111111/`)", f.id),
            ))
        };
        let Some(inner) = path.strip_suffix('/') else {
            return bad("it ends with `/`");
        };
        let mut parts = inner.split('/');
        if parts.next() != Some(f.id.as_str()) {
            return bad("it starts with the organization's id");
        }
        if !parts.next().is_some_and(|r| org_id_shape(r, "r-", 4, 32)) {
            return bad("the organization's root (`r-…`) comes second");
        }
        for ou in parts {
            let ok = ou
                .strip_prefix("ou-")
                .and_then(|x| x.split_once('-'))
                .is_some_and(|(root, unit)| lower_alnum(root, 4, 32) && lower_alnum(unit, 8, 32));
            if !ok {
                return bad(&format!("`{ou}` is not an organizational unit id"));
            }
        }
    }
    Ok(Organization {
        id: f.id.clone(),
        path: f.path.clone(),
    })
}

#[derive(Debug, Clone)]
pub struct Config {
    pub region: String,
    pub identities: HashMap<String, Identity>,
    /// Roles with a trust policy, by ARN.
    pub roles: HashMap<String, Role>,
    pub accounts: HashMap<String, Account>,
    /// Tags of source resources, by ARN.
    pub resource_tags: HashMap<String, BTreeMap<String, String>>,
    /// The account each configured resource belongs to, by ARN.
    pub resource_owners: HashMap<String, String>,
}

impl Config {
    /// The account a resource belongs to, when the configuration says.
    pub fn resource_owner(&self, arn: &str) -> Option<String> {
        self.resource_owners.get(arn).cloned()
    }
}

/// A configuration that cannot be used: the file, where, and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {location}{message}")]
pub struct ConfigError {
    pub file: String,
    pub location: String,
    pub message: String,
}

impl Config {
    pub fn from_json(file: &str, text: &str) -> Result<Config, ConfigError> {
        let f: File = serde_json::from_str(text).map_err(|e| ConfigError {
            file: file.into(),
            location: format!("line {}, column {}: ", e.line(), e.column()),
            message: format!("{e}; see docs/server.md for the format"),
        })?;
        let err = |location: String, message: String| ConfigError {
            file: file.into(),
            location: format!("{location}: "),
            message,
        };
        let mut identities = HashMap::new();
        let mut roles = HashMap::new();
        let mut accounts = HashMap::new();
        let mut resource_tags = HashMap::new();
        let mut resource_owners = HashMap::new();
        // Each ARN once: the policy-set cache is keyed by it.
        let mut arns: HashMap<String, String> = HashMap::new();
        for (ai, a) in f.accounts.iter().enumerate() {
            if a.id.len() != 12 || !a.id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(
                    format!("$.accounts[{ai}].id"),
                    format!("`{}` is not a 12-digit account id", a.id),
                ));
            }
            let organization = match &a.organization {
                Some(o) => Some(organization(o).map_err(|(field, message)| {
                    err(format!("$.accounts[{ai}].organization.{field}"), message)
                })?),
                None => None,
            };
            accounts.insert(
                a.id.clone(),
                Account {
                    advanced_dynamodb_backup: a.advanced_dynamodb_backup,
                    organization,
                },
            );
            for (kind, list) in [("users", &a.users), ("roles", &a.roles)] {
                for (pi, p) in list.iter().enumerate() {
                    let at = format!("$.accounts[{ai}].{kind}[{pi}]");
                    if !p.path.starts_with('/') || !p.path.ends_with('/') {
                        return Err(err(
                            format!("{at}.path"),
                            "a path starts and ends with `/`".into(),
                        ));
                    }
                    let mut list = Vec::new();
                    for (qi, doc) in p.policies.iter().enumerate() {
                        let policy = parse_checked(&doc.to_string(), PolicyKind::Identity)
                            .map_err(|e| err(format!("{at}.policies[{qi}]"), e))?;
                        list.push(NamedPolicy {
                            name: format!("{}/{}#{qi}", kind.trim_end_matches('s'), p.name),
                            policy,
                        });
                    }
                    // Shared: an identity is cloned for every request it makes.
                    let policies = Arc::new(list);
                    let (principal, principal_arn) = if kind == "users" {
                        let arn = format!("arn:aws:iam::{}:user{}{}", a.id, p.path, p.name);
                        (arn.clone(), arn)
                    } else {
                        (
                            format!("arn:aws:sts::{}:assumed-role/{}/vaultward", a.id, p.name),
                            format!("arn:aws:iam::{}:role{}{}", a.id, p.path, p.name),
                        )
                    };
                    if let Some(first) = arns.insert(principal_arn.clone(), at.clone()) {
                        return Err(err(
                            at.clone(),
                            format!("`{principal_arn}` is already defined at {first}: give each user and role once"),
                        ));
                    }
                    let tags = Arc::new(p.tags.clone());
                    let max_session_duration = p.max_session_duration.unwrap_or(3600);
                    if !(3600..=43200).contains(&max_session_duration) {
                        return Err(err(
                            format!("{at}.max_session_duration"),
                            "a role's maximum session duration is 3600 to 43200 seconds".into(),
                        ));
                    }
                    if let Some(doc) = &p.trust_policy {
                        if kind == "users" {
                            return Err(err(
                                format!("{at}.trust_policy"),
                                "only roles have trust policies".into(),
                            ));
                        }
                        let policy = parse_checked(&doc.to_string(), PolicyKind::Trust)
                            .map_err(|e| err(format!("{at}.trust_policy"), e))?;
                        roles.insert(
                            principal_arn.clone(),
                            Role {
                                account: a.id.clone(),
                                name: p.name.clone(),
                                arn: principal_arn.clone(),
                                policies: policies.clone(),
                                trust: NamedPolicy {
                                    name: format!("trust policy of {}", p.name),
                                    policy,
                                },
                                tags: tags.clone(),
                                max_session_duration,
                            },
                        );
                    }
                    let (key, secret) = match (&p.access_key_id, &p.secret_access_key) {
                        (Some(k), Some(s)) => (k.clone(), s.clone()),
                        (None, None) if kind == "roles" => continue,
                        _ => {
                            return Err(err(
                                at.clone(),
                                "give both access_key_id and secret_access_key".into(),
                            ))
                        }
                    };
                    let id = Identity {
                        account: a.id.clone(),
                        principal,
                        principal_arn,
                        secret,
                        policies,
                        tags,
                        session_policy: None,
                        source_identity: None,
                        token_issued: None,
                        request: RequestFacts::default(),
                    };
                    if identities.insert(key.clone(), id).is_some() {
                        return Err(err(
                            format!("{at}.access_key_id"),
                            format!("access key `{key}` is used twice"),
                        ));
                    }
                }
            }
            if let Some(root) = &a.root {
                let arn = format!("arn:aws:iam::{}:root", a.id);
                let id = Identity {
                    account: a.id.clone(),
                    principal: arn.clone(),
                    principal_arn: arn,
                    secret: root.secret_access_key.clone(),
                    // The root user has no identity policies: it holds every permission in
                    // its account (resource policies' Denies still apply).
                    policies: Arc::new(Vec::new()),
                    tags: Arc::new(BTreeMap::new()),
                    session_policy: None,
                    source_identity: None,
                    token_issued: None,
                    request: RequestFacts::default(),
                };
                if identities.insert(root.access_key_id.clone(), id).is_some() {
                    return Err(err(
                        format!("$.accounts[{ai}].root.access_key_id"),
                        format!("access key `{}` is used twice", root.access_key_id),
                    ));
                }
            }
            for r in &a.resources {
                resource_tags.insert(r.arn.clone(), r.tags.clone());
                resource_owners.insert(r.arn.clone(), a.id.clone());
            }
        }
        Ok(Config {
            region: f.region,
            identities,
            roles,
            accounts,
            resource_tags,
            resource_owners,
        })
    }
}
