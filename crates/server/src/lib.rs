//! The vault service: backup vaults, vault access policies, vault locks, recovery points
//! and jobs behind AWS Backup's REST-JSON API, so the AWS CLI and SDKs work against it.
//! Every request is authenticated with SigV4 against the configured identities and
//! authorized by the engine (identity policies plus the vault access policy).

// No panic on any input: no slicing that can cut a character, no indexing that can miss,
// no arithmetic that can overflow (each exception says why it cannot).
#![deny(
    clippy::string_slice,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

pub mod arns;
pub mod clock;
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
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::extract::State;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::middleware::Next;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::clock::SystemClock;
use crate::config::{Config, Identity};
use crate::error::ApiError;
use crate::service::{Clock, Log, Service, SweepReport};
use crate::sigv4::{
    parse_authorization, payload_hash, precheck, verify, Scope, SigError, SignedRequest,
};
use crate::store::SqliteStore;

/// Request bodies larger than this are refused (AWS Backup's requests are small).
pub const MAX_BODY: usize = 1 << 20;

/// The HTTP layer's limits: what one client can hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request's headers must arrive within this (also the longest a kept-alive
    /// connection waits for its next request).
    pub header_timeout: Duration,
    /// A request's body must arrive within this once its headers are read.
    pub body_timeout: Duration,
    /// Connections served at once; more are closed as they arrive.
    pub max_connections: usize,
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(20),
            max_connections: 512,
            max_body: MAX_BODY,
        }
    }
}

/// Threads that run store calls. The store has one writer and `store::READERS` readers, so
/// more threads would only wait on their locks; a bounded pool queues calls in order
/// instead of starting a thread per waiting request (tokio's default allows 512).
pub const STORE_THREADS: usize = store::READERS + 2;

/// The runtime the service runs on: tokio's multi-threaded runtime with the store's
/// blocking pool bounded to [`STORE_THREADS`].
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(STORE_THREADS)
        .build()
}

/// The service's log: one line per event on standard error.
pub fn stderr_log() -> Log {
    Arc::new(|line| eprintln!("{}", line.escape_debug()))
}

/// A service over the SQLite store in `data_dir` on the system clock, logging to standard
/// error.
pub fn open(config: Config, data_dir: &Path) -> Result<Arc<Service>, store::StoreError> {
    open_with_clock(config, data_dir, Arc::new(SystemClock))
}

/// [`open`] with another clock (`vaultward serve --clock`, tests).
pub fn open_with_clock(
    config: Config,
    data_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<Arc<Service>, store::StoreError> {
    let store = Arc::new(SqliteStore::open(data_dir)?);
    Ok(Arc::new(Service::new(config, store, clock, stderr_log())))
}

/// How often the lifecycle sweeper runs by default.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// Recovery points one sweeper batch handles at most (each in its own transaction); a sweep
/// runs batches until none is due, pausing [`SWEEP_PAUSE`] between them.
pub const SWEEP_BATCH: usize = 100;
/// The sweeper's pause between two batches of one sweep: a backlog of due points takes a
/// bounded share of the store's writer and of the CPU from the requests served meanwhile
/// (about half, at a batch's length on this machine).
pub const SWEEP_PAUSE: Duration = Duration::from_millis(100);

/// Starts the lifecycle sweeper: a sweep at once and then every `every`, each handling every
/// recovery point due when it runs, in batches of at most [`SWEEP_BATCH`] on the store's
/// blocking pool, [`SWEEP_PAUSE`] apart. A point due at time t is moved or deleted by the end of the first sweep
/// that starts after t, also when the process was killed meanwhile (the first sweep after a
/// start catches up). Sweeps that changed something are logged, and the first one always.
pub fn spawn_sweeper(service: Arc<Service>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut first = true;
        loop {
            let mut total = SweepReport::default();
            let mut failed = None;
            loop {
                let s = service.clone();
                match tokio::task::spawn_blocking(move || s.sweep(SWEEP_BATCH)).await {
                    Ok(Ok(batch)) => {
                        total.add(&batch);
                        if !batch.more {
                            break;
                        }
                        tokio::time::sleep(SWEEP_PAUSE).await;
                    }
                    Ok(Err(e)) => {
                        failed = Some(e.message);
                        break;
                    }
                    Err(e) => {
                        failed = Some(e.to_string());
                        break;
                    }
                }
            }
            if let Some(e) = &failed {
                (service.log)(format!("sweep failed (retried at the next sweep): {e}"));
            }
            if first || total.expired > 0 || total.moved_to_cold > 0 {
                (service.log)(format!(
                    "sweep{}: {} recovery points moved to cold storage, {} expired",
                    if first { " at start-up" } else { "" },
                    total.moved_to_cold,
                    total.expired
                ));
            }
            first = false;
            tokio::time::sleep(every).await;
        }
    })
}

