//! The formats of condition values: Regions, VPC and endpoint ids, service principals,
//! IP ranges, dates, wildcards, redundant numbers.
//!
//! Source: IAM policy validation check reference (the checks named below), with the
//! catalog's Regions (`regions.tsv`).

use std::net::IpAddr;

use vaultward_iam::condition::{OpKind, Operator};
use vaultward_iam::diagnostic::checks::{self, Check};
use vaultward_iam::json::{Json, Span, Value};

use super::{idx, items, Checker};
use crate::regions::region_partition;

/// Whether `v` holds a wildcard or a policy variable (its format cannot be checked).
fn open(v: &str) -> bool {
    v.contains(['*', '?']) || v.contains("${")
}

/// `prefix-` and 8 or 17 ASCII letters and digits (`vpc-12345678`).
fn id_with(prefix: &str, v: &str) -> bool {
    v.strip_prefix(prefix).is_some_and(|id| {
        (id.len() == 8 || id.len() == 17) && id.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Private addresses (RFC 1918, RFC 4193 unique local, loopback, link-local).
fn private(net: &ipnet::IpNet) -> bool {
    match net.addr() {
        IpAddr::V4(a) => a.is_private() || a.is_loopback() || a.is_link_local(),
        IpAddr::V6(a) => {
            let first = a.segments().first().copied().unwrap_or(0);
            (first & 0xfe00) == 0xfc00 || a.is_loopback() || (first & 0xffc0) == 0xfe80
        }
    }
}

fn cidr(v: &str) -> Option<ipnet::IpNet> {
    v.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| v.parse::<IpAddr>().ok().map(ipnet::IpNet::from))
}

impl Checker<'_> {
    fn value_finding(
        &mut self,
        check: &'static Check,
        message: String,
        path: String,
        span: Span,
        help: Option<String>,
    ) {
        self.report(check, message, path, span, help);
    }

    /// The checks on the values of one condition key.
    pub(super) fn values(&mut self, op: Operator, key: &str, value: &Json<'_>, path: &str) {
        let values: Vec<(String, &str, Span)> = items(value)
            .into_iter()
            .filter_map(|(i, v)| {
                let text = match &v.value {
                    Value::String(s) => *s,
                    Value::Number(n) => *n,
                    _ => return None,
                };
                Some((idx(path, i), text, v.span))
            })
            .collect();
        let lower = key.to_ascii_lowercase();
        let exact = matches!(
            op.kind,
            OpKind::StringEquals
                | OpKind::StringNotEquals
                | OpKind::StringEqualsIgnoreCase
                | OpKind::StringNotEqualsIgnoreCase
        );
        for (p, v, span) in &values {
            if exact && v.contains(['*', '?']) && !v.contains("${") {
                self.value_finding(
                    &checks::WILDCARD_WITHOUT_LIKE_OPERATOR,
                    format!(
                        "`{v}` holds a wildcard, but `{}` compares it literally",
                        op.name()
                    ),
                    p.clone(),
                    *span,
                    Some("use `StringLike` (or `StringNotLike`) to match a pattern".into()),
                );
            }
            if op.kind.value_type() == vaultward_iam::condition::ValueType::Date
                && !v.is_empty()
                && v.bytes().all(|b| b.is_ascii_digit())
            {
                self.value_finding(
                    &checks::INVALID_DATE_VALUE,
                    format!("`{v}` is epoch seconds; it may not resolve to the time you mean"),
                    p.clone(),
                    *span,
                    Some("write an ISO 8601 date, such as `2025-01-31T12:00:00Z`".into()),
                );
            }
            if let (vaultward_iam::condition::ValueType::Ip, Some(net)) =
                (op.kind.value_type(), cidr(v))
            {
                if net.addr() != net.network() {
                    self.value_finding(
                        &checks::IMPROVE_IP_RANGE,
                        format!("`{v}` has bits set past its prefix, which AWS ignores"),
                        p.clone(),
                        *span,
                        Some(format!("write `{}`", net.trunc())),
                    );
                }
            }
            if open(v) {
                continue;
            }
            let format_check = match lower.as_str() {
                "aws:sourcevpc" if !id_with("vpc-", v) => Some((
                    &checks::INVALID_VPC_FORMAT,
                    "`vpc-` and 8 or 17 letters and digits",
                )),
                "aws:sourcevpce" if !id_with("vpce-", v) => Some((
                    &checks::INVALID_VPCE_FORMAT,
                    "`vpce-` and 8 or 17 letters and digits",
                )),
                "aws:requestedregion" if exact && region_partition(v).is_none() => {
                    Some((&checks::INVALID_REGION, "a Region such as `eu-west-1`"))
                }
                "aws:principalservicename"
                | "aws:principalservicenameslist"
                | "aws:calledvia"
                | "aws:calledviafirst"
                | "aws:calledvialast"
                    if !vaultward_iam::policy::valid_service_principal(v) =>
                {
                    Some((
                        &checks::INVALID_SERVICE_PRINCIPAL_FORMAT,
                        "a service principal such as `backup.amazonaws.com`",
                    ))
                }
                "kms:viaservice" if !via_service(v) => Some((
                    &checks::INVALID_SERVICE_PRINCIPAL_FORMAT,
                    "`service.region.amazonaws.com`, such as `s3.eu-west-1.amazonaws.com`",
                )),
                _ => None,
            };
            if let Some((check, want)) = format_check {
                self.value_finding(
                    check,
                    format!("`{v}` is not a valid value of `{key}`: it takes {want}"),
                    p.clone(),
                    *span,
                    None,
                );
            }
        }
        if lower == "aws:sourceip" && matches!(op.kind, OpKind::IpAddress | OpKind::NotIpAddress) {
            self.source_ip(op, &values, path, value.span);
        }
        self.numbers(op, key, &values, path, value.span);
        if self.kind == vaultward_iam::PolicyKind::Trust {
            self.claims(op, key, &values, path, value.span);
        }
    }

    fn source_ip(&mut self, op: Operator, values: &[(String, &str, Span)], path: &str, span: Span) {
        let nets: Vec<ipnet::IpNet> = values.iter().filter_map(|(_, v, _)| cidr(v)).collect();
        let privates = nets.iter().filter(|n| private(n)).count();
        if privates == 0 {
            return;
        }
        let not = op.kind == OpKind::NotIpAddress;
        let check = match (privates == nets.len(), not) {
            (true, false) => &checks::PRIVATE_IP_ADDRESS,
            (true, true) => &checks::PRIVATE_NOT_IP_ADDRESS,
            (false, false) => &checks::PRIVATE_IP_ADDRESS_SUBSET,
            (false, true) => &checks::PRIVATE_NOT_IP_ADDRESS_SUBSET,
        };
        self.report(
            check,
            "`aws:SourceIp` holds private addresses, but AWS sees only public ones there (a request through a VPC endpoint carries `aws:VpcSourceIp`)".into(),
            path.to_string(),
            span,
            Some("test private addresses with `aws:VpcSourceIp`".into()),
        );
    }

    /// Several values of a numeric comparison: only the greatest (or least) decides.
    fn numbers(
        &mut self,
        op: Operator,
        key: &str,
        values: &[(String, &str, Span)],
        path: &str,
        span: Span,
    ) {
        let which = match op.kind {
            OpKind::NumericLessThan | OpKind::NumericLessThanEquals => "greatest",
            OpKind::NumericGreaterThan | OpKind::NumericGreaterThanEquals => "least",
            _ => return,
        };
        let numbers = values
            .iter()
            .filter(|(_, v, _)| v.parse::<f64>().is_ok())
            .count();
        if numbers > 1 {
            self.report(
                &checks::REDUNDANT_CONDITION_VALUE_NUM,
                format!(
                    "`{}` lists {numbers} values for `{key}`; only the {which} one decides",
                    op.name()
                ),
                path.to_string(),
                span,
                Some(format!("keep the {which} value alone")),
            );
        }
    }

    /// OIDC claims in a trust policy: a set qualifier on `aud`, a wildcard in GitHub's `sub`.
    fn claims(
        &mut self,
        op: Operator,
        key: &str,
        values: &[(String, &str, Span)],
        path: &str,
        span: Span,
    ) {
        let lower = key.to_ascii_lowercase();
        if op.set.is_some()
            && lower.ends_with(":aud")
            && super::keys::provider_key(lower.split(':').next().unwrap_or(""))
        {
            self.report(&checks::CONFIRM_AUDIENCE_CLAIM_TYPE, format!("`{key}` is tested with `{}`: confirm that the provider's audience claim holds several values", op.name()), path.to_string(), span, Some("drop the qualifier if the claim is single-valued".into()));
        }
        if lower == "token.actions.githubusercontent.com:sub" {
            for (p, v, s) in values {
                if v.contains(['*', '?']) {
                    self.report(&checks::SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED, format!("`{v}` lets workflows of any repository or branch it matches assume the role"), p.clone(), *s, Some("name the repository and branch, for example `repo:org/repo:ref:refs/heads/main`".into()));
                }
            }
        }
    }
}

/// A `kms:ViaService` value: `service.region.amazonaws.com` (KMS developer guide,
/// "kms:ViaService").
fn via_service(v: &str) -> bool {
    let Some(rest) = v
        .strip_suffix(".amazonaws.com")
        .or_else(|| v.strip_suffix(".amazonaws.com.cn"))
    else {
        return false;
    };
    match rest.rsplit_once('.') {
        Some((service, region)) => {
            !service.is_empty()
                && service
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
                && region_partition(region).is_some()
        }
        None => false,
    }
}
