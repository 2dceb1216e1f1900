//! The organization as the management account (or a delegated administrator) reads it: the
//! root and the policy types enabled on it, the OU tree level by level, the accounts under
//! each parent with their state, and every SCP and RCP (the AWS-managed ones included)
//! with its targets. Every listing is paginated.

use aws_sdk_organizations::types::{PolicyType, PolicyTypeStatus};
use aws_sdk_organizations::Client;
use futures_util::future::join_all;
use vaultward_snapshot::org::{Account, OrgLayout, OrgPolicy, Unit, FORMAT};
use vaultward_snapshot::MAX_ORG_DEPTH;

use crate::api::Api;
use crate::ctx::{Ctx, Fetch};
use crate::policy_document;

/// The policy types `collect --org` reads.
const POLICY_TYPES: [PolicyType; 2] = [
    PolicyType::ServiceControlPolicy,
    PolicyType::ResourceControlPolicy,
];

/// Reads the tree and the policies. The accounts come back with neither `snapshot` nor
/// `not_collected`: the caller decides each. An error says why the organization cannot be
/// read at all (not in one, not its management account or a delegated administrator).
pub async fn read(ctx: &Ctx, client: &Client) -> Result<OrgLayout, String> {
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
        Fetch::Absent => return Err("the caller's account is not in an organization".into()),
        Fetch::Failed(e) => return Err(format!("DescribeOrganization: {e}")),
    };
    let o = org.organization();
    let mut layout = OrgLayout {
        format: FORMAT.to_string(),
        id: o.and_then(|o| o.id()).unwrap_or_default().to_string(),
        management_account: o
            .and_then(|o| o.master_account_id())
            .unwrap_or_default()
            .to_string(),
        ..OrgLayout::default()
    };
    let roots = answer(
        ctx.call(
            Api::ListRoots,
            "organization root",
            &[],
            client.list_roots().into_paginator().send().try_collect(),
        )
        .await,
        "ListRoots",
    )?;
    let root = roots
        .iter()
        .flat_map(|p| p.roots().iter())
        .next()
        .ok_or("ListRoots returned no root")?;
    layout.root = root.id().unwrap_or_default().to_string();
    layout.enabled_policy_types = root
        .policy_types()
        .iter()
        .filter(|t| t.status() == Some(&PolicyTypeStatus::Enabled))
        .filter_map(|t| t.r#type().map(|t| t.as_str().to_string()))
        .filter(|t| POLICY_TYPES.iter().any(|p| p.as_str() == t))
        .collect();
    layout.enabled_policy_types.sort();
    units_and_accounts(ctx, client, &mut layout).await?;
    match policies(ctx, client).await {
        Ok(p) => layout.policies = p,
        Err(why) => layout.policies_not_collected = Some(why),
    }
    Ok(layout)
}

/// The OUs and accounts under the root, one level of the tree at a time (the parents of a
/// level are listed concurrently, within the call bound).
async fn units_and_accounts(
    ctx: &Ctx,
    client: &Client,
    layout: &mut OrgLayout,
) -> Result<(), String> {
    let mut level = vec![layout.root.clone()];
    // The root, then at most MAX_ORG_DEPTH levels of OUs under it.
    for _ in 0..=MAX_ORG_DEPTH {
        if level.is_empty() {
            return Ok(());
        }
        let listed = join_all(level.iter().map(|parent| children(ctx, client, parent))).await;
        let mut next = Vec::new();
        for result in listed {
            let (units, accounts) = result?;
            next.extend(units.iter().map(|u| u.id.clone()));
            layout.units.extend(units);
            layout.accounts.extend(accounts);
        }
        level = next;
    }
    if level.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the OU tree is deeper than the {MAX_ORG_DEPTH} levels AWS Organizations allows"
        ))
    }
}

