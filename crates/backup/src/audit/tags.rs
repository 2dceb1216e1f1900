//! Tag, then act: an Allow gated by a resource tag the role can set itself on a resource it
//! did not create.

use std::collections::{BTreeMap, BTreeSet};

use vaultward_iam::policy::Effect;
use vaultward_iam::NamedPolicy;
use vaultward_snapshot::Snapshot;

use super::{Auditor, PathClass};

/// A concrete ARN matching `pattern`: wildcards in the region and account fields become the
/// probe's region and account, elsewhere `vaultward-audit`.
pub(super) fn instantiate(pattern: &str, region: &str, account: &str) -> String {
    let fields: Vec<&str> = pattern.splitn(6, ':').collect();
    let wild = |f: &str| f.contains('*') || f.contains('?');
    let fill = |f: &str| f.replace('*', "vaultward-audit").replace('?', "x");
    if fields.len() == 6 {
        let region_field = fields.get(3).copied().unwrap_or("");
        let account_field = fields.get(4).copied().unwrap_or("");
        let region = if wild(region_field) {
            region.to_string()
        } else {
            region_field.to_string()
        };
        let account = if wild(account_field) {
            account.to_string()
        } else {
            account_field.to_string()
        };
        format!(
            "{}:{}:{}:{region}:{account}:{}",
            fill(fields.first().copied().unwrap_or("arn")),
            fill(fields.get(1).copied().unwrap_or("aws")),
            fill(fields.get(2).copied().unwrap_or("")),
            fill(fields.get(5).copied().unwrap_or(""))
        )
    } else {
        fill(pattern)
    }
}

/// A tag value that satisfies a condition value as written (wildcards filled in).
pub(super) fn value_for(text: &str) -> String {
    let v = text.replace(['*', '?'], "x");
    if v.is_empty() {
        "x".into()
    } else {
        v
    }
}

/// The tagging action of a service, and whether its tags reach existing resources.
pub(super) fn tag_action(service: &str, resource: &str) -> String {
    match service {
        "ec2" => "ec2:CreateTags".into(),
        "s3" if resource.contains('/') => "s3:PutObjectTagging".into(),
        "s3" => "s3:PutBucketTagging".into(),
        "rds" => "rds:AddTagsToResource".into(),
        "sqs" => "sqs:TagQueue".into(),
        "iam" if resource.contains(":user/") => "iam:TagUser".into(),
        "iam" => "iam:TagRole".into(),
        "elasticloadbalancing" => "elasticloadbalancing:AddTags".into(),
        other => format!("{other}:TagResource"),
    }
}

/// The snapshot's taggable resources with their tags.
pub(super) fn snapshot_resources(s: &Snapshot) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    out.extend(
        s.dynamodb_tables
            .iter()
            .map(|t| (t.arn.clone(), t.tags.clone())),
    );
    out.extend(
        s.ebs_volumes
            .iter()
            .map(|v| (v.arn.clone(), v.tags.clone())),
    );
    out.extend(
        s.ec2_instances
            .iter()
            .map(|i| (i.arn.clone(), i.tags.clone())),
    );
    out.extend(
        s.buckets
            .iter()
            .map(|b| (format!("arn:aws:s3:::{}", b.name), b.tags.clone())),
    );
    out
}

/// The attacker-set request keys the role's Allows name: request tags and tag keys.
pub(super) fn request_keys(policies: &[NamedPolicy]) -> Vec<(String, String)> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for p in policies {
        for st in &p.policy.statements {
            if st.effect != Effect::Allow {
                continue;
            }
            for c in &st.conditions {
                let lower = c.key.to_ascii_lowercase();
                if lower.starts_with("aws:requesttag/") || lower == "aws:tagkeys" {
                    if let Some(v) = c.value_texts().first() {
                        out.entry(c.key.clone()).or_insert_with(|| value_for(v));
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

impl Auditor<'_, '_> {
    /// Every Allow gated by a resource tag: can the role set that tag on a resource it did
    /// not create, then act?
    pub(super) fn tag_then_act(&mut self, snapshot: &Snapshot) {
        let mut gated: BTreeSet<(String, String, String, String)> = BTreeSet::new();
        for p in self.plan.identity_policies() {
            for st in &p.policy.statements {
                if st.effect != Effect::Allow || st.action.negated {
                    continue;
                }
                let Some(res) = &st.resource else { continue };
                if res.negated {
                    continue;
                }
                for c in &st.conditions {
                    let key = c.key.as_str();
                    let lower = key.to_ascii_lowercase();
                    let tag = if lower.starts_with("aws:resourcetag/") {
                        key.get("aws:ResourceTag/".len()..)
                    } else if lower.ends_with(":resourcetag/") || lower.contains(":resourcetag/") {
                        key.split_once('/').map(|(_, t)| t)
                    } else {
                        None
                    };
                    let Some(tag) = tag else { continue };
                    let value = c
                        .value_texts()
                        .first()
                        .map(|v| value_for(v))
                        .unwrap_or_else(|| "x".into());
                    for a in &st.action.patterns {
                        let action = a.pattern_text();
                        if action.contains('*') || action.contains('?') {
                            continue;
                        }
                        for r in &res.patterns {
                            gated.insert((
                                action.clone(),
                                r.text(),
                                tag.to_string(),
                                value.clone(),
                            ));
                        }
                    }
                }
            }
        }
        let mut seen = BTreeSet::new();
        for (action, pattern, tag, value) in gated {
            if pattern.contains("${") {
                continue;
            }
            let resource = instantiate(&pattern, &self.region, &self.account);
            let service = action.split(':').next().unwrap_or("").to_ascii_lowercase();
            // A resource of the snapshot the pattern matches and that lacks the tag, else
            // the pattern's own instance (a resource the role did not create: no tags).
            let existing = snapshot_resources(snapshot)
                .into_iter()
                .find(|(arn, tags)| {
                    vaultward_iam::glob::Glob::new(&pattern).is_match(arn)
                        && !tags.contains_key(&tag)
                });
            let (resource, tags) = existing.unwrap_or((resource, BTreeMap::new()));
            let tagger = tag_action(&service, &resource);
            if !seen.insert((action.clone(), resource.clone(), tag.clone())) {
                continue;
            }
            let mut before: Vec<(String, String)> = tags
                .iter()
                .map(|(k, v)| (format!("aws:ResourceTag/{k}"), v.clone()))
                .collect();
            let mut tagging = before.clone();
            tagging.push((format!("aws:RequestTag/{tag}"), value.clone()));
            tagging.push(("aws:TagKeys".into(), tag.clone()));
            before.push((format!("aws:ResourceTag/{tag}"), value.clone()));
            self.path(
                PathClass::TagThenAct,
                "tag-then-act",
                format!("tag `{resource}` with `{tag}`, then `{action}` on it"),
                &resource,
                &[
                    (tagger.as_str(), resource.clone(), tagging, None),
                    (action.as_str(), resource.clone(), before, None),
                ],
                format!("let the role set `{tag}` only while creating a resource (EC2: deny `ec2:CreateTags` where `ec2:CreateAction` is null), deny `{tagger}` of `{tag}` on resources that do not carry it, or gate `{action}` on something the role cannot set (a name prefix)"),
            );
        }
    }
}
