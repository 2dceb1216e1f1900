//! One route of the table for one principal on one recovery point: its gates (the lock,
//! the key), then each request in order, under the policy it runs under (the vault's, the
//! key's, the one an earlier request wrote, or none).

use serde_json::json;
use vaultward_iam::{NamedPolicy, PolicyKind};
use vaultward_snapshot::{RecoveryPoint, Vault};

use super::evaluate::{policy, Evaluator, KeyState, Lock, Outcome, Tri};
use super::table::{Gate, On, PolicyAs, Route};
use crate::audit::PathStep;

impl Evaluator<'_> {
    /// Whether a gate holds for a recovery point.
    fn gate(&mut self, g: Gate, lock: &Lock, key: &KeyState, rp: &RecoveryPoint) -> Tri {
        let key_unknown = |k: &KeyState| match k {
            KeyState::Unknown(why) => Some(why.clone()),
            _ => None,
        };
        match g {
            Gate::Always => Tri::Yes,
            Gate::Continuous if rp.arn.contains(":recovery-point:continuous:") => Tri::Yes,
            Gate::Continuous => Tri::No,
            Gate::Unlocked | Gate::LockRemovable => match lock {
                Lock::Unknown(why) => Tri::Unknown(why.clone()),
                Lock::None if g == Gate::Unlocked => Tri::Yes,
                Lock::Removable if g == Gate::LockRemovable => Tri::Yes,
                _ => Tri::No,
            },
            _ => {
                if let Some(why) = key_unknown(key) {
                    return Tri::Unknown(why);
                }
                let holds = match g {
                    Gate::Unencrypted => matches!(key, KeyState::Unencrypted),
                    Gate::Encrypted => !matches!(key, KeyState::Unencrypted),
                    Gate::CustomerKey => matches!(key, KeyState::Customer { .. }),
                    Gate::AwsManagedKey => matches!(key, KeyState::AwsManaged { .. }),
                    Gate::ImportedKey => match key {
                        KeyState::Customer { imported: Some(i), .. } => *i,
                        KeyState::Customer { arn, imported: None, .. } => {
                            return Tri::Unknown(format!("whether the key material of `{arn}` was imported (its `Origin`) was not collected"))
                        }
                        _ => false,
                    },
                    Gate::KeyUsableOutside => match key {
                        KeyState::Customer { arn, .. } => return self.usable_outside(arn),
                        _ => false,
                    },
                    _ => !matches!(key, KeyState::AwsManaged { .. }),
                };
                if holds {
                    Tri::Yes
                } else {
                    Tri::No
                }
            }
        }
    }

    /// One route for principal `i` on one recovery point.
    pub(super) fn route(
        &mut self,
        i: usize,
        ctx: &RouteCtx<'_>,
        route: &Route,
        rp: &RecoveryPoint,
        key: &KeyState,
    ) -> RouteOutcome {
        let mut why: Option<String> = None;
        for g in route.gates {
            match self.gate(*g, ctx.lock, key, rp) {
                Tri::Yes => {}
                Tri::No => return RouteOutcome::Closed,
                Tri::Unknown(w) => why = why.or(Some(w)),
            }
        }
        let principal = self.principals[i].arn.clone();
        let mut steps = Vec::new();
        for r in route.requests {
            let mut context: Vec<(String, String)> = Vec::new();
            let (resource, policy): (String, Result<Option<NamedPolicy>, String>) = match r.on {
                On::RecoveryPoint | On::Vault => {
                    let res = if r.on == On::Vault {
                        &ctx.vault.arn
                    } else {
                        &rp.arn
                    };
                    let p = if r.action.starts_with("backup:") {
                        match r.policy {
                            PolicyAs::Collected => ctx.vault_policy.clone(),
                            PolicyAs::Removed => Ok(None),
                            PolicyAs::Rewritten => {
                                Ok(rewritten(&principal, "backup", PolicyKind::Vault))
                            }
                        }
                    } else {
                        Ok(None)
                    };
                    (res.clone(), p)
                }
                On::Key => {
                    if r.action == "kms:CreateGrant" {
                        let for_aws = if r.via.is_some() { "true" } else { "false" };
                        context.push(("kms:GrantIsForAWSResource".into(), for_aws.into()));
                    }
                    match key {
                        KeyState::Customer { arn, policy, .. } => (
                            arn.clone(),
                            match r.policy {
                                PolicyAs::Rewritten => {
                                    Ok(rewritten(&principal, "kms", PolicyKind::Key))
                                }
                                _ => policy.clone(),
                            },
                        ),
                        // AWS managed keys allow the account's principals through the
                        // service that owns them.
                        KeyState::AwsManaged { arn } => (arn.clone(), Ok(None)),
                        KeyState::Unknown(w) => {
                            why = why.or(Some(w.clone()));
                            continue;
                        }
                        KeyState::Unencrypted => continue,
                    }
                }
                On::AnyBucket => (
                    "arn:aws:s3:::vaultward-exposure-any-bucket/image.bin".to_string(),
                    Ok(None),
                ),
                On::PassRole(service) => {
                    context.push(("iam:PassedToService".into(), service.into()));
                    if self.backup_api_only {
                        // `vaultward serve` checks `iam:PassRole` with the resource the role
                        // acts for: the recovery point a restore reads, the vault a copy
                        // writes into (another account's, of the caller's choosing).
                        let associated = if route
                            .requests
                            .iter()
                            .any(|q| q.action == "backup:StartCopyJob")
                        {
                            format!(
                                "arn:aws:backup:{}:{}:backup-vault:vaultward-exposure-any-vault",
                                ctx.region,
                                super::evaluate::OTHER_ACCOUNT_ID
                            )
                        } else {
                            rp.arn.clone()
                        };
                        context.push(("iam:AssociatedResourceArn".into(), associated));
                    }
                    match self.pass_role(i, service, ctx.region, &context) {
                        Some(Outcome::Allowed(st)) => {
                            steps.push(st);
                            continue;
                        }
                        Some(Outcome::Possible(st, w)) => {
                            steps.push(st);
                            why = why.or(Some(w));
                            continue;
                        }
                        Some(Outcome::Denied { .. }) | None => return RouteOutcome::Closed,
                    }
                }
            };
            match self.request_under(i, r.action, &resource, &context, &policy, r.via, ctx.region) {
                Outcome::Allowed(st) => steps.push(st),
                Outcome::Possible(st, w) => {
                    steps.push(st);
                    why = why.or(Some(w));
                }
                Outcome::Denied { .. } => return RouteOutcome::Closed,
            }
        }
        match why {
            None => RouteOutcome::Allowed(steps),
            Some(w) => RouteOutcome::Possible(w),
        }
    }

    /// `iam:PassRole` of a role AWS Backup may assume: the first the principal may pass.
    /// `None`: there is no such role to pass.
    fn pass_role(
        &mut self,
        i: usize,
        service: &str,
        region: &str,
        context: &[(String, String)],
    ) -> Option<Outcome> {
        let mut possible = None;
        let (roles, unknown) = self.pass_candidates(service);
        if roles.is_empty() {
            return unknown.map(|why| {
                let st = PathStep {
                    action: "iam:PassRole".into(),
                    resource: format!("arn:aws:iam::{}:role/*", self.s.account_id),
                    context: context.iter().cloned().collect(),
                    allowed_by: Vec::new(),
                    principal: None,
                    depends_on: Some(why.clone()),
                };
                Outcome::Possible(st, why)
            });
        }
        for (role, doubt) in roles {
            match self.request(i, "iam:PassRole", &role, context, None, None, region) {
                Outcome::Allowed(st) if doubt.is_none() => return Some(Outcome::Allowed(st)),
                Outcome::Allowed(st) | Outcome::Possible(st, _) if possible.is_none() => {
                    let why = doubt.unwrap_or_else(|| st.depends_on.clone().unwrap_or_default());
                    possible = Some(Outcome::Possible(st, why))
                }
                _ => {}
            }
        }
        possible.or(Some(Outcome::Denied { explicit: false }))
    }

    /// The roles a restore or copy may pass, each with a doubt when it may not be one
    /// (its trust policy could not be read), and why the list itself may be incomplete.
    ///
    /// AWS Backup assumes the role, so it must trust `backup.amazonaws.com`. `vaultward
    /// serve` assumes nothing: any role ARN of the account the caller may pass will do,
    /// so every role of its configuration counts, and one of no configured name stands for
    /// the rest (a policy allowing `role/*` or a `NotResource` allows it).
    fn pass_candidates(&self, service: &str) -> (Vec<(String, Option<String>)>, Option<String>) {
        let mut out = self.roles_trusting(service);
        if self.backup_api_only {
            out = self.all_roles.iter().map(|r| (r.clone(), None)).collect();
            if let Some(iam) = &self.s.iam {
                for r in role_patterns(iam, &self.s.account_id) {
                    if !out.iter().any(|(x, _)| x == &r) {
                        out.push((r, None));
                    }
                }
            }
            out.push((
                format!(
                    "arn:aws:iam::{}:role/vaultward-exposure-any-role",
                    self.s.account_id
                ),
                None,
            ));
            return (out, None);
        }
        let unknown = self.s.iam.is_none().then(|| {
            "the IAM export was not collected: which roles AWS Backup may assume for a restore or copy is not known".to_string()
        });
        (out, unknown)
    }
}

