//! Verifying AWS Signature Version 4 on incoming requests, as AWS services do
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
//! Only the `Authorization` header form is accepted; presigned URLs are not.

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
    pub body: &'a [u8],
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
    let payload = req
        .headers
        .iter()
        .find(|(n, _)| n == "x-amz-content-sha256")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| hex::encode(Sha256::digest(req.body)));
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
pub fn parse_amz_date(s: &str) -> Option<i64> {
    if s.len() != 16 || &s[8..9] != "T" || !s.ends_with('Z') {
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

/// Verifies the request with the secret of the key it names; `now` in epoch seconds.
pub fn verify(
    req: &SignedRequest,
    auth: &Authorization,
    secret: &str,
    now: i64,
) -> Result<(), SigError> {
    let amz_date = req
        .headers
        .iter()
        .find(|(n, _)| n == "x-amz-date")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| SigError::Malformed("X-Amz-Date is required".into()))?;
    let t = parse_amz_date(amz_date).ok_or_else(|| {
        SigError::Malformed(format!("X-Amz-Date `{amz_date}` is not YYYYMMDDTHHMMSSZ"))
    })?;
    if (now - t).abs() > MAX_SKEW_SECONDS {
        return Err(SigError::Expired);
    }
    if !amz_date.starts_with(&auth.date) {
        return Err(SigError::Malformed(
            "the credential scope's date is not the date of X-Amz-Date".into(),
        ));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(SigError::Malformed("the host header must be signed".into()));
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
    format!("{}T{}Z", &t[..8], &t[8..])
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
        date: date[..8].to_string(),
        region: region.to_string(),
        service: "backup".into(),
        signed_headers: vec!["host".into(), "x-amz-date".into()],
        signature: String::new(),
    };
    let req = SignedRequest {
        method,
        raw_path,
        raw_query,
        headers: &headers,
        body,
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
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// AWS's published example, "GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08"
    /// signed with the documentation's example key (Signature Version 4 examples, AWS General
    /// Reference: "Create a signed AWS API request", example values).
    #[test]
    fn the_documented_example_verifies() {
        let headers = vec![
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
            ("host".to_string(), "iam.amazonaws.com".to_string()),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
        ];
        let req = SignedRequest {
            method: "GET",
            raw_path: "/",
            raw_query: "Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            body: b"",
        };
        let auth = parse_authorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7").unwrap();
        let now = parse_amz_date("20150830T123600Z").unwrap();
        verify(&req, &auth, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now).unwrap();
        assert_eq!(
            verify(&req, &auth, "wrong-secret", now),
            Err(SigError::Mismatch)
        );
        assert_eq!(
            verify(
                &req,
                &auth,
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                now + 3600
            ),
            Err(SigError::Expired)
        );
        let tampered = SignedRequest {
            raw_query: "Action=DeleteUser&Version=2010-05-08",
            ..req
        };
        assert_eq!(
            verify(
                &tampered,
                &auth,
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                now
            ),
            Err(SigError::Mismatch)
        );
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
            body: b"",
        };
        verify(&req, &auth, "sk", 1_800_000_000).unwrap();
        assert_eq!(amz_date(1_800_000_000.0), "20270115T080000Z");
    }

    #[test]
    fn dates_parse() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(parse_amz_date("2015-08-30"), None);
    }
}
