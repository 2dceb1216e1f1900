//! Buckets: location, policy, Object Ownership, public access block, default encryption,
//! versioning, tags, and objects (versions, size, owner, SSE-KMS key) as asked.

use std::collections::{BTreeMap, HashMap};

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use futures_util::future::join_all;
use serde_json::{json, Value};
use vaultward_snapshot::awscli::region_of_location;
use vaultward_snapshot::{Bucket, Collected, Encryption, Object};

use crate::api::Api;
use crate::ctx::{Ctx, Fetch};
use crate::{policy_document, Objects, Options};

fn client(conf: &SdkConfig, opts: &Options, region: Option<&str>) -> Client {
    let mut b = aws_sdk_s3::config::Builder::from(conf);
    if let Some(r) = region {
        b = b.region(aws_config::Region::new(r.to_string()));
    }
    // A local endpoint serves buckets by path, not by virtual host.
    if opts.endpoint_url.is_some() {
        b = b.force_path_style(true);
    }
    Client::from_conf(b.build())
}

pub async fn buckets(
    ctx: &Ctx,
    opts: &Options,
    conf: &SdkConfig,
    account: &str,
    regions: &[String],
) -> Vec<Bucket> {
    let home = client(conf, opts, None);
    let mut names = Vec::new();
    let mut owner_id: Option<String> = None;
    let mut token: Option<String> = None;
    loop {
        let page = match ctx
            .call(
                Api::ListBuckets,
                "account",
                &[],
                home.list_buckets()
                    .set_continuation_token(token.clone())
                    .send(),
            )
            .await
        {
            Fetch::Got(p) => p,
            _ => return Vec::new(),
        };
        if owner_id.is_none() {
            owner_id = page.owner().and_then(|o| o.id()).map(str::to_string);
        }
        names.extend(
            page.buckets()
                .iter()
                .filter_map(|b| b.name().map(str::to_string)),
        );
        // Some emulators repeat the token on the last page: stop when it does not move.
        match page.continuation_token() {
            Some(t) if !t.is_empty() && token.as_deref() != Some(t) => token = Some(t.to_string()),
            _ => break,
        }
    }
    let clients: HashMap<String, Client> = regions
        .iter()
        .map(|r| (r.clone(), client(conf, opts, Some(r))))
        .collect();
    let home_ref = &home;
    let located = join_all(names.iter().map(|name| async move {
        let loc = ctx
            .call(
                Api::GetBucketLocation,
                &format!("bucket {name}"),
                &[],
                home_ref.get_bucket_location().bucket(name).send(),
            )
            .await;
        (name.clone(), loc)
    }))
    .await;
    let mut skipped = 0usize;
    let mut work = Vec::new();
    for (name, loc) in located {
        match loc {
            Fetch::Got(l) => {
                let region = region_of_location(l.location_constraint().map(|c| c.as_str()));
                match clients.get(&region) {
                    Some(c) => work.push((name, Some(region), c.clone())),
                    None => skipped += 1,
                }
            }
            // Unknown region: read it through the home client and say so.
            _ => work.push((name, None, home.clone())),
        }
    }
    if skipped > 0 {
        ctx.record(
            &format!("{skipped} buckets outside {}", regions.join(", ")),
            Api::GetBucketLocation,
            "skipped: not in the selected regions (pass --region or --all-regions)".into(),
        );
    }
    let owner_id = owner_id.unwrap_or_default();
    join_all(work.into_iter().map(|(name, region, c)| {
        let owner_id = owner_id.clone();
        async move { bucket(ctx, opts, &c, name, region, account, &owner_id).await }
    }))
    .await
}

