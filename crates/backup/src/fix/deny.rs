//! The Deny patcher: an exception for the role in a Deny statement, carrying over exactly
//! the exemptions a `NotPrincipal` made that a condition can name.

use serde_json::{json, Value};
use vaultward_snapshot::Snapshot;

use super::docs::{as_list, iam_list, statements_mut};

/// Adds an `ArnNotLike` `aws:PrincipalArn` exception for `role` to the Deny statement at
/// `index`, merging with an existing exception.
///
/// A `NotPrincipal` becomes `Principal: "*"` (AWS recommends the condition instead, and
/// matches no wildcard in `NotPrincipal`), keeping exempt exactly those it exempted that a
/// condition can name, and no one else. `NotPrincipal` with `Deny` leaves a principal out
/// only when every identity of its chain is listed (the account, and the user; or the
/// account, the role and the exact session), and never a principal with a permissions
/// boundary ("AWS JSON policy elements: NotPrincipal", IAM User Guide). So: an account
/// becomes its root user's ARN; a user is carried only when its account is listed too and
/// the IAM export shows it has no boundary; service principals go into a
/// `StringNotEqualsIfExists` on `aws:PrincipalServiceName`. Roles and sessions are not
/// carried (`aws:PrincipalArn` of a session is its role's ARN, so the exception would cover
/// every session of the role where `NotPrincipal` covered one or none): each one dropped is
/// returned as a caveat, as are federated and canonical-user entries.
pub(super) fn exempt_in_deny(
    s: &Snapshot,
    doc: &Value,
    index: usize,
    role: &str,
) -> Option<(Value, Vec<String>)> {
    let mut doc = doc.clone();
    let mut caveats = Vec::new();
    let st = statements_mut(&mut doc).into_iter().nth(index)?;
    if st.get("Effect").and_then(Value::as_str) != Some("Deny") {
        return None;
    }
    let obj = st.as_object_mut()?;
    let mut arns: Vec<Value> = Vec::new();
    let mut services: Vec<Value> = Vec::new();
    if let Some(np) = obj.remove("NotPrincipal") {
        if np.as_str() == Some("*") {
            return None;
        }
        let listed: Vec<String> = np
            .get("AWS")
            .map(as_list)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let account_listed = |account: &str| {
            listed
                .iter()
                .any(|l| l == account || *l == format!("arn:aws:iam::{account}:root"))
        };
        for text in &listed {
            let parsed = vaultward_iam::arn::Arn::parse(text);
            let resource = parsed.as_ref().map_or("", |a| a.resource);
            if vaultward_iam::arn::is_account_id(text) {
                arns.push(json!(format!("arn:aws:iam::{text}:root")));
            } else if resource == "root" && !text.contains(['*', '?']) {
                arns.push(json!(text));
            } else if resource.starts_with("user/") && !text.contains(['*', '?']) {
                let account = parsed.as_ref().map_or("", |a| a.account);
                if !account_listed(account) {
                    caveats.push(format!("`{text}` was in the statement's `NotPrincipal` without its account, so AWS did not exempt it; it stays subject to the Deny"));
                } else if user_has_boundary(s, text) != Some(false) {
                    caveats.push(format!("`{text}` was in the statement's `NotPrincipal`, but AWS never exempts a principal with a permissions boundary there (or the IAM export does not show the user), so it stays subject to the Deny"));
                } else {
                    arns.push(json!(text));
                }
            } else if *text == role {
                // Added below.
            } else {
                caveats.push(format!("`{text}` was in the statement's `NotPrincipal`; it is not carried into the exception: AWS matches no wildcard there, a role's ARN there exempts none of its sessions, and `aws:PrincipalArn` cannot name one session (it is the session's role ARN); exempt the principal by hand if it should be"));
            }
        }
        services.extend(np.get("Service").map(as_list).unwrap_or_default());
        for other in ["Federated", "CanonicalUser"] {
            if np.get(other).is_some() {
                caveats.push(format!("the statement's `NotPrincipal` exempted `{other}` principals, which an `aws:PrincipalArn` condition cannot name: they are no longer exempt"));
            }
        }
        obj.insert("Principal".into(), json!("*"));
    }
    let cond = obj.entry("Condition").or_insert_with(|| json!({}));
    let cond = cond.as_object_mut()?;
    let anl = cond
        .entry("ArnNotLike")
        .or_insert_with(|| json!({}))
        .as_object_mut()?;
    let existing_key = anl
        .keys()
        .find(|k| k.eq_ignore_ascii_case("aws:PrincipalArn"))
        .cloned()
        .unwrap_or_else(|| "aws:PrincipalArn".into());
    let mut values = anl
        .remove(&existing_key)
        .map(|v| as_list(&v))
        .unwrap_or_default();
    for a in arns.into_iter().chain([json!(role)]) {
        if !values.contains(&a) {
            values.push(a);
        }
    }
    anl.insert(existing_key, Value::Array(values));
    if !services.is_empty() {
        let sne = cond
            .entry("StringNotEqualsIfExists")
            .or_insert_with(|| json!({}))
            .as_object_mut()?;
        let mut values = sne
            .remove("aws:PrincipalServiceName")
            .map(|v| as_list(&v))
            .unwrap_or_default();
        for s in services {
            if !values.contains(&s) {
                values.push(s);
            }
        }
        sne.insert("aws:PrincipalServiceName".into(), Value::Array(values));
    }
    Some((doc, caveats))
}

/// Whether the IAM export shows `user` with a permissions boundary (`None`: not shown).
pub(super) fn user_has_boundary(s: &Snapshot, user: &str) -> Option<bool> {
    iam_list(s, "UserDetailList")
        .iter()
        .find(|u| u.get("Arn").and_then(Value::as_str) == Some(user))
        .map(|u| u.get("PermissionsBoundary").is_some_and(|b| !b.is_null()))
}
