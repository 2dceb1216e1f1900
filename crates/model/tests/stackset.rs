//! `--format stackset`: the organization's templates are the per-account ones with the
//! account (and Region) taken from the pseudo parameters, and the vendor's side trusts the
//! organization and nothing else, as the engine decides.
//! Pseudo parameters: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
//! `Fn::Sub` (`${!Literal}`): https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use serde_json::{json, Value};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request,
};
use vaultward_model::output::cloudformation;
use vaultward_model::{generate, stackset, AssetType, Organization, OutFile, Params};

const VENDOR: &str = "999988887777";
const ORG: &str = "o-a1b2c3d4e5";

fn params() -> Params {
    Params {
        assets: [AssetType::S3, AssetType::DynamoDb, AssetType::Ec2]
            .into_iter()
            .collect(),
        continuous_s3: true,
        support_role: true,
        vendor_account: VENDOR.into(),
        external_id: "ext-42".into(),
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        ..Params::default()
    }
}

fn org() -> Organization {
    Organization {
        ous: vec!["ou-ab12-cdef3456".into(), "ou-ab12-99990000".into()],
        org_id: ORG.into(),
        management_account: Some("123412341234".into()),
    }
}

fn file<'a>(files: &'a [OutFile], path: &str) -> &'a OutFile {
    files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
}

fn json_of(files: &[OutFile], path: &str) -> Value {
    serde_json::from_str(&file(files, path).text).unwrap()
}

/// What CloudFormation makes of the template in `account` and `region`: the two pseudo
/// parameters by `Ref`, and `Fn::Sub` with `${!` for a literal `${`.
fn resolve(v: &Value, account: &str, region: &str) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => {
            let s = m["Fn::Sub"].as_str().unwrap();
            assert!(
                !s.replace("${AWS::AccountId}", "")
                    .replace("${AWS::Region}", "")
                    .replace("${!", "")
                    .contains("${"),
                "{s}: a substitution other than the pseudo parameters"
            );
            json!(s
                .replace("${AWS::AccountId}", account)
                .replace("${AWS::Region}", region)
                .replace("${!", "${"))
        }
        Value::Object(m) if m.get("Ref") == Some(&json!("AWS::AccountId")) => json!(account),
        Value::Object(m) if m.get("Ref") == Some(&json!("AWS::Region")) => json!(region),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), resolve(x, account, region)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| resolve(x, account, region)).collect()),
        v => v.clone(),
    }
}

