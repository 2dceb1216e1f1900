//! The principals of a statement, with its actions and condition keys: federation and
//! Roles Anywhere in trust policies, service principals in resource-based policies.
//!
//! Source: IAM policy validation check reference (the checks named below); "Create a
//! role for OpenID Connect federation" and "Configuring a role for GitHub OIDC identity
//! provider" (IAM User Guide); IAM Roles Anywhere User Guide, "Trust model".

use vaultward_iam::diagnostic::checks;
use vaultward_iam::json::{Json, Span};
use vaultward_iam::PolicyKind;

use super::{idx, items, Checker};

/// The values of a statement's principal key (`AWS`, `Service`, `Federated`), with paths.
pub(super) fn principal_values<'j>(
    s: &'j Json<'j>,
    key: &str,
    path: &str,
) -> Vec<(&'j str, String, Span)> {
    let Some(p) = s.get("Principal").and_then(|p| p.get(key)) else {
        return Vec::new();
    };
    items(p)
        .into_iter()
        .filter_map(|(i, v)| {
            v.as_str()
                .map(|t| (t, idx(&format!("{path}.Principal.{key}"), i), v.span))
        })
        .collect()
}

/// A statement's actions as written, lowercased.
pub(super) fn actions(s: &Json<'_>) -> Vec<String> {
    s.get("Action")
        .map(items)
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_str().map(str::to_ascii_lowercase))
        .collect()
}

/// Whether the statement's actions cover `action` (lowercase), wildcards included.
pub(super) fn covers(actions: &[String], action: &str) -> bool {
    actions
        .iter()
        .any(|a| vaultward_iam::glob::Glob::new(a).is_match(action))
}

/// The OIDC provider a federated principal names (`token.actions.githubusercontent.com`),
/// or `None` for a SAML provider or something else.
fn oidc_host(v: &str) -> Option<&str> {
    if let Some(rest) = v.strip_prefix("arn:") {
        return rest.split_once(":oidc-provider/").map(|(_, host)| host);
    }
    v.contains('.').then_some(v)
}

