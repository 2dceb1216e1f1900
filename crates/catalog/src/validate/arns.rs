//! Resource ARNs against their service's ARN formats and the partitions' Regions.
//!
//! Source: IAM policy validation check reference (the ARN checks: arn-account-not-allowed,
//! arn-region-not-allowed, invalid-arn-account, invalid-arn-region, invalid-arn-resource,
//! invalid-arn-service-case, invalid-partition, missing-arn-field, missing-arn-region);
//! "IAM identifiers", ARNs (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).

use vaultward_iam::diagnostic::checks::{self, Check};
use vaultward_iam::json::Span;
use vaultward_iam::PolicyKind;

use super::Checker;
use crate::overlap::overlaps;
use crate::regions::{partition, region_partition};

/// Whether an ARN field holds a wildcard or a variable (any value may be meant).
fn open(field: &str) -> bool {
    field.contains(['*', '?', '$'])
}

impl Checker<'_> {
    /// The checks on one resource ARN (`text`, at `path`).
    pub(super) fn arn(&mut self, text: &str, path: &str, span: Span) {
        if text == "*" || !text.starts_with("arn:") {
            return;
        }
        let fields: Vec<&str> = text.splitn(6, ':').collect();
        let say = |c: &mut Self, check: &'static Check, message: String, help: Option<String>| {
            c.report(check, message, path.to_string(), span, help);
        };
        let [_, part, service, region, account, resource] = fields.as_slice() else {
            say(self, &checks::MISSING_ARN_FIELD, format!("`{text}` has {} of the six fields of `arn:partition:service:region:account:resource`", fields.len()), Some("fill every field (an empty one stays between its colons, as `arn:aws:s3:::bucket`)".into()));
            return;
        };
        if !open(part) && partition(part).is_none() {
            say(
                self,
                &checks::INVALID_PARTITION,
                format!("`{part}` (in `{text}`) is not an AWS partition"),
                Some("use `aws`, or `aws-cn`, `aws-us-gov`, ... for those partitions".into()),
            );
        }
        if service.contains(['*', '?']) {
            say(self, &checks::WILDCARD_IN_SERVICE_NAME, format!("the service of `{text}` holds a wildcard, which may cover services added later"), Some("name the service".into()));
            return;
        }
        if service.bytes().any(|b| b.is_ascii_uppercase()) {
            say(self, &checks::INVALID_ARN_SERVICE_CASE, format!("the service `{service}` of `{text}` has capitals; service prefixes are lowercase"), Some(format!("write `{}`", service.to_ascii_lowercase())));
        }
        if self.kind == PolicyKind::Key && !service.eq_ignore_ascii_case("kms")
            || self.kind == PolicyKind::Vault && !service.eq_ignore_ascii_case("backup")
        {
            say(
                self,
                &checks::UNSUPPORTED_RESOURCE_ARN_IN_POLICY,
                format!(
                    "`{text}` is not a resource of {}: such a policy applies to its own resource",
                    self.kind.with_article()
                ),
                Some("use `\"Resource\": \"*\"` (the policy's own resource)".into()),
            );
        }
        let Some(svc) = self.catalog.service(service) else {
            return;
        };
        // The resource types this ARN's resource part can be (all of them when none).
        let any_place = format!("arn:*:*:*:*:{resource}");
        let all: Vec<Vec<&str>> = svc
            .resource_types
            .iter()
            .map(|t| t.arn_format.splitn(6, ':').collect::<Vec<_>>())
            .filter(|f| f.len() == 6)
            .collect();
        let fitting: Vec<Vec<&str>> = svc
            .resource_types
            .iter()
            .filter(|t| overlaps(&any_place, t.arn_format))
            .map(|t| t.arn_format.splitn(6, ':').collect::<Vec<_>>())
            .filter(|f| f.len() == 6)
            .collect();
        let formats = if fitting.is_empty() { all } else { fitting };
        if formats.is_empty() {
            return;
        }
        fn field<'a>(f: &[&'a str], i: usize) -> &'a str {
            f.get(i).copied().unwrap_or("")
        }
        let none_has = |i: usize| formats.iter().all(|f| field(f, i).is_empty());
        let all_have = |i: usize| formats.iter().all(|f| !field(f, i).is_empty());
        if !region.is_empty() && none_has(3) {
            say(
                self,
                &checks::ARN_REGION_NOT_ALLOWED,
                format!(
                    "`{text}` names a Region, but {} resources have none in their ARNs",
                    svc.name
                ),
                Some(format!(
                    "leave the Region empty: `arn:{part}:{service}::{account}:{resource}`"
                )),
            );
        } else if region.is_empty() && all_have(3) {
            say(
                self,
                &checks::MISSING_ARN_REGION,
                format!(
                    "`{text}` has no Region, but every {} resource has one in its ARN",
                    svc.name
                ),
                Some("add the Region, or `*` for any".into()),
            );
        } else if !region.is_empty() && !open(region) {
            let known = match partition(part) {
                Some(p) => p.regions.contains(region),
                None => region_partition(region).is_some(),
            };
            if !known {
                say(
                    self,
                    &checks::INVALID_ARN_REGION,
                    format!("`{region}` (in `{text}`) is not a Region of the `{part}` partition"),
                    None,
                );
            }
        }
        if !account.is_empty() && none_has(4) {
            say(
                self,
                &checks::ARN_ACCOUNT_NOT_ALLOWED,
                format!(
                    "`{text}` names an account, but {} resources have none in their ARNs",
                    svc.name
                ),
                Some(format!(
                    "leave the account empty: `arn:{part}:{service}:{region}::{resource}`"
                )),
            );
        } else if all_have(4)
            && !open(account)
            && !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
            && *account != "aws"
        {
            say(
                self,
                &checks::INVALID_ARN_ACCOUNT,
                format!("the account of `{text}` is `{account}`, not a 12-digit account id"),
                Some("write the account id, or `*` for any".into()),
            );
        }
        // The resource part alone: the fields before it have their own checks.
        if !svc
            .resource_types
            .iter()
            .any(|t| overlaps(&any_place, t.arn_format))
        {
            say(
                self,
                &checks::INVALID_ARN_RESOURCE,
                format!("`{text}` matches no resource type of {}", svc.name),
                Some(format!(
                    "see the ARN formats in `vaultward actions show {service}:...`"
                )),
            );
        }
    }
}
