//! The AWS-managed organization policies AWS attaches itself: `FullAWSAccess` (an SCP,
//! attached to every root, OU and account when SCPs are enabled) and `RCPFullAWSAccess`
//! (an RCP, attached the same way when RCPs are enabled; it cannot be detached).
//!
//! Sources: AWS Organizations User Guide, "Service control policies (SCPs)" and
//! "Resource control policies (RCPs)"
//! (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html,
//! https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
//! An RCP written by a customer may only deny (`validate --kind rcp` says so); the
//! managed one allows everything and is read as AWS attaches it, whatever form an
//! export gives it in: by its id, its name, or its content.

use serde_json::Value;

use crate::policy::{parse_policy, Policy, PolicyKind};

/// An AWS-managed organization policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Managed {
    /// The SCP `FullAWSAccess` (`p-FullAWSAccess`).
    FullAwsAccess,
    /// The RCP `RCPFullAWSAccess` (`p-RCPFullAWSAccess`).
    RcpFullAwsAccess,
}

impl Managed {
    pub fn id(self) -> &'static str {
        match self {
            Managed::FullAwsAccess => "p-FullAWSAccess",
            Managed::RcpFullAwsAccess => "p-RCPFullAWSAccess",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Managed::FullAwsAccess => "FullAWSAccess",
            Managed::RcpFullAwsAccess => "RCPFullAWSAccess",
        }
    }

    /// The policy's content, as `aws organizations describe-policy` returns it.
    pub fn document(self) -> &'static str {
        match self {
            Managed::FullAwsAccess => {
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
            }
            Managed::RcpFullAwsAccess => {
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#
            }
        }
    }

    /// The kind of organization policy it is.
    pub fn kind(self) -> PolicyKind {
        match self {
            Managed::FullAwsAccess => PolicyKind::Scp,
            Managed::RcpFullAwsAccess => PolicyKind::Rcp,
        }
    }

    /// The parsed policy. The RCP is read with the rules of a resource policy: it is the
    /// one RCP AWS lets allow.
    pub fn policy(self) -> Policy {
        let kind = match self {
            Managed::FullAwsAccess => PolicyKind::Scp,
            Managed::RcpFullAwsAccess => PolicyKind::Resource,
        };
        parse_policy(self.document(), kind)
            .policy
            .unwrap_or_else(|| Policy {
                version: None,
                id: None,
                statements: Vec::new(),
            })
    }

    /// Which managed policy of `kind` this is, if any: by content (the same statements,
    /// however they are spelled) when there is content, otherwise by id or name
    /// (`p-RCPFullAWSAccess`, `RCPFullAWSAccess`, as the Organizations API and its exports
    /// name it). A policy with other content is never taken for the managed one, whatever
    /// its name.
    pub fn recognize(
        kind: PolicyKind,
        name_or_id: Option<&str>,
        content: Option<&str>,
    ) -> Option<Managed> {
        let m = match kind {
            PolicyKind::Scp => Managed::FullAwsAccess,
            PolicyKind::Rcp => Managed::RcpFullAwsAccess,
            _ => return None,
        };
        let Some(content) = content else {
            return name_or_id
                .is_some_and(|n| n == m.id() || n == m.name())
                .then_some(m);
        };
        let ours = normalize(&serde_json::from_str(m.document()).ok()?);
        let theirs = normalize(&serde_json::from_str(content).ok()?);
        (ours == theirs).then_some(m)
    }
}

/// A policy document with what does not change its meaning taken out: `Sid`s, single
/// values written as lists, a single statement written as an object, `Id`.
fn normalize(v: &Value) -> Value {
    let statements = match v.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(s @ Value::Object(_)) => vec![s.clone()],
        _ => return v.clone(),
    };
    let statements: Vec<Value> = statements
        .iter()
        .map(|s| {
            let Some(obj) = s.as_object() else {
                return s.clone();
            };
            let mut out = serde_json::Map::new();
            for (k, val) in obj {
                if k == "Sid" {
                    continue;
                }
                let val = match val {
                    Value::Array(a) if a.len() == 1 => a.first().cloned().unwrap_or(Value::Null),
                    Value::Object(m) if k == "Principal" && m.len() == 1 => match m.get("AWS") {
                        Some(Value::String(s)) if s == "*" => Value::String("*".into()),
                        _ => val.clone(),
                    },
                    other => other.clone(),
                };
                out.insert(k.clone(), val);
            }
            Value::Object(out)
        })
        .collect();
    serde_json::json!({
        "Version": v.get("Version").cloned().unwrap_or(Value::Null),
        "Statement": statements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognized_by_id_name_or_content() {
        for m in [Managed::FullAwsAccess, Managed::RcpFullAwsAccess] {
            assert_eq!(Managed::recognize(m.kind(), Some(m.id()), None), Some(m));
            assert_eq!(Managed::recognize(m.kind(), Some(m.name()), None), Some(m));
            assert_eq!(Managed::recognize(m.kind(), Some("other"), None), None);
            assert_eq!(
                Managed::recognize(m.kind(), None, Some(m.document())),
                Some(m)
            );
            assert!(!m.policy().statements.is_empty());
        }
        // The same content, spelled as people and exports spell it.
        let spelled = r#"{"Version": "2012-10-17", "Statement": {"Sid": "AllowAll", "Effect": "Allow",
            "Principal": {"AWS": "*"}, "Action": ["*"], "Resource": "*"}}"#;
        assert_eq!(
            Managed::recognize(PolicyKind::Rcp, Some("my-rcp"), Some(spelled)),
            Some(Managed::RcpFullAwsAccess)
        );
        // A customer RCP is not the managed one, even under its name, nor is an SCP under
        // the RCP's name.
        assert_eq!(
            Managed::recognize(
                PolicyKind::Rcp,
                Some("RCPFullAWSAccess"),
                Some(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#
                )
            ),
            None
        );
        let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(
            Managed::recognize(PolicyKind::Rcp, Some("x"), Some(deny)),
            None
        );
        assert_eq!(
            Managed::recognize(PolicyKind::Scp, Some("RCPFullAWSAccess"), None),
            None
        );
    }
}
