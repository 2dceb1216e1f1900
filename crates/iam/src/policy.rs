//! The policy document: its elements, read once into matchers.
//!
//! Source: "IAM JSON policy element reference", AWS IAM User Guide
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html).

use serde::Serialize;

use crate::condition::{CondValue, Operator};
use crate::glob::Glob;
use crate::principal::PrincipalEntry;
use crate::template::Template;

mod parse;
mod serialize;
#[cfg(test)]
pub(crate) use parse::packed_len;
pub use parse::{
    parse_policy, parse_policy_json, percent_decode, valid_service_principal, ParsedPolicy,
    MAX_FINDINGS,
};

/// Where a policy is attached; validation rules differ per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    Identity,
    Resource,
    /// A role trust policy.
    Trust,
    Scp,
    Rcp,
    Boundary,
    Session,
    /// A KMS key policy.
    Key,
    /// An AWS Backup vault access policy.
    Vault,
}

impl PolicyKind {
    pub fn parse(s: &str) -> Option<PolicyKind> {
        Some(match s {
            "identity" => PolicyKind::Identity,
            "resource" => PolicyKind::Resource,
            "trust" => PolicyKind::Trust,
            "scp" => PolicyKind::Scp,
            "rcp" => PolicyKind::Rcp,
            "boundary" => PolicyKind::Boundary,
            "session" => PolicyKind::Session,
            "key" => PolicyKind::Key,
            "vault" => PolicyKind::Vault,
            _ => return None,
        })
    }

    /// Whether statements name a principal (resource-based policies).
    pub fn has_principal(self) -> bool {
        matches!(
            self,
            PolicyKind::Resource
                | PolicyKind::Trust
                | PolicyKind::Rcp
                | PolicyKind::Key
                | PolicyKind::Vault
        )
    }

    /// The kind with its article: "an identity policy", "a trust policy", "an SCP".
    pub fn with_article(self) -> String {
        let d = self.describe();
        let an = matches!(
            self,
            PolicyKind::Identity | PolicyKind::Scp | PolicyKind::Rcp
        );
        format!("{} {d}", if an { "an" } else { "a" })
    }

    pub fn describe(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity policy",
            PolicyKind::Resource => "resource policy",
            PolicyKind::Trust => "trust policy",
            PolicyKind::Scp => "SCP",
            PolicyKind::Rcp => "RCP",
            PolicyKind::Boundary => "permissions boundary",
            PolicyKind::Session => "session policy",
            PolicyKind::Key => "key policy",
            PolicyKind::Vault => "vault access policy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Version`: 2008-10-17 (the default when absent) does not substitute variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2012_10_17,
    V2008_10_17,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// `None` when the document has no `Version` element.
    pub version: Option<Version>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl Policy {
    /// Whether `${...}` variables are substituted.
    pub fn substitutes_variables(&self) -> bool {
        self.version == Some(Version::V2012_10_17)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<PrincipalElement>,
    pub action: ActionElement,
    /// `None` only in trust policies, which have no `Resource`.
    pub resource: Option<ResourceElement>,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalElement {
    /// `NotPrincipal` rather than `Principal`.
    pub negated: bool,
    pub entries: Vec<PrincipalEntry>,
    /// The element as written, for serialization.
    pub raw: PrincipalRaw,
}

/// The `Principal` element as written: `"*"` or a map from kind (`AWS`, `Service`, ...) to values.
#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalRaw {
    Star,
    Map(Vec<(String, Vec<String>)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionElement {
    /// `NotAction` rather than `Action`.
    pub negated: bool,
    /// The patterns as written; they match case-insensitively.
    pub patterns: Vec<Glob>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceElement {
    /// `NotResource` rather than `Resource`.
    pub negated: bool,
    pub patterns: Vec<Template>,
}

/// One operator/key pair of a `Condition` block, with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: Operator,
    pub key: String,
    pub values: Vec<CondValue>,
    /// The values as written, kept only when the parsed values cannot say them
    /// (numbers, dates, addresses); see [`Condition::value_texts`].
    pub raw_values: Option<Vec<String>>,
}

impl Condition {
    /// The values as written in the policy.
    pub fn value_texts(&self) -> Vec<String> {
        match &self.raw_values {
            Some(raw) => raw.clone(),
            None => self.values.iter().filter_map(CondValue::text).collect(),
        }
    }
}
