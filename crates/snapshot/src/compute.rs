//! The compute a principal can take over or run code as: each resource with the role it
//! runs as, for `audit`'s escalation paths (a function's role, a stack's service role, a
//! notebook's role). Each is a list of the snapshot; a list not collected is named in the
//! snapshot's `not_collected`, and an empty one means "there are none".

use serde::{Deserialize, Serialize};

/// A Lambda function (`lambda:ListFunctions`): it runs as `role`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaFunction {
    pub arn: String,
    pub name: String,
    /// The execution role's ARN.
    #[serde(default)]
    pub role: Option<String>,
}

/// A Lambda event source mapping (`lambda:ListEventSourceMappings`): the function runs
/// whenever the source (a queue, a stream) delivers, with no `InvokeFunction`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSourceMapping {
    pub uuid: String,
    pub function_arn: String,
    #[serde(default)]
    pub event_source_arn: Option<String>,
    /// `Enabled`, `Disabled`, `Creating`, ...
    #[serde(default)]
    pub state: Option<String>,
}

/// A CloudFormation stack (`cloudformation:DescribeStacks`): an update runs as its service
/// role, when it has one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// The stack id (an ARN).
    pub arn: String,
    pub name: String,
    /// The service role (`RoleARN`); `null`: the stack has none (updates run as the caller).
    #[serde(default)]
    pub role_arn: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// A SageMaker notebook instance (`sagemaker:DescribeNotebookInstance`): its Jupyter runs
/// as `role_arn`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotebookInstance {
    pub arn: String,
    pub name: String,
    /// `null` only when the notebook could not be described (see the snapshot's notes).
    #[serde(default)]
    pub role_arn: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// `Enabled` or `Disabled`.
    #[serde(default)]
    pub root_access: Option<String>,
}

/// An AWS Glue development endpoint (`glue:GetDevEndpoints`): SSH into it runs as its role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevEndpoint {
    pub arn: String,
    pub name: String,
    #[serde(default)]
    pub role_arn: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// A CodeBuild project (`codebuild:BatchGetProjects`): a build runs as its service role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildProject {
    pub arn: String,
    pub name: String,
    #[serde(default)]
    pub service_role: Option<String>,
}

/// An active ECS task definition revision (`ecs:DescribeTaskDefinition`): its containers
/// run with the task role; the agent pulls images and writes logs with the execution role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskDefinition {
    pub arn: String,
    pub family: String,
    #[serde(default)]
    pub revision: Option<i32>,
    #[serde(default)]
    pub task_role_arn: Option<String>,
    #[serde(default)]
    pub execution_role_arn: Option<String>,
}

/// A node Systems Manager manages (`ssm:DescribeInstanceInformation`): `SendCommand` or a
/// session runs on it with its instance profile's role (EC2) or its `iam_role` (a hybrid
/// node).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedInstance {
    /// `i-...` (EC2) or `mi-...` (a hybrid activation).
    pub instance_id: String,
    pub arn: String,
    /// `Online`, `ConnectionLost`, `Inactive`.
    #[serde(default)]
    pub ping_status: Option<String>,
    /// `EC2Instance` or `ManagedInstance`.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The EC2 instance's profile (`DescribeInstances`' `IamInstanceProfile`), `null` when it
    /// has none or is not an EC2 instance.
    #[serde(default)]
    pub instance_profile_arn: Option<String>,
    /// A hybrid node's service role (the activation's `IamRole`).
    #[serde(default)]
    pub iam_role: Option<String>,
}
