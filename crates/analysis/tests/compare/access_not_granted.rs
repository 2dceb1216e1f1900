//! `access_not_granted`: whom a policy grants an action, measured against what the request
//! has without it, and every witness one the engine confirms.
//!
//! Pinned: IAM User Guide, "Policy evaluation logic"
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
//! within one account a principal's identity policy alone allows the request, across
//! accounts the resource policy must allow it too; "AWS global condition context keys",
//! `aws:ResourceAccount` ("the resource owner's AWS account ID", derived from the request's
//! resource) and `aws:PrincipalAccount`
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount).

use serde_json::{json, Value};
use vaultward_analysis::{access_not_granted, CompareError, Options, Outcome};
use vaultward_iam::{authorize, parse_case, Context, ContextValue, Decision, PolicyKind, Request};

use super::{doc, random_condition, random_context, resource_side_set_of, witness, Rng, CALLERS};

pub(super) const OWN: &str = "111122223333";
pub(super) const PARTNER: &str = "444455556666";
const ORG: &str = "o-a1b2c3d4e5";

/// The vault policy of the report: copies in from the organization, deletes by a partner
/// account, each held to the vault's own account by `aws:ResourceAccount`.
fn org_and_partner() -> String {
    doc(json!([
        {"Sid": "OrgCopiesIn", "Effect": "Allow", "Principal": "*", "Action": "backup:CopyIntoBackupVault", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG, "aws:ResourceAccount": OWN}}},
        {"Sid": "PartnerDeletes", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{PARTNER}:root")}, "Action": "backup:DeleteRecoveryPoint", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceAccount": OWN}}}
    ]))
}

/// What exposure asks: who outside account `OWN` does this policy of account `OWN` grant.
pub(super) fn outside(kind: PolicyKind, resource_account: Option<&str>) -> Options {
    let mut o = Options::new(kind);
    o.exclude_principals = vec![
        format!("arn:aws:iam::{OWN}:*"),
        format!("arn:aws:sts::{OWN}:*"),
    ];
    o.resource_account = resource_account.map(str::to_string);
    o
}

fn ask(policy: &str, action: &str, opts: &Options) -> Outcome {
    match access_not_granted(policy, &[action.to_string()], opts) {
        Ok(o) => o,
        Err(e) => panic!("{action}: {e}\n{policy}"),
    }
}

/// The account of a witness's principal (`arn:aws:iam::ACCOUNT:...`).
pub(super) fn principal_account(w: &Value) -> String {
    let p = w["request"]["principal"].as_str().unwrap();
    p.split(':').nth(4).unwrap_or_default().to_string()
}

/// The engine, asked again here: the witness is allowed with the policy, and not with an
/// empty policy in its place (what the principal's identity policies alone allow).
pub(super) fn engine_confirms(w: &Value) {
    let decide = |c: &Value| {
        let case = parse_case(&c.to_string()).unwrap();
        authorize(&case.request, &case.policies).decision
    };
    assert_eq!(decide(w), Decision::Allow, "{w}");
    let mut without = w.clone();
    without["resource_policy"]["document"] = json!({"Version": "2012-10-17", "Statement": []});
    assert_ne!(decide(&without), Decision::Allow, "{w}");
}

