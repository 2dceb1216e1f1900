//! The account's compute that runs as a role, as the snapshot lists it (its compute lists,
//! `docs/snapshot.md`): what a method that takes over existing compute can reach. A list
//! the snapshot does not hold is `Err` (why, and what would settle it): a path that needs
//! it is possible, never clean. An empty list means there is none.

use std::collections::BTreeMap;

use serde_json::Value;
use vaultward_snapshot::Snapshot;

use super::escalation::{arn_of, export_list};
use super::methods::Compute;

/// One piece of compute: its ARN and the role it runs as.
#[derive(Debug, Clone)]
pub(super) struct Running {
    pub arn: String,
    pub runs_as: RunsAs,
    /// What makes it run without the role's asking, when the snapshot says (a Lambda
    /// function's event sources).
    pub runs_when: Option<String>,
}

/// The role compute runs as.
#[derive(Debug, Clone)]
pub(super) enum RunsAs {
    Role(String),
    /// None: it has no credentials of its own (a stack without a service role runs as its
    /// caller, a task definition without a task role, an instance without a profile).
    Nothing,
    /// The snapshot does not say: why.
    Unknown(String),
}

/// The snapshot's field for a kind of compute, when it has one.
pub(super) fn field(kind: Compute) -> Option<&'static str> {
    Some(match kind {
        Compute::LambdaFunctions => "lambda_functions",
        Compute::Stacks => "cloudformation_stacks",
        Compute::Notebooks => "sagemaker_notebook_instances",
        Compute::DevEndpoints => "glue_dev_endpoints",
        Compute::CodeBuildProjects => "codebuild_projects",
        Compute::TaskDefinitions => "ecs_task_definitions",
        Compute::ManagedInstances => "ssm_managed_instances",
        Compute::Instances => "ec2_instances",
        _ => return None,
    })
}

/// Each instance profile of the export and the role it holds, and each role's ARN by its
/// name.
fn profiles(s: &Snapshot) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let iam = s.iam.clone().unwrap_or(Value::Null);
    let (mut profiles, mut names) = (BTreeMap::new(), BTreeMap::new());
    for r in export_list(&iam, "RoleDetailList") {
        let Some(role) = arn_of(r) else { continue };
        if let Some(name) = r.get("RoleName").and_then(Value::as_str) {
            names.insert(name.to_string(), role.clone());
        }
        for p in export_list(r, "InstanceProfileList") {
            if let Some(p) = arn_of(p) {
                profiles.insert(p, role.clone());
            }
        }
    }
    (profiles, names)
}

/// The role of a given ARN field, or why it is not known.
fn role_or(arn: &str, role: &Option<String>, absent: RunsAs) -> Running {
    Running {
        arn: arn.to_string(),
        runs_as: role.clone().map_or(absent, RunsAs::Role),
        runs_when: None,
    }
}

fn unread(arn: &str) -> RunsAs {
    RunsAs::Unknown(format!(
        "the snapshot does not say which role `{arn}` runs as"
    ))
}

/// The role an instance profile holds, by the export.
fn profile_role(profiles: &BTreeMap<String, String>, arn: &str, profile: &str) -> RunsAs {
    match profiles.get(profile) {
        Some(role) => RunsAs::Role(role.clone()),
        None => RunsAs::Unknown(format!(
            "`{arn}` runs with the instance profile `{profile}`, which no role of the export is in"
        )),
    }
}

/// The compute of `kind` the snapshot lists, or why it does not.
pub(super) fn listed(s: &Snapshot, kind: Compute) -> Result<Vec<Running>, String> {
    let settle = format!("collect the account's {}", kind.noun());
    let Some(name) = field(kind) else {
        return Err(format!(
            "the snapshot format has no list of {}: which exist, and which role each runs as, decides this path",
            kind.noun()
        ));
    };
    if let Some(why) = s.not_collected.get(name) {
        return Err(format!("`{name}` was not collected ({why}): {settle}"));
    }
    // An instance's profile is read with the compute lists: a snapshot with none of them
    // (written before they were, or with `collect --no-compute`) may not say it.
    if kind == Compute::Instances
        && vaultward_snapshot::COMPUTE_LISTS
            .iter()
            .all(|l| s.not_collected.contains_key(*l))
    {
        return Err(format!(
            "the snapshot was collected without its compute lists, so its instances' profiles may be missing: {settle}"
        ));
    }
    let (profiles, names) = profiles(s);
    Ok(match kind {
        Compute::LambdaFunctions => s
            .lambda_functions
            .iter()
            .map(|f| {
                let mut r = role_or(&f.arn, &f.role, unread(&f.arn));
                // The function runs when an enabled source delivers, with no InvokeFunction.
                let sources: Vec<&str> = s
                    .lambda_event_source_mappings
                    .iter()
                    .filter(|m| m.function_arn == f.arn && m.state.as_deref() != Some("Disabled"))
                    .filter_map(|m| m.event_source_arn.as_deref())
                    .collect();
                if !sources.is_empty() {
                    r.runs_when = Some(format!("whenever `{}` delivers", sources.join("`, `")));
                }
                r
            })
            .collect(),
        Compute::Stacks => s
            .cloudformation_stacks
            .iter()
            .map(|x| role_or(&x.arn, &x.role_arn, RunsAs::Nothing))
            .collect(),
        Compute::Notebooks => s
            .sagemaker_notebook_instances
            .iter()
            .map(|n| role_or(&n.arn, &n.role_arn, unread(&n.arn)))
            .collect(),
        Compute::DevEndpoints => s
            .glue_dev_endpoints
            .iter()
            .map(|e| role_or(&e.arn, &e.role_arn, unread(&e.arn)))
            .collect(),
        Compute::CodeBuildProjects => s
            .codebuild_projects
            .iter()
            .map(|p| role_or(&p.arn, &p.service_role, unread(&p.arn)))
            .collect(),
        Compute::TaskDefinitions => s
            .ecs_task_definitions
            .iter()
            .map(|t| role_or(&t.arn, &t.task_role_arn, RunsAs::Nothing))
            .collect(),
        Compute::ManagedInstances => s
            .ssm_managed_instances
            .iter()
            .map(|m| Running {
                runs_when: None,
                arn: m.arn.clone(),
                runs_as: match (&m.instance_profile_arn, &m.iam_role) {
                    (Some(p), _) => profile_role(&profiles, &m.arn, p),
                    // A hybrid node's role, by its ARN or its name.
                    (None, Some(r)) if r.starts_with("arn:") => RunsAs::Role(r.clone()),
                    (None, Some(r)) => match names.get(r.rsplit('/').next().unwrap_or(r)) {
                        Some(arn) => RunsAs::Role(arn.clone()),
                        None => RunsAs::Unknown(format!(
                            "`{}` runs as the role `{r}`, which is not in the export",
                            m.arn
                        )),
                    },
                    (None, None) => RunsAs::Nothing,
                },
            })
            .collect(),
        Compute::Instances => s
            .ec2_instances
            .iter()
            .map(|i| Running {
                runs_when: None,
                arn: i.arn.clone(),
                runs_as: match &i.instance_profile_arn {
                    Some(p) => profile_role(&profiles, &i.arn, p),
                    None => RunsAs::Nothing,
                },
            })
            .collect(),
        _ => Vec::new(),
    })
}
