//! Throttling is retried with backoff: a local endpoint answers `Throttling` twice, then
//! succeeds; the collector's identity call gets through on the third attempt. With one
//! attempt allowed, the same throttling is reported, not hidden.
//! Error shape: https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vaultward_aws::{sdk_config, Options, Regions};

const THROTTLED: &str = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>"#;
const OK: &str = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/c</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#;

/// Serves `throttles` Throttling errors, then successes; counts requests.
async fn server(throttles: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                // Read one request (headers and the small form body), answer, close.
                let mut buf = vec![0u8; 16384];
                let mut got = 0;
                loop {
                    let n = sock.read(&mut buf[got..]).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    got += n;
                    let text = String::from_utf8_lossy(&buf[..got]);
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if got >= end + 4 + len {
                            break;
                        }
                    }
                }
                let n = seen.fetch_add(1, Ordering::SeqCst);
                let (status, body) = if n < throttles {
                    ("400 Bad Request", THROTTLED)
                } else {
                    ("200 OK", OK)
                };
                let resp = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

fn options(endpoint: String, attempts: u32) -> Options {
    Options {
        endpoint_url: Some(endpoint),
        regions: Regions::Listed(vec!["us-east-1".into()]),
        credentials: Some(SharedCredentialsProvider::new(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))),
        max_attempts: attempts,
        initial_backoff: Duration::from_millis(10),
        ..Options::default()
    }
}

#[tokio::test]
async fn throttling_is_retried_with_backoff() {
    let (endpoint, count) = server(2).await;
    let conf = sdk_config(&options(endpoint, 5), Some("us-east-1")).await;
    let who = aws_sdk_sts::Client::new(&conf)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(who.account(), Some("123456789012"));
    assert_eq!(
        count.load(Ordering::SeqCst),
        3,
        "two throttled attempts, then one that passed"
    );
}

#[tokio::test]
async fn throttling_beyond_the_attempts_is_reported() {
    let (endpoint, count) = server(100).await;
    let err = vaultward_aws::collect(&options(endpoint, 2))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Throttling"), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}