/// The report's case: a principal of the vault's own account, allowed by its identity
/// policy alone, was the solver's answer and the engine's Allow without the policy too;
/// `aws:ResourceAccount` is the request's resource account, never free.
#[test]
fn regression_vault_policy_of_one_account_grants_its_organization_and_partner() {
    for kind in [PolicyKind::Vault, PolicyKind::Resource] {
        // As the report ran it: no exclusion, no resource account. The answer is a
        // principal of another account asking for the vault of account `OWN`.
        let o = ask(
            &org_and_partner(),
            "backup:CopyIntoBackupVault",
            &Options::new(kind),
        );
        let w = witness(&o);
        engine_confirms(w);
        assert_eq!(w["request"]["resource_account"], OWN, "{w}");
        assert_ne!(principal_account(w), OWN, "{w}");
        for ra in [None, Some(OWN)] {
            let opts = outside(kind, ra);
            let o = ask(&org_and_partner(), "backup:CopyIntoBackupVault", &opts);
            let w = witness(&o);
            engine_confirms(w);
            assert_ne!(principal_account(w), OWN, "{w}");
            assert_eq!(w["request"]["resource_account"], OWN, "{w}");
            assert_eq!(w["request"]["context"]["aws:PrincipalOrgID"], ORG, "{w}");
            // Derived by the engine from the resource account, not carried by the witness.
            assert!(
                w["request"]["context"].get("aws:ResourceAccount").is_none(),
                "{w}"
            );
            let o = ask(&org_and_partner(), "backup:DeleteRecoveryPoint", &opts);
            let w = witness(&o);
            engine_confirms(w);
            assert_eq!(principal_account(w), PARTNER, "{w}");
            assert_eq!(
                ask(&org_and_partner(), "backup:StartRestoreJob", &opts),
                Outcome::NoNewAccess
            );
        }
        // The same policy on a vault of another account grants nothing: its conditions
        // name account `OWN`, and the other account's own principals are allowed by
        // their identity policies, not by it.
        let mut elsewhere = Options::new(kind);
        elsewhere.resource_account = Some(PARTNER.into());
        for action in ["backup:CopyIntoBackupVault", "backup:DeleteRecoveryPoint"] {
            assert_eq!(
                ask(&org_and_partner(), action, &elsewhere),
                Outcome::NoNewAccess,
                "{action}"
            );
        }
    }
}

/// `aws:ResourceAccount` on an Allow to everyone: the policy grants other accounts only
/// when it names the resource's own account.
#[test]
fn resource_account_on_an_allow_to_everyone() {
    let st = |account: &str, op: &str| {
        doc(
            json!([{"Effect": "Allow", "Principal": "*", "Action": "backup:CopyIntoBackupVault", "Resource": "*",
                     "Condition": {op: {"aws:ResourceAccount": account}}}]),
        )
    };
    let copy = "backup:CopyIntoBackupVault";
    for kind in [PolicyKind::Vault, PolicyKind::Resource] {
        let o = ask(&st(OWN, "StringEquals"), copy, &outside(kind, Some(OWN)));
        let w = witness(&o);
        engine_confirms(w);
        assert_ne!(principal_account(w), OWN, "{w}");
        assert_eq!(
            ask(
                &st(PARTNER, "StringEquals"),
                copy,
                &outside(kind, Some(OWN))
            ),
            Outcome::NoNewAccess
        );
        // Not the resource's account: everyone but its own account's principals, who
        // were allowed anyway.
        assert_eq!(
            ask(&st(OWN, "StringNotEquals"), copy, &outside(kind, Some(OWN))),
            Outcome::NoNewAccess
        );
        let o = ask(
            &st(PARTNER, "StringNotEquals"),
            copy,
            &outside(kind, Some(OWN)),
        );
        engine_confirms(witness(&o));
        // Without a resource account the solver picks one the condition names.
        let o = ask(&st(PARTNER, "StringEquals"), copy, &Options::new(kind));
        let w = witness(&o);
        engine_confirms(w);
        assert_eq!(w["request"]["resource_account"], PARTNER, "{w}");
    }
}

