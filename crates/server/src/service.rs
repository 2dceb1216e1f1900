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

/// AWS's tag limit per resource (Tag limits, AWS General Reference), which backup and copy
/// jobs cannot exceed when they merge tags.
pub const MAX_TAGS: usize = 50;
/// The message a job fails with when merged tags exceed the limit (the seed's wording).
pub const TOO_MANY_TAGS: &str = "Your resource has more than 50 tags after aggregating your backup job tags with your source resource tags. AWS supports up to 50 tags per resource.";
const DAY: f64 = 86400.0;

pub trait Clock: Send + Sync {
    /// Seconds since the epoch.
    fn now(&self) -> f64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }
}

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

/// A parsed policy set, and whether any of its conditions reads `aws:ResourceTag/...`
/// (the resource's tags are read from the store only then).
type Cached = (Arc<PolicySet>, bool);

fn reads_resource_tags(set: &PolicySet) -> bool {
    set.identity
        .iter()
        .chain(set.resource.iter())
        .chain(set.session.iter())
        .flat_map(|p| p.policy.statements.iter())
        .flat_map(|st| st.conditions.iter())
        .any(|c| c.key.to_ascii_lowercase().starts_with("aws:resourcetag/"))
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

fn tags_of(v: Option<&Value>, what: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::invalid(format!("{what} must be a map of strings")))?;
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let v = v.as_str().ok_or_else(|| {
            ApiError::invalid(format!("{what}: the value of `{k}` must be a string"))
        })?;
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(ApiError::invalid(format!(
                "{what}: tag keys starting with `aws:` are reserved"
            )));
        }
        if k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256 {
            return Err(ApiError::invalid(format!(
                "{what}: tag keys are 1 to 128 characters and values up to 256"
            )));
        }
        out.insert(k.clone(), v.to_string());
    }
    Ok(out)
}

