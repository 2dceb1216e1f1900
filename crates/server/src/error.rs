//! Errors in AWS Backup's JSON error shape: the code in `x-amzn-ErrorType` and in the body
//! (`__type`, `Code`), the text in `Message`, with AWS's status codes, so the AWS CLI and
//! SDKs print them as they would for AWS.

use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "ResourceNotFoundException", message)
    }
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "InvalidParameterValueException", message)
    }
    pub fn missing(name: &str) -> ApiError {
        ApiError::new(
            400,
            "MissingParameterValueException",
            format!("{name} is required"),
        )
    }
    pub fn request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "InvalidRequestException", message)
    }
    pub fn denied(message: impl Into<String>) -> ApiError {
        ApiError::new(403, "AccessDeniedException", message)
    }
    /// AWS Backup's own `ServiceUnavailableException` is a 500: each operation's page of
    /// the API reference lists it so (e.g. DeleteBackupVault, "HTTP Status Code: 500").
    /// The 503 on the Common Errors page belongs to the generic `ServiceUnavailable`,
    /// another code.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "ServiceUnavailableException", message)
    }

    pub fn body(&self) -> Value {
        json!({"__type": self.code, "Code": self.code, "Message": self.message})
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        ApiError::internal(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS Backup API reference, DeleteBackupVault (and every operation), Errors:
    /// "ServiceUnavailableException ... HTTP Status Code: 500"; the AWS CLI retries it as a
    /// server error either way.
    /// <https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVault.html>
    #[test]
    fn service_unavailable_is_a_500_with_the_backup_code() {
        let e = ApiError::internal("x");
        assert_eq!(e.status, 500);
        assert_eq!(
            e.body().get("__type").and_then(|v| v.as_str()),
            Some("ServiceUnavailableException")
        );
    }
}
