//! `Principal` and `NotPrincipal`.
//!
//! Source: "AWS JSON policy elements: Principal" and "...: NotPrincipal", IAM User Guide
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).

use crate::diagnostic::checks;
use crate::json::Json;
use crate::principal::PrincipalEntry;

use super::statement::Fields;
use super::{show, Reader, Seg};
use crate::policy::{Effect, PolicyKind, PrincipalElement, PrincipalRaw};

const PRINCIPAL_KEYS: [&str; 4] = ["AWS", "Service", "Federated", "CanonicalUser"];

impl<'j> Reader<'_, 'j> {
    pub(super) fn principal(
        &mut self,
        j: &Fields<'j>,
        effect: Option<Effect>,
    ) -> Option<PrincipalElement> {
        let (key, negated, value) = match self.either(j, "Principal", "NotPrincipal") {
            Err(()) => return None,
            Ok(Some(found)) => found,
            Ok(None) => {
                if self.kind.has_principal() {
                    self.fatal(
                        &checks::MISSING_PRINCIPAL,
                        format!(
                            "a statement in {} must name a `Principal`",
                            self.kind.with_article()
                        ),
                        j.span,
                        Some(
                            "add `\"Principal\": {\"AWS\": \"arn:aws:iam::ACCOUNT:role/NAME\"}`"
                                .into(),
                        ),
                    );
                }
                return None;
            }
        };
        self.with(Seg::Key(key), |r| {
            if !r.kind.has_principal() {
                let check = if r.kind == PolicyKind::Scp {
                    &checks::SCP_SYNTAX_ERROR_PRINCIPAL
                } else {
                    &checks::UNSUPPORTED_PRINCIPAL
                };
                r.fatal(
                    check,
                    format!("{} cannot have `{key}`: it applies to the principal it is attached to", r.kind.with_article()),
                    value.span,
                    Some(format!("remove `{key}`, or validate the document as a resource policy")),
                );
                return None;
            }
            // "You cannot use the NotPrincipal element in an IAM role trust policy" (IAM
            // User Guide, NotPrincipal element): IAM rejects it.
            if negated && r.kind == PolicyKind::Trust {
                r.fatal(
                    &checks::ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL,
                    "a trust policy cannot use `NotPrincipal`: IAM rejects it".into(),
                    value.span,
                    Some("name the principals that may assume the role in `Principal`".into()),
                );
                return None;
            }
            if negated && effect == Some(Effect::Allow) {
                r.report(
                    &checks::ALLOW_WITH_NOT_PRINCIPAL,
                    "`NotPrincipal` with `Allow` grants access to everyone not listed, including anonymous users".into(),
                    value.span,
                    Some("use `Principal` with the principals to allow".into()),
                );
            }
            r.principal_value(value, negated)
        })
    }

    fn principal_value(&mut self, value: &'j Json<'j>, negated: bool) -> Option<PrincipalElement> {
        if value.as_str() == Some("*") {
            self.report(
                &checks::ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL,
                "`\"Principal\": \"*\"` is not supported in a role trust policy".into(),
                value.span,
                Some("name the principals that may assume the role, for example `{\"AWS\": \"arn:aws:iam::ACCOUNT:root\"}`".into()),
            );
            return Some(PrincipalElement {
                negated,
                entries: vec![PrincipalEntry::Everyone],
                raw: PrincipalRaw::Star,
            });
        }
        let Some(members) = value.as_object() else {
            self.fatal(
                &checks::INVALID_PRINCIPAL_FORMAT,
                format!(
                    "`Principal` must be `\"*\"` or an object such as `{{\"AWS\": ...}}`, not {}",
                    show(value)
                ),
                value.span,
                None,
            );
            return None;
        };
        if members.is_empty() {
            self.report(
                &checks::EMPTY_OBJECT_PRINCIPAL,
                "`Principal` is an empty object, so the statement names nobody".into(),
                value.span,
                Some("name the principals".into()),
            );
        }
        self.check_keys(
            members,
            &PRINCIPAL_KEYS,
            "principal",
            &checks::INVALID_PRINCIPAL_KEY,
        );
        let mut entries = Vec::new();
        let mut raw = Vec::new();
        for m in members {
            let values = self.with(Seg::Key(m.key), |r| {
                r.string_list(&m.value, "principal", &checks::EMPTY_ARRAY_PRINCIPAL)
            });
            for (v, span, item) in values.iter() {
                let entry = match m.key {
                    "AWS" => PrincipalEntry::aws(v),
                    "Service" if v.contains('*') => PrincipalEntry::Unmatchable(v.to_string()),
                    "Service" => PrincipalEntry::Service(v.to_ascii_lowercase()),
                    "Federated" => PrincipalEntry::Federated(v.to_string()),
                    "CanonicalUser" => PrincipalEntry::CanonicalUser(v.to_string()),
                    _ => continue,
                };
                self.with(Seg::Key(m.key), |r| {
                    r.with_item(*item, |r| {
                        r.principal_entry(m.key, v, &entry, *span, negated)
                    })
                });
                entries.push(entry);
            }
            raw.push((
                m.key.to_string(),
                values.into_iter().map(|(v, _, _)| v.to_string()).collect(),
            ));
        }
        Some(PrincipalElement {
            negated,
            entries,
            raw: PrincipalRaw::Map(raw),
        })
    }

    /// The checks on one principal value of key `key` (read as `entry`).
    fn principal_entry(
        &mut self,
        key: &str,
        v: &str,
        entry: &PrincipalEntry,
        span: crate::json::Span,
        negated: bool,
    ) {
        if v.contains("${") {
            self.report(
                &checks::VARIABLE_UNSUPPORTED_IN_ELEMENT,
                format!(
                    "`{v}` holds a policy variable, which AWS does not substitute in a principal"
                ),
                span,
                Some("name the principal, or test `aws:PrincipalArn` in a condition".into()),
            );
        }
        match key {
            "Service" if !v.contains('*') && !valid_service_principal(v) => {
                self.report(
                    &checks::INVALID_SERVICE_PRINCIPAL_FORMAT,
                    format!("`{v}` is not a service principal: they are `name.amazonaws.com`"),
                    span,
                    Some("see the service's documentation for its principal, for example `backup.amazonaws.com`".into()),
                );
            }
            "Federated" => self.federated(v, span),
            _ => {}
        }
        let PrincipalEntry::Unmatchable(v) = entry else {
            return;
        };
        if v.contains('*') || v.contains('?') {
            self.report(
                &checks::UNSUPPORTED_WILDCARD_IN_PRINCIPAL,
                format!("`{v}` has a wildcard inside a principal: AWS does not match wildcards there, so it names nobody"),
                span,
                Some(if negated {
                    "in a Deny, replace `NotPrincipal` with `Principal: \"*\"` and a condition `ArnNotLike` on `aws:PrincipalArn` listing the ARNs to exempt".into()
                } else {
                    "use `\"*\"` with a condition `ArnLike` on `aws:PrincipalArn`".into()
                }),
            );
        } else if let Some(check) = unique_id_check(v) {
            // IAM writes a deleted principal's unique id in its place (Principal element
            // page, "IAM roles"): stored, and it matches no principal.
            self.report(
                check,
                format!("`{v}` is the unique id of a principal, most likely one that was deleted: it matches no principal, not even a new one of the same name"),
                span,
                Some("name the principal by its ARN, or remove the value".into()),
            );
        } else {
            self.report(
                &checks::INVALID_PRINCIPAL_FORMAT,
                format!("`{v}` is not an account id or an IAM or STS principal ARN"),
                span,
                None,
            );
        }
    }

    /// A `Federated` principal: outside trust policies it is not supported; inside, it is
    /// a provider's domain (`accounts.google.com`) or an IAM SAML or OIDC provider ARN.
    fn federated(&mut self, v: &str, span: crate::json::Span) {
        if self.kind != PolicyKind::Trust {
            self.report(
                &checks::FEDERATED_PRINCIPAL_NOT_SUPPORTED,
                format!(
                    "{} cannot name a federated principal (`{v}`): only role trust policies do",
                    self.kind.with_article()
                ),
                span,
                Some("name an `AWS` or `Service` principal".into()),
            );
            return;
        }
        let provider_arn = v
            .strip_prefix("arn:")
            .and_then(|r| r.split(':').nth(4))
            .is_some_and(|r| r.starts_with("saml-provider/") || r.starts_with("oidc-provider/"));
        let domain = !v.starts_with("arn:")
            && v.contains('.')
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'/' | b'_'));
        if !provider_arn && !domain {
            self.report(
                &checks::INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY,
                format!("`{v}` is neither a provider's domain name nor an IAM SAML or OIDC provider ARN"),
                span,
                Some("write `arn:aws:iam::ACCOUNT:saml-provider/NAME`, `arn:aws:iam::ACCOUNT:oidc-provider/HOST` or a domain such as `accounts.google.com`".into()),
            );
        }
    }
}

/// Whether `v` looks like a service principal (`backup.amazonaws.com`, and the forms of
/// the China and isolated partitions).
pub fn valid_service_principal(v: &str) -> bool {
    const ENDS: [&str; 5] = [
        ".amazonaws.com",
        ".amazonaws.com.cn",
        ".amazon.com",
        ".c2s.ic.gov",
        ".sc2s.sgov.gov",
    ];
    ENDS.iter().any(|e| v.len() > e.len() && v.ends_with(e))
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
}

/// The reference check for an IAM unique id (`AROA...` a role's, `AIDA...` a user's; "IAM
/// identifiers", unique ids).
fn unique_id_check(v: &str) -> Option<&'static checks::Check> {
    let id = v.len() >= 16
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    match v.get(..4) {
        Some("AROA") if id => Some(&checks::INVALID_ROLE_REFERENCE),
        Some("AIDA") if id => Some(&checks::INVALID_USER_REFERENCE),
        _ => None,
    }
}
