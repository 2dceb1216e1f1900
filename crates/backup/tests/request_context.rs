//! The check's requests carry every key AWS sends (the request-context model): policies
//! as AWS publishes them give AWS's answer, and where the answer depends on a value the
//! snapshot does not hold, the check says `cannot-decide` and what would settle it,
//! never "absent" (issue 25).
//!
//! Sources: "AWS global condition context keys" (`aws:RequestedRegion`, `aws:SourceIp`:
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
//! the region-restriction SCP of "Example SCPs for general operations"
//! (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html);
//! S3's encryption context with and without an S3 Bucket Key
//! (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context);
//! `RCPFullAWSAccess` (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{json, Value};
use vaultward_backup::check::{Level, Report};
use vaultward_backup::{check, AssetType, CheckOptions, Op, Snapshot};
use vaultward_iam::request_context::Network;

const ROLE: &str = "arn:aws:iam::111122223333:role/vaultward/VaultwardBackupRole";
const KEY: &str = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

fn demo() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo-account.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The demo account's role with one bucket `b` in `region`, under `policy`.
fn account(region: Option<&str>, policy: Value, encryption: Value) -> Value {
    let mut v = demo();
    let mut b = json!({
        "name": "b", "policy": policy,
        "ownership": "BucketOwnerEnforced", "default_encryption": encryption,
        "objects": [{"key": "data/2024/a.bin", "size": 10, "owner_account": "111122223333"},
                    {"key": "logs/x.log", "size": 5, "owner_account": "111122223333"}],
    });
    if let Some(r) = region {
        b["region"] = json!(r);
    }
    v["buckets"] = json!([b]);
    // The demo's vault is in us-east-1; these scenarios are about the bucket.
    v["backup_vaults"] = json!([]);
    v
}

fn run(v: &Value, opts: CheckOptions) -> Report {
    let s = Snapshot::from_json("scenario", &v.to_string()).unwrap();
    check(&s, &opts).unwrap()
}

fn opts() -> CheckOptions {
    CheckOptions::new(
        ROLE,
        [AssetType::S3].into_iter().collect(),
        [Op::Backup].into_iter().collect(),
    )
}

fn codes(r: &Report) -> Vec<(&'static str, Level)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.code.as_str(), f.level))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn region_scp(v: &mut Value) {
    v["organization"]["scps"] = json!([[
        {"name": "FullAWSAccess", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}},
        {"name": "region-lock", "document": {"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyAllOutsideRequestedRegions", "Effect": "Deny",
            "NotAction": ["cloudfront:*", "iam:*", "route53:*", "support:*"], "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}}]}}
    ]]);
}

/// Situation 1 of the issue: AWS's region-restriction SCP blocked every bucket, even in an
/// allowed Region, because `aws:RequestedRegion` was taken as absent. It is the bucket's
/// Region: allowed there, denied elsewhere, undecided when the snapshot lacks it.
#[test]
fn the_region_restriction_scp_blocks_only_other_regions() {
    let none = json!(null);
    let sse = json!({"sse": "AES256"});
    let mut inside = account(Some("eu-west-1"), none.clone(), sse.clone());
    region_scp(&mut inside);
    let r = run(&inside, opts());
    assert!(
        r.findings.is_empty(),
        "{:?}",
        r.findings
            .iter()
            .map(|f| (&f.action, &f.resource, &f.reason))
            .collect::<Vec<_>>()
    );
    let mut outside = account(Some("us-east-1"), none.clone(), sse.clone());
    region_scp(&mut outside);
    let r = run(&outside, opts());
    assert!(
        codes(&r).contains(&("scp-denies", Level::Blocking)),
        "{:?}",
        codes(&r)
    );
    let mut unknown = account(None, none, sse);
    region_scp(&mut unknown);
    let r = run(&unknown, opts());
    assert_eq!(codes(&r), vec![("cannot-decide", Level::Unknown)]);
    let f = &r.findings[0];
    assert!(
        f.reason
            .contains("`aws:RequestedRegion` is `eu-west-1` or `eu-central-1`"),
        "{}",
        f.reason
    );
    assert!(f.reason.contains("region-lock"), "{}", f.reason);
}

fn office_only() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyOutsideOffice", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}]})
}

