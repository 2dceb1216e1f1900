//! The check's plan: the role's side and the organization's policies read once, a
//! classifier per bucket, and one request at a time evaluated against them.

use std::collections::HashMap;

use serde_json::Value;
use vaultward_iam::authorizer::PolicyType;
use vaultward_iam::glob::Glob;
use vaultward_iam::principal::RequestPrincipal;
use vaultward_iam::request_context::{fill, Facts, Membership, Route, Tags};
use vaultward_iam::{
    authorize, Context, ContextValue, NamedPolicy, PolicyKind, PolicySet, Request, Response,
};
use vaultward_model::service::{Step, When};
use vaultward_snapshot::{Bucket, Snapshot};

use super::docs::{self, Doc};
use super::objects::default_key;
use super::report::Acc;
use super::{role, CheckOptions, Classifier, DocRef, Groups, KeyOf, RoleError, Row, Unreadable};

/// The check, ready to run: the role's side read, the organization's policies read, and a
/// classifier per bucket, so S3 Inventory listings can be streamed into groups
/// ([`Plan::add_object`]) before [`Plan::run`].
pub struct Plan<'s> {
    pub(super) s: &'s Snapshot,
    pub(super) opts: &'s CheckOptions,
    /// The role's side, or why it cannot be known.
    pub(super) role_unknown: Vec<Unreadable>,
    pub(super) base: PolicySet,
    pub(super) tags: Vec<(String, String)>,
    pub(super) session: String,
    pub(super) vendor_account: Option<String>,
    pub(super) org_unreadable: Vec<Unreadable>,
    pub(super) classifiers: HashMap<String, Classifier>,
    /// The snapshot's buckets by name, and their default keys.
    pub(super) defaults: HashMap<String, KeyOf>,
    pub(super) listings: HashMap<String, Groups>,
    pub(super) per_object: bool,
    pub(super) key_docs: HashMap<String, Doc>,
    /// Where each named policy of `base` lives in the snapshot, by type, level and name.
    pub(super) refs: HashMap<(PolicyType, Option<usize>, String), DocRef>,
    pub(super) requests: usize,
    pub(super) acc: Acc,
    /// The role's session, as the engine reads it.
    pub(super) principal: Option<RequestPrincipal>,
    /// When the requests are made (milliseconds since the epoch).
    pub(super) at: i64,
    /// Keys of the request being evaluated that are not plain strings (an encryption
    /// context that is one of two values), set around one evaluation.
    pub(super) extra_context: Vec<(String, ContextValue)>,
}

/// Where a request goes: the Region of its endpoint (`None`: not known), whether a
/// service makes it for the role (S3 calling AWS KMS for an SSE-KMS object), and the
/// resource's tags when they are known.
#[derive(Clone, Copy, Default)]
pub struct Where<'a> {
    pub region: Option<&'a str>,
    pub via: Option<&'a str>,
    pub tags: Option<&'a [(String, String)]>,
}

/// The patterns and object-level condition keys of the policies that apply to objects.
pub(super) fn object_patterns(policies: &[&NamedPolicy], ctx: &Context) -> (Vec<Glob>, bool) {
    let mut globs = Vec::new();
    let mut uses_tags = false;
    for p in policies {
        for st in &p.policy.statements {
            if let Some(r) = &st.resource {
                for t in &r.patterns {
                    if let Some(g) = t.resolve(ctx, true) {
                        globs.push(g.into_owned());
                    }
                }
            }
            uses_tags |= st.conditions.iter().any(|c| {
                c.key
                    .to_ascii_lowercase()
                    .starts_with("s3:existingobjecttag/")
            });
            // The encryption context S3 sends names the object: a key policy (or any
            // policy) that conditions on it tells objects apart by their ARNs too.
            for c in &st.conditions {
                if c.key
                    .eq_ignore_ascii_case("kms:EncryptionContext:aws:s3:arn")
                {
                    globs.extend(c.values.iter().filter_map(|v| match v {
                        vaultward_iam::condition::CondValue::Text(t) => {
                            t.resolve(ctx, true).map(|g| g.into_owned())
                        }
                        vaultward_iam::condition::CondValue::Arn(p) => {
                            p.text().map(|t| Glob::new(&t))
                        }
                        _ => None,
                    }));
                }
            }
        }
    }
    (globs, uses_tags)
}

