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
    fn gate(&self, g: Gate, lock: &Lock, key: &KeyState) -> Tri {
        let key_unknown = |k: &KeyState| match k {
            KeyState::Unknown(why) => Some(why.clone()),
            _ => None,
        };
        match g {
            Gate::Always => Tri::Yes,
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
            match self.gate(*g, ctx.lock, key) {
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
                        KeyState::Customer { arn, policy } => (
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
                On::BackupRole => {
                    context.push(("iam:PassedToService".into(), "backup.amazonaws.com".into()));
                    match self.pass_role(i, ctx.region, &context) {
                        Some(Outcome::Allowed(st)) => {
                            steps.push(st);
                            continue;
                        }
                        Some(Outcome::Possible(st, w)) => {
                            steps.push(st);
                            why = why.or(Some(w));
                            continue;
                        }
                        _ => return RouteOutcome::Closed,
                    }
                }
            };
            let policy = match policy {
                Ok(p) => p,
                Err(w) => {
                    why = why.or(Some(w));
                    None
                }
            };
            match self.request(
                i,
                r.action,
                &resource,
                &context,
                policy.as_ref(),
                r.via,
                ctx.region,
            ) {
                Outcome::Allowed(st) => steps.push(st),
                Outcome::Possible(st, w) => {
                    steps.push(st);
                    why = why.or(Some(w));
                }
                Outcome::Denied => return RouteOutcome::Closed,
            }
        }
        match why {
            None => RouteOutcome::Allowed(steps),
            Some(w) => RouteOutcome::Possible(w),
        }
    }

    /// `iam:PassRole` of a role AWS Backup may assume: the first the principal may pass.
    fn pass_role(
        &mut self,
        i: usize,
        region: &str,
        context: &[(String, String)],
    ) -> Option<Outcome> {
        let mut possible = None;
        for role in self.backup_roles.clone() {
            match self.request(i, "iam:PassRole", &role, context, None, None, region) {
                Outcome::Allowed(st) => return Some(Outcome::Allowed(st)),
                Outcome::Possible(st, w) if possible.is_none() => {
                    possible = Some(Outcome::Possible(st, w))
                }
                _ => {}
            }
        }
        possible
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
