//! Objects, grouped soundly: two objects share a group only when every request an
//! operation makes on them gets the same answer. That holds when they match the same
//! `Resource`/`NotResource` patterns of every policy involved, have the same owner and the
//! same KMS key, the same object tags when a policy conditions on them, and fall on the
//! same side of the multipart threshold. A group is then evaluated with one of its objects
//! (the smallest key, so the report does not depend on the listing's order).
//!
//! Only the patterns that can tell a bucket's objects apart are evaluated per object: a
//! pattern that matches every object of the bucket (`arn:aws:s3:::b/*`) or none
//! (`arn:aws:s3:::other/*`) is the same for all of them ([`Glob::on_prefix`]).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use vaultward_iam::glob::{Glob, PrefixClass};
use vaultward_model::service::MULTIPART_THRESHOLD;
use vaultward_snapshot::Bucket;

/// The KMS key of an object: none (SSE-S3 or unencrypted), a key, or not known.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyOf {
    None,
    Key(String),
    /// SSE-C: encrypted with a key only the writer holds.
    CustomerProvided,
    Unknown,
}

/// What tells objects apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    /// Which of the bucket's deciding patterns the object's ARN matches.
    pub bits: Vec<u64>,
    pub owner: Option<String>,
    pub key: KeyOf,
    /// At least [`MULTIPART_THRESHOLD`] bytes.
    pub large: bool,
    /// The object's tags when a policy conditions on them (`None`: not known).
    pub tags: Option<Vec<(String, String)>>,
}

/// How many objects, how many bytes, and the smallest key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub count: u64,
    pub bytes: u64,
    pub sample: String,
}

/// The patterns that decide between a bucket's objects.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    /// `arn:aws:s3:::bucket/`
    prefix: String,
    deciding: Vec<Glob>,
    /// Whether some policy conditions on `s3:ExistingObjectTag/...`.
    pub uses_tags: bool,
}

impl Classifier {
    /// Keeps the patterns of `patterns` that can tell `bucket`'s objects apart.
    pub fn new(bucket: &str, patterns: impl IntoIterator<Item = Glob>, uses_tags: bool) -> Self {
        let prefix = format!("arn:aws:s3:::{bucket}/");
        let mut deciding: Vec<Glob> = Vec::new();
        for g in patterns {
            if g.on_prefix(&prefix) == PrefixClass::Depends && !deciding.contains(&g) {
                deciding.push(g);
            }
        }
        Classifier {
            prefix,
            deciding,
            uses_tags,
        }
    }

    /// How many patterns are evaluated per object.
    pub fn deciding(&self) -> usize {
        self.deciding.len()
    }

    fn bits(&self, key: &str, buf: &mut String, out: &mut Vec<u64>) {
        out.clear();
        if self.deciding.is_empty() {
            return;
        }
        buf.clear();
        buf.push_str(&self.prefix);
        buf.push_str(key);
        out.resize(self.deciding.len().div_ceil(64), 0);
        for (i, g) in self.deciding.iter().enumerate() {
            if g.is_match(buf) {
                out[i / 64] |= 1 << (i % 64);
            }
        }
    }
}

/// One object, as a listing gives it.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub key: &'a str,
    pub size: u64,
    pub owner: Option<&'a str>,
    pub kms: &'a KeyOf,
    pub tags: Option<&'a [(String, String)]>,
}

/// A bucket's objects in groups. Memory grows with the number of groups, not of objects.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    classifier: Classifier,
    groups: Vec<(GroupKey, Group)>,
    index: HashMap<u64, Vec<usize>>,
    hasher: std::collections::hash_map::RandomState,
    buf: String,
    bits: Vec<u64>,
    /// The group of the last object added.
    last: usize,
    pub objects: u64,
    pub bytes: u64,
    /// One group per object: the brute-force oracle the property tests compare against.
    per_object: bool,
}

impl Groups {
    pub fn new(classifier: Classifier) -> Groups {
        Groups {
            classifier,
            ..Groups::default()
        }
    }