/// Serves until the process is stopped, with the default [`Limits`] and the lifecycle
/// sweeper running every [`SWEEP_INTERVAL`].
pub async fn serve(
    service: Arc<Service>,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    let sweeper = spawn_sweeper(service.clone(), SWEEP_INTERVAL);
    let served = serve_with(service, listener, Limits::default()).await;
    sweeper.abort();
    served
}

/// Serves HTTP/1.1 only (no h2c, whatever features other crates turn on), each connection
/// under the header and body timeouts, at most `max_connections` at once.
pub async fn serve_with(
    service: Arc<Service>,
    listener: tokio::net::TcpListener,
    limits: Limits,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted.
                (service.log)(format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let service = service.clone();
        tokio::spawn(async move {
            let _permit = permit;
            serve_connection(service, stream, peer, limits).await;
        });
    }
}

/// Serves one connection (any byte stream: a socket, or an in-memory pipe in the fuzz
/// target) until it closes.
pub async fn serve_connection<I>(service: Arc<Service>, io: I, peer: SocketAddr, limits: Limits)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let app = router(service, limits);
    let handler = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(Peer(peer));
        app.clone().oneshot(req)
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(io), handler);
    let _ = conn.await;
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

/// A signature failure in AWS's terms.
fn sig_error(e: SigError) -> ApiError {
    let msg = match e {
        SigError::Expired => "Signature expired: the request time is more than 15 minutes from the server's time".to_string(),
        SigError::Malformed(m) => m,
        SigError::Missing => "Missing Authentication Token".to_string(),
        SigError::Mismatch => "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.".to_string(),
    };
    ApiError::new(403, "InvalidSignatureException", msg)
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

fn refused(
    status: u16,
    code: &'static str,
    message: impl Into<String>,
    sts: bool,
) -> Response<Body> {
    let e = ApiError::new(status, code, message);
    if sts {
        respond_xml(e.status, sts::error_xml(&e))
    } else {
        error(&e)
    }
}

/// The connection's peer, put on each request before the router sees it.
#[derive(Clone, Copy)]
struct Peer(SocketAddr);

/// What the authentication layer established, for the operation handler.
#[derive(Clone)]
struct Authenticated {
    who: Identity,
    sts: bool,
}

#[derive(Clone)]
struct AppState {
    service: Arc<Service>,
    limits: Limits,
}

/// The service as an axum router: SigV4 authentication is a middleware layer in front of
/// every operation, so no handler runs for a request that is not authentic, and the body
/// is read (within the limit and the timeout) only once the headers alone could be.
pub fn router(service: Arc<Service>, limits: Limits) -> Router {
    let state = AppState { service, limits };
    Router::new()
        .fallback(dispatch)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate,
        ))
        .with_state(state)
}

/// The response to a failure in the caller's protocol: XML for STS, JSON for Backup.
fn fail_as(sts: bool, e: &ApiError) -> Response<Body> {
    if sts {
        respond_xml(e.status, sts::error_xml(e))
    } else {
        error(e)
    }
}

fn lowercase_headers(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).to_string(),
            )
        })
        .collect()
}

