//! The documents of the permissions file that are not the backup role's grants: the roles'
//! trust policies, the event topic's policy, the EventBridge role's policy and the rules.
//! The grants are in the service table ([`crate::service::TABLE`]).

use serde_json::{json, Value};

use crate::params::{AssetType, Params};

/// The main role's trust policy: one control-plane role of the vendor, with the external id.
pub fn trust_policy(p: &Params) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "ControlPlaneWithExternalId",
        "Effect": "Allow",
        "Principal": {"AWS": p.control_plane_arn()},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": p.external_id}}
    }]})
}

/// The EventBridge role used by continuous S3 backup: forwards events to the vendor's bus.
pub fn event_bridge_policy(p: &Params) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "ForwardToVendorEventBus",
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": format!("arn:aws:events:*:{}:event-bus/*", p.vendor_account)
    }]})
}

pub fn event_bridge_trust(p: &Params) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "EventBridgeOfThisAccount",
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": p.account}}
    }]})
}

/// The event topic's policy: publish only from the customer's account (its principals and
/// its EventBridge rules); subscribe and list only from the vendor's control plane.
pub fn topic_policy(p: &Params, topic_arn: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "PublishFromThisAccount", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{}:root", p.account)}, "Action": "sns:Publish", "Resource": topic_arn},
        {"Sid": "PublishFromThisAccountsRules", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": topic_arn, "Condition": {"StringEquals": {"aws:SourceAccount": p.account}}},
        {"Sid": "SubscribeFromControlPlane", "Effect": "Allow", "Principal": {"AWS": p.control_plane_arn()}, "Action": ["sns:Subscribe", "sns:ListSubscriptionsByTopic"], "Resource": topic_arn}
    ]})
}

/// The EventBridge rules that feed the topic (inventory changes) and, for continuous
/// backup, forward object events to the vendor.
pub fn rules(p: &Params) -> Vec<(String, Value, &'static str)> {
    let mut sources = Vec::new();
    for a in &p.assets {
        sources.push(match a {
            AssetType::S3 => "aws.s3",
            AssetType::DynamoDb => "aws.dynamodb",
            AssetType::Ec2 => "aws.ec2",
        });
    }
    let mut out = vec![(
        format!("{}InventoryChanges", p.name_token),
        json!({"source": sources, "detail-type": ["AWS API Call via CloudTrail"]}),
        "topic",
    )];
    if p.continuous_s3 {
        out.push((
            format!("{}S3ContinuousBackup", p.name_token),
            json!({"source": ["aws.s3"], "detail-type": ["Object Created", "Object Deleted"]}),
            "vendor-bus",
        ));
    }
    out
}
