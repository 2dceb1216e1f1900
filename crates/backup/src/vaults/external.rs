//! Principals outside the snapshot: any principal of another account, anonymous, a
//! service principal. Each is one symbolic question to `compare`'s machinery ("does the
//! vault or key policy grant these actions to anyone but this account's principals?"),
//! never a sample, and the services' refusals apply to what it finds: AWS Backup rejects
//! every cross-account call but `backup:CopyIntoBackupVault` (a copy in), AWS KMS every
//! cross-account key administration. What is left is a share: another account reads a
//! recovery point its service shares with it, and only with the key when it is encrypted.

use serde_json::Value;
use vaultward_analysis::{access_not_granted, Options, Outcome};
use vaultward_iam::PolicyKind;
use vaultward_snapshot::{Collected, RecoveryPoint, Snapshot};

use super::evaluate::{Evaluator, KeyState, Tri};
use super::routes::RouteCtx;
use super::table::{self, Question};
use super::{Answer, Refused, Unsettled};

/// The principal kinds outside the account, in words.
pub const OTHER_ACCOUNT: &str = "any principal of another account";

/// Who, outside `account`, the policy grants one of `actions`: `Ok(None)` no one,
/// `Ok(Some((principal, action)))` the solver's witness (confirmed by the engine),
/// `Err` why it cannot be decided.
fn granted_outside(
    doc: &Value,
    kind: PolicyKind,
    account: &str,
    actions: &[&str],
) -> Result<Option<(String, String)>, String> {
    granted_outside_but(doc, kind, account, actions, false)
}

/// Service principals the solver may answer with before the question is given up as
/// undecided (each is excluded in turn when only accounts count).
const SERVICE_WITNESSES: usize = 8;

