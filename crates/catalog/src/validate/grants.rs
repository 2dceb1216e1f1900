//! What a statement grants as a whole: passing roles and creating service-linked roles
//! broadly, redundant entries, tag keys its services do not support, keys that need a
//! partner, and actions outside a key or vault policy's service.
//!
//! Source: IAM policy validation check reference (the checks named below); "Granting a
//! user permissions to pass a role to an AWS service" (IAM User Guide).

use vaultward_iam::diagnostic::checks::{self, Check};
use vaultward_iam::glob::Glob;
use vaultward_iam::json::{Json, Span};
use vaultward_iam::PolicyKind;

use super::principals::{actions, covers};
use super::{idx, items, Checker, Resolved};

/// A statement's element as `(text, path, span)` items.
fn strings<'j>(s: &'j Json<'j>, key: &str, path: &str) -> Vec<(&'j str, String, Span)> {
    s.get(key)
        .map(items)
        .into_iter()
        .flatten()
        .filter_map(|(i, v)| {
            v.as_str()
                .map(|t| (t, idx(&format!("{path}.{key}"), i), v.span))
        })
        .collect()
}

/// The condition keys of a statement, lowercase.
fn condition_keys(s: &Json<'_>) -> Vec<String> {
    s.get("Condition")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .flat_map(|op| op.value.as_object().into_iter().flatten())
        .map(|m| m.key.to_ascii_lowercase())
        .collect()
}

fn tag_key(k: &str) -> bool {
    k.starts_with("aws:resourcetag/") || k.starts_with("aws:requesttag/") || k == "aws:tagkeys"
}