/// Situation 3: a bucket policy denying outside an office CIDR. The backup service's
/// address is in every request but not in the snapshot: cannot decide, naming the
/// statement and `--network`; with the egress CIDRs given, decided either way; and `fix`'s
/// exemption of the role removes the dependency.
#[test]
fn a_source_address_deny_depends_on_the_services_egress() {
    let v = account(Some("eu-west-1"), office_only(), json!({"sse": "AES256"}));
    let r = run(&v, opts());
    assert_eq!(codes(&r), vec![("cannot-decide", Level::Unknown)]);
    let f = r
        .findings
        .iter()
        .find(|f| f.action == "s3:GetObject")
        .unwrap();
    assert!(
        f.reason.contains("`aws:SourceIp` is in `192.0.2.0/24`"),
        "{}",
        f.reason
    );
    assert_eq!(f.statement.as_deref(), Some("DenyOutsideOffice"));
    assert!(f.fix.contains("--network"), "{}", f.fix);
    // The egress is outside the office: denied.
    let mut o = opts();
    o.facts.network = Network {
        egress: vec!["198.51.100.0/28".into()],
        ..Network::default()
    };
    let r = run(&v, o);
    assert!(
        codes(&r).contains(&("explicit-deny-bucket-policy", Level::Blocking)),
        "{:?}",
        codes(&r)
    );
    // Inside it: allowed.
    let mut o = opts();
    o.facts.network = Network {
        egress: vec!["192.0.2.16/28".into()],
        ..Network::default()
    };
    assert!(run(&v, o).findings.is_empty());
}

/// Situation 3, the key policy: a grant limited by `kms:EncryptionContext:aws:s3:arn` to
/// an object prefix. Without the bucket's S3 Bucket Key setting the context is the
/// object's ARN or the bucket's: objects inside the prefix depend on it, outside it they
/// are denied either way.
#[test]
fn an_encryption_context_grant_depends_on_the_bucket_key_setting() {
    let mut v = account(
        Some("eu-west-1"),
        json!(null),
        json!({"sse": "aws:kms", "kms_key_id": KEY}),
    );
    v["kms_keys"] = json!([{"arn": KEY, "manager": "CUSTOMER", "policy": {"Version": "2012-10-17", "Statement": [
        {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/FinanceAdmin"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "DecryptData", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/data/*"}}}]}}]);
    let r = run(&v, opts());
    let decrypt: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.action == "kms:Decrypt")
        .collect();
    assert!(
        decrypt.iter().any(|f| f.code.as_str() == "cannot-decide"
            && f.reason.contains("S3 Bucket Key")
            && f.impact.objects == 1),
        "{:?}",
        decrypt
            .iter()
            .map(|f| (f.code.as_str(), &f.reason, f.impact.objects))
            .collect::<Vec<_>>()
    );
    assert!(
        decrypt
            .iter()
            .any(|f| f.code.as_str() == "kms-key-policy-denies" && f.impact.objects == 1),
        "the object outside the prefix is denied whatever the setting"
    );
}

