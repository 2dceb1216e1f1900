//! `vaultward compare` on the generated bundle's policies (seed-sized: the permissions file
//! for every asset type): each policy against itself (no new access: the solver must prove
//! it for every request) and against a one-statement edit (the first Allow's `Resource`
//! widened to `*`: new access, with a witness the engine confirms). Issue 16's figure: under
//! 1 s each. Needs cvc5 or z3 on the PATH (`scripts/test` installs them).

#![allow(clippy::panic)]

use vaultward_analysis::{compare, Options};
use vaultward_backup::{generate, AssetType, Params};
use vaultward_iam::PolicyKind;

fn main() {
    divan::main();
}

fn documents() -> Vec<(String, String, String)> {
    let p = Params {
        assets: [AssetType::S3, AssetType::DynamoDb, AssetType::Ec2]
            .into_iter()
            .collect(),
        continuous_s3: true,
        account: "111122223333".into(),
        vendor_account: "999988887777".into(),
        external_id: "ext-42".into(),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        ..Params::default()
    };
    let b = generate(&p).unwrap_or_else(|e| panic!("{e:?}"));
    b.policies
        .iter()
        .map(|m| {
            let mut edited = m.document.clone();
            if let Some(st) = edited["Statement"]
                .as_array_mut()
                .and_then(|a| a.iter_mut().find(|s| s["Effect"] == "Allow"))
            {
                st["Resource"] = serde_json::json!("*");
            }
            (m.name.clone(), m.document.to_string(), edited.to_string())
        })
        .collect()
}

#[divan::bench(sample_count = 5)]
fn against_itself(bencher: divan::Bencher) {
    let docs = documents();
    let opts = Options::new(PolicyKind::Identity);
    bencher.bench_local(|| {
        for (_, d, _) in &docs {
            divan::black_box(compare(d, d, &opts).ok());
        }
    });
}

#[divan::bench(sample_count = 5)]
fn against_a_one_statement_edit(bencher: divan::Bencher) {
    let docs = documents();
    let opts = Options::new(PolicyKind::Identity);
    bencher.bench_local(|| {
        for (_, d, e) in &docs {
            divan::black_box(compare(d, e, &opts).ok());
        }
    });
}
