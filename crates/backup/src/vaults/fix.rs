//! A minimal fix per exposure, verified as `fix` verifies: the snapshot patched with it
//! is answered again, and the fix holds only when every principal it targets is gone from
//! the answer and no answer of the vault gained a principal.

use serde_json::{json, Value};
use vaultward_iam::managed::Managed;
use vaultward_snapshot::{Organization, Snapshot};

use super::{exposure, listed, ExposureOptions, Fix, Status, VaultExposure};
use crate::check::RequestFacts;

/// What a fix denies: the first request of every route, by action and resource.
#[derive(Default)]
struct Denied {
    actions: Vec<String>,
    resources: Vec<String>,
}

impl Denied {
    /// Adds the first request of each route of `a`'s principals in `only`.
    fn add(&mut self, a: &super::Answer, only: &[String]) {
        for p in a.principals.iter().filter(|p| only.contains(&p.principal)) {
            for (r, s) in p
                .routes
                .iter()
                .filter_map(|r| r.steps.first().map(|s| (r, s)))
            {
                if !self.actions.contains(&s.action) {
                    self.actions.push(s.action.clone());
                }
                // `audit` probes IAM writes and hops on resources of its own naming (a
                // policy or instance profile that stands for any): those deny everywhere.
                // A recovery point stands for every one of its kind (the type's ARN
                // pattern), so the fix holds for the points not named and those to come.
                let resource = if s.resource.contains("vaultward-audit") {
                    "*".to_string()
                } else if s.resource == r.recovery_point {
                    kind_pattern(&s.resource)
                } else {
                    s.resource.clone()
                };
                if !self.resources.contains(&resource) {
                    self.resources.push(resource);
                }
            }
        }
    }

    /// The SCP statement: a Deny of those requests, for the listed principals only.
    fn statement(&self, principals: &[String]) -> Value {
        json!({
            "Sid": "VaultwardExposureFix",
            "Effect": "Deny",
            "Action": self.actions,
            "Resource": self.resources,
            "Condition": {"ArnLike": {"aws:PrincipalArn": principals}}
        })
    }
}

/// The ARN pattern of every resource of `arn`'s kind: `arn:aws:ec2:REGION::snapshot/*`,
/// `arn:aws:backup:REGION:ACCOUNT:recovery-point:*`, `...:snapshot:awsbackup:*`.
fn kind_pattern(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let Some(resource) = parts.get(5) else {
        return arn.to_string();
    };
    let kind = match resource.find('/') {
        Some(i) => format!("{}*", &resource[..=i]),
        None => match resource.rfind(':') {
            Some(i) => format!("{}*", &resource[..=i]),
            None => return arn.to_string(),
        },
    };
    format!("{}:{kind}", parts[..5].join(":"))
}

/// Rounds of re-evaluation a fix may take: a principal with another route than those
/// listed (one per route code) shows it once the first are closed.
const ROUNDS: usize = 4;

/// The snapshot with `statement` in an SCP of the account (a level of its own beside
/// `FullAWSAccess` when the snapshot has none).
fn patched(s: &Snapshot, statement: &Value) -> Snapshot {
    let mut p = s.clone();
    let doc = json!({"name": "vaultward-exposure-fix", "document": {"Version": "2012-10-17", "Statement": [statement]}});
    let org = p.organization.get_or_insert_with(Organization::default);
    if org.scps.is_empty() {
        let full: Value =
            serde_json::from_str(Managed::FullAwsAccess.document()).unwrap_or(Value::Null);
        org.scps.push(vec![
            json!({"name": Managed::FullAwsAccess.name(), "document": full}),
        ]);
    }
    if let Some(last) = org.scps.last_mut() {
        last.push(doc);
    }
    p
}

/// Whether an SCP can hold the account at all: it must be a member of an organization
/// other than its management account ("SCPs don't affect users or roles in the management
/// account", https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
fn scp_applies(s: &Snapshot, backup_api_only: bool) -> Result<(), String> {
    if backup_api_only {
        return Err("`vaultward serve` evaluates no SCPs: deny these requests in the vault access policy, or in the principals' policies of its configuration".into());
    }
    match &s.organization {
        None => Err("the account is in no organization (none is in the snapshot), and an SCP holds only member accounts: deny these requests in the vault or key policy, or in a permissions boundary of each principal".into()),
        Some(o) if o.management_account.as_deref() == Some(s.account_id.as_str()) => Err("this is the organization's management account, which no SCP holds: deny these requests in the vault or key policy, or in a permissions boundary of each principal".into()),
        Some(_) => Ok(()),
    }
}

