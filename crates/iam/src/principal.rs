//! Who makes a request, and how the `Principal` element names them.
//!
//! Source: "AWS JSON policy elements: Principal" and "NotPrincipal", AWS IAM User Guide
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).

use crate::arn::{is_account_id, Arn};

/// The principal making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestPrincipal {
    /// An unsigned request (`"*"`).
    Anonymous,
    /// The account's root user.
    Root {
        partition: String,
        account: String,
    },
    User {
        arn: String,
        account: String,
        name: String,
    },
    /// A role session. `role_arn` carries the role's path when it is known.
    Session {
        arn: String,
        account: String,
        role_name: String,
        session: String,
        role_arn: String,
        role_path_known: bool,
    },
    FederatedUser {
        arn: String,
        account: String,
        name: String,
    },
    /// An AWS service principal such as `backup.amazonaws.com`.
    Service(String),
    /// A web identity or SAML provider (`Federated` principal).
    WebIdentity(String),
    CanonicalUser(String),
}

/// Why a principal string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalSyntaxError(pub String);

impl RequestPrincipal {
    /// Reads a request principal. `principal_arn` (the `aws:PrincipalArn` given in the
    /// request context, if any) supplies a session's role path.
    pub fn parse(s: &str, principal_arn: Option<&str>) -> Result<Self, PrincipalSyntaxError> {
        if s == "*" || s.eq_ignore_ascii_case("anonymous") {
            return Ok(RequestPrincipal::Anonymous);
        }
        if is_account_id(s) {
            return Ok(RequestPrincipal::Root {
                partition: "aws".into(),
                account: s.into(),
            });
        }
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(RequestPrincipal::CanonicalUser(s.into()));
        }
        let Some(arn) = Arn::parse(s) else {
            if s.contains('.') && !s.contains(char::is_whitespace) {
                let web_identity = matches!(
                    s,
                    "cognito-identity.amazonaws.com"
                        | "www.amazon.com"
                        | "graph.facebook.com"
                        | "accounts.google.com"
                );
                return Ok(
                    if !web_identity
                        && (s.ends_with(".amazonaws.com") || s.ends_with(".amazonaws.com.cn"))
                    {
                        RequestPrincipal::Service(s.to_ascii_lowercase())
                    } else {
                        RequestPrincipal::WebIdentity(s.into())
                    },
                );
            }
            return Err(PrincipalSyntaxError(format!(
                "`{s}` is not a principal: use `*`, an account id, an IAM or STS ARN, or a service principal such as `backup.amazonaws.com`"
            )));
        };
        let account = arn.account.to_string();
        let bad = || {
            PrincipalSyntaxError(format!(
                "`{s}` is not an IAM user, role, root, session or federated-user ARN"
            ))
        };
        match (arn.service, arn.resource.split_once('/')) {
            ("iam", _) if arn.resource == "root" => Ok(RequestPrincipal::Root {
                partition: arn.partition.into(),
                account,
            }),
            ("iam", Some(("user", rest))) => Ok(RequestPrincipal::User {
                arn: s.into(),
                account,
                name: rest.rsplit('/').next().unwrap_or(rest).into(),
            }),
            ("iam", Some(("role", rest))) => {
                let name = rest.rsplit('/').next().unwrap_or(rest).to_string();
                Ok(RequestPrincipal::Session {
                    arn: s.into(),
                    account,
                    role_name: name,
                    session: String::new(),
                    role_arn: s.into(),
                    role_path_known: true,
                })
            }
            ("iam", Some(("saml-provider" | "oidc-provider", _))) => {
                Ok(RequestPrincipal::WebIdentity(s.into()))
            }
            ("sts", Some(("assumed-role", rest))) => {
                let (role_name, session) = rest.split_once('/').ok_or_else(bad)?;
                let (role_arn, role_path_known) = match principal_arn {
                    Some(p) if role_arn_names(p, &account, role_name) => (p.to_string(), true),
                    _ => (
                        format!("arn:{}:iam::{}:role/{}", arn.partition, account, role_name),
                        false,
                    ),
                };
                Ok(RequestPrincipal::Session {
                    arn: s.into(),
                    account,
                    role_name: role_name.into(),
                    session: session.into(),
                    role_arn,
                    role_path_known,
                })
            }
            ("sts", Some(("federated-user", name))) => Ok(RequestPrincipal::FederatedUser {
                arn: s.into(),
                account,
                name: name.into(),
            }),
            _ => Err(bad()),
        }
    }

    /// The account the principal belongs to, if it has one.
    pub fn account(&self) -> Option<&str> {
        match self {
            RequestPrincipal::Root { account, .. }
            | RequestPrincipal::User { account, .. }
            | RequestPrincipal::Session { account, .. }
            | RequestPrincipal::FederatedUser { account, .. } => Some(account),
            _ => None,
        }
    }

    /// The `aws:PrincipalArn` value: for a session, its role's ARN.
    pub fn principal_arn(&self) -> Option<String> {
        match self {
            RequestPrincipal::Root { partition, account } => {
                Some(format!("arn:{partition}:iam::{account}:root"))
            }
            RequestPrincipal::User { arn, .. } | RequestPrincipal::FederatedUser { arn, .. } => {
                Some(arn.clone())
            }
            RequestPrincipal::Session { role_arn, .. } => Some(role_arn.clone()),
            _ => None,
        }
    }

    /// Whether this is a service-linked role (path `/aws-service-role/`), outside SCPs and RCPs.
    pub fn is_service_linked_role(&self) -> bool {
        matches!(self, RequestPrincipal::Session { role_arn, .. } if role_arn.contains(":role/aws-service-role/"))
    }

    /// The `aws:PrincipalType` value.
    pub fn principal_type(&self) -> &'static str {
        match self {
            RequestPrincipal::Anonymous => "Anonymous",
            RequestPrincipal::Root { .. } => "Account",
            RequestPrincipal::User { .. } => "User",
            RequestPrincipal::Session { .. } => "AssumedRole",
            RequestPrincipal::FederatedUser { .. } => "FederatedUser",
            RequestPrincipal::Service(_) => "Service",
            RequestPrincipal::WebIdentity(_) => "WebIdentity",
            RequestPrincipal::CanonicalUser(_) => "CanonicalUser",
        }
    }
}

