//! The request-context model: every condition key AWS puts in a request, for each kind
//! of principal and each way a request reaches AWS, where its value comes from, and the
//! page that says so. [`KEYS`] is the one list; [`complete`] fills a request's context
//! from it, so every analysis (check, fix, audit, exposure) and the vault service build
//! requests the same way, and a key AWS always sends is never taken as absent: it is
//! known, or [`ContextValue::Unknown`] with what would settle it.
//!
//! Main sources: "AWS global condition context keys"
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
//! "IAM and AWS STS condition context keys"
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html),
//! the Service Authorization Reference pages of Amazon S3 and AWS KMS, and "Forward
//! access sessions" (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html).

use crate::condition::format_date;
use crate::context::{Context, ContextValue, Domain, Unknown};
use crate::principal::RequestPrincipal;
use crate::request::Request;

const GLOBAL: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html";
const IAM_KEYS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html";
const S3_KEYS: &str =
    "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html";
const KMS_KEYS: &str = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html";
const EC2_KEYS: &str =
    "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html";

/// When AWS includes a key in a request's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// In every request.
    Always,
    /// In every request but those to these services ("all Amazon EBS actions" lack
    /// `aws:ResourceAccount`).
    AllServicesBut(&'static [&'static str]),
    /// In every signed request (every principal but an anonymous caller).
    Signed,
    /// Requests by an IAM user.
    IamUser,
    /// Requests made with temporary credentials: role sessions, federated users.
    Temporary,
    /// Temporary credentials obtained with multi-factor authentication.
    WithMfa,
    /// The principal's account is a member of an organization.
    PrincipalInOrganization,
    /// One key per tag of the principal.
    PrincipalTags,
    /// Unless the request comes through a VPC endpoint.
    NotThroughVpcEndpoint,
    /// Only when the caller's request comes through a VPC endpoint, and not in the
    /// requests a service makes on its behalf ("certain network-specific authorization
    /// context is redacted", global condition keys page, `aws:SourceVpc`).
    ThroughVpcEndpoint,
    /// When an AWS service makes the request with the principal's credentials (a forward
    /// access session: S3 calling KMS for an SSE-KMS object).
    ViaService,
    /// The resource's account is a member of an organization.
    ResourceInOrganization,
    /// One key per tag of the resource.
    ResourceTags,
    /// In every request to this service (its own keys).
    Service(&'static str),
    /// Only when the request carries it (tags, headers, a passed role): the step that
    /// makes the request sets it.
    Request,
}

/// Where a key's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The time of the request (`--at`, default now).
    Clock,
    /// The Region of the endpoint the request goes to (the step's resource).
    Endpoint,
    /// The caller's network: address, VPC endpoint, TLS (`--network`).
    Network,
    /// The principal making the request (its ARN, account, type).
    Principal,
    /// The organization of the principal's or the resource's account (the snapshot).
    Organization,
    /// Tags of the principal or resource (the snapshot).
    Tags,
    /// The session: when it was issued, with or without MFA.
    Session,
    /// How the request reaches AWS: directly, or by a service on the principal's behalf.
    Route,
    /// The caller's software (`aws:UserAgent`): known only if the user says.
    Client,
    /// The request itself (the step).
    Request,
}

/// One key of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyModel {
    pub key: &'static str,
    pub presence: Presence,
    pub source: Source,
    pub multivalued: bool,
    /// The page that documents it.
    pub page: &'static str,
}

const fn k(key: &'static str, presence: Presence, source: Source, page: &'static str) -> KeyModel {
    KeyModel {
        key,
        presence,
        source,
        multivalued: false,
        page,
    }
}

const fn multi(
    key: &'static str,
    presence: Presence,
    source: Source,
    page: &'static str,
) -> KeyModel {
    KeyModel {
        key,
        presence,
        source,
        multivalued: true,
        page,
    }
}

use Presence as P;
use Source as S;