/// Proposes and verifies a fix for each answer of the vault that lists principals.
pub(super) fn propose(
    s: &Snapshot,
    facts: &RequestFacts,
    backup_api_only: bool,
    without_root: bool,
    v: &mut VaultExposure,
) {
    let before: Vec<_> = v.types.iter().map(listed).collect();
    let scp_applies = scp_applies(s, backup_api_only);
    let opts = ExposureOptions {
        vaults: vec![v.arn.clone()],
        facts: facts.clone(),
        fixes: false,
        backup_api_only,
        without_root,
    };
    for ti in 0..v.types.len() {
        for ai in 0..v.types[ti].answers.len() {
            let a = &v.types[ti].answers[ai];
            if a.status != Status::Exposed {
                continue;
            }
            let mut hints: Vec<String> = Vec::new();
            for p in &a.principals {
                for r in &p.routes {
                    if !hints.contains(&r.hint) {
                        hints.push(r.hint.clone());
                    }
                }
            }
            let targets: Vec<String> = a.principals.iter().map(|p| p.principal.clone()).collect();
            let q = a.question;
            let mut denied = Denied::default();
            denied.add(a, &targets);
            let mut outcome = (false, Some("not re-evaluated".to_string()));
            let rounds = match &scp_applies {
                Ok(()) => ROUNDS,
                Err(why) => {
                    outcome = (false, Some(why.clone()));
                    0
                }
            };
            for _ in 0..rounds {
                let st = denied.statement(&targets);
                let after = exposure(&patched(s, &st), &opts);
                let Some(pv) = after.as_ref().ok().and_then(|e| e.vaults.first()) else {
                    outcome = (
                        false,
                        Some("the patched snapshot could not be answered".into()),
                    );
                    break;
                };
                let now: Vec<_> = pv.types.iter().map(listed).collect();
                let still: Vec<String> = now
                    .get(ti)
                    .and_then(|m| m.get(&q))
                    .map(|set| {
                        targets
                            .iter()
                            .filter(|t| set.contains(*t))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                // A principal no longer listed but now unknown is not shown closed.
                let unsure: Vec<String> = pv
                    .types
                    .get(ti)
                    .and_then(|t| t.answers.iter().find(|x| x.question == q))
                    .map(|x| {
                        targets
                            .iter()
                            .filter(|t| x.unknown.iter().any(|u| &u.principal == *t))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                let gained = now.iter().zip(&before).any(|(n, b)| {
                    n.iter()
                        .any(|(q, set)| b.get(q).is_none_or(|bs| !set.is_subset(bs)))
                });
                if gained {
                    outcome = (
                        false,
                        Some("with it, an answer of the vault lists a principal it did not".into()),
                    );
                    break;
                }
                if still.is_empty() && unsure.is_empty() {
                    outcome = (true, None);
                    break;
                }
                if still.is_empty() {
                    outcome = (
                        false,
                        Some(format!(
                            "with it, these are unknown rather than closed: {}",
                            unsure
                                .iter()
                                .map(|s| format!("`{s}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                    break;
                }
                outcome = (
                    false,
                    Some(format!(
                        "still listed with it: {}",
                        still
                            .iter()
                            .map(|s| format!("`{s}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
                let before_len = (denied.actions.len(), denied.resources.len());
                if let Some(pa) = pv
                    .types
                    .get(ti)
                    .and_then(|t| t.answers.iter().find(|x| x.question == q))
                {
                    denied.add(pa, &still);
                }
                if (denied.actions.len(), denied.resources.len()) == before_len {
                    break;
                }
            }
            let (verified, why) = outcome;
            let st = denied.statement(&targets);
            if let Some(a) = v.types.get_mut(ti).and_then(|t| t.answers.get_mut(ai)) {
                a.fix = Some(Fix {
                    scp: st,
                    verified,
                    not_verified: why,
                    hints,
                });
            }
        }
    }
}
