//! Writing a [`Bundle`] as IAM JSON, CloudFormation (JSON or YAML) or Terraform, and the
//! stack sets of an organization ([`stackset`]).

use serde_json::{json, Map, Value};

use crate::bundle::Bundle;

mod stackset;
mod stackset_tf;
mod terraform;
mod yaml;

pub use stackset::{stackset, vendor_side, Organization, OutFile};
pub use terraform::terraform;
pub use yaml::to_yaml;

/// The output formats of `vaultward permissions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    CloudFormation,
    CloudFormationYaml,
    Terraform,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "json" => Format::Json,
            "cloudformation" => Format::CloudFormation,
            "cloudformation-yaml" => Format::CloudFormationYaml,
            "terraform" => Format::Terraform,
            _ => return None,
        })
    }
}

/// Renders the bundle in `format`, ending with a newline.
pub fn render(bundle: &Bundle, format: Format) -> String {
    match format {
        Format::Json => pretty(&serde_json::to_value(bundle).unwrap_or(Value::Null)),
        Format::CloudFormation => pretty(&cloudformation(bundle)),
        Format::CloudFormationYaml => to_yaml(&cloudformation(bundle)),
        Format::Terraform => terraform(bundle),
    }
}

pub(crate) fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn topic_ref(id: &str) -> Value {
    json!({"Ref": id})
}

/// The condition that holds in `region`'s stack.
fn in_region(region: &str) -> String {
    format!("In{}", crate::bundle::region_suffix(region))
}

/// The bundle as a CloudFormation template (JSON value).
///
/// A stack is regional, while EventBridge rules and S3 notifications need a topic and rules
/// in every region of the assets. With several regions the one template is deployed in each
/// (as a StackSet, or one stack per region): each stack creates its region's topic and
/// rules (`Condition: InEuWest1`), and the stack of the first region also the IAM roles and
/// policies, which are global (`Condition: InUsEast1`).
pub fn cloudformation(b: &Bundle) -> Value {
    template(b, Part::All)
}

/// Which of the bundle's resources a template holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// Everything, in one template deployed in each region (see [`cloudformation`]).
    All,
    /// The roles and policies only: global, one stack per account.
    Iam,
    /// The topics and rules only: one stack per account and region. Rules name the
    /// EventBridge role by its ARN, since the role lives in the IAM stack.
    Regional,
}

