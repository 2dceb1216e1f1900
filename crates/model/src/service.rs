//! What the backup service does, as one table ([`TABLE`], in `service/table.rs`): for each
//! asset type and operation the steps (each a request: action, resource, the context keys
//! it carries, when it applies, why), each carrying the grant that allows it (the statement:
//! its Sid, managed policy, resource patterns and conditions), and what no step needs but the
//! service must have (validation of what it deployed, inventory and collection reads, drift
//! detection, support), with its reason.
//!
//! Everything else derives from it: the permissions file ([`crate::policies`]) is the
//! grants whose needs apply to a selection, each statement listing exactly the actions of
//! those needs; `vaultward check` evaluates the steps ([`steps`]), and only these;
//! `vaultward fix` proposes the grant of a failing step; `docs/permission-model.md`'s tables
//! are written from it by a test.

use std::sync::LazyLock;

use serde::Serialize;

use crate::params::{AssetType, Params};

mod table;

pub use table::TABLE;

/// Backup or restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Backup,
    Restore,
}

impl Op {
    pub fn parse(s: &str) -> Option<Op> {
        match s.trim() {
            "backup" => Some(Op::Backup),
            "restore" => Some(Op::Restore),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Backup => "backup",
            Op::Restore => "restore",
        }
    }

    /// The operation done, as in "not backed up".
    pub fn done(self) -> &'static str {
        match self {
            Op::Backup => "backed up",
            Op::Restore => "restored",
        }
    }
}

/// The kind of protected resource an operation works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Bucket,
    Table,
    Volume,
    Instance,
    /// An AWS Backup vault: the service reads what AWS Backup already protects.
    Vault,
}

impl Subject {
    /// Every subject, in the order of the table's sections.
    pub const ALL: [Subject; 5] = [
        Subject::Bucket,
        Subject::Table,
        Subject::Volume,
        Subject::Instance,
        Subject::Vault,
    ];

    /// The asset type it belongs to; vaults are checked whatever the selection.
    pub fn asset(self) -> Option<AssetType> {
        match self {
            Subject::Bucket => Some(AssetType::S3),
            Subject::Table => Some(AssetType::DynamoDb),
            Subject::Volume | Subject::Instance => Some(AssetType::Ec2),
            Subject::Vault => None,
        }
    }

    /// The service a KMS key of this resource is used through (`kms:ViaService`).
    pub fn service(self) -> &'static str {
        match self.asset() {
            Some(a) => service_of(a),
            None => "backup",
        }
    }

    /// The subject in words: `S3 bucket`, `EBS volume`.
    pub fn name(self) -> &'static str {
        match self {
            Subject::Bucket => "S3 bucket",
            Subject::Table => "DynamoDB table",
            Subject::Volume => "EBS volume",
            Subject::Instance => "EC2 instance",
            Subject::Vault => "AWS Backup vault",
        }
    }

    /// A resource of this kind (its ARN and name), for sample requests.
    pub fn sample(self, region: &str, account: &str) -> (String, &'static str) {
        match self {
            Subject::Bucket => ("arn:aws:s3:::customer-data".into(), "customer-data"),
            Subject::Table => (
                format!("arn:aws:dynamodb:{region}:{account}:table/orders"),
                "orders",
            ),
            Subject::Volume => (
                format!("arn:aws:ec2:{region}:{account}:volume/vol-0123456789abcdef0"),
                "vol-0123456789abcdef0",
            ),
            Subject::Instance => (
                format!("arn:aws:ec2:{region}:{account}:instance/i-0123456789abcdef0"),
                "i-0123456789abcdef0",
            ),
            Subject::Vault => (
                format!("arn:aws:backup:{region}:{account}:backup-vault:main"),
                "main",
            ),
        }
    }
}

/// The service through which the keys of an asset type's data are used.
pub fn service_of(asset: AssetType) -> &'static str {
    match asset {
        AssetType::S3 => "s3",
        AssetType::DynamoDb => "dynamodb",
        AssetType::Ec2 => "ec2",
    }
}

