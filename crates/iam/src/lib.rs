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

// No slicing that can cut a character: every slice of text is `get` (issue 13; indexing
// and arithmetic are denied in `crates/server`, not yet here).
#![deny(clippy::string_slice)]

pub mod arn;
pub mod authorizer;
pub mod case;
pub mod condition;
pub mod context;
pub mod diagnostic;
pub mod glob;
pub mod json;
pub mod policy;
pub mod principal;
pub mod request;
pub mod template;

pub use authorizer::{
    authorize, Decision, NamedPolicy, PolicySet, PolicyType, Reason, ResourceRule, Response,
};
pub use case::{parse_case, Case, CaseError};
pub use context::{Context, ContextValue};
pub use diagnostic::{Finding, Severity};
pub use policy::{parse_policy, Effect, Policy, PolicyKind};
pub use request::Request;

/// Levenshtein distance, for did-you-mean hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
