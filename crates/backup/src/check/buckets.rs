//! A bucket's requests: its own, and each group of its objects' (the listing from an
//! S3 Inventory or the snapshot), with what is at stake.

use vaultward_iam::authorizer::PolicyType;
use vaultward_iam::{ContextValue, Domain, Unknown};
use vaultward_model::service::{self, Subject, Target, When};
use vaultward_snapshot::Bucket;

use super::causes::Kind;
use super::docs::Doc;
use super::objects::default_key;
use super::plan::Where;
use super::report::Cause;
use super::{
    Code, Decider, DocRef, Group, GroupKey, Groups, Impact, KeyOf, Level, Op, Plan, ResourceKind,
    Row, Status,
};

/// A listing of a bucket's objects, or why there is none.
pub(super) enum Listing<'a> {
    Known { groups: &'a Groups, truncated: bool },
    Unknown(String),
}

impl Plan<'_> {
    /// The bucket's objects: an inventory's listing, the snapshot's, or why neither.
    pub(super) fn bucket_listing(&self, b: &Bucket, own: &mut Option<Groups>) -> Option<String> {
        if self.listings.contains_key(&b.name) {
            return None;
        }
        if let Some(why) = b.not_collected.get("objects") {
            return Some(format!("the bucket's objects were not collected ({why}); pass an S3 Inventory listing with --inventory"));
        }
        let mut g = self.groups_for(&b.name)?;
        let default_key = default_key(b);
        let encryption_unknown = b.not_collected.contains_key("object_encryption");
        for o in &b.objects {
            let kms = match (&o.kms_key_id, encryption_unknown) {
                (Some(k), _) => KeyOf::Key(k.clone()),
                (None, true) => KeyOf::Unknown,
                (None, false) => default_key.clone(),
            };
            g.add(Row {
                key: &o.key,
                size: o.size,
                owner: o.owner_account.as_deref(),
                kms: &kms,
                tags: o.tags.as_deref(),
            });
        }
        *own = Some(g);
        None
    }

    pub(super) fn bucket(&mut self, b: &Bucket, op: Op) {
        let acct = self.s.account_id.clone();
        let arn = format!("arn:aws:s3:::{}", b.name);
        let region = b.region.clone().unwrap_or_else(|| "us-east-1".into());
        let fill: [(&str, &str); 4] = [
            ("region", &region),
            ("account", &acct),
            ("resource", &arn),
            ("resource_name", &b.name),
        ];
        self.acc.cell(&arn, op, Status::Ok);
        let policy = self.bucket_doc(b);
        let mut own = None;
        let unlisted = self.bucket_listing(b, &mut own);
        // An inventory's listing replaces the snapshot's; it is put back for the next
        // operation.
        let inventory = self.listings.remove(&b.name);
        let listing = match (&unlisted, &inventory, &own) {
            (Some(why), _, _) => Listing::Unknown(why.clone()),
            (None, Some(g), _) => Listing::Known {
                groups: g,
                truncated: false,
            },
            (None, None, Some(g)) => Listing::Known {
                groups: g,
                truncated: b.objects_truncated,
            },
            (None, None, None) => Listing::Unknown("the bucket has no listing".into()),
        };
        let (total, known) = match &listing {
            Listing::Known { groups, truncated } => (
                Impact {
                    objects: groups.objects,
                    bytes: groups.bytes,
                    at_least: *truncated,
                    summary: String::new(),
                },
                true,
            ),
            Listing::Unknown(_) => (Impact::default(), false),
        };
        // The bucket's own requests: when one fails, every object is at stake.
        let mut bucket_blocked = false;
        let mut bucket_unknown = !known;
        for step in service::steps(Subject::Bucket, op) {
            if !self.applies(step) {
                continue;
            }
            let causes = match step.target {
                Target::Resource => match &policy {
                    Doc::Unknown(u) => vec![Cause::unreadable(u, step.action)],
                    doc => {
                        let extra = self.step_context(step, &fill);
                        let tags = bucket_tags(b);
                        self.request_causes(
                            step.action,
                            &arn,
                            &acct,
                            &extra,
                            doc.policy(),
                            Kind::Bucket { name: &b.name },
                            doc.wild(),
                            Where {
                                region: b.region.as_deref(),
                                via: None,
                                tags: tags.as_deref(),
                            },
                        )
                    }
                },
                Target::Arn(_) | Target::Vendor(_) => {
                    self.other_causes(step, &fill, b.region.as_deref())
                }
                Target::Objects | Target::Key => continue,
            };
            for c in causes {
                bucket_blocked |= c.level == Level::Blocking;
                bucket_unknown |= c.level == Level::Unknown;
                self.acc.push(&arn, ResourceKind::Bucket, op, c, &total);
            }
        }
        // Each group of objects: every cause that stops it.
        let mut blocked = Impact::default();
        let mut unknown = Impact::default();
        match &listing {
            Listing::Unknown(why) => {
                self.acc.push(
                    &arn,
                    ResourceKind::Bucket,
                    op,
                    Cause::unknown(Code::NotCollected, "s3:ListBucket", format!("unknown: {why}"), "collect the bucket's objects (`vaultward collect`) or pass an S3 Inventory listing with --inventory, and check again"),
                    &Impact::default(),
                );
            }
            Listing::Known { groups, truncated } => {
                let groups: Vec<(GroupKey, Group)> = groups.sorted().into_iter().cloned().collect();
                let truncated = *truncated;
                for (gk, g) in &groups {
                    let impact = Impact {
                        objects: g.count,
                        bytes: g.bytes,
                        at_least: truncated,
                        summary: String::new(),
                    };
                    let causes = self.group_causes(b, op, &policy, gk, g, &fill);
                    let is_blocked = causes.iter().any(|c| c.level == Level::Blocking);
                    let is_unknown = causes.iter().any(|c| c.level == Level::Unknown);
                    for c in causes {
                        self.acc.push(&arn, ResourceKind::Bucket, op, c, &impact);
                    }
                    let into = if is_blocked || bucket_blocked {
                        &mut blocked
                    } else if is_unknown || bucket_unknown {
                        &mut unknown
                    } else {
                        continue;
                    };
                    into.objects += g.count;
                    into.bytes += g.bytes;
                }
                if truncated {
                    // The sample's figures are a floor: the bucket holds more.
                    self.acc.push(&arn, ResourceKind::Bucket, op, Cause::unknown(Code::ListingTruncated, "s3:ListBucket", "the collector listed only a sample of the bucket's objects (`objects_truncated`), so the figures are a floor and objects beyond the sample are not checked".into(), "collect the full listing (`vaultward collect --objects all`) or pass an S3 Inventory listing with --inventory"), &total);
                }
            }
        }
        if let Some(g) = inventory {
            self.listings.insert(b.name.clone(), g);
        }
        let t = self.acc.totals.entry(op).or_default();
        t.objects_blocked += blocked.objects;
        t.bytes_blocked += blocked.bytes;
        t.objects_unknown += unknown.objects;
        t.bytes_unknown += unknown.bytes;
        t.at_least |= total.at_least;
    }

    /// Every cause that stops one group of objects.
    pub(super) fn group_causes(
        &mut self,
        b: &Bucket,
        op: Op,
        policy: &Doc,
        gk: &GroupKey,
        g: &Group,
        fill: &[(&str, &str)],
    ) -> Vec<Cause> {
        let acct = self.s.account_id.clone();
        let mut causes = Vec::new();
        // Objects written by another account while ACLs are enabled belong to that account.
        if op == Op::Backup {
            let ownership = b.ownership.as_deref();
            match (gk.owner.as_deref(), ownership) {
                (_, Some("BucketOwnerEnforced")) => {}
                (Some(o), _) if o == acct => {}
                (Some(o), Some(mode @ ("ObjectWriter" | "BucketOwnerPreferred"))) => {
                    let mut c = Cause::new(
                        Code::ObjectOwnerMismatch,
                        Level::Blocking,
                        "s3:GetObject",
                        format!("objects owned by account {o}: the bucket's Object Ownership (`{mode}`) keeps ACLs in force, so the bucket owner's role gets 403 on them"),
                        "set Object Ownership to `BucketOwnerEnforced` (ACLs are then disabled and the bucket owner owns every object; check first that nothing relies on ACLs)".into(),
                    );
                    c.decided_by = Some(Decider {
                        policy_type: PolicyType::Resource,
                        document: Some(DocRef::OwnershipControls { bucket: b.name.clone() }),
                        level: None,
                        statement_index: None,
                        sid: None,
                        effect: None,
                        undecided: false,
                    });
                    causes.push(c)
                }
                (None, Some(mode)) => causes.push(Cause::unknown(Code::ObjectOwnerUnknown, "s3:GetObject", format!("objects with no recorded owner: with Object Ownership `{mode}` another account may own them"), "collect the objects' owners (`ListObjectVersions` with `--fetch-owner`) or an S3 Inventory with `ObjectOwner`")),
                (Some(o), None) => causes.push(Cause::unknown(Code::NotCollected, "s3:GetObject", format!("objects owned by account {o}, and the bucket's Object Ownership was not collected"), "collect the bucket's Object Ownership (`s3:GetBucketOwnershipControls`)")),
                (_, Some(mode)) => causes.push(Cause::unknown(Code::NotCollected, "s3:GetObject", format!("the bucket's Object Ownership `{mode}` is not one S3 defines"), "collect the bucket's Object Ownership again (`s3:GetBucketOwnershipControls`)")),
                (None, None) => causes.push(Cause::unknown(Code::NotCollected, "s3:GetObject", "neither the objects' owners nor the bucket's Object Ownership were collected: another account may own them".into(), "collect the bucket's Object Ownership (`s3:GetBucketOwnershipControls`)")),
            }
        }
        // The role writes no ACL (a body-borne ACL escapes every condition key, so
        // s3:PutObjectAcl would let it make any object public): where ACLs are in force, a
        // restored object gets the bucket's default, and a non-private ACL is set by hand.
        if op == Op::Restore {
            if let Some(mode @ ("ObjectWriter" | "BucketOwnerPreferred")) = b.ownership.as_deref() {
                causes.push(Cause::new(
                    Code::AclNotRestored,
                    Level::Warning,
                    "s3:PutObjectAcl",
                    format!("Object Ownership `{mode}` keeps ACLs in force, and the role writes no ACL (it could make objects public): restored objects get the bucket's default ACL"),
                    "after the restore, set the ACL of any object that had a non-private one (`aws s3api put-object-acl`), or set Object Ownership to `BucketOwnerEnforced`".into(),
                ));
            }
        }
        let object_arn = format!("arn:aws:s3:::{}/{}", b.name, g.sample);
        let tags_unknown =
            self.classifiers.get(&b.name).is_some_and(|c| c.uses_tags) && gk.tags.is_none();
        for step in service::steps(Subject::Bucket, op) {
            let applies = match step.when {
                When::Always => true,
                When::Multipart => gk.large,
                When::Continuous
                | When::InstanceRoles
                | When::NoInstanceRoles
                | When::SupportRole => false,
            };
            if !applies {
                continue;
            }
            match step.target {
                Target::Objects => match policy {
                    Doc::Unknown(u) => causes.push(Cause::unreadable(u, step.action)),
                    _ if tags_unknown => causes.push(Cause::unknown(Code::NotCollected, step.action, "a policy conditions on `s3:ExistingObjectTag/...` and these objects' tags were not collected".into(), "collect the objects' tags (the snapshot's `tags` per object) and check again")),
                    doc => {
                        let mut extra = self.step_context(step, fill);
                        for (k, v) in gk.tags.iter().flatten() {
                            extra.push((format!("s3:ExistingObjectTag/{k}"), v.clone()));
                        }
                        let tags = bucket_tags(b);
                        let at = Where { region: b.region.as_deref(), via: None, tags: tags.as_deref() };
                        causes.extend(self.request_causes(step.action, &object_arn, &acct, &extra, doc.policy(), Kind::Bucket { name: &b.name }, doc.wild(), at));
                    }
                },
                Target::Key => {
                    let context = encryption_context(b, &object_arn);
                    causes.extend(self.key_causes(step, &gk.key, b.region.as_deref(), fill, Some(context)));
                }
                _ => {}
            }
        }
        causes
    }
}

