//! The vault service: backup vaults, vault access policies, vault locks, recovery points
//! and jobs behind AWS Backup's REST-JSON API, so the AWS CLI and SDKs work against it.
//! Every request is authenticated with SigV4 against the configured identities and
//! authorized by the engine (identity policies plus the vault access policy).

pub mod arns;
pub mod config;
pub mod error;
pub mod routes;
pub mod service;
pub mod sigv4;
pub mod store;
pub mod sts;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::Router;
use serde_json::Value;

use crate::config::Config;
use crate::error::ApiError;
use crate::service::{Clock, Log, Service, SystemClock};
use crate::sigv4::{parse_authorization, verify, SigError, SignedRequest};
use crate::store::SqliteStore;

/// Request bodies larger than this are refused (AWS Backup's requests are small).
const MAX_BODY: usize = 1 << 20;

/// A service over the SQLite store in `data_dir`, logging to standard error.
pub fn open(config: Config, data_dir: &Path) -> Result<Arc<Service>, store::StoreError> {
    let store = Arc::new(SqliteStore::open(data_dir)?);
    let log: Log = Arc::new(|line| eprintln!("{line}"));
    Ok(Arc::new(Service::new(
        config,
        store,
        Arc::new(SystemClock),
        log,
    )))
}

pub fn router(service: Arc<Service>) -> Router {
    Router::new().fallback(move |req: Request<Body>| {
        let service = service.clone();
        async move { handle(service, req).await }
    })
}

/// Serves until the process is stopped.
pub async fn serve(
    service: Arc<Service>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    axum::serve(listener, router(service)).await
}

pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}

fn respond(status: u16, body: &Value, error: Option<&str>) -> Response<Body> {
    respond_text(status, body.to_string(), error)
}

fn respond_text(status: u16, body: String, error: Option<&str>) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        h.insert("x-amzn-requestid", id);
    }
    if let Some(code) = error.and_then(|c| HeaderValue::from_str(c).ok()) {
        h.insert("x-amzn-errortype", code);
    }
    r
}

fn respond_xml(status: u16, body: String) -> Response<Body> {
    let mut r = respond_text(status, body, None);
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/xml"));
    r
}

fn error(e: &ApiError) -> Response<Body> {
    respond(e.status, &e.body(), Some(e.code))
}

fn query_map(raw: &str) -> HashMap<String, String> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (sigv4::form_decode(k), sigv4::form_decode(v))
        })
        .collect()
}

async fn handle(service: Arc<Service>, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error(&ApiError::invalid(format!(
                "the request body is larger than {MAX_BODY} bytes"
            )))
        }
    };
    let method = parts.method.as_str().to_string();
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).to_string(),
            )
        })
        .collect();
    // Authentication: SigV4 against the configured access keys.
    let Some(auth_header) = headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone())
    else {
        return error(&ApiError::new(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let auth = match parse_authorization(&auth_header) {
        Ok(a) => a,
        Err(SigError::Malformed(m)) => {
            return error(&ApiError::new(403, "IncompleteSignatureException", m))
        }
        Err(_) => {
            return error(&ApiError::new(
                403,
                "IncompleteSignatureException",
                "the Authorization header is malformed",
            ))
        }
    };
    let is_sts = auth.service == "sts";
    let fail = |e: &ApiError| {
        if is_sts {
            respond_xml(e.status, sts::error_xml(e))
        } else {
            error(e)
        }
    };
    let who = match service.config.identities.get(&auth.access_key) {
        Some(w) => w.clone(),
        None => {
            let token = headers
                .iter()
                .find(|(k, _)| k == "x-amz-security-token")
                .map(|(_, v)| v.as_str());
            match service.session_identity(&auth.access_key, token) {
                Ok(w) => w,
                Err(e) => return fail(&e),
            }
        }
    };
    let signed = SignedRequest {
        method: &method,
        raw_path: &raw_path,
        raw_query: &raw_query,
        headers: &headers,
        body: &body,
    };
    if let Err(e) = verify(&signed, &auth, &who.secret, SystemClock.now() as i64) {
        let msg = match e {
            SigError::Expired => "Signature expired: the request time is more than 15 minutes from the server's time".to_string(),
            SigError::Malformed(m) => m,
            _ => "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.".to_string(),
        };
        return fail(&ApiError::new(403, "InvalidSignatureException", msg));
    }
    if is_sts {
        if method != "POST" || raw_path != "/" {
            return fail(&ApiError::new(400, "InvalidAction", "STS calls are POST /"));
        }
        let form = query_map(&String::from_utf8_lossy(&body));
        let result = tokio::task::spawn_blocking(move || service.sts(&who, &form)).await;
        return match result {
            Ok(Ok(xml)) => respond_xml(200, xml),
            Ok(Err(e)) => fail(&e),
            Err(_) => fail(&ApiError::internal("the request failed inside the service")),
        };
    }
    let Some(route) = routes::route(&method, &raw_path) else {
        return error(&ApiError::new(
            404,
            "UnknownOperationException",
            format!("{method} {raw_path} is not an AWS Backup operation this service serves"),
        ));
    };
    let json: Value = if body.is_empty() {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return error(&ApiError::new(
                    400,
                    "SerializationException",
                    format!("the request body is not JSON: {e}"),
                ))
            }
        }
    };
    let q = query_map(&raw_query);
    // The store is synchronous (SQLite): run the call off the async workers.
    let result =
        tokio::task::spawn_blocking(move || service.handle_text(&who, &route, &q, &json)).await;
    match result {
        Ok(Ok(text)) => respond_text(200, text, None),
        Ok(Err(e)) => error(&e),
        Err(_) => error(&ApiError::internal("the request failed inside the service")),
    }
}