async fn bucket(
    ctx: &Ctx,
    opts: &Options,
    c: &Client,
    name: String,
    region: Option<String>,
    account: &str,
    owner_id: &str,
) -> Bucket {
    let item = format!("bucket {name}");
    let mut not_collected = BTreeMap::new();
    let (policy, ownership, pab, enc, ver, tags) = tokio::join!(
        ctx.call(
            Api::GetBucketPolicy,
            &item,
            &["NoSuchBucketPolicy"],
            c.get_bucket_policy().bucket(&name).send()
        ),
        ctx.call(
            Api::GetBucketOwnershipControls,
            &item,
            &["OwnershipControlsNotFoundError"],
            c.get_bucket_ownership_controls().bucket(&name).send()
        ),
        ctx.call(
            Api::GetPublicAccessBlock,
            &item,
            &["NoSuchPublicAccessBlockConfiguration"],
            c.get_public_access_block().bucket(&name).send()
        ),
        ctx.call(
            Api::GetBucketEncryption,
            &item,
            &["ServerSideEncryptionConfigurationNotFoundError"],
            c.get_bucket_encryption().bucket(&name).send()
        ),
        ctx.call(
            Api::GetBucketVersioning,
            &item,
            &[],
            c.get_bucket_versioning().bucket(&name).send()
        ),
        ctx.call(
            Api::GetBucketTagging,
            &item,
            &["NoSuchTagSet", "NoSuchTagSetError"],
            c.get_bucket_tagging().bucket(&name).send()
        ),
    );
    let policy = match policy {
        Fetch::Got(p) => Collected::Document(p.policy().map_or(Value::Null, policy_document)),
        Fetch::Absent => Collected::Document(Value::Null),
        Fetch::Failed(e) => Collected::NotCollected { not_collected: e },
    };
    let ownership = match ownership {
        Fetch::Got(o) => o
            .ownership_controls()
            .and_then(|c| c.rules().first())
            .map(|r| r.object_ownership().as_str().to_string()),
        // Without ownership controls, a bucket is `ObjectWriter` (S3 User Guide, "Controlling
        // ownership of objects": buckets created before April 2023 without a setting).
        Fetch::Absent => Some("ObjectWriter".to_string()),
        Fetch::Failed(e) => {
            not_collected.insert("ownership".into(), e);
            None
        }
    };
    let public_access_block = match pab {
        Fetch::Got(p) => Collected::Document(p.public_access_block_configuration().map_or(
            Value::Null,
            |c| {
                json!({
                    "BlockPublicAcls": c.block_public_acls(),
                    "IgnorePublicAcls": c.ignore_public_acls(),
                    "BlockPublicPolicy": c.block_public_policy(),
                    "RestrictPublicBuckets": c.restrict_public_buckets(),
                })
            },
        )),
        Fetch::Absent => Collected::Document(Value::Null),
        Fetch::Failed(e) => Collected::NotCollected { not_collected: e },
    };
    let default_encryption = match enc {
        Fetch::Got(e) => e
            .server_side_encryption_configuration()
            .and_then(|c| c.rules().first())
            .and_then(|r| {
                let d = r.apply_server_side_encryption_by_default()?;
                Some(Encryption {
                    sse: d.sse_algorithm().as_str().to_string(),
                    kms_key_id: d.kms_master_key_id().map(str::to_string),
                    // Absent from the rule: no Bucket Key ("By default, S3 Bucket Key is not
                    // enabled", S3 API reference, ServerSideEncryptionRule).
                    bucket_key_enabled: Some(r.bucket_key_enabled().unwrap_or(false)),
                })
            }),
        Fetch::Absent => None,
        Fetch::Failed(e) => {
            not_collected.insert("default_encryption".into(), e);
            None
        }
    };
    let versioning = match ver {
        Fetch::Got(v) => v.status().map(|s| s.as_str().to_string()),
        Fetch::Absent => None,
        Fetch::Failed(e) => {
            not_collected.insert("versioning".into(), e);
            None
        }
    };
    let tags = match tags {
        Fetch::Got(t) => t
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect(),
        Fetch::Absent => BTreeMap::new(),
        Fetch::Failed(e) => {
            not_collected.insert("tags".into(), e);
            BTreeMap::new()
        }
    };
    // With BucketOwnerEnforced the bucket owner owns every object (S3 User Guide,
    // "Controlling ownership of objects and disabling ACLs for your bucket").
    let owner_id = if ownership.as_deref() == Some("BucketOwnerEnforced") {
        None
    } else {
        Some(owner_id)
    };
    let limit = match opts.objects {
        Objects::None => Some(0),
        Objects::Sample(n) => Some(n),
        Objects::All => None,
    };
    let (objects, objects_truncated) =
        objects(ctx, c, &name, limit, account, owner_id, &mut not_collected).await;
    if opts.objects == Objects::None {
        not_collected.insert("objects".into(), "not asked (--objects none)".into());
    }
    Bucket {
        name,
        region,
        policy,
        ownership,
        default_encryption,
        versioning,
        public_access_block,
        tags,
        objects,
        objects_truncated,
        not_collected,
    }
}