pub(crate) fn template(b: &Bundle, part: Part) -> Value {
    let regions = &b.parameters.regions;
    let multi = part == Part::All && regions.len() > 1;
    let home = regions.first().map(|r| in_region(r)).unwrap_or_default();
    let conditioned = |mut v: Value, condition: &str| {
        if multi {
            v["Condition"] = json!(condition);
        }
        v
    };
    let mut resources = Map::new();
    let mut outputs = Map::new();
    if part != Part::Regional {
        iam_resources(b, &mut resources);
        outputs.insert(
            "BackupRoleArn".into(),
            json!({"Description": "Give this ARN to the backup service", "Value": {"Fn::GetAtt": ["BackupRole", "Arn"]}}),
        );
        for v in resources.values_mut().chain(outputs.values_mut()) {
            *v = conditioned(v.take(), &home);
        }
    }
    if part != Part::Iam {
        for t in &b.topics {
            let cond = in_region(&t.region);
            resources.insert(
                t.id.clone(),
                conditioned(
                    json!({"Type": "AWS::SNS::Topic", "Properties": {"TopicName": t.name}}),
                    &cond,
                ),
            );
            // The policy names the topic by reference, so the template works in any region.
            let policy = with_topic_ref(&t.policy, &t.arn, &t.id);
            resources.insert(
                format!("{}Policy", t.id),
                conditioned(json!({"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": [topic_ref(&t.id)], "PolicyDocument": policy}}), &cond),
            );
            outputs.insert(
                format!("{}Arn", t.id),
                conditioned(json!({"Value": topic_ref(&t.id)}), &cond),
            );
        }
        for r in &b.rules {
            let target = match (&r.target_arn, &r.role) {
                (Some(arn), Some(role)) => {
                    // A stack that does not hold the role names it by its ARN.
                    let elsewhere =
                        part == Part::Regional || (multi && Some(&r.region) != regions.first());
                    let role_arn = match b.roles.iter().find(|x| &x.id == role) {
                        Some(x) if elsewhere => json!(x.arn),
                        _ => json!({"Fn::GetAtt": [role, "Arn"]}),
                    };
                    json!({"Arn": arn, "Id": "VendorEventBus", "RoleArn": role_arn})
                }
                _ => json!({"Arn": topic_ref(&r.topic), "Id": "EventTopic"}),
            };
            resources.insert(
                r.id.clone(),
                conditioned(json!({"Type": "AWS::Events::Rule", "Properties": {"Name": r.name, "EventPattern": r.event_pattern, "State": "ENABLED", "Targets": [target]}}), &in_region(&r.region)),
            );
        }
    }
    let description = match part {
        Part::All if multi => format!("Vaultward: the backup service's permissions in this account. Deploy in each of {} (a StackSet, or one stack per region): IAM is created in {}'s stack, each region's topic and rules in its own.", regions.join(", "), regions.first().map(String::as_str).unwrap_or("")),
        Part::All => "Vaultward: the backup service's permissions in this account".to_string(),
        Part::Iam => "Vaultward: the backup service's roles and policies in this account (IAM is global: one stack per account)".to_string(),
        Part::Regional => "Vaultward: the backup service's event topic and rules in this account and Region (one stack per account and Region, after the IAM stack)".to_string(),
    };
    let mut template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Resources": resources,
        "Outputs": outputs,
    });
    if multi {
        let conditions: Map<String, Value> = regions
            .iter()
            .map(|r| {
                (
                    in_region(r),
                    json!({"Fn::Equals": [{"Ref": "AWS::Region"}, r]}),
                )
            })
            .collect();
        template["Conditions"] = Value::Object(conditions);
    }
    template
}

/// The managed policies and the roles.
fn iam_resources(b: &Bundle, resources: &mut Map<String, Value>) {
    for p in &b.policies {
        resources.insert(
            p.id.clone(),
            json!({"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "ManagedPolicyName": p.name, "Path": p.path, "Description": p.description, "PolicyDocument": p.document
            }}),
        );
    }
    for r in &b.roles {
        let mut props = Map::new();
        props.insert("RoleName".into(), json!(r.name));
        props.insert("Path".into(), json!(r.path));
        props.insert("Description".into(), json!(r.description));
        props.insert("AssumeRolePolicyDocument".into(), r.trust_policy.clone());
        props.insert("MaxSessionDuration".into(), json!(3600));
        if !r.managed_policies.is_empty() {
            props.insert(
                "ManagedPolicyArns".into(),
                Value::Array(
                    r.managed_policies
                        .iter()
                        .map(|id| json!({"Ref": id}))
                        .collect(),
                ),
            );
        }
        if !r.inline_policies.is_empty() {
            props.insert(
                "Policies".into(),
                Value::Array(
                    r.inline_policies
                        .iter()
                        .map(|i| json!({"PolicyName": i.name, "PolicyDocument": i.document}))
                        .collect(),
                ),
            );
        }
        if let Some(pb) = &r.permissions_boundary {
            props.insert("PermissionsBoundary".into(), json!(pb));
        }
        resources.insert(
            r.id.clone(),
            json!({"Type": "AWS::IAM::Role", "Properties": props}),
        );
    }
}

/// Replaces the topic's ARN in its policy by a `Ref` to the topic resource.
fn with_topic_ref(policy: &Value, arn: &str, id: &str) -> Value {
    match policy {
        Value::String(s) if s == arn => topic_ref(id),
        Value::Array(a) => Value::Array(a.iter().map(|v| with_topic_ref(v, arn, id)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), with_topic_ref(v, arn, id)))
                .collect(),
        ),
        v => v.clone(),
    }
}
