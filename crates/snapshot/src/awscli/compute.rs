//! The compute lists from `compute/REGION/`: one folder per Region, since the AWS CLI reads
//! one Region at a time and some of these outputs (Glue's development endpoints, Systems
//! Manager's nodes) carry no Region of their own. A file missing from a Region's folder
//! leaves its list not collected (with the `.error` beside it, when there is one).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::Value;

use super::{json_files, read_json, subdirs, LoadError};
use crate::{
    BuildProject, DevEndpoint, EventSourceMapping, LambdaFunction, ManagedInstance,
    NotebookInstance, Snapshot, Stack, TaskDefinition,
};

fn str_at(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn array<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// A file of the Region's folder, or why the list it feeds is not collected.
fn file(region_dir: &Path, rel: &str, command: &str) -> Result<Result<Value, String>, LoadError> {
    let path = region_dir.join(rel);
    if let Some(v) = read_json(&path)? {
        return Ok(Ok(v));
    }
    let error = std::fs::read_to_string(path.with_extension("error"))
        .map(|e| format!(": {}", e.trim()))
        .unwrap_or_default();
    Ok(Err(format!(
        "`{}` is not in the export (`{command}`){error}",
        path.display()
    )))
}

/// Reads every Region's folder under `compute/` into `s`; lists with a file missing in any
/// Region are recorded in `s.not_collected`.
pub fn load(dir: &Path, s: &mut Snapshot) -> Result<(), LoadError> {
    let root = dir.join("compute");
    let regions = subdirs(&root);
    if regions.is_empty() {
        for list in crate::COMPUTE_LISTS {
            s.not_collected.insert(
                list.to_string(),
                "the export has no `compute/REGION/` folder".into(),
            );
        }
        return Ok(());
    }
    let profiles: HashMap<String, Option<String>> = s
        .ec2_instances
        .iter()
        .filter_map(|i| {
            let id = i.arn.rsplit('/').next()?.to_string();
            Some((id, i.instance_profile_arn.clone()))
        })
        .collect();
    let mut missing = BTreeMap::new();
    for r in &regions {
        let region = r
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let mut note = |list: &str, why: String| {
            missing.entry(list.to_string()).or_insert(why);
        };
        match file(r, "list-functions.json", "aws lambda list-functions")? {
            Ok(v) => s
                .lambda_functions
                .extend(array(&v, "Functions").filter_map(|f| {
                    Some(LambdaFunction {
                        arn: str_at(f, "/FunctionArn")?,
                        name: str_at(f, "/FunctionName").unwrap_or_default(),
                        role: str_at(f, "/Role"),
                    })
                })),
            Err(why) => note("lambda_functions", why),
        }
        match file(
            r,
            "list-event-source-mappings.json",
            "aws lambda list-event-source-mappings",
        )? {
            Ok(v) => {
                s.lambda_event_source_mappings
                    .extend(array(&v, "EventSourceMappings").filter_map(|m| {
                        Some(EventSourceMapping {
                            uuid: str_at(m, "/UUID")?,
                            function_arn: str_at(m, "/FunctionArn").unwrap_or_default(),
                            event_source_arn: str_at(m, "/EventSourceArn"),
                            state: str_at(m, "/State"),
                        })
                    }))
            }
            Err(why) => note("lambda_event_source_mappings", why),
        }
        match file(
            r,
            "describe-stacks.json",
            "aws cloudformation describe-stacks",
        )? {
            Ok(v) => s
                .cloudformation_stacks
                .extend(array(&v, "Stacks").filter_map(|st| {
                    Some(Stack {
                        arn: str_at(st, "/StackId")?,
                        name: str_at(st, "/StackName").unwrap_or_default(),
                        role_arn: str_at(st, "/RoleARN"),
                        status: str_at(st, "/StackStatus"),
                    })
                })),
            Err(why) => note("cloudformation_stacks", why),
        }
        match notebooks(r)? {
            Ok(n) => s.sagemaker_notebook_instances.extend(n),
            Err(why) => note("sagemaker_notebook_instances", why),
        }
        match file(r, "get-dev-endpoints.json", "aws glue get-dev-endpoints")? {
            Ok(v) => s
                .glue_dev_endpoints
                .extend(array(&v, "DevEndpoints").filter_map(|e| {
                    let name = str_at(e, "/EndpointName")?;
                    Some(DevEndpoint {
                        arn: format!("arn:aws:glue:{region}:{}:devEndpoint/{name}", s.account_id),
                        name,
                        role_arn: str_at(e, "/RoleArn"),
                        status: str_at(e, "/Status"),
                    })
                })),
            Err(why) => note("glue_dev_endpoints", why),
        }
        match file(
            r,
            "batch-get-projects.json",
            "aws codebuild batch-get-projects --names NAME...",
        )? {
            Ok(v) => s
                .codebuild_projects
                .extend(array(&v, "projects").filter_map(|p| {
                    Some(BuildProject {
                        arn: str_at(p, "/arn")?,
                        name: str_at(p, "/name").unwrap_or_default(),
                        service_role: str_at(p, "/serviceRole"),
                    })
                })),
            Err(why) => note("codebuild_projects", why),
        }
        match task_definitions(r)? {
            Ok(t) => s.ecs_task_definitions.extend(t),
            Err(why) => note("ecs_task_definitions", why),
        }
        match managed_instances(r, &region, &s.account_id, &profiles)? {
            Ok(m) => s.ssm_managed_instances.extend(m),
            Err(why) => note("ssm_managed_instances", why),
        }
    }
    s.not_collected.extend(missing);
    Ok(())
}

/// `list-notebook-instances.json`, and each listed notebook's
/// `notebook-instances/NAME.json` (`describe-notebook-instance`, which gives its role).
fn notebooks(r: &Path) -> Result<Result<Vec<NotebookInstance>, String>, LoadError> {
    let listed = match file(
        r,
        "list-notebook-instances.json",
        "aws sagemaker list-notebook-instances",
    )? {
        Ok(v) => v,
        Err(why) => return Ok(Err(why)),
    };
    let mut out = Vec::new();
    for n in array(&listed, "NotebookInstances") {
        let Some(name) = str_at(n, "/NotebookInstanceName") else {
            continue;
        };
        let described = match file(
            r,
            &format!("notebook-instances/{name}.json"),
            "aws sagemaker describe-notebook-instance --notebook-instance-name NAME",
        )? {
            Ok(d) => d,
            Err(why) => return Ok(Err(why)),
        };
        out.push(NotebookInstance {
            arn: str_at(n, "/NotebookInstanceArn").unwrap_or_default(),
            role_arn: str_at(&described, "/RoleArn"),
            status: str_at(n, "/NotebookInstanceStatus"),
            root_access: str_at(&described, "/RootAccess"),
            name,
        });
    }
    Ok(Ok(out))
}

/// `list-task-definitions.json`, and `task-definitions/*.json`
/// (`describe-task-definition`), one for each listed ARN.
fn task_definitions(r: &Path) -> Result<Result<Vec<TaskDefinition>, String>, LoadError> {
    let listed = match file(
        r,
        "list-task-definitions.json",
        "aws ecs list-task-definitions --status ACTIVE",
    )? {
        Ok(v) => v,
        Err(why) => return Ok(Err(why)),
    };
    let mut described: HashMap<String, TaskDefinition> = HashMap::new();
    for f in json_files(&r.join("task-definitions")) {
        let Some(v) = read_json(&f)? else { continue };
        let Some(t) = v.get("taskDefinition") else {
            return Err(LoadError {
                file: f.display().to_string(),
                message:
                    "no `taskDefinition`: expected the output of `aws ecs describe-task-definition`"
                        .into(),
            });
        };
        let Some(arn) = str_at(t, "/taskDefinitionArn") else {
            continue;
        };
        described.insert(
            arn.clone(),
            TaskDefinition {
                arn,
                family: str_at(t, "/family").unwrap_or_default(),
                revision: t
                    .get("revision")
                    .and_then(Value::as_i64)
                    .and_then(|r| i32::try_from(r).ok()),
                task_role_arn: str_at(t, "/taskRoleArn"),
                execution_role_arn: str_at(t, "/executionRoleArn"),
            },
        );
    }
    let mut out = Vec::new();
    for arn in array(&listed, "taskDefinitionArns").filter_map(Value::as_str) {
        match described.remove(arn) {
            Some(t) => out.push(t),
            None => {
                return Ok(Err(format!(
                    "`{arn}` is listed but not described in `{}` (`aws ecs describe-task-definition --task-definition ARN`)",
                    r.join("task-definitions").display()
                )))
            }
        }
    }
    Ok(Ok(out))
}

/// `describe-instance-information.json`, each EC2 node's instance profile taken from
/// `ec2/instances.json` (which must list it).
fn managed_instances(
    r: &Path,
    region: &str,
    account: &str,
    profiles: &HashMap<String, Option<String>>,
) -> Result<Result<Vec<ManagedInstance>, String>, LoadError> {
    let v = match file(
        r,
        "describe-instance-information.json",
        "aws ssm describe-instance-information",
    )? {
        Ok(v) => v,
        Err(why) => return Ok(Err(why)),
    };
    let mut out = Vec::new();
    for n in array(&v, "InstanceInformationList") {
        let Some(id) = str_at(n, "/InstanceId") else {
            continue;
        };
        let is_ec2 = id.starts_with("i-");
        let instance_profile_arn = if is_ec2 {
            match profiles.get(&id) {
                Some(p) => p.clone(),
                None => {
                    return Ok(Err(format!(
                    "node `{id}` is not in `ec2/instances.json`: its instance profile is unknown"
                )))
                }
            }
        } else {
            None
        };
        out.push(ManagedInstance {
            arn: if is_ec2 {
                format!("arn:aws:ec2:{region}:{account}:instance/{id}")
            } else {
                format!("arn:aws:ssm:{region}:{account}:managed-instance/{id}")
            },
            ping_status: str_at(n, "/PingStatus"),
            resource_type: str_at(n, "/ResourceType"),
            instance_profile_arn,
            iam_role: str_at(n, "/IamRole"),
            instance_id: id,
        });
    }
    Ok(Ok(out))
}
