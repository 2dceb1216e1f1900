//! `kms:CallerAccount` and `aws:PrincipalAccount` are the request principal's account, not
//! free keys: a key policy held to its own account by either grants no one outside it.
//! `kms:ViaService` and `kms:GrantIsForAWSResource` are free request keys (a service
//! calling for the principal sets them), carried by the witness as the solver chose them.
//!
//! Pinned: AWS KMS Developer Guide, "AWS KMS condition keys"
//! (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account):
//! `kms:CallerAccount` is "the AWS account ID of the caller", in every AWS KMS request;
//! `kms:ViaService` (#conditions-kms-via-service) names the service that makes the request
//! on the principal's behalf; `kms:GrantIsForAWSResource`
//! (#conditions-kms-grant-is-for-aws-resource) is set by the integrated service. IAM User
//! Guide, "AWS global condition context keys", `aws:PrincipalAccount`
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount):
//! the account the requesting principal belongs to. Neither is in a service principal's
//! request (it has no account); compare's request model has no anonymous principal.

use serde_json::{json, Value};
use vaultward_analysis::{access_not_granted, compare, Options, Outcome};
use vaultward_iam::request_context::{complete, Facts, Route};
use vaultward_iam::{authorize, Context, Decision, PolicyKind, Request};

use super::access_not_granted::{engine_confirms, outside, principal_account, OWN, PARTNER};
use super::{doc, resource_side_set_of, witness, Rng, CALLERS};

const VIA_EC2: &str = "ec2.us-east-1.amazonaws.com";
const ASKED: [&str; 2] = ["kms:Decrypt", "kms:CreateGrant"];

/// AWS's managed-key style statement: everyone, as long as the caller is of `account` and
/// EC2 calls for it.
fn managed_key_style(key: &str, account: &str) -> String {
    doc(json!([{
        "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["kms:Decrypt", "kms:CreateGrant"], "Resource": "*",
        "Condition": {"StringEquals": {key: account, "kms:ViaService": VIA_EC2}}
    }]))
}

fn ask(policy: &str, actions: &[&str], opts: &Options) -> Outcome {
    let asked: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
    match access_not_granted(policy, &asked, opts) {
        Ok(o) => o,
        Err(e) => panic!("{actions:?}: {e}\n{policy}"),
    }
}

/// The witness's context as the engine reads it: the principal's account in
/// `kms:CallerAccount` (written out, as the engine's `authorize` takes it from the case),
/// `aws:PrincipalAccount` derived by the engine and never written.
fn caller_account_is_the_principals(w: &Value) {
    let context = &w["request"]["context"];
    assert_eq!(context["kms:CallerAccount"], principal_account(w), "{w}");
    assert!(context.get("aws:PrincipalAccount").is_none(), "{w}");
}

/// The report's case: with the caller's account held to the key's own account, the
/// statement grants no one outside it; with another account named, that account's
/// principals are the witness, asked through EC2.
#[test]
fn regression_managed_key_style_statement_grants_no_one_outside_the_callers_account() {
    let opts = outside(PolicyKind::Key, Some(OWN));
    for actions in [&ASKED[..1], &ASKED[1..], &ASKED[..]] {
        assert_eq!(
            ask(&managed_key_style("kms:CallerAccount", OWN), actions, &opts),
            Outcome::NoNewAccess,
            "{actions:?}"
        );
        let o = ask(
            &managed_key_style("kms:CallerAccount", PARTNER),
            actions,
            &opts,
        );
        let w = witness(&o);
        engine_confirms(w);
        assert_eq!(principal_account(w), PARTNER, "{w}");
        caller_account_is_the_principals(w);
        assert_eq!(w["request"]["context"]["kms:ViaService"], VIA_EC2, "{w}");
        assert_eq!(w["request"]["resource_account"], OWN, "{w}");
    }
}

