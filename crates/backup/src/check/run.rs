//! Running the plan: every selected resource and operation, each step of the service
//! table a request (buckets in `buckets.rs`), and what makes pairs unknown.

use std::collections::BTreeSet;

use vaultward_iam::PolicyKind;
use vaultward_model::service::{self, Subject, Target};
use vaultward_model::AssetType;
use vaultward_snapshot::Snapshot;

use super::causes::Kind;
use super::docs::Doc;
use super::plan::Where;
use super::report::{finish, Cause};
use super::{Code, Impact, KeyOf, Level, Op, Plan, Report, ResourceKind, Status};

/// A protected resource other than a bucket, as the check sees it.
pub(super) struct Resource<'a> {
    pub(super) subject: Subject,
    pub(super) arn: &'a str,
    pub(super) policy: Doc,
    pub(super) tags: Vec<(String, String)>,
    pub(super) key: KeyOf,
}

pub(super) fn kind_of(subject: Subject) -> ResourceKind {
    match subject {
        Subject::Bucket => ResourceKind::Bucket,
        Subject::Table => ResourceKind::Table,
        Subject::Volume => ResourceKind::Volume,
        Subject::Instance => ResourceKind::Instance,
        Subject::Vault => ResourceKind::Vault,
    }
}

pub(super) fn region_of(arn: &str) -> String {
    vaultward_iam::arn::Arn::parse(arn)
        .map(|a| a.region.to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "us-east-1".into())
}

pub(super) fn fails(op: Op) -> Impact {
    Impact {
        summary: format!("{} fails", op.name()),
        ..Impact::default()
    }
}

impl Plan<'_> {
    pub(super) fn resource(&mut self, r: &Resource<'_>, op: Op) {
        let region = region_of(r.arn);
        let known_region = vaultward_iam::arn::Arn::parse(r.arn)
            .map(|a| a.region.to_string())
            .filter(|r| !r.is_empty());
        let acct = self.s.account_id.clone();
        let name = r.arn.rsplit(['/', ':']).next().unwrap_or(r.arn).to_string();
        let fill: [(&str, &str); 4] = [
            ("region", &region),
            ("account", &acct),
            ("resource", r.arn),
            ("resource_name", &name),
        ];
        self.acc.cell(r.arn, op, Status::Ok);
        let kind = match r.subject {
            Subject::Vault => Kind::Vault { arn: r.arn },
            _ => Kind::Other,
        };
        for step in service::steps(r.subject, op) {
            if !self.applies(step) {
                continue;
            }
            let causes = match step.target {
                Target::Resource => match &r.policy {
                    Doc::Unknown(u) => vec![Cause::unreadable(u, step.action)],
                    doc => {
                        let extra = self.step_context(step, &fill);
                        self.request_causes(
                            step.action,
                            r.arn,
                            &acct,
                            &extra,
                            doc.policy(),
                            kind,
                            doc.wild(),
                            Where {
                                region: known_region.as_deref(),
                                via: None,
                                tags: Some(&r.tags),
                            },
                        )
                    }
                },
                Target::Key => self.key_causes(step, &r.key, known_region.as_deref(), &fill, None),
                Target::Objects => Vec::new(),
                Target::Arn(_) | Target::Vendor(_) => {
                    self.other_causes(step, &fill, known_region.as_deref())
                }
            };
            for c in causes {
                self.acc.push(r.arn, kind_of(r.subject), op, c, &fails(op));
            }
        }
    }

    /// Runs the check.
    pub fn run(mut self) -> Report {
        let s = self.s;
        let opts = self.opts;
        let acct_resource = format!("account {}", s.account_id);
        let everything_unknown = self.everything_unknown(&acct_resource);
        let role_known = self.role_unknown.is_empty();
        let resources = resources(s, &opts.assets);
        let lists = unlisted(s, &opts.assets);
        for &op in &opts.operations {
            for &(list, label, subject) in &lists {
                if service::steps(subject, op).next().is_some() {
                    self.unlisted(list, label, op);
                }
            }
            if opts.assets.contains(&AssetType::S3) {
                for b in &s.buckets {
                    if role_known {
                        self.bucket(b, op);
                    } else {
                        self.acc
                            .cell(&format!("arn:aws:s3:::{}", b.name), op, Status::Unknown);
                    }
                }
            }
            for r in &resources {
                if service::steps(r.subject, op).next().is_none() {
                    continue;
                }
                if role_known {
                    self.resource(r, op);
                } else {
                    self.acc.cell(r.arn, op, Status::Unknown);
                }
            }
            for (resource, rk, c) in &everything_unknown {
                self.acc
                    .push(resource, *rk, op, c.clone(), &Impact::default());
            }
            if everything_unknown
                .iter()
                .any(|(_, _, c)| c.level == Level::Unknown)
            {
                let cells: Vec<String> = self
                    .acc
                    .cells
                    .keys()
                    .filter(|(_, o)| *o == op)
                    .map(|(r, _)| r.clone())
                    .collect();
                for r in cells {
                    self.acc.cell(&r, op, Status::Unknown);
                }
                // The account-wide findings are about the account, not a cell.
                self.acc.cells.remove(&(acct_resource.clone(), op));
                self.acc.cells.remove(&(opts.role_arn.clone(), op));
            }
        }
        let Plan {
            s,
            opts,
            acc,
            requests,
            ..
        } = self;
        finish(acc, s, opts, requests)
    }

    /// What makes every pair unknown: the role's side, the organization's policies.
    fn everything_unknown(&self, acct_resource: &str) -> Vec<(String, ResourceKind, Cause)> {
        let opts = self.opts;
        let mut out = Vec::new();
        for u in &self.role_unknown {
            out.push((
                opts.role_arn.clone(),
                ResourceKind::Role,
                Cause::unreadable(u, "*"),
            ));
        }
        for u in &self.org_unreadable {
            out.push((
                acct_resource.to_string(),
                ResourceKind::Account,
                Cause::unreadable(u, "*"),
            ));
        }
        if let Some(why) = self
            .s
            .organization
            .as_ref()
            .and_then(|o| o.policies_not_collected.as_ref())
        {
            let mut c = Cause::unknown(Code::OrganizationPoliciesNotCollected, "*", format!("the organization's SCPs and RCPs were not collected ({why}): any of them may deny the backup"), "collect from the management account or a delegated administrator (organizations:ListParents, ListPoliciesForTarget, DescribePolicy), add the policies to the snapshot, or pass --assume-org-policies-allow to accept the risk");
            if opts.assume_org_policies_allow {
                c.level = Level::Warning;
                c.reason = format!("the organization's SCPs and RCPs were not collected ({why}); as asked (--assume-org-policies-allow), the verdicts assume they deny nothing");
            }
            out.push((acct_resource.to_string(), ResourceKind::Account, c));
        }
        out
    }

    /// A resource list that was not collected: the resources in it are not known, so neither
    /// is whether their backups work.
    fn unlisted(&mut self, list: &str, label: &str, op: Op) {
        let s = self.s;
        let why = s.not_collected.get(list).map_or("", String::as_str);
        let resource = format!("{label} of account {}", s.account_id);
        self.acc.push(
            &resource,
            ResourceKind::ResourceList,
            op,
            Cause::unknown(
                Code::NotCollected,
                "*",
                format!("the account's {label} were not collected ({why}): their backups cannot be checked"),
                "collect them (`vaultward collect` with the asset type, or the snapshot's list; an empty list says there are none) and check again",
            ),
            &Impact::default(),
        );
    }
}

