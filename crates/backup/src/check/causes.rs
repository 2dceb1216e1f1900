//! Why a request fails: each reason the engine gives, as a cause with its code, the
//! statement that decided, and the fix; and the requests of a step on a key or on another
//! resource than the protected one.

use vaultward_iam::authorizer::PolicyType;
use vaultward_iam::{
    parse_policy, ContextValue, Decision, NamedPolicy, PolicyKind, Reason, Response,
};
use vaultward_model::service::{Step, Target};

use super::docs::Doc;
use super::plan::Where;
use super::report::Cause;
use super::{Code, Decider, DocRef, KeyOf, Level, Plan};

/// Which policy a request's resource side is, for naming codes and fixes.
#[derive(Clone, Copy)]
pub(super) enum Kind<'a> {
    Bucket { name: &'a str },
    Key { arn: &'a str, aws_managed: bool },
    Vault { arn: &'a str },
    Other,
}

impl Plan<'_> {
    /// The document and statement a reason points at, as data.
    pub(super) fn decider(&self, d: &Reason, kind: Kind<'_>) -> Decider {
        let document = match d.policy_type {
            PolicyType::Resource => match kind {
                Kind::Bucket { name } => Some(DocRef::BucketPolicy {
                    bucket: name.to_string(),
                }),
                Kind::Key { arn, .. } => Some(DocRef::KeyPolicy {
                    key: arn.to_string(),
                }),
                Kind::Vault { arn } => Some(DocRef::VaultPolicy {
                    vault: arn.to_string(),
                }),
                Kind::Other => Some(DocRef::Vendor),
            },
            PolicyType::Scp if d.policy.is_none() => {
                d.level.map(|level| DocRef::ScpLevel { level })
            }
            PolicyType::Session => None,
            ty => self
                .refs
                .get(&(ty, d.level, d.policy.clone().unwrap_or_default()))
                .cloned(),
        };
        Decider {
            policy_type: d.policy_type,
            document,
            level: d.level,
            statement_index: d.statement_index,
            sid: d.statement.clone().filter(|s| !s.starts_with('#')),
            effect: d.effect,
            undecided: d.undecided,
        }
    }

    /// Every reason `r` denies, as causes.
    pub(super) fn causes(
        &self,
        r: &Response,
        action: &str,
        kind: Kind<'_>,
        wild: &[usize],
    ) -> Vec<Cause> {
        if r.decision == Decision::Allow {
            return Vec::new();
        }
        let role = &self.opts.role_arn;
        if r.decision == Decision::Undecided {
            return self.undecided_causes(r, action, kind);
        }
        let mut out = Vec::new();
        let reasons: Vec<_> = if r.decision == Decision::ExplicitDeny {
            r.reasons.iter().collect()
        } else {
            r.reasons.iter().take(1).collect()
        };
        let org_partial = !self.org_unreadable.is_empty();
        for d in reasons
            .iter()
            .copied()
            .map(Some)
            .chain(reasons.is_empty().then_some(None))
        {
            let policy_type = d.map(|d| d.policy_type);
            let undecided = d.is_some_and(|d| d.undecided);
            let (code, fix) = match (r.decision, policy_type, kind) {
                (_, Some(PolicyType::Resource), Kind::Key { aws_managed: true, .. }) => (Code::AwsManagedKey, "an AWS managed key's policy cannot be edited and allows only its own service in its own account: re-encrypt the data with a customer managed key whose policy names the role (or copy it under the bucket's default customer managed key)".to_string()),
                (_, Some(PolicyType::Resource), Kind::Key { .. }) => (Code::KmsKeyPolicyDenies, format!("add to the key policy a statement allowing `{action}` to `{role}` (run `vaultward fix`)")),
                (Decision::ExplicitDeny, Some(PolicyType::Resource), Kind::Bucket { .. }) => (Code::ExplicitDenyBucketPolicy, format!("add an `ArnNotLike` `aws:PrincipalArn` exception for `{role}` to the Deny statement's condition (not a `NotPrincipal`)")),
                (_, Some(PolicyType::Resource), Kind::Vault { .. }) => (Code::VaultPolicyDenies, format!("exempt `{role}` in the vault access policy's Deny, or allow it there")),
                (_, Some(PolicyType::Resource), _) => (Code::ResourcePolicyDenies, "change the resource policy to allow the role".to_string()),
                (_, Some(PolicyType::Scp), _) => (Code::ScpDenies, "ask the organization's administrators to exempt the role in the SCP (an `ArnNotLike` `aws:PrincipalArn` condition)".to_string()),
                (_, Some(PolicyType::Rcp), _) => (Code::RcpDenies, "ask the organization's administrators to exempt the role in the RCP (an `ArnNotLike` `aws:PrincipalArn` condition)".to_string()),
                (_, Some(PolicyType::Boundary), _) => (Code::BoundaryDenies, "allow the action in the role's permissions boundary".to_string()),
                (Decision::ExplicitDeny, Some(PolicyType::Identity), _) => (Code::IdentityPolicyDenies, "remove the Deny from the role's policies".to_string()),
                _ => (Code::MissingIdentityPermission, format!("add `{action}` to the role's policies: regenerate them with `vaultward permissions`")),
            };
            // A level short of an Allow may be short only because one of its policies
            // could not be read.
            let org_gap = org_partial
                && r.decision == Decision::ImplicitDeny
                && matches!(policy_type, Some(PolicyType::Scp | PolicyType::Rcp));
            let mut reason = d
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "denied".into());
            let mut policy = d.and_then(|d| d.policy.clone());
            if let Kind::Key { arn, .. } = kind {
                policy.get_or_insert_with(|| format!("key policy of {arn}"));
            }
            let decided_by = d.map(|d| self.decider(d, kind));
            {
                if r.decision == Decision::ExplicitDeny
                    && policy_type == Some(PolicyType::Resource)
                    && d.and_then(|d| d.statement_index)
                        .is_some_and(|i| wild.contains(&i))
                {
                    reason.push_str(
                        " (its NotPrincipal has a wildcard ARN, which AWS never matches)",
                    );
                    let mut w = Cause::new(
                        Code::NotprincipalWildcard,
                        Level::Warning,
                        action,
                        "the policy's `NotPrincipal` lists an ARN with a wildcard; AWS does not match wildcards there, so the role is not exempted".into(),
                        format!("replace the `NotPrincipal` with `\"Principal\": \"*\"` and an `ArnNotLike` condition on `aws:PrincipalArn` listing `{role}`"),
                    );
                    w.policy = policy.clone();
                    w.statement = d.and_then(|d| d.statement.clone());
                    w.decided_by = decided_by.clone();
                    out.push(w);
                }
            }
            let (code, level) = if undecided {
                (Code::CannotDecide, Level::Unknown)
            } else if org_gap {
                (Code::OrgPolicyUnreadable, Level::Unknown)
            } else {
                (code, Level::Blocking)
            };
            let mut c = Cause::new(code, level, action, reason, fix);
            c.policy = policy;
            c.statement = d.and_then(|d| d.statement.clone());
            c.decided_by = decided_by;
            out.push(c);
        }
        out
    }

    /// An answer that depends on values the snapshot does not hold: one `cannot-decide`
    /// cause per Deny that may apply (each names its statement, and the fix exempts the
    /// role there, which removes the dependency), or one for the Allow that may not, with
    /// the residual in words and the facts that would settle it.
    fn undecided_causes(&self, r: &Response, action: &str, kind: Kind<'_>) -> Vec<Cause> {
        let role = &self.opts.role_arn;
        let summary = r
            .reasons
            .first()
            .map(|d| d.message.clone())
            .unwrap_or_else(|| "cannot decide".into());
        let settle: Vec<String> = r
            .residual
            .iter()
            .flat_map(|res| {
                res.depends_on
                    .iter()
                    .flat_map(|d| d.settled_by.iter().cloned())
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let settle = if settle.is_empty() {
            "give the value it depends on (`--context KEY=VALUE`)".to_string()
        } else {
            settle.join("; ")
        };
        let denies: Vec<&Reason> = r
            .reasons
            .iter()
            .filter(|d| d.undecided && d.effect == Some(vaultward_iam::Effect::Deny))
            .collect();
        let make = |d: Option<&Reason>, fix: String| {
            let mut c = Cause::unknown(Code::CannotDecide, action, summary.clone(), &fix);
            if let Some(d) = d {
                c.policy = d.policy.clone();
                c.statement = d.statement.clone();
                c.decided_by = Some(self.decider(d, kind));
            }
            c
        };
        if denies.is_empty() {
            return vec![make(
                r.reasons.get(1),
                format!("settle what it depends on: {settle}"),
            )];
        }
        denies
            .into_iter()
            .map(|d| {
                make(
                    Some(d),
                    format!(
                        "settle what it depends on ({settle}), or exempt `{role}` in that Deny with an `ArnNotLike` `aws:PrincipalArn` condition, which removes the dependency (run `vaultward fix`)"
                    ),
                )
            })
            .collect()
    }

    /// Evaluates one request; a request that cannot be formed is unknown.
    #[expect(
        clippy::too_many_arguments,
        reason = "one request, with its resource side"
    )]
    pub(super) fn request_causes(
        &mut self,
        action: &str,
        resource: &str,
        account: &str,
        extra: &[(String, String)],
        rp: Option<&NamedPolicy>,
        kind: Kind<'_>,
        wild: &[usize],
        at: Where<'_>,
    ) -> Vec<Cause> {
        match self.eval(action, resource, account, extra, rp, at) {
            Ok(r) => self.causes(&r, action, kind, wild),
            Err(why) => vec![Cause::unknown(
                Code::CannotDecide,
                action,
                why,
                "report this request to the Vaultward maintainers",
            )],
        }
    }

    /// The context a step carries, filled in.
    pub(super) fn step_context(&self, step: &Step, fill: &[(&str, &str)]) -> Vec<(String, String)> {
        step.context
            .iter()
            .map(|(k, v)| (self.opts.names.fill(k, fill), self.opts.names.fill(v, fill)))
            .collect()
    }

    /// The causes of a step on the data's KMS key. `context` is the encryption context
    /// the service sends, when it is one the request-context model knows (S3's
    /// `aws:s3:arn`: the object's ARN, or the bucket's with an S3 Bucket Key).
    pub(super) fn key_causes(
        &mut self,
        step: &Step,
        key: &KeyOf,
        region: Option<&str>,
        fill: &[(&str, &str)],
        context: Option<(String, ContextValue)>,
    ) -> Vec<Cause> {
        let id = match key {
            KeyOf::None => return Vec::new(),
            KeyOf::CustomerProvided => {
                return vec![Cause::new(
                    Code::SseCObject,
                    Level::Blocking,
                    step.action,
                    "objects encrypted with customer-provided keys (SSE-C) can be read or written only with that key, which S3 does not keep and the backup service does not have".into(),
                    "copy the objects to SSE-KMS (or SSE-S3) encryption, or exclude them from the backup".into(),
                )]
            }
            KeyOf::Unknown => {
                return vec![Cause::unknown(
                    Code::NotCollected,
                    step.action,
                    "which KMS key (if any) encrypts the data is not known: it was not collected, or an S3 Inventory row says SSE-KMS without naming the key (Inventory has no field for it)".into(),
                    "collect the encryption settings and the objects' keys (`vaultward collect` reads each object's key with HeadObject; or the snapshot's `default_encryption` and objects' `kms_key_id`) and check again",
                )]
            }
            KeyOf::Key(id) => id,
        };
        let Some(k) = self.s.key(id) else {
            return vec![Cause::unknown(
                Code::NotCollected,
                step.action,
                format!("the KMS key `{id}` is not in the snapshot, so its key policy is unknown"),
                "collect the key's policy (`kms:GetKeyPolicy`) and check again",
            )];
        };
        let arn = k.arn.clone();
        let aws_managed = k.manager.as_deref() == Some("AWS");
        if !self.key_docs.contains_key(&arn) {
            let doc = Doc::read(
                &k.policy,
                &format!("key policy of {arn}"),
                &format!("key policy of `{arn}`"),
                PolicyKind::Key,
            );
            self.key_docs.insert(arn.clone(), doc);
        }
        let doc = self.key_docs.remove(&arn).unwrap_or(Doc::None);
        let causes = match &doc {
            Doc::Unknown(u) => vec![Cause::unreadable(u, step.action)],
            Doc::None => vec![Cause::unknown(
                Code::NotCollected,
                step.action,
                format!(
                    "the key policy of `{arn}` is empty in the snapshot (every KMS key has one)"
                ),
                "collect the key's policy (`kms:GetKeyPolicy`) and check again",
            )],
            Doc::Some(p, wild) => {
                let account = vaultward_iam::arn::Arn::parse(&arn)
                    .map(|a| a.account.to_string())
                    .unwrap_or_else(|| self.s.account_id.clone());
                // The key is used in its own Region, through the data's service
                // (`kms:ViaService`, `kms:CallerAccount`, `aws:ViaAWSService` and
                // `aws:CalledVia` come from the request-context model).
                let key_region = vaultward_iam::arn::Arn::parse(&arn)
                    .map(|a| a.region.to_string())
                    .filter(|r| !r.is_empty());
                let region = key_region.as_deref().or(region);
                let service = step.subject.service();
                let via = match region {
                    Some(r) => format!("{service}.{r}.amazonaws.com"),
                    None => format!("{service}.<region>.amazonaws.com"),
                };
                let extra = self.step_context(step, fill);
                let keep = std::mem::take(&mut self.extra_context);
                if let Some((k, v)) = context {
                    self.extra_context.push((k, v));
                }
                let mut causes = self.request_causes(
                    step.action,
                    &arn,
                    &account,
                    &extra,
                    Some(p),
                    Kind::Key {
                        arn: &arn,
                        aws_managed,
                    },
                    wild,
                    Where {
                        region,
                        via: Some(service),
                        tags: None,
                    },
                );
                self.extra_context = keep;
                for c in &mut causes {
                    c.kms_via_service = Some(via.clone());
                }
                causes
            }
        };
        self.key_docs.insert(arn, doc);
        causes
    }

    /// The causes of a step on a resource other than the protected one, in `region`
    /// (the protected resource's, when known).
    pub(super) fn other_causes(
        &mut self,
        step: &Step,
        fill: &[(&str, &str)],
        region: Option<&str>,
    ) -> Vec<Cause> {
        let acct = self.s.account_id.clone();
        let extra = self.step_context(step, fill);
        match step.target {
            Target::Arn(t) => {
                let arn = self.opts.names.fill(t, fill);
                // A regional resource is reached at its own Region's endpoint; a global one
                // (a role being passed) in the request of the protected resource's.
                let own = vaultward_iam::arn::Arn::parse(&arn)
                    .map(|a| a.region.to_string())
                    .filter(|r| !r.is_empty());
                let at = Where {
                    region: own.as_deref().or(region),
                    via: None,
                    tags: None,
                };
                self.request_causes(step.action, &arn, &acct, &extra, None, Kind::Other, &[], at)
            }
            Target::Vendor(t) => {
                let Some(vendor) = self.vendor_account.clone() else {
                    return vec![Cause::unknown(
                        Code::NotCollected,
                        step.action,
                        "the role's trust policy names no other account, so the vendor's account (where this request goes) is not known".into(),
                        "check that the role trusts the vendor's control plane (`vaultward permissions` generates that trust policy)",
                    )];
                };
                let arn = self.opts.names.fill(t, fill);
                // The vendor's bucket is the vendor's to open; only the role's side (its
                // policies, boundary, SCPs and RCPs) is the customer's.
                let doc = format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"VendorBucketAllowsTheRole","Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"*","Resource":"*"}}]}}"#,
                    self.opts.role_arn
                );
                let vendor_policy = parse_policy(&doc, PolicyKind::Resource)
                    .policy
                    .map(|policy| NamedPolicy {
                        name: "the vendor's bucket policy".into(),
                        policy,
                    });
                let own = vaultward_iam::arn::Arn::parse(&arn)
                    .map(|a| a.region.to_string())
                    .filter(|r| !r.is_empty());
                self.request_causes(
                    step.action,
                    &arn,
                    &vendor,
                    &extra,
                    vendor_policy.as_ref(),
                    Kind::Other,
                    &[],
                    Where {
                        region: own.as_deref().or(region),
                        via: None,
                        tags: None,
                    },
                )
            }
            _ => Vec::new(),
        }
    }
}