/// `aws:PrincipalAccount` in its place, and both together: the same account each time.
#[test]
fn principal_account_and_caller_account_are_the_same_account() {
    let opts = outside(PolicyKind::Key, Some(OWN));
    assert_eq!(
        ask(
            &managed_key_style("aws:PrincipalAccount", OWN),
            &ASKED,
            &opts
        ),
        Outcome::NoNewAccess
    );
    let o = ask(
        &managed_key_style("aws:PrincipalAccount", PARTNER),
        &ASKED,
        &opts,
    );
    let w = witness(&o);
    engine_confirms(w);
    assert_eq!(principal_account(w), PARTNER, "{w}");
    assert!(
        w["request"]["context"]
            .get("aws:PrincipalAccount")
            .is_none(),
        "{w}"
    );
    let both = |caller: &str, principal: &str| {
        doc(json!([{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": caller, "aws:PrincipalAccount": principal}}
        }]))
    };
    // Two accounts at once: no principal is of both.
    for (caller, principal) in [(PARTNER, OWN), (OWN, PARTNER)] {
        assert_eq!(
            ask(&both(caller, principal), &ASKED[..1], &opts),
            Outcome::NoNewAccess,
            "{caller} {principal}"
        );
    }
    let o = ask(&both(PARTNER, PARTNER), &ASKED[..1], &opts);
    let w = witness(&o);
    engine_confirms(w);
    assert_eq!(principal_account(w), PARTNER, "{w}");
    caller_account_is_the_principals(w);
    // As `compare` sees them: on AWS KMS requests one key says what the other does.
    let one = |key: &str| {
        doc(json!([{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*",
            "Condition": {"StringEquals": {key: PARTNER}}
        }]))
    };
    let (caller, principal) = (one("kms:CallerAccount"), one("aws:PrincipalAccount"));
    let key = Options::new(PolicyKind::Key);
    assert_eq!(
        compare(&caller, &principal, &key).unwrap(),
        Outcome::NoNewAccess
    );
    assert_eq!(
        compare(&principal, &caller, &key).unwrap(),
        Outcome::NoNewAccess
    );
    assert_eq!(
        compare(&caller, &both(PARTNER, PARTNER), &key).unwrap(),
        Outcome::NoNewAccess
    );
}

/// Not the key's own account: everyone else with an account, each witness's caller
/// account its principal's.
#[test]
fn a_negated_caller_account_grants_the_other_accounts() {
    let policy = |op: &str| {
        doc(json!([{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {op: {"kms:CallerAccount": OWN}}
        }]))
    };
    let opts = outside(PolicyKind::Key, Some(OWN));
    let o = ask(&policy("StringNotEquals"), &ASKED[..1], &opts);
    let w = witness(&o);
    engine_confirms(w);
    assert_ne!(principal_account(w), OWN, "{w}");
    caller_account_is_the_principals(w);
    // Without the exclusion, the account's own principals are granted by `StringEquals`
    // (a key policy is needed in the key's own account too).
    let o = ask(
        &policy("StringEquals"),
        &ASKED[..1],
        &Options::new(PolicyKind::Key),
    );
    let w = witness(&o);
    engine_confirms(w);
    assert_eq!(principal_account(w), OWN, "{w}");
    caller_account_is_the_principals(w);
}

/// `kms:CallerAccount` is in AWS KMS requests only: elsewhere a condition on it is false.
#[test]
fn caller_account_is_absent_outside_aws_kms() {
    let policy = doc(json!([{
        "Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*",
        "Condition": {"StringLike": {"kms:CallerAccount": "*"}}
    }]));
    let opts = Options::new(PolicyKind::Identity);
    assert_eq!(ask(&policy, &["s3:GetObject"], &opts), Outcome::NoNewAccess);
    let o = ask(&policy, &["kms:Decrypt"], &opts);
    caller_account_is_the_principals(witness(&o));
}

/// `kms:GrantIsForAWSResource` and `kms:ViaService` are the request's, whatever the
/// principal: the witness carries the values the engine needs.
#[test]
fn grant_for_an_aws_resource_is_a_free_request_key() {
    let policy = |account: &str| {
        doc(json!([{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:CreateGrant", "Resource": "*",
            "Condition": {
                "StringEquals": {"kms:CallerAccount": account},
                "StringLike": {"kms:ViaService": "*.amazonaws.com"},
                "Bool": {"kms:GrantIsForAWSResource": "true"}
            }
        }]))
    };
    let opts = outside(PolicyKind::Key, Some(OWN));
    assert_eq!(
        ask(&policy(OWN), &["kms:CreateGrant"], &opts),
        Outcome::NoNewAccess
    );
    let o = ask(&policy(PARTNER), &["kms:CreateGrant"], &opts);
    let w = witness(&o);
    engine_confirms(w);
    caller_account_is_the_principals(w);
    let context = &w["request"]["context"];
    assert_eq!(context["kms:GrantIsForAWSResource"], "true", "{w}");
    let via = context["kms:ViaService"].as_str().unwrap();
    assert!(via.ends_with(".amazonaws.com"), "{w}");
}

// ---- random key policies against the requests AWS would send ----

