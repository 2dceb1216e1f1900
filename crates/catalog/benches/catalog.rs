//! Catalog benchmarks: loading at start-up, and validating a 100-statement policy.
//! Run with `cargo bench -p vaultward-catalog`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use divan::{black_box, Bencher};
use vaultward_catalog::{validate_policy, Catalog};
use vaultward_iam::PolicyKind;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// Loading: reading the header and indexing the services (what every CLI call pays).
#[divan::bench]
fn load(b: Bencher) {
    b.bench(|| Catalog::load().unwrap());
}

/// Loading and reading every service (the worst case, as `actions expand '*'` does).
#[divan::bench(sample_count = 10)]
fn load_all_services(b: Bencher) {
    b.bench(|| {
        let c = Catalog::load().unwrap();
        c.services().map(|s| s.actions.len()).sum::<usize>()
    });
}

fn hundred_statements() -> String {
    let actions = [
        ("s3:GetObject", "arn:aws:s3:::bucket-N/*"),
        ("s3:ListBucket", "arn:aws:s3:::bucket-N"),
        (
            "dynamodb:DescribeTable",
            "arn:aws:dynamodb:us-east-1:111122223333:table/t-N",
        ),
        (
            "ec2:CreateSnapshot",
            "arn:aws:ec2:us-east-1:111122223333:volume/*",
        ),
        ("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/N"),
    ];
    let statements: Vec<String> = (0..100)
        .map(|i| {
            let (a, r) = actions[i % actions.len()];
            format!(
                r#"{{"Sid": "S{i}", "Effect": "Allow", "Action": ["{a}", "s3:Get*"], "Resource": "{}", "Condition": {{"StringEquals": {{"aws:RequestedRegion": "us-east-1"}}, "Bool": {{"aws:SecureTransport": "true"}}}}}}"#,
                r.replace('N', &i.to_string())
            )
        })
        .collect();
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(",\n")
    )
}

/// Validating a 100-statement policy against the catalog (catalog already loaded).
#[divan::bench]
fn validate_100_statements(b: Bencher) {
    let policy = hundred_statements();
    let findings = validate_policy(&policy, PolicyKind::Identity);
    assert!(
        findings.iter().all(|f| f.code != "unknown-action"),
        "{findings:?}"
    );
    b.bench(|| validate_policy(black_box(&policy), PolicyKind::Identity));
}
