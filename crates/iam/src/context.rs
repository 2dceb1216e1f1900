//! The request context: condition keys and their values.
//!
//! Key names are case-insensitive ("Condition element", AWS IAM User Guide,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html);
//! they are stored lowercased. Values keep their case.
//!
//! A key can be present with a value the caller does not know ([`ContextValue::Unknown`]):
//! AWS always sends `aws:SourceIp` with a request made over the internet, but a snapshot
//! of an account does not know the backup service's address. An unknown value is not an
//! absent key: `Null` is false on it, `...IfExists` does not make it pass, and the engine
//! decides only when no value it could have changes the answer (see
//! [`crate::authorizer::Residual`]).

use serde::Serialize;

/// One key's value: a single value, a set for multivalued keys such as `aws:TagKeys`, or
/// a value that is there but not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
    /// The key is in the request; its value is not known.
    Unknown(Unknown),
}

/// What is known of a value that is present but not known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Unknown {
    /// The key holds a set of values (`aws:TagKeys`, `aws:CalledVia`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub multivalued: bool,
    /// The key may also be absent: whether the request carries it is not known either
    /// (`aws:PrincipalTag/team` of a role whose tags were not collected).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub maybe_absent: bool,
    /// The values it can take, when something is known of it.
    pub domain: Domain,
    /// What would settle it, in the user's words ("the backup service's egress address:
    /// give `--network`"), for the residual's explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_by: Option<String>,
}

/// The values an unknown can take.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    /// Any value of the key's type.
    #[default]
    Any,
    /// One of these (single) values: `kms:EncryptionContext:aws:s3:arn` is the object's
    /// ARN, or the bucket's when its S3 Bucket Key is enabled.
    OneOf(Vec<String>),
    /// A value matching this pattern (`*` any run of characters, `?` one): a session's
    /// `aws:PrincipalArn` when its role's path is not known,
    /// `arn:aws:iam::111122223333:role/*BackupRole`.
    Like(String),
    /// Any value but these: `aws:ResourceAccount` of a resource known to be in another
    /// account than the principal's.
    NoneOf(Vec<String>),
    /// An address within one of these CIDR blocks: `aws:SourceIp` of a caller whose
    /// egress ranges are known, but not which address of them a request leaves from.
    InNetworks(Vec<String>),
    /// An instant between these two, inclusive, in milliseconds since the Unix epoch: a
    /// session's `aws:TokenIssueTime` lies within its maximum duration before now.
    Between(i64, i64),
}

impl Unknown {
    /// An unknown single value that `settled_by` would settle.
    pub fn any(settled_by: impl Into<String>) -> Unknown {
        Unknown {
            multivalued: false,
            maybe_absent: false,
            domain: Domain::Any,
            settled_by: Some(settled_by.into()),
        }
    }
}

impl ContextValue {
    /// The known values; none for an unknown value (ask [`ContextValue::is_unknown`]).
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(s) => std::slice::from_ref(s),
            ContextValue::Multi(v) => v,
            ContextValue::Unknown(_) => &[],
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, ContextValue::Unknown(_))
    }
}

/// The keys of a request. Small (a dozen keys), so a vector beats a hash map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Each key as given, and its value; keys compare ignoring ASCII case.
    entries: Vec<(String, ContextValue)>,
    /// Families of keys not known one by one (`aws:PrincipalTag/` of a role whose tags
    /// were not collected): lowercase prefix, and the unknown every such key reads as,
    /// unless an entry gives it.
    prefixes: Vec<(String, ContextValue)>,
    /// How many values are unknown, so a fully known request skips partial evaluation.
    unknowns: usize,
}

impl Context {
    /// An empty context with room for `keys` keys.
    pub fn with_capacity(keys: usize) -> Context {
        Context {
            entries: Vec::with_capacity(keys),
            ..Context::default()
        }
    }

    /// Sets `key`, replacing any value it had.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        if value.is_unknown() {
            self.unknowns = self.unknowns.saturating_add(1);
        }
        match self
            .entries
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            Some(e) => {
                if e.1.is_unknown() {
                    self.unknowns = self.unknowns.saturating_sub(1);
                }
                if e.0 != key {
                    e.0 = key.to_string();
                }
                e.1 = value;
            }
            None => self.entries.push((key.to_string(), value)),
        }
    }

    /// Sets `key` only if it is not already present (derived keys never override given ones).
    pub fn insert_default(&mut self, key: &str, value: ContextValue) {
        if self.get(key).is_none() {
            self.insert(key, value);
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        let i = self
            .entries
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(key))?;
        let (_, v) = self.entries.remove(i);
        if v.is_unknown() {
            self.unknowns = self.unknowns.saturating_sub(1);
        }
        Some(v)
    }

    /// Says that every key starting with `prefix` (`aws:PrincipalTag/`) that no entry
    /// gives is unknown as `u`.
    pub fn insert_unknown_prefix(&mut self, prefix: &str, u: Unknown) {
        let lower = prefix.to_ascii_lowercase();
        self.prefixes.retain(|(p, _)| *p != lower);
        self.prefixes.push((lower, ContextValue::Unknown(u)));
        self.unknowns = self.unknowns.saturating_add(1);
    }

    /// Looks up a key, ignoring ASCII case.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
            .or_else(|| {
                self.prefixes
                    .iter()
                    .find(|(p, _)| {
                        key.len() > p.len()
                            && key
                                .get(..p.len())
                                .is_some_and(|head| head.eq_ignore_ascii_case(p))
                    })
                    .map(|(_, v)| v)
            })
    }

    /// The families of keys that are unknown as a whole, by prefix.
    pub fn unknown_prefixes(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.prefixes.iter().map(|(p, v)| (p.as_str(), v))
    }

    /// Whether some value is unknown.
    pub fn has_unknown(&self) -> bool {
        self.unknowns > 0
    }

    /// The keys as given, with their values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}
