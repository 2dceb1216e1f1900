//! The AWS IAM policy language: parsing with located errors, structural validation,
//! AWS's evaluation logic, and explanations of every decision.
//!
//! This crate is pure: no files, no async, no AWS SDK. Evaluation is total: it
//! returns a [`Decision`] for every request and never guesses Allow.
//!
//! ```
//! use vaultward_iam::{authorize, parse_policy, Context, Decision, NamedPolicy, PolicyKind, PolicySet, Request};
//!
//! let doc = r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}}"#;
//! let policy = parse_policy(doc, PolicyKind::Identity).policy.unwrap();
//! let set = PolicySet { identity: vec![NamedPolicy { name: "read".into(), policy }], ..Default::default() };
//! let req = Request::new("arn:aws:iam::111122223333:user/alice", "s3:GetObject", "arn:aws:s3:::b/k", Some("111122223333"), Context::default()).unwrap();
//! assert_eq!(authorize(&req, &set).decision, Decision::Allow);
//! ```

// No panic on any input: no slicing that can cut a character, no indexing that can miss,
// no arithmetic that can overflow (each exception says why it cannot). Tests may index.
#![deny(clippy::string_slice)]
#![cfg_attr(
    not(test),
    deny(clippy::indexing_slicing, clippy::arithmetic_side_effects)
)]

pub mod arn;
pub mod authorizer;
pub mod case;
pub mod condition;
pub mod context;
pub mod diagnostic;
pub mod glob;
pub mod json;
pub mod managed;
pub mod policy;
pub mod principal;
pub mod request;
pub mod request_context;
pub mod template;

pub use authorizer::{
    authorize, evaluate, Decision, Dependency, DependencyKind, Evaluation, Literal, NamedPolicy,
    PolicySet, PolicyType, Reason, Residual, ResidualCase, ResourceRule, Response,
};
pub use case::{parse_case, CachedCase, Case, CaseError, CaseParser, PolicySetSource};
pub use context::{Context, ContextValue, Domain, Unknown};
pub use diagnostic::{Finding, Severity};
pub use policy::{parse_policy, Effect, Policy, PolicyKind};
pub use request::Request;

/// Levenshtein distance, for did-you-mean hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // `prev[j]`: the distance between the part of `a` read so far and `b[..j]`.
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(prev.len());
        cur.push(i.saturating_add(1));
        for ((cb, diag), up) in b.iter().zip(&prev).zip(prev.iter().skip(1)) {
            let left = cur.last().copied().unwrap_or(usize::MAX);
            let substitute = diag.saturating_add(usize::from(ca != *cb));
            cur.push(
                substitute
                    .min(up.saturating_add(1))
                    .min(left.saturating_add(1)),
            );
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}