/// Every key the model knows, in the order of the global condition keys page, then the
/// service keys of the requests Vaultward builds.
pub const KEYS: &[KeyModel] = &[
    // Properties of the principal.
    k("aws:PrincipalArn", P::Signed, S::Principal, GLOBAL),
    k("aws:PrincipalAccount", P::Always, S::Principal, GLOBAL),
    k(
        "aws:PrincipalOrgPaths",
        P::PrincipalInOrganization,
        S::Organization,
        GLOBAL,
    ),
    k(
        "aws:PrincipalOrgID",
        P::PrincipalInOrganization,
        S::Organization,
        GLOBAL,
    ),
    k("aws:PrincipalTag/", P::PrincipalTags, S::Tags, GLOBAL),
    k("aws:PrincipalIsAWSService", P::Signed, S::Principal, GLOBAL),
    k("aws:PrincipalType", P::Signed, S::Principal, GLOBAL),
    k("aws:userid", P::Always, S::Principal, GLOBAL),
    k("aws:username", P::IamUser, S::Principal, GLOBAL),
    // Properties of a role session.
    k("aws:TokenIssueTime", P::Temporary, S::Session, GLOBAL),
    k(
        "aws:MultiFactorAuthPresent",
        P::Temporary,
        S::Session,
        GLOBAL,
    ),
    k("aws:MultiFactorAuthAge", P::WithMfa, S::Session, GLOBAL),
    // Properties of the network.
    k("aws:SourceIp", P::NotThroughVpcEndpoint, S::Network, GLOBAL),
    k("aws:SourceVpc", P::ThroughVpcEndpoint, S::Network, GLOBAL),
    k("aws:SourceVpce", P::ThroughVpcEndpoint, S::Network, GLOBAL),
    k("aws:VpcSourceIp", P::ThroughVpcEndpoint, S::Network, GLOBAL),
    // Properties of the resource.
    k(
        "aws:ResourceAccount",
        P::AllServicesBut(&["ebs"]),
        S::Principal,
        GLOBAL,
    ),
    k(
        "aws:ResourceOrgID",
        P::ResourceInOrganization,
        S::Organization,
        GLOBAL,
    ),
    k(
        "aws:ResourceOrgPaths",
        P::ResourceInOrganization,
        S::Organization,
        GLOBAL,
    ),
    k("aws:ResourceTag/", P::ResourceTags, S::Tags, GLOBAL),
    // Properties of the request.
    multi("aws:CalledVia", P::ViaService, S::Route, GLOBAL),
    k("aws:CalledViaFirst", P::ViaService, S::Route, GLOBAL),
    k("aws:CalledViaLast", P::ViaService, S::Route, GLOBAL),
    k("aws:ViaAWSService", P::Always, S::Route, GLOBAL),
    k("aws:CurrentTime", P::Always, S::Clock, GLOBAL),
    k("aws:EpochTime", P::Always, S::Clock, GLOBAL),
    k("aws:RequestedRegion", P::Always, S::Endpoint, GLOBAL),
    k("aws:SecureTransport", P::Always, S::Network, GLOBAL),
    k("aws:UserAgent", P::Always, S::Client, GLOBAL),
    multi("aws:TagKeys", P::Request, S::Request, GLOBAL),
    k("aws:RequestTag/", P::Request, S::Request, GLOBAL),
    // Passing a role (IAM), tagging at creation (EC2).
    k("iam:PassedToService", P::Request, S::Request, IAM_KEYS),
    k(
        "iam:AssociatedResourceArn",
        P::Request,
        S::Request,
        IAM_KEYS,
    ),
    k("ec2:CreateAction", P::Request, S::Request, EC2_KEYS),
    // AWS KMS: every request, and those a service makes on the principal's behalf.
    k(
        "kms:CallerAccount",
        P::Service("kms"),
        S::Principal,
        KMS_KEYS,
    ),
    k("kms:ViaService", P::ViaService, S::Route, KMS_KEYS),
    k(
        "kms:EncryptionContext:aws:s3:arn",
        P::Request,
        S::Request,
        KMS_KEYS,
    ),
    // Amazon S3: every authenticated request, and the headers of writes.
    k(
        "s3:ResourceAccount",
        P::Service("s3"),
        S::Principal,
        S3_KEYS,
    ),
    k("s3:TlsVersion", P::Service("s3"), S::Network, S3_KEYS),
    k("s3:signatureversion", P::Service("s3"), S::Client, S3_KEYS),
    k("s3:authType", P::Service("s3"), S::Client, S3_KEYS),
    k("s3:signatureAge", P::Service("s3"), S::Client, S3_KEYS),
    k(
        "s3:x-amz-server-side-encryption",
        P::Request,
        S::Request,
        S3_KEYS,
    ),
    k(
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        P::Request,
        S::Request,
        S3_KEYS,
    ),
    k("s3:x-amz-acl", P::Request, S::Request, S3_KEYS),
];