/// A bucket's tags, when they were collected (`aws:ResourceTag/...` of its requests).
fn bucket_tags(b: &Bucket) -> Option<Vec<(String, String)>> {
    (!b.not_collected.contains_key("tags"))
        .then(|| b.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// The encryption context S3 sends to AWS KMS for an object: `aws:s3:arn` is the
/// object's ARN, or the bucket's when the bucket's S3 Bucket Key is enabled; unknown
/// (one of the two) when that setting was not collected (Amazon S3 User Guide, "Using
/// Amazon S3 Bucket Keys" and "Encryption context",
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context).
fn encryption_context(b: &Bucket, object_arn: &str) -> (String, ContextValue) {
    let bucket_arn = format!("arn:aws:s3:::{}", b.name);
    let value = match b.bucket_key_enabled() {
        Some(true) => ContextValue::Single(bucket_arn),
        Some(false) => ContextValue::Single(object_arn.to_string()),
        None => ContextValue::Unknown(Unknown {
            domain: Domain::OneOf(vec![object_arn.to_string(), bucket_arn]),
            ..Unknown::any("the bucket's S3 Bucket Key setting (`BucketKeyEnabled` of GetBucketEncryption): collect it")
        }),
    };
    ("kms:EncryptionContext:aws:s3:arn".to_string(), value)
}
