//! The published privilege-escalation methods, as data: each with its code, its class,
//! how it comes to act as another role (or what it writes), the requests it takes, what
//! it reaches and the catalogs that list it. The audit probes these rows, and
//! `docs/escalation.md` and the audit part of `docs/codes.md` are written from them (a
//! test keeps them the same).
//!
//! Resource templates: `{region}`, `{account}`, and `{target}` (the existing compute a
//! method takes over: its ARN when the snapshot lists it, else a stand-in).

use super::PathClass;

/// A catalog that lists a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Rhino Security Labs' list, by its number.
    Rhino(u8),
    /// A module of BishopFox's iam-vulnerable (`privesc-paths/<name>.tf`).
    IamVulnerable(&'static str),
    /// A path id of Datadog's pathfinding.cloud.
    Pathfinding(&'static str),
    /// Hacking the Cloud, "AWS IAM Privilege Escalation Techniques".
    HackingTheCloud,
    /// An edge module of NCC Group's PMapper (`principalmapper/graphing/<name>_edges.py`).
    Pmapper(&'static str),
    /// Cloudsplaining's privilege-escalation list, by its name there.
    Cloudsplaining(&'static str),
}

impl Source {
    pub fn cite(self) -> String {
        match self {
            Source::Rhino(n) => format!("Rhino #{n}"),
            Source::IamVulnerable(m) => format!("iam-vulnerable `{m}`"),
            Source::Pathfinding(id) => format!("pathfinding.cloud `{id}`"),
            Source::HackingTheCloud => "Hacking the Cloud".into(),
            Source::Pmapper(e) => format!("PMapper `{e}_edges`"),
            Source::Cloudsplaining(n) => format!("Cloudsplaining `{n}`"),
        }
    }
}

/// Existing compute a method takes over, which runs as a role the snapshot's list names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Compute {
    LambdaFunctions,
    Stacks,
    StackSets,
    Notebooks,
    DevEndpoints,
    GlueJobs,
    CodeBuildProjects,
    TaskDefinitions,
    RunningTasks,
    ManagedInstances,
    Instances,
    LaunchTemplates,
    AppRunnerServices,
    CodeInterpreters,
    BatchJobDefinitions,
}

impl Compute {
    /// What the snapshot would list, in words.
    pub fn noun(self) -> &'static str {
        match self {
            Compute::LambdaFunctions => "Lambda functions (with their roles)",
            Compute::Stacks => "CloudFormation stacks (with their service roles)",
            Compute::StackSets => "CloudFormation stack sets (with their administration roles)",
            Compute::Notebooks => "SageMaker notebook instances (with their roles)",
            Compute::DevEndpoints => "Glue development endpoints (with their roles)",
            Compute::GlueJobs => "Glue jobs",
            Compute::CodeBuildProjects => "CodeBuild projects (with their service roles)",
            Compute::TaskDefinitions => "ECS task definitions (with their task roles)",
            Compute::RunningTasks => "running ECS tasks (with their task roles)",
            Compute::ManagedInstances => "SSM-managed instances (with their instance profiles)",
            Compute::Instances => "EC2 instances' instance profiles",
            Compute::LaunchTemplates => "EC2 launch templates (with their instance profiles)",
            Compute::AppRunnerServices => "App Runner services (with their instance roles)",
            Compute::CodeInterpreters => "Bedrock AgentCore code interpreters (with their roles)",
            Compute::BatchJobDefinitions => "AWS Batch job definitions (with their roles)",
        }
    }

    /// A stand-in for one of them, when the snapshot does not list them.
    pub fn stand_in(self) -> &'static str {
        match self {
            Compute::LambdaFunctions => "arn:aws:lambda:{region}:{account}:function:vaultward-audit",
            Compute::Stacks => {
                "arn:aws:cloudformation:{region}:{account}:stack/vaultward-audit/00000000-0000-0000-0000-000000000000"
            }
            Compute::StackSets => {
                "arn:aws:cloudformation:{region}:{account}:stackset/vaultward-audit:00000000-0000-0000-0000-000000000000"
            }
            Compute::Notebooks => "arn:aws:sagemaker:{region}:{account}:notebook-instance/vaultward-audit",
            Compute::DevEndpoints => "arn:aws:glue:{region}:{account}:devEndpoint/vaultward-audit",
            Compute::GlueJobs => "arn:aws:glue:{region}:{account}:job/vaultward-audit",
            Compute::CodeBuildProjects => "arn:aws:codebuild:{region}:{account}:project/vaultward-audit",
            Compute::TaskDefinitions => "arn:aws:ecs:{region}:{account}:task-definition/vaultward-audit:1",
            Compute::RunningTasks => "arn:aws:ecs:{region}:{account}:task/vaultward-audit/0123456789abcdef0",
            Compute::ManagedInstances | Compute::Instances => {
                "arn:aws:ec2:{region}:{account}:instance/i-0vaultwardaudit"
            }
            Compute::LaunchTemplates => "arn:aws:ec2:{region}:{account}:launch-template/lt-0vaultwardaudit",
            Compute::AppRunnerServices => {
                "arn:aws:apprunner:{region}:{account}:service/vaultward-audit/0123456789abcdef"
            }
            Compute::CodeInterpreters => {
                "arn:aws:bedrock-agentcore:{region}:{account}:code-interpreter-custom/vaultward-audit"
            }
            Compute::BatchJobDefinitions => "arn:aws:batch:{region}:{account}:job-definition/vaultward-audit:1",
        }
    }
}