/// How a request reaches AWS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Route {
    /// The principal calls the service.
    #[default]
    Direct,
    /// A service (`s3`, `dynamodb`, `ec2`, `backup`) calls with the principal's
    /// credentials: S3 calling KMS to decrypt an SSE-KMS object for the principal.
    ViaService(String),
}

/// The organization of an account, as far as it is known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Membership {
    #[default]
    Unknown,
    /// Not in an organization.
    None,
    /// A member: the organization's id and the account's path (`o-.../r-.../ou-.../`),
    /// when it is known.
    Member { id: String, path: Option<String> },
}

/// Tags, as far as they are known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Tags {
    #[default]
    Unknown,
    Known(Vec<(String, String)>),
}

/// The caller's network (`--network`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    /// The addresses requests come from (CIDR blocks); empty: not known.
    pub egress: Vec<String>,
    /// The VPC endpoint requests come through, and its VPC; `None`: over the internet.
    pub vpc_endpoint: Option<VpcEndpoint>,
    /// The TLS version (`1.2`, `1.3`); `None`: not known.
    pub tls_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcEndpoint {
    pub id: String,
    pub vpc: String,
}

/// What is known of a request beyond its principal, action and resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    /// When the request is made, in milliseconds since the epoch; `None`: not known.
    pub at: Option<i64>,
    /// The longest a session of the principal lasts, in milliseconds: a role's maximum
    /// session duration; `None`: the most AWS allows for the principal's kind
    /// ([`max_session`]).
    pub max_session: Option<i64>,
    /// The Region of the endpoint; `None`: not known.
    pub region: Option<String>,
    pub network: Network,
    /// Whether requests use TLS (`aws:SecureTransport`); `None`: not known.
    pub secure_transport: Option<bool>,
    /// The caller signs with the AWS SDK (SigV4 in the `Authorization` header), which
    /// fixes `s3:signatureversion` and `s3:authType`.
    pub sdk_client: bool,
    pub user_agent: Option<String>,
    /// The principal's unique id (`AROA...:session`, `AIDA...`); `None`: not known.
    pub userid: Option<String>,
    /// Whether the session was issued with MFA; `None`: not known.
    pub mfa: Option<bool>,
    pub principal_org: Membership,
    pub resource_org: Membership,
    pub principal_tags: Tags,
    pub resource_tags: Tags,
}

/// The longest role session AWS issues: 12 hours (STS AssumeRole, `DurationSeconds`,
/// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
pub const MAX_SESSION_MS: i64 = 12 * 3600 * 1000;

/// The longest session of a federated user: 36 hours (STS GetFederationToken,
/// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html).
pub const MAX_FEDERATION_MS: i64 = 36 * 3600 * 1000;

/// The longest a session of `principal` can have lasted.
pub fn max_session(principal: &RequestPrincipal) -> i64 {
    match principal {
        RequestPrincipal::FederatedUser { .. } => MAX_FEDERATION_MS,
        _ => MAX_SESSION_MS,
    }
}

