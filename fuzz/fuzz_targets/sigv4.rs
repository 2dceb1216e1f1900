//! SigV4 verification on arbitrary headers: never a panic, and nothing verifies without
//! the secret (the signature over arbitrary input never matches by accident).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaultward_server::sigv4::{parse_authorization, payload_hash, precheck, verify, Scope, SignedRequest};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let auth_line = lines.next().unwrap_or_default();
    let target = lines.next().unwrap_or_default();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.to_string()))
        .collect();
    let Ok(auth) = parse_authorization(auth_line) else {
        return;
    };
    let scope = Scope {
        region: "us-east-1",
        services: &["backup", "sts"],
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if let Ok(date) = precheck(&headers, &auth, &scope, 1_800_000_000) {
        let hash = payload_hash(data);
        let req = SignedRequest {
            method: "PUT",
            raw_path: path,
            raw_query: query,
            headers: &headers,
            payload_hash: &hash,
        };
        assert!(verify(&req, &auth, "fuzz-secret", date).is_err());
    }
});
