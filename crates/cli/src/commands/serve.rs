//! `vaultward serve`: the vault service speaking AWS Backup's API (docs/server.md).
//! Prints `listening on http://ADDR` to standard output once it accepts connections.
//! Exit 2 for an unusable configuration or data directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;

use vaultward_server::clock::{Clock, OffsetFileClock, SystemClock};
use vaultward_server::config::Config;

use crate::input::read_text;

#[derive(clap::Args)]
pub struct Args {
    /// The identities file: accounts, users and roles with access keys and policies.
    #[arg(long)]
    config: PathBuf,
    /// Where the SQLite store lives.
    #[arg(long, default_value = "vaultward-data")]
    data_dir: PathBuf,
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seconds a client has to send a request's headers (and that a kept-alive connection
    /// waits for its next request).
    #[arg(long, default_value_t = 10)]
    header_timeout: u64,
    /// Seconds a client has to send a request's body once its headers are in.
    #[arg(long, default_value_t = 20)]
    body_timeout: u64,
    /// Connections served at once; more are closed as they arrive.
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Seconds between lifecycle sweeps (moves to cold storage, expiry); one also runs at
    /// start-up.
    #[arg(long, default_value_t = 60)]
    sweep_interval: u64,
    /// For tests only: the service's clock. `system` (the default), or
    /// `offset-file:PATH`: the system clock plus the seconds written in PATH, read at every
    /// use, so a test moves time forward by rewriting the file (clients then sign with the
    /// moved time too). See docs/server.md.
    #[arg(long, default_value = "system", value_name = "system|offset-file:PATH")]
    clock: String,
}

/// The clock `--clock` names, or what is wrong with it.
fn clock(spec: &str) -> Result<Arc<dyn Clock>, String> {
    if spec == "system" {
        return Ok(Arc::new(SystemClock));
    }
    match spec.strip_prefix("offset-file:") {
        Some(path) if !path.is_empty() => {
            OffsetFileClock::open(Path::new(path), vaultward_server::stderr_log())
                .map(|c| Arc::new(c) as Arc<dyn Clock>)
                .map_err(|e| format!("--clock: {e}"))
        }
        _ => Err(format!(
            "--clock `{spec}` is not a clock: give `system` or `offset-file:PATH` (for tests)"
        )),
    }
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let text = match read_text(&a.config) {
        Ok(t) => t,
        Err(e) => {
            // With its cause: "cannot read `x.json`: No such file or directory (os error 2)".
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let config = match Config::from_json(&a.config.display().to_string(), &text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let clock = match clock(&a.clock) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let service = match vaultward_server::open_with_clock(config, &a.data_dir, clock) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let rt = vaultward_server::runtime()?;
    rt.block_on(async move {
        let listener = vaultward_server::bind(a.listen)
            .await
            .with_context(|| format!("cannot listen on {}", a.listen))?;
        println!("listening on http://{}", listener.local_addr()?);
        use std::io::Write as _;
        std::io::stdout().flush()?;
        let limits = vaultward_server::Limits {
            header_timeout: std::time::Duration::from_secs(a.header_timeout.max(1)),
            body_timeout: std::time::Duration::from_secs(a.body_timeout.max(1)),
            max_connections: a.max_connections.max(1),
            ..vaultward_server::Limits::default()
        };
        let every = std::time::Duration::from_secs(a.sweep_interval.max(1));
        vaultward_server::spawn_sweeper(service.clone(), every);
        vaultward_server::serve_with(service, listener, limits).await?;
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
