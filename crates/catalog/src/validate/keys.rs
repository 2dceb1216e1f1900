//! Whether a condition key exists: its format, the global keys, the services' keys.
//!
//! Source: IAM policy validation check reference (invalid-condition-key-format,
//! unsupported-global-condition-key, missing-tag-key-in-condition,
//! invalid-global-condition-key, invalid-service); "AWS global condition context keys".

use vaultward_iam::diagnostic::checks;
use vaultward_iam::json::Span;

use super::Checker;
use crate::global_key;

/// Tag keys that need a `/tag-key`.
const TAG_KEYS: [&str; 3] = ["aws:resourcetag", "aws:requesttag", "aws:principaltag"];

/// Whether a key's prefix names an identity provider or SAML rather than a service: their
/// keys (`accounts.google.com:aud`, `saml:sub`) are not in the service reference.
pub(super) fn provider_key(prefix: &str) -> bool {
    prefix.contains('.') || prefix.eq_ignore_ascii_case("saml")
}

impl Checker<'_> {
    /// Reports a key that cannot exist; `true` when the key may be looked up further.
    pub(super) fn key_exists(&mut self, key: &str, path: &str, span: Span) -> bool {
        let Some((prefix, name)) = key
            .split_once(':')
            .filter(|(p, n)| !p.is_empty() && !n.is_empty())
        else {
            self.report(
                &checks::INVALID_CONDITION_KEY_FORMAT,
                format!("`{key}` is not a condition key: write `service:key-name`"),
                path.to_string(),
                span,
                None,
            );
            return false;
        };
        let lower = key.to_ascii_lowercase();
        if lower == "aws:arn" {
            self.report(
                &checks::UNSUPPORTED_GLOBAL_CONDITION_KEY,
                "`aws:ARN` is not a supported condition key".into(),
                path.to_string(),
                span,
                Some("use `aws:PrincipalArn` (the caller) or `aws:SourceArn` (the resource a service acts for)".into()),
            );
            return false;
        }
        let tag = TAG_KEYS
            .iter()
            .any(|t| lower == *t || lower == format!("{t}/"))
            || (lower.ends_with(":resourcetag") && !lower.starts_with("aws:"));
        if tag {
            self.report(
                &checks::MISSING_TAG_KEY_IN_CONDITION,
                format!(
                    "`{key}` names no tag key: write `{}/tag-key`",
                    key.trim_end_matches('/')
                ),
                path.to_string(),
                span,
                None,
            );
            return false;
        }
        if prefix.eq_ignore_ascii_case("aws") {
            if global_key(key).is_none() {
                self.report(
                    &checks::INVALID_GLOBAL_CONDITION_KEY,
                    format!("`{key}` is not a global condition key"),
                    path.to_string(),
                    span,
                    Some("see \"AWS global condition context keys\" in the IAM User Guide".into()),
                );
                return false;
            }
            return true;
        }
        if provider_key(prefix) || global_key(key).is_some() {
            return true;
        }
        if self.catalog.service(prefix).is_none() {
            let help = self
                .catalog
                .suggest_service(prefix)
                .map(|s| format!("did you mean `{s}:{name}`?"));
            self.report(
                &checks::INVALID_SERVICE,
                format!("`{prefix}` (in `{key}`) is not an AWS service prefix"),
                path.to_string(),
                span,
                help,
            );
            return false;
        }
        true
    }
}