impl Checker<'_> {
    /// The principal checks of one `Allow` statement (`keys`: its condition keys, lowercase).
    pub(super) fn principals(&mut self, s: &Json<'_>, path: &str, allow: bool, keys: &[String]) {
        let acts = actions(s);
        let pspan = s.get("Principal").map_or(s.span, |p| p.span);
        let ppath = format!("{path}.Principal");
        let services = principal_values(s, "Service", path);
        let federated = principal_values(s, "Federated", path);
        if self.kind == PolicyKind::Trust && allow {
            for (v, p, span) in &federated {
                let saml = v.contains(":saml-provider/");
                if saml
                    && covers(&acts, "sts:assumerolewithwebidentity")
                    && !acts.iter().any(|a| a == "*" || a == "sts:*")
                {
                    self.report(&checks::MISMATCHED_ACTION_FOR_PRINCIPAL, format!("the SAML provider `{v}` cannot be trusted for `sts:AssumeRoleWithWebIdentity`"), p.clone(), *span, Some("trust a SAML provider for `sts:AssumeRoleWithSAML`".into()));
                }
                let Some(host) = oidc_host(v).filter(|_| !saml) else {
                    continue;
                };
                if covers(&acts, "sts:assumerolewithsaml")
                    && !acts.iter().any(|a| a == "*" || a == "sts:*")
                {
                    self.report(&checks::MISMATCHED_ACTION_FOR_PRINCIPAL, format!("the OIDC provider `{v}` cannot be trusted for `sts:AssumeRoleWithSAML`"), p.clone(), *span, Some("trust an OIDC provider for `sts:AssumeRoleWithWebIdentity`".into()));
                }
                let own = format!("{}:", host.to_ascii_lowercase());
                if host.eq_ignore_ascii_case("token.actions.githubusercontent.com") {
                    if !keys
                        .iter()
                        .any(|k| k == "token.actions.githubusercontent.com:sub")
                    {
                        self.report(&checks::MISSING_GITHUB_REPO_CONDITION_KEY, "GitHub's OIDC provider is trusted with no `token.actions.githubusercontent.com:sub` condition: any repository's workflow may assume the role".into(), p.clone(), *span, Some("add `\"StringLike\": {\"token.actions.githubusercontent.com:sub\": \"repo:ORG/REPO:ref:refs/heads/BRANCH\"}`".into()));
                    }
                } else if !keys.iter().any(|k| k.starts_with(&own)) {
                    self.report(&checks::MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL, format!("the OIDC provider `{v}` is trusted with no condition on its keys (`{host}:aud`, `{host}:sub`): any of its tokens may assume the role"), p.clone(), *span, Some(format!("add a condition on `{host}:aud` (and `{host}:sub`)")));
                }
            }
            if services
                .iter()
                .any(|(v, _, _)| v.eq_ignore_ascii_case("rolesanywhere.amazonaws.com"))
            {
                let missing: Vec<&str> =
                    ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
                        .into_iter()
                        .filter(|a| !covers(&acts, &a.to_ascii_lowercase()))
                        .collect();
                if !missing.is_empty() {
                    self.report(
                        &checks::MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY,
                        format!(
                            "IAM Roles Anywhere needs {} to assume the role",
                            missing
                                .iter()
                                .map(|a| format!("`{a}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        ppath.clone(),
                        pspan,
                        Some(
                            "allow `sts:AssumeRole`, `sts:SetSourceIdentity` and `sts:TagSession`"
                                .into(),
                        ),
                    );
                }
            }
            self.trust_keys(s, path, &acts, keys);
            self.redundant_sessions(s, path);
        }
        let only_services = !services.is_empty()
            && s.get("Principal")
                .and_then(Json::as_object)
                .is_some_and(|m| m.len() == 1);
        if only_services {
            for k in keys.iter().filter(|k| {
                ["aws:principalorgid", "aws:principalorgpaths"].contains(&k.as_str())
                    || k.starts_with("aws:principaltag/")
            }) {
                self.report(&checks::UNSUPPORTED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL, format!("`{k}` is not in the requests of service principals, so the condition never matches them"), format!("{path}.Condition"), s.get("Condition").map_or(pspan, |c| c.span), Some("use `aws:SourceAccount` or `aws:SourceArn` for a service".into()));
            }
        }
        if allow && !services.is_empty() && self.kind != PolicyKind::Trust {
            const SOURCE: [&str; 4] = [
                "aws:sourcearn",
                "aws:sourceaccount",
                "aws:sourceorgid",
                "aws:sourceorgpaths",
            ];
            if !keys.iter().any(|k| SOURCE.contains(&k.as_str())) {
                let (v, p, span) = &services[0];
                match keys.first() {
                    None => self.report(&checks::RESTRICT_ACCESS_TO_SERVICE_PRINCIPAL, format!("`{v}` is allowed with no `aws:SourceArn` or `aws:SourceAccount` condition: it may act here for any account's resources (a confused deputy)"), p.clone(), *span, Some("add `\"Condition\": {\"StringEquals\": {\"aws:SourceAccount\": \"ACCOUNT\"}}`".into())),
                    Some(k) => self.report(&checks::RECOMMENDED_CONDITION_KEY_FOR_SERVICE_PRINCIPAL, format!("`{v}` is narrowed with `{k}` rather than `aws:SourceArn` or `aws:SourceAccount`"), p.clone(), *span, Some("test `aws:SourceArn` or `aws:SourceAccount`".into())),
                }
            }
        }
    }

    /// Keys only an action sets: `sts:SourceIdentity` (`sts:SetSourceIdentity`), session
    /// tags (`sts:TagSession`).
    fn trust_keys(&mut self, s: &Json<'_>, path: &str, acts: &[String], keys: &[String]) {
        let span = s.get("Condition").map_or(s.span, |c| c.span);
        for (needs, action, label) in [
            (
                keys.iter().any(|k| k == "sts:sourceidentity"),
                "sts:SetSourceIdentity",
                "sts:SourceIdentity",
            ),
            (
                keys.iter()
                    .any(|k| k.starts_with("aws:requesttag/") || k == "sts:transitivetagkeys"),
                "sts:TagSession",
                "session tags",
            ),
        ] {
            if needs && !covers(acts, &action.to_ascii_lowercase()) {
                self.report(&checks::MISSING_ACTION_FOR_CONDITION_KEY, format!("the statement tests {label}, which only `{action}` sets: add `{action}` to its actions"), format!("{path}.Condition"), span, None);
            }
        }
    }

    /// An assumed-role session named beside its role.
    fn redundant_sessions(&mut self, s: &Json<'_>, path: &str) {
        let aws = principal_values(s, "AWS", path);
        for (v, p, span) in &aws {
            let Some((head, rest)) = v.split_once(":assumed-role/") else {
                continue;
            };
            let role = rest.split('/').next().unwrap_or("");
            let parent = format!("{}:role/", head.replacen(":sts:", ":iam:", 1));
            if aws
                .iter()
                .any(|(r, _, _)| r.starts_with(&parent) && r.rsplit('/').next() == Some(role))
            {
                self.report(
                    &checks::REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY,
                    format!("`{v}` is a session of a role the statement already names"),
                    p.clone(),
                    *span,
                    Some("remove the assumed-role principal".into()),
                );
            }
        }
    }
}