/// A policy that names only its own account grants no one outside it, and nothing its
/// own principals did not have through their identity policies.
#[test]
fn a_policy_naming_its_own_account_grants_nothing_new() {
    let p = doc(json!([
        {"Effect": "Allow", "Principal": {"AWS": OWN}, "Action": "backup:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "backup:DeleteRecoveryPoint", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": OWN}}}
    ]));
    for kind in [PolicyKind::Vault, PolicyKind::Resource] {
        let mut own_vault = Options::new(kind);
        own_vault.resource_account = Some(OWN.into());
        for opts in [outside(kind, Some(OWN)), own_vault] {
            for action in ["backup:CopyIntoBackupVault", "backup:DeleteRecoveryPoint"] {
                assert_eq!(ask(&p, action, &opts), Outcome::NoNewAccess, "{action}");
            }
        }
    }
    // Naming the partner by `aws:PrincipalAccount`: its principals are the witness.
    let p = doc(
        json!([{"Effect": "Allow", "Principal": "*", "Action": "backup:DeleteRecoveryPoint", "Resource": "*",
                         "Condition": {"StringEquals": {"aws:PrincipalAccount": PARTNER}}}]),
    );
    let o = ask(
        &p,
        "backup:DeleteRecoveryPoint",
        &outside(PolicyKind::Vault, Some(OWN)),
    );
    let w = witness(&o);
    engine_confirms(w);
    assert_eq!(principal_account(w), PARTNER, "{w}");
}

