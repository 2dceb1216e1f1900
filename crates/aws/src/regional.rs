//! Regional resources: KMS keys with their policies, managers and aliases; DynamoDB tables
//! with SSE and tags; EC2 instances and EBS volumes with encryption and tags; AWS Backup
//! vaults with their access policies.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use futures_util::future::join_all;
use serde_json::Value;
use vaultward_snapshot::AssetType;
use vaultward_snapshot::{Collected, Instance, KmsKey, RecoveryPoint, Table, Vault, Volume};

use crate::api::Api;
use crate::ctx::{Ctx, Fetch};
use crate::{policy_document, Options};

#[derive(Default)]
pub struct Regional {
    pub kms_keys: Vec<KmsKey>,
    pub tables: Vec<Table>,
    pub instances: Vec<Instance>,
    pub volumes: Vec<Volume>,
    pub vaults: Vec<Vault>,
    pub recovery_points: Vec<RecoveryPoint>,
}

/// The regions enabled for the account; `None` when refused (recorded).
pub async fn enabled_regions(ctx: &Ctx, conf: &SdkConfig) -> Option<Vec<String>> {
    let ec2 = aws_sdk_ec2::Client::new(conf);
    let out = ctx
        .call(
            Api::DescribeRegions,
            "account",
            &[],
            ec2.describe_regions().send(),
        )
        .await
        .ok()?;
    let mut rs: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    rs.sort();
    Some(rs)
}

pub async fn collect(
    ctx: &Ctx,
    opts: &Options,
    conf: &SdkConfig,
    region: &str,
    account: &str,
) -> Regional {
    let (kms_keys, tables, (instances, volumes), vaults) = tokio::join!(
        kms(ctx, conf, region),
        async {
            if opts.assets.contains(&AssetType::DynamoDb) {
                tables(ctx, conf, region).await
            } else {
                Vec::new()
            }
        },
        async {
            if opts.assets.contains(&AssetType::Ec2) {
                ec2(ctx, conf, region, account).await
            } else {
                (Vec::new(), Vec::new())
            }
        },
        crate::vaults::vaults(ctx, conf, region),
    );
    let (vaults, recovery_points) = vaults;
    let mut kms_keys = kms_keys;
    let named = crate::vaults::named_keys(ctx, conf, &vaults, &recovery_points, &kms_keys).await;
    kms_keys.extend(named);
    Regional {
        kms_keys,
        tables,
        instances,
        volumes,
        vaults,
        recovery_points,
    }
}

