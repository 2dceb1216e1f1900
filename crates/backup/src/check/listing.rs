//! S3 Inventory listings into the plan's groups: one object at a time
//! ([`vaultward_inventory::Sink`] for [`Plan`]), or a plain CSV file by every core at once
//! ([`Plan::read_inventory`]), each thread grouping its part of the file and the parts
//! merged, which gives the same groups.

use std::collections::HashMap;
use std::path::Path;

use vaultward_inventory::{Encryption, InventoryError, Listed, Sink, Split};

use super::{Classifier, Groups, KeyOf, Plan, Row};

fn unknown_bucket(bucket: &str) -> String {
    format!("the listing names bucket `{bucket}`, which is not in the snapshot: collect the bucket, or leave its listing out")
}

fn uncovered_bucket(bucket: &str) -> String {
    format!("the listing is for bucket `{bucket}`, which is not in the snapshot: collect the bucket, or leave its listing out")
}

/// Adds one listed object to its bucket's groups; `default` is the bucket's default key.
fn add_listed(groups: &mut Groups, default: &KeyOf, o: Listed<'_>) {
    let named;
    let kms = match o.encryption {
        Encryption::Default => default,
        Encryption::NoKey => &KeyOf::None,
        Encryption::Kms(Some(k)) => {
            named = KeyOf::Key(k.clone());
            &named
        }
        // S3 Inventory has no field for the key: the writer may have named another than
        // the bucket's default, so taking the default would be a guess.
        Encryption::Kms(None) => &KeyOf::Unknown,
        Encryption::CustomerProvided => &KeyOf::CustomerProvided,
    };
    // S3 Inventory's `ObjectOwner` may be a canonical user id, which names no account.
    let owner = o.owner.filter(|a| vaultward_iam::arn::is_account_id(a));
    groups.add(Row {
        key: o.key,
        size: o.size,
        owner,
        kms,
        tags: None,
    });
}

impl Sink for Plan<'_> {
    fn cover(&mut self, bucket: &str) -> Result<(), String> {
        self.listing().cover(bucket)
    }

    fn object(&mut self, o: Listed<'_>) -> Result<(), String> {
        self.listing().object(o)
    }
}

impl Plan<'_> {
    fn listing(&mut self) -> Listing<'_> {
        Listing {
            classifiers: &self.classifiers,
            defaults: &self.defaults,
            per_object: self.per_object,
            listings: &mut self.listings,
        }
    }

    /// Reads a listing into the plan (`*.csv` with a header by every core at once).
    pub fn read_inventory(&mut self, path: &Path) -> Result<(), InventoryError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        vaultward_inventory::read_path_split(path, &mut self.listing(), threads)
    }

    /// [`Plan::read_inventory`] with `threads` threads, splitting any file of at least
    /// `split_above` bytes (tests split small files).
    #[doc(hidden)]
    pub fn read_inventory_split(
        &mut self,
        path: &Path,
        threads: usize,
        split_above: u64,
    ) -> Result<(), InventoryError> {
        vaultward_inventory::read_path_split_above(path, &mut self.listing(), threads, split_above)
    }
}

/// The plan's listings with what grouping needs, split across threads.
struct Listing<'p> {
    classifiers: &'p HashMap<String, Classifier>,
    defaults: &'p HashMap<String, KeyOf>,
    per_object: bool,
    listings: &'p mut HashMap<String, Groups>,
}

impl Listing<'_> {
    fn groups_for(&self, bucket: &str) -> Option<Groups> {
        let c = self.classifiers.get(bucket)?.clone();
        Some(if self.per_object {
            Groups::per_object(c)
        } else {
            Groups::new(c)
        })
    }
}

impl Sink for Listing<'_> {
    fn cover(&mut self, bucket: &str) -> Result<(), String> {
        if !self.listings.contains_key(bucket) {
            let g = self
                .groups_for(bucket)
                .ok_or_else(|| uncovered_bucket(bucket))?;
            self.listings.insert(bucket.to_string(), g);
        }
        Ok(())
    }

    fn object(&mut self, o: Listed<'_>) -> Result<(), String> {
        let defaults = self.defaults;
        let Some(default) = defaults.get(o.bucket) else {
            return Err(unknown_bucket(o.bucket));
        };
        if !self.listings.contains_key(o.bucket) {
            self.cover(o.bucket)?;
        }
        if let Some(g) = self.listings.get_mut(o.bucket) {
            add_listed(g, default, o);
        }
        Ok(())
    }
}

/// One thread's buckets, in the order first seen; the last one used is tried first, since
/// listings hold a bucket's objects together.
struct Part<'p> {
    listing: &'p Listing<'p>,
    buckets: Vec<(String, &'p KeyOf, Groups)>,
    index: HashMap<String, usize>,
    last: usize,
}

impl<'p> Part<'p> {
    fn slot(&mut self, bucket: &str, unknown: fn(&str) -> String) -> Result<usize, String> {
        if self.buckets.get(self.last).is_some_and(|b| b.0 == bucket) {
            return Ok(self.last);
        }
        let i = match self.index.get(bucket) {
            Some(&i) => i,
            None => {
                let listing = self.listing;
                let (Some(default), Some(groups)) =
                    (listing.defaults.get(bucket), listing.groups_for(bucket))
                else {
                    return Err(unknown(bucket));
                };
                self.index.insert(bucket.to_string(), self.buckets.len());
                self.buckets.push((bucket.to_string(), default, groups));
                self.buckets.len() - 1
            }
        };
        self.last = i;
        Ok(i)
    }
}

impl Sink for Part<'_> {
    fn cover(&mut self, bucket: &str) -> Result<(), String> {
        self.slot(bucket, uncovered_bucket).map(|_| ())
    }

    fn object(&mut self, o: Listed<'_>) -> Result<(), String> {
        let i = self.slot(o.bucket, unknown_bucket)?;
        if let Some((_, default, groups)) = self.buckets.get_mut(i) {
            add_listed(groups, default, o);
        }
        Ok(())
    }
}

impl<'p> Split for Listing<'p> {
    type Part<'a>
        = Part<'a>
    where
        Self: 'a;
    type Done = Vec<(String, Groups)>;

    fn part(&self) -> Part<'_> {
        Part {
            listing: self,
            buckets: Vec::new(),
            index: HashMap::new(),
            last: 0,
        }
    }

    fn done(part: Part<'_>) -> Self::Done {
        part.buckets.into_iter().map(|(b, _, g)| (b, g)).collect()
    }

    fn join(&mut self, done: Self::Done) -> Result<(), String> {
        for (bucket, groups) in done {
            match self.listings.get_mut(&bucket) {
                Some(g) => g.merge(groups),
                None => {
                    self.listings.insert(bucket, groups);
                }
            }
        }
        Ok(())
    }
}