    /// Every object in a group of its own (the slow, obviously right way).
    pub fn per_object(classifier: Classifier) -> Groups {
        Groups {
            classifier,
            per_object: true,
            ..Groups::default()
        }
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Adds one object.
    pub fn add(&mut self, row: Row<'_>) {
        let mut bits = std::mem::take(&mut self.bits);
        let mut buf = std::mem::take(&mut self.buf);
        self.classifier.bits(row.key, &mut buf, &mut bits);
        self.buf = buf;
        let large = row.size >= MULTIPART_THRESHOLD;
        // The oracle keeps every object's own tags, so a classifier that misses a policy's
        // tag condition disagrees with it.
        let tags = if self.classifier.uses_tags || self.per_object {
            row.tags.map(|t| {
                let mut t = t.to_vec();
                t.sort();
                t
            })
        } else {
            Some(Vec::new())
        };
        // Compared word by word: `==` on the vectors calls `memcmp` per object.
        let same = |k: &GroupKey| {
            k.bits.len() == bits.len()
                && k.bits.iter().zip(&bits).all(|(a, b)| a == b)
                && k.owner.as_deref() == row.owner
                && &k.key == row.kms
                && k.large == large
                && k.tags == tags
        };
        // Listings keep like objects together: the last object's group first, unhashed.
        if !self.per_object {
            if let Some((k, g)) = self.groups.get_mut(self.last) {
                if same(k) {
                    self.objects += 1;
                    self.bytes += row.size;
                    g.count += 1;
                    g.bytes += row.size;
                    if row.key < g.sample.as_str() {
                        g.sample = row.key.to_string();
                    }
                    self.bits = bits;
                    return;
                }
            }
        }
        let hash = self
            .hasher
            .hash_one((&bits, row.owner, row.kms, large, &tags));
        let slot = self.index.entry(hash).or_default();
        let found = slot
            .iter()
            .copied()
            .filter(|_| !self.per_object)
            .find(|&i| self.groups.get(i).is_some_and(|(k, _)| same(k)));
        self.objects += 1;
        self.bytes += row.size;
        match found.and_then(|i| Some((i, &mut self.groups.get_mut(i)?.1))) {
            Some((i, g)) => {
                g.count += 1;
                g.bytes += row.size;
                if row.key < g.sample.as_str() {
                    g.sample = row.key.to_string();
                }
                self.bits = bits;
                self.last = i;
            }
            None => {
                self.last = self.groups.len();
                slot.push(self.groups.len());
                self.groups.push((
                    GroupKey {
                        bits,
                        owner: row.owner.map(str::to_string),
                        key: row.kms.clone(),
                        large,
                        tags,
                    },
                    Group {
                        count: 1,
                        bytes: row.size,
                        sample: row.key.to_string(),
                    },
                ));
            }
        }
    }

    /// Adds the groups of `other`, filled from another part of the same bucket's listing
    /// with the same classifier: the same groups as one `Groups` given every object.
    pub fn merge(&mut self, other: Groups) {
        self.objects += other.objects;
        self.bytes += other.bytes;
        for (key, group) in other.groups {
            let hash = self.hasher.hash_one((
                &key.bits,
                key.owner.as_deref(),
                &key.key,
                key.large,
                &key.tags,
            ));
            let slot = self.index.entry(hash).or_default();
            let found = slot
                .iter()
                .copied()
                .filter(|_| !self.per_object)
                .find(|&i| self.groups.get(i).is_some_and(|(k, _)| *k == key));
            match found.and_then(|i| self.groups.get_mut(i)) {
                Some((_, g)) => {
                    g.count += group.count;
                    g.bytes += group.bytes;
                    if group.sample < g.sample {
                        g.sample = group.sample;
                    }
                }
                None => {
                    slot.push(self.groups.len());
                    self.groups.push((key, group));
                }
            }
        }
    }

    /// The groups, in a fixed order (by their smallest key).
    pub fn sorted(&self) -> Vec<&(GroupKey, Group)> {
        let mut v: Vec<&(GroupKey, Group)> = self.groups.iter().collect();
        v.sort_by(|a, b| a.1.sample.cmp(&b.1.sample).then_with(|| a.0.cmp(&b.0)));
        v
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// The key objects without a recorded key are encrypted under.
pub(super) fn default_key(b: &Bucket) -> KeyOf {
    match (
        &b.default_encryption,
        b.not_collected.get("default_encryption"),
    ) {
        (Some(e), _) if e.sse.starts_with("aws:kms") => match &e.kms_key_id {
            Some(k) => KeyOf::Key(k.clone()),
            // SSE-KMS without a key id: the account's AWS managed key for S3.
            None => KeyOf::Key("alias/aws/s3".into()),
        },
        (Some(_), _) => KeyOf::None,
        (None, Some(_)) => KeyOf::Unknown,
        // Since January 2023 every bucket has default encryption (SSE-S3 at least).
        (None, None) => KeyOf::None,
    }
}
