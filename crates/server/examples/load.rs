//! Load test of the vault service on 127.0.0.1: the service runs in this process over a
//! fresh SQLite store; N clients (default 100), each on its own keep-alive connection, send
//! signed, authorized requests (DescribeBackupVault, ListRecoveryPointsByBackupVault and
//! DescribeRecoveryPoint in turn, each checked by the engine against the caller's identity
//! policy and the vault access policy) until REQUESTS are done or SECONDS have passed.
//! Prints requests/s and latency percentiles.
//!
//! cargo run --release -p vaultward-server --example load -- [CLIENTS] [REQUESTS] [SECONDS] [MIX] [BACKLOG]
//!
//! MIX `mixed` (default) cycles through the three requests; `describe` leaves out the
//! listing (whose cost is mostly JSON for its 50 recovery points).
//!
//! The lifecycle sweeper runs throughout, with BACKLOG (default 10,000) recovery points in a
//! second vault already due when the clients start: backed up on a clock set back 51 days,
//! half with a retention of 1 to 50 days (they expire), half moving to cold storage after 1
//! to 50 days (they move), so the sweeper expires and moves points, one write transaction
//! each, while the clients read. `0` leaves the sweeper nothing to do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vaultward_server::clock::{Clock, SystemClock};
use vaultward_server::config::Config;
use vaultward_server::routes::Route;
use vaultward_server::service::Service;
use vaultward_server::sigv4::sign_request;
use vaultward_server::store::SqliteStore;

// The allocator the `vaultward` binary runs the service with.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const KEY: (&str, &str) = ("AKIALOADTEST00000001", "load-secret");
const ACCT: &str = "111122223333";

/// The system clock moved by a number of seconds the example sets (back for the backlog's
/// backups, then to the present for the run).
struct MovedClock(AtomicI64);

impl Clock for MovedClock {
    fn now(&self) -> f64 {
        SystemClock.now() + self.0.load(Ordering::SeqCst) as f64
    }
}

const DAY: i64 = 86_400;

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn percent(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// Reads one HTTP/1.1 response (headers and a Content-Length body); returns the status.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> u16 {
    buf.clear();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.unwrap();
                assert!(n > 0, "connection closed");
                buf.extend_from_slice(&chunk[..n]);
            }
            return head.split(' ').nth(1).unwrap().parse().unwrap();
        }
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let clients: usize = args.get(1).map_or(100, |a| a.parse().unwrap());
    let total: usize = args.get(2).map_or(200_000, |a| a.parse().unwrap());
    let seconds: u64 = args.get(3).map_or(30, |a| a.parse().unwrap());
    let mix = args.get(4).cloned().unwrap_or_else(|| "mixed".into());
    let backlog: usize = args.get(5).map_or(10_000, |a| a.parse().unwrap());
    // The runtime `vaultward serve` runs on.
    let rt = vaultward_server::runtime().unwrap();
    rt.block_on(run(clients, total, seconds, &mix, backlog));
}