/// How a method comes to act with more than the role has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// `sts:AssumeRole` on a role of the export; its trust policy decides.
    Assume,
    /// `iam:PassRole` of a role `service` may assume, then the calls start code as it.
    Pass { service: &'static str },
    /// As `Pass`, through an instance profile holding the role (EC2 and what launches it).
    PassProfile,
    /// The calls change or run code in existing compute, which runs as its own role.
    Existing(Compute),
    /// `iam:PassRole` of a role `service` may assume to existing compute, which then runs
    /// as it (a job's role replaced, a task definition's role overridden).
    PassToExisting {
        service: &'static str,
        compute: Compute,
    },
    /// The service runs as a service role of the account that the export holds (a role
    /// `service` may assume); no `iam:PassRole`.
    ServiceRole { service: &'static str },
    /// An IAM write (`audit/escalation.rs`): what it grants is the writer's to choose.
    Iam,
}

/// A request of a method: action and resource template.
pub type Call = (&'static str, &'static str);

/// One published method.
#[derive(Debug, Clone, Copy)]
pub struct Method {
    pub code: &'static str,
    pub class: PathClass,
    pub how: How,
    /// The requests after `iam:PassRole` (for `Pass*`) or on their own, in order.
    pub calls: &'static [Call],
    /// What it reaches, in words.
    pub reaches: &'static str,
    pub sources: &'static [Source],
}

use How::*;
use PathClass::{AssumeRole, CodeInjection, IamWrite, PassRole};
use Source::*;

const NEW_INSTANCE: &str = "arn:aws:ec2:{region}:{account}:instance/*";
const NEW_FUNCTION: &str = "arn:aws:lambda:{region}:{account}:function:vaultward-audit";
const TARGET: &str = "{target}";
const RUN_AS: &str = "the passed role's permissions";
const RUNS_AS: &str = "the permissions of the role the compute runs as";

/// Every method the audit probes, in the order of its report.
pub const METHODS: &[Method] = &[
    Method {
        code: "assume-role",
        class: AssumeRole,
        how: Assume,
        calls: &[("sts:AssumeRole", "{role}")],
        reaches: "the assumed role's permissions, followed hop by hop",
        sources: &[Pathfinding("sts-001"), IamVulnerable("privesc-AssumeRole"), Pmapper("sts")],
    },
    Method {
        code: "passrole-ec2",
        class: PassRole,
        how: PassProfile,
        calls: &[("ec2:RunInstances", NEW_INSTANCE)],
        reaches: RUN_AS,
        sources: &[Rhino(3), IamVulnerable("privesc3-CreateEC2WithExistingIP"), Pathfinding("ec2-001"), Pmapper("ec2"), Cloudsplaining("CreateEC2WithExistingIP"), HackingTheCloud],
    },
    Method {
        code: "passrole-ec2-spot",
        class: PassRole,
        how: PassProfile,
        calls: &[("ec2:RequestSpotInstances", "arn:aws:ec2:{region}:{account}:spot-instances-request/*")],
        reaches: RUN_AS,
        sources: &[Pathfinding("ec2-004")],
    },
    Method {
        code: "passrole-autoscaling-launch-configuration",
        class: PassRole,
        how: PassProfile,
        calls: &[
            ("autoscaling:CreateLaunchConfiguration", "arn:aws:autoscaling:{region}:{account}:launchConfiguration:00000000-0000-0000-0000-000000000000:launchConfigurationName/vaultward-audit"),
            ("autoscaling:CreateAutoScalingGroup", "arn:aws:autoscaling:{region}:{account}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/vaultward-audit"),
        ],
        reaches: RUN_AS,
        sources: &[Pmapper("autoscaling"), HackingTheCloud],
    },
    Method {
        code: "passrole-autoscaling-launch-template",
        class: PassRole,
        how: PassProfile,
        calls: &[
            ("ec2:CreateLaunchTemplate", "arn:aws:ec2:{region}:{account}:launch-template/*"),
            ("autoscaling:CreateAutoScalingGroup", "arn:aws:autoscaling:{region}:{account}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/vaultward-audit"),
        ],
        reaches: RUN_AS,
        sources: &[HackingTheCloud],
    },
    Method {
        code: "passrole-lambda",
        class: PassRole,
        how: Pass { service: "lambda.amazonaws.com" },
        calls: &[("lambda:CreateFunction", NEW_FUNCTION), ("lambda:InvokeFunction", NEW_FUNCTION)],
        reaches: RUN_AS,
        sources: &[Rhino(15), IamVulnerable("privesc15-PassExistingRoleToNewLambdaThenInvoke"), Pathfinding("lambda-001"), Pmapper("lambda"), Cloudsplaining("PassExistingRoleToNewLambdaThenInvoke"), HackingTheCloud],
    },
    Method {
        code: "passrole-lambda-event-source",
        class: PassRole,
        how: Pass { service: "lambda.amazonaws.com" },
        calls: &[("lambda:CreateFunction", NEW_FUNCTION), ("lambda:CreateEventSourceMapping", "*")],
        reaches: "the passed role's permissions, when a stream or queue delivers (no lambda:InvokeFunction)",
        sources: &[Rhino(17), IamVulnerable("privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo"), Pathfinding("lambda-002"), Cloudsplaining("PassExistingRoleToNewLambdaThenTriggerWithNewDynamo"), HackingTheCloud],
    },
    Method {
        code: "passrole-lambda-add-permission",
        class: PassRole,
        how: Pass { service: "lambda.amazonaws.com" },
        calls: &[("lambda:CreateFunction", NEW_FUNCTION), ("lambda:AddPermission", NEW_FUNCTION)],
        reaches: "the passed role's permissions, invoked from another account",
        sources: &[Rhino(16), Pathfinding("lambda-006"), HackingTheCloud],
    },
    Method {
        code: "passrole-glue-dev-endpoint",
        class: PassRole,
        how: Pass { service: "glue.amazonaws.com" },
        calls: &[("glue:CreateDevEndpoint", "*")],
        reaches: RUN_AS,
        sources: &[Rhino(19), IamVulnerable("privesc18-PassExistingRoleToNewGlueDevEndpoint"), Pathfinding("glue-001"), Pmapper("glue"), Cloudsplaining("PassExistingRoleToNewGlueDevEndpoint"), HackingTheCloud],
    },
    Method {
        code: "passrole-glue-job",
        class: PassRole,
        how: Pass { service: "glue.amazonaws.com" },
        calls: &[("glue:CreateJob", "arn:aws:glue:{region}:{account}:job/vaultward-audit"), ("glue:StartJobRun", "arn:aws:glue:{region}:{account}:job/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[Pathfinding("glue-003"), HackingTheCloud],
    },
    Method {
        code: "passrole-glue-job-trigger",
        class: PassRole,
        how: Pass { service: "glue.amazonaws.com" },
        calls: &[("glue:CreateJob", "arn:aws:glue:{region}:{account}:job/vaultward-audit"), ("glue:CreateTrigger", "arn:aws:glue:{region}:{account}:trigger/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[Pathfinding("glue-004")],
    },
    Method {
        code: "passrole-glue-session",
        class: PassRole,
        how: Pass { service: "glue.amazonaws.com" },
        calls: &[("glue:CreateSession", "arn:aws:glue:{region}:{account}:session/vaultward-audit"), ("glue:RunStatement", "arn:aws:glue:{region}:{account}:session/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[Pathfinding("glue-007")],
    },
    Method {
        code: "passrole-glue-update-job",
        class: PassRole,
        how: PassToExisting { service: "glue.amazonaws.com", compute: Compute::GlueJobs },
        calls: &[("glue:UpdateJob", TARGET), ("glue:StartJobRun", TARGET)],
        reaches: RUN_AS,
        sources: &[Pathfinding("glue-005"), Pathfinding("glue-006"), HackingTheCloud],
    },
    Method {
        code: "passrole-cloudformation",
        class: PassRole,
        how: Pass { service: "cloudformation.amazonaws.com" },
        calls: &[("cloudformation:CreateStack", "arn:aws:cloudformation:{region}:{account}:stack/vaultward-audit/*")],
        reaches: RUN_AS,
        sources: &[Rhino(21), IamVulnerable("privesc20-PassExistingRoleToCloudFormation"), Pathfinding("cloudformation-001"), Pmapper("cloudformation"), Cloudsplaining("PassExistingRoleToCloudFormation"), HackingTheCloud],
    },
    Method {
        code: "passrole-cloudformation-stackset",
        class: PassRole,
        how: Pass { service: "cloudformation.amazonaws.com" },
        calls: &[("cloudformation:CreateStackSet", "*"), ("cloudformation:CreateStackInstances", "arn:aws:cloudformation:{region}:{account}:stackset/vaultward-audit:*")],
        reaches: RUN_AS,
        sources: &[Pathfinding("cloudformation-003")],
    },
    Method {
        code: "passrole-cloudformation-update-stackset",
        class: PassRole,
        how: PassToExisting { service: "cloudformation.amazonaws.com", compute: Compute::StackSets },
        calls: &[("cloudformation:UpdateStackSet", TARGET)],
        reaches: RUN_AS,
        sources: &[Pathfinding("cloudformation-004")],
    },
    Method {
        code: "passrole-datapipeline",
        class: PassRole,
        how: Pass { service: "datapipeline.amazonaws.com" },
        calls: &[("datapipeline:CreatePipeline", "*"), ("datapipeline:PutPipelineDefinition", "*"), ("datapipeline:ActivatePipeline", "*")],
        reaches: RUN_AS,
        sources: &[Rhino(22), IamVulnerable("privesc21-PassExistingRoleToNewDataPipeline"), Pmapper("datapipeline"), Cloudsplaining("PassExistingRoleToNewDataPipeline"), HackingTheCloud],
    },
    Method {
        code: "passrole-sagemaker",
        class: PassRole,
        how: Pass { service: "sagemaker.amazonaws.com" },
        calls: &[("sagemaker:CreateNotebookInstance", "arn:aws:sagemaker:{region}:{account}:notebook-instance/vaultward-audit"), ("sagemaker:CreatePresignedNotebookInstanceUrl", "arn:aws:sagemaker:{region}:{account}:notebook-instance/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[Rhino(27), IamVulnerable("privesc-sageMakerCreateNotebookPassRole"), Pathfinding("sagemaker-001"), Pmapper("sagemaker")],
    },
    Method {
        code: "passrole-sagemaker-training-job",
        class: PassRole,
        how: Pass { service: "sagemaker.amazonaws.com" },
        calls: &[("sagemaker:CreateTrainingJob", "arn:aws:sagemaker:{region}:{account}:training-job/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[IamVulnerable("privesc-sageMakerCreateTrainingJob"), Pathfinding("sagemaker-002"), Pmapper("sagemaker")],
    },
    Method {
        code: "passrole-sagemaker-processing-job",
        class: PassRole,
        how: Pass { service: "sagemaker.amazonaws.com" },
        calls: &[("sagemaker:CreateProcessingJob", "arn:aws:sagemaker:{region}:{account}:processing-job/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[IamVulnerable("privesc-sageMakerCreateProcessingJob"), Pathfinding("sagemaker-003"), Pmapper("sagemaker")],
    },
    Method {
        code: "passrole-codebuild",
        class: PassRole,
        how: Pass { service: "codebuild.amazonaws.com" },
        calls: &[("codebuild:CreateProject", "arn:aws:codebuild:{region}:{account}:project/vaultward-audit"), ("codebuild:StartBuild", "arn:aws:codebuild:{region}:{account}:project/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[IamVulnerable("privesc-codeBuildCreateProjectPassRole"), Pathfinding("codebuild-001"), Pmapper("codebuild")],
    },
    Method {
        code: "passrole-codebuild-batch",
        class: PassRole,
        how: Pass { service: "codebuild.amazonaws.com" },
        calls: &[("codebuild:CreateProject", "arn:aws:codebuild:{region}:{account}:project/vaultward-audit"), ("codebuild:StartBuildBatch", "arn:aws:codebuild:{region}:{account}:project/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[Pathfinding("codebuild-004"), Pmapper("codebuild")],
    },
    Method {
        code: "passrole-codestar",
        class: PassRole,
        how: Pass { service: "codestar.amazonaws.com" },
        calls: &[("codestar:CreateProject", "*")],
        reaches: RUN_AS,
        sources: &[Rhino(24), HackingTheCloud],
    },
    Method {
        code: "passrole-ecs",
        class: PassRole,
        how: Pass { service: "ecs-tasks.amazonaws.com" },
        calls: &[("ecs:RegisterTaskDefinition", "*"), ("ecs:RunTask", "arn:aws:ecs:{region}:{account}:task-definition/vaultward-audit:1")],
        reaches: RUN_AS,
        sources: &[Pathfinding("ecs-002"), Pathfinding("ecs-004"), Pmapper("ecs")],
    },
    Method {
        code: "passrole-ecs-service",
        class: PassRole,
        how: Pass { service: "ecs-tasks.amazonaws.com" },
        calls: &[("ecs:RegisterTaskDefinition", "*"), ("ecs:CreateService", "arn:aws:ecs:{region}:{account}:service/default/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[Pathfinding("ecs-001"), Pathfinding("ecs-003")],
    },
    Method {
        code: "passrole-ecs-start-task",
        class: PassRole,
        how: Pass { service: "ecs-tasks.amazonaws.com" },
        calls: &[("ecs:RegisterTaskDefinition", "*"), ("ecs:StartTask", "arn:aws:ecs:{region}:{account}:task-definition/vaultward-audit:1")],
        reaches: RUN_AS,
        sources: &[Pathfinding("ecs-005"), Pathfinding("ecs-007")],
    },
    Method {
        code: "passrole-ecs-override",
        class: PassRole,
        how: PassToExisting { service: "ecs-tasks.amazonaws.com", compute: Compute::TaskDefinitions },
        calls: &[("ecs:RunTask", TARGET)],
        reaches: "the passed role's permissions (the task role overridden at RunTask or StartTask)",
        sources: &[Pathfinding("ecs-008"), Pathfinding("ecs-009")],
    },
    Method {
        code: "passrole-apprunner",
        class: PassRole,
        how: Pass { service: "tasks.apprunner.amazonaws.com" },
        calls: &[("apprunner:CreateService", "arn:aws:apprunner:{region}:{account}:service/vaultward-audit/*")],
        reaches: RUN_AS,
        sources: &[Pathfinding("apprunner-001")],
    },
    Method {
        code: "passrole-bedrock-code-interpreter",
        class: PassRole,
        how: Pass { service: "bedrock-agentcore.amazonaws.com" },
        calls: &[
            ("bedrock-agentcore:CreateCodeInterpreter", "*"),
            ("bedrock-agentcore:StartCodeInterpreterSession", "arn:aws:bedrock-agentcore:{region}:{account}:code-interpreter-custom/vaultward-audit"),
            ("bedrock-agentcore:InvokeCodeInterpreter", "arn:aws:bedrock-agentcore:{region}:{account}:code-interpreter-custom/vaultward-audit"),
        ],
        reaches: RUN_AS,
        sources: &[Pathfinding("bedrock-001")],
    },
    Method {
        code: "passrole-bedrock-agent-runtime",
        class: PassRole,
        how: Pass { service: "bedrock-agentcore.amazonaws.com" },
        calls: &[("bedrock-agentcore:CreateAgentRuntime", "*"), ("bedrock-agentcore:InvokeAgentRuntime", "arn:aws:bedrock-agentcore:{region}:{account}:runtime/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[Pathfinding("bedrock-003")],
    },
    Method {
        code: "passrole-batch",
        class: PassRole,
        how: Pass { service: "ecs-tasks.amazonaws.com" },
        calls: &[("batch:RegisterJobDefinition", "arn:aws:batch:{region}:{account}:job-definition/vaultward-audit"), ("batch:SubmitJob", "arn:aws:batch:{region}:{account}:job-definition/vaultward-audit")],
        reaches: RUN_AS,
        sources: &[Pathfinding("batch-001"), Pathfinding("batch-003")],
    },
    Method {
        code: "codestar-project-from-template",
        class: PassRole,
        how: ServiceRole { service: "codestar.amazonaws.com" },
        calls: &[("codestar:CreateProjectFromTemplate", "*")],
        reaches: "the permissions of the account's CodeStar service role, which builds the project",
        sources: &[Rhino(23)],
    },
    Method {
        code: "lambda-update-code",
        class: CodeInjection,
        how: Existing(Compute::LambdaFunctions),
        calls: &[("lambda:UpdateFunctionCode", TARGET)],
        reaches: RUNS_AS,
        sources: &[Rhino(18), IamVulnerable("privesc17-EditExistingLambdaFunctionWithRole"), Pathfinding("lambda-003"), Pathfinding("lambda-004"), Pathfinding("lambda-005"), Pmapper("lambda"), Cloudsplaining("EditExistingLambdaFunctionWithRole"), HackingTheCloud],
    },
    Method {
        code: "lambda-update-configuration",
        class: CodeInjection,
        how: Existing(Compute::LambdaFunctions),
        calls: &[("lambda:UpdateFunctionConfiguration", TARGET)],
        reaches: "the permissions of the function's role (a layer of the writer's code)",
        sources: &[Rhino(26), HackingTheCloud],
    },
    Method {
        code: "glue-update-dev-endpoint",
        class: CodeInjection,
        how: Existing(Compute::DevEndpoints),
        calls: &[("glue:UpdateDevEndpoint", TARGET)],
        reaches: RUNS_AS,
        sources: &[Rhino(20), IamVulnerable("privesc19-UpdateExistingGlueDevEndpoint"), Pathfinding("glue-002"), Cloudsplaining("UpdateExistingGlueDevEndpoint"), HackingTheCloud],
    },
    Method {
        code: "cloudformation-update-stack",
        class: CodeInjection,
        how: Existing(Compute::Stacks),
        calls: &[("cloudformation:UpdateStack", TARGET)],
        reaches: "the permissions of the stack's service role (no iam:PassRole)",
        sources: &[IamVulnerable("privesc-cloudFormationUpdateStack"), Pathfinding("cloudformation-002"), Pmapper("cloudformation")],
    },
    Method {
        code: "cloudformation-change-set",
        class: CodeInjection,
        how: Existing(Compute::Stacks),
        calls: &[("cloudformation:CreateChangeSet", TARGET), ("cloudformation:ExecuteChangeSet", TARGET)],
        reaches: "the permissions of the stack's service role (no iam:PassRole)",
        sources: &[Pathfinding("cloudformation-005"), Pmapper("cloudformation")],
    },
    Method {
        code: "sagemaker-presigned-url",
        class: CodeInjection,
        how: Existing(Compute::Notebooks),
        calls: &[("sagemaker:CreatePresignedNotebookInstanceUrl", TARGET)],
        reaches: "the permissions of the notebook's role (a Jupyter session on it)",
        sources: &[Rhino(28), IamVulnerable("privesc-sageMakerCreatePresignedNotebookURL"), Pathfinding("sagemaker-004")],
    },
    Method {
        code: "sagemaker-lifecycle-config",
        class: CodeInjection,
        how: Existing(Compute::Notebooks),
        calls: &[
            ("sagemaker:CreateNotebookInstanceLifecycleConfig", "arn:aws:sagemaker:{region}:{account}:notebook-instance-lifecycle-config/vaultward-audit"),
            ("sagemaker:StopNotebookInstance", TARGET),
            ("sagemaker:UpdateNotebookInstance", TARGET),
            ("sagemaker:StartNotebookInstance", TARGET),
        ],
        reaches: "the permissions of the notebook's role (a start script of the writer's)",
        sources: &[Pathfinding("sagemaker-005")],
    },
    Method {
        code: "codebuild-start-build",
        class: CodeInjection,
        how: Existing(Compute::CodeBuildProjects),
        calls: &[("codebuild:StartBuild", TARGET)],
        reaches: "the permissions of the project's service role (a buildspec given at start)",
        sources: &[Pathfinding("codebuild-002"), Pmapper("codebuild")],
    },
    Method {
        code: "codebuild-start-build-batch",
        class: CodeInjection,
        how: Existing(Compute::CodeBuildProjects),
        calls: &[("codebuild:StartBuildBatch", TARGET)],
        reaches: "the permissions of the project's service role (a buildspec given at start)",
        sources: &[Pathfinding("codebuild-003")],
    },
    Method {
        code: "ecs-execute-command",
        class: CodeInjection,
        how: Existing(Compute::RunningTasks),
        calls: &[("ecs:ExecuteCommand", TARGET)],
        reaches: "the permissions of the task's role (a shell in its container)",
        sources: &[Pathfinding("ecs-006")],
    },
    Method {
        code: "ssm-send-command",
        class: CodeInjection,
        how: Existing(Compute::ManagedInstances),
        calls: &[("ssm:SendCommand", "arn:aws:ssm:{region}::document/AWS-RunShellScript"), ("ssm:SendCommand", TARGET)],
        reaches: "the permissions of the instance profile's role",
        sources: &[IamVulnerable("privesc-ssmSendCommand"), Pathfinding("ssm-002"), Pmapper("ssm")],
    },
    Method {
        code: "ssm-start-session",
        class: CodeInjection,
        how: Existing(Compute::ManagedInstances),
        calls: &[("ssm:StartSession", TARGET)],
        reaches: "the permissions of the instance profile's role",
        sources: &[IamVulnerable("privesc-ssmStartSession"), Pathfinding("ssm-001"), Pmapper("ssm")],
    },
    Method {
        code: "ec2-instance-connect",
        class: CodeInjection,
        how: Existing(Compute::Instances),
        calls: &[("ec2-instance-connect:SendSSHPublicKey", TARGET)],
        reaches: "the permissions of the instance profile's role (an SSH key pushed for a minute)",
        sources: &[IamVulnerable("privesc-ec2InstanceConnect"), Pathfinding("ec2-003")],
    },
    Method {
        code: "ec2-serial-console",
        class: CodeInjection,
        how: Existing(Compute::Instances),
        calls: &[("ec2-instance-connect:SendSerialConsoleSSHPublicKey", TARGET)],
        reaches: "the permissions of the instance profile's role (the serial console)",
        sources: &[IamVulnerable("privesc-ec2InstanceConnect")],
    },
    Method {
        code: "ec2-user-data",
        class: CodeInjection,
        how: Existing(Compute::Instances),
        calls: &[("ec2:StopInstances", TARGET), ("ec2:ModifyInstanceAttribute", TARGET), ("ec2:StartInstances", TARGET)],
        reaches: "the permissions of the instance profile's role (user data run at start)",
        sources: &[Pathfinding("ec2-002")],
    },
    Method {
        code: "ec2-launch-template-version",
        class: CodeInjection,
        how: Existing(Compute::LaunchTemplates),
        calls: &[("ec2:CreateLaunchTemplateVersion", TARGET), ("ec2:ModifyLaunchTemplate", TARGET)],
        reaches: "the permissions of the template's instance profile role (instances launched from it)",
        sources: &[Pathfinding("ec2-005")],
    },
    Method {
        code: "apprunner-update-service",
        class: CodeInjection,
        how: Existing(Compute::AppRunnerServices),
        calls: &[("apprunner:UpdateService", TARGET)],
        reaches: "the permissions of the service's instance role",
        sources: &[Pathfinding("apprunner-002")],
    },
    Method {
        code: "bedrock-code-interpreter",
        class: CodeInjection,
        how: Existing(Compute::CodeInterpreters),
        calls: &[("bedrock-agentcore:StartCodeInterpreterSession", TARGET), ("bedrock-agentcore:InvokeCodeInterpreter", TARGET)],
        reaches: "the permissions of the code interpreter's role",
        sources: &[Pathfinding("bedrock-002")],
    },
    Method {
        code: "batch-submit-job",
        class: CodeInjection,
        how: Existing(Compute::BatchJobDefinitions),
        calls: &[("batch:SubmitJob", TARGET)],
        reaches: "the permissions of the job definition's role (a command given at submit)",
        sources: &[Pathfinding("batch-002")],
    },
    Method {
        code: "iam-create-policy-version",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:CreatePolicyVersion", "arn:aws:iam::{account}:policy/*")],
        reaches: "whatever the new default version grants, to every principal the policy is attached to",
        sources: &[Rhino(1), IamVulnerable("privesc1-CreateNewPolicyVersion"), Pathfinding("iam-001"), Pathfinding("iam-016"), Pathfinding("iam-020"), Cloudsplaining("CreateNewPolicyVersion"), HackingTheCloud],
    },
    Method {
        code: "iam-set-default-policy-version",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:SetDefaultPolicyVersion", "arn:aws:iam::{account}:policy/*")],
        reaches: "what a non-default version of the export grants beyond the default one (evaluated)",
        sources: &[Rhino(2), IamVulnerable("privesc2-SetExistingDefaultPolicyVersion"), Cloudsplaining("SetExistingDefaultPolicyVersion"), HackingTheCloud],
    },
    Method {
        code: "iam-attach-policy",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:AttachRolePolicy", "arn:aws:iam::{account}:role/*"), ("iam:AttachUserPolicy", "arn:aws:iam::{account}:user/*"), ("iam:AttachGroupPolicy", "arn:aws:iam::{account}:group/*")],
        reaches: "any managed policy (AdministratorAccess) on the principal",
        sources: &[Rhino(7), Rhino(8), Rhino(9), IamVulnerable("privesc7-AttachUserPolicy"), IamVulnerable("privesc8-AttachGroupPolicy"), IamVulnerable("privesc9-AttachRolePolicy"), Pathfinding("iam-008"), Pathfinding("iam-009"), Pathfinding("iam-010"), Pathfinding("iam-014"), Pathfinding("iam-015"), Pathfinding("iam-019"), HackingTheCloud],
    },
    Method {
        code: "iam-put-inline-policy",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:PutRolePolicy", "arn:aws:iam::{account}:role/*"), ("iam:PutUserPolicy", "arn:aws:iam::{account}:user/*"), ("iam:PutGroupPolicy", "arn:aws:iam::{account}:group/*")],
        reaches: "any inline policy on the principal",
        sources: &[Rhino(10), Rhino(11), Rhino(12), IamVulnerable("privesc10-PutUserPolicy"), IamVulnerable("privesc11-PutGroupPolicy"), IamVulnerable("privesc12-PutRolePolicy"), Pathfinding("iam-005"), Pathfinding("iam-007"), Pathfinding("iam-011"), Pathfinding("iam-017"), Pathfinding("iam-018"), Pathfinding("iam-021"), HackingTheCloud],
    },
    Method {
        code: "iam-update-trust-policy",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:UpdateAssumeRolePolicy", "arn:aws:iam::{account}:role/*")],
        reaches: "the role, for the writer or anyone it names (a trust naming a role of the account needs no sts:AssumeRole grant)",
        sources: &[Rhino(14), IamVulnerable("privesc14-UpdatingAssumeRolePolicy"), Pathfinding("iam-012"), Pmapper("iam"), Cloudsplaining("UpdatingAssumeRolePolicy"), HackingTheCloud],
    },
    Method {
        code: "iam-remove-boundary",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:DeleteRolePermissionsBoundary", "{self}"), ("iam:PutRolePermissionsBoundary", "{self}")],
        reaches: "the role's identity policies without the boundary's limit",
        sources: &[HackingTheCloud],
    },
    Method {
        code: "iam-remove-deny",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:DeleteRolePolicy", "{self}"), ("iam:DetachRolePolicy", "{self}")],
        reaches: "what the role's other policies allow and a Deny in its own policies refused",
        sources: &[HackingTheCloud],
    },
    Method {
        code: "iam-create-access-key",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:CreateAccessKey", "arn:aws:iam::{account}:user/*")],
        reaches: "the user's permissions, with keys of the writer's",
        sources: &[Rhino(4), IamVulnerable("privesc4-CreateAccessKey"), Pathfinding("iam-002"), Pathfinding("iam-003"), Pmapper("iam"), Cloudsplaining("CreateAccessKey"), HackingTheCloud],
    },
    Method {
        code: "iam-login-profile",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:CreateLoginProfile", "arn:aws:iam::{account}:user/*"), ("iam:UpdateLoginProfile", "arn:aws:iam::{account}:user/*")],
        reaches: "the user's permissions, in the console with a password of the writer's",
        sources: &[Rhino(5), Rhino(6), IamVulnerable("privesc5-CreateLoginProfile"), IamVulnerable("privesc6-UpdateLoginProfile"), Pathfinding("iam-004"), Pathfinding("iam-006"), Pmapper("iam"), Cloudsplaining("CreateLoginProfile"), Cloudsplaining("UpdateLoginProfile"), HackingTheCloud],
    },
    Method {
        code: "iam-add-user-to-group",
        class: IamWrite,
        how: Iam,
        calls: &[("iam:AddUserToGroup", "arn:aws:iam::{account}:group/*")],
        reaches: "the group's permissions, for a user of the writer's",
        sources: &[Rhino(13), IamVulnerable("privesc13-AddUserToGroup"), Pathfinding("iam-013"), Cloudsplaining("AddUserToGroup"), HackingTheCloud],
    },
    Method {
        code: "codestar-associate-team-member",
        class: IamWrite,
        how: Iam,
        calls: &[("codestar:CreateProject", "*"), ("codestar:AssociateTeamMember", "arn:aws:codestar:{region}:{account}:project/vaultward-audit")],
        reaches: "the IAM policy CodeStar attaches to a project's owner, for a user of the writer's",
        sources: &[Rhino(25), HackingTheCloud],
    },
];

/// The row of a code.
pub fn method(code: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.code == code)
}

/// Fills a resource template.
pub fn fill(template: &str, region: &str, account: &str, target: &str) -> String {
    template
        .replace("{target}", target)
        .replace("{region}", region)
        .replace("{account}", account)
}
