//! The operations: validation as AWS Backup does it, authorization by the engine (identity
//! policies plus the vault access policy), and the store.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use vaultward_iam::{
    authorize, parse_policy, Context, ContextValue, Decision, NamedPolicy, PolicyKind, PolicySet,
    Request,
};

use crate::arns::{recovery_point_arn, resource_type};
use crate::config::{Config, Identity};
use crate::error::ApiError;
use crate::routes::Route;
use crate::store::{Kind, Store};

mod jobs;
mod lifecycle;
mod listing;
mod locks;
mod recovery_points;
mod sweep;
mod tags;
mod vaults;

pub use sweep::SweepReport;

pub use vaults::validate_vault_policy;

/// AWS's tag limit per resource (Tag limits, AWS General Reference), which backup and copy
/// jobs cannot exceed when they merge tags.
pub const MAX_TAGS: usize = 50;
/// The message a job fails with when merged tags exceed the limit (the seed's wording).
pub const TOO_MANY_TAGS: &str = "Your resource has more than 50 tags after aggregating your backup job tags with your source resource tags. AWS supports up to 50 tags per resource.";
const DAY: f64 = 86400.0;

pub use crate::clock::{Clock, SystemClock};

pub type Log = Arc<dyn Fn(String) + Send + Sync>;

pub struct Service {
    pub config: Config,
    store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Read-modify-write operations run one at a time.
    writes: Mutex<()>,
    pub(crate) log: Log,
    /// Parsed policy sets by (principal and session policy, vault access policy), both as
    /// hashes: parsing costs twenty times an evaluation, and both inputs change rarely.
    /// Bounded in entries and in the bytes of the policies held.
    sets: Mutex<SetCache>,
    /// Temporary credentials issued by `sts:AssumeRole`, by access key (in memory: they
    /// end with the process, as they would expire).
    pub(crate) sessions: Mutex<HashMap<String, crate::config::Session>>,
}

/// Entries kept in the policy-set cache before it is emptied.
const MAX_CACHED_SETS: usize = 10_000;
/// Bytes of policy text the cached sets may stand for before the cache is emptied (a
/// parsed policy takes a few times its text).
const MAX_CACHED_BYTES: usize = 16 << 20;

/// The policy-set cache: sets by key, and the bytes of policy text they hold.
#[derive(Default)]
pub(crate) struct SetCache {
    sets: HashMap<(String, String), Cached>,
    bytes: usize,
}

/// A parsed policy set, and whether any of its policies mentions `aws:ResourceTag/...`
/// (the resource's tags are read from the store only then).
type Cached = (Arc<PolicySet>, bool);

/// A condition key the request itself fills, with its value.
pub(super) type RequestKey = (String, ContextValue);

/// `aws:RequestTag/KEY` for each tag a request sets and `aws:TagKeys` for their keys (absent
/// when it sets none), as AWS Backup's `CreateBackupVault` and `TagResource` fill them
/// (Service Authorization Reference, "Actions, resources, and condition keys for AWS
/// Backup").
pub(super) fn request_tag_keys(tags: &BTreeMap<String, String>) -> Vec<RequestKey> {
    if tags.is_empty() {
        return Vec::new();
    }
    tags.iter()
        .map(|(k, v)| {
            (
                format!("aws:RequestTag/{k}"),
                ContextValue::Single(v.clone()),
            )
        })
        .chain(std::iter::once((
            "aws:TagKeys".to_string(),
            ContextValue::Multi(tags.keys().cloned().collect()),
        )))
        .collect()
}

/// Every policy of a set the service builds (identity, vault and session policies).
fn policies(set: &PolicySet) -> impl Iterator<Item = &NamedPolicy> {
    set.identity
        .iter()
        .chain(set.resource.iter())
        .chain(set.session.iter())
}

