//! The permissions file as data: roles, managed policies, the event topic and the rules.
//! Every output format (JSON, CloudFormation, Terraform) is written from a [`Bundle`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::params::{ParamError, Params};
use crate::policies::{self, PolicySpec};
use crate::roles;

/// A role with its trust policy and policies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    /// Logical id, stable across formats (`BackupRole`).
    pub id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: String,
    pub trust_policy: Value,
    /// Logical ids of the managed policies attached.
    pub managed_policies: Vec<String>,
    pub inline_policies: Vec<InlinePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InlinePolicy {
    pub name: String,
    pub document: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub id: String,
    pub name: String,
    pub path: String,
    pub arn: String,
    pub description: String,
    pub document: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Topic {
    pub id: String,
    pub name: String,
    /// The region it lives in: one topic per selected region (rules and S3 notifications
    /// are regional, and a rule targets a topic of its own region).
    pub region: String,
    pub arn: String,
    pub policy: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub name: String,
    /// The region it lives in: one set of rules per selected region.
    pub region: String,
    /// The logical id of its region's topic (for `topic` targets).
    pub topic: String,
    pub event_pattern: Value,
    /// `topic` (the event topic) or `vendor-bus` (the vendor's event bus, through the EventBridge role).
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Everything the permissions file creates in the customer's account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    pub parameters: Params,
    pub roles: Vec<Role>,
    pub policies: Vec<ManagedPolicy>,
    pub topics: Vec<Topic>,
    pub rules: Vec<Rule>,
}

/// `eu-west-1` as `EuWest1`, for logical ids.
pub fn region_suffix(region: &str) -> String {
    region
        .split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn policy_id(name: &str, token: &str) -> String {
    name.strip_prefix(token).unwrap_or(name).to_string()
}

/// Builds the permissions file for `p` (validated first).
pub fn generate(p: &Params) -> Result<Bundle, Vec<ParamError>> {
    p.validate()?;
    let specs: Vec<PolicySpec> = policies::policies(p);
    let t = &p.name_token;
    let policies: Vec<ManagedPolicy> = specs
        .iter()
        .map(|s| ManagedPolicy {
            id: policy_id(&s.name, t),
            name: s.name.clone(),
            path: p.role_path.clone(),
            arn: format!("arn:aws:iam::{}:policy{}{}", p.account, p.role_path, s.name),
            description: s.description.to_string(),
            document: s.document(),
        })
        .collect();
    let mut roles = vec![Role {
        id: "BackupRole".into(),
        name: p.role_name(),
        path: p.role_path.clone(),
        arn: p.role_arn(),
        description: "Assumed by the backup service's control plane to inventory, back up and restore the selected assets".into(),
        trust_policy: roles::trust_policy(p),
        managed_policies: policies.iter().map(|m| m.id.clone()).collect(),
        inline_policies: Vec::new(),
        permissions_boundary: p.permissions_boundary.clone(),
    }];
    if p.support_role {
        roles.push(Role {
            id: "SupportRole".into(),
            name: format!("{t}SupportRole"),
            path: p.role_path.clone(),
            arn: format!(
                "arn:aws:iam::{}:role{}{t}SupportRole",
                p.account, p.role_path
            ),
            description: "Optional: lets the vendor's support open and follow support cases".into(),
            trust_policy: roles::trust_policy(p),
            managed_policies: Vec::new(),
            inline_policies: vec![InlinePolicy {
                name: format!("{t}SupportPolicy"),
                document: policies::support_policy(p)
                    .map(|s| s.document())
                    .unwrap_or_default(),
            }],
            permissions_boundary: p.permissions_boundary.clone(),
        });
    }
    if p.continuous_s3 {
        roles.push(Role {
            id: "S3ContinuousBackupEventBridgeRole".into(),
            name: format!("{t}S3ContinuousBackupEventBridgeRole"),
            path: p.role_path.clone(),
            arn: format!(
                "arn:aws:iam::{}:role{}{t}S3ContinuousBackupEventBridgeRole",
                p.account, p.role_path
            ),
            description:
                "Used by EventBridge to forward S3 object events to the vendor's event bus".into(),
            trust_policy: roles::event_bridge_trust(p),
            managed_policies: Vec::new(),
            inline_policies: vec![InlinePolicy {
                name: format!("{t}S3ContinuousBackupEventBridgePolicy"),
                document: roles::event_bridge_policy(p),
            }],
            permissions_boundary: p.permissions_boundary.clone(),
        });
    }
    let mut topics = Vec::new();
    let mut rules = Vec::new();
    for (i, region) in p.regions.iter().enumerate() {
        // The first region keeps the plain logical ids; the others are suffixed with
        // their region (`EventTopicEuWest1`).
        let suffix = if i == 0 {
            String::new()
        } else {
            region_suffix(region)
        };
        let topic_id = format!("EventTopic{suffix}");
        let topic_arn = format!("arn:aws:sns:{region}:{}:{t}EventPub", p.account);
        topics.push(Topic {
            id: topic_id.clone(),
            name: format!("{t}EventPub"),
            region: region.clone(),
            policy: roles::topic_policy(p, &topic_arn),
            arn: topic_arn,
        });
        for (name, pattern, target) in roles::rules(p) {
            rules.push(Rule {
                id: format!("{}{suffix}", policy_id(&name, t)),
                name,
                region: region.clone(),
                topic: topic_id.clone(),
                event_pattern: pattern,
                target: target.into(),
                target_arn: (target == "vendor-bus").then(|| {
                    format!(
                        "arn:aws:events:{region}:{}:event-bus/default",
                        p.vendor_account
                    )
                }),
                role: (target == "vendor-bus")
                    .then(|| "S3ContinuousBackupEventBridgeRole".to_string()),
            });
        }
    }
    Ok(Bundle {
        parameters: p.clone(),
        roles,
        policies,
        topics,
        rules,
    })
}
