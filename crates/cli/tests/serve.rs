//! `vaultward serve` as a process: `kill -9` while writes are in flight never loses an
//! acknowledged write nor corrupts the store, and a bad configuration is a located error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaultward"))
        .args(["serve", "--config"])
        .arg(write_config(dir))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
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
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
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
    serde_json::from_str::<serde_json::Value>(body).ok()?;
    Some(status)
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