/// Object versions (up to `limit`), each with its owner and SSE-KMS key (HeadObject), and
/// whether the bucket holds more versions than were listed.
async fn objects(
    ctx: &Ctx,
    c: &Client,
    bucket: &str,
    limit: Option<usize>,
    account: &str,
    owner_id: Option<&str>,
    not_collected: &mut BTreeMap<String, String>,
) -> (Vec<Object>, bool) {
    let item = format!("bucket {bucket}");
    let mut listed = Vec::new();
    let mut truncated = false;
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let want = limit.map_or(1000, |l| l.saturating_sub(listed.len()).min(1000));
        if want == 0 {
            break;
        }
        let page = match ctx
            .call(
                Api::ListObjectVersions,
                &item,
                &[],
                c.list_object_versions()
                    .bucket(bucket)
                    .max_keys(want as i32)
                    .set_key_marker(key_marker.clone())
                    .set_version_id_marker(version_marker.clone())
                    .send(),
            )
            .await
        {
            Fetch::Got(p) => p,
            Fetch::Failed(e) => {
                not_collected.insert("objects".into(), e);
                return (Vec::new(), false);
            }
            Fetch::Absent => return (Vec::new(), false),
        };
        for v in page.versions() {
            let Some(key) = v.key() else { continue };
            let owner = match owner_id {
                None => Some(account.to_string()),
                Some(own) => v.owner().and_then(|o| o.id()).map(|id| {
                    if id == own {
                        account.to_string()
                    } else {
                        // Another account's canonical user id: not this account, which is
                        // all the check needs to know.
                        format!("canonical:{id}")
                    }
                }),
            };
            listed.push(Object {
                key: key.to_string(),
                version_id: v.version_id().filter(|v| *v != "null").map(str::to_string),
                size: v.size().unwrap_or(0).max(0) as u64,
                owner_account: owner,
                kms_key_id: None,
                bucket_key_enabled: None,
                tags: None,
            });
        }
        // A page cut short by the sample limit still says whether more versions follow.
        truncated = page.is_truncated() == Some(true);
        if !truncated {
            break;
        }
        let next = (
            page.next_key_marker().map(str::to_string),
            page.next_version_id_marker().map(str::to_string),
        );
        if next.0.is_none() || (next.0 == key_marker && next.1 == version_marker) {
            break;
        }
        (key_marker, version_marker) = next;
    }
    let heads = join_all(listed.iter().map(|o| {
        ctx.call(
            Api::HeadObject,
            &item,
            &[],
            c.head_object()
                .bucket(bucket)
                .key(&o.key)
                .set_version_id(o.version_id.clone())
                .send(),
        )
    }))
    .await;
    let mut refused = 0usize;
    let mut last = String::new();
    for (o, h) in listed.iter_mut().zip(heads) {
        match h {
            Fetch::Got(h) => {
                o.kms_key_id = h.ssekms_key_id().map(str::to_string);
                // The header is sent only for objects encrypted with a Bucket Key (S3 API
                // reference, HeadObject: x-amz-server-side-encryption-bucket-key-enabled).
                o.bucket_key_enabled = Some(h.bucket_key_enabled().unwrap_or(false));
            }
            Fetch::Absent => {}
            Fetch::Failed(e) => {
                refused += 1;
                last = e;
            }
        }
    }
    if refused > 0 {
        not_collected.insert(
            "object_encryption".into(),
            format!("{last} ({refused} of {} objects)", listed.len()),
        );
    }
    (listed, truncated)
}
