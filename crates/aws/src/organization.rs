//! `collect --org`: every account of an AWS Organization, from its management account or a
//! delegated administrator. The tree and every SCP and RCP are read once ([`tree::read`]);
//! then each selected ACTIVE account is collected as `collect` collects one, with the
//! member role assumed in it, several accounts at once. Each account is written to
//! `DIR/accounts/ACCOUNT.json` as soon as it is done, and `DIR/organization.json` (the
//! layout of [`vaultward_snapshot::org`]) before the first account and after the last, every
//! file atomically. An account that cannot be assumed or read is recorded with the reason
//! and the run goes on.
//!
//! The caller's own account is collected with the caller's credentials (it is the
//! management account, or the delegated administrator's, and the member role is usually
//! not deployed there: StackSets never deploy to the management account); every other
//! account with the member role.

mod tree;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures_util::StreamExt as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vaultward_snapshot::org::{account_file, write_atomically, OrgLayout};
use vaultward_snapshot::{Organization, Snapshot};

use crate::api::Api;
use crate::ctx::Ctx;
use crate::{collect_account, CollectError, Options};

/// The session name of every member-role session, so CloudTrail says what it was.
pub const SESSION_NAME: &str = "vaultward-collect";

/// What `collect --org` collects, and how.
#[derive(Debug, Clone)]
pub struct OrgOptions {
    /// The member role's path and name (`/vaultward/VaultwardInventoryRole`), the same in
    /// every account.
    pub member_role: String,
    /// The `sts:ExternalId` the member role's trust policy asks for.
    pub external_id: Option<String>,
    /// Collect only the accounts under these OUs (at any depth) and the accounts listed in
    /// `accounts`; both empty: every account.
    pub units: Vec<String>,
    pub accounts: Vec<String>,
    /// Accounts collected at once.
    pub concurrency: usize,
    /// Keep the accounts whose files a previous run wrote whole.
    pub resume: bool,
    pub out: PathBuf,
    /// A bar of accounts done, refused and remaining, and a line per account.
    pub progress: bool,
    /// Each account's collection; its credentials are replaced by the member role's.
    pub account: Options,
}

/// A finished organization collection (also on disk under `out`).
#[derive(Debug)]
pub struct OrgCollection {
    pub layout: OrgLayout,
    pub caller_arn: String,
    /// Accounts collected in this run.
    pub collected: usize,
    /// Accounts kept from a previous run (`--resume`).
    pub resumed: usize,
    /// Accounts not collected (refused, suspended, not selected), with the reason in the
    /// layout.
    pub not_collected: usize,
    /// Calls made, management side and accounts together.
    pub calls: u64,
    /// The operations the management side called ([`Api::MANAGEMENT`]).
    pub management_calls: BTreeSet<Api>,
}

impl OrgCollection {
    pub fn summary(&self) -> String {
        format!(
            "collected organization {} as {} ({} calls): {} accounts collected, {} kept from the last run, {} not collected\n",
            self.layout.id,
            self.caller_arn,
            self.calls,
            self.collected,
            self.resumed,
            self.not_collected,
        )
    }
}

/// Why the collection could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum OrgCollectError {
    #[error(transparent)]
    Start(#[from] CollectError),
    #[error("cannot read the organization: {0}; run as its management account or a delegated administrator (docs/collect.md lists the permissions)")]
    Organization(String),
    #[error("{0}")]
    Selection(String),
    #[error("cannot write `{path}`: {error}")]
    Write { path: String, error: std::io::Error },
}

/// [`collect_organization`] on a runtime of its own, for callers that are not async.
pub fn collect_organization_blocking(opts: &OrgOptions) -> Result<OrgCollection, OrgCollectError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| OrgCollectError::Start(CollectError::Runtime(e)))?
        .block_on(collect_organization(opts))
}

