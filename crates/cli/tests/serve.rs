//! `vaultward serve` as a process: `kill -9` while writes are in flight never loses an
//! acknowledged write nor corrupts the store, `kill -9` in the middle of a lifecycle sweep
//! deletes nothing early and keeps nothing past the next sweep, and a bad configuration or
//! clock is a located error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use vaultward_server::sigv4::sign_request;

const KEY: (&str, &str) = ("AKIACRASHTEST0000001", "crash-secret");

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("vaultward-serve-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write_config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("identities.json");
    let cfg = json!({"accounts": [{"id": "111122223333", "users": [{
        "name": "writer", "access_key_id": KEY.0, "secret_access_key": KEY.1,
        "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["backup:*", "iam:PassRole"], "Resource": "*"}]}]}]}]});
    std::fs::write(&path, cfg.to_string()).unwrap();
    path
}

fn start(dir: &std::path::Path) -> (Child, String) {
    start_with(dir, &[], Stdio::null())
}

fn start_with(dir: &std::path::Path, extra: &[&str], stderr: Stdio) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(["serve", "--config"])
        .arg(write_config(dir))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    (child, addr)
}

/// One signed request on its own connection; the status, or `None` when the connection
/// failed before a whole response arrived.
fn call(addr: &str, method: &str, path: &str, body: &str) -> Option<u16> {
    request(addr, method, path, body, 0.0).map(|(status, _)| status)
}

/// One signed request, signed `offset` seconds after the system's time (for a service on a
/// moved clock); the status and the JSON body.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    body: &str,
    offset: f64,
) -> Option<(u16, serde_json::Value)> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        + offset;
    let headers = sign_request(
        method,
        addr,
        path,
        "",
        body.as_bytes(),
        KEY.0,
        KEY.1,
        "us-east-1",
        now,
    );
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!(
        "content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status: u16 = resp.split(' ').nth(1)?.parse().ok()?;
    // A whole response: headers and a JSON body.
    let (_, body) = resp.split_once("\r\n\r\n")?;
    let body = serde_json::from_str::<serde_json::Value>(body).ok()?;
    Some((status, body))
}

#[test]
fn kill_9_never_loses_an_acknowledged_write() {
    let dir = temp_dir("crash");
    for round in 0..3 {
        let (mut child, addr) = start(&dir);
        let acked = Arc::new(Mutex::new(Vec::<String>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (addr, acked, stop) = (addr.clone(), acked.clone(), stop.clone());
                std::thread::spawn(move || {
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        let name = format!("r{round}-w{w}-{i}");
                        match call(&addr, "PUT", &format!("/backup-vaults/{name}"), "{}") {
                            Some(200) => acked.lock().unwrap().push(name),
                            Some(other) => panic!("unexpected status {other}"),
                            None => break, // the server died mid-request
                        }
                        i += 1;
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(400 + 150 * round));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            w.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            acked.len() > 10,
            "round {round}: only {} writes before the kill",
            acked.len()
        );
        // Restart on the same data: every acknowledged vault is there, and the store works.
        let (mut child, addr) = start(&dir);
        for name in &acked {
            assert_eq!(
                call(&addr, "GET", &format!("/backup-vaults/{name}"), ""),
                Some(200),
                "round {round}: acknowledged vault {name} was lost"
            );
        }
        assert_eq!(
            call(&addr, "PUT", &format!("/backup-vaults/after-{round}"), "{}"),
            Some(200)
        );
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_configuration_names_the_file_and_place() {
    let dir = temp_dir("badcfg");
    let path = dir.join("identities.json");
    std::fs::write(
        &path,
        json!({"accounts": [{"id": "111122223333", "users": [{"name": "u", "access_key_id": "A", "secret_access_key": "s",
            "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "backup:*"}]}]}]}]})
        .to_string(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(["serve", "--config"])
        .arg(&path)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("identities.json") && err.contains("$.accounts[0].users[0].policies[0]"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Start-up errors say why: a missing file with the system's reason, a taken address with
/// the address (issue 17).
#[test]
fn start_up_errors_say_why_and_where() {
    let dir = temp_dir("startup");
    let out = Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(["serve", "--config"])
        .arg(dir.join("missing.json"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("missing.json") && err.contains("No such file or directory"),
        "{err}"
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(["serve", "--config"])
        .arg(write_config(&dir))
        .arg("--data-dir")
        .arg(dir.join("data2"))
        .args(["--listen", &addr])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("cannot listen on {addr}")) && err.contains("in use"),
        "{err}"
    );
    drop(taken);
    let _ = std::fs::remove_dir_all(&dir);
}

const DAY: f64 = 86400.0;

/// The recovery points of the vault `v` the test's sweep runs on, by ARN, read from the
/// store of a stopped service.
fn stored_points(dir: &std::path::Path) -> HashMap<String, serde_json::Value> {
    use vaultward_server::store::{Kind, SqliteStore, Store};
    let store = SqliteStore::open(&dir.join("data")).unwrap();
    let vault = "arn:aws:backup:us-east-1:111122223333:backup-vault:sweep";
    let page = store
        .list(Kind::RecoveryPoint, Some(vault), None, 10_000)
        .unwrap();
    page.items
        .into_iter()
        .map(|rp| (rp["RecoveryPointArn"].as_str().unwrap().to_string(), rp))
        .collect()
}

/// Issue 26: the lifecycle sweeper survives `kill -9` in the middle of a sweep. Points due
/// to expire (2 days' retention), due to move to cold storage (after a day) and not due (10
/// days' retention) are swept with the clock moved 3 days on (`--clock offset-file:`), and
/// the service is killed as soon as the sweep is seen to have begun. In the store it leaves,
/// no point not due has changed, and no point due to move has been deleted. After a restart,
/// the start-up sweep finishes the work: every due point expired or in cold storage, every
/// other one as it was.
#[test]
fn kill_9_mid_sweep_deletes_nothing_early_and_keeps_nothing_past_the_next_sweep() {
    let mut cut_short = 0;
    for round in 0..2 {
        let dir = temp_dir(&format!("sweep-{round}"));
        let clock = dir.join("clock");
        std::fs::write(&clock, "0").unwrap();
        let clock_arg = format!("offset-file:{}", clock.display());
        let args = ["--clock", &clock_arg, "--sweep-interval", "1"];
        let (mut child, addr) = start_with(&dir, &args, Stdio::null());
        assert_eq!(call(&addr, "PUT", "/backup-vaults/sweep", "{}"), Some(200));
        let mut expiring = HashSet::new();
        let mut cooling = HashSet::new();
        let mut keeping = HashSet::new();
        for i in 0..240 {
            let lifecycle = match i % 3 {
                0 => json!({"DeleteAfterDays": 2}),
                1 => json!({"MoveToColdStorageAfterDays": 1, "DeleteAfterDays": 91}),
                _ => json!({"DeleteAfterDays": 10}),
            };
            let body = json!({"BackupVaultName": "sweep",
                "ResourceArn": format!("arn:aws:ec2:us-east-1:111122223333:volume/vol-{i}"),
                "IamRoleArn": "arn:aws:iam::111122223333:role/r", "Lifecycle": lifecycle});
            let (status, job) =
                request(&addr, "PUT", "/backup-jobs", &body.to_string(), 0.0).unwrap();
            assert_eq!(status, 200, "{job}");
            let arn = job["RecoveryPointArn"].as_str().unwrap().to_string();
            [&mut expiring, &mut cooling, &mut keeping][i % 3].insert(arn);
        }
        // Three days on: the sweep begins within a second; kill it once it has.
        std::fs::write(&clock, (3.0 * DAY).to_string()).unwrap();
        let list = "/backup-vaults/sweep/recovery-points/";
        // Bounded only so that a broken sweeper fails the test instead of hanging it.
        let give_up = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            assert!(
                std::time::Instant::now() < give_up,
                "round {round}: no sweep began"
            );
            let (status, page) = request(&addr, "GET", list, "", 3.0 * DAY).unwrap();
            assert_eq!(status, 200, "{page}");
            let points = page["RecoveryPoints"].as_array().unwrap();
            let started =
                points.len() < 240 || points.iter().any(|rp| rp["StorageClass"] == "COLD");
            if started {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let stored = stored_points(&dir);
        for arn in &keeping {
            let rp = &stored[arn];
            assert_eq!(
                rp["StorageClass"], "WARM",
                "round {round}: {arn} changed early"
            );
        }
        for arn in &cooling {
            assert!(
                stored.contains_key(arn),
                "round {round}: {arn} was deleted early"
            );
        }
        let left = expiring.iter().filter(|a| stored.contains_key(*a)).count()
            + cooling
                .iter()
                .filter(|a| stored[*a]["StorageClass"] == "WARM")
                .count();
        if left > 0 {
            cut_short += 1;
        }
        // The restart's first sweep finishes it.
        let (mut child, addr) = start_with(&dir, &args, Stdio::piped());
        let mut log = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while !line.contains("sweep at start-up") {
            line.clear();
            assert!(log.read_line(&mut line).unwrap() > 0, "the service stopped");
        }
        let (_, page) = request(&addr, "GET", list, "", 3.0 * DAY).unwrap();
        let now: HashMap<String, serde_json::Value> = page["RecoveryPoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|rp| {
                (
                    rp["RecoveryPointArn"].as_str().unwrap().to_string(),
                    rp.clone(),
                )
            })
            .collect();
        assert_eq!(now.len(), 160, "round {round}: {line}");
        for arn in &expiring {
            assert!(
                !now.contains_key(arn),
                "round {round}: {arn} kept past its deadline"
            );
        }
        for arn in &cooling {
            assert_eq!(now[arn]["StorageClass"], "COLD", "round {round}: {arn}");
        }
        for arn in &keeping {
            assert_eq!(now[arn]["StorageClass"], "WARM", "round {round}: {arn}");
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        cut_short > 0,
        "no kill landed in the middle of a sweep, so the test showed nothing"
    );
}

/// `--clock` takes `system` or `offset-file:PATH` with a readable number of seconds; anything
/// else stops the service with exit 2 and says why.
#[test]
fn a_clock_that_cannot_be_used_is_refused() {
    let dir = temp_dir("clock");
    let bad = dir.join("bad-clock");
    std::fs::write(&bad, "tomorrow").unwrap();
    for (clock, says) in [
        ("sundial".to_string(), "offset-file:PATH"),
        (format!("offset-file:{}", bad.display()), "tomorrow"),
        (
            format!("offset-file:{}", dir.join("missing").display()),
            "cannot read the clock file",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_vaultward"))
            .args(["serve", "--config"])
            .arg(write_config(&dir))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args(["--clock", &clock])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{clock}: {err}");
        assert!(
            err.contains("--clock") && err.contains(says),
            "{clock}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