fn role_arn_names(arn: &str, account: &str, role_name: &str) -> bool {
    Arn::parse(arn).is_some_and(|a| {
        a.service == "iam"
            && a.account == account
            && a.resource.starts_with("role/")
            && a.resource.rsplit('/').next() == Some(role_name)
    })
}

/// One value of a policy's `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`: everyone, including anonymous.
    Everyone,
    /// An account id or `arn:...:iam::ACCOUNT:root`.
    Account(String),
    User(String),
    /// A role ARN: matches the role's sessions.
    Role {
        arn: String,
        account: String,
        name: String,
        has_path: bool,
    },
    Session(String),
    FederatedUser(String),
    Service(String),
    Federated(String),
    CanonicalUser(String),
    /// A value AWS would not match (a wildcard inside an ARN, a malformed ARN): matches nobody.
    Unmatchable(String),
}

/// How a statement's principal matched the request principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    /// Through the account (delegates to the account's identity policies).
    Account,
    /// Through `*`.
    Everyone,
    /// Through the role's ARN (for a session).
    Role,
    /// Through `*` narrowed by an `aws:PrincipalArn` condition: like a direct grant, not
    /// limited by a boundary or session policy.
    PrincipalArn,
    /// Through the exact user or session ARN, a service, federated or canonical id.
    Direct,
}

/// Three-valued match: the engine can say it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tri<T> {
    Yes(T),
    No,
    Unknown(String),
}

