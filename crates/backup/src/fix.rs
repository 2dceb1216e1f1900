//! Fixes for the check's findings, each verified before it is offered: with the patch
//! applied the finding is gone, and no other principal (anonymous callers, other accounts,
//! the account's root, its other roles and users) gains any access it did not have, for
//! every action the patched statement covers.

use serde::Serialize;
use serde_json::{json, Value};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request,
};

use crate::check::{check, CheckOptions, Finding, Level, Op, RoleError};
use crate::diff::unified;
use crate::snapshot::{Collected, Snapshot};

/// How a fix was verified.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The finding is gone when the snapshot is checked again with the patch applied.
    pub finding_cleared: bool,
    /// No other principal gains access (see `gained` otherwise).
    pub no_new_access: bool,
    pub principals_checked: usize,
    pub actions_checked: usize,
    /// Who would gain what, if anyone.
    pub gained: Vec<String>,
}

impl Verification {
    pub fn verified(&self) -> bool {
        self.finding_cleared && self.no_new_access
    }
}

/// One fix: the document before and after, the diff, and its verification.
#[derive(Debug, Clone, Serialize)]
pub struct Fix {
    pub code: &'static str,
    pub resource: String,
    /// What the patched file is: `bucket-policy`, `key-policy`, `ownership-controls`, ...
    pub target: &'static str,
    /// The ARN of what the patched document belongs to (the bucket, the key).
    pub patched: String,
    pub file: String,
    pub description: String,
    pub before: String,
    pub after: String,
    pub diff: String,
    pub verification: Verification,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn doc_of(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => serde_json::from_str(s).ok(),
        Value::Null => None,
        other => Some(other.clone()),
    }
}

fn statements_mut(doc: &mut Value) -> Vec<&mut Value> {
    match &mut doc["Statement"] {
        Value::Array(a) => a.iter_mut().collect(),
        s @ Value::Object(_) => vec![s],
        _ => Vec::new(),
    }
}

/// Adds an `ArnNotLike` `aws:PrincipalArn` exception for `role` to the Deny statement named
/// `sid` (or the first Deny that has no Sid), merging with an existing exception. A
/// `NotPrincipal` is turned into `Principal: "*"` with its ARNs in the exception, since AWS
/// does not match wildcards in `NotPrincipal`.
fn exempt_in_deny(doc: &Value, sid: Option<&str>, role: &str) -> Option<Value> {
    let mut doc = doc.clone();
    let mut done = false;
    for (i, st) in statements_mut(&mut doc).into_iter().enumerate() {
        let this_sid = st
            .get("Sid")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{i}"));
        if st.get("Effect").and_then(Value::as_str) != Some("Deny")
            || sid.is_some_and(|s| s != this_sid)
        {
            continue;
        }
        let obj = st.as_object_mut()?;
        let mut arns: Vec<Value> = Vec::new();
        if let Some(np) = obj.remove("NotPrincipal") {
            for a in np
                .get("AWS")
                .map(|a| match a {
                    Value::Array(v) => v.clone(),
                    v => vec![v.clone()],
                })
                .unwrap_or_default()
            {
                arns.push(a);
            }
            obj.insert("Principal".into(), json!("*"));
        }
        let cond = obj.entry("Condition").or_insert_with(|| json!({}));
        let anl = cond
            .as_object_mut()?
            .entry("ArnNotLike")
            .or_insert_with(|| json!({}));
        let anl = anl.as_object_mut()?;
        let existing_key = anl
            .keys()
            .find(|k| k.eq_ignore_ascii_case("aws:PrincipalArn"))
            .cloned()
            .unwrap_or_else(|| "aws:PrincipalArn".into());
        let mut values: Vec<Value> = match anl.remove(&existing_key) {
            Some(Value::Array(v)) => v,
            Some(v) => vec![v],
            None => Vec::new(),
        };
        for a in arns {
            if !values.contains(&a) {
                values.push(a);
            }
        }
        if !values.contains(&json!(role)) {
            values.push(json!(role));
        }
        anl.insert(existing_key, Value::Array(values));
        done = true;
        break;
    }
    done.then_some(doc)
}

