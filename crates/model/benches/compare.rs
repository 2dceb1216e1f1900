//! `vaultward compare` on the generated bundle's policies (seed-sized: the permissions file
//! for every asset type): each policy against itself (no new access: the solver must prove
//! it for every request) and against a one-statement edit (the first Allow's `Resource`
//! widened to `*`: new access, with a witness the engine confirms). Issue 16's figure: under
//! 1 s each. Needs cvc5 or z3 on the PATH (`scripts/test` installs them).

#![allow(clippy::panic)]

use vaultward_analysis::{compare, Options};
use vaultward_iam::PolicyKind;
use vaultward_model::{generate, AssetType, Params};

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

/// The seed's bucket policy (the demo's `hd-test`) against `fix`'s patch of it, as `fix`
/// verifies it: a resource policy, every principal but the backup role.
#[divan::bench(sample_count = 5)]
fn bucket_policy_patch_as_fix_verifies_it(bencher: divan::Bencher) {
    let old = include_str!("../../../examples/hd-test-bucket-policy.json");
    let new = old.replace(
        "\"aws:SourceVpc\": \"vpc-12345678\"\n        }",
        "\"aws:SourceVpc\": \"vpc-12345678\"\n        },\n        \"ArnNotLike\": {\"aws:PrincipalArn\": [\"arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole\"]}",
    );
    assert_ne!(old, new, "the patch applies");
    let mut opts = Options::new(PolicyKind::Resource);
    opts.exclude_principals =
        vec!["arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole".into()];
    assert!(
        matches!(
            compare(old, &new, &opts),
            Ok(vaultward_analysis::Outcome::NoNewAccess)
        ),
        "the patch opens nothing for anyone but the role"
    );
    bencher.bench_local(|| divan::black_box(compare(old, &new, &opts).ok()));
}