/// Reads the organization, then collects every selected account into `opts.out`.
pub async fn collect_organization(opts: &OrgOptions) -> Result<OrgCollection, OrgCollectError> {
    let ctx = Ctx::new(opts.account.concurrency, false);
    let crate::Caller {
        base,
        account: caller,
        arn: caller_arn,
        ..
    } = crate::caller(&opts.account, &ctx, "caller").await?;
    let client = aws_sdk_organizations::Client::new(&base);
    let mut layout = tree::read(&ctx, &client)
        .await
        .map_err(OrgCollectError::Organization)?;
    for a in &mut layout.accounts {
        a.management = a.id == layout.management_account;
    }
    let selected = selection(&layout, opts)?;

    let dir = &opts.out;
    let accounts_dir = dir.join("accounts");
    std::fs::create_dir_all(&accounts_dir).map_err(|error| OrgCollectError::Write {
        path: accounts_dir.display().to_string(),
        error,
    })?;
    let mut todo = Vec::new();
    let mut resumed = 0;
    for a in &mut layout.accounts {
        if !selected.contains(&a.id) {
            a.not_collected = Some("not selected (--ous, --accounts)".into());
        } else if a.status != "ACTIVE" {
            a.not_collected = Some(format!("the account is {}: not collected", a.status));
        } else if opts.resume && written_whole(dir, &a.id) {
            a.snapshot = Some(account_file(&a.id));
            resumed += 1;
        } else {
            a.not_collected = Some(
                "not collected yet: the run stopped before this account (collect --org --resume goes on)"
                    .into(),
            );
            todo.push(a.id.clone());
        }
    }
    write_layout(&layout, dir)?;

    let progress = Progress::new(opts.progress, todo.len());
    let run = AccountRun {
        opts,
        base: &base,
        layout: &layout,
        caller: &caller,
        ctx: &ctx,
    };
    let outcomes: Vec<(String, Outcome)> = futures_util::stream::iter(todo)
        .map(|id| {
            let run = &run;
            let progress = &progress;
            async move {
                let outcome = run.one(&id).await;
                progress.account(&id, &outcome);
                (id, outcome)
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    progress.finish();

    let mut calls = ctx.calls();
    let mut collected = 0;
    for (id, outcome) in outcomes {
        let Some(a) = layout.accounts.iter_mut().find(|a| a.id == id) else {
            continue;
        };
        match outcome {
            Outcome::Collected { calls: c, .. } => {
                calls += c;
                collected += 1;
                a.snapshot = Some(account_file(&id));
                a.not_collected = None;
            }
            Outcome::Refused(why) => a.not_collected = Some(why),
            Outcome::WriteFailed { path, error } => {
                return Err(OrgCollectError::Write { path, error });
            }
        }
    }
    write_layout(&layout, dir)?;
    let not_collected = layout
        .accounts
        .iter()
        .filter(|a| a.not_collected.is_some())
        .count();
    Ok(OrgCollection {
        layout,
        caller_arn,
        collected,
        resumed,
        not_collected,
        calls,
        management_calls: ctx.called(),
    })
}

/// The accounts to collect: all, or those under `--ous` and those in `--accounts`. An OU
/// or account not in the organization is an error (a typo must not collect nothing).
fn selection(layout: &OrgLayout, opts: &OrgOptions) -> Result<BTreeSet<String>, OrgCollectError> {
    let ids: BTreeSet<&str> = layout.accounts.iter().map(|a| a.id.as_str()).collect();
    if opts.units.is_empty() && opts.accounts.is_empty() {
        return Ok(ids.iter().map(|s| s.to_string()).collect());
    }
    let mut out = BTreeSet::new();
    for id in &opts.accounts {
        if !ids.contains(id.as_str()) {
            return Err(OrgCollectError::Selection(format!(
                "`--accounts`: `{id}` is not an account of organization {}",
                layout.id
            )));
        }
        out.insert(id.clone());
    }
    for ou in &opts.units {
        if *ou != layout.root && !layout.units.iter().any(|u| u.id == *ou) {
            return Err(OrgCollectError::Selection(format!(
                "`--ous`: `{ou}` is not an OU of organization {}",
                layout.id
            )));
        }
        for a in &layout.accounts {
            if layout.parents(&a.id).is_some_and(|p| p.contains(ou)) {
                out.insert(a.id.clone());
            }
        }
    }
    Ok(out)
}

/// A previous run wrote the account's file whole (every write is atomic, so a file that
/// parses as this account's snapshot is complete).
fn written_whole(dir: &Path, account: &str) -> bool {
    let path = dir.join(account_file(account));
    std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| Snapshot::from_json(&path.display().to_string(), &text).ok())
        .is_some_and(|s| s.account_id == account)
}

fn write_layout(layout: &OrgLayout, dir: &Path) -> Result<(), OrgCollectError> {
    layout.write(dir).map_err(|error| OrgCollectError::Write {
        path: dir.join("organization.json").display().to_string(),
        error,
    })
}

/// How one account went.
enum Outcome {
    Collected {
        calls: u64,
        missing: usize,
    },
    /// Not collected, and why.
    Refused(String),
    WriteFailed {
        path: String,
        error: std::io::Error,
    },
}

/// What every account's collection shares.
struct AccountRun<'a> {
    opts: &'a OrgOptions,
    base: &'a aws_config::SdkConfig,
    layout: &'a OrgLayout,
    caller: &'a str,
    ctx: &'a Ctx,
}

impl AccountRun<'_> {
    async fn one(&self, id: &str) -> Outcome {
        let mut opts = self.opts.account.clone();
        opts.progress = false;
        if id != self.caller {
            match self.assume(id).await {
                Ok(c) => opts.credentials = Some(c),
                Err(why) => return Outcome::Refused(why),
            }
        }
        let known = self.organization_of(id);
        let collection = match collect_account(&opts, Some(known)).await {
            Ok(c) => c,
            Err(e) => return Outcome::Refused(e.to_string()),
        };
        let text = match serde_json::to_string_pretty(&collection.snapshot) {
            Ok(t) => t,
            Err(e) => return Outcome::Refused(format!("its snapshot cannot be written: {e}")),
        };
        let path = self.opts.out.join(account_file(id));
        if let Err(error) = write_atomically(&path, format!("{text}\n").as_bytes()) {
            return Outcome::WriteFailed {
                path: path.display().to_string(),
                error,
            };
        }
        Outcome::Collected {
            calls: collection.calls,
            missing: collection.missing.len(),
        }
    }

    /// Assumes the member role in `account` once, to learn whether it can be (the refusal is
    /// the account's reason), then hands the collector a provider that assumes it again as
    /// the session nears its end.
    async fn assume(&self, account: &str) -> Result<SharedCredentialsProvider, String> {
        let arn = vaultward_snapshot::org::role_arn(account, &self.opts.member_role);
        let sts = aws_sdk_sts::Client::new(self.base);
        let result = self
            .ctx
            .counted(
                Api::AssumeRole,
                sts.assume_role()
                    .role_arn(&arn)
                    .role_session_name(SESSION_NAME)
                    .set_external_id(self.opts.external_id.clone())
                    .send(),
            )
            .await;
        if let Err(e) = result {
            let code = e.code().unwrap_or("error");
            let message = e
                .message()
                .map_or_else(|| crate::ctx::short_error(&e), str::to_string);
            return Err(format!("AssumeRole {arn}: {code}: {message}"));
        }
        let mut provider = AssumeRoleProvider::builder(arn)
            .session_name(SESSION_NAME)
            .configure(self.base);
        if let Some(x) = &self.opts.external_id {
            provider = provider.external_id(x);
        }
        Ok(SharedCredentialsProvider::new(provider.build().await))
    }

    /// The account's place in the organization, from the tree read once: its path, and the
    /// SCP and RCP levels on it (none for the management account, to which they do not
    /// apply).
    fn organization_of(&self, account: &str) -> Organization {
        let l = self.layout;
        let management = account == l.management_account;
        let levels = |kind: &str| {
            if management {
                Vec::new()
            } else {
                l.levels(account, kind).unwrap_or_default()
            }
        };
        Organization {
            id: Some(l.id.clone()),
            management_account: Some(l.management_account.clone()),
            path: l.org_path(account),
            scps: levels("SERVICE_CONTROL_POLICY"),
            rcps: levels("RESOURCE_CONTROL_POLICY"),
            policies_not_collected: l.policies_not_collected.clone(),
        }
    }
}