impl PrincipalEntry {
    /// Reads one value of the `AWS` key.
    pub fn aws(value: &str) -> PrincipalEntry {
        if value == "*" {
            return PrincipalEntry::Everyone;
        }
        if is_account_id(value) {
            return PrincipalEntry::Account(value.into());
        }
        if value.contains('*') || value.contains('?') {
            return PrincipalEntry::Unmatchable(value.into());
        }
        // An IAM unique id (AIDA..., AROA...) names a deleted principal: nothing matches it.
        let Some(arn) = Arn::parse(value) else {
            return PrincipalEntry::Unmatchable(value.into());
        };
        match (arn.service, arn.resource.split_once('/')) {
            ("iam", _) if arn.resource == "root" => PrincipalEntry::Account(arn.account.into()),
            ("iam", Some(("user", _))) => PrincipalEntry::User(value.into()),
            ("iam", Some(("role", rest))) => PrincipalEntry::Role {
                arn: value.into(),
                account: arn.account.into(),
                name: rest.rsplit('/').next().unwrap_or(rest).into(),
                has_path: rest.contains('/'),
            },
            ("sts", Some(("assumed-role", _))) => PrincipalEntry::Session(value.into()),
            ("sts", Some(("federated-user", _))) => PrincipalEntry::FederatedUser(value.into()),
            _ => PrincipalEntry::Unmatchable(value.into()),
        }
    }

    /// Whether this entry matches the request principal as a `Principal` element.
    pub fn matches(&self, p: &RequestPrincipal) -> Tri<Grant> {
        use RequestPrincipal as R;
        match (self, p) {
            (PrincipalEntry::Everyone, _) => Tri::Yes(Grant::Everyone),
            (PrincipalEntry::Account(a), p) if p.account() == Some(a) => Tri::Yes(Grant::Account),
            (PrincipalEntry::User(arn), R::User { arn: u, .. }) if arn == u => {
                Tri::Yes(Grant::Direct)
            }
            (PrincipalEntry::Role { .. }, R::Session { .. }) => {
                self.role_matches(p).map(|()| Grant::Role)
            }
            (PrincipalEntry::Session(arn), R::Session { arn: s, .. }) if arn == s => {
                Tri::Yes(Grant::Direct)
            }
            (PrincipalEntry::FederatedUser(arn), R::FederatedUser { arn: f, .. }) if arn == f => {
                Tri::Yes(Grant::Direct)
            }
            (PrincipalEntry::Service(s), R::Service(r)) if s.eq_ignore_ascii_case(r) => {
                Tri::Yes(Grant::Direct)
            }
            (PrincipalEntry::Federated(f), R::WebIdentity(w)) if f == w => Tri::Yes(Grant::Direct),
            (PrincipalEntry::CanonicalUser(c), R::CanonicalUser(r)) if c == r => {
                Tri::Yes(Grant::Direct)
            }
            _ => Tri::No,
        }
    }

    fn role_matches(&self, p: &RequestPrincipal) -> Tri<()> {
        let (
            PrincipalEntry::Role {
                arn,
                account,
                name,
                has_path,
            },
            RequestPrincipal::Session {
                account: pa,
                role_name,
                role_arn,
                role_path_known,
                ..
            },
        ) = (self, p)
        else {
            return Tri::No;
        };
        if account != pa || name != role_name {
            return Tri::No;
        }
        if arn == role_arn {
            return Tri::Yes(());
        }
        if !role_path_known && *has_path {
            return Tri::Unknown(format!(
                "the session's role path is unknown, so it cannot tell whether the role is `{arn}`; give `aws:PrincipalArn` in the request context"
            ));
        }
        Tri::No
    }

    /// Whether this entry names exactly one identity of the principal's chain (for `NotPrincipal`).
    fn names(&self, identity: &Identity) -> Tri<()> {
        match (self, identity) {
            (PrincipalEntry::Everyone, _) => Tri::Yes(()),
            (PrincipalEntry::Account(a), Identity::Account(b)) if a == b => Tri::Yes(()),
            (PrincipalEntry::User(a), Identity::Arn(b))
            | (PrincipalEntry::Session(a), Identity::Arn(b))
            | (PrincipalEntry::FederatedUser(a), Identity::Arn(b))
            | (PrincipalEntry::Service(a), Identity::Arn(b))
            | (PrincipalEntry::Federated(a), Identity::Arn(b))
            | (PrincipalEntry::CanonicalUser(a), Identity::Arn(b))
                if a == b =>
            {
                Tri::Yes(())
            }
            (PrincipalEntry::Role { .. }, Identity::Role(p)) => self.role_matches(p),
            _ => Tri::No,
        }
    }
}