/// The statement (policy name and Sid or index) of the set that could apply to `action`
/// and reads a key AWS fills for it from facts this service does not have, if any:
/// `CopyIntoBackupVault` lists `aws:RequestTag/…` in the Service Authorization Reference,
/// and neither it nor AWS Backup's guide says which tags a copy carries. Such a condition
/// is undecidable here, so the call is refused rather than decided on an absent key.
fn reads_unknowable_keys(set: &PolicySet, action: &str) -> Option<String> {
    let needles: &[&str] = match action {
        "backup:CopyIntoBackupVault" => &["aws:requesttag/", "aws:tagkeys"],
        _ => return None,
    };
    let mentions = |text: &str| {
        let lower = text.to_ascii_lowercase();
        needles.iter().any(|n| lower.contains(n))
    };
    policies(set).find_map(|p| {
        p.policy
            .statements
            .iter()
            .enumerate()
            .find(|(_, st)| {
                let names = st
                    .action
                    .patterns
                    .iter()
                    .any(|g| g.is_match_ignore_ascii_case(action));
                names != st.action.negated
                    && st
                        .conditions
                        .iter()
                        .any(|c| mentions(&c.key) || c.value_texts().iter().any(|v| mentions(v)))
            })
            .map(|(i, st)| {
                let label = st.sid.clone().unwrap_or_else(|| format!("#{i}"));
                format!("statement {label} of {}", p.name)
            })
    })
}

/// Whether any policy of the set mentions `aws:ResourceTag/`, as a condition key or as a
/// policy variable (`${aws:ResourceTag/team}` in a condition value or a resource). Read
/// over the whole policy, so no place a key can appear is missed; the answer is cached
/// with the set.
fn reads_resource_tags(set: &PolicySet) -> bool {
    policies(set).any(|p| {
        p.policy
            .to_json()
            .to_string()
            .to_ascii_lowercase()
            .contains("aws:resourcetag/")
    })
}

impl SetCache {
    fn get(&self, key: &(String, String)) -> Option<Cached> {
        self.sets.get(key).cloned()
    }

    fn insert(&mut self, key: (String, String), set: Cached, bytes: usize) {
        if self.sets.len() >= MAX_CACHED_SETS || self.bytes.saturating_add(bytes) > MAX_CACHED_BYTES
        {
            self.sets.clear();
            self.bytes = 0;
        }
        if bytes <= MAX_CACHED_BYTES {
            self.bytes = self.bytes.saturating_add(bytes);
            self.sets.insert(key, set);
        }
    }
}

fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

type Res = Result<Value, ApiError>;

/// A field of a JSON record, `null` when absent (never a panic, unlike indexing).
trait Field {
    fn at(&self, key: &str) -> &Value;
}

impl Field for Value {
    fn at(&self, key: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.get(key).unwrap_or(&NULL)
    }
}

/// Sets a field of a JSON record (a record is always an object; anything else is left as is).
fn put(v: &mut Value, key: &str, value: Value) {
    if let Some(m) = v.as_object_mut() {
        m.insert(key.to_string(), value);
    }
}

fn s<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn required<'a>(body: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    opt_str(body, key)?
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::missing(key))
}

/// A request field that is a string when present: any other type is refused, not ignored.
fn opt_str<'a>(body: &'a Value, key: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(v)) => Ok(Some(v)),
        Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
    }
}

/// The longest retention accepted, in days (far beyond any real one; keeps every date
/// computed from it representable).
const MAX_DAYS: i64 = 1_000_000;

fn days(body: &Value, key: &str) -> Result<Option<i64>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_i64() {
            Some(d) if d > MAX_DAYS => Err(ApiError::invalid(format!(
                "{key} must be at most {MAX_DAYS}"
            ))),
            Some(d) => Ok(Some(d)),
            None => Err(ApiError::invalid(format!("{key} must be an integer"))),
        },
    }
}

fn page_args(q: &HashMap<String, String>) -> Result<(Option<i64>, usize), ApiError> {
    let after = match q.get("nextToken") {
        None => None,
        Some(t) => Some(
            t.parse::<i64>()
                .map_err(|_| ApiError::invalid("NextToken is not a token this service gave"))?,
        ),
    };
    let limit = match q.get("maxResults") {
        None => 1000,
        Some(m) => m
            .parse::<usize>()
            .ok()
            .filter(|m| (1..=1000).contains(m))
            .ok_or_else(|| ApiError::invalid("MaxResults must be between 1 and 1000"))?,
    };
    Ok((after, limit))
}