/// What a request is made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The protected resource itself (bucket, table, volume, instance, vault), under its
    /// resource policy.
    Resource,
    /// Every object of the bucket, evaluated per group of objects that get the same answer.
    Objects,
    /// The KMS key of the data (each object group's key for a bucket), through the
    /// subject's service, under its key policy.
    Key,
    /// Another resource of the customer's account the operation creates or touches, as
    /// an ARN template: `{region}`, `{account}`, `{resource}` (the protected resource's
    /// ARN), `{resource_name}` and the names of [`Names`] are replaced.
    Arn(&'static str),
    /// A resource of the vendor's account (its export bucket): only the role's side is
    /// the customer's to check; the vendor's bucket policy is taken to allow the role.
    Vendor(&'static str),
}

/// When a need applies (or a condition is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// Only with continuous backup enabled (`--continuous-s3`).
    Continuous,
    /// Only for objects the service uploads in parts (at least [`MULTIPART_THRESHOLD`]
    /// bytes): a multipart upload under SSE-KMS also needs `kms:Decrypt`.
    Multipart,
    /// Only when the customer named roles for restored instances
    /// (`--restore-instance-roles`); without, restored instances get no profile.
    InstanceRoles,
    /// Only when the customer named no role for restored instances.
    NoInstanceRoles,
    /// Only with the support role (`--support-role`).
    SupportRole,
}

impl When {
    /// Whether it holds for a permissions file generated with `p` (object sizes aside: a
    /// multipart upload may always happen).
    pub fn holds(self, p: &Params) -> bool {
        match self {
            When::Always | When::Multipart => true,
            When::Continuous => p.continuous_s3,
            When::InstanceRoles => !p.restore_instance_roles.is_empty(),
            When::NoInstanceRoles => p.restore_instance_roles.is_empty(),
            When::SupportRole => p.support_role,
        }
    }

    /// The condition in words, for the docs (empty when always).
    pub fn describe(self) -> &'static str {
        match self {
            When::Always => "",
            When::Continuous => "with `--continuous-s3`",
            When::Multipart => "objects of 8 MiB or more (multipart uploads)",
            When::InstanceRoles => "with `--restore-instance-roles`",
            When::NoInstanceRoles => "without `--restore-instance-roles`",
            When::SupportRole => "with `--support-role`",
        }
    }
}

/// Objects of this size or more are uploaded in parts (the AWS CLI's and SDKs' default
/// `multipart_threshold`, 8 MiB).
pub const MULTIPART_THRESHOLD: u64 = 8 * 1024 * 1024;

/// Why the service needs what no backup or restore step asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Purpose {
    /// Validate what the permissions file deployed (the seed's base policy).
    Validation,
    /// List the selected assets and what `vaultward collect` reads (the seed's inventory).
    Inventory,
    /// Detect changes to what the permissions file deployed (the seed's drift detection).
    DriftDetection,
    /// Open and follow support cases (the seed's optional support role).
    Support,
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [
        Purpose::Validation,
        Purpose::Inventory,
        Purpose::DriftDetection,
        Purpose::Support,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Purpose::Validation => "validation",
            Purpose::Inventory => "inventory",
            Purpose::DriftDetection => "drift detection",
            Purpose::Support => "support",
        }
    }
}

/// What a need is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// A step of an operation on a kind of resource: `check` evaluates it.
    Step(Subject, Op),
    /// What the service needs besides, for one asset type or (`None`) any selection.
    Standing(Purpose, Option<AssetType>),
    /// A request a Deny grant refuses, whatever other policies allow.
    Refused,
}

/// One row of the table: requests the service makes, one per action.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    pub part: Part,
    pub when: When,
    pub actions: &'static [&'static str],
    pub target: Target,
    /// Context keys the requests carry (templates, as for [`Target::Arn`]).
    pub context: &'static [(&'static str, &'static str)],
    /// What the requests are for, in words.
    pub why: &'static str,
}

impl Need {
    /// Whether the need is part of a permissions file generated with `p`.
    pub fn applies(&self, p: &Params) -> bool {
        let selected = |a: Option<AssetType>| a.is_none_or(|a| p.assets.contains(&a));
        let part = match self.part {
            Part::Step(subject, op) => selected(subject.asset()) && (op == Op::Backup || p.restore),
            Part::Standing(_, asset) => selected(asset),
            Part::Refused => true,
        };
        part && self.when.holds(p)
    }
}

/// The managed (or inline) policies the grants go into, in the order of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Policy {
    Base,
    Inventory,
    Kms,
    S3Backup,
    S3Restore,
    DynamoDbBackup,
    DynamoDbRestore,
    Ec2Backup,
    Ec2Restore,
    /// The support role's inline policy.
    Support,
}

