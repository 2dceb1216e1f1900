//! Hops into another role: assuming it, passing it to a service that runs code as it,
//! and taking over compute that already runs as it. Each is an [`Edge`]; `chain.rs` makes
//! it a path only when the role it leads to opens one.

use vaultward_iam::{NamedPolicy, PolicyKind};

use super::compute::{listed, Running, RunsAs};
use super::escalation::{trusts_service, Targets};
use super::methods::{fill, Compute, How, Method, METHODS};
use super::{ctx, short, Auditor, Edge, Leads, PathClass, ProbeStep};

/// The instance profiles a passed role can go in: the export's, or a new one (the role
/// then needs `iam:CreateInstanceProfile` and `iam:AddRoleToInstanceProfile`).
enum Profile {
    Existing(String),
    New(String),
    /// The export does not list the role's profiles: one named after the role, guessed.
    Guessed(String),
}

impl Auditor<'_, '_> {
    /// Role chaining: the other role's trust policy is its resource policy for
    /// `sts:AssumeRole`, evaluated by the engine as AWS does.
    pub(super) fn assume_role(&mut self, t: &Targets) {
        for role in &t.roles {
            if role.arn == self.role {
                continue;
            }
            let Some(trust) = &role.trust else { continue };
            let parsed = vaultward_iam::parse_policy(&trust.to_string(), PolicyKind::Trust);
            let Some(policy) = parsed.policy else {
                continue;
            };
            let rp = NamedPolicy {
                name: format!("trust policy of {}", role.arn),
                policy,
            };
            let name = short(&role.arn).to_string();
            let probe = [("sts:AssumeRole", role.arn.clone(), Vec::new(), Some(&rp))];
            if let Some(steps) = self.steps(&probe) {
                self.edges.push(Edge {
                    class: PathClass::AssumeRole,
                    code: "assume-role",
                    title: format!("assume `{name}`"),
                    fix: format!("remove the role from `{name}`'s trust policy, or `sts:AssumeRole` on it from the role's policies"),
                    target: role.arn.clone(),
                    steps,
                    leads: Leads::Role(role.arn.clone()),
                    depends_on: Vec::new(),
                });
            }
        }
    }

    /// The compute `m` hands a passed role to: none (new compute), the snapshot's, or a
    /// stand-in and why it is one.
    fn handed_to(&self, compute: Option<Compute>) -> Option<(Vec<String>, Vec<String>)> {
        let Some(c) = compute else {
            return Some((vec![String::new()], Vec::new()));
        };
        match listed(self.snapshot, c) {
            Ok(list) if list.is_empty() => None,
            Ok(list) => Some((list.into_iter().map(|r| r.arn).collect(), Vec::new())),
            Err(why) => Some((
                vec![fill(c.stand_in(), &self.region, &self.account, "")],
                vec![why],
            )),
        }
    }