/// The protected resources of the selected asset types other than buckets, and the vaults.
fn resources<'s>(s: &'s Snapshot, assets: &BTreeSet<AssetType>) -> Vec<Resource<'s>> {
    let mut out: Vec<Resource<'s>> = Vec::new();
    if assets.contains(&AssetType::DynamoDb) {
        for t in &s.dynamodb_tables {
            out.push(Resource {
                subject: Subject::Table,
                arn: &t.arn,
                policy: Doc::None,
                tags: t.tags.clone().into_iter().collect(),
                key: t.kms_key_id.clone().map_or(KeyOf::None, KeyOf::Key),
            });
        }
    }
    if assets.contains(&AssetType::Ec2) {
        for v in &s.ebs_volumes {
            let key = match (&v.kms_key_id, v.encrypted) {
                (Some(k), _) => KeyOf::Key(k.clone()),
                (None, Some(true)) => KeyOf::Key("alias/aws/ebs".into()),
                (None, Some(false)) => KeyOf::None,
                (None, None) => KeyOf::Unknown,
            };
            out.push(Resource {
                subject: Subject::Volume,
                arn: &v.arn,
                policy: Doc::None,
                tags: v.tags.clone().into_iter().collect(),
                key,
            });
        }
        for i in &s.ec2_instances {
            out.push(Resource {
                subject: Subject::Instance,
                arn: &i.arn,
                policy: Doc::None,
                tags: i.tags.clone().into_iter().collect(),
                key: KeyOf::None,
            });
        }
    }
    for v in &s.backup_vaults {
        out.push(Resource {
            subject: Subject::Vault,
            arn: &v.arn,
            policy: Doc::read(
                &v.access_policy,
                &format!("{} access policy", v.name),
                &format!("access policy of vault `{}`", v.name),
                PolicyKind::Vault,
            ),
            tags: Vec::new(),
            key: KeyOf::None,
        });
    }
    out
}

/// The snapshot's resource lists of the selected asset types that were not collected: field,
/// label, subject.
fn unlisted(
    s: &Snapshot,
    assets: &BTreeSet<AssetType>,
) -> Vec<(&'static str, &'static str, Subject)> {
    [
        ("buckets", "S3 buckets", Subject::Bucket),
        ("dynamodb_tables", "DynamoDB tables", Subject::Table),
        ("ebs_volumes", "EBS volumes", Subject::Volume),
        ("ec2_instances", "EC2 instances", Subject::Instance),
        ("backup_vaults", "backup vaults", Subject::Vault),
    ]
    .into_iter()
    .filter(|(_, _, subject)| subject.asset().is_none_or(|a| assets.contains(&a)))
    .filter(|(list, _, _)| s.not_collected.contains_key(*list))
    .collect()
}