/// Adds a statement allowing the role to use the key.
fn allow_in_key_policy(doc: &Value, role: &str) -> Value {
    let mut doc = doc.clone();
    // The key actions the operations use (crate::operations), grants only for AWS resources.
    let mut actions: Vec<&str> = crate::operations::STEPS
        .iter()
        .filter(|s| s.target == crate::operations::Target::Key && s.action != "kms:CreateGrant")
        .map(|s| s.action)
        .collect();
    actions.sort_unstable();
    actions.dedup();
    let use_key = json!({"Sid": "AllowVaultwardBackupRole", "Effect": "Allow", "Principal": {"AWS": role}, "Action": actions, "Resource": "*"});
    let grants = json!({"Sid": "AllowVaultwardBackupRoleGrants", "Effect": "Allow", "Principal": {"AWS": role}, "Action": "kms:CreateGrant", "Resource": "*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}});
    match &mut doc["Statement"] {
        Value::Array(a) => a.extend([use_key, grants]),
        s @ Value::Object(_) => *s = json!([s.clone(), use_key, grants]),
        _ => doc["Statement"] = json!([use_key, grants]),
    }
    doc
}

/// The principals whose access must not change, with their `aws:PrincipalArn`.
fn other_principals(s: &Snapshot, role: &str) -> Vec<(String, Option<String>)> {
    let acct = &s.account_id;
    let mut out: Vec<(String, Option<String>)> = vec![
        ("*".into(), None),
        (
            "123456789012".into(),
            Some("arn:aws:iam::123456789012:root".into()),
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/Outsider/s".into(),
            Some("arn:aws:iam::123456789012:role/Outsider".into()),
        ),
        (acct.clone(), Some(format!("arn:aws:iam::{acct}:root"))),
        (
            format!("arn:aws:sts::{acct}:assumed-role/SomeOtherRole/s"),
            Some(format!("arn:aws:iam::{acct}:role/SomeOtherRole")),
        ),
    ];
    if let Some(iam) = &s.iam {
        for r in iam
            .get("RoleDetailList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(arn), Some(name)) = (
                r.get("Arn").and_then(Value::as_str),
                r.get("RoleName").and_then(Value::as_str),
            ) else {
                continue;
            };
            if arn != role {
                out.push((
                    format!("arn:aws:sts::{acct}:assumed-role/{name}/s"),
                    Some(arn.to_string()),
                ));
            }
        }
        for u in iam
            .get("UserDetailList")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(arn) = u.get("Arn").and_then(Value::as_str) {
                out.push((arn.to_string(), Some(arn.to_string())));
            }
        }
    }
    out
}

