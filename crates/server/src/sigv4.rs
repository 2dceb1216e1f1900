//! Verifying AWS Signature Version 4 on incoming requests, as AWS services do
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
//! Only the `Authorization` header form is accepted; presigned URLs are not.
//!
//! Verification is in two steps. [`precheck`] reads only the headers: one well-formed
//! `Authorization`, a fresh `X-Amz-Date` of the scope's date, a scope naming this service's
//! region and service, every signed header present, `host` and `x-amz-date` signed, and
//! `x-amz-content-sha256` and `x-amz-security-token` signed when sent. The body is read only
//! after it passes. [`verify`] then checks the signature over the body's SHA-256 as the
//! server computed it (never a hash the client claims; a claimed `x-amz-content-sha256`
//! must equal it, and `UNSIGNED-PAYLOAD`, which AWS allows only for S3, is refused).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// How far a request's `X-Amz-Date` may be from the server's clock (AWS allows 15 minutes).
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// The parts of a request the signature covers.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as received (still percent-encoded).
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    /// Header names lower-case.
    pub headers: &'a [(String, String)],
    /// The SHA-256 of the body as received, lower-case hex ([`payload_hash`]).
    pub payload_hash: &'a str,
}

/// The SHA-256 of a body, lower-case hex, as the canonical request carries it.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The `Authorization` header, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Why a request is refused, in AWS's error codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    /// No `Authorization` header (`MissingAuthenticationTokenException`).
    Missing,
    /// A malformed header (`IncompleteSignatureException`).
    Malformed(String),
    /// The signature does not match (`InvalidSignatureException`).
    Mismatch,
    /// `X-Amz-Date` too far from now (`InvalidSignatureException`, "Signature expired").
    Expired,
}

pub fn parse_authorization(value: &str) -> Result<Authorization, SigError> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| SigError::Malformed("only AWS4-HMAC-SHA256 is supported".into()))?;
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            cred = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            sig = Some(v);
        }
    }
    let (Some(cred), Some(signed), Some(sig)) = (cred, signed, sig) else {
        return Err(SigError::Malformed(
            "Authorization header requires Credential, SignedHeaders and Signature".into(),
        ));
    };
    let parts: Vec<&str> = cred.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = parts[..] else {
        return Err(SigError::Malformed(format!(
            "Credential should be KEY/DATE/REGION/SERVICE/aws4_request, not `{cred}`"
        )));
    };
    Ok(Authorization {
        access_key: access_key.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers: signed.split(';').map(str::to_string).collect(),
        signature: sig.to_string(),
    })
}

/// Percent-encodes as SigV4 does: everything but unreserved characters, uppercase hex;
/// `/` kept when `keep_slash`.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A query-string or form component, decoded (`+` is a space).
pub fn form_decode(x: &str) -> String {
    percent_encoding::percent_decode_str(&x.replace('+', " "))
        .decode_utf8_lossy()
        .to_string()
}

fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&form_decode(k), false),
                uri_encode(&form_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn trim_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length.
    let mut m = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return Vec::new(),
    };
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The string the client signed.
pub fn string_to_sign(req: &SignedRequest, auth: &Authorization, amz_date: &str) -> String {
    // Services other than S3 sign the path encoded once more (the path as sent is already
    // encoded).
    let path = if req.raw_path.is_empty() {
        "/".to_string()
    } else {
        uri_encode(req.raw_path, true)
    };
    let mut canonical_headers = String::new();
    for name in &auth.signed_headers {
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| trim_value(v))
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = req.payload_hash;
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        path,
        canonical_query(req.raw_query),
        canonical_headers,
        auth.signed_headers.join(";"),
        payload
    );
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}/{}/{}/aws4_request\n{}",
        auth.date,
        auth.region,
        auth.service,
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

/// The signature for `string_to_sign` with `secret`.
pub fn sign(secret: &str, auth: &Authorization, string_to_sign: &str) -> String {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), auth.date.as_bytes());
    let k_region = hmac(&k_date, auth.region.as_bytes());
    let k_service = hmac(&k_region, auth.service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex::encode(hmac(&k_signing, string_to_sign.as_bytes()))
}

/// `YYYYMMDDTHHMMSSZ` as seconds since the epoch.
#[expect(
    clippy::arithmetic_side_effects,
    reason = "every term comes from at most four decimal digits, checked to be in range"
)]
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    if !b
        .iter()
        .enumerate()
        .all(|(i, c)| i == 8 || i == 15 || c.is_ascii_digit())
    {
        return None;
    }
    let n = |a: usize, b: usize| s.get(a..b)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        n(0, 4)?,
        n(4, 6)?,
        n(6, 8)?,
        n(9, 11)?,
        n(11, 13)?,
        n(13, 15)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + mi * 60 + se)
}