fn for_account(account: &str, regions: &[&str]) -> Value {
    let p = Params {
        account: account.into(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
        ..params()
    };
    cloudformation(&generate(&p).unwrap())
}

#[test]
fn in_any_account_the_iam_template_is_that_accounts_own() {
    let files = stackset(&params(), &org()).unwrap();
    let iam = json_of(&files, "iam.template.json");
    for account in ["555566667777", "000011112222"] {
        let resolved = resolve(&iam["Resources"], account, "us-east-1");
        // The one-account template, both Regions: its IAM resources carry a Condition on
        // the home Region; otherwise they are the same resources.
        let mut own = for_account(account, &["us-east-1", "eu-west-1"])["Resources"].clone();
        let own = own.as_object_mut().unwrap();
        own.retain(|_, r| r["Type"].as_str().unwrap().starts_with("AWS::IAM::"));
        for r in own.values_mut() {
            r.as_object_mut().unwrap().remove("Condition");
        }
        assert_eq!(resolved, Value::Object(own.clone()), "{account}");
        assert!(!iam.to_string().contains("111111111111"));
    }
    // No topic or rule: those are the regional stack's.
    assert!(iam["Resources"]
        .as_object()
        .unwrap()
        .values()
        .all(|r| r["Type"].as_str().unwrap().starts_with("AWS::IAM::")));
}

#[test]
fn in_any_account_and_region_the_regional_template_is_that_regions_own() {
    let files = stackset(&params(), &org()).unwrap();
    let regional = json_of(&files, "regional.template.json");
    for (account, region) in [
        ("555566667777", "eu-west-1"),
        ("000011112222", "ap-south-1"),
    ] {
        let resolved = resolve(&regional["Resources"], account, region);
        let mut own = for_account(account, &[region])["Resources"].clone();
        let own = own.as_object_mut().unwrap();
        own.retain(|_, r| !r["Type"].as_str().unwrap().starts_with("AWS::IAM::"));
        // The one-stack template refers to the EventBridge role it holds; the regional
        // stack names it by ARN, in the same account.
        let role = format!(
            "arn:aws:iam::{account}:role/vaultward/VaultwardS3ContinuousBackupEventBridgeRole"
        );
        let mut own = Value::Object(own.clone());
        let text = own.to_string().replace(
            r#"{"Fn::GetAtt":["S3ContinuousBackupEventBridgeRole","Arn"]}"#,
            &serde_json::to_string(&role).unwrap(),
        );
        own = serde_json::from_str(&text).unwrap();
        assert_eq!(resolved, own, "{account} {region}");
    }
    assert!(regional["Resources"]
        .as_object()
        .unwrap()
        .values()
        .all(|r| !r["Type"].as_str().unwrap().starts_with("AWS::IAM::")));
}

#[test]
fn the_script_deploys_iam_once_and_the_rest_in_every_region_and_the_management_account_apart() {
    let files = stackset(&params(), &org()).unwrap();
    let script = file(&files, "deploy.sh");
    assert!(script.executable);
    let s = &script.text;
    for needle in [
        "--permission-model SERVICE_MANAGED",
        "--auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false",
        "DependsOn=$iam_arn",
        "--capabilities CAPABILITY_NAMED_IAM",
        "OUS=\"ou-ab12-cdef3456,ou-ab12-99990000\"",
        "--deployment-targets \"OrganizationalUnitIds=$OUS\"",
        "--regions us-east-1 \\",
        "--regions us-east-1 eu-west-1 \\",
        "FailureTolerancePercentage=10,MaxConcurrentPercentage=25",
        "--operation-preferences \"$PREFERENCES\"",
        "expected=\"123412341234\"",
        "aws cloudformation deploy --region us-east-1 --stack-name Vaultward-iam",
    ] {
        assert!(s.contains(needle), "deploy.sh lacks {needle}:\n{s}");
    }
    assert_eq!(s.matches("create-stack-set ").count(), 2);
    let readme = &file(&files, "README.md").text;
    assert!(readme.contains("never deploy to the management account"));
    let tf = &file(&files, "stackset.tf").text;
    for needle in [
        "resource \"aws_cloudformation_stack_set\" \"iam\"",
        "resource \"aws_cloudformation_stack_set_instance\" \"regional\"",
        "permission_model = \"SERVICE_MANAGED\"",
        "depends_on_stack_sets            = [aws_cloudformation_stack_set.iam.arn]",
        "organizational_unit_ids = [\"ou-ab12-cdef3456\", \"ou-ab12-99990000\"]",
        "stack_set_instance_region = \"us-east-1\"",
        "resource \"aws_cloudformation_stack\" \"management_iam\"",
    ] {
        assert!(tf.contains(needle), "stackset.tf lacks {needle}:\n{tf}");
    }
}

#[test]
fn bad_organization_parameters_are_each_named() {
    let bad = Organization {
        ous: vec!["ou-x".into(), "r-ab12".into()],
        org_id: "o-short".into(),
        management_account: Some(VENDOR.into()),
    };
    let errors = stackset(&params(), &bad).unwrap_err();
    let named: Vec<&str> = errors.iter().map(|e| e.param).collect();
    assert_eq!(named, ["ous", "org-id", "management-account"], "{errors:?}");
    let none = Organization {
        ous: vec![],
        ..org()
    };
    let errors = stackset(&params(), &none).unwrap_err();
    assert!(errors[0].message.contains("r-..."), "{errors:?}");
}

fn policy(text: &str, kind: PolicyKind) -> NamedPolicy {
    let parsed = parse_policy(text, kind);
    assert!(!parsed.has_errors(), "{:#?}", parsed.findings);
    NamedPolicy {
        name: "p".into(),
        policy: parsed.policy.unwrap(),
    }
}

fn context(pairs: &[(&str, &str)]) -> Context {
    let mut c = Context::default();
    for (k, v) in pairs {
        c.insert(k, ContextValue::Single(v.to_string()));
    }
    c
}

/// The vendor's control plane assumes the backup role in an account of the organization,
/// through the vendor's identity policy and the role's trust policy (as the IAM stack
/// creates it in that account), and in no account of another organization or of none.
/// `aws:ResourceOrgID`: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid
/// Cross-account evaluation: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
#[test]
fn the_vendor_assumes_the_role_in_the_organization_and_nowhere_else() {
    let files = stackset(&params(), &org()).unwrap();
    let vendor = policy(
        &file(&files, "vendor/control-plane-policy.json").text,
        PolicyKind::Identity,
    );
    let member = "555566667777";
    let iam = resolve(&json_of(&files, "iam.template.json"), member, "us-east-1");
    let trust =
        iam["Resources"]["BackupRole"]["Properties"]["AssumeRolePolicyDocument"].to_string();
    let set = PolicySet {
        identity: vec![vendor],
        resource: Some(policy(&trust, PolicyKind::Trust)),
        ..Default::default()
    };
    let role = format!("arn:aws:iam::{member}:role/vaultward/VaultwardBackupRole");
    let decide = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            (
                "aws:PrincipalArn",
                "arn:aws:iam::999988887777:role/VaultwardControlPlane",
            ),
            ("sts:ExternalId", "ext-42"),
        ];
        pairs.extend_from_slice(extra);
        let req = Request::new(
            "arn:aws:sts::999988887777:assumed-role/VaultwardControlPlane/s",
            "sts:AssumeRole",
            &role,
            Some(member),
            context(&pairs),
        )
        .unwrap();
        authorize(&req, &set).decision
    };
    assert_eq!(decide(&[("aws:ResourceOrgID", ORG)]), Decision::Allow);
    assert_eq!(
        decide(&[("aws:ResourceOrgID", "o-zzzzzzzzzz")]),
        Decision::ImplicitDeny
    );
}