impl Checker<'_> {
    pub(super) fn statement_checks(
        &mut self,
        s: &Json<'_>,
        path: &str,
        allow: bool,
        negated: bool,
        resolved: &Resolved,
    ) {
        for key in ["Resource", "NotResource"] {
            for (t, p, span) in strings(s, key, path) {
                self.arn(t, &p, span);
            }
        }
        let keys = condition_keys(s);
        if self.kind.has_principal() {
            self.principals(s, path, allow, &keys);
        }
        if allow {
            self.broad_grant(
                s,
                path,
                negated,
                &keys,
                "iam:passrole",
                "iam:passedtoservice",
                [
                    &checks::PASS_ROLE_WITH_NOT_RESOURCE,
                    &checks::PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE,
                    &checks::PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE,
                    &checks::PASS_ROLE_WITH_STAR_IN_RESOURCE,
                    &checks::PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE,
                    &checks::PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION,
                ],
            );
            self.broad_grant(
                s,
                path,
                negated,
                &keys,
                "iam:createservicelinkedrole",
                "iam:awsservicename",
                [
                    &checks::CREATE_SLR_WITH_NOT_RESOURCE,
                    &checks::CREATE_SLR_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE,
                    &checks::CREATE_SLR_WITH_NOT_ACTION_AND_NOT_RESOURCE,
                    &checks::CREATE_SLR_WITH_STAR_IN_RESOURCE,
                    &checks::CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE,
                    &checks::CREATE_SLR_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION,
                ],
            );
        }
        self.redundant(s, path, "Action", &checks::REDUNDANT_ACTION, true);
        self.redundant(s, path, "Resource", &checks::REDUNDANT_RESOURCE, false);
        self.tags(s, path, allow, negated, &keys);
        let own = match self.kind {
            PolicyKind::Key => Some("kms"),
            PolicyKind::Vault => Some("backup"),
            _ => None,
        };
        if let (Some(own), false) = (own, negated) {
            for (t, p, span) in strings(s, "Action", path) {
                let svc = t.split(':').next().unwrap_or("");
                if t != "*" && !svc.eq_ignore_ascii_case(own) {
                    self.report(&checks::UNSUPPORTED_ACTION_IN_POLICY, format!("`{t}` is not an action of `{own}`, so {} cannot grant it", self.kind.with_article()), p, span, Some(format!("grant it in the policy of the resource it acts on, or an identity policy; keep `{own}:` actions here")));
                }
            }
        }
        let cspan = s.get("Condition").map_or(s.span, |c| c.span);
        for (key, partner) in [
            ("aws:vpcsourceip", "aws:sourcevpc"),
            (
                "aws:ec2instancesourceprivateipv4",
                "aws:ec2instancesourcevpc",
            ),
        ] {
            if keys.iter().any(|k| k == key) && !keys.iter().any(|k| k == partner) {
                self.report(&checks::MISSING_PAIRED_CONDITION_KEYS, format!("`{key}` is tested without `{partner}`: the same address exists in every VPC"), format!("{path}.Condition"), cspan, Some(format!("add a condition on `{partner}`")));
            }
        }
        for k in keys.iter().filter(|k| {
            [
                "aws:resourceaccount",
                "aws:resourceorgid",
                "aws:resourceorgpaths",
                "s3:resourceaccount",
            ]
            .contains(&k.as_str())
        }) {
            self.report(&checks::IRRELEVANT_CONDITION_KEY_IN_POLICY, format!("`{k}` is the account (or organization) of the policy's own resource, so {} gains nothing by testing it", self.kind.with_article()), format!("{path}.Condition"), cspan, Some("test it in an identity policy".into()));
        }
        let _ = resolved;
    }

    /// `target` (`iam:passrole`) allowed on every resource, or on all but some; `narrow` is
    /// the key that limits it (`iam:PassedToService`). `checks`: with `NotResource`, with a
    /// wildcard action and `NotResource`, `NotAction` with `NotResource`, on `*`, wildcard
    /// action on `*`, `NotAction` on `*`.
    #[allow(clippy::too_many_arguments)]
    fn broad_grant(
        &mut self,
        s: &Json<'_>,
        path: &str,
        negated: bool,
        keys: &[String],
        target: &str,
        narrow: &str,
        checks: [&'static Check; 6],
    ) {
        let (listed, allowed, wildcard) = if negated {
            let not: Vec<String> = s
                .get("NotAction")
                .map(items)
                .into_iter()
                .flatten()
                .filter_map(|(_, v)| v.as_str().map(str::to_ascii_lowercase))
                .collect();
            (false, !covers(&not, target), false)
        } else {
            let acts = actions(s);
            let exact = acts.iter().any(|a| a == target);
            (exact, covers(&acts, target), !exact)
        };
        if !allowed {
            return;
        }
        let (check, key) = if s.get("NotResource").is_some() {
            (
                if negated {
                    checks[2]
                } else if wildcard {
                    checks[1]
                } else {
                    checks[0]
                },
                "NotResource",
            )
        } else if strings(s, "Resource", path)
            .iter()
            .any(|(t, _, _)| *t == "*")
            && !keys.iter().any(|k| k == narrow)
        {
            (
                if negated {
                    checks[5]
                } else if wildcard && !listed {
                    checks[4]
                } else {
                    checks[3]
                },
                "Resource",
            )
        } else {
            return;
        };
        let span = s.get(key).map_or(s.span, |v| v.span);
        self.report(
            check,
            format!(
                "{} (`{target}` is allowed that broadly here)",
                check.summary.trim_end_matches('.')
            ),
            format!("{path}.{key}"),
            span,
            Some("name the ARNs it applies to".into()),
        );
    }

    /// An entry of `key` listed twice, or covered by a wildcard entry of the same list.
    fn redundant(
        &mut self,
        s: &Json<'_>,
        path: &str,
        key: &str,
        check: &'static Check,
        fold: bool,
    ) {
        let list = strings(s, key, path);
        let norm = |t: &str| {
            if fold {
                t.to_ascii_lowercase()
            } else {
                t.to_string()
            }
        };
        for (i, (t, p, span)) in list.iter().enumerate() {
            let covered = list.iter().enumerate().find(|(j, (o, _, _))| {
                *j != i
                    && (norm(o) == norm(t) && *j < i
                        || norm(o) != norm(t)
                            && o.contains(['*', '?'])
                            && Glob::new(&norm(o)).is_match(&norm(t)))
            });
            if let Some((_, (o, _, _))) = covered {
                self.report(
                    check,
                    format!("`{t}` is already covered by `{o}`"),
                    p.clone(),
                    *span,
                    Some(format!("remove `{t}`")),
                );
            }
        }
    }

    /// Tag keys tested in a statement whose actions (of some services) do not support them.
    fn tags(&mut self, s: &Json<'_>, path: &str, allow: bool, negated: bool, keys: &[String]) {
        let cspan = s.get("Condition").map_or(s.span, |c| c.span);
        for key in keys.iter().filter(|k| tag_key(k)) {
            if negated {
                let check = if allow {
                    &checks::ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE
                } else {
                    &checks::DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE
                };
                self.report(check, format!("`NotAction` covers actions that do not support `{key}`, which the statement then {}", if allow { "never allows" } else { "does not deny" }), format!("{path}.Condition"), cspan, Some("list the actions in `Action`".into()));
                continue;
            }
            let mut services: Vec<(&'static str, bool)> = Vec::new();
            for a in actions(s).iter().filter(|a| !a.contains(['*', '?'])) {
                let Some((svc, action)) = self.catalog.action(a) else {
                    continue;
                };
                let supports = action
                    .condition_keys
                    .iter()
                    .any(|k| crate::key_matches(k, key));
                match services.iter_mut().find(|(p, _)| *p == svc.prefix) {
                    Some(entry) => entry.1 |= supports,
                    None => services.push((svc.prefix, supports)),
                }
            }
            let unsupported: Vec<String> = services
                .iter()
                .filter(|(_, ok)| !ok)
                .map(|(p, _)| format!("`{p}`"))
                .collect();
            if !unsupported.is_empty() {
                let check = if allow {
                    &checks::ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE
                } else {
                    &checks::DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE
                };
                self.report(check, format!("the actions of {} listed here do not support `{key}`, so the statement {} them", unsupported.join(", "), if allow { "never allows" } else { "does not deny" }), format!("{path}.Condition"), cspan, Some("move those actions to a statement without this key".into()));
            }
        }
    }
}