    /// PassRole with a compute or orchestration service, to each role of the export whose
    /// trust policy lets that service assume it, and the services that run as a service
    /// role of the account without PassRole.
    pub(super) fn pass_role(&mut self, t: &Targets) {
        for m in METHODS {
            let (service, passes, compute) = match m.how {
                How::Pass { service } => (service, true, None),
                How::PassProfile => ("ec2.amazonaws.com", true, None),
                How::PassToExisting { service, compute } => (service, true, Some(compute)),
                How::ServiceRole { service } => (service, false, None),
                _ => continue,
            };
            let Some((targets, depends_on)) = self.handed_to(compute) else {
                continue;
            };
            for role in &t.roles {
                if role.arn == self.role
                    || !role
                        .trust
                        .as_ref()
                        .is_some_and(|tr| trusts_service(tr, service))
                {
                    continue;
                }
                let profiles = match (&m.how, &role.profiles) {
                    (How::PassProfile, Some(p)) if p.is_empty() => vec![Profile::New(format!(
                        "arn:aws:iam::{}:instance-profile/vaultward-audit",
                        self.account
                    ))],
                    (How::PassProfile, Some(p)) => {
                        p.iter().cloned().map(Profile::Existing).collect()
                    }
                    (How::PassProfile, None) => vec![Profile::Guessed(format!(
                        "arn:aws:iam::{}:instance-profile/{}",
                        self.account,
                        short(&role.arn)
                    ))],
                    _ => vec![Profile::Existing(String::new())],
                };
                'found: for target in &targets {
                    for profile in &profiles {
                        if self.pass_one(
                            m,
                            &role.arn,
                            service,
                            passes,
                            target,
                            profile,
                            &depends_on,
                        ) {
                            break 'found;
                        }
                    }
                }
            }
        }
    }

    /// One way of passing `role`: records the edge when every request is allowed.
    #[expect(
        clippy::too_many_arguments,
        reason = "one way of passing a role is these seven facts; a struct would only name them again"
    )]
    fn pass_one(
        &mut self,
        m: &Method,
        role: &str,
        service: &str,
        passes: bool,
        target: &str,
        profile: &Profile,
        depends_on: &[String],
    ) -> bool {
        let mut probe: Vec<ProbeStep<'_>> = Vec::new();
        if passes {
            probe.push((
                "iam:PassRole",
                role.to_string(),
                ctx(&[("iam:PassedToService", service)]),
                None,
            ));
        }
        let mut depends_on = depends_on.to_vec();
        let profile_arn = match profile {
            Profile::New(arn) => {
                probe.push(("iam:CreateInstanceProfile", arn.clone(), Vec::new(), None));
                probe.push((
                    "iam:AddRoleToInstanceProfile",
                    arn.clone(),
                    Vec::new(),
                    None,
                ));
                arn.clone()
            }
            Profile::Existing(arn) => arn.clone(),
            Profile::Guessed(arn) => {
                depends_on.push(format!("the export does not list `{}`'s instance profiles (`InstanceProfileList`): `{arn}` is a guess", short(role)));
                arn.clone()
            }
        };
        for (action, template) in m.calls {
            let mut c = Vec::new();
            if *action == "ec2:RunInstances" && !profile_arn.is_empty() {
                c.push(("ec2:InstanceProfile".to_string(), profile_arn.clone()));
            }
            probe.push((
                action,
                fill(template, &self.region, &self.account, target),
                c,
                None,
            ));
        }
        let Some(steps) = self.steps(&probe) else {
            return false;
        };
        let name = short(role);
        let calls: Vec<&str> = m.calls.iter().map(|(a, _)| *a).collect();
        let title = if passes {
            format!(
                "pass `{name}` to {service} and run code as it ({})",
                calls.join(", ")
            )
        } else {
            format!("{} runs as the service role `{name}`", calls.join(", "))
        };
        self.edges.push(Edge {
            class: m.class,
            code: m.code,
            title,
            fix: if passes {
                format!("limit `iam:PassRole` to the roles the role must pass (their ARNs in `Resource`, with `iam:PassedToService`), or keep `{service}` out of `{name}`'s trust policy")
            } else {
                format!("remove `{}` from the role's policies", calls.join("`, `"))
            },
            target: role.to_string(),
            steps,
            leads: Leads::Role(role.to_string()),
            depends_on,
        });
        true
    }

    /// Changing or running code in compute that already runs as some role: the snapshot's
    /// compute with its role, or, when the snapshot does not list it, a stand-in that
    /// leads to a role not known (possible).
    pub(super) fn existing_compute(&mut self, _t: &Targets) {
        for m in METHODS {
            let How::Existing(kind) = m.how else { continue };
            let (running, why) = match listed(self.snapshot, kind) {
                Ok(list) => (list, None),
                Err(why) => (
                    vec![Running {
                        arn: fill(kind.stand_in(), &self.region, &self.account, ""),
                        runs_as: RunsAs::Unknown(String::new()),
                        runs_when: None,
                    }],
                    Some(why),
                ),
            };
            for r in running {
                let probe: Vec<ProbeStep<'_>> = m
                    .calls
                    .iter()
                    .map(|(a, tpl)| {
                        (
                            *a,
                            fill(tpl, &self.region, &self.account, &r.arn),
                            Vec::new(),
                            None,
                        )
                    })
                    .collect();
                let Some(steps) = self.steps(&probe) else {
                    continue;
                };
                let leads = match (&r.runs_as, &why) {
                    (_, Some(why)) => Leads::Unknown(why.clone()),
                    (RunsAs::Role(role), None) if *role == self.role => continue,
                    (RunsAs::Role(role), None) => Leads::Role(role.clone()),
                    (RunsAs::Nothing, None) => continue,
                    (RunsAs::Unknown(why), None) => Leads::Unknown(why.clone()),
                };
                let calls: Vec<&str> = m.calls.iter().map(|(a, _)| *a).collect();
                let title = match &leads {
                    Leads::Role(role) => format!(
                        "{} on `{}`: run code as `{}`{}",
                        calls.join(", "),
                        r.arn,
                        short(role),
                        r.runs_when
                            .as_deref()
                            .map(|w| format!(" ({w})"))
                            .unwrap_or_default()
                    ),
                    Leads::Unknown(_) => format!(
                        "{} on {}: run code as the role it runs as",
                        calls.join(", "),
                        kind.noun()
                    ),
                };
                self.edges.push(Edge {
                    class: m.class,
                    code: m.code,
                    title,
                    fix: format!("remove `{}`, or limit it to compute whose role grants no more than the role's own", calls.join("`, `")),
                    target: r.arn.clone(),
                    steps,
                    leads,
                    depends_on: Vec::new(),
                });
            }
        }
    }
}