/// The vendor's event bus takes events from the continuous-backup role of an account of
/// the organization (with that role's own policy, as the IAM stack creates it), and not
/// from another role there with the same policy, or from outside the organization.
/// Event bus policies with `aws:PrincipalOrgID`: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html
#[test]
fn the_vendor_bus_takes_events_from_the_organizations_forwarding_role_only() {
    let files = stackset(&params(), &org()).unwrap();
    let bus = policy(
        &file(&files, "vendor/event-bus-policy.eu-west-1.json").text,
        PolicyKind::Resource,
    );
    let member = "555566667777";
    let iam = resolve(&json_of(&files, "iam.template.json"), member, "eu-west-1");
    let forwarding = iam["Resources"]["S3ContinuousBackupEventBridgeRole"]["Properties"]
        ["Policies"][0]["PolicyDocument"]
        .to_string();
    let set = PolicySet {
        identity: vec![policy(&forwarding, PolicyKind::Identity)],
        resource: Some(bus),
        ..Default::default()
    };
    let decide = |role: &str, org_id: &str| {
        let arn = format!("arn:aws:iam::{member}:role/vaultward/{role}");
        let req = Request::new(
            &format!("arn:aws:sts::{member}:assumed-role/{role}/s"),
            "events:PutEvents",
            "arn:aws:events:eu-west-1:999988887777:event-bus/default",
            Some(VENDOR),
            context(&[("aws:PrincipalArn", &arn), ("aws:PrincipalOrgID", org_id)]),
        )
        .unwrap();
        authorize(&req, &set).decision
    };
    assert_eq!(
        decide("VaultwardS3ContinuousBackupEventBridgeRole", ORG),
        Decision::Allow
    );
    assert_eq!(
        decide("VaultwardS3ContinuousBackupEventBridgeRole", "o-zzzzzzzzzz"),
        Decision::ImplicitDeny
    );
    assert_eq!(decide("Admin", ORG), Decision::ImplicitDeny);
    // Without continuous backup there is no bus to open.
    let p = Params {
        continuous_s3: false,
        ..params()
    };
    let files = stackset(&p, &org()).unwrap();
    assert!(files
        .iter()
        .all(|f| !f.path.starts_with("vendor/event-bus")));
}

/// The pinned directory: `scripts/test` runs cfn-lint on the templates and hclwrite's
/// formatter on `stackset.tf`. `UPDATE_SNAPSHOTS=1` rewrites them.
#[test]
fn the_stackset_directory_is_pinned() {
    let files = stackset(&params(), &org()).unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for (from, to) in [
        ("iam.template.json", "stackset-iam.cfn.json"),
        ("regional.template.json", "stackset-regional.cfn.json"),
        ("stackset.tf", "stackset.tf"),
        ("deploy.sh", "stackset-deploy.sh"),
    ] {
        let text = &file(&files, from).text;
        let path = dir.join(to);
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let pinned = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} missing: UPDATE_SNAPSHOTS=1", path.display()));
        assert_eq!(
            &pinned, text,
            "{to} changed: review, then UPDATE_SNAPSHOTS=1"
        );
    }
}
