//! Tags of vaults and recovery points.

use super::recovery_points::arn_account;
use super::*;

impl Service {
    /// The operations on tags.
    pub(super) fn tagging(
        &self,
        who: &Identity,
        route: &Route,
        _q: &HashMap<String, String>,
        body: &Value,
        action: &str,
    ) -> Res {
        match route {
            Route::ListTags(arn) => {
                self.authorized_taggable(who, action, arn, &[])?;
                Ok(json!({"Tags": self.tags(arn)?}))
            }
            Route::TagResource(arn) => {
                let add = tags_of(body.get("Tags"), "Tags")?;
                if add.is_empty() {
                    return Err(ApiError::missing("Tags"));
                }
                self.authorized_taggable(who, action, arn, &request_tag_keys(&add))?;
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
            Route::UntagResource(arn) => {
                let keys = tag_key_list(body)?;
                let request = [("aws:TagKeys".to_string(), ContextValue::Multi(keys.clone()))];
                self.authorized_taggable(who, action, arn, &request)?;
                let mut t = self.tags(arn)?;
                for k in &keys {
                    t.remove(k);
                }
                self.store.upsert(Kind::Tags, arn, None, &json!(t))?;
                Ok(json!({}))
            }
            other => Err(ApiError::internal(format!(
                "{} was routed to the tags module",
                other.name()
            ))),
        }
    }

    /// The vault a taggable ARN (a vault or a recovery point) belongs to, once `who` may
    /// perform `action` on the ARN. An ARN naming another account is refused before it is
    /// looked up; a recovery point ARN naming no account (EC2 snapshots and images) that
    /// belongs to another account's vault is answered as one that does not exist. So
    /// ListTags and TagResource say nothing of whether another account's resource exists.
    fn authorized_taggable(
        &self,
        who: &Identity,
        action: &str,
        arn: &str,
        request: &[RequestKey],
    ) -> Result<Value, ApiError> {
        let named = arn_account(arn);
        if let Some(account) = named.filter(|a| *a != who.account) {
            self.authorize(who, action, arn, account, None, request)?;
        }
        let v = self
            .owning_vault(arn)?
            .filter(|v| account_of(v) == who.account);
        self.authorize(who, action, arn, &who.account, v.as_ref(), request)?;
        v.ok_or_else(|| ApiError::not_found(format!("Resource {arn} does not exist")))
    }

    /// A job's tags: the source resource's (from the configuration), overridden by
    /// `winning` (the job's, or the source recovery point's for a copy).
    pub(super) fn merged_tags(
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

    pub(super) fn tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ApiError> {
        Ok(match self.store.get(Kind::Tags, arn)? {
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => BTreeMap::new(),
        })
    }
}

/// `UntagResource`'s `TagKeyList`: a list of strings (a key of another type is refused,
/// never skipped).
fn tag_key_list(body: &Value) -> Result<Vec<String>, ApiError> {
    let list = body
        .get("TagKeyList")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::missing("TagKeyList"))?;
    list.iter()
        .map(|k| {
            k.as_str()
                .map(str::to_string)
                .ok_or_else(|| ApiError::invalid(format!("TagKeyList: `{k}` is not a string")))
        })
        .collect()
}

pub(super) fn tags_of(v: Option<&Value>, what: &str) -> Result<BTreeMap<String, String>, ApiError> {
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