/// The identities a request principal is made of, for `NotPrincipal`: a session is its
/// session ARN, its role and its account; a user, the user and the account.
enum Identity<'a> {
    Arn(&'a str),
    Role(&'a RequestPrincipal),
    Account(&'a str),
}

fn identities(p: &RequestPrincipal) -> Vec<Identity<'_>> {
    use RequestPrincipal as R;
    match p {
        R::Anonymous => vec![],
        R::Root { account, .. } => vec![Identity::Account(account)],
        R::User { arn, account, .. } | R::FederatedUser { arn, account, .. } => {
            vec![Identity::Arn(arn), Identity::Account(account)]
        }
        R::Session {
            account, session, ..
        } if session.is_empty() => {
            vec![Identity::Role(p), Identity::Account(account)]
        }
        R::Session { arn, account, .. } => vec![
            Identity::Arn(arn),
            Identity::Role(p),
            Identity::Account(account),
        ],
        R::Service(s) | R::WebIdentity(s) | R::CanonicalUser(s) => vec![Identity::Arn(s)],
    }
}

/// Whether a `NotPrincipal` list leaves the principal out (so the statement does not
/// apply to it).
///
/// With `Deny`, every identity of the principal's chain must be listed (a session is
/// denied unless its session, role and account are all named), and a principal with a
/// permissions boundary is never left out. With `Allow`, the statement "allows all
/// principals except the one named in the NotPrincipal element", so naming any identity
/// of the chain leaves the principal out (IAM User Guide, "AWS JSON policy elements:
/// NotPrincipal", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
pub fn not_principal_excludes(
    entries: &[PrincipalEntry],
    p: &RequestPrincipal,
    has_boundary: bool,
    effect: crate::policy::Effect,
) -> Tri<()> {
    if effect == crate::policy::Effect::Allow {
        return not_principal_names_any(entries, p);
    }
    if has_boundary {
        return Tri::No;
    }
    let ids = identities(p);
    if ids.is_empty() {
        // Anonymous: only `*` leaves it out.
        return if entries.contains(&PrincipalEntry::Everyone) {
            Tri::Yes(())
        } else {
            Tri::No
        };
    }
    let mut unknown = None;
    for id in &ids {
        let mut named = Tri::No;
        for e in entries {
            match e.names(id) {
                Tri::Yes(()) => {
                    named = Tri::Yes(());
                    break;
                }
                Tri::Unknown(why) => named = Tri::Unknown(why),
                Tri::No => {}
            }
        }
        match named {
            Tri::Yes(()) => {}
            Tri::No => return Tri::No,
            Tri::Unknown(why) => unknown = Some(why),
        }
    }
    match unknown {
        Some(why) => Tri::Unknown(why),
        None => Tri::Yes(()),
    }
}

/// Whether a `NotPrincipal` names any identity of the principal's chain.
fn not_principal_names_any(entries: &[PrincipalEntry], p: &RequestPrincipal) -> Tri<()> {
    let ids = identities(p);
    if ids.is_empty() {
        return if entries.contains(&PrincipalEntry::Everyone) {
            Tri::Yes(())
        } else {
            Tri::No
        };
    }
    let mut unknown = None;
    for id in &ids {
        for e in entries {
            match e.names(id) {
                Tri::Yes(()) => return Tri::Yes(()),
                Tri::Unknown(why) => unknown = Some(why),
                Tri::No => {}
            }
        }
    }
    match unknown {
        Some(why) => Tri::Unknown(why),
        None => Tri::No,
    }
}

impl<T> Tri<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Tri<U> {
        match self {
            Tri::Yes(t) => Tri::Yes(f(t)),
            Tri::No => Tri::No,
            Tri::Unknown(w) => Tri::Unknown(w),
        }
    }
}

#[cfg(test)]
mod tests;
