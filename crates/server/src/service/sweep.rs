//! The lifecycle sweeper's work: recovery points move to cold storage and expire when their
//! lifecycle says ("AWS Backup transitions and expires backups automatically according to
//! the lifecycle that you define", AWS Backup API reference, `Lifecycle`,
//! https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html).
//!
//! One call handles a bounded batch of the points due, earliest first, read through the
//! store's index of lifecycle deadlines. Each point is re-read and decided again under the
//! write lock with the clock read there, and changed in its own transaction: a point whose
//! lifecycle changed meanwhile is left alone, nothing is changed before its time, a crash
//! between two points loses nothing and repeats nothing, and running a batch twice changes
//! nothing the second time.

use super::lifecycle::{due, Due};
use super::*;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Recovery points moved to cold storage.
    pub moved_to_cold: usize,
    /// Recovery points deleted at the end of their retention.
    pub expired: usize,
    /// Whether more points may be due (the batch was full and made progress).
    pub more: bool,
}

impl SweepReport {
    /// Adds another batch's counts (its `more` is the latest).
    pub fn add(&mut self, other: &SweepReport) {
        self.moved_to_cold = self.moved_to_cold.saturating_add(other.moved_to_cold);
        self.expired = self.expired.saturating_add(other.expired);
        self.more = other.more;
    }
}

impl Service {
    /// Moves to cold storage and expires up to `limit` recovery points due now.
    pub fn sweep(&self, limit: usize) -> Result<SweepReport, ApiError> {
        let candidates = self.store.due_recovery_points(self.clock.now(), limit)?;
        let mut report = SweepReport::default();
        for arn in &candidates {
            // Under the write lock, as every other write: an UpdateRecoveryPointLifecycle or
            // DeleteRecoveryPoint in flight is either before or after this.
            let _w = self.writes.lock();
            let Some(mut rp) = self.store.get(Kind::RecoveryPoint, arn)? else {
                continue;
            };
            let done = match due(&rp, self.clock.now()) {
                Some(Due::Expire) => self
                    .store
                    .delete(Kind::RecoveryPoint, arn)?
                    .then_some(&mut report.expired),
                Some(Due::MoveToCold) => {
                    put(&mut rp, "StorageClass", json!("COLD"));
                    self.store
                        .replace(Kind::RecoveryPoint, arn, &rp)?
                        .then_some(&mut report.moved_to_cold)
                }
                None => None,
            };
            if let Some(n) = done {
                *n = n.saturating_add(1);
            }
        }
        let progressed = report.expired > 0 || report.moved_to_cold > 0;
        report.more = candidates.len() >= limit && progressed;
        Ok(report)
    }
}
