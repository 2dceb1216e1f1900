//! The organization and the SCPs and RCPs on the account's path from the root, when the
//! caller may read them (the management account or a delegated administrator).

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_organizations::types::PolicyType;
use serde_json::{json, Value};
use vaultward_snapshot::{org_path, Organization, MAX_ORG_DEPTH};

use crate::api::Api;
use crate::ctx::{Ctx, Fetch};
use crate::policy_document;

pub async fn organization(ctx: &Ctx, conf: &SdkConfig, account: &str) -> Option<Organization> {
    let client = aws_sdk_organizations::Client::new(conf);
    let org = match ctx
        .call(
            Api::DescribeOrganization,
            "organization",
            &["AWSOrganizationsNotInUseException"],
            client.describe_organization().send(),
        )
        .await
    {
        Fetch::Got(o) => o,
        Fetch::Absent => return None,
        Fetch::Failed(e) => {
            return Some(Organization {
                policies_not_collected: Some(format!("DescribeOrganization: {e}")),
                ..Organization::default()
            })
        }
    };
    let mut out = Organization {
        id: org.organization().and_then(|o| o.id()).map(str::to_string),
        management_account: org
            .organization()
            .and_then(|o| o.master_account_id())
            .map(str::to_string),
        ..Organization::default()
    };
    let chain = match chain(ctx, &client, account).await {
        Ok(c) => c,
        Err(why) => {
            out.policies_not_collected = Some(why);
            return Some(out);
        }
    };
    if let Some(id) = &out.id {
        out.path = Some(org_path(id, &chain[..chain.len().saturating_sub(1)]));
    }
    match policies(ctx, &client, &chain).await {
        Ok((scps, rcps)) => {
            out.scps = scps;
            out.rcps = rcps;
        }
        Err(why) => out.policies_not_collected = Some(why),
    }
    Some(out)
}

/// The account's path: the root, each OU down, and the account (`ListParents` from the
/// account up).
async fn chain(
    ctx: &Ctx,
    client: &aws_sdk_organizations::Client,
    account: &str,
) -> Result<Vec<String>, String> {
    let mut path = vec![account.to_string()];
    let mut child = account.to_string();
    for _ in 0..=MAX_ORG_DEPTH {
        let parents = match ctx
            .call(
                Api::ListParents,
                &format!("organization path of {child}"),
                &[],
                client.list_parents().child_id(&child).send(),
            )
            .await
        {
            Fetch::Got(p) => p,
            Fetch::Absent | Fetch::Failed(_) => {
                return Err(format!("ListParents({child}) was refused"))
            }
        };
        let Some(parent) = parents.parents().first() else {
            break;
        };
        let id = parent.id().unwrap_or_default().to_string();
        let is_root = parent.r#type().map(|t| t.as_str()) == Some("ROOT");
        path.push(id.clone());
        if is_root {
            path.reverse();
            return Ok(path);
        }
        child = id;
    }
    Err(format!("ListParents from {account} did not reach the root"))
}

type Levels = Vec<Vec<Value>>;

/// The SCPs and RCPs attached to each target of `path` (the root first), per level.
async fn policies(
    ctx: &Ctx,
    client: &aws_sdk_organizations::Client,
    path: &[String],
) -> Result<(Levels, Levels), String> {
    let mut documents: HashMap<String, Value> = HashMap::new();
    let mut levels = [Vec::new(), Vec::new()];
    for (k, kind) in [
        PolicyType::ServiceControlPolicy,
        PolicyType::ResourceControlPolicy,
    ]
    .into_iter()
    .enumerate()
    {
        for target in path {
            let item = format!("{} of {target}", kind.as_str());
            let listed = ctx
                .call(
                    Api::ListPoliciesForTarget,
                    &item,
                    &["PolicyTypeNotEnabledException"],
                    client
                        .list_policies_for_target()
                        .target_id(target)
                        .filter(kind.clone())
                        .into_paginator()
                        .send()
                        .try_collect(),
                )
                .await;
            let summaries: Vec<_> = match listed {
                Fetch::Got(pages) => pages
                    .iter()
                    .flat_map(|p| p.policies().iter().cloned())
                    .collect(),
                // The policy type is not enabled: it restricts nothing.
                Fetch::Absent => {
                    levels[k].clear();
                    break;
                }
                Fetch::Failed(e) => return Err(format!("ListPoliciesForTarget({target}): {e}")),
            };
            let mut level = Vec::new();
            for s in summaries {
                let id = s.id().unwrap_or_default().to_string();
                let name = s.name().unwrap_or(&id).to_string();
                let doc = match documents.get(&id) {
                    Some(d) => d.clone(),
                    None => {
                        let d = match ctx
                            .call(
                                Api::DescribePolicy,
                                &format!("policy {id}"),
                                &[],
                                client.describe_policy().policy_id(&id).send(),
                            )
                            .await
                        {
                            Fetch::Got(p) => p
                                .policy()
                                .and_then(|p| p.content())
                                .map(policy_document)
                                .unwrap_or(Value::Null),
                            _ => return Err(format!("DescribePolicy({id}) was refused")),
                        };
                        documents.insert(id.clone(), d.clone());
                        d
                    }
                };
                level.push(json!({"name": name, "id": id, "document": doc}));
            }
            levels[k].push(level);
        }
    }
    let [scps, rcps] = levels;
    Ok((scps, rcps))
}
