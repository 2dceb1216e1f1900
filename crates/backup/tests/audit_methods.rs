//! `vaultward audit`, one published escalation method at a time: for each, the smallest
//! vulnerable role (its requests, each on `*`) opens the method's path; without any one of
//! them it does not; and a near miss (a wrong resource, a blocking condition, a Deny, an
//! SCP) stays clean. Methods on existing compute the snapshot does not list are possible
//! (exit 3), never clean. `docs/escalation.md` and the audit part of `docs/codes.md` are
//! written from the method table (`VAULTWARD_BLESS=1` rewrites them).
//!
//! Sources, per method: Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and
//! Mitigation" (https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/);
//! BishopFox's iam-vulnerable (https://github.com/BishopFox/iam-vulnerable, one module per
//! method); Datadog's pathfinding.cloud (https://pathfinding.cloud); Hacking the Cloud
//! (https://hackingthe.cloud/aws/exploitation/iam_privilege_escalation/). The cases are
//! written here, not copied. Policy evaluation:
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html;
//! `iam:PassedToService`: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use vaultward_backup::audit::methods::{How, METHODS};
use vaultward_backup::audit::{audit, codes_markdown, escalation_markdown, Audit, Verdict};
use vaultward_backup::{RequestFacts, Snapshot};

const ACCT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/audited";
const TARGET: &str = "arn:aws:iam::111122223333:role/Target";
const OTHER: &str = "arn:aws:iam::111122223333:role/Other";

