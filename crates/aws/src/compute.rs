//! The compute a principal can take over or run code as, per Region: Lambda functions and
//! their event source mappings, CloudFormation stacks, SageMaker notebook instances, Glue
//! development endpoints, CodeBuild projects, ECS task definitions, and the nodes Systems
//! Manager manages (with their EC2 instance profiles). Read-only; what is refused is
//! recorded, and the list it belongs to becomes "not collected".

use std::collections::HashMap;

use aws_config::SdkConfig;
use futures_util::future::join_all;
use vaultward_snapshot::{
    BuildProject, DevEndpoint, EventSourceMapping, LambdaFunction, ManagedInstance,
    NotebookInstance, Stack, TaskDefinition,
};

use crate::api::Api;
use crate::ctx::{Ctx, Fetch};

#[derive(Default)]
pub struct Compute {
    pub functions: Vec<LambdaFunction>,
    pub mappings: Vec<EventSourceMapping>,
    pub stacks: Vec<Stack>,
    pub notebooks: Vec<NotebookInstance>,
    pub dev_endpoints: Vec<DevEndpoint>,
    pub projects: Vec<BuildProject>,
    pub task_definitions: Vec<TaskDefinition>,
    pub managed_instances: Vec<ManagedInstance>,
}

/// CodeBuild's `BatchGetProjects` takes at most 100 names
/// (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_BatchGetProjects.html).
const PROJECTS_PER_CALL: usize = 100;
/// What the Systems Manager part records its refusals against.
pub const SSM_ITEM: &str = "Systems Manager nodes in";
/// Instance ids per `DescribeInstances` call.
const INSTANCES_PER_CALL: usize = 200;

pub async fn collect(ctx: &Ctx, conf: &SdkConfig, region: &str, account: &str) -> Compute {
    let ((functions, mappings), stacks, notebooks, dev_endpoints, projects, task_definitions) = tokio::join!(
        lambda(ctx, conf, region),
        stacks(ctx, conf, region),
        notebooks(ctx, conf, region),
        dev_endpoints(ctx, conf, region, account),
        projects(ctx, conf, region),
        task_definitions(ctx, conf, region),
    );
    let managed_instances = managed_instances(ctx, conf, region, account).await;
    Compute {
        functions,
        mappings,
        stacks,
        notebooks,
        dev_endpoints,
        projects,
        task_definitions,
        managed_instances,
    }
}

async fn lambda(
    ctx: &Ctx,
    conf: &SdkConfig,
    region: &str,
) -> (Vec<LambdaFunction>, Vec<EventSourceMapping>) {
    let client = aws_sdk_lambda::Client::new(conf);
    let item = format!("Lambda in {region}");
    let (functions, mappings) = tokio::join!(
        ctx.call(
            Api::ListFunctions,
            &item,
            &[],
            client
                .list_functions()
                .into_paginator()
                .send()
                .try_collect(),
        ),
        ctx.call(
            Api::ListEventSourceMappings,
            &item,
            &[],
            client
                .list_event_source_mappings()
                .into_paginator()
                .send()
                .try_collect(),
        ),
    );
    let functions = functions
        .ok()
        .unwrap_or_default()
        .iter()
        .flat_map(|p| p.functions())
        .filter_map(|f| {
            Some(LambdaFunction {
                arn: f.function_arn()?.to_string(),
                name: f.function_name().unwrap_or_default().to_string(),
                role: f.role().map(str::to_string),
            })
        })
        .collect();
    let mappings = mappings
        .ok()
        .unwrap_or_default()
        .iter()
        .flat_map(|p| p.event_source_mappings())
        .filter_map(|m| {
            Some(EventSourceMapping {
                uuid: m.uuid()?.to_string(),
                function_arn: m.function_arn().unwrap_or_default().to_string(),
                event_source_arn: m.event_source_arn().map(str::to_string),
                state: m.state().map(str::to_string),
            })
        })
        .collect();
    (functions, mappings)
}

