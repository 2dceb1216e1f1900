//! The service's one clock. Every time the service reads (request times for SigV4, the
//! `aws:CurrentTime` and `aws:EpochTime` keys, session expiry, job and recovery point dates,
//! Vault Lock's grace time, lifecycle deadlines) comes from a [`Clock`], so tests can move
//! time forward instead of editing the database.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::service::Log;

pub trait Clock: Send + Sync {
    /// Seconds since the epoch.
    fn now(&self) -> f64;
}

/// The system's wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }
}

/// For tests only (`vaultward serve --clock offset-file:PATH`): the system's clock plus the
/// number of seconds written in a file, read again at every use, so a test moves the
/// service's time by rewriting the file. Clients must sign their requests with the moved
/// time too (SigV4 refuses request times more than 15 minutes from the service's).
pub struct OffsetFileClock {
    path: PathBuf,
    /// The last offset read, used (and the failure logged) when the file cannot be read.
    last: Mutex<f64>,
    log: Log,
}

/// An offset file's content: a number of seconds, whole or decimal, possibly negative.
fn read_offset(path: &Path) -> Result<f64, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the clock file {}: {e}", path.display()))?;
    let t = text.trim();
    t.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())
        .ok_or_else(|| {
            format!(
                "the clock file {} holds `{t}`, not a number of seconds to add to the system clock (for example `86400`)",
                path.display()
            )
        })
}

impl OffsetFileClock {
    /// A clock offset by the seconds in `path`, which must exist and hold a number.
    pub fn open(path: &Path, log: Log) -> Result<OffsetFileClock, String> {
        let offset = read_offset(path)?;
        Ok(OffsetFileClock {
            path: path.to_path_buf(),
            last: Mutex::new(offset),
            log,
        })
    }

    fn offset(&self) -> f64 {
        let Ok(mut last) = self.last.lock() else {
            return 0.0;
        };
        match read_offset(&self.path) {
            Ok(o) => {
                *last = o;
                o
            }
            Err(e) => {
                (self.log)(format!("{e}; keeping the offset of {} s", *last));
                *last
            }
        }
    }
}

impl Clock for OffsetFileClock {
    fn now(&self) -> f64 {
        let offset = self.offset();
        SystemClock.now() + offset
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]
    use super::*;
    use std::sync::Arc;

    #[test]
    fn an_offset_file_moves_the_clock_and_a_bad_one_is_named() {
        let dir = std::env::temp_dir().join(format!("vaultward-clock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("offset");
        std::fs::write(&path, "not a number").unwrap();
        let noop: Log = Arc::new(|_| {});
        let e = OffsetFileClock::open(&path, noop.clone()).err().unwrap();
        assert!(e.contains("offset") && e.contains("not a number"), "{e}");
        std::fs::write(&path, "86400\n").unwrap();
        let logged = Arc::new(Mutex::new(Vec::new()));
        let sink = logged.clone();
        let clock =
            OffsetFileClock::open(&path, Arc::new(move |l| sink.lock().unwrap().push(l))).unwrap();
        let ahead = clock.now() - SystemClock.now();
        assert!((86399.0..86401.0).contains(&ahead), "{ahead}");
        std::fs::write(&path, "-60.5").unwrap();
        let behind = clock.now() - SystemClock.now();
        assert!((-61.5..-59.5).contains(&behind), "{behind}");
        // A file that goes bad keeps the last offset, and says so.
        std::fs::remove_file(&path).unwrap();
        let kept = clock.now() - SystemClock.now();
        assert!((-61.5..-59.5).contains(&kept), "{kept}");
        assert!(logged.lock().unwrap()[0].contains("keeping the offset"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