async fn run(clients: usize, total: usize, seconds: u64, mix: &str, backlog: usize) {
    let dir = std::env::temp_dir().join(format!("vaultward-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = json!({"accounts": [{"id": ACCT, "users": [{"name": "loader", "access_key_id": KEY.0,
        "secret_access_key": KEY.1, "policies": [{"Version": "2012-10-17", "Statement": [
            {"Sid": "Operate", "Effect": "Allow", "Action": ["backup:*", "iam:PassRole"], "Resource": "*"},
            {"Sid": "NeverDeleteVaults", "Effect": "Deny", "Action": "backup:DeleteBackupVault", "Resource": "*"}]}]}]}]});
    let config = Config::from_json("load.json", &cfg.to_string()).unwrap();
    let clock = Arc::new(MovedClock(AtomicI64::new(-51 * DAY)));
    let service = Arc::new(Service::new(
        config,
        Arc::new(SqliteStore::open(&dir).unwrap()),
        clock.clone(),
        // The sweeper's lines would only say what the backlog is for.
        Arc::new(|l: String| {
            if !l.starts_with("sweep") {
                eprintln!("{l}");
            }
        }),
    ));
    // A vault with an access policy and 50 recovery points.
    let who = service.config.identities[KEY.0].clone();
    let none = HashMap::new();
    service
        .handle(
            &who,
            &Route::CreateBackupVault("load".into()),
            &none,
            &json!({}),
        )
        .unwrap();
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "OnlyAdminDeletes", "Effect": "Deny",
        "NotPrincipal": {"AWS": [format!("arn:aws:iam::{ACCT}:role/Admin"), format!("arn:aws:iam::{ACCT}:root")]},
        "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}]});
    service
        .handle(
            &who,
            &Route::PutBackupVaultAccessPolicy("load".into()),
            &none,
            &json!({"Policy": policy.to_string()}),
        )
        .unwrap();
    let mut rp = String::new();
    for i in 0..50 {
        let j = service
            .handle(
                &who,
                &Route::StartBackupJob,
                &none,
                &json!({"BackupVaultName": "load", "ResourceArn": format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-{i}"),
                        "IamRoleArn": format!("arn:aws:iam::{ACCT}:role/r")}),
            )
            .unwrap();
        rp = j["RecoveryPointArn"].as_str().unwrap().to_string();
    }
    // The backlog, 51 days ago: every point is due by now.
    service
        .handle(
            &who,
            &Route::CreateBackupVault("aging".into()),
            &none,
            &json!({}),
        )
        .unwrap();
    for i in 0..backlog {
        let days = 1 + (i / 2) % 50;
        let lifecycle = if i % 2 == 0 {
            json!({"DeleteAfterDays": days})
        } else {
            json!({"MoveToColdStorageAfterDays": days, "DeleteAfterDays": days + 90})
        };
        service
            .handle(
                &who,
                &Route::StartBackupJob,
                &none,
                &json!({"BackupVaultName": "aging", "ResourceArn": format!("arn:aws:ec2:us-east-1:{ACCT}:volume/vol-aging-{i}"),
                        "IamRoleArn": format!("arn:aws:iam::{ACCT}:role/r"), "Lifecycle": lifecycle}),
            )
            .unwrap();
    }
    clock.0.store(0, Ordering::SeqCst);
    let listener = vaultward_server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let sweeper = vaultward_server::spawn_sweeper(service.clone(), Duration::from_secs(1));
    tokio::spawn(vaultward_server::serve_with(
        service.clone(),
        listener,
        vaultward_server::Limits::default(),
    ));

    let mut paths = vec![
        "/backup-vaults/load".to_string(),
        format!("/backup-vaults/load/recovery-points/{}", percent(&rp)),
    ];
    if mix == "mixed" {
        paths.push("/backup-vaults/load/recovery-points/".to_string());
    }
    let paths = Arc::new(paths);
    let per_client = total / clients;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (addr, paths) = (addr.clone(), paths.clone());
        tasks.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            let mut lat = Vec::with_capacity(per_client);
            let mut buf = Vec::new();
            for i in 0..per_client {
                if Instant::now() > deadline {
                    break;
                }
                let path = &paths[(c + i) % paths.len()];
                let headers = sign_request(
                    "GET",
                    &addr,
                    path,
                    "",
                    b"",
                    KEY.0,
                    KEY.1,
                    "us-east-1",
                    now(),
                );
                let mut req = format!("GET {path} HTTP/1.1\r\n");
                for (k, v) in &headers {
                    req.push_str(&format!("{k}: {v}\r\n"));
                }
                req.push_str("\r\n");
                let t = Instant::now();
                s.write_all(req.as_bytes()).await.unwrap();
                let status = read_response(&mut s, &mut buf).await;
                lat.push(t.elapsed());
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&buf));
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed();
    sweeper.abort();
    // What the sweeper did while the clients ran.
    let mut left = Vec::new();
    let mut q = HashMap::new();
    loop {
        let page = service
            .handle(
                &who,
                &Route::ListRecoveryPointsByBackupVault("aging".into()),
                &q,
                &json!({}),
            )
            .unwrap();
        left.extend(page["RecoveryPoints"].as_array().unwrap().iter().cloned());
        match page["NextToken"].as_str() {
            Some(t) => q.insert("nextToken".to_string(), t.to_string()),
            None => break,
        };
    }
    let expiring_left = left
        .iter()
        .filter(|rp| rp["Lifecycle"]["MoveToColdStorageAfterDays"].is_null())
        .count();
    let expired = backlog.div_ceil(2) - expiring_left;
    let moved = left
        .iter()
        .filter(|rp| rp["StorageClass"] == "COLD")
        .count();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!(
        "{mix}: {} authorized requests from {clients} clients in {:.2} s: {:.0} requests/s; latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.90).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        all[all.len() - 1].as_secs_f64() * 1e3,
    );
    println!(
        "sweeper: of {backlog} recovery points due, {expired} expired and {moved} moved to cold storage during the run"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
