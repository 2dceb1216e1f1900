//! Writing a [`Bundle`] as IAM JSON, CloudFormation (JSON or YAML) or Terraform.

use serde_json::{json, Map, Value};

use crate::bundle::Bundle;

mod terraform;
mod yaml;

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

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn topic_ref() -> Value {
    json!({"Ref": "EventTopic"})
}

/// The bundle as a CloudFormation template (JSON value).
pub fn cloudformation(b: &Bundle) -> Value {
    let mut resources = Map::new();
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
    for t in &b.topics {
        resources.insert(
            t.id.clone(),
            json!({"Type": "AWS::SNS::Topic", "Properties": {"TopicName": t.name}}),
        );
        // The policy names the topic by reference, so the template works in any region.
        let policy = with_topic_ref(&t.policy, &t.arn);
        resources.insert(format!("{}Policy", t.id), json!({"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": [topic_ref()], "PolicyDocument": policy}}));
    }
    for r in &b.rules {
        let target = match (&r.target_arn, &r.role) {
            (Some(arn), Some(role)) => {
                json!({"Arn": arn, "Id": "VendorEventBus", "RoleArn": {"Fn::GetAtt": [role, "Arn"]}})
            }
            _ => json!({"Arn": topic_ref(), "Id": "EventTopic"}),
        };
        resources.insert(
            r.id.clone(),
            json!({"Type": "AWS::Events::Rule", "Properties": {"Name": r.name, "EventPattern": r.event_pattern, "State": "ENABLED", "Targets": [target]}}),
        );
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Vaultward: the backup service's permissions in this account",
        "Resources": resources,
        "Outputs": {
            "BackupRoleArn": {"Description": "Give this ARN to the backup service", "Value": {"Fn::GetAtt": ["BackupRole", "Arn"]}},
            "EventTopicArn": {"Value": topic_ref()}
        }
    })
}

/// Replaces the topic's ARN in its policy by a `Ref` to the topic resource.
fn with_topic_ref(policy: &Value, arn: &str) -> Value {
    match policy {
        Value::String(s) if s == arn => topic_ref(),
        Value::Array(a) => Value::Array(a.iter().map(|v| with_topic_ref(v, arn)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), with_topic_ref(v, arn)))
                .collect(),
        ),
        v => v.clone(),
    }
}
