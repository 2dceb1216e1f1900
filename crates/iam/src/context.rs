//! The request context: condition keys and their values.
//!
//! Key names are case-insensitive ("Condition element", AWS IAM User Guide,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html);
//! they are stored lowercased. Values keep their case.

/// One key's value: a single value, or a set for multivalued keys such as `aws:TagKeys`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(s) => std::slice::from_ref(s),
            ContextValue::Multi(v) => v,
        }
    }
}

/// The keys of a request. Small (a dozen keys), so a vector beats a hash map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: Vec<(String, String, ContextValue)>, // (lowercase key, key as given, value)
}

impl Context {
    /// Sets `key`, replacing any value it had.
    pub fn insert(&mut self, key: &str, value: ContextValue) {
        let lower = key.to_ascii_lowercase();
        match self.entries.iter_mut().find(|(k, _, _)| *k == lower) {
            Some(e) => {
                e.1 = key.to_string();
                e.2 = value;
            }
            None => self.entries.push((lower, key.to_string(), value)),
        }
    }

    /// Sets `key` only if it is not already present (derived keys never override given ones).
    pub fn insert_default(&mut self, key: &str, value: ContextValue) {
        if self.get(&key.to_ascii_lowercase()).is_none() {
            self.insert(key, value);
        }
    }

    /// Looks up a key, ignoring ASCII case.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.entries
            .iter()
            .find(|(k, _, _)| k.len() == key.len() && k.eq_ignore_ascii_case(key))
            .map(|(_, _, v)| v)
    }
}
