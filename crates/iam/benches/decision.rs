//! Decision benchmarks on the reference workload (`benches/data/reference-workload.json`,
//! copied from the shared bench data): a role session with 3 identity policies of 20
//! statements, a bucket policy with two conditional Denies, one SCP level.
//!
//! Run with `cargo bench -p vaultward-iam --bench decision`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use divan::{black_box, Bencher};
use vaultward_iam::{authorize, evaluate, parse_case, CaseParser, Decision, PolicySetSource};

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

/// Policies parsed once, evaluated many times (the allow path): the decision, with the
/// reasons left until asked for.
#[divan::bench]
fn evaluate_parsed(b: Bencher) {
    let case = parse_case(WORKLOAD).unwrap();
    assert_eq!(
        evaluate(&case.request, &case.policies).decision(),
        Decision::Allow
    );
    b.bench(|| evaluate(black_box(&case.request), black_box(&case.policies)).decision());
}

/// Policies parsed once, evaluated many times (the explicit-deny path).
#[divan::bench]
fn evaluate_parsed_deny(b: Bencher) {
    let text = insecure();
    let case = parse_case(&text).unwrap();
    assert_eq!(
        evaluate(&case.request, &case.policies).decision(),
        Decision::ExplicitDeny
    );
    b.bench(|| evaluate(black_box(&case.request), black_box(&case.policies)).decision());
}

/// The decision with every reason written (what `authorize` returns).
#[divan::bench]
fn evaluate_parsed_explained(b: Bencher) {
    let case = parse_case(WORKLOAD).unwrap();
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

/// A hostile policy of about 470 KB: one statement object with 20,000 duplicated keys
/// (each a finding) on one line. Issue 13 measured 6.3 s before duplicate detection was
/// hashed, locations counted on from the last, and findings capped.
fn hostile() -> String {
    let mut st = String::from(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*""#);
    for i in 0..20_000 {
        st.push_str(&format!(r#","Sid":"s{i}""#));
    }
    st.push('}');
    format!(r#"{{"Version":"2012-10-17","Statement":[{st}]}}"#)
}

#[divan::bench]
fn parse_hostile_policy(b: Bencher) {
    let text = hostile();
    b.bench(|| {
        vaultward_iam::parse_policy(black_box(&text), vaultward_iam::PolicyKind::Identity)
            .findings
            .len()
    });
}

/// The workload on one line, as a JSONL stream carries it.
fn compact() -> String {
    let v: serde_json::Value = serde_json::from_str(WORKLOAD).unwrap();
    v.to_string()
}

/// The floor a reader of the case's bytes pays: checking they are UTF-8 and finding the
/// line's end.
#[divan::bench]
fn read_bytes_floor(b: Bencher) {
    let text = compact();
    b.bench(|| {
        let s = std::str::from_utf8(black_box(text.as_bytes())).unwrap();
        s.bytes().filter(|&c| c == b'\n').count()
    });
}

/// A one-line case parsed and evaluated with every reason, nothing reused (every line of
/// a one-off stream differs).
#[divan::bench]
fn one_line_parse_and_explain(b: Bencher) {
    let text = compact();
    b.bench(|| {
        let case = parse_case(black_box(&text)).unwrap();
        authorize(&case.request, &case.policies)
    });
}

/// A case whose policies were read before (`authorize --input cases.jsonl` on a bulk
/// stream): the set comes from the cache.
#[divan::bench]
fn cached_case_and_explain(b: Bencher) {
    let text = compact();
    let mut parser = CaseParser::new();
    parser.parse(&text).unwrap();
    parser.parse(&text).unwrap();
    b.bench_local(|| {
        let case = parser.parse(black_box(&text)).unwrap();
        authorize(&case.request, &case.policies)
    });
}

/// A request under a policy set given once (`--policies SET --requests REQUESTS`).
#[divan::bench]
fn request_under_a_set_and_explain(b: Bencher) {
    let mut v: serde_json::Value = serde_json::from_str(WORKLOAD).unwrap();
    let request = v
        .as_object_mut()
        .unwrap()
        .remove("request")
        .unwrap()
        .to_string();
    let mut set = PolicySetSource::new(v.to_string()).unwrap();
    let mut parser = CaseParser::new();
    b.bench_local(|| {
        let case = parser.parse_request(&mut set, black_box(&request)).unwrap();
        authorize(&case.request, &case.policies)
    });
}

/// What `authorize --policies SET --requests REQUESTS` does for each line: the request
/// read under the set, evaluated, and the response written straight as JSON into a
/// buffer kept from line to line.
#[divan::bench]
fn request_under_a_set_written(b: Bencher) {
    let mut v: serde_json::Value = serde_json::from_str(WORKLOAD).unwrap();
    let request = v
        .as_object_mut()
        .unwrap()
        .remove("request")
        .unwrap()
        .to_string();
    let mut set = PolicySetSource::new(v.to_string()).unwrap();
    let mut parser = CaseParser::new();
    let mut out = Vec::new();
    b.bench_local(|| {
        out.clear();
        let case = parser.parse_request(&mut set, black_box(&request)).unwrap();
        evaluate(&case.request, &case.policies)
            .write_json(&mut out)
            .unwrap();
        out.len()
    });
}

/// The JSON reading alone of a `--requests` line (530 bytes, minified).
#[divan::bench]
fn json_request_only(b: Bencher) {
    let v: serde_json::Value = serde_json::from_str(WORKLOAD).unwrap();
    let request = v["request"].to_string();
    let mut arena = vaultward_iam::json::Arena::new();
    b.bench_local(|| {
        arena.reset();
        vaultward_iam::json::parse(black_box(&request), &arena)
            .map(|j| j.span)
            .unwrap()
    });
}
