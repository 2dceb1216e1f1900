//! The generated files, pinned. Run with `UPDATE_SNAPSHOTS=1` to rewrite them after an
//! intended change, and review the diff. `scripts/test` runs cfn-lint on the pinned
//! CloudFormation templates, so what is pinned is also what is linted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use vaultward_model::{generate, render, AssetType, Format, Params};

fn params(assets: &[AssetType], continuous: bool, support: bool, restore: bool) -> Params {
    Params {
        assets: assets.iter().copied().collect(),
        continuous_s3: continuous,
        support_role: support,
        restore,
        account: "111122223333".into(),
        vendor_account: "999988887777".into(),
        external_id: "example-external-id".into(),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        ..Params::default()
    }
}

fn check(name: &str, text: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no snapshot {name}: run with UPDATE_SNAPSHOTS=1"));
    if pinned != text {
        let line = pinned
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .map_or(pinned.lines().count().min(text.lines().count()), |i| i);
        panic!(
            "{name} changed at line {}:\n  pinned:    {}\n  generated: {}\nrun with UPDATE_SNAPSHOTS=1 if the change is intended",
            line + 1,
            pinned.lines().nth(line).unwrap_or("<end>"),
            text.lines().nth(line).unwrap_or("<end>")
        );
    }
}

#[test]
fn all_assets_with_every_option() {
    use AssetType::*;
    let b = generate(&params(&[S3, DynamoDb, Ec2], true, true, true)).unwrap();
    check("all-assets.json", &render(&b, Format::Json));
    check("all-assets.cfn.json", &render(&b, Format::CloudFormation));
    check(
        "all-assets.cfn.yaml",
        &render(&b, Format::CloudFormationYaml),
    );
    check("all-assets.tf", &render(&b, Format::Terraform));
}

#[test]
fn s3_only_without_restore() {
    let b = generate(&params(&[AssetType::S3], false, false, false)).unwrap();
    check(
        "s3-backup-only.cfn.yaml",
        &render(&b, Format::CloudFormationYaml),
    );
    check("s3-backup-only.tf", &render(&b, Format::Terraform));
}

#[test]
fn ec2_with_restore() {
    let b = generate(&params(&[AssetType::Ec2], false, false, true)).unwrap();
    check("ec2.cfn.json", &render(&b, Format::CloudFormation));
}

#[test]
fn yaml_and_json_templates_say_the_same() {
    use AssetType::*;
    let b = generate(&params(&[S3, DynamoDb, Ec2], true, true, true)).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&render(&b, Format::CloudFormation)).unwrap();
    let yaml = render(&b, Format::CloudFormationYaml);
    // Every string of the JSON template appears, quoted the same way, in the YAML one.
    fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(serde_json::to_string(s).unwrap()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    strings(&json, &mut all);
    for s in all {
        assert!(yaml.contains(&s), "{s} missing from the YAML template");
    }
}