/// What every route of a vault shares.
pub(super) struct RouteCtx<'a> {
    pub vault: &'a Vault,
    pub lock: &'a Lock,
    pub region: &'a str,
    pub vault_policy: &'a Result<Option<NamedPolicy>, String>,
}

pub(super) enum RouteOutcome {
    Allowed(Vec<PathStep>),
    Possible(String),
    Closed,
}

/// The policy a principal who may write it would write: allowing itself everything of
/// `service`.
fn rewritten(principal: &str, service: &str, kind: PolicyKind) -> Option<NamedPolicy> {
    policy(
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "Rewritten", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": format!("{service}:*"), "Resource": "*"}]}),
        &format!("{service} policy as the principal rewrote it"),
        kind,
    )
}

/// A role ARN of `account` for each role pattern the export's policies name (`role/Backup*`
/// becomes `role/Backupx`), so that a policy allowing only a pattern no configured role
/// matches is tried too. Patterns with policy variables are left out (the engine fills
/// them from the request, which names no such role).
fn role_patterns(iam: &serde_json::Value, account: &str) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => {
                if let Some(d) = crate::check::docs_json(v).filter(|d| d.is_object()) {
                    walk(&d, out);
                } else if s.starts_with("arn:") && s.contains(":role/") {
                    out.push(s.clone());
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(iam, &mut found);
    let mut out = Vec::new();
    for p in found.iter().filter(|p| !p.contains("${")) {
        let mut parts: Vec<String> = p.splitn(6, ':').map(str::to_string).collect();
        if parts.len() != 6 || !matches!(parts[4].as_str(), "" | "*" | "?") && parts[4] != account {
            continue;
        }
        parts[1] = "aws".into();
        parts[2] = "iam".into();
        parts[3] = String::new();
        parts[4] = account.to_string();
        let arn = parts.join(":").replace(['*', '?'], "x");
        if !out.contains(&arn) {
            out.push(arn);
        }
    }
    out
}
