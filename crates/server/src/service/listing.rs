//! A listing's filters (`ListBackupJobs`, `ListRecoveryPointsByBackupVault`, ...):
//! equality on fields, and time bounds.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::ApiError;

/// A listing's filters: equality on fields, and time bounds (ISO 8601, as the AWS CLI and
/// SDKs send timestamps in a query string, or epoch seconds).
pub(super) struct Filter {
    equal: Vec<(String, String)>,
    /// (field, bound, keep when the field is after the bound)
    times: Vec<(String, f64, bool)>,
}

pub(super) fn parse_time(s: &str) -> Option<f64> {
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
    crate::sigv4::parse_amz_date(&format!(
        "{}T{}Z",
        digits.get(..8).unwrap_or_default(),
        digits.get(8..).unwrap_or_default()
    ))
    .map(|t| t as f64)
}

impl Filter {
    pub(super) fn new(
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

    pub(super) fn keeps(&self, item: &Value) -> bool {
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