async fn stacks(ctx: &Ctx, conf: &SdkConfig, region: &str) -> Vec<Stack> {
    let client = aws_sdk_cloudformation::Client::new(conf);
    ctx.call(
        Api::DescribeStacks,
        &format!("CloudFormation stacks in {region}"),
        &[],
        client
            .describe_stacks()
            .into_paginator()
            .send()
            .try_collect(),
    )
    .await
    .ok()
    .unwrap_or_default()
    .iter()
    .flat_map(|p| p.stacks())
    .filter_map(|s| {
        Some(Stack {
            arn: s.stack_id()?.to_string(),
            name: s.stack_name().unwrap_or_default().to_string(),
            role_arn: s.role_arn().map(str::to_string),
            status: s.stack_status().map(|st| st.as_str().to_string()),
        })
    })
    .collect()
}

async fn notebooks(ctx: &Ctx, conf: &SdkConfig, region: &str) -> Vec<NotebookInstance> {
    let client = aws_sdk_sagemaker::Client::new(conf);
    let listed = ctx
        .call(
            Api::ListNotebookInstances,
            &format!("SageMaker notebook instances in {region}"),
            &[],
            client
                .list_notebook_instances()
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await
        .ok()
        .unwrap_or_default();
    let summaries: Vec<_> = listed.iter().flat_map(|p| p.notebook_instances()).collect();
    join_all(summaries.into_iter().map(|n| {
        let client = &client;
        async move {
            let name = n.notebook_instance_name().unwrap_or_default().to_string();
            let arn = n.notebook_instance_arn().unwrap_or_default().to_string();
            let described = ctx
                .call(
                    Api::DescribeNotebookInstance,
                    &format!("notebook instance {arn}"),
                    &[],
                    client
                        .describe_notebook_instance()
                        .notebook_instance_name(&name)
                        .send(),
                )
                .await
                .ok();
            NotebookInstance {
                role_arn: described
                    .as_ref()
                    .and_then(|d| d.role_arn())
                    .map(str::to_string),
                status: n.notebook_instance_status().map(|s| s.as_str().to_string()),
                root_access: described
                    .as_ref()
                    .and_then(|d| d.root_access())
                    .map(|r| r.as_str().to_string()),
                arn,
                name,
            }
        }
    }))
    .await
}

async fn dev_endpoints(
    ctx: &Ctx,
    conf: &SdkConfig,
    region: &str,
    account: &str,
) -> Vec<DevEndpoint> {
    let client = aws_sdk_glue::Client::new(conf);
    ctx.call(
        Api::GetDevEndpoints,
        &format!("Glue development endpoints in {region}"),
        &[],
        client
            .get_dev_endpoints()
            .into_paginator()
            .send()
            .try_collect(),
    )
    .await
    .ok()
    .unwrap_or_default()
    .iter()
    .flat_map(|p| p.dev_endpoints())
    .filter_map(|e| {
        let name = e.endpoint_name()?.to_string();
        Some(DevEndpoint {
            // The ARN format of the Service Authorization Reference (AWS Glue, devEndpoint).
            arn: format!("arn:aws:glue:{region}:{account}:devEndpoint/{name}"),
            name,
            role_arn: e.role_arn().map(str::to_string),
            status: e.status().map(str::to_string),
        })
    })
    .collect()
}

async fn projects(ctx: &Ctx, conf: &SdkConfig, region: &str) -> Vec<BuildProject> {
    let client = aws_sdk_codebuild::Client::new(conf);
    let item = format!("CodeBuild projects in {region}");
    let names: Vec<String> = ctx
        .call(
            Api::ListProjects,
            &item,
            &[],
            client.list_projects().into_paginator().send().try_collect(),
        )
        .await
        .ok()
        .unwrap_or_default()
        .iter()
        .flat_map(|p| p.projects().iter().cloned())
        .collect();
    let batches = join_all(names.chunks(PROJECTS_PER_CALL).map(|chunk| {
        ctx.call(
            Api::BatchGetProjects,
            &item,
            &[],
            client
                .batch_get_projects()
                .set_names(Some(chunk.to_vec()))
                .send(),
        )
    }))
    .await;
    batches
        .into_iter()
        .filter_map(Fetch::ok)
        .flat_map(|b| b.projects().to_vec())
        .filter_map(|p| {
            Some(BuildProject {
                arn: p.arn()?.to_string(),
                name: p.name().unwrap_or_default().to_string(),
                service_role: p.service_role().map(str::to_string),
            })
        })
        .collect()
}

async fn task_definitions(ctx: &Ctx, conf: &SdkConfig, region: &str) -> Vec<TaskDefinition> {
    let client = aws_sdk_ecs::Client::new(conf);
    // Active revisions only: an INACTIVE one runs no new task (ECS API reference,
    // DeregisterTaskDefinition).
    let arns: Vec<String> = ctx
        .call(
            Api::ListTaskDefinitions,
            &format!("ECS task definitions in {region}"),
            &[],
            client
                .list_task_definitions()
                .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await
        .ok()
        .unwrap_or_default()
        .iter()
        .flat_map(|p| p.task_definition_arns().iter().cloned())
        .collect();
    let described = join_all(arns.iter().map(|arn| {
        let client = &client;
        async move {
            let d = ctx
                .call(
                    Api::DescribeTaskDefinition,
                    &format!("task definition {arn}"),
                    &[],
                    client
                        .describe_task_definition()
                        .task_definition(arn)
                        .send(),
                )
                .await
                .ok()?;
            let t = d.task_definition()?;
            Some(TaskDefinition {
                arn: t.task_definition_arn().unwrap_or(arn).to_string(),
                family: t.family().unwrap_or_default().to_string(),
                revision: Some(t.revision()),
                task_role_arn: t.task_role_arn().map(str::to_string),
                execution_role_arn: t.execution_role_arn().map(str::to_string),
            })
        }
    }))
    .await;
    described.into_iter().flatten().collect()
}

/// The nodes Systems Manager manages, each EC2 instance with its instance profile.
async fn managed_instances(
    ctx: &Ctx,
    conf: &SdkConfig,
    region: &str,
    account: &str,
) -> Vec<ManagedInstance> {
    let client = aws_sdk_ssm::Client::new(conf);
    let item = format!("{SSM_ITEM} {region}");
    let Fetch::Got(pages) = ctx
        .call(
            Api::DescribeInstanceInformation,
            &item,
            &[],
            client
                .describe_instance_information()
                .into_paginator()
                .send()
                .try_collect(),
        )
        .await
    else {
        return Vec::new();
    };
    let nodes: Vec<_> = pages
        .iter()
        .flat_map(|p| p.instance_information_list())
        .collect();
    let ec2_ids: Vec<String> = nodes
        .iter()
        .filter_map(|n| n.instance_id())
        .filter(|id| id.starts_with("i-"))
        .map(str::to_string)
        .collect();
    let profiles = instance_profiles(ctx, conf, region, &ec2_ids).await;
    nodes
        .into_iter()
        .filter_map(|n| {
            let id = n.instance_id()?.to_string();
            let is_ec2 = id.starts_with("i-");
            Some(ManagedInstance {
                arn: if is_ec2 {
                    format!("arn:aws:ec2:{region}:{account}:instance/{id}")
                } else {
                    format!("arn:aws:ssm:{region}:{account}:managed-instance/{id}")
                },
                ping_status: n.ping_status().map(|s| s.as_str().to_string()),
                resource_type: n.resource_type().map(|s| s.as_str().to_string()),
                instance_profile_arn: profiles.get(&id).cloned(),
                iam_role: n.iam_role().map(str::to_string),
                instance_id: id,
            })
        })
        .collect()
}

/// The instance profile of each EC2 instance in `ids` that has one.
async fn instance_profiles(
    ctx: &Ctx,
    conf: &SdkConfig,
    region: &str,
    ids: &[String],
) -> HashMap<String, String> {
    let client = aws_sdk_ec2::Client::new(conf);
    let item = format!("{SSM_ITEM} {region}");
    let pages = join_all(ids.chunks(INSTANCES_PER_CALL).map(|chunk| {
        ctx.call(
            Api::DescribeInstances,
            &item,
            &[],
            client
                .describe_instances()
                .set_instance_ids(Some(chunk.to_vec()))
                .into_paginator()
                .send()
                .try_collect(),
        )
    }))
    .await;
    pages
        .into_iter()
        .filter_map(Fetch::ok)
        .flatten()
        .flat_map(|p| p.reservations().to_vec())
        .flat_map(|r| r.instances().to_vec())
        .filter_map(|i| {
            Some((
                i.instance_id()?.to_string(),
                i.iam_instance_profile()?.arn()?.to_string(),
            ))
        })
        .collect()
}