/// Every service principal a method passes a role to.
const SERVICES: &[&str] = &[
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "glue.amazonaws.com",
    "cloudformation.amazonaws.com",
    "datapipeline.amazonaws.com",
    "sagemaker.amazonaws.com",
    "codebuild.amazonaws.com",
    "codestar.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "tasks.apprunner.amazonaws.com",
    "bedrock-agentcore.amazonaws.com",
];

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// The account: the audited role with `statements`, a `Target` role every service may
/// assume that can do anything (in the instance profile `target-profile`), an `Other`
/// role that grants nothing, a user, a group, a customer managed policy whose second
/// version grants everything, and `scp` as the organization's second SCP level.
fn account(statements: &[Value], scp: Option<Value>) -> Value {
    let root = json!([{"name": "FullAWSAccess", "document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}]);
    let levels = match scp {
        Some(deny) => {
            json!([root, [{"name": "guard", "document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}, deny]))}]])
        }
        None => json!([root]),
    };
    json!({
        "account_id": ACCT,
        "organization": {"scps": levels, "rcps": [[]]},
        "iam": {
            "UserDetailList": [{"UserName": "alice", "Arn": format!("arn:aws:iam::{ACCT}:user/alice")}],
            "GroupDetailList": [{"GroupName": "ops", "Arn": format!("arn:aws:iam::{ACCT}:group/ops")}],
            "RoleDetailList": [
                {"RoleName": "audited", "Arn": ROLE, "Path": "/",
                 "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}])),
                 "RolePolicyList": [{"PolicyName": "under-audit", "PolicyDocument": doc(Value::Array(statements.to_vec()))}],
                 "AttachedManagedPolicies": [], "InstanceProfileList": []},
                {"RoleName": "Target", "Arn": TARGET, "Path": "/",
                 "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"Service": SERVICES, "AWS": format!("arn:aws:iam::{ACCT}:root")}, "Action": "sts:AssumeRole"}])),
                 "RolePolicyList": [{"PolicyName": "admin", "PolicyDocument": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))}],
                 "AttachedManagedPolicies": [],
                 "InstanceProfileList": [{"InstanceProfileName": "target-profile", "Arn": format!("arn:aws:iam::{ACCT}:instance-profile/target-profile")}]},
                {"RoleName": "Other", "Arn": OTHER, "Path": "/",
                 "AssumeRolePolicyDocument": doc(json!([{"Effect": "Allow", "Principal": {"Service": SERVICES}, "Action": "sts:AssumeRole"}])),
                 "RolePolicyList": [], "AttachedManagedPolicies": [], "InstanceProfileList": []}
            ],
            "Policies": [{"PolicyName": "ops", "Arn": format!("arn:aws:iam::{ACCT}:policy/ops"), "Path": "/", "DefaultVersionId": "v1",
                "PolicyVersionList": [
                    {"Document": doc(json!([{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}])), "VersionId": "v1", "IsDefaultVersion": true},
                    {"Document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])), "VersionId": "v2", "IsDefaultVersion": false}]}]
        },
        "buckets": [], "kms_keys": [], "dynamodb_tables": [], "ec2_instances": [], "ebs_volumes": [], "backup_vaults": []
    })
}

fn run(v: &Value) -> Audit {
    let s = Snapshot::from_json("audit-methods", &v.to_string()).unwrap();
    audit(&s, ROLE, &RequestFacts::default()).unwrap()
}

fn allow(actions: &[&str]) -> Vec<Value> {
    actions
        .iter()
        .map(|a| json!({"Effect": "Allow", "Action": a, "Resource": "*"}))
        .collect()
}

/// What turns the vulnerable role into a near miss.
enum Near {
    /// The action granted only on this resource.
    Resource(&'static str, &'static str),
    /// The action granted only under this condition, which the request does not meet.
    Condition(&'static str, fn() -> Value),
    /// A Deny of the action in the role's own policy.
    Deny(&'static str),
    /// An SCP denies the action.
    Scp(&'static str),
}

/// (code, the smallest set of actions that opens it, a near miss)
fn cases() -> Vec<(&'static str, &'static [&'static str], Near)> {
    use Near::*;
    vec![
        (
            "assume-role",
            &["sts:AssumeRole"],
            Resource("sts:AssumeRole", OTHER),
        ),
        (
            "passrole-ec2",
            &["iam:PassRole", "ec2:RunInstances"],
            Condition(
                "ec2:RunInstances",
                || json!({"ArnEquals": {"ec2:InstanceProfile": "arn:aws:iam::111122223333:instance-profile/Target"}}),
            ),
        ),
        (
            "passrole-ec2-spot",
            &["iam:PassRole", "ec2:RequestSpotInstances"],
            Scp("ec2:RequestSpotInstances"),
        ),
        (
            "passrole-autoscaling-launch-configuration",
            &[
                "iam:PassRole",
                "autoscaling:CreateLaunchConfiguration",
                "autoscaling:CreateAutoScalingGroup",
            ],
            Deny("autoscaling:CreateAutoScalingGroup"),
        ),
        (
            "passrole-autoscaling-launch-template",
            &[
                "iam:PassRole",
                "ec2:CreateLaunchTemplate",
                "autoscaling:CreateAutoScalingGroup",
            ],
            Resource("iam:PassRole", OTHER),
        ),
        (
            "passrole-lambda",
            &[
                "iam:PassRole",
                "lambda:CreateFunction",
                "lambda:InvokeFunction",
            ],
            Condition(
                "iam:PassRole",
                || json!({"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}}),
            ),
        ),
        (
            "passrole-lambda-event-source",
            &[
                "iam:PassRole",
                "lambda:CreateFunction",
                "lambda:CreateEventSourceMapping",
            ],
            Scp("lambda:CreateEventSourceMapping"),
        ),
        (
            "passrole-lambda-add-permission",
            &[
                "iam:PassRole",
                "lambda:CreateFunction",
                "lambda:AddPermission",
            ],
            Resource(
                "lambda:AddPermission",
                "arn:aws:lambda:*:111122223333:function:prod-*",
            ),
        ),
        (
            "passrole-glue-dev-endpoint",
            &["iam:PassRole", "glue:CreateDevEndpoint"],
            Deny("glue:CreateDevEndpoint"),
        ),
        (
            "passrole-glue-job",
            &["iam:PassRole", "glue:CreateJob", "glue:StartJobRun"],
            Resource("iam:PassRole", OTHER),
        ),
        (
            "passrole-glue-job-trigger",
            &["iam:PassRole", "glue:CreateJob", "glue:CreateTrigger"],
            Scp("glue:CreateTrigger"),
        ),
        (
            "passrole-glue-session",
            &["iam:PassRole", "glue:CreateSession", "glue:RunStatement"],
            Deny("glue:RunStatement"),
        ),
        (
            "passrole-glue-update-job",
            &["iam:PassRole", "glue:UpdateJob", "glue:StartJobRun"],
            Deny("glue:UpdateJob"),
        ),
        (
            "passrole-cloudformation",
            &["iam:PassRole", "cloudformation:CreateStack"],
            Condition(
                "iam:PassRole",
                || json!({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
            ),
        ),
        (
            "passrole-cloudformation-stackset",
            &[
                "iam:PassRole",
                "cloudformation:CreateStackSet",
                "cloudformation:CreateStackInstances",
            ],
            Scp("cloudformation:CreateStackInstances"),
        ),
        (
            "passrole-cloudformation-update-stackset",
            &["iam:PassRole", "cloudformation:UpdateStackSet"],
            Resource(
                "cloudformation:UpdateStackSet",
                "arn:aws:cloudformation:*:999988887777:stackset/*",
            ),
        ),
        (
            "passrole-datapipeline",
            &[
                "iam:PassRole",
                "datapipeline:CreatePipeline",
                "datapipeline:PutPipelineDefinition",
                "datapipeline:ActivatePipeline",
            ],
            Deny("datapipeline:ActivatePipeline"),
        ),
        (
            "passrole-sagemaker",
            &[
                "iam:PassRole",
                "sagemaker:CreateNotebookInstance",
                "sagemaker:CreatePresignedNotebookInstanceUrl",
            ],
            Scp("sagemaker:CreateNotebookInstance"),
        ),
        (
            "passrole-sagemaker-training-job",
            &["iam:PassRole", "sagemaker:CreateTrainingJob"],
            Resource(
                "sagemaker:CreateTrainingJob",
                "arn:aws:sagemaker:*:111122223333:training-job/approved-*",
            ),
        ),
        (
            "passrole-sagemaker-processing-job",
            &["iam:PassRole", "sagemaker:CreateProcessingJob"],
            Condition(
                "iam:PassRole",
                || json!({"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}, "ArnLike": {"iam:AssociatedResourceArn": "arn:aws:sagemaker:*:*:training-job/*"}}),
            ),
        ),
        (
            "passrole-codebuild",
            &[
                "iam:PassRole",
                "codebuild:CreateProject",
                "codebuild:StartBuild",
            ],
            Deny("codebuild:StartBuild"),
        ),
        (
            "passrole-codebuild-batch",
            &[
                "iam:PassRole",
                "codebuild:CreateProject",
                "codebuild:StartBuildBatch",
            ],
            Scp("codebuild:CreateProject"),
        ),
        (
            "passrole-codestar",
            &["iam:PassRole", "codestar:CreateProject"],
            Resource("iam:PassRole", OTHER),
        ),
        (
            "passrole-ecs",
            &["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
            Resource(
                "ecs:RunTask",
                "arn:aws:ecs:*:111122223333:task-definition/approved:*",
            ),
        ),
        (
            "passrole-ecs-service",
            &[
                "iam:PassRole",
                "ecs:RegisterTaskDefinition",
                "ecs:CreateService",
            ],
            Deny("ecs:CreateService"),
        ),
        (
            "passrole-ecs-start-task",
            &[
                "iam:PassRole",
                "ecs:RegisterTaskDefinition",
                "ecs:StartTask",
            ],
            Scp("ecs:StartTask"),
        ),
        (
            "passrole-ecs-override",
            &["iam:PassRole", "ecs:RunTask"],
            Condition(
                "iam:PassRole",
                || json!({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
            ),
        ),
        (
            "passrole-apprunner",
            &["iam:PassRole", "apprunner:CreateService"],
            Deny("apprunner:CreateService"),
        ),
        (
            "passrole-bedrock-code-interpreter",
            &[
                "iam:PassRole",
                "bedrock-agentcore:CreateCodeInterpreter",
                "bedrock-agentcore:StartCodeInterpreterSession",
                "bedrock-agentcore:InvokeCodeInterpreter",
            ],
            Scp("bedrock-agentcore:InvokeCodeInterpreter"),
        ),
        (
            "passrole-bedrock-agent-runtime",
            &[
                "iam:PassRole",
                "bedrock-agentcore:CreateAgentRuntime",
                "bedrock-agentcore:InvokeAgentRuntime",
            ],
            Resource("iam:PassRole", OTHER),
        ),
        (
            "passrole-batch",
            &[
                "iam:PassRole",
                "batch:RegisterJobDefinition",
                "batch:SubmitJob",
            ],
            Deny("batch:SubmitJob"),
        ),
        (
            "codestar-project-from-template",
            &["codestar:CreateProjectFromTemplate"],
            Scp("codestar:CreateProjectFromTemplate"),
        ),
        (
            "lambda-update-code",
            &["lambda:UpdateFunctionCode"],
            Resource(
                "lambda:UpdateFunctionCode",
                "arn:aws:lambda:*:999988887777:function:*",
            ),
        ),
        (
            "lambda-update-configuration",
            &["lambda:UpdateFunctionConfiguration"],
            Deny("lambda:UpdateFunctionConfiguration"),
        ),
        (
            "glue-update-dev-endpoint",
            &["glue:UpdateDevEndpoint"],
            Scp("glue:UpdateDevEndpoint"),
        ),
        (
            "cloudformation-update-stack",
            &["cloudformation:UpdateStack"],
            Condition(
                "cloudformation:UpdateStack",
                || json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}, "Bool": {"aws:ViaAWSService": "true"}}),
            ),
        ),
        (
            "cloudformation-change-set",
            &[
                "cloudformation:CreateChangeSet",
                "cloudformation:ExecuteChangeSet",
            ],
            Deny("cloudformation:ExecuteChangeSet"),
        ),
        (
            "sagemaker-presigned-url",
            &["sagemaker:CreatePresignedNotebookInstanceUrl"],
            Resource(
                "sagemaker:CreatePresignedNotebookInstanceUrl",
                "arn:aws:sagemaker:*:999988887777:notebook-instance/*",
            ),
        ),
        (
            "sagemaker-lifecycle-config",
            &[
                "sagemaker:CreateNotebookInstanceLifecycleConfig",
                "sagemaker:StopNotebookInstance",
                "sagemaker:UpdateNotebookInstance",
                "sagemaker:StartNotebookInstance",
            ],
            Scp("sagemaker:UpdateNotebookInstance"),
        ),
        (
            "codebuild-start-build",
            &["codebuild:StartBuild"],
            Deny("codebuild:StartBuild"),
        ),
        (
            "codebuild-start-build-batch",
            &["codebuild:StartBuildBatch"],
            Resource(
                "codebuild:StartBuildBatch",
                "arn:aws:codebuild:*:999988887777:project/*",
            ),
        ),
        (
            "ecs-execute-command",
            &["ecs:ExecuteCommand"],
            Scp("ecs:ExecuteCommand"),
        ),
        (
            "ssm-send-command",
            &["ssm:SendCommand"],
            Resource(
                "ssm:SendCommand",
                "arn:aws:ssm:*:*:document/AWS-RunShellScript",
            ),
        ),
        (
            "ssm-start-session",
            &["ssm:StartSession"],
            Deny("ssm:StartSession"),
        ),
        (
            "ec2-instance-connect",
            &["ec2-instance-connect:SendSSHPublicKey"],
            Condition(
                "ec2-instance-connect:SendSSHPublicKey",
                || json!({"StringEquals": {"aws:ResourceTag/team": "sandbox"}}),
            ),
        ),
        (
            "ec2-serial-console",
            &["ec2-instance-connect:SendSerialConsoleSSHPublicKey"],
            Scp("ec2-instance-connect:SendSerialConsoleSSHPublicKey"),
        ),
        (
            "ec2-user-data",
            &[
                "ec2:StopInstances",
                "ec2:ModifyInstanceAttribute",
                "ec2:StartInstances",
            ],
            Deny("ec2:ModifyInstanceAttribute"),
        ),
        (
            "ec2-launch-template-version",
            &[
                "ec2:CreateLaunchTemplateVersion",
                "ec2:ModifyLaunchTemplate",
            ],
            Scp("ec2:ModifyLaunchTemplate"),
        ),
        (
            "apprunner-update-service",
            &["apprunner:UpdateService"],
            Resource(
                "apprunner:UpdateService",
                "arn:aws:apprunner:*:999988887777:service/*",
            ),
        ),
        (
            "bedrock-code-interpreter",
            &[
                "bedrock-agentcore:StartCodeInterpreterSession",
                "bedrock-agentcore:InvokeCodeInterpreter",
            ],
            Deny("bedrock-agentcore:InvokeCodeInterpreter"),
        ),
        (
            "batch-submit-job",
            &["batch:SubmitJob"],
            Scp("batch:SubmitJob"),
        ),
        (
            "iam-create-policy-version",
            &["iam:CreatePolicyVersion"],
            Resource("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/*"),
        ),
        (
            "iam-set-default-policy-version",
            &["iam:SetDefaultPolicyVersion"],
            Resource(
                "iam:SetDefaultPolicyVersion",
                "arn:aws:iam::111122223333:policy/other",
            ),
        ),
        (
            "iam-attach-policy",
            &["iam:AttachRolePolicy"],
            Scp("iam:AttachRolePolicy"),
        ),
        (
            "iam-attach-policy",
            &["iam:AttachUserPolicy"],
            Deny("iam:AttachUserPolicy"),
        ),
        (
            "iam-attach-policy",
            &["iam:AttachGroupPolicy"],
            Resource("iam:AttachGroupPolicy", "arn:aws:iam::999988887777:group/*"),
        ),
        (
            "iam-put-inline-policy",
            &["iam:PutRolePolicy"],
            Condition(
                "iam:PutRolePolicy",
                || json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
            ),
        ),
        (
            "iam-put-inline-policy",
            &["iam:PutUserPolicy"],
            Scp("iam:PutUserPolicy"),
        ),
        (
            "iam-put-inline-policy",
            &["iam:PutGroupPolicy"],
            Deny("iam:PutGroupPolicy"),
        ),
        (
            "iam-update-trust-policy",
            &["iam:UpdateAssumeRolePolicy"],
            Resource(
                "iam:UpdateAssumeRolePolicy",
                "arn:aws:iam::999988887777:role/*",
            ),
        ),
        (
            "iam-remove-boundary",
            &["iam:DeleteRolePermissionsBoundary"],
            Deny("iam:DeleteRolePermissionsBoundary"),
        ),
        (
            "iam-remove-boundary",
            &["iam:PutRolePermissionsBoundary"],
            Scp("iam:PutRolePermissionsBoundary"),
        ),
        (
            "iam-remove-deny",
            &["iam:DeleteRolePolicy"],
            Scp("iam:DeleteRolePolicy"),
        ),
        (
            "iam-remove-deny",
            &["iam:DetachRolePolicy"],
            Resource("iam:DetachRolePolicy", OTHER),
        ),
        (
            "iam-create-access-key",
            &["iam:CreateAccessKey"],
            Condition(
                "iam:CreateAccessKey",
                || json!({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
            ),
        ),
        (
            "iam-login-profile",
            &["iam:CreateLoginProfile"],
            Resource(
                "iam:CreateLoginProfile",
                "arn:aws:iam::111122223333:user/nobody",
            ),
        ),
        (
            "iam-login-profile",
            &["iam:UpdateLoginProfile"],
            Deny("iam:UpdateLoginProfile"),
        ),
        (
            "iam-add-user-to-group",
            &["iam:AddUserToGroup"],
            Scp("iam:AddUserToGroup"),
        ),
        (
            "codestar-associate-team-member",
            &["codestar:CreateProject", "codestar:AssociateTeamMember"],
            Deny("codestar:AssociateTeamMember"),
        ),
    ]
}

/// The near miss of a vulnerable role's statements: its statements and the SCP.
fn near_miss(actions: &[&str], near: &Near) -> (Vec<Value>, Option<Value>) {
    let mut st = allow(actions);
    let at = |a: &str| actions.iter().position(|x| *x == a).unwrap();
    let mut scp = None;
    match near {
        Near::Resource(a, r) => st[at(a)]["Resource"] = json!(r),
        Near::Condition(a, c) => st[at(a)]["Condition"] = c(),
        Near::Deny(a) => st.push(json!({"Effect": "Deny", "Action": a, "Resource": "*"})),
        Near::Scp(a) => scp = Some(json!({"Effect": "Deny", "Action": a, "Resource": "*"})),
    }
    (st, scp)
}

fn found(a: &Audit, code: &str) -> bool {
    a.paths.iter().any(|p| p.code == code)
}

#[test]
fn every_method_has_a_case() {
    let covered: Vec<&str> = cases().iter().map(|c| c.0).collect();
    for m in METHODS {
        assert!(covered.contains(&m.code), "no case for `{}`", m.code);
    }
}

#[test]
fn each_method_is_found_in_its_smallest_role_and_not_in_its_near_miss() {
    for (code, actions, near) in cases() {
        let m = METHODS.iter().find(|m| m.code == code).unwrap();
        // Removing a Deny of the role's own needs one to remove.
        let extra = if code == "iam-remove-deny" {
            vec![json!({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})]
        } else {
            Vec::new()
        };
        let with = |mut st: Vec<Value>| {
            st.extend(extra.iter().cloned());
            st
        };
        let a = run(&account(&with(allow(actions)), None));
        let p = a.paths.iter().find(|p| p.code == code);
        let p = p.unwrap_or_else(|| {
            panic!(
                "`{code}` not found: {:?}",
                a.paths.iter().map(|p| &p.code).collect::<Vec<_>>()
            )
        });
        // Compute the snapshot does not list: possible, with what would settle it.
        let unlisted = matches!(m.how, How::Existing(_) | How::PassToExisting { .. });
        assert_eq!(p.possible, unlisted, "{code}: {p:#?}");
        if unlisted {
            assert!(
                p.depends_on
                    .iter()
                    .any(|d| d.contains("collect the account's") || d.contains("has no list of")),
                "{code}: {:?}",
                p.depends_on
            );
            // Never clean; exit 3 unless another path is confirmed (stopping an instance
            // it did not create is destruction of its own).
            let want = if a.paths.iter().all(|p| p.possible) {
                3
            } else {
                1
            };
            assert_eq!(a.verdict.exit_code(), want, "{code}");
        } else {
            assert_eq!(a.verdict, Verdict::Paths, "{code}");
        }
        // A hop reaches the Target role's permissions, never the empty Other role.
        if matches!(
            m.how,
            How::Pass { .. }
                | How::PassProfile
                | How::PassToExisting { .. }
                | How::Assume
                | How::ServiceRole { .. }
        ) {
            assert!(
                a.paths
                    .iter()
                    .filter(|p| p.code == code)
                    .all(|p| p.target == TARGET),
                "{code}: {:?}",
                p.target
            );
            let end = p
                .reaches
                .as_ref()
                .unwrap_or_else(|| panic!("{code}: no end"));
            assert_eq!(end.role, TARGET);
        }
        // The smallest: without any one of its requests, the method is not open.
        for drop in actions.iter() {
            let fewer: Vec<&str> = actions.iter().copied().filter(|x| x != drop).collect();
            let b = run(&account(&with(allow(&fewer)), None));
            assert!(!found(&b, code), "{code} found without `{drop}`");
        }
        let (st, scp) = near_miss(actions, &near);
        let c = run(&account(&with(st), scp));
        assert!(
            !found(&c, code),
            "{code}: the near miss reports it: {:#?}",
            c.paths
                .iter()
                .filter(|p| p.code == code)
                .collect::<Vec<_>>()
        );
    }
}

/// A docs file's text, compared with what the table writes (`VAULTWARD_BLESS=1` writes it).
fn pinned(path: &str, want: &str, between: Option<(&str, &str)>) {
    let full = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    let current = std::fs::read_to_string(&full).unwrap_or_default();
    let next = match between {
        None => want.to_string(),
        Some((start, end)) => match (current.find(start), current.find(end)) {
            (Some(a), Some(b)) if a < b => {
                format!("{}{start}\n{want}{}", &current[..a], &current[b..])
            }
            _ => panic!("{path} lacks the markers {start} … {end}"),
        },
    };
    if next != current {
        if std::env::var_os("VAULTWARD_BLESS").is_some() {
            std::fs::write(&full, next).unwrap();
        } else {
            panic!("{path} differs from the method table: rerun with VAULTWARD_BLESS=1");
        }
    }
}

#[test]
fn docs_are_written_from_the_method_table() {
    pinned("docs/escalation.md", &escalation_markdown(), None);
    pinned(
        "docs/codes.md",
        &codes_markdown(),
        Some((
            "<!-- audit path classes: written from vaultward_backup::audit (VAULTWARD_BLESS=1 cargo test -p vaultward-backup --test audit_methods rewrites it) -->",
            "<!-- end of audit path classes -->",
        )),
    );
}