/// Every action a statement list's `Action` values cover, for the verification sweep.
fn covered_actions(doc: &Value) -> Vec<String> {
    let mut patterns: Vec<String> = Vec::new();
    let sts = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        s => vec![s.clone()],
    };
    for st in sts {
        match &st["Action"] {
            Value::String(s) => patterns.push(s.clone()),
            Value::Array(a) => {
                patterns.extend(a.iter().filter_map(|v| v.as_str().map(str::to_string)))
            }
            _ => {}
        }
    }
    let c = vaultward_catalog::catalog();
    let mut out: Vec<String> = patterns
        .iter()
        .flat_map(|p| {
            if p.contains('*') || p.contains('?') {
                c.expand(p)
                    .into_iter()
                    .map(|(s, a)| format!("{}:{}", s.prefix, a.name))
                    .collect::<Vec<_>>()
            } else {
                vec![p.clone()]
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Compares what every other principal may do on `resources` under the old and new
/// resource policy, with identity policies that allow everything (so only the resource
/// policy can make a difference).
fn no_new_access(
    s: &Snapshot,
    role: &str,
    kind: PolicyKind,
    old: Option<&Value>,
    new: &Value,
    resources: &[String],
    account: &str,
) -> Verification {
    let parse = |v: &Value| {
        parse_policy(&v.to_string(), kind)
            .policy
            .map(|policy| NamedPolicy {
                name: "policy".into(),
                policy,
            })
    };
    let allow_all = parse_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        PolicyKind::Identity,
    )
    .policy
    .map(|policy| NamedPolicy {
        name: "anything".into(),
        policy,
    });
    let (old_p, new_p) = (old.and_then(parse), parse(new));
    let actions = covered_actions(new);
    let principals = other_principals(s, role);
    let mut gained = Vec::new();
    for (p, parn) in &principals {
        for action in &actions {
            for resource in resources {
                let mut ctx = Context::default();
                ctx.insert("aws:SecureTransport", ContextValue::Single("true".into()));
                if let Some(a) = parn {
                    ctx.insert("aws:PrincipalArn", ContextValue::Single(a.clone()));
                }
                let Ok(req) = Request::new(p, action, resource, Some(account), ctx) else {
                    continue;
                };
                let set = |rp: Option<NamedPolicy>| PolicySet {
                    identity: allow_all.clone().into_iter().collect(),
                    resource: rp,
                    ..Default::default()
                };
                let before = authorize(&req, &set(old_p.clone())).decision;
                let after = authorize(&req, &set(new_p.clone())).decision;
                if after == Decision::Allow && before != Decision::Allow {
                    gained.push(format!("{p} gains {action} on {resource}"));
                }
            }
        }
    }
    Verification {
        finding_cleared: false,
        no_new_access: gained.is_empty(),
        principals_checked: principals.len(),
        actions_checked: actions.len(),
        gained,
    }
}

/// Whether the finding is gone when the patched snapshot is checked again.
fn cleared(patched: &Snapshot, opts: &CheckOptions, f: &Finding) -> bool {
    check(patched, opts).is_ok_and(|r| !r.findings.iter().any(|g| same(f, g)))
}

fn same(a: &Finding, b: &Finding) -> bool {
    a.code == b.code
        && a.resource == b.resource
        && a.action == b.action
        && a.operation == b.operation
}

fn slug(s: &str) -> String {
    s.rsplit([':', '/'])
        .next()
        .unwrap_or(s)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The permissions model's statement that grants `action`, for the role's account, path
/// and name token (taken from the role's ARN, `.../PATH/TOKENBackupRole`).
fn model_statement(s: &Snapshot, role: &str, op: Op, action: &str) -> Option<Value> {
    let arn = vaultward_iam::arn::Arn::parse(role)?;
    let rest = arn.resource.strip_prefix("role")?;
    let (path, name) = rest.rsplit_once('/')?;
    let params = crate::params::Params {
        account: s.account_id.clone(),
        // Statements naming the vendor's account are not proposed (it is not in the snapshot).
        vendor_account: "000000000000".into(),
        external_id: "unused".into(),
        role_path: format!("{path}/"),
        name_token: name.strip_suffix("BackupRole").unwrap_or(name).to_string(),
        ..crate::params::Params::default()
    };
    // The grant of the failing operation first: the inventory policy also lists and reads
    // objects (for `collect`), but a failed backup is fixed by the backup statement.
    let wanted = match op {
        Op::Backup => crate::model::Operation::Backup,
        Op::Restore => crate::model::Operation::Restore,
    };
    let mut grants: Vec<_> = crate::model::policies(&params)
        .into_iter()
        .flat_map(|p| p.grants)
        .filter(|g| g.allow && g.actions.iter().any(|a| a.eq_ignore_ascii_case(action)))
        .collect();
    grants.sort_by_key(|g| g.operation != wanted);
    grants
        .iter()
        .map(|g| g.statement())
        .find(|st| !st.to_string().contains("000000000000"))
}

/// Proposes and verifies a fix for each blocking finding of `check(s, opts)`.
pub fn fixes(s: &Snapshot, opts: &CheckOptions) -> Result<Vec<Fix>, RoleError> {
    let report = check(s, opts)?;
    let role = opts.role_arn.as_str();
    let mut out: Vec<Fix> = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.level == Level::Blocking)
    {
        // One fix per resource and code: later findings of the same kind share it.
        if out
            .iter()
            .any(|x| x.code == f.code && x.resource == f.resource)
        {
            continue;
        }
        let n = out.len() + 1;
        let mut patched = s.clone();
        let (target, before, after, kind, resources, account, caveat, description) = match f.code {
            "explicit-deny-bucket-policy" => {
                let Some(b) = patched
                    .buckets
                    .iter_mut()
                    .find(|b| format!("arn:aws:s3:::{}", b.name) == f.resource)
                else {
                    continue;
                };
                let Some(old) = b.policy.document().and_then(doc_of) else {
                    continue;
                };
                let Some(new) = exempt_in_deny(&old, f.statement.as_deref(), role) else {
                    continue;
                };
                b.policy = Collected::Document(new.clone());
                let res = vec![f.resource.clone(), format!("{}/any-object", f.resource)];
                ("bucket-policy", Some(old), new, PolicyKind::Resource, res, s.account_id.clone(), None, format!("exempt the role in statement `{}` with an `ArnNotLike` condition on `aws:PrincipalArn`", f.statement.clone().unwrap_or_default()))
            }
            "kms-key-policy-denies" => {
                let key_arn = match vaultward_iam::arn::Arn::parse(&f.resource) {
                    Some(a) if a.service == "kms" => f.resource.clone(),
                    _ => {
                        // The finding is on the data; the key is the one whose policy decided.
                        let Some(k) = s.kms_keys.iter().find(|k| {
                            f.policy.as_deref() == Some(&format!("key policy of {}", k.arn))
                        }) else {
                            continue;
                        };
                        k.arn.clone()
                    }
                };
                let Some(k) = patched.kms_keys.iter_mut().find(|k| k.arn == key_arn) else {
                    continue;
                };
                let Some(old) = k.policy.document().and_then(doc_of) else {
                    continue;
                };
                let new = if f.reason.starts_with("explicit Deny") {
                    let Some(n) = exempt_in_deny(&old, f.statement.as_deref(), role) else {
                        continue;
                    };
                    n
                } else {
                    allow_in_key_policy(&old, role)
                };
                k.policy = Collected::Document(new.clone());
                let acct = vaultward_iam::arn::Arn::parse(&key_arn)
                    .map(|a| a.account.to_string())
                    .unwrap_or_default();
                (
                    "key-policy",
                    Some(old),
                    new,
                    PolicyKind::Key,
                    vec![key_arn],
                    acct,
                    None,
                    format!("let `{role}` use the key (`kms:Decrypt`, `kms:GenerateDataKey*`)"),
                )
            }
            "missing-identity-permission" => {
                let Some(statement) = model_statement(s, role, f.operation, &f.action) else {
                    continue;
                };
                let name = "VaultwardMissingPermissions";
                let Some(iam) = patched.iam.as_mut() else {
                    continue;
                };
                let Some(r) = iam
                    .get_mut("RoleDetailList")
                    .and_then(Value::as_array_mut)
                    .and_then(|l| {
                        l.iter_mut()
                            .find(|r| r.get("Arn").and_then(Value::as_str) == Some(role))
                    })
                else {
                    continue;
                };
                let list = r
                    .as_object_mut()
                    .map(|o| o.entry("RolePolicyList").or_insert_with(|| json!([])));
                let Some(Value::Array(list)) = list else {
                    continue;
                };
                let existing = list
                    .iter()
                    .position(|p| p.get("PolicyName").and_then(Value::as_str) == Some(name));
                let before = existing.and_then(|i| doc_of(&list[i]["PolicyDocument"]));
                let mut doc = before
                    .clone()
                    .unwrap_or_else(|| json!({"Version": "2012-10-17", "Statement": []}));
                if let Value::Array(sts) = &mut doc["Statement"] {
                    sts.push(statement);
                }
                match existing {
                    Some(i) => list[i]["PolicyDocument"] = doc.clone(),
                    None => list.push(json!({"PolicyName": name, "PolicyDocument": doc.clone()})),
                }
                let file = format!("{n:02}-{}-inline-policy.json", slug(role));
                let before_text = before.as_ref().map(pretty).unwrap_or_default();
                let after_text = pretty(&doc);
                // An inline policy of the role changes the role's access and nobody else's.
                let verification = Verification {
                    finding_cleared: cleared(&patched, opts, f),
                    no_new_access: true,
                    principals_checked: 0,
                    actions_checked: 0,
                    gained: Vec::new(),
                };
                out.push(Fix {
                    code: f.code,
                    resource: f.resource.clone(),
                    target: "inline-policy",
                    patched: role.to_string(),
                    diff: unified(&file, &before_text, &after_text),
                    file,
                    description: format!("add the permissions model's statement for `{}` to the role as the inline policy `{name}` (better: redeploy the permissions file)", f.action),
                    before: before_text,
                    after: after_text,
                    verification,
                    caveat: Some("an inline policy of the role changes only the role's own access".into()),
                });
                continue;
            }
            "object-owner-mismatch" => {
                let Some(b) = patched
                    .buckets
                    .iter_mut()
                    .find(|b| format!("arn:aws:s3:::{}", b.name) == f.resource)
                else {
                    continue;
                };
                let old = json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": b.ownership.clone().unwrap_or_default()}]}});
                let new = json!({"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}});
                b.ownership = Some("BucketOwnerEnforced".into());
                for o in &mut b.objects {
                    // With ACLs disabled the bucket owner owns every object.
                    o.owner_account = Some(s.account_id.clone());
                }
                let caveat = "BucketOwnerEnforced disables ACLs: anyone who relied on an object ACL for access loses it. Apply with `aws s3api put-bucket-ownership-controls --bucket NAME --ownership-controls file://FILE`.".to_string();
                let v = Verification {
                    finding_cleared: false,
                    no_new_access: true,
                    principals_checked: 0,
                    actions_checked: 0,
                    gained: Vec::new(),
                };
                let mut fix = Fix {
                    code: f.code,
                    resource: f.resource.clone(),
                    target: "ownership-controls",
                    patched: f.resource.clone(),
                    file: format!("{n:02}-{}-ownership-controls.json", slug(&f.resource)),
                    description: "set S3 Object Ownership to BucketOwnerEnforced".into(),
                    before: pretty(&old),
                    after: pretty(&new),
                    diff: String::new(),
                    verification: v,
                    caveat: Some(caveat),
                };
                fix.diff = unified(&fix.file, &fix.before, &fix.after);
                fix.verification.finding_cleared = cleared(&patched, opts, f);
                out.push(fix);
                continue;
            }
            _ => continue,
        };
        let mut verification =
            no_new_access(s, role, kind, before.as_ref(), &after, &resources, &account);
        verification.finding_cleared = cleared(&patched, opts, f);
        let before_text = before.as_ref().map(pretty).unwrap_or_default();
        let after_text = pretty(&after);
        let file = format!("{n:02}-{}-{target}.json", slug(&f.resource));
        out.push(Fix {
            code: f.code,
            resource: f.resource.clone(),
            patched: resources
                .first()
                .cloned()
                .unwrap_or_default()
                .trim_end_matches("/any-object")
                .to_string(),
            target,
            diff: unified(&file, &before_text, &after_text),
            file,
            description,
            before: before_text,
            after: after_text,
            verification,
            caveat,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        Snapshot::from_json("t", r#"{"account_id": "111122223333"}"#).unwrap()
    }

    #[test]
    fn the_sweep_catches_a_patch_that_opens_access() {
        let old = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]});
        let new = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]});
        let v = no_new_access(
            &snapshot(),
            "arn:aws:iam::111122223333:role/R",
            PolicyKind::Resource,
            Some(&old),
            &new,
            &["arn:aws:s3:::b/k".into()],
            "111122223333",
        );
        assert!(!v.no_new_access);
        assert!(
            v.gained
                .iter()
                .any(|g| g.starts_with("* gains s3:GetObject")),
            "{:?}",
            v.gained
        );
    }

    #[test]
    fn an_exception_merges_with_an_existing_one_and_replaces_notprincipal() {
        let role = "arn:aws:iam::111122223333:role/R";
        let doc = json!({"Statement": [{"Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"ArnNotLike": {"aws:principalarn": "arn:aws:iam::111122223333:root"}}}]});
        let new = exempt_in_deny(&doc, Some("D"), role).unwrap();
        assert_eq!(
            new["Statement"][0]["Condition"]["ArnNotLike"]["aws:principalarn"],
            json!(["arn:aws:iam::111122223333:root", role])
        );
        // Idempotent: a second exemption adds nothing.
        assert_eq!(exempt_in_deny(&new, Some("D"), role).unwrap(), new);
        let np = json!({"Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:root"]}, "Action": "s3:*", "Resource": "*"}});
        let new = exempt_in_deny(&np, None, role).unwrap();
        assert_eq!(new["Statement"]["Principal"], json!("*"));
        assert!(new["Statement"].get("NotPrincipal").is_none());
        assert_eq!(
            new["Statement"]["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
            json!(["arn:aws:iam::111122223333:root", role])
        );
    }
}