/// The OUs and the accounts directly under `parent`.
async fn children(
    ctx: &Ctx,
    client: &Client,
    parent: &str,
) -> Result<(Vec<Unit>, Vec<Account>), String> {
    let units = answer(
        ctx.call(
            Api::ListOrganizationalUnitsForParent,
            &format!("OUs under {parent}"),
            &[],
            client
                .list_organizational_units_for_parent()
                .parent_id(parent)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await,
        &format!("ListOrganizationalUnitsForParent({parent})"),
    )?
    .iter()
    .flat_map(|p| p.organizational_units().iter())
    .map(|u| Unit {
        id: u.id().unwrap_or_default().to_string(),
        name: u.name().unwrap_or_default().to_string(),
        parent: parent.to_string(),
    })
    .collect();
    let accounts = answer(
        ctx.call(
            Api::ListAccountsForParent,
            &format!("accounts under {parent}"),
            &[],
            client
                .list_accounts_for_parent()
                .parent_id(parent)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await,
        &format!("ListAccountsForParent({parent})"),
    )?
    .iter()
    .flat_map(|p| p.accounts().iter())
    .map(|a| Account {
        id: a.id().unwrap_or_default().to_string(),
        name: a.name().unwrap_or_default().to_string(),
        // `State` replaces the deprecated `Status` (Organizations API reference, Account:
        // https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html);
        // either says ACTIVE for an account that can be collected.
        status: a
            .state()
            .map(|s| s.as_str().to_string())
            .or_else(|| a.status().map(|s| s.as_str().to_string()))
            .unwrap_or_default(),
        parent: parent.to_string(),
        ..Account::default()
    })
    .collect();
    Ok((units, accounts))
}

/// Every SCP and RCP with its document and targets.
async fn policies(ctx: &Ctx, client: &Client) -> Result<Vec<OrgPolicy>, String> {
    let mut out = Vec::new();
    for kind in POLICY_TYPES {
        let listed = ctx
            .call(
                Api::ListPolicies,
                &format!("{} policies", kind.as_str()),
                &["PolicyTypeNotEnabledException"],
                client
                    .list_policies()
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
            Fetch::Absent => continue,
            Fetch::Failed(e) => return Err(format!("ListPolicies({}): {e}", kind.as_str())),
        };
        let read: Vec<Result<OrgPolicy, String>> = join_all(summaries.iter().map(|s| async {
            let id = s.id().unwrap_or_default().to_string();
            let document = answer(
                ctx.call(
                    Api::DescribePolicy,
                    &format!("policy {id}"),
                    &[],
                    client.describe_policy().policy_id(&id).send(),
                )
                .await,
                &format!("DescribePolicy({id})"),
            )?
            .policy()
            .and_then(|p| p.content())
            .map(policy_document)
            .ok_or_else(|| format!("DescribePolicy({id}) returned no content"))?;
            let targets = answer(
                ctx.call(
                    Api::ListTargetsForPolicy,
                    &format!("targets of policy {id}"),
                    &[],
                    client
                        .list_targets_for_policy()
                        .policy_id(&id)
                        .into_paginator()
                        .send()
                        .try_collect(),
                )
                .await,
                &format!("ListTargetsForPolicy({id})"),
            )?
            .iter()
            .flat_map(|p| p.targets().iter())
            .filter_map(|t| t.target_id().map(str::to_string))
            .collect();
            Ok(OrgPolicy {
                name: s.name().unwrap_or(&id).to_string(),
                r#type: kind.as_str().to_string(),
                aws_managed: s.aws_managed(),
                document,
                targets,
                id,
            })
        }))
        .await;
        for p in read {
            out.push(p?);
        }
    }
    Ok(out)
}

/// The answer, or why `what` got none (the error code, `AccessDeniedException`).
fn answer<T>(fetch: Fetch<T>, what: &str) -> Result<T, String> {
    match fetch {
        Fetch::Got(t) => Ok(t),
        Fetch::Absent => Err(format!("{what}: no answer")),
        Fetch::Failed(e) => Err(format!("{what}: {e}")),
    }
}