fn with_token(mut v: Value, next: Option<i64>) -> Value {
    if let (Some(n), Some(m)) = (next, v.as_object_mut()) {
        m.insert("NextToken".into(), json!(n.to_string()));
    }
    v
}

impl Service {
    pub fn new(config: Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>, log: Log) -> Service {
        Service {
            config,
            store,
            clock,
            writes: Mutex::new(()),
            log,
            sets: Mutex::new(SetCache::default()),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn vault_arn(&self, account: &str, name: &str) -> String {
        format!(
            "arn:aws:backup:{}:{account}:backup-vault:{name}",
            self.config.region
        )
    }

    /// The global condition keys of a call by `who` on a resource of `resource_account`
    /// that the service knows ("AWS global condition context keys", IAM User Guide,
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
    /// each present exactly when AWS has it: the caller, the time, the transport, the region,
    /// the source address, user agent and referer, tags, source identity, the keys of
    /// temporary credentials, and the Organizations keys of configured accounts. Shared by
    /// the Backup API and STS.
    pub(crate) fn caller_context(
        &self,
        who: &Identity,
        service: &str,
        resource_account: &str,
    ) -> Context {
        use vaultward_iam::request_context::{fill, Facts, Membership, Network, Route, Tags};
        let now = self.clock.now();
        let mut ctx = Context::default();
        let one = |v: String| ContextValue::Single(v);
        ctx.insert("aws:PrincipalArn", one(who.principal_arn.clone()));
        if let Some(v) = &who.request.referer {
            ctx.insert("aws:Referer", one(v.clone()));
        }
        if let Some(x) = &who.source_identity {
            ctx.insert("aws:SourceIdentity", one(x.clone()));
        }
        if let Some(issued) = who.token_issued {
            ctx.insert("aws:TokenIssueTime", one(crate::arns::iso8601(issued)));
        }
        // Everything else the request-context model says AWS sends, from what this service
        // knows of the request; what it cannot know is unknown, never absent.
        let membership = |account: &str| match self
            .config
            .accounts
            .get(account)
            .and_then(|a| a.organization.as_ref())
        {
            Some(o) => Membership::Member {
                id: o.id.clone(),
                path: o.path.clone(),
            },
            None => Membership::None,
        };
        let facts = Facts {
            at: Some((now * 1000.0) as i64),
            max_session: None,
            region: Some(self.config.region.clone()),
            network: Network {
                egress: who
                    .request
                    .source_ip
                    .map(|ip| vec![ip.to_string()])
                    .unwrap_or_default(),
                vpc_endpoint: None,
                tls_version: None,
            },
            // The service speaks plain HTTP: put it behind TLS and AWS's meaning still holds.
            secure_transport: Some(false),
            sdk_client: false,
            // AWS always sends `aws:UserAgent`: the client's header, empty without one.
            user_agent: Some(who.request.user_agent.clone().unwrap_or_default()),
            userid: Some(crate::config::user_id(who)),
            // Sessions here are never issued with MFA.
            mfa: Some(false),
            principal_org: membership(&who.account),
            resource_org: membership(resource_account),
            principal_tags: Tags::Known(
                who.tags
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            // The resource's tags are read when a policy asks for them (below).
            resource_tags: Tags::Known(Vec::new()),
        };
        // A principal the engine cannot read is refused when the request is built.
        if let Ok(p) = vaultward_iam::principal::RequestPrincipal::parse(
            &who.principal,
            Some(&who.principal_arn),
        ) {
            fill(
                &mut ctx,
                &p,
                service,
                Some(resource_account),
                &Route::Direct,
                &facts,
            );
        }
        ctx
    }

    /// Authorizes `action` on `resource` (in `resource_account`) for `who`, with the vault's
    /// access policy when there is one. Cross-account calls other than
    /// `backup:CopyIntoBackupVault` are refused whatever the policies say. A denial is
    /// logged with the deciding statements; the caller sees AWS's message only.
    fn authorize(
        &self,
        who: &Identity,
        action: &str,
        resource: &str,
        resource_account: &str,
        vault: Option<&Value>,
        request: &[RequestKey],
    ) -> Result<(), ApiError> {
        let refuse = |why: String| {
            (self.log)(format!(
                "denied: {} {action} on {resource}: {why}",
                who.principal
            ));
            ApiError::denied(format!(
                "User: {} is not authorized to perform: {action} on resource: {resource}",
                who.principal
            ))
        };
        if who.account != resource_account && action != "backup:CopyIntoBackupVault" {
            return Err(refuse(format!(
                "cross-account call from account {} to a resource of account {resource_account}; only backup:CopyIntoBackupVault crosses accounts",
                who.account
            )));
        }
        let policy_text = vault
            .and_then(|v| v.get("Policy"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let session_text = who.session_policy.as_ref().map_or("", |p| p.1.as_str());
        let key = (
            format!("{}\n{}", who.principal_arn, digest(session_text)),
            digest(policy_text),
        );
        let cached = self.sets.lock().ok().and_then(|c| c.get(&key));
        let (set, needs_tags) = match cached {
            Some(c) => c,
            None => {
                let resource = if policy_text.is_empty() {
                    None
                } else {
                    match parse_policy(policy_text, PolicyKind::Resource).policy {
                        Some(p) => Some(NamedPolicy {
                            name: format!(
                                "vault access policy of {}",
                                vault.and_then(|v| s(v, "BackupVaultName")).unwrap_or("?")
                            ),
                            policy: p,
                        }),
                        // Validated at put time; a stored policy that no longer parses denies.
                        None => {
                            return Err(refuse("the vault access policy does not parse".into()))
                        }
                    }
                };
                let set = Arc::new(PolicySet {
                    identity: who.policies.to_vec(),
                    resource,
                    session: who.session_policy.as_ref().map(|p| p.0.clone()),
                    ..PolicySet::default()
                });
                let needs_tags = reads_resource_tags(&set);
                if let Ok(mut c) = self.sets.lock() {
                    c.insert(
                        key,
                        (set.clone(), needs_tags),
                        policy_text.len().saturating_add(session_text.len()),
                    );
                }
                (set, needs_tags)
            }
        };
        if let Some(st) = reads_unknowable_keys(&set, action) {
            return Err(refuse(format!(
                "{st} reads aws:RequestTag or aws:TagKeys for {action}, which AWS fills from tags this service does not know; refused rather than guessed"
            )));
        }
        let service = action.split(':').next().unwrap_or_default();
        let mut ctx = self.caller_context(who, service, resource_account);
        // What the request itself says (tags it sets, lock settings).
        for (k, v) in request {
            ctx.insert(k, v.clone());
        }
        // The tags of the vault or recovery point acted on, when a policy reads them.
        if needs_tags {
            match self.tags(resource) {
                Ok(tags) => {
                    for (k, v) in tags {
                        ctx.insert(&format!("aws:ResourceTag/{k}"), ContextValue::Single(v));
                    }
                }
                Err(e) => {
                    return Err(refuse(format!(
                        "the resource's tags cannot be read: {}",
                        e.message
                    )))
                }
            }
        }
        let req = match Request::new(
            &who.principal,
            action,
            resource,
            Some(resource_account),
            ctx,
        ) {
            Ok(r) => r,
            Err(e) => return Err(refuse(format!("the request cannot be evaluated: {e:?}"))),
        };
        let r = authorize(&req, &set);
        if r.decision == Decision::Allow {
            return Ok(());
        }
        if who.account != resource_account {
            // Another account's resource: the caller learns nothing of its policy (nor,
            // so, of whether it exists); the log has the reasons.
            return Err(refuse(format!("{:?}: {}", r.decision, reason_text(&r))));
        }
        let mut e = refuse(format!("{:?}: {}", r.decision, reason_text(&r)));
        if r.decision == Decision::ExplicitDeny {
            let in_resource = r
                .reasons
                .iter()
                .any(|x| x.policy_type == vaultward_iam::PolicyType::Resource);
            e.message.push_str(if in_resource {
                " with an explicit deny in a resource-based policy"
            } else {
                " with an explicit deny in an identity-based policy"
            });
        } else {
            e.message
                .push_str(" because no identity-based policy allows the ");
            e.message.push_str(action);
            e.message.push_str(" action");
        }
        Err(e)
    }

    /// Handles one authenticated call.
    pub fn handle(
        &self,
        who: &Identity,
        route: &Route,
        q: &HashMap<String, String>,
        body: &Value,
    ) -> Res {
        // A write is authorized, checked against the Vault Lock and made under one lock,
        // so what allowed it (the vault's policy, its lock) cannot change in between.
        let name = route.name();
        let reads = ["List", "Describe", "Get"]
            .iter()
            .any(|p| name.starts_with(p));
        let _w = (!reads).then(|| self.writes.lock());
        self.handle_unlocked(who, route, q, body)
    }

    fn handle_unlocked(
        &self,
        who: &Identity,
        route: &Route,
        q: &HashMap<String, String>,
        body: &Value,
    ) -> Res {
        let op = route.name();
        let action = format!("backup:{op}");
        match route {
            Route::CreateBackupVault(_)
            | Route::DescribeBackupVault(_)
            | Route::ListBackupVaults
            | Route::DeleteBackupVault(_)
            | Route::PutBackupVaultAccessPolicy(_)
            | Route::GetBackupVaultAccessPolicy(_)
            | Route::DeleteBackupVaultAccessPolicy(_) => self.vaults(who, route, q, body, &action),
            Route::PutBackupVaultLockConfiguration(_)
            | Route::DeleteBackupVaultLockConfiguration(_) => {
                self.locks(who, route, q, body, &action)
            }
            Route::StartBackupJob
            | Route::DescribeBackupJob(_)
            | Route::DescribeRestoreJob(_)
            | Route::DescribeCopyJob(_)
            | Route::ListBackupJobs
            | Route::StartRestoreJob
            | Route::StartCopyJob => self.jobs(who, route, q, body, &action),
            Route::ListRecoveryPointsByBackupVault(_)
            | Route::DescribeRecoveryPoint(..)
            | Route::UpdateRecoveryPointLifecycle(..)
            | Route::DeleteRecoveryPoint(..) => self.recovery_points(who, route, q, body, &action),
            Route::TagResource(_) | Route::UntagResource(_) | Route::ListTags(_) => {
                self.tagging(who, route, q, body, &action)
            }
        }
    }

    /// [`Service::handle`], answered as JSON text. Listing recovery points without filters
    /// splices the stored records into the answer without parsing them.
    pub fn handle_text(
        &self,
        who: &Identity,
        route: &Route,
        q: &HashMap<String, String>,
        body: &Value,
    ) -> Result<String, ApiError> {
        if let Route::ListRecoveryPointsByBackupVault(name) = route {
            if q.keys().all(|k| {
                matches!(
                    k.as_str(),
                    "maxResults" | "nextToken" | "backupVaultAccountId"
                )
            }) {
                let (_, arn) = self.authorized_vault(
                    who,
                    "backup:ListRecoveryPointsByBackupVault",
                    name,
                    q,
                    &[],
                )?;
                let (after, limit) = page_args(q)?;
                let (rows, next) =
                    self.store
                        .list_raw(Kind::RecoveryPoint, Some(&arn), after, limit)?;
                let mut out = String::with_capacity(
                    rows.iter()
                        .map(|d| d.1.len().saturating_add(1))
                        .fold(64usize, usize::saturating_add),
                );
                out.push_str("{\"RecoveryPoints\":[");
                for (i, (_, doc)) in rows.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(doc);
                }
                out.push(']');
                if let Some(n) = next {
                    out.push_str(&format!(",\"NextToken\":\"{n}\""));
                }
                out.push('}');
                return Ok(out);
            }
        }
        self.handle(who, route, q, body).map(|v| v.to_string())
    }
}

/// The deciding statements of a response, for the log.
fn reason_text(r: &vaultward_iam::Response) -> String {
    r.reasons
        .iter()
        .map(|x| match &x.statement_ref {
            Some(st) => format!("{st}: {}", x.message),
            None => x.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The account that owns a vault record.
fn account_of(vault: &Value) -> &str {
    vault.at("AccountId").as_str().unwrap_or("")
}
