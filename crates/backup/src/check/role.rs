//! The role's side of every request: its identity policies, permissions boundary and tags,
//! from the IAM export, found by the role's exact ARN.

use serde_json::Value;
use vaultward_iam::{NamedPolicy, PolicyKind};
use vaultward_snapshot::Snapshot;

use super::contract::DocRef;
use super::docs::{self, Unreadable};

/// The role's policies and tags, and what of them could not be read.
pub struct RoleSide {
    /// The role's identity policies, each with where it lives in the export; names are
    /// unique (an inline policy named like an attached one gets ` (inline)`).
    pub identity: Vec<(NamedPolicy, DocRef)>,
    pub boundary: Option<(NamedPolicy, DocRef)>,
    pub tags: Vec<(String, String)>,
    /// Accounts other than the role's own that its trust policy names: the vendor's.
    pub trusted_accounts: Vec<String>,
    /// Documents the role depends on that cannot be read or are missing from the export.
    pub unreadable: Vec<Unreadable>,
}

/// Why the role cannot be checked at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    /// `--role` names no role of the export: bad input.
    #[error("role `{arn}` is not in the IAM export{}", did_you_mean(.same_name))]
    NotInExport { arn: String, same_name: Vec<String> },
    /// The export is missing or malformed: unknown, not bad input.
    #[error("{0}")]
    NotCollected(String),
}

fn did_you_mean(same_name: &[String]) -> String {
    match same_name {
        [] => "; give the role's full ARN, with its path, as `aws iam get-role` prints it".into(),
        [one] => format!("; did you mean `{one}`? (`--role` is the exact ARN, with its path)"),
        many => format!(
            "; roles with that name: {} (`--role` is the exact ARN, with its path)",
            many.iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Finds the role by its exact ARN and reads its side.
pub fn role_side(s: &Snapshot, role_arn: &str) -> Result<RoleSide, RoleError> {
    let iam = s.iam.as_ref().ok_or_else(|| {
        RoleError::NotCollected("the IAM authorization details were not collected".into())
    })?;
    let roles = iam
        .get("RoleDetailList")
        .and_then(Value::as_array)
        .ok_or_else(|| RoleError::NotCollected("the IAM export has no `RoleDetailList`".into()))?;
    let Some(role) = roles.iter().find(|r| str_of(r, "Arn") == Some(role_arn)) else {
        let name = role_arn.rsplit('/').next().unwrap_or(role_arn);
        let same_name = roles
            .iter()
            .filter(|r| str_of(r, "RoleName") == Some(name))
            .filter_map(|r| str_of(r, "Arn").map(str::to_string))
            .collect();
        return Err(RoleError::NotInExport {
            arn: role_arn.to_string(),
            same_name,
        });
    };
    let mut side = entity_side(iam, role, role_arn, "RolePolicyList", "the role");
    let own = vaultward_iam::arn::Arn::parse(role_arn).map(|a| a.account.to_string());
    if let Some(trust) = role.get("AssumeRolePolicyDocument").and_then(docs::json) {
        side.trusted_accounts = trusted_accounts(&trust, own.as_deref());
    }
    Ok(side)
}

/// The default version of each managed policy of the export, by ARN.
fn managed_docs(iam: &Value) -> impl Fn(&str) -> Option<Value> + '_ {
    move |arn: &str| -> Option<Value> {
        let p = iam
            .get("Policies")
            .and_then(Value::as_array)?
            .iter()
            .find(|p| str_of(p, "Arn") == Some(arn))?;
        p.get("PolicyVersionList")?
            .as_array()?
            .iter()
            .find(|v| v.get("IsDefaultVersion") == Some(&Value::Bool(true)))
            .and_then(|v| v.get("Document"))
            .cloned()
    }
}

/// A role's or user's own policies, boundary and tags.
fn entity_side(iam: &Value, entry: &Value, arn: &str, inline_key: &str, owner: &str) -> RoleSide {
    let managed_doc = managed_docs(iam);
    let mut side = RoleSide {
        identity: Vec::new(),
        boundary: None,
        tags: Vec::new(),
        trusted_accounts: Vec::new(),
        unreadable: Vec::new(),
    };
    side.read_policies(entry, inline_key, arn, owner, &managed_doc);
    if let Some(b) = entry
        .get("PermissionsBoundary")
        .and_then(|b| str_of(b, "PermissionsBoundaryArn"))
    {
        let name = b.rsplit('/').next().unwrap_or(b);
        let what = format!("permissions boundary `{b}`");
        match managed_doc(b) {
            None => side.unreadable.push(Unreadable::new(
                what,
                "it is not in the export's `Policies`",
            )),
            Some(doc) => match docs::read(&doc, name, &what, PolicyKind::Boundary) {
                Ok(p) => {
                    side.boundary = Some((
                        p,
                        DocRef::Boundary {
                            policy: b.to_string(),
                        },
                    ))
                }
                Err(e) => side.unreadable.push(e),
            },
        }
    }
    side.tags = entry
        .get("Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                str_of(t, "Key")?.to_string(),
                str_of(t, "Value")?.to_string(),
            ))
        })
        .collect();
    side
}