/// What a request must be scoped to: this service's region and the services it serves.
pub struct Scope<'a> {
    pub region: &'a str,
    pub services: &'a [&'a str],
}

fn one<'h>(headers: &'h [(String, String)], name: &str) -> Result<Option<&'h str>, SigError> {
    let mut found = headers.iter().filter(|(n, _)| n == name);
    let first = found.next().map(|(_, v)| v.as_str());
    if found.next().is_some() {
        return Err(SigError::Malformed(format!(
            "the {name} header may be sent only once"
        )));
    }
    Ok(first)
}

/// Checks everything that does not need the body; returns the request's `X-Amz-Date`.
/// `now` in epoch seconds.
pub fn precheck<'h>(
    headers: &'h [(String, String)],
    auth: &Authorization,
    scope: &Scope<'_>,
    now: i64,
) -> Result<&'h str, SigError> {
    let amz_date = one(headers, "x-amz-date")?
        .ok_or_else(|| SigError::Malformed("X-Amz-Date is required".into()))?;
    let t = parse_amz_date(amz_date).ok_or_else(|| {
        SigError::Malformed(format!("X-Amz-Date `{amz_date}` is not YYYYMMDDTHHMMSSZ"))
    })?;
    if now.saturating_sub(t).saturating_abs() > MAX_SKEW_SECONDS {
        return Err(SigError::Expired);
    }
    if amz_date.get(..8) != Some(auth.date.as_str()) {
        return Err(SigError::Malformed(
            "the credential scope's date is not the date of X-Amz-Date".into(),
        ));
    }
    if auth.region != scope.region {
        return Err(SigError::Malformed(format!(
            "Credential should be scoped to a valid region, not '{}'; this service is in '{}'",
            auth.region, scope.region
        )));
    }
    if !scope.services.contains(&auth.service.as_str()) {
        return Err(SigError::Malformed(format!(
            "Credential should be scoped to correct service: '{}', not '{}'",
            scope.services.join("' or '"),
            auth.service
        )));
    }
    let signed = &auth.signed_headers;
    if signed.windows(2).any(|w| w.first() >= w.get(1))
        || signed
            .iter()
            .any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase()))
    {
        return Err(SigError::Malformed(
            "SignedHeaders must be lower-case, sorted and without repeats".into(),
        ));
    }
    for required in ["host", "x-amz-date"] {
        if !signed.iter().any(|h| h == required) {
            return Err(SigError::Malformed(format!(
                "the {required} header must be signed"
            )));
        }
    }
    for h in signed {
        if !headers.iter().any(|(n, _)| n == h) {
            return Err(SigError::Malformed(format!(
                "the signed header {h} is not in the request"
            )));
        }
    }
    for must_sign in ["x-amz-content-sha256", "x-amz-security-token"] {
        if one(headers, must_sign)?.is_some() && !signed.iter().any(|h| h == must_sign) {
            return Err(SigError::Malformed(format!(
                "the {must_sign} header is sent, so it must be signed"
            )));
        }
    }
    if let Some(claimed) = one(headers, "x-amz-content-sha256")? {
        if claimed.len() != 64 || !claimed.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SigError::Malformed(format!(
                "x-amz-content-sha256 must be the body's SHA-256 in hex, not `{claimed}` (UNSIGNED-PAYLOAD is for Amazon S3 only)"
            )));
        }
    }
    Ok(amz_date)
}

/// Verifies the signature of a request that passed [`precheck`], over the body's hash as
/// the server computed it.
pub fn verify(
    req: &SignedRequest,
    auth: &Authorization,
    secret: &str,
    amz_date: &str,
) -> Result<(), SigError> {
    if let Some(claimed) = one(req.headers, "x-amz-content-sha256")? {
        if !claimed.eq_ignore_ascii_case(req.payload_hash) {
            return Err(SigError::Mismatch);
        }
    }
    let sts = string_to_sign(req, auth, amz_date);
    let expected = sign(secret, auth, &sts);
    // Constant-time comparison of the hex signatures.
    let (a, b) = (expected.as_bytes(), auth.signature.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= usize::from(x ^ y);
    }
    if diff == 0 {
        Ok(())
    } else {
        Err(SigError::Mismatch)
    }
}

/// `YYYYMMDDTHHMMSSZ` for epoch seconds.
pub fn amz_date(epoch: f64) -> String {
    let t = crate::arns::compact_time(epoch);
    format!(
        "{}T{}Z",
        t.get(..8).unwrap_or_default(),
        t.get(8..).unwrap_or_default()
    )
}