/// The bar of accounts done, refused and remaining, and one line per account.
struct Progress {
    bar: ProgressBar,
    show: bool,
    done: AtomicUsize,
    refused: AtomicUsize,
    total: usize,
}

impl Progress {
    fn new(show: bool, total: usize) -> Progress {
        let bar = if show {
            // indicatif draws nothing when standard error is not a terminal; the lines per
            // account are then printed plainly.
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{bar:30} {pos}/{len} accounts {elapsed}  {msg}")
            {
                bar.set_style(style);
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        let p = Progress {
            bar,
            show,
            done: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            total,
        };
        p.bar.set_message(p.counts());
        p
    }

    fn counts(&self) -> String {
        let done = self.done.load(Ordering::Relaxed);
        let refused = self.refused.load(Ordering::Relaxed);
        format!(
            "{done} done, {refused} refused, {} remaining",
            self.total.saturating_sub(done + refused)
        )
    }

    fn account(&self, id: &str, outcome: &Outcome) {
        let line = match outcome {
            Outcome::Collected { calls, missing } => {
                self.done.fetch_add(1, Ordering::Relaxed);
                format!("account {id}: collected ({calls} calls, {missing} items not collected)")
            }
            Outcome::Refused(why) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                format!("account {id}: not collected: {why}")
            }
            Outcome::WriteFailed { path, error } => {
                format!("account {id}: cannot write `{path}`: {error}")
            }
        };
        self.bar.inc(1);
        let counts = self.counts();
        self.bar.set_message(counts.clone());
        if !self.show {
            return;
        }
        if self.bar.is_hidden() {
            eprintln!("{line} [{counts}]");
        } else {
            self.bar.println(line);
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