/// An SCP beside `FullAWSAccess` and an RCP beside `RCPFullAWSAccess` grant what they let
/// through; the engine agrees with each witness (AWS Organizations User Guide, "SCP
/// evaluation" and "Resource control policies",
/// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html:
/// RCPs apply to the services that support them).
#[test]
fn organization_policies_grant_what_they_let_through() {
    let scp = doc(json!([{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]));
    let o = ask(&scp, "s3:GetObject", &Options::new(PolicyKind::Scp));
    assert_eq!(witness(&o)["request"]["action"], "s3:getobject");
    assert_eq!(
        ask(&scp, "s3:DeleteBucket", &Options::new(PolicyKind::Scp)),
        Outcome::NoNewAccess
    );
    let rcp = doc(json!([{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]));
    assert_eq!(
        ask(&rcp, "s3:GetObject", &Options::new(PolicyKind::Rcp)),
        Outcome::NoNewAccess
    );
    let o = ask(&rcp, "ec2:RunInstances", &Options::new(PolicyKind::Rcp));
    assert_eq!(witness(&o)["request"]["action"], "ec2:runinstances");
}

#[test]
fn a_resource_account_that_is_not_an_account_id_is_refused() {
    let mut o = Options::new(PolicyKind::Vault);
    o.resource_account = Some("1111-2222-3333".into());
    let e = access_not_granted(
        &org_and_partner(),
        &["backup:CopyIntoBackupVault".into()],
        &o,
    );
    assert!(
        matches!(&e, Err(CompareError::BadInput(m)) if m.contains("1111-2222-3333")),
        "{e:?}"
    );
}

// ---- random vault policies against sampled requests ----

const ASKED: [&str; 2] = ["backup:CopyIntoBackupVault", "backup:DeleteRecoveryPoint"];

fn random_account_condition(r: &mut Rng) -> Value {
    let key = *r.pick(&[
        "aws:ResourceAccount",
        "aws:PrincipalAccount",
        "aws:PrincipalOrgID",
    ]);
    let value = if key == "aws:PrincipalOrgID" {
        ORG
    } else {
        *r.pick(&[OWN, PARTNER])
    };
    json!({*r.pick(&["StringEquals", "StringNotEquals", "StringLike"]): {key: value}})
}

fn random_vault_policy(r: &mut Rng) -> Value {
    let n = 1 + r.next() % 3;
    let mut sts = Vec::new();
    for _ in 0..n {
        let allow = r.chance(75);
        let text: &&str = r.pick(&super::PRINCIPALS);
        let principal: Value = serde_json::from_str(text).unwrap();
        let mut st = json!({
            "Effect": if allow { "Allow" } else { "Deny" },
            "Principal": principal,
            "Action": *r.pick(&["backup:CopyIntoBackupVault", "backup:DeleteRecoveryPoint", "backup:*", "*"]),
            "Resource": "*",
        });
        match r.next() % 4 {
            0 | 1 => st["Condition"] = random_account_condition(r),
            2 if r.chance(50) => st["Condition"] = random_condition(r),
            _ => {}
        }
        sts.push(st);
    }
    json!(sts)
}

/// Requests for `actions` from the callers and on vaults of `accounts`.
fn vault_requests(r: &mut Rng, n: usize, actions: &[&str], accounts: &[&str]) -> Vec<Request> {
    (0..n)
        .map(|_| {
            let (principal, role) = *r.pick(&CALLERS);
            let mut ctx: Context = random_context(r);
            if let Some(role) = role {
                ctx.insert("aws:PrincipalArn", ContextValue::Single(role.into()));
            }
            if r.chance(50) {
                let org = *r.pick(&[ORG, "o-other"]);
                ctx.insert("aws:PrincipalOrgID", ContextValue::Single(org.into()));
            }
            let account = *r.pick(accounts);
            let vault = format!("arn:aws:backup:us-east-1:{account}:backup-vault:v");
            let action = *r.pick(actions);
            Request::new(principal, action, &vault, Some(account), ctx).unwrap()
        })
        .collect()
}

/// Random vault and resource policies, with and without exposure's exclusion and a
/// resource account: no witness the engine does not confirm (an error here), each
/// witness re-checked, and "not granted" never contradicted by a sampled request that
/// the policy allows and an empty one does not.
#[test]
fn differential_on_access_not_granted() {
    let cases: u64 = std::env::var("VAULTWARD_COMPARE_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
        / 10;
    let mut r = Rng(0x6a09e667f3bcc908);
    let (mut none, mut granted, mut undecided) = (0, 0, 0);
    for i in 0..cases {
        let policy = random_vault_policy(&mut r);
        let kind = *r.pick(&[PolicyKind::Vault, PolicyKind::Resource]);
        let pinned = r.chance(60).then(|| *r.pick(&[OWN, PARTNER]));
        let mut opts = if r.chance(50) {
            outside(kind, None)
        } else {
            Options::new(kind)
        };
        opts.resource_account = pinned.map(str::to_string);
        let actions: Vec<&str> = match r.next() % 3 {
            0 => vec![ASKED[0]],
            1 => vec![ASKED[1]],
            _ => ASKED.to_vec(),
        };
        let asked: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
        match access_not_granted(&doc(policy.clone()), &asked, &opts) {
            Ok(Outcome::NoNewAccess) => {
                none += 1;
                let with = resource_side_set_of(&policy, kind);
                let without = resource_side_set_of(&json!([]), kind);
                let accounts = pinned.map_or(vec![OWN, PARTNER, "777788889999"], |a| vec![a]);
                for req in vault_requests(&mut r, 300, &actions, &accounts) {
                    // Exposure's exclusion leaves out the principals of account `OWN`.
                    if !opts.exclude_principals.is_empty() && req.principal.account() == Some(OWN) {
                        continue;
                    }
                    let by_policy = authorize(&req, &with).decision == Decision::Allow;
                    let anyway = authorize(&req, &without).decision == Decision::Allow;
                    assert!(!by_policy || anyway, "case {i}: not granted, but {req:?} is allowed by the policy only\n{policy}\n{opts:?}");
                }
            }
            Ok(Outcome::NewAccess(w)) => {
                granted += 1;
                engine_confirms(&w);
                let action = w["request"]["action"].as_str().unwrap();
                assert!(
                    actions.iter().any(|a| a.eq_ignore_ascii_case(action)),
                    "{w}"
                );
                if let Some(a) = pinned {
                    assert_eq!(w["request"]["resource_account"], a, "{w}");
                }
                if !opts.exclude_principals.is_empty() {
                    assert_ne!(principal_account(&w), OWN, "{w}");
                }
            }
            Ok(Outcome::Undecided(why)) => {
                undecided += 1;
                assert!(
                    why.contains("does not model exactly") || why.contains("could not decide"),
                    "{why}"
                );
            }
            Err(e) => panic!("case {i}: {e}\n{policy}\n{opts:?}"),
        }
    }
    eprintln!(
        "{cases} access-not-granted cases: {none} not granted, {granted} granted, {undecided} undecided"
    );
    assert!(
        none > cases / 10 && granted > cases / 10,
        "none {none}, granted {granted}, undecided {undecided}"
    );
}
