//! Decision benchmarks on the reference workload (`benches/data/reference-workload.json`,
//! copied from the shared bench data): a role session with 3 identity policies of 20
//! statements, a bucket policy with two conditional Denies, one SCP level.
//!
//! Run with `cargo bench -p vaultward-iam --bench decision`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use divan::{black_box, Bencher};
use vaultward_iam::{authorize, parse_case, Decision};

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WORKLOAD: &str = include_str!("data/reference-workload.json");

fn main() {
    divan::main();
}

fn insecure() -> String {
    WORKLOAD.replacen(
        "\"aws:SecureTransport\": \"true\"",
        "\"aws:SecureTransport\": \"false\"",
        1,
    )
}

/// Policies parsed once, evaluated many times (the allow path).
#[divan::bench]
fn evaluate_parsed(b: Bencher) {
    let case = parse_case(WORKLOAD).unwrap();
    assert_eq!(
        authorize(&case.request, &case.policies).decision,
        Decision::Allow
    );
    b.bench(|| authorize(black_box(&case.request), black_box(&case.policies)));
}

/// Policies parsed once, evaluated many times (the explicit-deny path).
#[divan::bench]
fn evaluate_parsed_deny(b: Bencher) {
    let text = insecure();
    let case = parse_case(&text).unwrap();
    assert_eq!(
        authorize(&case.request, &case.policies).decision,
        Decision::ExplicitDeny
    );
    b.bench(|| authorize(black_box(&case.request), black_box(&case.policies)));
}

/// The whole case text parsed, validated and evaluated per iteration.
#[divan::bench]
fn parse_and_evaluate(b: Bencher) {
    b.bench(|| {
        let case = parse_case(black_box(WORKLOAD)).unwrap();
        authorize(&case.request, &case.policies)
    });
}

/// Parsing alone, for comparison.
#[divan::bench]
fn parse_only(b: Bencher) {
    b.bench(|| parse_case(black_box(WORKLOAD)).unwrap());
}

/// JSON reading alone.
#[divan::bench]
fn json_only(b: Bencher) {
    b.bench(|| {
        let arena = vaultward_iam::json::Arena::with_capacity(WORKLOAD.len() * 2);
        vaultward_iam::json::parse(black_box(WORKLOAD), &arena)
            .map(|j| j.span)
            .unwrap()
    });
}
