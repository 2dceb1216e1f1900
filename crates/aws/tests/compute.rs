//! The compute a role can take over or run as, collected from moto: each resource with its
//! role, the roles' instance profiles and every version of a customer managed policy from
//! GetAccountAuthorizationDetails, and lists that could not be read recorded as not
//! collected (never as empty). Emulator gaps are listed in `vaultward_aws::testing`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use serde_json::json;
use vaultward_aws::testing::{MotoServer, ACCOUNT, REGION};
use vaultward_aws::{collect, Objects, Options, Regions};
use vaultward_model::AssetType;

fn options(moto: &MotoServer) -> Options {
    Options {
        endpoint_url: Some(moto.endpoint.clone()),
        regions: Regions::Listed(vec![REGION.into()]),
        objects: Objects::None,
        assets: [AssetType::DynamoDb].into_iter().collect(),
        credentials: Some(SharedCredentialsProvider::new(Credentials::new(
            "testing", "testing", None, None, "test",
        ))),
        max_attempts: 2,
        ..Options::default()
    }
}

/// An empty ZIP archive (the end-of-central-directory record alone): moto stores the code
/// without running it.
const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

async fn role(iam: &aws_sdk_iam::Client, name: &str, service: &str) -> String {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]});
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compute_with_its_roles_is_collected() {
    let moto = MotoServer::start().unwrap();
    let conf = moto.sdk_config();
    let iam = aws_sdk_iam::Client::new(&conf);
    let fn_role = role(&iam, "fn-role", "lambda.amazonaws.com").await;
    let cfn_role = role(&iam, "cfn-role", "cloudformation.amazonaws.com").await;
    let nb_role = role(&iam, "nb-role", "sagemaker.amazonaws.com").await;
    let glue_role = role(&iam, "glue-role", "glue.amazonaws.com").await;
    let cb_role = role(&iam, "cb-role", "codebuild.amazonaws.com").await;
    let task_role = role(&iam, "task-role", "ecs-tasks.amazonaws.com").await;
    let exec_role = role(&iam, "exec-role", "ecs-tasks.amazonaws.com").await;
    let ec2_role = role(&iam, "ec2-role", "ec2.amazonaws.com").await;

    // An instance profile holding the EC2 role, and a managed policy with two versions.
    let profile = iam
        .create_instance_profile()
        .instance_profile_name("web-profile")
        .path("/apps/")
        .send()
        .await
        .unwrap();
    let profile_arn = profile.instance_profile().unwrap().arn().to_string();
    iam.add_role_to_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("ec2-role")
        .send()
        .await
        .unwrap();
    let v1 = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    let v2 = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let policy = iam
        .create_policy()
        .policy_name("versions")
        .policy_document(v1.to_string())
        .send()
        .await
        .unwrap();
    let policy_arn = policy.policy().unwrap().arn().unwrap().to_string();
    iam.create_policy_version()
        .policy_arn(&policy_arn)
        .policy_document(v2.to_string())
        .set_as_default(false)
        .send()
        .await
        .unwrap();

    // A function with an event source (a DynamoDB stream), a stack with a service role, a
    // notebook, a development endpoint, a build project and a task definition.
    let lambda = aws_sdk_lambda::Client::new(&conf);
    let f = lambda
        .create_function()
        .function_name("ingest")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("index.handler")
        .role(&fn_role)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(EMPTY_ZIP.to_vec()))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let fn_arn = f.function_arn().unwrap().to_string();
    let ddb = aws_sdk_dynamodb::Client::new(&conf);
    use aws_sdk_dynamodb::types as dt;
    let table = ddb
        .create_table()
        .table_name("events")
        .key_schema(
            dt::KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(dt::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            dt::AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(dt::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(dt::BillingMode::PayPerRequest)
        .stream_specification(
            dt::StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(dt::StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let stream = table
        .table_description()
        .unwrap()
        .latest_stream_arn()
        .unwrap()
        .to_string();
    let esm = lambda
        .create_event_source_mapping()
        .function_name("ingest")
        .event_source_arn(&stream)
        .starting_position(aws_sdk_lambda::types::EventSourcePosition::Latest)
        .send()
        .await
        .unwrap();

    let cfn = aws_sdk_cloudformation::Client::new(&conf);
    let template = json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}});
    cfn.create_stack()
        .stack_name("app")
        .template_body(template.to_string())
        .role_arn(&cfn_role)
        .send()
        .await
        .unwrap();
    cfn.create_stack()
        .stack_name("plain")
        .template_body(template.to_string())
        .send()
        .await
        .unwrap();

    let sm = aws_sdk_sagemaker::Client::new(&conf);
    sm.create_notebook_instance()
        .notebook_instance_name("analysis")
        .instance_type(aws_sdk_sagemaker::types::InstanceType::MlT2Medium)
        .role_arn(&nb_role)
        .send()
        .await
        .unwrap();

    let glue = aws_sdk_glue::Client::new(&conf);
    glue.create_dev_endpoint()
        .endpoint_name("etl")
        .role_arn(&glue_role)
        .send()
        .await
        .unwrap();

    let cb = aws_sdk_codebuild::Client::new(&conf);
    use aws_sdk_codebuild::types as ct;
    cb.create_project()
        .name("build")
        .source(
            ct::ProjectSource::builder()
                .r#type(ct::SourceType::S3)
                .location("build-sources/source.zip")
                .build()
                .unwrap(),
        )
        .artifacts(
            ct::ProjectArtifacts::builder()
                .r#type(ct::ArtifactsType::NoArtifacts)
                .build()
                .unwrap(),
        )
        .environment(
            ct::ProjectEnvironment::builder()
                .r#type(ct::EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ct::ComputeType::BuildGeneral1Small)
                .build()
                .unwrap(),
        )
        .service_role(&cb_role)
        .send()
        .await
        .unwrap();

    let ecs = aws_sdk_ecs::Client::new(&conf);
    ecs.register_task_definition()
        .family("worker")
        .task_role_arn(&task_role)
        .execution_role_arn(&exec_role)
        .container_definitions(
            aws_sdk_ecs::types::ContainerDefinition::builder()
                .name("app")
                .image("public.ecr.aws/docker/library/busybox:latest")
                .memory(128)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let got = collect(&options(&moto)).await.unwrap();
    let s = &got.snapshot;

    assert_eq!(s.lambda_functions.len(), 1, "{:?}", s.lambda_functions);
    assert_eq!(s.lambda_functions[0].arn, fn_arn);
    assert_eq!(
        s.lambda_functions[0].role.as_deref(),
        Some(fn_role.as_str())
    );
    assert_eq!(s.lambda_event_source_mappings.len(), 1);
    let m = &s.lambda_event_source_mappings[0];
    assert_eq!(m.uuid, esm.uuid().unwrap());
    assert_eq!(m.function_arn, fn_arn);
    assert_eq!(m.event_source_arn.as_deref(), Some(stream.as_str()));

    let stack = |name: &str| {
        s.cloudformation_stacks
            .iter()
            .find(|st| st.name == name)
            .unwrap()
    };
    assert_eq!(stack("app").role_arn.as_deref(), Some(cfn_role.as_str()));
    assert!(stack("app").arn.starts_with(&format!(
        "arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/app/"
    )));
    assert_eq!(
        stack("plain").role_arn,
        None,
        "no service role: updates run as the caller"
    );

    assert_eq!(s.sagemaker_notebook_instances.len(), 1);
    let nb = &s.sagemaker_notebook_instances[0];
    assert_eq!(nb.name, "analysis");
    assert_eq!(nb.role_arn.as_deref(), Some(nb_role.as_str()));
    assert_eq!(
        nb.arn,
        format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/analysis")
    );

    assert_eq!(s.glue_dev_endpoints.len(), 1);
    assert_eq!(
        s.glue_dev_endpoints[0].role_arn.as_deref(),
        Some(glue_role.as_str())
    );
    assert_eq!(
        s.glue_dev_endpoints[0].arn,
        format!("arn:aws:glue:{REGION}:{ACCOUNT}:devEndpoint/etl")
    );

    assert_eq!(s.codebuild_projects.len(), 1);
    assert_eq!(s.codebuild_projects[0].name, "build");
    assert_eq!(
        s.codebuild_projects[0].service_role.as_deref(),
        Some(cb_role.as_str())
    );

    assert_eq!(s.ecs_task_definitions.len(), 1);
    let t = &s.ecs_task_definitions[0];
    assert_eq!(t.family, "worker");
    assert_eq!(t.revision, Some(1));
    assert_eq!(t.task_role_arn.as_deref(), Some(task_role.as_str()));
    assert_eq!(t.execution_role_arn.as_deref(), Some(exec_role.as_str()));

    // moto has no DescribeInstanceInformation: the list is not collected, never empty.
    assert!(s.ssm_managed_instances.is_empty());
    assert!(
        s.not_collected
            .get("ssm_managed_instances")
            .is_some_and(|why| why.contains("DescribeInstanceInformation")),
        "{:?}",
        s.not_collected
    );
    for list in vaultward_snapshot::COMPUTE_LISTS {
        if *list != "ssm_managed_instances" {
            assert!(
                !s.not_collected.contains_key(*list),
                "{list}: {:?}",
                s.not_collected
            );
        }
    }

    // The role's instance profiles and the policy's versions, from the IAM export.
    let iam_export = s.iam.as_ref().unwrap();
    let ec2 = iam_export["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Arn"] == ec2_role.as_str())
        .unwrap();
    assert_eq!(ec2["InstanceProfileList"][0]["Arn"], profile_arn.as_str());
    assert_eq!(ec2["InstanceProfileList"][0]["Path"], "/apps/");
    assert_eq!(
        ec2["InstanceProfileList"][0]["Roles"][0]["RoleName"],
        "ec2-role"
    );
    let fn_role_detail = iam_export["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Arn"] == fn_role.as_str())
        .unwrap();
    assert_eq!(
        fn_role_detail["InstanceProfileList"],
        json!([]),
        "collected: none"
    );
    let versions = iam_export["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Arn"] == policy_arn.as_str())
        .unwrap();
    assert_eq!(versions["DefaultVersionId"], "v1");
    let list = versions["PolicyVersionList"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let v = |id: &str| list.iter().find(|v| v["VersionId"] == id).unwrap();
    assert_eq!(v("v1")["IsDefaultVersion"], true);
    assert_eq!(v("v2")["IsDefaultVersion"], false);
    assert_eq!(v("v2")["Document"]["Statement"][0]["Action"], "*");

    // Through the file format and back, and `--no-compute` records every list as not asked.
    let text = serde_json::to_string(s).unwrap();
    let back = vaultward_snapshot::Snapshot::from_json("s.json", &text).unwrap();
    assert_eq!(back.codebuild_projects, s.codebuild_projects);
    assert_eq!(back.not_collected, s.not_collected);
    let mut without = options(&moto);
    without.compute = false;
    let w = collect(&without).await.unwrap().snapshot;
    for list in vaultward_snapshot::COMPUTE_LISTS {
        assert!(w.not_collected[*list].starts_with("not asked"), "{list}");
    }
    assert!(w.lambda_functions.is_empty());
}

/// A snapshot written before these lists existed says nothing of them: each is not
/// collected, so `audit` cannot call a path through them clean.
#[test]
fn an_older_snapshot_has_no_compute_lists_collected() {
    let s = vaultward_snapshot::Snapshot::from_json(
        "old.json",
        r#"{"account_id": "111122223333", "buckets": []}"#,
    )
    .unwrap();
    for list in vaultward_snapshot::COMPUTE_LISTS {
        assert_eq!(s.not_collected[*list], "absent from the snapshot", "{list}");
    }
}