/// SigV4 authentication, as AWS does it: from the headers first (one Authorization
/// header, a known key, a session token only with temporary credentials, the scope's
/// date, region and service, the request time), then the body, read within the limit and
/// the timeout, hashed and bound into the signature. The request goes on with the body
/// and the caller's identity attached, or not at all.
async fn authenticate(
    State(st): State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response<Body> {
    let (mut parts, body) = req.into_parts();
    let headers = lowercase_headers(&parts.headers);
    let mut auth_headers = headers.iter().filter(|(k, _)| k == "authorization");
    let (Some((_, auth_header)), None) = (auth_headers.next(), auth_headers.next()) else {
        return if headers.iter().any(|(k, _)| k == "authorization") {
            refused(
                403,
                "IncompleteSignatureException",
                "the Authorization header may be sent only once",
                false,
            )
        } else {
            refused(
                403,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
                false,
            )
        };
    };
    let auth = match parse_authorization(auth_header) {
        Ok(a) => a,
        Err(SigError::Malformed(m)) => {
            return refused(403, "IncompleteSignatureException", m, false)
        }
        Err(_) => {
            return refused(
                403,
                "IncompleteSignatureException",
                "the Authorization header is malformed",
                false,
            )
        }
    };
    let is_sts = auth.service == "sts";
    let fail = |e: &ApiError| fail_as(is_sts, e);
    let service = &st.service;
    let token = headers
        .iter()
        .find(|(k, _)| k == "x-amz-security-token")
        .map(|(_, v)| v.as_str());
    let mut who = match service.config.identities.get(&auth.access_key) {
        Some(_) if token.is_some() => {
            return refused(403, "UnrecognizedClientException", "The security token included in the request is invalid: a long-term access key takes no session token", is_sts)
        }
        Some(w) => w.clone(),
        None => match service.session_identity(&auth.access_key, token) {
            Ok(w) => w,
            Err(e) => return fail(&e),
        },
    };
    let scope = Scope {
        region: &service.config.region,
        services: &["backup", "sts"],
    };
    let amz_date = match precheck(&headers, &auth, &scope, service.clock.now() as i64) {
        Ok(d) => d.to_string(),
        Err(e) => return fail(&sig_error(e)),
    };
    let limits = st.limits;
    let declared = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return fail(&ApiError::new(
            413,
            "RequestEntityTooLargeException",
            format!("the request body is larger than {} bytes", limits.max_body),
        ));
    }
    let body =
        match tokio::time::timeout(limits.body_timeout, to_bytes(body, limits.max_body)).await {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => {
                return fail(&ApiError::new(
                    413,
                    "RequestEntityTooLargeException",
                    format!(
                        "the request body is larger than {} bytes, or was cut off",
                        limits.max_body
                    ),
                ))
            }
            Err(_) => {
                return fail(&ApiError::new(
                    408,
                    "RequestTimeoutException",
                    "the request body did not arrive in time",
                ))
            }
        };
    let hash = payload_hash(&body);
    let signed = SignedRequest {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        payload_hash: &hash,
    };
    if let Err(e) = verify(&signed, &auth, &who.secret, &amz_date) {
        return fail(&sig_error(e));
    }
    if let Some(Peer(peer)) = parts.extensions.get::<Peer>() {
        who.request.source_ip = Some(peer.ip());
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    who.request.user_agent = header("user-agent");
    who.request.referer = header("referer");
    parts.extensions.insert(Authenticated { who, sts: is_sts });
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// An authenticated request to its operation. Reached only through [`authenticate`]; a
/// request without its mark is refused, never served.
async fn dispatch(State(st): State<AppState>, req: Request<Body>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let Some(Authenticated { who, sts: is_sts }) = parts.extensions.get::<Authenticated>().cloned()
    else {
        return refused(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
            false,
        );
    };
    // Already read and bounded by the authentication layer.
    let Ok(body) = to_bytes(body, st.limits.max_body).await else {
        return fail_as(is_sts, &ApiError::internal("the request body was lost"));
    };
    let service = st.service;
    let method = parts.method.as_str().to_string();
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    if is_sts {
        if method != "POST" || raw_path != "/" {
            return fail_as(
                true,
                &ApiError::new(400, "InvalidAction", "STS calls are POST /"),
            );
        }
        let form = query_map(&String::from_utf8_lossy(&body));
        let result = tokio::task::spawn_blocking(move || service.sts(&who, &form)).await;
        return match result {
            Ok(Ok(xml)) => respond_xml(200, xml),
            Ok(Err(e)) => fail_as(true, &e),
            Err(_) => fail_as(
                true,
                &ApiError::internal("the request failed inside the service"),
            ),
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
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                return error(&ApiError::new(
                    400,
                    "SerializationException",
                    "the request body must be a JSON object",
                ))
            }
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
