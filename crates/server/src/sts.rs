//! `sts:AssumeRole` and `sts:GetCallerIdentity` on the same endpoint (AWS STS's query
//! protocol, XML answers), so `aws sts assume-role --endpoint-url ...` works: the role's
//! trust policy and the caller's identity policies are evaluated by the engine, and the
//! temporary credentials then call as `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
//! STS API reference: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html

use std::collections::HashMap;

use vaultward_iam::{authorize, ContextValue, Decision, PolicySet, Request, ResourceRule};

use crate::arns::iso8601;
use crate::config::{user_id, Identity, Session};
use crate::error::ApiError;
use crate::service::Service;

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn random_token(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    s.truncate(len);
    s
}

/// An STS error in the query protocol's XML shape.
pub fn error_xml(e: &ApiError) -> String {
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        sts_code(e.code),
        xml_escape(&e.message),
        uuid::Uuid::new_v4()
    )
}

/// STS's names for the authentication errors the Backup API names otherwise (STS API
/// reference, "Common Errors").
pub fn sts_code(code: &str) -> &str {
    match code {
        "InvalidSignatureException" => "SignatureDoesNotMatch",
        "UnrecognizedClientException" => "InvalidClientTokenId",
        "ExpiredTokenException" => "ExpiredToken",
        "IncompleteSignatureException" => "IncompleteSignature",
        "MissingAuthenticationTokenException" => "MissingAuthenticationToken",
        other => other,
    }
}

/// The expiry a session token carries (its last 16 hex digits), so that an expired token
/// is told apart from an unknown one after its session is evicted.
fn token_expiry(token: &str) -> Option<f64> {
    let tail = token.get(token.len().checked_sub(16)?..)?;
    u64::from_str_radix(tail, 16).ok().map(|t| t as f64)
}