/// Now, in milliseconds since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl<'s> Plan<'s> {
    /// Reads the role (by its exact ARN) and the organization's policies. A role that is
    /// not in the export is bad input; an export that was not collected is unknown.
    pub fn new(s: &'s Snapshot, opts: &'s CheckOptions) -> Result<Plan<'s>, RoleError> {
        let (role, role_unknown) = match role::principal_side(s, &opts.role_arn) {
            Ok(r) => {
                let unreadable = r.unreadable.clone();
                (Some(r), unreadable)
            }
            Err(RoleError::NotCollected(why)) => (None, vec![Unreadable::new("IAM export", why)]),
            Err(e) => return Err(e),
        };
        let mut org_unreadable = Vec::new();
        let mut refs = HashMap::new();
        let org = s.organization.as_ref();
        let mut levels = |levels: &[Vec<Value>], ty: PolicyType| {
            let (kind, prefix) = match ty {
                PolicyType::Scp => (PolicyKind::Scp, "scp"),
                _ => (PolicyKind::Rcp, "rcp"),
            };
            levels
                .iter()
                .enumerate()
                .map(|(l, level)| {
                    let mut read: Vec<NamedPolicy> = Vec::new();
                    for (i, p) in level.iter().enumerate() {
                        match docs::read_named(p, format!("{prefix}[{l}][{i}]"), kind) {
                            Ok(mut np) => {
                                // Names are how the engine's reasons point back here.
                                if read.iter().any(|q| q.name == np.name) {
                                    np.name = format!("{} #{i}", np.name);
                                }
                                let name = np.name.clone();
                                let doc = match ty {
                                    PolicyType::Scp => DocRef::Scp {
                                        level: l,
                                        index: i,
                                        name: name.clone(),
                                    },
                                    _ => DocRef::Rcp {
                                        level: l,
                                        index: i,
                                        name: name.clone(),
                                    },
                                };
                                refs.insert((ty, Some(l), name), doc);
                                read.push(np);
                            }
                            Err(e) => org_unreadable.push(e),
                        }
                    }
                    read
                })
                .collect()
        };
        let scps = org.map(|o| levels(&o.scps, PolicyType::Scp));
        let rcps = org.map(|o| levels(&o.rcps, PolicyType::Rcp));
        let (identity, boundary, tags, trusted) = match role {
            Some(r) => (r.identity, r.boundary, r.tags, r.trusted_accounts),
            None => (Vec::new(), None, Vec::new(), Vec::new()),
        };
        let identity: Vec<NamedPolicy> = identity
            .into_iter()
            .map(|(p, d)| {
                refs.insert((PolicyType::Identity, None, p.name.clone()), d);
                p
            })
            .collect();
        let boundary = boundary.map(|(p, d)| {
            refs.insert((PolicyType::Boundary, None, p.name.clone()), d.clone());
            // A boundary without an Allow is the boundary as a whole.
            refs.insert((PolicyType::Boundary, None, String::new()), d);
            p
        });
        refs.insert(
            (PolicyType::Identity, None, String::new()),
            DocRef::RoleIdentity {
                role: opts.role_arn.clone(),
            },
        );
        let role_name = opts.role_arn.rsplit('/').next().unwrap_or("role");
        let mut plan = Plan {
            s,
            opts,
            role_unknown,
            base: PolicySet {
                identity,
                boundary,
                scps,
                rcps,
                management_account: org.and_then(|o| o.management_account.clone()),
                ..PolicySet::default()
            },
            tags,
            // A role acts through a session; a user or the root user signs as itself.
            session: if opts.role_arn.contains(":user/") || opts.role_arn.ends_with(":root") {
                opts.role_arn.clone()
            } else {
                format!(
                    "arn:aws:sts::{}:assumed-role/{role_name}/vaultward-check",
                    s.account_id
                )
            },
            vendor_account: trusted.into_iter().next(),
            org_unreadable,
            classifiers: HashMap::new(),
            defaults: HashMap::new(),
            listings: HashMap::new(),
            per_object: false,
            key_docs: HashMap::new(),
            refs,
            requests: 0,
            acc: Acc::default(),
            principal: None,
            at: opts.facts.at.unwrap_or_else(now_ms),
            extra_context: Vec::new(),
        };
        plan.principal = RequestPrincipal::parse(&plan.session, Some(&opts.role_arn)).ok();
        let ctx = plan.context("s3:GetObject", &s.account_id, &[], Where::default());
        // Key policies are read once; their conditions on the encryption context S3 sends
        // (the object's ARN) tell objects apart as a bucket policy's resources do.
        for k in &s.kms_keys {
            let doc = Doc::read(
                &k.policy,
                &format!("key policy of {}", k.arn),
                &format!("key policy of `{}`", k.arn),
                PolicyKind::Key,
            );
            plan.key_docs.insert(k.arn.clone(), doc);
        }
        let key_policies: Vec<NamedPolicy> = plan
            .key_docs
            .values()
            .filter_map(|d| d.policy().cloned())
            .collect();
        let (context_globs, _) = object_patterns(&key_policies.iter().collect::<Vec<_>>(), &ctx);
        let context_globs: Vec<Glob> = context_globs
            .into_iter()
            .filter(|g| !matches!(g, Glob::Any))
            .collect();
        for b in &s.buckets {
            let bucket_policy = plan.bucket_doc(b);
            let mut involved: Vec<&NamedPolicy> = plan.base.identity.iter().collect();
            involved.extend(plan.base.boundary.iter());
            for l in plan.base.scps.iter().chain(plan.base.rcps.iter()).flatten() {
                involved.extend(l.iter());
            }
            involved.extend(bucket_policy.policy());
            let (mut globs, uses_tags) = object_patterns(&involved, &ctx);
            globs.extend(context_globs.iter().cloned());
            plan.classifiers
                .insert(b.name.clone(), Classifier::new(&b.name, globs, uses_tags));
            let default = default_key(b);
            plan.defaults.insert(b.name.clone(), default);
        }
        Ok(plan)
    }

    /// One request by the role (its session), under the account's SCPs and RCPs, the role's
    /// identity policies and boundary, and `resource_policy`: what `vaultward audit` asks.
    pub fn decide(
        &mut self,
        action: &str,
        resource: &str,
        account: &str,
        context: &[(String, String)],
        resource_policy: Option<&NamedPolicy>,
        at: Where<'_>,
    ) -> Result<Response, String> {
        self.eval(action, resource, account, context, resource_policy, at)
    }

    /// The role's identity policies as read from the export.
    pub fn identity_policies(&self) -> &[NamedPolicy] {
        &self.base.identity
    }

    /// What of the role's own side (its policies, its boundary) could not be read.
    pub fn role_unreadable(&self) -> Vec<String> {
        self.role_unknown.iter().map(|u| u.reason()).collect()
    }

    /// How many requests were evaluated.
    pub fn requests(&self) -> usize {
        self.requests
    }

    /// Groups every object in a group of its own: the brute-force oracle of the tests.
    #[doc(hidden)]
    pub fn per_object(mut self) -> Self {
        self.per_object = true;
        self
    }

    pub(super) fn groups_for(&self, bucket: &str) -> Option<Groups> {
        let c = self.classifiers.get(bucket)?.clone();
        Some(if self.per_object {
            Groups::per_object(c)
        } else {
            Groups::new(c)
        })
    }

    /// Marks `bucket` as listed by an inventory (its snapshot listing is then replaced,
    /// even when the inventory holds no object).
    pub fn cover(&mut self, bucket: &str) -> Result<(), String> {
        vaultward_inventory::Sink::cover(self, bucket)
    }

    /// Adds one object of an inventory listing.
    pub fn add_object(&mut self, bucket: &str, row: Row<'_>) -> Result<(), String> {
        if let Some(g) = self.listings.get_mut(bucket) {
            g.add(row);
            return Ok(());
        }
        self.cover(bucket)?;
        if let Some(g) = self.listings.get_mut(bucket) {
            g.add(row);
        }
        Ok(())
    }

    pub(super) fn bucket_doc(&self, b: &Bucket) -> Doc {
        Doc::read(
            &b.policy,
            &format!("{} bucket policy", b.name),
            &format!("bucket policy of `{}`", b.name),
            PolicyKind::Resource,
        )
    }

    /// The context of a request by the role: the step's own keys, the user's facts, and
    /// every other key AWS sends from the request-context model, known where the snapshot
    /// or the facts say it and unknown where not.
    pub(super) fn context(
        &self,
        action: &str,
        resource_account: &str,
        extra: &[(String, String)],
        at: Where<'_>,
    ) -> Context {
        let mut ctx = Context::default();
        ctx.insert(
            "aws:PrincipalArn",
            ContextValue::Single(self.opts.role_arn.clone()),
        );
        for (k, v) in extra {
            ctx.insert(k, ContextValue::Single(v.clone()));
        }
        for (k, v) in &self.extra_context {
            ctx.insert(k, v.clone());
        }
        for (k, v) in &self.opts.facts.context {
            ctx.insert(k, v.clone());
        }
        let Some(principal) = &self.principal else {
            return ctx;
        };
        let org = self.s.organization.as_ref();
        let principal_org = match org.and_then(|o| o.id.clone()) {
            Some(id) => Membership::Member {
                id,
                path: org.and_then(|o| o.path.clone()),
            },
            // No organization in the snapshot: the account is taken not to be in one (the
            // snapshot's notes say when it could not be read).
            None => Membership::None,
        };
        let resource_org = if resource_account == self.s.account_id {
            principal_org.clone()
        } else {
            Membership::Unknown
        };
        let facts = Facts {
            at: Some(self.at),
            max_session: None,
            region: at.region.map(str::to_string),
            network: self.opts.facts.network.clone(),
            // The backup service calls AWS with the AWS SDK: over TLS, signed with SigV4 in
            // the Authorization header, from sessions of the role it assumes without MFA.
            // Any request a principal may make (`exposure`): how it signs and connects,
            // and whether with MFA, are the caller's choice, so unknown.
            secure_transport: (!self.opts.facts.any_caller).then_some(true),
            sdk_client: !self.opts.facts.any_caller,
            user_agent: None,
            userid: None,
            mfa: (!self.opts.facts.any_caller).then_some(false),
            principal_org,
            resource_org,
            principal_tags: Tags::Known(self.tags.clone()),
            resource_tags: match at.tags {
                Some(t) => Tags::Known(t.to_vec()),
                None => Tags::Unknown,
            },
        };
        let route = match at.via {
            Some(service) => Route::ViaService(service.to_string()),
            None => Route::Direct,
        };
        // S3 sends `aws:s3:arn` alone as its encryption context (set by the step); the
        // contexts other services send (DynamoDB, EBS, AWS Backup) are not modelled, so
        // their keys are unknown, and may be absent.
        if let Some(service) = at.via.filter(|s| *s != "s3") {
            ctx.insert_unknown_prefix(
                "kms:EncryptionContext:",
                vaultward_iam::Unknown {
                    maybe_absent: true,
                    ..vaultward_iam::Unknown::any(format!(
                        "the encryption context {service} sends to AWS KMS, which Vaultward does not model"
                    ))
                },
            );
        }
        let service = action.split(':').next().unwrap_or_default();
        fill(
            &mut ctx,
            principal,
            service,
            Some(resource_account),
            &route,
            &facts,
        );
        ctx
    }

    pub(super) fn eval(
        &mut self,
        action: &str,
        resource: &str,
        account: &str,
        extra: &[(String, String)],
        rp: Option<&NamedPolicy>,
        at: Where<'_>,
    ) -> Result<Response, String> {
        let ctx = self.context(action, account, extra, at);
        self.requests += 1;
        let req =
            Request::new(&self.session, action, resource, Some(account), ctx).map_err(|e| {
                format!("the request `{action}` on `{resource}` cannot be formed: {e:?}")
            })?;
        self.base.resource = rp.cloned();
        let r = authorize(&req, &self.base);
        self.base.resource = None;
        Ok(r)
    }

    pub(super) fn applies(&self, step: &Step) -> bool {
        match step.when {
            When::Always | When::Multipart => true,
            When::Continuous => self.opts.continuous_s3,
            When::InstanceRoles => self.opts.names.restore_instance_role.is_some(),
            When::NoInstanceRoles => self.opts.names.restore_instance_role.is_none(),
            When::SupportRole => false,
        }
    }
}