/// Whether a key of the model is in a request of `principal` reaching AWS by `route`,
/// given what `facts` say. `None`: it may or may not be (a tag, a membership not known).
pub fn present(
    m: &KeyModel,
    principal: &RequestPrincipal,
    service: &str,
    route: &Route,
    facts: &Facts,
) -> Option<bool> {
    let signed = !matches!(principal, RequestPrincipal::Anonymous);
    let temporary = matches!(
        principal,
        RequestPrincipal::Session { .. } | RequestPrincipal::FederatedUser { .. }
    );
    let membership = |m: &Membership| match m {
        Membership::Unknown => None,
        Membership::None => Some(false),
        Membership::Member { .. } => Some(true),
    };
    match m.presence {
        P::Always => Some(true),
        P::AllServicesBut(list) => Some(!list.iter().any(|s| s.eq_ignore_ascii_case(service))),
        P::Signed => Some(signed),
        P::IamUser => Some(matches!(principal, RequestPrincipal::User { .. })),
        P::Temporary => Some(temporary),
        P::WithMfa => match facts.mfa {
            Some(mfa) => Some(temporary && mfa),
            None if temporary => None,
            None => Some(false),
        },
        P::PrincipalInOrganization => {
            if signed {
                membership(&facts.principal_org)
            } else {
                Some(false)
            }
        }
        P::ResourceInOrganization => membership(&facts.resource_org),
        P::PrincipalTags | P::ResourceTags => None,
        // A request a service makes on the caller's behalf keeps the caller's address when
        // the caller came over a public endpoint ("Forward access sessions").
        P::NotThroughVpcEndpoint => Some(facts.network.vpc_endpoint.is_none()),
        P::ThroughVpcEndpoint => {
            Some(facts.network.vpc_endpoint.is_some() && matches!(route, Route::Direct))
        }
        P::ViaService => Some(matches!(route, Route::ViaService(_))),
        P::Service(s) => Some(s.eq_ignore_ascii_case(service)),
        P::Request => Some(false),
    }
}

fn unknown(settled_by: &str) -> ContextValue {
    ContextValue::Unknown(Unknown::any(settled_by))
}

fn single(s: impl Into<String>) -> ContextValue {
    ContextValue::Single(s.into())
}

/// Completes `req`'s context from the model: every key AWS would send that the request
/// does not give is set, to its value when the facts say it, unknown otherwise. Keys the
/// request gives are kept (the step's own keys, `--context`), and so are keys the
/// request derived from its principal.
pub fn complete(req: &mut Request, route: &Route, facts: &Facts) {
    let service = req.service().to_string();
    let resource_account = req.resource_account.clone();
    let principal = req.principal.clone();
    fill(
        &mut req.context,
        &principal,
        &service,
        resource_account.as_deref(),
        route,
        facts,
    );
}

/// [`complete`] on a context being built: for requests of `principal` to `service` on a
/// resource of `resource_account`.
pub fn fill(
    ctx: &mut Context,
    principal: &RequestPrincipal,
    service: &str,
    resource_account: Option<&str>,
    route: &Route,
    facts: &Facts,
) {
    for m in KEYS {
        if ctx.get(m.key).is_some() && !m.key.ends_with('/') {
            continue;
        }
        // Present, or maybe (a tag, a membership not known): filled, as unknown if need be.
        if present(m, principal, service, route, facts) == Some(false) {
            continue;
        }
        fill_key(m, ctx, principal, resource_account, route, facts);
    }
}