fn random_key_policy(r: &mut Rng) -> Value {
    let n = 1 + r.next() % 2;
    let mut sts = Vec::new();
    for _ in 0..n {
        let mut condition = serde_json::Map::new();
        for _ in 0..1 + r.next() % 2 {
            let key = *r.pick(&["kms:CallerAccount", "aws:PrincipalAccount"]);
            let op = *r.pick(&["StringEquals", "StringNotEquals", "StringLike"]);
            let value = *r.pick(&[OWN, PARTNER, "4444*"]);
            let entry = condition.entry(op).or_insert_with(|| json!({}));
            entry[key] = json!(value);
        }
        if r.chance(50) {
            let entry = condition.entry("StringEquals").or_insert_with(|| json!({}));
            entry["kms:ViaService"] = json!(*r.pick(&[VIA_EC2, "s3.us-east-1.amazonaws.com"]));
        }
        sts.push(json!({
            "Effect": if r.chance(80) { "Allow" } else { "Deny" },
            "Principal": *r.pick(&[json!({"AWS": "*"}), json!({"AWS": PARTNER}), json!("*")]),
            "Action": *r.pick(&["kms:Decrypt", "kms:*", "*"]),
            "Resource": "*",
            "Condition": condition,
        }));
    }
    json!(sts)
}

/// Requests from the callers outside account `OWN` to decrypt with its key, directly or
/// through a service, their context completed as the engine's request-context model
/// says AWS sends it (`kms:CallerAccount` from the principal, `kms:ViaService` from the
/// route).
fn key_requests() -> Vec<Request> {
    let key = format!("arn:aws:kms:us-east-1:{OWN}:key/k");
    let facts = Facts {
        region: Some("us-east-1".into()),
        ..Facts::default()
    };
    let mut out = Vec::new();
    for (principal, role) in CALLERS {
        for route in [
            Route::Direct,
            Route::ViaService("ec2".into()),
            Route::ViaService("s3".into()),
        ] {
            let mut ctx = Context::default();
            if let Some(role) = role {
                ctx.insert(
                    "aws:PrincipalArn",
                    vaultward_iam::ContextValue::Single(role.into()),
                );
            }
            let mut req = Request::new(principal, "kms:Decrypt", &key, Some(OWN), ctx).unwrap();
            if req.principal.account() == Some(OWN) {
                continue;
            }
            complete(&mut req, &route, &facts);
            out.push(req);
        }
    }
    out
}

/// "Not granted outside the account" is never contradicted by a request AWS would send,
/// and every witness's caller account is its principal's.
#[test]
fn differential_on_key_policies_held_to_an_account() {
    let mut r = Rng(0x3c6ef372fe94f82b);
    let requests = key_requests();
    let opts = outside(PolicyKind::Key, Some(OWN));
    let (mut none, mut granted) = (0, 0);
    for i in 0..60 {
        let policy = random_key_policy(&mut r);
        match ask(&doc(policy.clone()), &ASKED[..1], &opts) {
            Outcome::NoNewAccess => {
                none += 1;
                let set = resource_side_set_of(&policy, PolicyKind::Key);
                for req in &requests {
                    assert_ne!(
                        authorize(req, &set).decision,
                        Decision::Allow,
                        "case {i}: not granted, but {req:?} is allowed\n{policy}"
                    );
                }
            }
            Outcome::NewAccess(w) => {
                granted += 1;
                engine_confirms(&w);
                assert_ne!(principal_account(&w), OWN, "{w}");
                if w["request"]["context"].get("kms:CallerAccount").is_some() {
                    caller_account_is_the_principals(&w);
                }
            }
            Outcome::Undecided(why) => panic!("case {i}: {why}\n{policy}"),
        }
    }
    eprintln!("60 key policies: {none} not granted, {granted} granted");
    assert!(none > 5 && granted > 5, "none {none}, granted {granted}");
}

/// `s3:ResourceAccount` is the resource's account ("the resource owner's AWS account
/// ID", https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html),
/// on S3 requests, not a free key: a bucket policy allowing everyone held to another
/// account by it grants nothing on a bucket of this account; held to this one, it does.
#[test]
fn s3_resource_account_is_the_resources_account() {
    let policy = |account: &str| {
        doc(json!([{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringEquals": {"s3:ResourceAccount": account}}
        }]))
    };
    let opts = outside(PolicyKind::Resource, Some(OWN));
    assert!(
        matches!(
            ask(&policy(PARTNER), &["s3:GetObject"], &opts),
            Outcome::NoNewAccess
        ),
        "held to another account"
    );
    match ask(&policy(OWN), &["s3:GetObject"], &opts) {
        Outcome::NewAccess(w) => {
            assert_eq!(w["request"]["context"]["s3:ResourceAccount"], OWN, "{w}");
            engine_confirms(&w);
        }
        other => panic!("held to its own account: {other:?}"),
    }
}