impl Policy {
    /// The backup role's managed policies, in the order of the file.
    pub const MANAGED: [Policy; 9] = [
        Policy::Base,
        Policy::Inventory,
        Policy::Kms,
        Policy::S3Backup,
        Policy::S3Restore,
        Policy::DynamoDbBackup,
        Policy::DynamoDbRestore,
        Policy::Ec2Backup,
        Policy::Ec2Restore,
    ];

    /// The policy's name after the name token (`VaultwardBasePolicy`).
    pub fn suffix(self) -> &'static str {
        match self {
            Policy::Base => "BasePolicy",
            Policy::Inventory => "InventoryPolicy",
            Policy::Kms => "KmsPolicy",
            Policy::S3Backup => "S3BackupPolicy",
            Policy::S3Restore => "S3RestorePolicy",
            Policy::DynamoDbBackup => "DynamoDbBackupPolicy",
            Policy::DynamoDbRestore => "DynamoDbRestorePolicy",
            Policy::Ec2Backup => "Ec2BackupPolicy",
            Policy::Ec2Restore => "Ec2RestorePolicy",
            Policy::Support => "SupportPolicy",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Policy::Base => {
                "Validate the service's own roles, policies, topic and rules, and detect drift"
            }
            Policy::Inventory => "List the selected assets and their configuration, read-only",
            Policy::Kms => {
                "Use customer keys for encrypted assets, only through the protected services"
            }
            Policy::S3Backup => "Read buckets and objects for backup",
            Policy::S3Restore => "Write restored objects into customer buckets",
            Policy::DynamoDbBackup => {
                "Export tables to point in time and read streams for incrementals"
            }
            Policy::DynamoDbRestore => "Restore tables, items and their auto-scaling settings",
            Policy::Ec2Backup => {
                "Snapshot volumes and instances; touch only what carries the vendor tag"
            }
            Policy::Ec2Restore => {
                "Restore volumes, images and instances; manage only what carries the restore tag"
            }
            Policy::Support => "Open and follow support cases",
        }
    }
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One condition of a grant: `{operator: {key: values}}`, templates filled from the
/// parameters. A value that is exactly a list placeholder (`{via_services}`,
/// `{restore_instance_profiles}`) is a list; one value is written as a string, more as a
/// list.
#[derive(Debug, Clone, Copy)]
pub struct Cond {
    pub operator: &'static str,
    pub key: &'static str,
    pub values: &'static [&'static str],
    /// Written only when this holds.
    pub when: When,
}

impl Cond {
    pub const fn new(
        operator: &'static str,
        key: &'static str,
        values: &'static [&'static str],
    ) -> Cond {
        Cond {
            operator,
            key,
            values,
            when: When::Always,
        }
    }

    pub const fn only(self, when: When) -> Cond {
        Cond { when, ..self }
    }
}

/// One statement of the permissions file, and the needs it serves (for a Deny, the requests
/// it refuses): its actions are those of the needs that apply, in the table's order.
#[derive(Debug, Clone, Copy)]
pub struct Grant {
    /// The policy it goes into: the first of these the file holds (a Deny that guards
    /// several policies' grants goes where they are).
    pub policies: &'static [Policy],
    pub sid: &'static str,
    pub effect: Effect,
    /// Resource patterns (templates; `{restore_instance_roles}` is a list).
    pub resources: &'static [&'static str],
    pub conditions: &'static [Cond],
    pub needs: &'static [Need],
}

impl Grant {
    /// The grant of `sid`.
    pub fn by_sid(sid: &str) -> Option<&'static Grant> {
        TABLE.iter().find(|g| g.sid == sid)
    }
}

/// One request of an operation: a need's action, with the grant that allows it.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub subject: Subject,
    pub op: Op,
    pub action: &'static str,
    pub target: Target,
    pub context: &'static [(&'static str, &'static str)],
    pub when: When,
    pub why: &'static str,
    pub grant: &'static Grant,
}

/// Every step of the table, in its order.
static STEPS: LazyLock<Vec<Step>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for grant in TABLE {
        for need in grant.needs {
            let Part::Step(subject, op) = need.part else {
                continue;
            };
            for &action in need.actions {
                out.push(Step {
                    subject,
                    op,
                    action,
                    target: need.target,
                    context: need.context,
                    when: need.when,
                    why: need.why,
                    grant,
                });
            }
        }
    }
    out
});

/// Every step of every operation.
pub fn all_steps() -> &'static [Step] {
    &STEPS
}