/// [`granted_outside`]; with `accounts_only`, a service principal's access does not count
/// (a share reaches an account, not a service): each one the solver names is left out and
/// the question asked again.
fn granted_outside_but(
    doc: &Value,
    kind: PolicyKind,
    account: &str,
    actions: &[&str],
    accounts_only: bool,
) -> Result<Option<(String, String)>, String> {
    let mut opts = Options::new(kind);
    opts.exclude_principals = vec![
        format!("arn:aws:iam::{account}:*"),
        format!("arn:aws:sts::{account}:*"),
    ];
    opts.resource_account = Some(account.to_string());
    let actions: Vec<String> = actions.iter().map(|a| a.to_string()).collect();
    for _ in 0..SERVICE_WITNESSES {
        match access_not_granted(&doc.to_string(), &actions, &opts) {
            Ok(Outcome::NewAccess(case)) => {
                let p = case["request"]["principal"].as_str().unwrap_or_default();
                if accounts_only && p.ends_with(".amazonaws.com") {
                    opts.exclude_principals.push(p.to_string());
                    continue;
                }
                return Ok(Some(witness(&case, &actions)));
            }
            Ok(Outcome::NoNewAccess) => return Ok(None),
            Ok(Outcome::Undecided(why)) => return Err(why),
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!(
        "the solver named {SERVICE_WITNESSES} service principals in turn and no account"
    ))
}

/// The solver's confirmed case in words: who, and which of `actions`.
fn witness(case: &Value, actions: &[String]) -> (String, String) {
    let principal = match &case["request"]["principal"] {
        Value::String(p) if p == "*" => "anonymous (`*`)".to_string(),
        Value::String(p) if p.ends_with(".amazonaws.com") => format!("service principal `{p}`"),
        Value::String(p) => format!("{OTHER_ACCOUNT}, for example `{p}`"),
        other => format!("{OTHER_ACCOUNT}, for example {other}"),
    };
    // The solver writes actions in lowercase: the table's spelling.
    let found = case["request"]["action"].as_str().unwrap_or("");
    let action = actions
        .iter()
        .find(|a| a.eq_ignore_ascii_case(found))
        .cloned()
        .unwrap_or_else(|| found.to_string());
    (principal, action)
}

const BACKUP_OUT: &[&str] = &[
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:StartRestoreJob",
    "backup:StartCopyJob",
];

const KEY_ADMIN: &[&str] = &[
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:PutKeyPolicy",
];

/// The key operations with which another account reads a share (a volume created from a
/// shared encrypted snapshot needs the key: "Grants in AWS KMS",
/// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html, and EBS's "Share an
/// encrypted snapshot"), as key policy actions; a grant's `Operations` name them without
/// the `kms:` prefix.
const KEY_USE: &[&str] = &[
    "kms:Decrypt",
    "kms:CreateGrant",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
];

/// Whether a grant operation is one of [`KEY_USE`].
fn reads(op: &str) -> bool {
    KEY_USE.iter().any(|a| a.strip_prefix("kms:") == Some(op))
}

/// Whether another account may already use customer managed key `arn` (so a share of a
/// recovery point under it needs no grant from the sharer): its key policy allows one of
/// [`KEY_USE`] to a principal outside the account, or a grant does.
pub(super) fn key_usable_outside(s: &Snapshot, arn: &str) -> Tri {
    let Some(k) = s.key(arn) else {
        return Tri::Unknown(format!("key `{arn}` is not in the snapshot's `kms_keys`"));
    };
    let account = &s.account_id;
    match k.policy.document().and_then(crate::check::docs_json) {
        None => {
            return Tri::Unknown(format!(
                "the key policy of `{arn}` was not collected ({})",
                k.policy.unknown_reason().unwrap_or_else(|| "absent".into())
            ))
        }
        Some(doc) => match granted_outside_but(&doc, PolicyKind::Key, account, KEY_USE, true) {
            Ok(Some(_)) => return Tri::Yes,
            Ok(None) => {}
            Err(why) => {
                return Tri::Unknown(format!(
                "whether the key policy of `{arn}` lets another account use it is undecided: {why}"
            ))
            }
        },
    }
    let grants = match &k.grants {
        Collected::Document(Value::Array(g)) => g,
        Collected::Document(Value::Null) => return Tri::No,
        Collected::NotCollected { not_collected } => {
            return Tri::Unknown(format!(
                "the grants of `{arn}` were not collected ({not_collected}): one may let another account use it"
            ))
        }
        _ => {
            return Tri::Unknown(format!(
                "the grants of `{arn}` were not collected (kms:ListGrants): one may let another account use it"
            ))
        }
    };
    let own = format!(":{account}:");
    for g in grants {
        let grantee = g
            .get("GranteePrincipal")
            .and_then(Value::as_str)
            .unwrap_or("");
        let ops = g.get("Operations").and_then(Value::as_array);
        let useful = ops.is_some_and(|o| o.iter().filter_map(Value::as_str).any(reads));
        let outside = grantee.starts_with("arn:") && !grantee.contains(&own)
            || grantee.chars().all(|c| c.is_ascii_digit()) && grantee != account;
        if useful && outside {
            return Tri::Yes;
        }
    }
    Tri::No
}

/// Adds what principals outside the snapshot can do to the destroy and read answers.
pub(super) fn answer(
    ev: &Evaluator<'_>,
    ctx: &RouteCtx<'_>,
    rps: &[&RecoveryPoint],
    keys: &[KeyState],
    shareable: bool,
    answers: &mut [Answer],
) {
    let account = ev.s.account_id.clone();
    let mut destroy_refused = Vec::new();
    let mut read_refused = Vec::new();
    let mut read_unknown: Vec<Unsettled> = Vec::new();
    if let Some(doc) = ctx
        .vault
        .access_policy
        .document()
        .and_then(crate::check::docs_json)
    {
        if let Ok(Some((p, a))) = granted_outside(&doc, PolicyKind::Vault, &account, BACKUP_OUT) {
            destroy_refused.push(Refused {
                principal: p,
                action: a,
                why: table::CROSS_ACCOUNT_BACKUP.why.into(),
                source: table::BACKUP_CROSS_ACCOUNT.into(),
            });
        }
        if let Ok(Some((p, a))) = granted_outside(
            &doc,
            PolicyKind::Vault,
            &account,
            &["backup:CopyIntoBackupVault"],
        ) {
            read_refused.push(Refused {
                principal: p,
                action: a,
                why: "the vault policy lets it copy recovery points into this vault: a copy in, not out, which reads and destroys nothing here".into(),
                source: table::BACKUP_CROSS_ACCOUNT.into(),
            });
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for (rp, key) in rps.iter().zip(keys) {
        let share = |why: String| Unsettled {
            principal: OTHER_ACCOUNT.into(),
            code: "existing-share".into(),
            settle: why,
        };
        let not_collected = format!("who `{}` is already shared with is not in the snapshot (its service's sharing attribute, such as ec2:DescribeSnapshotAttribute `createVolumePermission`)", rp.arn);
        match key {
            KeyState::Customer { arn, .. } => {
                let doc =
                    ev.s.key(arn)
                        .and_then(|k| k.policy.document())
                        .and_then(crate::check::docs_json);
                let Some(doc) = doc else {
                    if shareable {
                        read_unknown.push(share(format!(
                            "{not_collected}; the key policy of `{arn}` is not collected"
                        )));
                    }
                    continue;
                };
                if seen.contains(arn) {
                    continue;
                }
                seen.push(arn.clone());
                if let Ok(Some((p, a))) =
                    granted_outside(&doc, PolicyKind::Key, &account, KEY_ADMIN)
                {
                    destroy_refused.push(Refused {
                        principal: p,
                        action: a,
                        why: table::CROSS_ACCOUNT_KMS.why.into(),
                        source: table::KMS_CROSS_ACCOUNT.into(),
                    });
                }
                if shareable {
                    match key_usable_outside(ev.s, arn) {
                        Tri::No => {}
                        Tri::Yes => read_unknown.push(share(format!(
                            "{not_collected}, and another account may use the key `{arn}` (its key policy or a grant)"
                        ))),
                        Tri::Unknown(why) => read_unknown.push(share(format!("{not_collected}; {why}"))),
                    }
                }
            }
            KeyState::Unencrypted if shareable => read_unknown.push(share(format!(
                "{not_collected}; it is not encrypted, so a share is all another account needs"
            ))),
            KeyState::Unknown(why) if shareable => {
                read_unknown.push(share(format!("{not_collected}; {why}")))
            }
            _ => {}
        }
        if !read_unknown.is_empty() {
            // One is enough to make the answer unknown; the first says what settles it.
            break;
        }
    }
    // A logically air-gapped vault is shared through AWS RAM, and an account it is shared
    // with can restore from it ("You can restore a backup stored in a logically
    // air-gapped vault from either the account that owns the vault or from any account
    // with which the vault is shared"):
    // https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html
    if ctx.vault.vault_type.as_deref() == Some("LOGICALLY_AIR_GAPPED_BACKUP_VAULT") {
        read_unknown.push(Unsettled {
            principal: OTHER_ACCOUNT.into(),
            code: "ram-share".into(),
            settle: format!("the AWS RAM shares of `{}` are not collected: an account it is shared with can restore its recovery points (ram:GetResourceShares, ram:ListPrincipals)", ctx.vault.arn),
        });
    }
    for a in answers.iter_mut() {
        match a.question {
            Question::Destroy => a.refused.append(&mut destroy_refused),
            Question::Read => {
                a.refused.append(&mut read_refused);
                a.unknown.append(&mut read_unknown);
            }
            Question::Change => {}
        }
    }
}
