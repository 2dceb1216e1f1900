//! The whole request path, from raw bytes on a connection to the response: the HTTP/1
//! parser, SigV4, routing, JSON bodies and the service, over an in-memory pipe. Never a
//! panic; every response is HTTP/1.x (1.0 to a 1.0 request); the connection always ends.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use vaultward_server::service::Service;
use vaultward_server::Limits;

const IDENTITIES: &str = r#"{"accounts": [{"id": "111122223333",
  "organization": {"id": "o-fuzzorg0001", "path": "o-fuzzorg0001/r-ab12/ou-ab12-11111111/"},
  "users": [{"name": "op",
  "access_key_id": "AKIAFUZZ000000000001", "secret_access_key": "fuzz-secret",
  "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "backup:*", "Resource": "*"}]}]}]}]}"#;

fn service() -> Arc<Service> {
    static S: OnceLock<Arc<Service>> = OnceLock::new();
    S.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("vaultward-fuzz-http-{}", std::process::id()));
        let config = vaultward_server::config::Config::from_json("fuzz.json", IDENTITIES)
            .expect("the fuzz identities parse");
        vaultward_server::open(config, &dir).expect("the fuzz store opens")
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let limits = Limits {
            header_timeout: Duration::from_secs(2),
            body_timeout: Duration::from_secs(2),
            ..Limits::default()
        };
        let task = tokio::spawn(vaultward_server::serve_connection(
            service(),
            server,
            "127.0.0.1:9".parse().expect("an address"),
            limits,
        ));
        let _ = client.write_all(data).await;
        let _ = client.shutdown().await;
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(30), client.read_to_end(&mut out)).await;
        assert!(read.is_ok(), "the connection did not end");
        assert!(
            out.is_empty() || out.starts_with(b"HTTP/1.1 ") || out.starts_with(b"HTTP/1.0 "),
            "{:?}",
            String::from_utf8_lossy(&out)
        );
        let _ = task.await;
    });
});