async fn kms(ctx: &Ctx, conf: &SdkConfig, region: &str) -> Vec<KmsKey> {
    let client = aws_sdk_kms::Client::new(conf);
    let item = format!("KMS keys in {region}");
    let keys = ctx
        .call(
            Api::ListKeys,
            &item,
            &[],
            client
                .list_keys()
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .ok()
        .unwrap_or_default();
    let aliases = ctx
        .call(
            Api::ListAliases,
            &item,
            &[],
            client
                .list_aliases()
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .ok()
        .unwrap_or_default();
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in &aliases {
        if let (Some(name), Some(target)) = (a.alias_name(), a.target_key_id()) {
            by_key
                .entry(target.to_string())
                .or_default()
                .push(name.to_string());
        }
    }
    join_all(keys.iter().map(|k| {
        let client = &client;
        let by_key = &by_key;
        async move {
            let id = k.key_id().unwrap_or_default();
            let arn = k.key_arn().unwrap_or(id).to_string();
            let aliases = by_key.get(id).cloned().unwrap_or_default();
            describe_key(ctx, client, id, arn, aliases).await
        }
    }))
    .await
}

async fn tables(ctx: &Ctx, conf: &SdkConfig, region: &str) -> Vec<Table> {
    let client = aws_sdk_dynamodb::Client::new(conf);
    let names = ctx
        .call(
            Api::ListTables,
            &format!("DynamoDB tables in {region}"),
            &[],
            client
                .list_tables()
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        )
        .await
        .ok()
        .unwrap_or_default();
    let found = join_all(names.iter().map(|name| {
        let client = &client;
        async move {
            let item = format!("table {name} in {region}");
            let d = ctx
                .call(
                    Api::DescribeTable,
                    &item,
                    &[],
                    client.describe_table().table_name(name).send(),
                )
                .await
                .ok()?;
            let t = d.table()?;
            let arn = t.table_arn()?.to_string();
            let kms_key_id = t
                .sse_description()
                .and_then(|s| s.kms_master_key_arn())
                .map(str::to_string);
            let tags = ctx
                .call(Api::ListTagsOfResource, &item, &[], async {
                    let mut tags = BTreeMap::new();
                    let mut token = None;
                    loop {
                        let page = client
                            .list_tags_of_resource()
                            .resource_arn(&arn)
                            .set_next_token(token)
                            .send()
                            .await?;
                        for t in page.tags() {
                            tags.insert(t.key().to_string(), t.value().to_string());
                        }
                        match page.next_token() {
                            Some(n) if !n.is_empty() => token = Some(n.to_string()),
                            _ => break,
                        }
                    }
                    Ok::<_, aws_sdk_dynamodb::error::SdkError<_, _>>(tags)
                })
                .await
                .ok()
                .unwrap_or_default();
            Some(Table {
                arn,
                kms_key_id,
                tags,
            })
        }
    }))
    .await;
    // A table that could not be described is recorded in the missing list; it is not
    // invented here.
    found.into_iter().flatten().collect()
}

fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect()
}

async fn ec2(
    ctx: &Ctx,
    conf: &SdkConfig,
    region: &str,
    account: &str,
) -> (Vec<Instance>, Vec<Volume>) {
    let client = aws_sdk_ec2::Client::new(conf);
    let item = format!("EC2 in {region}");
    let (reservations, volumes) = tokio::join!(
        ctx.call(
            Api::DescribeInstances,
            &item,
            &[],
            client
                .describe_instances()
                .into_paginator()
                .send()
                .try_collect(),
        ),
        ctx.call(
            Api::DescribeVolumes,
            &item,
            &[],
            client
                .describe_volumes()
                .into_paginator()
                .items()
                .send()
                .try_collect(),
        ),
    );
    let mut instances = Vec::new();
    let pages = reservations.ok().unwrap_or_default();
    for r in pages.iter().flat_map(|p| p.reservations()) {
        let owner = r.owner_id().unwrap_or(account);
        for i in r.instances() {
            let Some(id) = i.instance_id() else { continue };
            instances.push(Instance {
                arn: format!("arn:aws:ec2:{region}:{owner}:instance/{id}"),
                tags: ec2_tags(i.tags()),
                volumes: i
                    .block_device_mappings()
                    .iter()
                    .filter_map(|m| m.ebs()?.volume_id().map(str::to_string))
                    .collect(),
                instance_profile_arn: i
                    .iam_instance_profile()
                    .and_then(|p| p.arn())
                    .map(str::to_string),
            });
        }
    }
    let mut out_volumes = Vec::new();
    for v in volumes.ok().unwrap_or_default() {
        let Some(id) = v.volume_id() else { continue };
        out_volumes.push(Volume {
            arn: format!("arn:aws:ec2:{region}:{account}:volume/{id}"),
            encrypted: v.encrypted(),
            kms_key_id: v.kms_key_id().map(str::to_string),
            tags: ec2_tags(v.tags()),
        });
    }
    (instances, out_volumes)
}

/// One key as the snapshot holds it: its manager and origin (`DescribeKey`), its policy
/// (`GetKeyPolicy`) and its grants (`ListGrants`), each `not_collected` when refused.
pub(crate) async fn describe_key(
    ctx: &Ctx,
    client: &aws_sdk_kms::Client,
    id: &str,
    arn: String,
    aliases: Vec<String>,
) -> KmsKey {
    let item = format!("key {arn}");
    let (meta, policy, grants) = tokio::join!(
        ctx.call(
            Api::DescribeKey,
            &item,
            &[],
            client.describe_key().key_id(id).send()
        ),
        ctx.call(
            Api::GetKeyPolicy,
            &item,
            &[],
            client
                .get_key_policy()
                .key_id(id)
                .policy_name("default")
                .send()
        ),
        ctx.call(
            Api::ListGrants,
            &item,
            &[],
            client
                .list_grants()
                .key_id(id)
                .into_paginator()
                .items()
                .send()
                .try_collect()
        ),
    );
    let meta = meta.ok();
    let meta = meta.as_ref().and_then(|m| m.key_metadata());
    let policy = match policy {
        Fetch::Got(p) => Collected::Document(p.policy().map_or(Value::Null, policy_document)),
        Fetch::Absent => Collected::Document(Value::Null),
        Fetch::Failed(e) => Collected::NotCollected { not_collected: e },
    };
    let grants = match grants {
        Fetch::Got(list) => Collected::Document(Value::Array(list.iter().map(grant).collect())),
        Fetch::Absent => Collected::Document(Value::Array(Vec::new())),
        Fetch::Failed(e) => Collected::NotCollected { not_collected: e },
    };
    KmsKey {
        arn,
        policy,
        manager: meta
            .and_then(|m| m.key_manager())
            .map(|m| m.as_str().to_string()),
        aliases,
        origin: meta
            .and_then(|m| m.origin())
            .map(|o| o.as_str().to_string()),
        grants,
    }
}

/// A grant as `aws kms list-grants` writes it (the fields exposure reads).
fn grant(g: &aws_sdk_kms::types::GrantListEntry) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in [
        ("GrantId", g.grant_id()),
        ("GranteePrincipal", g.grantee_principal()),
        ("RetiringPrincipal", g.retiring_principal()),
        ("IssuingAccount", g.issuing_account()),
        ("Name", g.name()),
    ] {
        if let Some(v) = v {
            out.insert(k.into(), Value::String(v.to_string()));
        }
    }
    out.insert(
        "Operations".into(),
        Value::Array(
            g.operations()
                .iter()
                .map(|o| Value::String(o.as_str().to_string()))
                .collect(),
        ),
    );
    if g.constraints().is_some() {
        // Encryption-context constraints narrow a grant; exposure reads any as "some".
        out.insert("Constraints".into(), serde_json::json!({}));
    }
    Value::Object(out)
}