/// The steps of `subject`'s `op`.
pub fn steps(subject: Subject, op: Op) -> impl Iterator<Item = &'static Step> {
    STEPS
        .iter()
        .filter(move |s| s.subject == subject && s.op == op)
}

/// The names the generated permissions use, which the requests carry.
#[derive(Debug, Clone)]
pub struct Names {
    pub vendor_tag_key: String,
    pub vendor_tag_value: String,
    pub restore_tag_key: String,
    pub role_path: String,
    pub name_token: String,
    pub restore_table_prefix: String,
    /// The first role named for restored instances, if any.
    pub restore_instance_role: Option<String>,
}

impl Default for Names {
    fn default() -> Self {
        Names::from(&Params::default())
    }
}

impl From<&Params> for Names {
    fn from(p: &Params) -> Self {
        Names {
            vendor_tag_key: p.vendor_tag_key.clone(),
            vendor_tag_value: p.vendor_tag_value.clone(),
            restore_tag_key: p.restore_tag_key.clone(),
            role_path: p.role_path.clone(),
            name_token: p.name_token.clone(),
            restore_table_prefix: p.restore_table_prefix.clone(),
            restore_instance_role: p.restore_instance_roles.first().cloned(),
        }
    }
}

impl Names {
    /// Replaces `{vendor_tag_key}`, `{vendor_tag_value}`, `{restore_tag_key}`,
    /// `{role_path}`, `{name_token}`, `{restore_table_prefix}`, `{restore_instance_role}`
    /// and the given extra names in `template`.
    pub fn fill(&self, template: &str, extra: &[(&str, &str)]) -> String {
        let mut out = template
            .replace("{vendor_tag_key}", &self.vendor_tag_key)
            .replace("{vendor_tag_value}", &self.vendor_tag_value)
            .replace("{restore_tag_key}", &self.restore_tag_key)
            .replace("{role_path}", &self.role_path)
            .replace("{name_token}", &self.name_token)
            .replace("{restore_table_prefix}", &self.restore_table_prefix)
            .replace(
                "{restore_instance_role}",
                self.restore_instance_role.as_deref().unwrap_or("none"),
            );
        for (k, v) in extra {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }
}

/// One request of a need, made on sample resources: what the tests ask of the generated
/// policies, and the docs show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRequest {
    pub action: &'static str,
    pub resource: String,
    /// The account that owns the resource (the vendor's for [`Target::Vendor`]).
    pub resource_account: String,
    pub context: Vec<(String, String)>,
}

impl Need {
    /// The need's requests on sample resources in `region`, for the account and names of
    /// `p`, with the context keys the check adds for them (`kms:ViaService` and
    /// `kms:CallerAccount` on a key, `s3:ResourceAccount` on S3).
    pub fn sample_requests(&self, p: &Params, region: &str) -> Vec<SampleRequest> {
        let names = Names::from(p);
        let account = p.account.as_str();
        let (resource, name) = match self.part {
            Part::Step(subject, _) => subject.sample(region, account),
            Part::Standing(..) | Part::Refused => (String::new(), ""),
        };
        let fill = [
            ("region", region),
            ("account", account),
            ("vendor_account", p.vendor_account.as_str()),
            ("resource", resource.as_str()),
            ("resource_name", name),
        ];
        let mut context: Vec<(String, String)> = self
            .context
            .iter()
            .map(|(k, v)| (names.fill(k, &fill), names.fill(v, &fill)))
            .collect();
        let mut owner = account.to_string();
        let arn = match self.target {
            Target::Resource => resource.clone(),
            Target::Objects => format!("{resource}/reports/2026/q1.csv"),
            Target::Key => {
                if let Part::Step(subject, _) = self.part {
                    context.push((
                        "kms:ViaService".into(),
                        format!("{}.{region}.amazonaws.com", subject.service()),
                    ));
                }
                context.push(("kms:CallerAccount".into(), account.to_string()));
                format!("arn:aws:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
            }
            Target::Arn(t) => names.fill(t, &fill),
            Target::Vendor(t) => {
                owner = p.vendor_account.clone();
                names.fill(t, &fill)
            }
        };
        self.actions
            .iter()
            .map(|&action| {
                let mut context = context.clone();
                if action.starts_with("s3:") {
                    context.push(("s3:ResourceAccount".into(), owner.clone()));
                }
                SampleRequest {
                    action,
                    resource: arn.clone(),
                    resource_account: owner.clone(),
                    context,
                }
            })
            .collect()
    }
}