fn is_key_arn(k: &str) -> bool {
    vaultward_iam::arn::Arn::parse(k).is_some_and(|a| {
        a.service == "kms"
            && vaultward_iam::arn::is_account_id(a.account)
            && !a.region.is_empty()
            && a.resource.strip_prefix("key/").is_some_and(|id| {
                !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    })
}

fn valid_vault_name(name: &str) -> bool {
    (2..=50).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A lifecycle's retention rules (AWS Backup API reference, `Lifecycle`): days are positive,
/// and a recovery point stays in cold storage for at least 90 days.
fn check_lifecycle(l: &Value) -> Result<(Option<i64>, Option<i64>), ApiError> {
    if l.is_null() {
        return Ok((None, None));
    }
    let Some(fields) = l.as_object() else {
        return Err(ApiError::invalid(
            "Lifecycle must be an object with MoveToColdStorageAfterDays, DeleteAfterDays, OptInToArchiveForSupportedResources",
        ));
    };
    for (k, v) in fields {
        match k.as_str() {
            "MoveToColdStorageAfterDays" | "DeleteAfterDays" => {}
            "OptInToArchiveForSupportedResources" if v.is_boolean() || v.is_null() => {}
            other => {
                return Err(ApiError::invalid(format!(
                    "Lifecycle: `{other}` is not a lifecycle field (or not of its type)"
                )))
            }
        }
    }
    let cold = days(l, "MoveToColdStorageAfterDays")?;
    let delete = days(l, "DeleteAfterDays")?;
    for (k, v) in [
        ("MoveToColdStorageAfterDays", cold),
        ("DeleteAfterDays", delete),
    ] {
        if v.is_some_and(|d| d < 1) {
            return Err(ApiError::invalid(format!("{k} must be at least 1")));
        }
    }
    if let (Some(c), Some(d)) = (cold, delete) {
        if d < c.saturating_add(90) {
            return Err(ApiError::invalid(format!(
                "DeleteAfterDays ({d}) must be at least 90 days greater than MoveToColdStorageAfterDays ({c})"
            )));
        }
    }
    Ok((cold, delete))
}

fn calculated(created: f64, cold: Option<i64>, delete: Option<i64>) -> Value {
    let mut m = Map::new();
    if let Some(c) = cold {
        m.insert(
            "MoveToColdStorageAt".into(),
            json!(created + c as f64 * DAY),
        );
    }
    if let Some(d) = delete {
        m.insert("DeleteAt".into(), json!(created + d as f64 * DAY));
    }
    Value::Object(m)
}

/// Whether a retention of `delete` days (None: kept forever) fits the vault's lock.
fn lock_violation(vault: &Value, delete: Option<i64>) -> Option<String> {
    let lock = vault.get("Lock")?;
    let min = lock.get("MinRetentionDays").and_then(Value::as_i64);
    let max = lock.get("MaxRetentionDays").and_then(Value::as_i64);
    match (delete, min, max) {
        (Some(d), Some(min), _) if d < min => Some(format!(
            "the retention period ({d} days) is shorter than the vault lock's minimum of {min} days"
        )),
        (Some(d), _, Some(max)) if d > max => Some(format!(
            "the retention period ({d} days) is longer than the vault lock's maximum of {max} days"
        )),
        (None, _, Some(max)) => Some(format!(
            "the recovery point would be kept forever, beyond the vault lock's maximum of {max} days; set DeleteAfterDays"
        )),
        _ => None,
    }
}

/// A listing's filters: equality on fields, and time bounds (ISO 8601, as the AWS CLI and
/// SDKs send timestamps in a query string, or epoch seconds).
struct Filter {
    equal: Vec<(String, String)>,
    /// (field, bound, keep when the field is after the bound)
    times: Vec<(String, f64, bool)>,
}

fn parse_time(s: &str) -> Option<f64> {
    if let Ok(n) = s.parse::<f64>() {
        return Some(n);
    }
    // 2026-11-23T16:00:00Z, or with fractional seconds.
    let digits: String = s
        .split('.')
        .next()?
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if digits.len() != 14 {
        return None;
    }
    crate::sigv4::parse_amz_date(&format!("{}T{}Z", &digits[..8], &digits[8..])).map(|t| t as f64)
}

impl Filter {
    fn new(
        q: &HashMap<String, String>,
        equal: &[(&str, &str)],
        times: &[(&str, &str, bool)],
    ) -> Result<Filter, ApiError> {
        let mut f = Filter {
            equal: Vec::new(),
            times: Vec::new(),
        };
        for (k, v) in q {
            if matches!(
                k.as_str(),
                "maxResults" | "nextToken" | "backupVaultAccountId"
            ) {
                continue;
            }
            if let Some((_, field)) = equal.iter().find(|(qk, _)| qk == k) {
                f.equal.push((field.to_string(), v.clone()));
            } else if let Some((_, field, after)) = times.iter().find(|(qk, _, _)| qk == k) {
                let t = parse_time(v)
                    .ok_or_else(|| ApiError::invalid(format!("`{k}`: `{v}` is not a timestamp")))?;
                f.times.push((field.to_string(), t, *after));
            } else {
                return Err(ApiError::invalid(format!(
                    "`{k}` is not a filter of this operation"
                )));
            }
        }
        Ok(f)
    }

    fn keeps(&self, item: &Value) -> bool {
        self.equal
            .iter()
            .all(|(field, want)| item[field.as_str()].as_str() == Some(want.as_str()))
            && self.times.iter().all(
                |(field, bound, after)| match item[field.as_str()].as_f64() {
                    Some(t) if *after => t > *bound,
                    Some(t) => t < *bound,
                    None => false,
                },
            )
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

/// Why a backup or copy job writing `tags` into `vault` with a retention of `delete` days
/// fails, if it does: too many tags, or a retention outside the vault lock's range.
fn job_failure(
    tags: &BTreeMap<String, String>,
    vault: &Value,
    delete: Option<i64>,
) -> Option<String> {
    if tags.len() > MAX_TAGS {
        Some(TOO_MANY_TAGS.to_string())
    } else {
        lock_violation(vault, delete).map(|w| format!("Vault lock: {w}"))
    }
}

/// The response fields of a vault record.
fn vault_view(v: &Value, recovery_points: usize) -> Value {
    let mut out = json!({
        "BackupVaultName": v["BackupVaultName"],
        "BackupVaultArn": v["BackupVaultArn"],
        "VaultType": "BACKUP_VAULT",
        "VaultState": "AVAILABLE",
        "EncryptionKeyArn": v["EncryptionKeyArn"],
        "CreationDate": v["CreationDate"],
        "NumberOfRecoveryPoints": recovery_points,
        "Locked": v.get("Lock").is_some(),
    });
    if let Some(c) = v.get("CreatorRequestId") {
        out["CreatorRequestId"] = c.clone();
    }
    if let Some(l) = v.get("Lock") {
        for k in ["MinRetentionDays", "MaxRetentionDays", "LockDate"] {
            if let Some(x) = l.get(k) {
                out[k] = x.clone();
            }
        }
    }
    out
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
                        policy_text.len() + session_text.len(),
                    );
                }
                (set, needs_tags)
            }
        };
        let now = self.clock.now();
        let mut ctx = Context::default();
        let one = |v: String| ContextValue::Single(v);
        ctx.insert("aws:PrincipalArn", one(who.principal_arn.clone()));
        ctx.insert("aws:PrincipalAccount", one(who.account.clone()));
        ctx.insert("aws:userid", one(crate::config::user_id(who)));
        if let Some(user) = who.principal.split_once(":user/").map(|(_, u)| u) {
            ctx.insert(
                "aws:username",
                one(user.rsplit('/').next().unwrap_or(user).to_string()),
            );
        }
        // The service speaks plain HTTP: put it behind TLS and AWS's meaning still holds.
        ctx.insert("aws:SecureTransport", one("false".into()));
        ctx.insert("aws:EpochTime", one(format!("{}", now as i64)));
        ctx.insert("aws:CurrentTime", one(crate::arns::iso8601(now)));
        ctx.insert("aws:RequestedRegion", one(self.config.region.clone()));
        if let Some(ip) = who.request.source_ip {
            ctx.insert("aws:SourceIp", one(ip.to_string()));
        }
        for (k, v) in who.tags.iter() {
            ctx.insert(&format!("aws:PrincipalTag/{k}"), one(v.clone()));
        }
        if let Some(x) = &who.source_identity {
            ctx.insert("aws:SourceIdentity", one(x.clone()));
        }
        // The tags of the vault or recovery point acted on, when a policy reads them.
        if needs_tags {
            match self.tags(resource) {
                Ok(tags) => {
                    for (k, v) in tags {
                        ctx.insert(&format!("aws:ResourceTag/{k}"), one(v));
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
        let reasons: Vec<String> = r
            .reasons
            .iter()
            .map(|x| match &x.statement_ref {
                Some(st) => format!("{st}: {}", x.message),
                None => x.message.clone(),
            })
            .collect();
        let mut e = refuse(format!("{:?}: {}", r.decision, reasons.join("; ")));
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

    fn vault(&self, who: &Identity, name: &str, q: &HashMap<String, String>) -> Res {
        let account = q
            .get("backupVaultAccountId")
            .cloned()
            .unwrap_or_else(|| who.account.clone());
        let arn = self.vault_arn(&account, name);
        self.store.get(Kind::Vault, &arn)?.ok_or_else(|| {
            ApiError::not_found(format!(
                "Backup vault {name} does not exist in account {account}"
            ))
        })
    }

    /// A job's tags: the source resource's (from the configuration), overridden by
    /// `winning` (the job's, or the source recovery point's for a copy).
    fn merged_tags(
        &self,
        resource: &str,
        winning: BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut tags = self
            .config
            .resource_tags
            .get(resource)
            .cloned()
            .unwrap_or_default();
        tags.extend(winning);
        tags
    }

    /// A new recovery point ARN for a backup of `resource` into a vault of `account`.
    fn new_recovery_point_arn(&self, resource: &str, ty: &str, account: &str, now: f64) -> String {
        let advanced = self
            .config
            .accounts
            .get(account)
            .is_none_or(|a| a.advanced_dynamodb_backup);
        recovery_point_arn(resource, ty, &self.config.region, account, advanced, now)
    }

    /// The vault `name` addresses, once `who` may perform `action` on it: its record and ARN.
    fn authorized_vault(
        &self,
        who: &Identity,
        action: &str,
        name: &str,
        q: &HashMap<String, String>,
    ) -> Result<(Value, String), ApiError> {
        // Another account's vault: refused before it is looked up, so that whether it
        // exists does not leak (AccessDenied either way).
        if let Some(account) = q.get("backupVaultAccountId").filter(|a| **a != who.account) {
            self.authorize(who, action, &self.vault_arn(account, name), account, None)?;
        }
        let v = self.vault(who, name, q)?;
        let arn = v["BackupVaultArn"].as_str().unwrap_or_default().to_string();
        self.authorize(who, action, &arn, account_of(&v), Some(&v))?;
        Ok((v, arn))
    }

    /// A recovery point of the vault `name`, once `who` may perform `action` on it: the
    /// vault's record and the recovery point's.
    fn authorized_recovery_point(
        &self,
        who: &Identity,
        action: &str,
        name: &str,
        rp_arn: &str,
        q: &HashMap<String, String>,
    ) -> Result<(Value, Value), ApiError> {
        let v = self.vault(who, name, q)?;
        let rp = self.recovery_point(&v, rp_arn)?;
        self.authorize(who, action, rp_arn, account_of(&v), Some(&v))?;
        Ok((v, rp))
    }

    /// Changes the vault's record under the write lock (re-read there, so concurrent
    /// changes are not lost).
    fn update_vault(
        &self,
        who: &Identity,
        name: &str,
        q: &HashMap<String, String>,
        change: impl FnOnce(&mut Map<String, Value>),
    ) -> Res {
        let mut v = self.vault(who, name, q)?;
        let arn = v["BackupVaultArn"].as_str().unwrap_or_default().to_string();
        if let Some(m) = v.as_object_mut() {
            change(m);
        }
        self.store.replace(Kind::Vault, &arn, &v)?;
        Ok(json!({}))
    }

    /// A recovery point of `vault` (by its ARN).
    fn recovery_point(&self, vault: &Value, rp_arn: &str) -> Res {
        match self.store.get(Kind::RecoveryPoint, rp_arn)? {
            Some(rp) if rp["BackupVaultArn"] == vault["BackupVaultArn"] => Ok(rp),
            _ => Err(ApiError::not_found(format!(
                "Recovery point {rp_arn} does not exist in backup vault {}",
                vault["BackupVaultName"].as_str().unwrap_or("")
            ))),
        }
    }

    fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        Ok(match self.store.get(Kind::Tags, arn)? {
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => BTreeMap::new(),
        })
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
            Route::CreateBackupVault(name) => {
                if !valid_vault_name(name) {
                    return Err(ApiError::invalid(format!(
                        "Backup vault name `{name}` is invalid: use 2 to 50 letters, numbers, hyphens and underscores"
                    )));
                }
                let arn = self.vault_arn(&who.account, name);
                self.authorize(who, &action, &arn, &who.account, None)?;
                let tags = tags_of(body.get("BackupVaultTags"), "BackupVaultTags")?;
                if tags.len() > MAX_TAGS {
                    return Err(ApiError::invalid(format!(
                        "a resource can have at most {MAX_TAGS} tags"
                    )));
                }
                let now = self.clock.now();
                let mut doc = json!({
                    "BackupVaultName": name, "BackupVaultArn": arn, "AccountId": who.account,
                    "CreationDate": now,
                    "EncryptionKeyArn": match opt_str(body, "EncryptionKeyArn")? {
                        None => format!("arn:aws:kms:{}:{}:key/aws-backup-default", self.config.region, who.account),
                        Some(k) if is_key_arn(k) => k.to_string(),
                        Some(k) => return Err(ApiError::invalid(format!("EncryptionKeyArn `{k}` is not the ARN of a KMS key (arn:aws:kms:REGION:ACCOUNT:key/ID)"))),
                    },
                });
                if let Some(c) = opt_str(body, "CreatorRequestId")? {
                    doc["CreatorRequestId"] = json!(c);
                }
                // The vault and its tags in one transaction (the writes lock and the data
                // directory's lock keep the existence check and the insert together).
                if self.store.get(Kind::Vault, &arn)?.is_some() {
                    return Err(ApiError::new(
                        400,
                        "AlreadyExistsException",
                        format!("Backup vault with the same name already exists: {name}"),
                    ));
                }
                let mut records = vec![(Kind::Vault, arn.clone(), Some(who.account.clone()), doc)];
                if !tags.is_empty() {
                    records.push((
                        Kind::Tags,
                        arn.clone(),
                        None,
                        serde_json::to_value(&tags).unwrap_or_default(),
                    ));
                }
                self.store.insert_many(&records)?;
                Ok(json!({"BackupVaultName": name, "BackupVaultArn": arn, "CreationDate": now}))
            }
            Route::DescribeBackupVault(name) => {
                let (v, arn) = self.authorized_vault(who, &action, name, q)?;
                let n = self.store.count(Kind::RecoveryPoint, &arn)?;
                Ok(vault_view(&v, n))
            }
            Route::ListBackupVaults => {
                self.authorize(who, &action, "*", &who.account, None)?;
                let (after, limit) = page_args(q)?;
                // Every vault here is a BACKUP_VAULT of the caller's account; none is shared
                // with it through AWS RAM.
                if q.get("vaultType").is_some_and(|t| t != "BACKUP_VAULT")
                    || q.get("shared").is_some_and(|s| s == "true")
                {
                    return Ok(json!({"BackupVaultList": []}));
                }
                let page = self
                    .store
                    .list(Kind::Vault, Some(&who.account), after, limit)?;
                let mut list = Vec::new();
                for v in &page.items {
                    let n = self.store.count(
                        Kind::RecoveryPoint,
                        v["BackupVaultArn"].as_str().unwrap_or(""),
                    )?;
                    list.push(vault_view(v, n));
                }
                Ok(with_token(json!({"BackupVaultList": list}), page.next))
            }
            Route::DeleteBackupVault(name) => {
                let (_, arn) = self.authorized_vault(who, &action, name, q)?;
                let n = self
                    .store
                    .delete_if_childless(Kind::Vault, &arn, Kind::RecoveryPoint)?;
                if n > 0 {
                    return Err(ApiError::request(format!(
                        "Backup vault cannot be deleted because it contains {n} recovery points"
                    )));
                }
                Ok(json!({}))
            }
            Route::PutBackupVaultAccessPolicy(name) => {
                self.authorized_vault(who, &action, name, q)?;
                let text = required(body, "Policy")?;
                validate_vault_policy(text)?;
                self.update_vault(who, name, q, |m| {
                    m.insert("Policy".into(), json!(text));
                })
            }
            Route::GetBackupVaultAccessPolicy(name) => {
                let (v, arn) = self.authorized_vault(who, &action, name, q)?;
                let Some(p) = v.get("Policy") else {
                    return Err(ApiError::not_found(format!(
                        "Backup vault {name} has no access policy"
                    )));
                };
                Ok(json!({"BackupVaultName": name, "BackupVaultArn": arn, "Policy": p}))
            }
            Route::DeleteBackupVaultAccessPolicy(name) => {
                self.authorized_vault(who, &action, name, q)?;
                self.update_vault(who, name, q, |m| {
                    m.remove("Policy");
                })
            }
            Route::PutBackupVaultLockConfiguration(name) => {
                let (v, _) = self.authorized_vault(who, &action, name, q)?;
                let now = self.clock.now();
                self.check_lock_mutable(&v, now)?;
                let lock = lock_config(body, now)?;
                self.update_vault(who, name, q, |m| {
                    m.insert("Lock".into(), lock);
                })
            }
            Route::DeleteBackupVaultLockConfiguration(name) => {
                let (v, _) = self.authorized_vault(who, &action, name, q)?;
                self.check_lock_mutable(&v, self.clock.now())?;
                self.update_vault(who, name, q, |m| {
                    m.remove("Lock");
                })
            }
            Route::StartBackupJob => self.start_backup_job(who, &action, body),
            Route::DescribeBackupJob(id) => self.describe_job(who, &action, "backup", id),
            Route::DescribeRestoreJob(id) => self.describe_job(who, &action, "restore", id),
            Route::DescribeCopyJob(id) => {
                let job = self.describe_job(who, &action, "copy", id)?;
                Ok(json!({"CopyJob": job}))
            }
            Route::ListBackupJobs => {
                self.authorize(who, &action, "*", &who.account, None)?;
                let (after, limit) = page_args(q)?;
                let filter = Filter::new(
                    q,
                    &[
                        ("backupVaultName", "BackupVaultName"),
                        ("state", "State"),
                        ("resourceArn", "ResourceArn"),
                        ("resourceType", "ResourceType"),
                        ("accountId", "AccountId"),
                        // No job here has a parent or a message category: these match none.
                        ("parentJobId", "ParentJobId"),
                        ("messageCategory", "MessageCategory"),
                    ],
                    &[
                        ("createdBefore", "CreationDate", false),
                        ("createdAfter", "CreationDate", true),
                        ("completeBefore", "CompletionDate", false),
                        ("completeAfter", "CompletionDate", true),
                    ],
                )?;
                let (out, next) = self.filtered(Kind::Job, &who.account, after, limit, |j| {
                    j["JobKind"] == "backup" && filter.keeps(j)
                })?;
                let out: Vec<Value> = out.iter().map(job_view).collect();
                Ok(with_token(json!({"BackupJobs": out}), next))
            }
            Route::ListRecoveryPointsByBackupVault(name) => {
                let (_, arn) = self.authorized_vault(who, &action, name, q)?;
                let (after, limit) = page_args(q)?;
                let filter = Filter::new(
                    q,
                    &[
                        ("resourceArn", "ResourceArn"),
                        ("resourceType", "ResourceType"),
                        // No recovery point here comes from a plan or has a parent.
                        ("backupPlanId", "BackupPlanId"),
                        ("parentRecoveryPointArn", "ParentRecoveryPointArn"),
                    ],
                    &[
                        ("createdBefore", "CreationDate", false),
                        ("createdAfter", "CreationDate", true),
                    ],
                )?;
                let (items, next) =
                    self.filtered(Kind::RecoveryPoint, &arn, after, limit, |rp| {
                        filter.keeps(rp)
                    })?;
                Ok(with_token(json!({"RecoveryPoints": items}), next))
            }
            Route::DescribeRecoveryPoint(name, rp_arn) => {
                let (_, rp) = self.authorized_recovery_point(who, &action, name, rp_arn, q)?;
                Ok(rp)
            }
            Route::UpdateRecoveryPointLifecycle(name, rp_arn) => {
                let (v, rp) = self.authorized_recovery_point(who, &action, name, rp_arn, q)?;
                let lifecycle = body.get("Lifecycle").cloned().unwrap_or_else(|| json!({}));
                let (cold, delete) = check_lifecycle(&lifecycle)?;
                let created = rp["CreationDate"].as_f64().unwrap_or(0.0);
                let now = self.clock.now();
                // Once in cold storage, the transition cannot be changed (AWS Backup API
                // reference, UpdateRecoveryPointLifecycle).
                let old_cold = rp["Lifecycle"]["MoveToColdStorageAfterDays"].as_i64();
                if let Some(c) = old_cold {
                    if now >= created + c as f64 * DAY && cold != Some(c) {
                        return Err(ApiError::request(
                            "the recovery point is already in cold storage; its MoveToColdStorageAfterDays cannot change",
                        ));
                    }
                }
                if let Some(why) = lock_violation(&v, delete) {
                    return Err(ApiError::request(format!("Vault lock: {why}")));
                }
                let mut rp = self.recovery_point(&v, rp_arn)?;
                rp["Lifecycle"] = lifecycle.clone();
                rp["CalculatedLifecycle"] = calculated(created, cold, delete);
                self.store.replace(Kind::RecoveryPoint, rp_arn, &rp)?;
                Ok(json!({
                    "BackupVaultArn": v["BackupVaultArn"], "RecoveryPointArn": rp_arn,
                    "Lifecycle": lifecycle, "CalculatedLifecycle": rp["CalculatedLifecycle"],
                }))
            }
            Route::DeleteRecoveryPoint(name, rp_arn) => {
                let (v, rp) = self.authorized_recovery_point(who, &action, name, rp_arn, q)?;
                if let Some(min) = v
                    .get("Lock")
                    .and_then(|l| l.get("MinRetentionDays"))
                    .and_then(Value::as_i64)
                {
                    let created = rp["CreationDate"].as_f64().unwrap_or(0.0);
                    if self.clock.now() < created + min as f64 * DAY {
                        return Err(ApiError::request(format!(
                            "Vault lock: the recovery point cannot be deleted before its minimum retention of {min} days"
                        )));
                    }
                }
                self.store.delete(Kind::RecoveryPoint, rp_arn)?;
                Ok(json!({}))
            }
            Route::StartRestoreJob => self.start_restore_job(who, &action, body),
            Route::StartCopyJob => self.start_copy_job(who, &action, body),
            Route::TagResource(arn) | Route::UntagResource(arn) | Route::ListTags(arn) => {
                let v = self.owning_vault(arn)?;
                self.authorize(who, &action, arn, account_of(&v), Some(&v))?;
                match route {
                    Route::ListTags(_) => Ok(json!({"Tags": self.tags(arn)?})),
                    Route::TagResource(_) => {
                        let add = tags_of(body.get("Tags"), "Tags")?;
                        if add.is_empty() {
                            return Err(ApiError::missing("Tags"));
                        }
                        let mut t = self.tags(arn)?;
                        t.extend(add);
                        if t.len() > MAX_TAGS {
                            return Err(ApiError::new(
                                400,
                                "LimitExceededException",
                                format!("a resource can have at most {MAX_TAGS} tags"),
                            ));
                        }
                        self.store.upsert(Kind::Tags, arn, None, &json!(t))?;
                        Ok(json!({}))
                    }
                    _ => {
                        let keys = body
                            .get("TagKeyList")
                            .and_then(Value::as_array)
                            .ok_or_else(|| ApiError::missing("TagKeyList"))?;
                        let mut t = self.tags(arn)?;
                        for k in keys.iter().filter_map(Value::as_str) {
                            t.remove(k);
                        }
                        self.store.upsert(Kind::Tags, arn, None, &json!(t))?;
                        Ok(json!({}))
                    }
                }
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
                let (_, arn) =
                    self.authorized_vault(who, "backup:ListRecoveryPointsByBackupVault", name, q)?;
                let (after, limit) = page_args(q)?;
                let (rows, next) =
                    self.store
                        .list_raw(Kind::RecoveryPoint, Some(&arn), after, limit)?;
                let mut out =
                    String::with_capacity(rows.iter().map(|d| d.1.len() + 1).sum::<usize>() + 64);
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

    /// Up to `limit` records of `kind` under `parent` that `keep` accepts, reading on from
    /// `after`; the token continues after the last record read.
    fn filtered(
        &self,
        kind: Kind,
        parent: &str,
        after: Option<i64>,
        limit: usize,
        keep: impl Fn(&Value) -> bool,
    ) -> Result<(Vec<Value>, Option<i64>), ApiError> {
        let mut out = Vec::new();
        let mut cursor = after;
        loop {
            let page = self.store.list(kind, Some(parent), cursor, limit)?;
            let more = page.next.is_some();
            let n = page.items.len();
            for (i, (item, seq)) in page.items.into_iter().zip(page.seqs).enumerate() {
                if keep(&item) {
                    out.push(item);
                }
                if out.len() == limit {
                    let rest = i + 1 < n || more;
                    return Ok((out, if rest { Some(seq) } else { None }));
                }
            }
            match page.next {
                Some(n) => cursor = Some(n),
                None => return Ok((out, None)),
            }
        }
    }

    /// The vault a taggable ARN belongs to: the vault itself, or a recovery point's vault.
    fn owning_vault(&self, arn: &str) -> Res {
        if let Some(v) = self.store.get(Kind::Vault, arn)? {
            return Ok(v);
        }
        if let Some(rp) = self.store.get(Kind::RecoveryPoint, arn)? {
            if let Some(v) = self
                .store
                .get(Kind::Vault, rp["BackupVaultArn"].as_str().unwrap_or(""))?
            {
                return Ok(v);
            }
        }
        Err(ApiError::not_found(format!(
            "Resource {arn} does not exist"
        )))
    }

    fn check_lock_mutable(&self, vault: &Value, now: f64) -> Result<(), ApiError> {
        if let Some(d) = vault
            .get("Lock")
            .and_then(|l| l.get("LockDate"))
            .and_then(Value::as_f64)
        {
            if now >= d {
                return Err(ApiError::request(
                    "Vault lock is in compliance mode since its lock date: it cannot be changed or deleted",
                ));
            }
        }
        Ok(())
    }

    fn pass_role(&self, who: &Identity, body: &Value) -> Result<String, ApiError> {
        let role = required(body, "IamRoleArn")?.to_string();
        let account = vaultward_iam::arn::Arn::parse(&role)
            .filter(|a| a.service == "iam" && a.resource.starts_with("role/"))
            .map(|a| a.account.to_string())
            .ok_or_else(|| ApiError::invalid(format!("IamRoleArn `{role}` is not a role ARN")))?;
        self.authorize(who, "iam:PassRole", &role, &account, None)?;
        Ok(role)
    }

    fn start_backup_job(&self, who: &Identity, action: &str, body: &Value) -> Res {
        let name = required(body, "BackupVaultName")?;
        let resource = required(body, "ResourceArn")?.to_string();
        let v = self.vault(who, name, &HashMap::new())?;
        let vault_arn = v["BackupVaultArn"].as_str().unwrap_or_default().to_string();
        self.authorize(who, action, &vault_arn, account_of(&v), Some(&v))?;
        let role = self.pass_role(who, body)?;
        let ty = resource_type(&resource).ok_or_else(|| {
            ApiError::invalid(format!(
                "Resource {resource} is not of a type AWS Backup protects"
            ))
        })?;
        if let Some(a) = vaultward_iam::arn::Arn::parse(&resource) {
            if !a.region.is_empty() && a.region != self.config.region {
                return Err(ApiError::invalid(format!(
                    "Resource {resource} is not in this service's region {}",
                    self.config.region
                )));
            }
            // AWS Backup backs up a resource only from the resource's own account: a
            // backup job never reaches into another account (nor copies its tags).
            // S3 bucket ARNs name no account; the configured tags say whose it is.
            let owner = if a.account.is_empty() {
                self.config.resource_owner(&resource)
            } else {
                Some(a.account.to_string())
            };
            if owner.as_deref().is_some_and(|o| o != who.account) {
                return Err(ApiError::denied(format!(
                    "User: {} is not authorized to perform: {action} on resource: {resource}: the resource belongs to another account",
                    who.principal
                )));
            }
        }
        let lifecycle = body.get("Lifecycle").cloned().unwrap_or_else(|| json!({}));
        let (cold, delete) = check_lifecycle(&lifecycle)?;
        let job_tags = tags_of(body.get("RecoveryPointTags"), "RecoveryPointTags")?;
        let now = self.clock.now();
        let id = uuid::Uuid::new_v4().to_string().to_uppercase();
        let mut job = json!({
            "JobKind": "backup", "BackupJobId": id, "AccountId": who.account,
            "BackupVaultName": name, "BackupVaultArn": vault_arn, "ResourceArn": resource,
            "ResourceType": ty, "IamRoleArn": role, "CreationDate": now,
            "CreatedBy": {}, "RecoveryPointLifecycle": lifecycle,
        });
        // The job's tags win over the source's (the seed's "Copy tags permissions").
        let tags = self.merged_tags(&resource, job_tags);
        let failure = job_failure(&tags, &v, delete);
        let mut records = Vec::new();
        if let Some(msg) = failure {
            job["State"] = json!("FAILED");
            job["StatusMessage"] = json!(msg);
            job["CompletionDate"] = json!(now);
        } else {
            let rp_arn = self.new_recovery_point_arn(&resource, ty, &who.account, now);
            job["State"] = json!("COMPLETED");
            job["PercentDone"] = json!("100.0");
            job["CompletionDate"] = json!(now);
            job["RecoveryPointArn"] = json!(rp_arn);
            job["BackupSizeInBytes"] = json!(0);
            let rp = json!({
                "RecoveryPointArn": rp_arn, "BackupVaultName": name, "BackupVaultArn": vault_arn,
                "ResourceArn": resource, "ResourceType": ty,
                "IamRoleArn": role, "Status": "COMPLETED", "CreationDate": now,
                "CompletionDate": now, "BackupSizeInBytes": 0, "Lifecycle": lifecycle,
                "CalculatedLifecycle": calculated(now, cold, delete),
                "EncryptionKeyArn": v["EncryptionKeyArn"], "IsEncrypted": true,
                "StorageClass": "WARM", "CreatedBy": {"BackupJobId": id},
            });
            records.push((
                Kind::RecoveryPoint,
                rp_arn.clone(),
                Some(vault_arn.clone()),
                rp,
            ));
            records.push((Kind::Tags, rp_arn, None, json!(tags)));
        }
        records.push((
            Kind::Job,
            format!("backup:{id}"),
            Some(who.account.clone()),
            job.clone(),
        ));
        self.store.insert_many(&records)?;
        let mut out = json!({"BackupJobId": id, "CreationDate": now, "IsParent": false});
        if let Some(rp) = job.get("RecoveryPointArn") {
            out["RecoveryPointArn"] = rp.clone();
        }
        Ok(out)
    }

    fn describe_job(&self, who: &Identity, action: &str, kind: &str, id: &str) -> Res {
        self.authorize(who, action, "*", &who.account, None)?;
        match self.store.get(Kind::Job, &format!("{kind}:{id}"))? {
            Some(j) if j["AccountId"] == json!(who.account) => Ok(job_view(&j)),
            _ => Err(ApiError::not_found(format!("Job {id} does not exist"))),
        }
    }

    fn start_restore_job(&self, who: &Identity, action: &str, body: &Value) -> Res {
        let rp_arn = required(body, "RecoveryPointArn")?.to_string();
        if !body.get("Metadata").is_some_and(Value::is_object) {
            return Err(ApiError::missing("Metadata"));
        }
        let rp = self
            .store
            .get(Kind::RecoveryPoint, &rp_arn)?
            .ok_or_else(|| {
                ApiError::not_found(format!("Recovery point {rp_arn} does not exist"))
            })?;
        let v = self
            .store
            .get(Kind::Vault, rp["BackupVaultArn"].as_str().unwrap_or(""))?
            .ok_or_else(|| ApiError::not_found("the recovery point's vault does not exist"))?;
        self.authorize(who, action, &rp_arn, account_of(&v), Some(&v))?;
        let role = self.pass_role(who, body)?;
        let now = self.clock.now();
        let id = uuid::Uuid::new_v4().to_string().to_uppercase();
        let job = json!({
            "JobKind": "restore", "RestoreJobId": id, "AccountId": who.account,
            "RecoveryPointArn": rp_arn, "SourceResourceArn": rp["ResourceArn"],
            "BackupVaultArn": rp["BackupVaultArn"], "CreationDate": now, "CompletionDate": now,
            "Status": "COMPLETED", "PercentDone": "100.0", "BackupSizeInBytes": 0,
            "IamRoleArn": role, "ResourceType": rp["ResourceType"],
            "RecoveryPointCreationDate": rp["CreationDate"],
        });
        self.store.insert(
            Kind::Job,
            &format!("restore:{id}"),
            Some(&who.account),
            &job,
        )?;
        Ok(json!({"RestoreJobId": id}))
    }

    fn start_copy_job(&self, who: &Identity, action: &str, body: &Value) -> Res {
        let rp_arn = required(body, "RecoveryPointArn")?.to_string();
        let source_name = required(body, "SourceBackupVaultName")?;
        let dest_arn = required(body, "DestinationBackupVaultArn")?.to_string();
        let source = self.vault(who, source_name, &HashMap::new())?;
        let rp = self.recovery_point(&source, &rp_arn)?;
        self.authorize(who, action, &rp_arn, account_of(&source), Some(&source))?;
        let dest = self.store.get(Kind::Vault, &dest_arn)?.ok_or_else(|| {
            ApiError::not_found(format!("Backup vault {dest_arn} does not exist"))
        })?;
        let dest_account = dest["AccountId"].as_str().unwrap_or("").to_string();
        self.authorize(
            who,
            "backup:CopyIntoBackupVault",
            &dest_arn,
            &dest_account,
            Some(&dest),
        )?;
        let role = self.pass_role(who, body)?;
        let lifecycle = body
            .get("Lifecycle")
            .cloned()
            .unwrap_or_else(|| rp["Lifecycle"].clone());
        let (cold, delete) = check_lifecycle(&lifecycle)?;
        let now = self.clock.now();
        let id = uuid::Uuid::new_v4().to_string().to_uppercase();
        // The recovery point's tags (set by its backup job) win over the source resource's.
        let resource = rp["ResourceArn"].as_str().unwrap_or("").to_string();
        let tags = self.merged_tags(&resource, self.tags(&rp_arn)?);
        let mut job = json!({
            "JobKind": "copy", "CopyJobId": id, "AccountId": who.account,
            "SourceBackupVaultArn": source["BackupVaultArn"], "SourceRecoveryPointArn": rp_arn,
            "DestinationBackupVaultArn": dest_arn, "ResourceArn": resource,
            "ResourceType": rp["ResourceType"], "IamRoleArn": role, "CreationDate": now,
            "CompletionDate": now, "BackupSizeInBytes": 0, "CreatedBy": {},
            "DestinationRecoveryPointLifecycle": lifecycle,
        });
        let failure = job_failure(&tags, &dest, delete);
        let mut records = Vec::new();
        if let Some(msg) = failure {
            job["State"] = json!("FAILED");
            job["StatusMessage"] = json!(msg);
        } else {
            let ty = rp["ResourceType"].as_str().unwrap_or("");
            let new_arn = self.new_recovery_point_arn(&resource, ty, &dest_account, now);
            job["State"] = json!("COMPLETED");
            job["DestinationRecoveryPointArn"] = json!(new_arn);
            let mut copy = rp.clone();
            copy["RecoveryPointArn"] = json!(new_arn);
            copy["BackupVaultName"] = dest["BackupVaultName"].clone();
            copy["BackupVaultArn"] = json!(dest_arn);
            copy["SourceBackupVaultArn"] = source["BackupVaultArn"].clone();
            copy["CreationDate"] = json!(now);
            copy["CompletionDate"] = json!(now);
            copy["Lifecycle"] = lifecycle.clone();
            copy["CalculatedLifecycle"] = calculated(now, cold, delete);
            copy["EncryptionKeyArn"] = dest["EncryptionKeyArn"].clone();
            copy["CreatedBy"] = json!({"CopyJobId": id});
            records.push((
                Kind::RecoveryPoint,
                new_arn.clone(),
                Some(dest_arn.clone()),
                copy,
            ));
            records.push((Kind::Tags, new_arn, None, json!(tags)));
        }
        records.push((
            Kind::Job,
            format!("copy:{id}"),
            Some(who.account.clone()),
            job,
        ));
        self.store.insert_many(&records)?;
        Ok(json!({"CopyJobId": id, "CreationDate": now, "IsParent": false}))
    }
}

/// The account that owns a vault record.
fn account_of(vault: &Value) -> &str {
    vault["AccountId"].as_str().unwrap_or("")
}

/// A job record without the service's own fields.
fn job_view(j: &Value) -> Value {
    let mut j = j.clone();
    if let Some(m) = j.as_object_mut() {
        m.remove("JobKind");
    }
    j
}

/// The vault lock rules (AWS Backup developer guide, "AWS Backup Vault Lock"): a minimum
/// retention of at least 1 day, a maximum of at most 36,500 days and not below the minimum,
/// and a grace time (`ChangeableForDays`) of at least 3 days, after which the lock is
/// immutable (compliance mode). Without a grace time the lock stays in governance mode.
fn lock_config(body: &Value, now: f64) -> Res {
    let min = days(body, "MinRetentionDays")?;
    let max = days(body, "MaxRetentionDays")?;
    let changeable = days(body, "ChangeableForDays")?;
    if min.is_some_and(|m| !(1..=36500).contains(&m)) {
        return Err(ApiError::invalid(
            "MinRetentionDays must be between 1 and 36500",
        ));
    }
    if max.is_some_and(|m| !(1..=36500).contains(&m)) {
        return Err(ApiError::invalid(
            "MaxRetentionDays must be between 1 and 36500",
        ));
    }
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            return Err(ApiError::invalid(
                "MinRetentionDays must not be greater than MaxRetentionDays",
            ));
        }
    }
    if changeable.is_some_and(|c| !(3..=36500).contains(&c)) {
        return Err(ApiError::invalid(
            "ChangeableForDays must be at least 3 (and at most 36500)",
        ));
    }
    let mut lock = Map::new();
    if let Some(m) = min {
        lock.insert("MinRetentionDays".into(), json!(m));
    }
    if let Some(m) = max {
        lock.insert("MaxRetentionDays".into(), json!(m));
    }
    if let Some(c) = changeable {
        lock.insert("LockDate".into(), json!(now + c as f64 * DAY));
    }
    Ok(Value::Object(lock))
}

/// A vault access policy as AWS Backup accepts it: a resource policy that parses, with a
/// `Principal` in every statement and no wildcard in `Action`.
pub fn validate_vault_policy(text: &str) -> Result<(), ApiError> {
    crate::config::parse_checked(text, PolicyKind::Resource)
        .map_err(|e| ApiError::invalid(format!("Invalid backup vault access policy: {e}")))?;
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::invalid(format!("Invalid backup vault access policy: {e}")))?;
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    for (i, st) in statements.iter().enumerate() {
        let actions = match &st["Action"] {
            Value::String(a) => vec![a.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if let Some(a) = actions.iter().find(|a| a.contains('*')) {
            return Err(ApiError::invalid(format!(
                "Invalid backup vault access policy: Statement[{i}].Action `{a}`: wildcards are not supported in the Action of a backup vault access policy"
            )));
        }
    }
    Ok(())
}
