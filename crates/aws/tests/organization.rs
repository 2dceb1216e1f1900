//! The organization as `collect` reads it, against moto's Organizations: the account's id
//! and path (`aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`) and the SCPs on its path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use vaultward_aws::testing::{MotoServer, ACCOUNT, REGION};
use vaultward_aws::{collect, Objects, Options, Regions};
use vaultward_model::AssetType;

fn options(moto: &MotoServer) -> Options {
    Options {
        endpoint_url: Some(moto.endpoint.clone()),
        regions: Regions::Listed(vec![REGION.into()]),
        objects: Objects::None,
        assets: [AssetType::S3].into_iter().collect(),
        credentials: Some(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "test",
        ))),
        max_attempts: 2,
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accounts_organization_id_path_and_scps_are_collected() {
    let moto = MotoServer::start().unwrap();
    let org = aws_sdk_organizations::Client::new(&moto.sdk_config());
    use aws_sdk_organizations::types::{OrganizationFeatureSet, PolicyType};
    let o = org
        .create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let org_id = o.organization().unwrap().id().unwrap().to_string();
    let root = org.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_string();
    org.enable_policy_type()
        .root_id(&root)
        .policy_type(PolicyType::ServiceControlPolicy)
        .send()
        .await
        .unwrap();
    let ou = org
        .create_organizational_unit()
        .parent_id(&root)
        .name("Workloads")
        .send()
        .await
        .unwrap()
        .organizational_unit()
        .unwrap()
        .id()
        .unwrap()
        .to_string();
    org.move_account()
        .account_id(ACCOUNT)
        .source_parent_id(&root)
        .destination_parent_id(&ou)
        .send()
        .await
        .unwrap();
    let deny = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Sid": "NoLeaving", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]});
    let p = org
        .create_policy()
        .name("no-leaving")
        .description("deny leaving")
        .r#type(PolicyType::ServiceControlPolicy)
        .content(deny.to_string())
        .send()
        .await
        .unwrap();
    org.attach_policy()
        .policy_id(p.policy().unwrap().policy_summary().unwrap().id().unwrap())
        .target_id(&ou)
        .send()
        .await
        .unwrap();

    let s = collect(&options(&moto)).await.unwrap().snapshot;
    let o = s.organization.unwrap();
    assert_eq!(o.id.as_deref(), Some(org_id.as_str()));
    assert_eq!(o.management_account.as_deref(), Some(ACCOUNT));
    // aws:PrincipalOrgPaths: o-ID/r-ROOT/ou-.../ (IAM User Guide, global condition keys:
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
    assert_eq!(o.path, Some(format!("{org_id}/{root}/{ou}/")));
    assert_eq!(o.policies_not_collected, None);
    // Levels: the root, the OU, the account; the OU's level has the Deny.
    assert_eq!(o.scps.len(), 3, "{:?}", o.scps);
    assert!(o.scps[1]
        .iter()
        .any(|p| p["name"] == "no-leaving" && p["document"]["Statement"][0]["Sid"] == "NoLeaving"));
}

/// `collect --org` against moto behind `tools/moto-org.py` (AssumeRole refused as AWS
/// refuses it): the management side calls exactly [`Api::MANAGEMENT`], the account without
/// the member role is recorded with AWS's refusal, the others are collected under it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_org_makes_exactly_the_management_calls_it_documents() {
    use vaultward_aws::api::Api;
    use vaultward_aws::{collect_organization, OrgOptions};
    let moto = MotoServer::start_refusing_assume_role().unwrap();
    let populate = std::process::Command::new(vaultward_aws::testing::python().unwrap())
        .arg(vaultward_aws::testing::tool("moto-org.py"))
        .args(["populate", &moto.endpoint, "5", "0", "-", "ext-42"])
        .output()
        .unwrap();
    assert!(
        populate.status.success(),
        "{}",
        String::from_utf8_lossy(&populate.stderr)
    );
    let org: serde_json::Value = serde_json::from_slice(&populate.stdout).unwrap();
    let out = std::env::temp_dir().join(format!("vaultward-aws-org-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let opts = OrgOptions {
        member_role: "/vaultward/VaultwardInventoryRole".into(),
        external_id: Some("ext-42".into()),
        units: Vec::new(),
        accounts: Vec::new(),
        concurrency: 2,
        resume: false,
        out: out.clone(),
        progress: false,
        account: options(&moto),
    };
    let c = collect_organization(&opts).await.unwrap();
    let expected: std::collections::BTreeSet<Api> = Api::MANAGEMENT.iter().copied().collect();
    assert_eq!(c.management_calls, expected);
    assert_eq!((c.collected, c.resumed, c.not_collected), (5, 0, 1));
    let last = org["members"][4]["id"].as_str().unwrap();
    let refused = c.layout.accounts.iter().find(|a| a.id == last).unwrap();
    assert!(
        refused
            .not_collected
            .as_deref()
            .unwrap()
            .contains("AccessDenied"),
        "{refused:?}"
    );
    // A member's snapshot is its own account's, read with the member role's session.
    let first = org["members"][0]["id"].as_str().unwrap();
    let text = std::fs::read_to_string(out.join(format!("accounts/{first}.json"))).unwrap();
    let s: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(s["account_id"], first);
    assert_eq!(s["buckets"][0]["name"], format!("data-{first}"));
    // A wrong --ous is an error, not an empty collection.
    let wrong = OrgOptions {
        units: vec!["ou-none-00000000".into()],
        ..opts
    };
    assert!(collect_organization(&wrong)
        .await
        .unwrap_err()
        .to_string()
        .contains("`ou-none-00000000` is not an OU"));
    std::fs::remove_dir_all(&out).unwrap();
}