/// Sets one key (or family of keys, for tags) from its source.
fn fill_key(
    m: &KeyModel,
    ctx: &mut Context,
    principal: &RequestPrincipal,
    resource_account: Option<&str>,
    route: &Route,
    facts: &Facts,
) {
    let key = m.key;
    let value = match (m.source, key) {
        (S::Clock, "aws:CurrentTime") => match facts.at.and_then(format_date) {
            Some(t) => single(t),
            None => unknown("the time of the request: give `--at`"),
        },
        (S::Clock, _) => match facts.at {
            Some(ms) => single(ms.div_euclid(1000).to_string()),
            None => unknown("the time of the request: give `--at`"),
        },
        (S::Endpoint, _) => match &facts.region {
            Some(r) => single(r.clone()),
            None => unknown("the Region of the request's endpoint"),
        },
        (S::Network, "aws:SourceIp") => match facts.network.egress.as_slice() {
            [one] if !one.contains('/') || one.ends_with("/32") || one.ends_with("/128") => {
                single(one.split('/').next().unwrap_or(one))
            }
            [] => unknown("the address requests come from: give `--network` with the egress CIDRs"),
            nets => ContextValue::Unknown(Unknown {
                domain: Domain::InNetworks(nets.to_vec()),
                ..Unknown::any("the exact egress address, within `--network`'s CIDRs")
            }),
        },
        (S::Network, "aws:SourceVpc") => match &facts.network.vpc_endpoint {
            Some(e) => single(e.vpc.clone()),
            None => return,
        },
        (S::Network, "aws:SourceVpce") => match &facts.network.vpc_endpoint {
            Some(e) => single(e.id.clone()),
            None => return,
        },
        (S::Network, "aws:VpcSourceIp") => unknown("the address inside the VPC requests come from"),
        (S::Network, "aws:SecureTransport") => match facts.secure_transport {
            Some(b) => single(b.to_string()),
            None => unknown("whether requests use TLS"),
        },
        (S::Network, _) => match &facts.network.tls_version {
            Some(v) => single(v.clone()),
            None => unknown("the TLS version requests use: give `--network` with `tls_version`"),
        },
        (S::Principal, "aws:ResourceAccount" | "s3:ResourceAccount") => match resource_account {
            Some(a) => single(a),
            None => unknown("the resource's account"),
        },
        (S::Principal, "kms:CallerAccount") => match principal.account() {
            Some(a) => single(a),
            None => return,
        },
        // "For anonymous requests, the request context returns `anonymous`."
        (S::Principal, "aws:PrincipalAccount")
            if matches!(principal, RequestPrincipal::Anonymous) =>
        {
            single("anonymous")
        }
        (S::Principal, "aws:userid") => match &facts.userid {
            Some(u) => single(u.clone()),
            None => unknown("the principal's unique id (`AROA...:session`)"),
        },
        // The rest of the principal's keys are derived from it by `Request::new`.
        (S::Principal, _) => return,
        (S::Organization, _) => {
            let org = if key.starts_with("aws:Principal") {
                &facts.principal_org
            } else {
                &facts.resource_org
            };
            match org {
                Membership::Member { id, path } => match (key.ends_with("OrgID"), path) {
                    (true, _) => single(id.clone()),
                    (false, Some(p)) => ContextValue::Multi(vec![p.clone()]),
                    (false, None) => ContextValue::Unknown(Unknown {
                        multivalued: true,
                        ..Unknown::any("the account's path in its organization")
                    }),
                },
                Membership::None => return,
                Membership::Unknown => ContextValue::Unknown(Unknown {
                    maybe_absent: true,
                    multivalued: key.ends_with("Paths"),
                    ..Unknown::any("whether the account is in an organization, and where")
                }),
            }
        }
        (S::Tags, _) => {
            let tags = if key.starts_with("aws:Principal") {
                &facts.principal_tags
            } else {
                &facts.resource_tags
            };
            match tags {
                Tags::Known(list) => {
                    for (k, v) in list {
                        ctx.insert_default(&format!("{key}{k}"), single(v.clone()));
                    }
                }
                Tags::Unknown => ctx.insert_unknown_prefix(
                    key,
                    Unknown {
                        maybe_absent: true,
                        ..Unknown::any("the tags, which were not collected")
                    },
                ),
            }
            return;
        }
        (S::Session, "aws:TokenIssueTime") => match facts.at {
            Some(at) => ContextValue::Unknown(Unknown {
                domain: Domain::Between(
                    at.saturating_sub(facts.max_session.unwrap_or_else(|| max_session(principal))),
                    at,
                ),
                ..Unknown::any(
                    "when the session was issued (within its maximum duration before `--at`)",
                )
            }),
            None => unknown("when the session was issued"),
        },
        (S::Session, "aws:MultiFactorAuthPresent") => match facts.mfa {
            Some(b) => single(b.to_string()),
            None => unknown("whether the session was issued with MFA"),
        },
        (S::Session, _) => unknown("how long ago the session's MFA was"),
        (S::Route, "aws:ViaAWSService") => {
            single(matches!(route, Route::ViaService(_)).to_string())
        }
        (S::Route, "kms:ViaService") => match (route, &facts.region) {
            (Route::ViaService(s), Some(r)) => single(format!("{s}.{r}.amazonaws.com")),
            (Route::ViaService(s), None) => ContextValue::Unknown(Unknown {
                domain: Domain::Any,
                ..Unknown::any(format!(
                    "the Region of the `{s}` endpoint that calls AWS KMS"
                ))
            }),
            (Route::Direct, _) => return,
        },
        // "When FAS requests are made, aws:CalledVia, aws:CalledViaFirst, and
        // aws:CalledViaLast condition keys are populated with the service principal of
        // the service that initiated the FAS call" ("Forward access sessions").
        (S::Route, "aws:CalledVia") => match route {
            Route::ViaService(s) => ContextValue::Multi(vec![format!("{s}.amazonaws.com")]),
            Route::Direct => return,
        },
        (S::Route, _) => match route {
            Route::ViaService(s) => single(format!("{s}.amazonaws.com")),
            Route::Direct => return,
        },
        (S::Client, "aws:UserAgent") => match &facts.user_agent {
            Some(u) => single(u.clone()),
            None => unknown("the caller's user agent"),
        },
        (S::Client, "s3:signatureversion") if facts.sdk_client => single("AWS4-HMAC-SHA256"),
        (S::Client, "s3:authType") if facts.sdk_client => single("REST-HEADER"),
        (S::Client, _) => unknown("how the caller signs its requests"),
        (S::Request, _) => return,
    };
    ctx.insert(key, value);
}