/// The headers that sign a request to this service (`host`, `x-amz-date`,
/// `authorization`), for clients written in Rust: the load generator and tests.
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    method: &str,
    host: &str,
    raw_path: &str,
    raw_query: &str,
    body: &[u8],
    access_key: &str,
    secret: &str,
    region: &str,
    epoch: f64,
) -> Vec<(String, String)> {
    let date = amz_date(epoch);
    let headers = vec![
        ("host".to_string(), host.to_string()),
        ("x-amz-date".to_string(), date.clone()),
    ];
    let mut auth = Authorization {
        access_key: access_key.to_string(),
        date: date.get(..8).unwrap_or_default().to_string(),
        region: region.to_string(),
        service: "backup".into(),
        signed_headers: vec!["host".into(), "x-amz-date".into()],
        signature: String::new(),
    };
    let hash = payload_hash(body);
    let req = SignedRequest {
        method,
        raw_path,
        raw_query,
        headers: &headers,
        payload_hash: &hash,
    };
    auth.signature = sign(secret, &auth, &string_to_sign(&req, &auth, &date));
    let mut out = headers;
    out.push((
        "authorization".into(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{}/{}/backup/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
            auth.access_key, auth.date, auth.region, auth.signature
        ),
    ));
    out
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const SUITE_DATE: &str = "20150830T123600Z";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut h = vec![
            ("host".to_string(), "example.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), SUITE_DATE.to_string()),
        ];
        h.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        h
    }

    fn auth(signed: &str, service: &str, signature: &str) -> Authorization {
        parse_authorization(&format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/{service}/aws4_request, SignedHeaders={signed}, Signature={signature}")).unwrap()
    }

    const SCOPE: Scope<'static> = Scope {
        region: "us-east-1",
        services: &["service"],
    };

    /// Vectors of AWS's published SigV4 test suite (aws-sig-v4-test-suite: get-vanilla,
    /// post-vanilla, get-vanilla-query-order-key-case, post-header-value-case; region
    /// us-east-1, service `service`, the documentation's example key, 2015-08-30T12:36:00Z).
    /// The request data and expected signatures are the suite's; the code is ours.
    #[test]
    fn the_published_test_vectors_verify() {
        let now = parse_amz_date(SUITE_DATE).unwrap();
        let cases = [
            (
                "GET",
                "",
                vec![],
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "POST",
                "",
                vec![],
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
            (
                "GET",
                "Param2=value2&Param1=value1",
                vec![],
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            ),
            (
                "POST",
                "",
                vec![("my-header1", "VALUE1")],
                "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
            ),
        ];
        for (method, query, extra, expected) in cases {
            let h = headers(&extra);
            let mut names: Vec<&str> = h.iter().map(|(n, _)| n.as_str()).collect();
            names.sort_unstable();
            let a = auth(&names.join(";"), "service", expected);
            let req = SignedRequest {
                method,
                raw_path: "/",
                raw_query: query,
                headers: &h,
                payload_hash: EMPTY,
            };
            assert_eq!(
                sign(SECRET, &a, &string_to_sign(&req, &a, SUITE_DATE)),
                expected,
                "{method} {query} {extra:?}"
            );
            let date = precheck(&h, &a, &SCOPE, now).unwrap();
            verify(&req, &a, SECRET, date).unwrap();
            assert_eq!(
                verify(&req, &a, "wrong-secret", date),
                Err(SigError::Mismatch)
            );
            // Another body under the same signature does not verify.
            let other = payload_hash(b"{\"Policy\": \"attacker\"}");
            assert_eq!(
                verify(
                    &SignedRequest {
                        payload_hash: &other,
                        ..req
                    },
                    &a,
                    SECRET,
                    date
                ),
                Err(SigError::Mismatch)
            );
        }
        let a = auth("host;x-amz-date", "service", "x");
        assert_eq!(
            precheck(&headers(&[]), &a, &SCOPE, now + 3600),
            Err(SigError::Expired)
        );
    }

    /// The attack of issue 13: a captured signed request replayed with another body and the
    /// original hash in an unsigned `x-amz-content-sha256`; and the same header signed but
    /// not matching the body, or `UNSIGNED-PAYLOAD`.
    #[test]
    fn a_claimed_payload_hash_never_replaces_the_bodys() {
        let now = parse_amz_date(SUITE_DATE).unwrap();
        let body_a = payload_hash(b"{\"Policy\": \"mine\"}");
        let body_b = payload_hash(b"{\"Policy\": \"attacker\"}");
        // Unsigned hash header: refused before the body is read.
        let h = headers(&[("x-amz-content-sha256", &body_a)]);
        let a = auth("host;x-amz-date", "service", "x");
        assert!(matches!(
            precheck(&h, &a, &SCOPE, now),
            Err(SigError::Malformed(_))
        ));
        // Signed, but the body is another: the signature (over the claim) may match, the body does not.
        let h = {
            let mut h = headers(&[("x-amz-content-sha256", &body_a)]);
            h.sort();
            h
        };
        let mut a = auth("host;x-amz-content-sha256;x-amz-date", "service", "");
        let signed_over_a = SignedRequest {
            method: "PUT",
            raw_path: "/",
            raw_query: "",
            headers: &h,
            payload_hash: &body_a,
        };
        a.signature = sign(SECRET, &a, &string_to_sign(&signed_over_a, &a, SUITE_DATE));
        let date = precheck(&h, &a, &SCOPE, now).unwrap();
        verify(&signed_over_a, &a, SECRET, date).unwrap();
        let swapped = SignedRequest {
            payload_hash: &body_b,
            ..signed_over_a
        };
        assert_eq!(verify(&swapped, &a, SECRET, date), Err(SigError::Mismatch));
        // UNSIGNED-PAYLOAD is for S3 only.
        let h = headers(&[("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]);
        let a = auth("host;x-amz-content-sha256;x-amz-date", "service", "x");
        assert!(
            matches!(precheck(&h, &a, &SCOPE, now), Err(SigError::Malformed(m)) if m.contains("UNSIGNED-PAYLOAD"))
        );
    }

    #[test]
    fn the_scope_and_the_signed_headers_are_checked() {
        let now = parse_amz_date(SUITE_DATE).unwrap();
        let h = headers(&[]);
        let malformed = |a: &Authorization, h: &[(String, String)]| {
            matches!(precheck(h, a, &SCOPE, now), Err(SigError::Malformed(_)))
        };
        // Another service or region.
        assert!(malformed(&auth("host;x-amz-date", "execute-api", "x"), &h));
        let mut eu = auth("host;x-amz-date", "service", "x");
        eu.region = "eu-west-1".into();
        assert!(malformed(&eu, &h));
        // A signed header that is not sent; host unsigned; unsorted.
        assert!(malformed(
            &auth("host;my-header;x-amz-date", "service", "x"),
            &h
        ));
        assert!(malformed(&auth("x-amz-date", "service", "x"), &h));
        assert!(malformed(&auth("x-amz-date;host", "service", "x"), &h));
        // Two dates; a security token that is not signed.
        let mut two = h.clone();
        two.push(("x-amz-date".into(), SUITE_DATE.into()));
        assert!(malformed(&auth("host;x-amz-date", "service", "x"), &two));
        let tok = headers(&[("x-amz-security-token", "t")]);
        assert!(malformed(&auth("host;x-amz-date", "service", "x"), &tok));
        assert!(precheck(&h, &auth("host;x-amz-date", "service", "x"), &SCOPE, now).is_ok());
    }

    #[test]
    fn signed_requests_verify() {
        let h = sign_request(
            "GET",
            "127.0.0.1:1",
            "/backup-vaults/v1",
            "",
            b"",
            "AK",
            "sk",
            "us-east-1",
            1_800_000_000.0,
        );
        let auth = parse_authorization(&h[2].1).unwrap();
        let req = SignedRequest {
            method: "GET",
            raw_path: "/backup-vaults/v1",
            raw_query: "",
            headers: &h,
            payload_hash: EMPTY,
        };
        let scope = Scope {
            region: "us-east-1",
            services: &["backup"],
        };
        let date = precheck(&h, &auth, &scope, 1_800_000_000).unwrap();
        verify(&req, &auth, "sk", date).unwrap();
        assert_eq!(amz_date(1_800_000_000.0), "20270115T080000Z");
    }

    /// Issue 13: a multi-byte character where the `T` goes panicked the parser.
    #[test]
    fn dates_parse_and_never_panic() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date("2015-08-30"), None);
        assert_eq!(parse_amz_date("20150830\u{e9}23600Z"), None);
        assert_eq!(parse_amz_date("2015083\u{e9}T23600Z"), None);
        assert_eq!(parse_amz_date("+0150830T123600Z"), None);
        for s in [
            "",
            "T",
            "\u{1F600}\u{1F600}\u{1F600}\u{1F600}",
            "99999999T999999Z",
        ] {
            let _ = parse_amz_date(s);
        }
    }
}
