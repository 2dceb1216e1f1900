//! A request to authorize: who, what, on which resource, in which context.

use crate::arn::Arn;
use crate::context::{Context, ContextValue};
use crate::principal::{PrincipalSyntaxError, RequestPrincipal};

/// A request with its context completed by the keys AWS derives from the principal.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub principal: RequestPrincipal,
    pub action: String,
    /// The action lowercased (actions match case-insensitively).
    pub action_lower: String,
    pub resource: String,
    /// The account that owns the resource, when known.
    pub resource_account: Option<String>,
    pub context: Context,
}

impl Request {
    /// Builds a request. Keys given in `context` override the derived ones:
    /// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:ResourceAccount`, `aws:username`,
    /// `aws:userid`, `aws:PrincipalType`, `aws:PrincipalIsAWSService`, `aws:PrincipalServiceName`.
    ///
    /// Source: "AWS global condition context keys", AWS IAM User Guide
    /// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
    pub fn new(
        principal: &str,
        action: &str,
        resource: &str,
        resource_account: Option<&str>,
        context: Context,
    ) -> Result<Request, PrincipalSyntaxError> {
        Request::from_parts(
            principal,
            action.to_string(),
            resource.to_string(),
            resource_account.map(str::to_string),
            context,
        )
    }

    /// [`Request::new`], from strings the caller owns already.
    pub fn from_parts(
        principal: &str,
        action: String,
        resource: String,
        resource_account: Option<String>,
        mut context: Context,
    ) -> Result<Request, PrincipalSyntaxError> {
        let given_arn = match context.get("aws:principalarn") {
            Some(ContextValue::Single(s)) => Some(s.clone()),
            _ => None,
        };
        let principal = RequestPrincipal::parse(principal, given_arn.as_deref())?;
        let resource_account = resource_account
            .or_else(|| match context.get("aws:resourceaccount") {
                Some(ContextValue::Single(s)) => Some(s.clone()),
                _ => None,
            })
            .or_else(|| {
                Arn::parse(&resource)
                    .map(|a| a.account)
                    .filter(|a| !a.is_empty() && *a != "*")
                    .map(str::to_string)
            });
        derive_context(&principal, resource_account.as_deref(), &mut context);
        Ok(Request {
            principal,
            action_lower: action.to_ascii_lowercase(),
            action,
            resource,
            resource_account,
            context,
        })
    }

    /// Whether the role's trust policy decides the action: `sts:AssumeRole*`, and the
    /// permissions a trust policy grants along with it, `sts:TagSession`,
    /// `sts:SetSourceIdentity` and `sts:SetContext` (IAM User Guide, "Passing session tags
    /// in AWS STS": "the role's trust policy must allow sts:TagSession"; "Monitor and
    /// control actions taken with assumed roles": sts:SetSourceIdentity in the trust policy).
    pub fn is_trust_action(&self) -> bool {
        self.service() == "sts"
            && (self.action_lower.starts_with("sts:assumerole")
                || matches!(
                    self.action_lower.as_str(),
                    "sts:tagsession" | "sts:setsourceidentity" | "sts:setcontext"
                ))
    }

    /// The service prefix of the action (`s3` for `s3:GetObject`), lowercased.
    pub fn service(&self) -> &str {
        let a = &self.action_lower;
        let end = a.bytes().position(|b| b == b':').unwrap_or(a.len());
        a.get(..end).unwrap_or("")
    }

    /// Whether principal and resource are in the same account. Unknown counts as not
    /// the same, which requires both sides to allow (the stricter reading).
    pub fn same_account(&self) -> bool {
        matches!((self.principal.account(), &self.resource_account), (Some(a), Some(b)) if a == b)
    }
}

/// Whether `a` names one concrete action, `service:Action` with no wildcard: what a
/// request carries.
pub fn is_action_name(a: &str) -> bool {
    a.split_once(':').is_some_and(|(svc, name)| {
        !svc.is_empty()
            && svc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn single(s: impl Into<String>) -> ContextValue {
    ContextValue::Single(s.into())
}

/// Sets `key` to the value `value` makes, only if it is not already present (the value is
/// not built for a key the request gives).
fn default(ctx: &mut Context, key: &str, value: impl FnOnce() -> ContextValue) {
    if ctx.get(key).is_none() {
        ctx.insert(key, value());
    }
}

fn derive_context(p: &RequestPrincipal, resource_account: Option<&str>, ctx: &mut Context) {
    match p {
        // A session whose role's path is not known: its role ARN is some
        // `role/<path>NAME`, not the path-less one.
        RequestPrincipal::Session {
            account,
            role_name,
            role_path_known: false,
            ..
        } => default(ctx, "aws:PrincipalArn", || {
            ContextValue::Unknown(crate::context::Unknown {
                domain: crate::context::Domain::Like(format!(
                    "arn:aws:iam::{account}:role/*{role_name}"
                )),
                ..crate::context::Unknown::any(
                    "the role's path: give `aws:PrincipalArn` (the role's ARN)",
                )
            })
        }),
        _ => {
            if ctx.get("aws:PrincipalArn").is_none() {
                if let Some(arn) = p.principal_arn() {
                    ctx.insert("aws:PrincipalArn", single(arn));
                }
            }
        }
    }
    if let Some(acct) = p.account() {
        default(ctx, "aws:PrincipalAccount", || single(acct));
    }
    if let Some(acct) = resource_account {
        default(ctx, "aws:ResourceAccount", || single(acct));
    }
    default(ctx, "aws:PrincipalType", || single(p.principal_type()));
    let is_service = matches!(p, RequestPrincipal::Service(_));
    default(ctx, "aws:PrincipalIsAWSService", || {
        single(if is_service { "true" } else { "false" })
    });
    match p {
        RequestPrincipal::User { name, .. } => {
            default(ctx, "aws:username", || single(name.clone()))
        }
        RequestPrincipal::Root { account, .. } => {
            default(ctx, "aws:userid", || single(account.clone()))
        }
        RequestPrincipal::Anonymous => default(ctx, "aws:userid", || single("anonymous")),
        RequestPrincipal::FederatedUser { account, name, .. } => {
            default(ctx, "aws:userid", || single(format!("{account}:{name}")))
        }
        RequestPrincipal::Service(s) => {
            default(ctx, "aws:PrincipalServiceName", || single(s.clone()))
        }
        _ => {}
    }
}