/// The model as a Markdown table, for `docs/request-context.md` (a test keeps the two
/// the same).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| key | present | value from | multivalued | source |\n| --- | --- | --- | --- | --- |\n",
    );
    for m in KEYS {
        let key = if m.key.ends_with('/') {
            format!("`{}<key>`", m.key)
        } else {
            format!("`{}`", m.key)
        };
        let present = match m.presence {
            P::Always => "always".to_string(),
            P::AllServicesBut(list) => {
                format!("always, but not in requests to {}", list.join(", "))
            }
            P::Signed => "every signed request".into(),
            P::IamUser => "requests of an IAM user".into(),
            P::Temporary => "temporary credentials (role sessions, federated users)".into(),
            P::WithMfa => "temporary credentials issued with MFA".into(),
            P::PrincipalInOrganization => "the principal's account is in an organization".into(),
            P::PrincipalTags => "one per tag of the principal".into(),
            P::NotThroughVpcEndpoint => "not through a VPC endpoint".into(),
            P::ThroughVpcEndpoint => {
                "through a VPC endpoint (not on a service's calls for the caller)".into()
            }
            P::ViaService => "a service calls for the principal (forward access session)".into(),
            P::ResourceInOrganization => "the resource's account is in an organization".into(),
            P::ResourceTags => "one per tag of the resource".into(),
            P::Service(s) => format!("every request to `{s}`"),
            P::Request => "when the request carries it (the step sets it)".into(),
        };
        let source = match m.source {
            S::Clock => "the time (`--at`, default now)",
            S::Endpoint => "the Region of the endpoint",
            S::Network => "the caller's network (`--network`)",
            S::Principal => "the principal, or the resource's account",
            S::Organization => "the snapshot's organization",
            S::Tags => "the snapshot's tags",
            S::Session => "the session (issued within its maximum duration before `--at`)",
            S::Route => "the route: direct, or a service for the principal",
            S::Client => "the caller's software",
            S::Request => "the request (the step)",
        };
        let page = m.page.rsplit('/').next().unwrap_or(m.page);
        out.push_str(&format!(
            "| {key} | {present} | {source} | {} | [{page}]({}) |\n",
            if m.multivalued { "yes" } else { "no" },
            m.page
        ));
    }
    out
}

#[cfg(test)]
mod tests;