/// The side of any principal of the export by its exact ARN: a role, a user (with the
/// policies of its groups), or the account's root user (no identity policies: it holds
/// every permission of its account, within the SCPs).
pub fn principal_side(s: &Snapshot, arn: &str) -> Result<RoleSide, RoleError> {
    if arn.ends_with(":root") {
        return Ok(RoleSide {
            identity: Vec::new(),
            boundary: None,
            tags: Vec::new(),
            trusted_accounts: Vec::new(),
            unreadable: Vec::new(),
        });
    }
    if !arn.contains(":user/") {
        return role_side(s, arn);
    }
    let iam = s.iam.as_ref().ok_or_else(|| {
        RoleError::NotCollected("the IAM authorization details were not collected".into())
    })?;
    let users = iam
        .get("UserDetailList")
        .and_then(Value::as_array)
        .ok_or_else(|| RoleError::NotCollected("the IAM export has no `UserDetailList`".into()))?;
    let Some(user) = users.iter().find(|u| str_of(u, "Arn") == Some(arn)) else {
        return Err(RoleError::NotInExport {
            arn: arn.to_string(),
            same_name: Vec::new(),
        });
    };
    let mut side = entity_side(iam, user, arn, "UserPolicyList", "the user");
    let managed_doc = managed_docs(iam);
    let groups = iam.get("GroupDetailList").and_then(Value::as_array);
    for g in user
        .get("GroupList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        match groups
            .into_iter()
            .flatten()
            .find(|e| str_of(e, "GroupName") == Some(g))
        {
            Some(entry) => side.read_policies(
                entry,
                "GroupPolicyList",
                arn,
                &format!("group `{g}`"),
                &managed_doc,
            ),
            None => side.unreadable.push(Unreadable::new(
                format!("group `{g}` of the user"),
                "it is not in the export's `GroupDetailList`",
            )),
        }
    }
    Ok(side)
}

impl RoleSide {
    /// Reads the attached managed policies and the inline policies (under `inline_key`) of
    /// an export entry (a role, a user, a group) into the side.
    fn read_policies(
        &mut self,
        entry: &Value,
        inline_key: &str,
        owner_arn: &str,
        owner: &str,
        managed_doc: &dyn Fn(&str) -> Option<Value>,
    ) {
        for a in entry
            .get("AttachedManagedPolicies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let arn = str_of(a, "PolicyArn").unwrap_or("");
            let name = str_of(a, "PolicyName").unwrap_or(arn).to_string();
            let what = format!("managed policy `{name}` attached to {owner}");
            match managed_doc(arn) {
                None => self.unreadable.push(Unreadable::new(
                    what,
                    format!(
                        "`{arn}` is not in the export's `Policies` (or has no default version)"
                    ),
                )),
                Some(doc) => {
                    match docs::read(&doc, &self.unique(name), &what, PolicyKind::Identity) {
                        Ok(p) => self.identity.push((
                            p,
                            DocRef::ManagedPolicy {
                                policy: arn.to_string(),
                            },
                        )),
                        Err(e) => self.unreadable.push(e),
                    }
                }
            }
        }
        for i in entry
            .get(inline_key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = str_of(i, "PolicyName").unwrap_or("inline").to_string();
            let what = format!("inline policy `{name}` of {owner}");
            match i.get("PolicyDocument") {
                None => self
                    .unreadable
                    .push(Unreadable::new(what, "it has no `PolicyDocument`")),
                Some(doc) => {
                    let unique = if self.identity.iter().any(|(q, _)| q.name == name) {
                        self.unique(format!("{name} (inline)"))
                    } else {
                        name.clone()
                    };
                    match docs::read(doc, &unique, &what, PolicyKind::Identity) {
                        Ok(p) => self.identity.push((
                            p,
                            DocRef::InlinePolicy {
                                role: owner_arn.to_string(),
                                name,
                            },
                        )),
                        Err(e) => self.unreadable.push(e),
                    }
                }
            }
        }
    }

    /// `name`, or `name` with a number when an identity policy already has it.
    fn unique(&self, name: String) -> String {
        let taken = |n: &str| self.identity.iter().any(|(p, _)| p.name == n);
        if !taken(&name) {
            return name;
        }
        (2..)
            .map(|i| format!("{name} #{i}"))
            .find(|n| !taken(n))
            .unwrap_or(name)
    }
}

/// The accounts of the AWS principals a trust policy names, other than `own`.
fn trusted_accounts(trust: &Value, own: Option<&str>) -> Vec<String> {
    let statements = match trust.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for st in statements {
        if str_of(&st, "Effect") != Some("Allow") {
            continue;
        }
        let aws = st.get("Principal").and_then(|p| p.get("AWS"));
        let list = match aws {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        for p in list {
            let account = if vaultward_iam::arn::is_account_id(&p) {
                Some(p)
            } else {
                vaultward_iam::arn::Arn::parse(&p).map(|a| a.account.to_string())
            };
            if let Some(a) = account.filter(|a| Some(a.as_str()) != own && !a.is_empty()) {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
    }
    out
}