fn session_name_ok(n: &str) -> bool {
    (2..=64).contains(&n.len())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

impl Service {
    /// The identity of temporary credentials, when `key` is one and `token` matches.
    pub fn session_identity(&self, key: &str, token: Option<&str>) -> Result<Identity, ApiError> {
        let s = self.sessions.lock().ok().and_then(|m| m.get(key).cloned());
        let Some(s) = s else {
            // Evicted: an expired token still says so.
            if token
                .and_then(token_expiry)
                .is_some_and(|t| t <= self.clock.now())
                && key.starts_with("ASIA")
            {
                return Err(ApiError::new(
                    403,
                    "ExpiredTokenException",
                    "The security token included in the request is expired",
                ));
            }
            return Err(ApiError::new(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ));
        };
        if token != Some(s.token.as_str()) {
            return Err(ApiError::new(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ));
        }
        if self.clock.now() >= s.expires {
            return Err(ApiError::new(
                403,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ));
        }
        Ok(s.identity)
    }

    /// Handles an STS query-protocol call; the answer is XML.
    pub fn sts(&self, who: &Identity, form: &HashMap<String, String>) -> Result<String, ApiError> {
        let ns = "https://sts.amazonaws.com/doc/2011-06-15/";
        let request_id = uuid::Uuid::new_v4();
        match form.get("Action").map(String::as_str) {
            Some("GetCallerIdentity") => Ok(format!(
                "<GetCallerIdentityResponse xmlns=\"{ns}\"><GetCallerIdentityResult><Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                xml_escape(&who.principal),
                xml_escape(&user_id(who)),
                who.account
            )),
            Some("AssumeRole") => {
                let role_arn = form
                    .get("RoleArn")
                    .ok_or_else(|| ApiError::new(400, "MissingParameter", "RoleArn is required"))?;
                let session = form.get("RoleSessionName").ok_or_else(|| {
                    ApiError::new(400, "MissingParameter", "RoleSessionName is required")
                })?;
                if !session_name_ok(session) {
                    return Err(ApiError::new(
                        400,
                        "ValidationError",
                        "RoleSessionName must be 2 to 64 characters of [\\w+=,.@-]",
                    ));
                }
                let duration: i64 = match form.get("DurationSeconds") {
                    None => 3600,
                    Some(d) => d.parse().ok().filter(|d| (900..=43200).contains(d)).ok_or_else(
                        || ApiError::new(400, "ValidationError", "DurationSeconds must be between 900 and 43200"),
                    )?,
                };
                // Role chaining is capped at one hour (IAM User Guide, "Role chaining").
                let chained = who.principal.contains(":assumed-role/");
                if chained && duration > 3600 {
                    return Err(ApiError::new(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."));
                }
                if form.keys().any(|k| k.starts_with("PolicyArns.")) {
                    return Err(ApiError::new(400, "ValidationError", "PolicyArns: this service has no managed policies to use as session policies; pass the session policy inline with Policy"));
                }
                if form.keys().any(|k| k.starts_with("TransitiveTagKeys.")) {
                    return Err(ApiError::new(400, "ValidationError", "TransitiveTagKeys is not supported by this service"));
                }
                let session_policy = match form.get("Policy") {
                    None => None,
                    Some(text) => {
                        let packed: usize = text.chars().filter(|c| !c.is_whitespace()).count();
                        if packed > 2048 {
                            return Err(ApiError::new(400, "PackedPolicyTooLarge", "The session policy exceeds 2,048 characters"));
                        }
                        let policy = crate::config::parse_checked(text, vaultward_iam::PolicyKind::Session)
                            .map_err(|e| ApiError::new(400, "MalformedPolicyDocument", format!("the session policy is not valid: {e}")))?;
                        Some(std::sync::Arc::new((
                            vaultward_iam::NamedPolicy { name: format!("session policy of {session}"), policy },
                            text.clone(),
                        )))
                    }
                };
                let mut session_tags = std::collections::BTreeMap::new();
                for i in 1..=50 {
                    let (Some(k), v) = (form.get(&format!("Tags.member.{i}.Key")), form.get(&format!("Tags.member.{i}.Value"))) else {
                        break;
                    };
                    if k.is_empty() || k.len() > 128 || v.is_some_and(|v| v.len() > 256) || k.to_ascii_lowercase().starts_with("aws:") {
                        return Err(ApiError::new(400, "ValidationError", format!("session tag `{k}`: keys are 1 to 128 characters, not starting with aws:, values up to 256")));
                    }
                    if session_tags.keys().any(|x: &String| x.eq_ignore_ascii_case(k)) {
                        return Err(ApiError::new(400, "ValidationError", format!("session tag `{k}` is given twice")));
                    }
                    session_tags.insert(k.clone(), v.cloned().unwrap_or_default());
                }
                if form.keys().any(|k| k.starts_with("Tags.member.")) && session_tags.is_empty() {
                    return Err(ApiError::new(400, "ValidationError", "Tags must be given as Tags.member.N.Key and Tags.member.N.Value from 1"));
                }
                let source_identity = form.get("SourceIdentity").cloned();
                if source_identity.as_deref().is_some_and(|s| !session_name_ok(s)) {
                    return Err(ApiError::new(400, "ValidationError", "SourceIdentity must be 2 to 64 characters of [\\w+=,.@-]"));
                }
                let denied = || {
                    ApiError::new(
                        403,
                        "AccessDenied",
                        format!(
                            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                            who.principal
                        ),
                    )
                };
                let Some(role) = self.config.roles.get(role_arn) else {
                    (self.log)(format!("denied: {} sts:AssumeRole on {role_arn}: no such role with a trust policy", who.principal));
                    return Err(denied());
                };
                if duration > role.max_session_duration {
                    return Err(ApiError::new(400, "ValidationError", format!("The requested DurationSeconds exceeds the MaxSessionDuration set for this role ({} seconds).", role.max_session_duration)));
                }
                // The caller's keys, as for every call; the role is the resource.
                let mut ctx = self.caller_context(who, "sts", &role.account);
                ctx.insert("sts:RoleSessionName", ContextValue::Single(session.to_string()));
                if let Some(x) = form.get("ExternalId") {
                    ctx.insert("sts:ExternalId", ContextValue::Single(x.clone()));
                }
                if let Some(x) = &source_identity {
                    ctx.insert("sts:SourceIdentity", ContextValue::Single(x.clone()));
                }
                if !session_tags.is_empty() {
                    for (k, v) in &session_tags {
                        ctx.insert(&format!("aws:RequestTag/{k}"), ContextValue::Single(v.clone()));
                    }
                    ctx.insert("aws:TagKeys", ContextValue::Multi(session_tags.keys().cloned().collect()));
                }
                let set = PolicySet {
                    identity: who.policies.to_vec(),
                    resource: Some(role.trust.clone()),
                    resource_rule: Some(ResourceRule::TrustPolicy),
                    session: who.session_policy.as_ref().map(|p| p.0.clone()),
                    ..PolicySet::default()
                };
                // AssumeRole, and each of what it asks besides: tagging the session
                // (`sts:TagSession`) and setting a source identity (`sts:SetSourceIdentity`),
                // each allowed by the trust policy (IAM User Guide, "Passing session tags in
                // AWS STS"; "Monitor and control actions taken with assumed roles").
                let mut actions = vec!["sts:AssumeRole"];
                if !session_tags.is_empty() {
                    actions.push("sts:TagSession");
                }
                if source_identity.is_some() {
                    actions.push("sts:SetSourceIdentity");
                }
                let mut r = None;
                for action in actions {
                    let req = Request::new(&who.principal, action, role_arn, Some(&role.account), ctx.clone())
                        .map_err(|_| denied())?;
                    let answer = authorize(&req, &set);
                    let allowed = answer.decision == Decision::Allow;
                    r = Some((action, answer));
                    if !allowed {
                        break;
                    }
                }
                let Some((action, r)) = r else {
                    return Err(denied());
                };
                if r.decision != Decision::Allow {
                    let reasons: Vec<String> = r
                        .reasons
                        .iter()
                        .map(|x| x.statement_ref.clone().unwrap_or_else(|| x.message.clone()))
                        .collect();
                    (self.log)(format!(
                        "denied: {} {action} on {role_arn}: {:?}: {}",
                        who.principal,
                        r.decision,
                        reasons.join("; ")
                    ));
                    return Err(denied());
                }
                let now = self.clock.now();
                let expires = now + duration as f64;
                let key = format!("ASIA{}", random_token(16).to_uppercase());
                let secret = random_token(40);
                let token = format!("{}{:016x}", random_token(48), expires as u64);
                let principal = format!("arn:aws:sts::{}:assumed-role/{}/{session}", role.account, role.name);
                let mut tags = (*role.tags).clone();
                tags.extend(session_tags);
                let identity = Identity {
                    account: role.account.clone(),
                    principal: principal.clone(),
                    principal_arn: role.arn.clone(),
                    secret: secret.clone(),
                    policies: role.policies.clone(),
                    tags: std::sync::Arc::new(tags),
                    session_policy,
                    source_identity,
                    token_issued: Some(now),
                    request: crate::config::RequestFacts::default(),
                };
                let identity_view = identity.clone();
                if let Ok(mut m) = self.sessions.lock() {
                    m.retain(|_, s| s.expires > now);
                    m.insert(key.clone(), Session { identity, token: token.clone(), expires });
                }
                Ok(format!(
                    "<AssumeRoleResponse xmlns=\"{ns}\"><AssumeRoleResult><Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>{}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></AssumeRoleResponse>",
                    iso8601(expires),
                    xml_escape(&user_id(&identity_view)),
                    xml_escape(&principal),
                ))
            }
            other => Err(ApiError::new(
                400,
                "InvalidAction",
                format!("{} is not an STS action this service serves (AssumeRole, GetCallerIdentity)", other.unwrap_or("(none)")),
            )),
        }
    }
}