/// Situation 5: `RCPFullAWSAccess`, attached by AWS everywhere, is read as attached; the
/// organization checks as its customer RCPs say, not `unknown`.
#[test]
fn rcp_full_aws_access_is_read_as_attached() {
    let mut v = account(Some("eu-west-1"), json!(null), json!({"sse": "AES256"}));
    v["organization"]["rcps"] = json!([[
        {"name": "RCPFullAWSAccess", "id": "p-RCPFullAWSAccess", "document": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\",\"Resource\":\"*\"}]}"},
        {"name": "deny-plain-http", "document": {"Version": "2012-10-17", "Statement": [{"Sid": "HttpsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}]}}
    ]]);
    let r = run(&v, opts());
    assert!(r.findings.is_empty(), "{:?}", codes(&r));
}

/// A user fact settles what the snapshot lacks: `--context aws:SourceIp=...`.
#[test]
fn a_context_fact_settles_the_dependency() {
    let v = account(Some("eu-west-1"), office_only(), json!({"sse": "AES256"}));
    let mut o = opts();
    o.facts.context = vec![(
        "aws:SourceIp".into(),
        vaultward_iam::ContextValue::Single("192.0.2.7".into()),
    )];
    assert!(run(&v, o).findings.is_empty());
}

/// `fix` removes the dependency where one can be removed: the role is exempted in the
/// Deny that may apply (an `ArnNotLike` condition on `aws:PrincipalArn`), verified, and the
/// patched account then checks clean whatever the address. Where nothing can be patched
/// (an Allow that depends on an unknown), the manual entry names the fact to supply.
#[test]
fn fix_exempts_the_role_in_a_deny_that_depends_on_an_unknown() {
    use vaultward_backup::fix::fixes;
    let mut v = account(Some("eu-west-1"), office_only(), json!({"sse": "AES256"}));
    let s = Snapshot::from_json("scenario", &v.to_string()).unwrap();
    let r = fixes(&s, &opts()).unwrap();
    let patches: Vec<_> = r.patches().collect();
    assert_eq!(patches.len(), 1, "{:?}", r.manuals().collect::<Vec<_>>());
    assert!(
        patches[0].verification.verified(),
        "{:?}",
        patches[0].verification
    );
    assert!(
        patches[0].after.contains("ArnNotLike"),
        "{}",
        patches[0].after
    );
    v["buckets"][0]["policy"] = serde_json::from_str(&patches[0].after).unwrap();
    assert!(run(&v, opts()).findings.is_empty());

    // An Allow that depends on the address: no patch can remove that, the fact is needed.
    let mut w = account(Some("eu-west-1"), json!(null), json!({"sse": "AES256"}));
    let role = &mut w["iam"]["RoleDetailList"][0];
    role["AttachedManagedPolicies"] = json!([]);
    role["RolePolicyList"] = json!([{"PolicyName": "office", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*"], "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}]}}]);
    let s = Snapshot::from_json("scenario", &w.to_string()).unwrap();
    let r = fixes(&s, &opts()).unwrap();
    let manuals: Vec<_> = r.manuals().collect();
    assert!(
        manuals
            .iter()
            .any(|m| m.steps.iter().any(|st| st.contains("--network"))),
        "{manuals:?}"
    );
}

/// With the bucket's S3 Bucket Key setting collected, the encryption context is known and
/// the answer decided: without a Bucket Key the object's ARN (inside the prefix: allowed),
/// with one the bucket's ARN (outside it: denied).
#[test]
fn the_bucket_key_setting_decides_the_encryption_context() {
    let key_policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/FinanceAdmin"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "DecryptData", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::b/*"}}}]});
    for (enabled, blocked) in [(false, false), (true, true)] {
        let mut v = account(
            Some("eu-west-1"),
            json!(null),
            json!({"sse": "aws:kms", "kms_key_id": KEY, "bucket_key_enabled": enabled}),
        );
        v["kms_keys"] = json!([{"arn": KEY, "manager": "CUSTOMER", "policy": key_policy}]);
        let r = run(&v, opts());
        let decrypt: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.action == "kms:Decrypt")
            .map(|f| f.code.as_str())
            .collect();
        if blocked {
            assert_eq!(
                decrypt,
                vec!["kms-key-policy-denies"; decrypt.len().max(1)],
                "bucket key {enabled}"
            );
        } else {
            assert!(decrypt.is_empty(), "bucket key {enabled}: {decrypt:?}");
        }
    }
}
