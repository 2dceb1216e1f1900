//! One collection run's shared state: the bound on calls in flight, the progress bar, and
//! the record of what could not be read.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::Semaphore;

use crate::api::Api;

/// Something the collector was refused or failed to read; the run went on without it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    /// What it was reading: `bucket hd-test`, `key arn:...`, `account`.
    pub item: String,
    pub api: String,
    /// The action that would have allowed it, when the error was an access denial.
    pub action: Option<&'static str>,
    /// The error code (`AccessDenied`), or the error in words.
    pub error: String,
    /// How many calls failed this way (HeadObject on many objects of one bucket).
    pub count: usize,
}

impl Missing {
    pub fn describe(&self) -> String {
        let times = if self.count > 1 {
            format!(" ({} calls)", self.count)
        } else {
            String::new()
        };
        match self.action {
            Some(a) if is_access_denied(&self.error) => format!(
                "{}: {} not collected: {}{times} (needs {a})",
                self.item, self.api, self.error
            ),
            _ => format!(
                "{}: {} not collected: {}{times}",
                self.item, self.api, self.error
            ),
        }
    }
}

fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthorizationError"
            | "Forbidden"
    )
}

/// The outcome of one call.
pub enum Fetch<T> {
    Got(T),
    /// The resource has none of it (`NoSuchBucketPolicy` and the like).
    Absent,
    /// Refused or failed; recorded in [`Ctx::missing`]. Holds the error code or text.
    Failed(String),
}

impl<T> Fetch<T> {
    pub fn ok(self) -> Option<T> {
        match self {
            Fetch::Got(t) => Some(t),
            _ => None,
        }
    }
}

pub struct Ctx {
    permits: Semaphore,
    progress: ProgressBar,
    calls: AtomicU64,
    missing: Mutex<Vec<Missing>>,
    called: Mutex<BTreeSet<Api>>,
}

impl Ctx {
    pub fn new(concurrency: usize, show_progress: bool) -> Ctx {
        let progress = if show_progress {
            // indicatif draws nothing when standard error is not a terminal.
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} {elapsed} {pos} calls  {msg}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        Ctx {
            permits: Semaphore::new(concurrency.max(1)),
            progress,
            calls: AtomicU64::new(0),
            missing: Mutex::new(Vec::new()),
            called: Mutex::new(BTreeSet::new()),
        }
    }

    pub fn stage(&self, what: &str) {
        self.progress.set_message(what.to_string());
    }

    pub fn finish(&self) {
        self.progress.finish_and_clear();
    }

    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The operations called so far (answered or not).
    pub fn called(&self) -> BTreeSet<Api> {
        self.called.lock().map(|c| c.clone()).unwrap_or_default()
    }

    pub fn take_missing(&self) -> Vec<Missing> {
        let mut m = self
            .missing
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default();
        m.sort_by(|a, b| (&a.item, &a.api, &a.error).cmp(&(&b.item, &b.api, &b.error)));
        let mut out: Vec<Missing> = Vec::with_capacity(m.len());
        for x in m {
            match out.last_mut() {
                Some(l) if (&l.item, &l.api, &l.error) == (&x.item, &x.api, &x.error) => {
                    l.count += x.count
                }
                _ => out.push(x),
            }
        }
        out
    }

    pub fn record(&self, item: &str, api: Api, error: String) {
        if let Ok(mut m) = self.missing.lock() {
            m.push(Missing {
                item: item.to_string(),
                api: api.name(),
                action: api.action(),
                error,
                count: 1,
            });
        }
    }

    /// Makes one call under the concurrency bound and counts it, but records nothing: the
    /// caller reads the error itself (`AssumeRole`, whose refusal is an account's reason).
    pub async fn counted<T, E>(
        &self,
        api: Api,
        fut: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let _permit = self.permits.acquire().await;
        let result = fut.await;
        self.calls.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut c) = self.called.lock() {
            c.insert(api);
        }
        result
    }

    /// Makes one call (or one paginated listing) under the concurrency bound. Errors whose
    /// code is in `absent` mean "there is none"; any other error is recorded against `item`.
    /// Throttling is retried by the SDK's retry strategy (see `sdk_config`) before it gets
    /// here.
    pub async fn call<T, E>(
        &self,
        api: Api,
        item: &str,
        absent: &[&str],
        fut: impl Future<Output = Result<T, E>>,
    ) -> Fetch<T>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let _permit = self.permits.acquire().await;
        let result = fut.await;
        self.calls.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut c) = self.called.lock() {
            c.insert(api);
        }
        self.progress.inc(1);
        match result {
            Ok(t) => Fetch::Got(t),
            Err(e) => {
                let code = e.code().map(str::to_string);
                if code.as_deref().is_some_and(|c| absent.contains(&c)) {
                    return Fetch::Absent;
                }
                let error = match code {
                    Some(c) => c,
                    None => short_error(&e),
                };
                self.record(item, api, error.clone());
                Fetch::Failed(error)
            }
        }
    }
}

/// An error without an AWS error code (a response that does not parse, a connection that
/// failed) in one line: the chain of causes, cut to 200 characters.
pub(crate) fn short_error(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        parts.push(s.to_string());
        cur = s.source();
    }
    let mut text = parts.join(": ");
    if text.chars().count() > 200 {
        text = text.chars().take(200).collect::<String>() + "...";
    }
    text
}
