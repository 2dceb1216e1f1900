//! The vault store: a trait the service writes through, and its SQLite implementation.
//!
//! Schema (one table; documented in `docs/server.md`):
//!
//! ```sql
//! CREATE TABLE records (
//!     kind   TEXT NOT NULL,   -- 'vault' | 'recovery_point' | 'job' | 'tags'
//!     key    TEXT NOT NULL,   -- vault ARN, recovery point ARN, job id, resource ARN
//!     parent TEXT,            -- the vault ARN of a recovery point, the account of a vault
//!     seq    INTEGER NOT NULL,-- insertion order, for stable listings and page tokens
//!     doc    TEXT NOT NULL,   -- the record as JSON
//!     PRIMARY KEY (kind, key)
//! );
//! CREATE INDEX records_parent ON records (kind, parent, seq);
//! -- Recovery points by their next lifecycle deadline (see `NEXT_LIFECYCLE_EVENT`).
//! CREATE INDEX records_lifecycle ON records (kind, (NEXT_LIFECYCLE_EVENT)) WHERE kind = 'recovery_point';
//! ```
//!
//! SQLite runs in WAL mode with `synchronous = FULL`: a write is acknowledged only after it
//! is in the log on disk, so neither a crash nor `kill -9` loses it, and a torn write is
//! rolled back at the next open. Every trait method is one transaction.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Vault,
    RecoveryPoint,
    Job,
    Tags,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Vault => "vault",
            Kind::RecoveryPoint => "recovery_point",
            Kind::Job => "job",
            Kind::Tags => "tags",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(String);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A recovery point's next lifecycle deadline, from its record: the move to cold storage
/// while it is in warm storage and set to move, else its deletion (`NULL`: none). The
/// expression the lifecycle index is built on; queries repeat it word for word so SQLite
/// uses the index.
pub const NEXT_LIFECYCLE_EVENT: &str = "CASE WHEN json_extract(doc, '$.StorageClass') = 'WARM' \
     AND json_extract(doc, '$.CalculatedLifecycle.MoveToColdStorageAt') IS NOT NULL \
     THEN min(json_extract(doc, '$.CalculatedLifecycle.MoveToColdStorageAt'), \
     coalesce(json_extract(doc, '$.CalculatedLifecycle.DeleteAt'), \
     json_extract(doc, '$.CalculatedLifecycle.MoveToColdStorageAt'))) \
     ELSE json_extract(doc, '$.CalculatedLifecycle.DeleteAt') END";

/// A page of a listing: the records, their sequence numbers, and the sequence number to
/// continue after when there are more.
pub struct Page {
    pub items: Vec<Value>,
    pub seqs: Vec<i64>,
    pub next: Option<i64>,
}

/// Where the service keeps its records. Every method is atomic. A PostgreSQL
/// implementation maps the same table (with `doc JSONB`) and the same transactions.
pub trait Store: Send + Sync {
    /// Inserts; `false` when the key exists (nothing written).
    fn insert(&self, kind: Kind, key: &str, parent: Option<&str>, doc: &Value) -> Result<bool>;
    fn get(&self, kind: Kind, key: &str) -> Result<Option<Value>>;
    /// Replaces an existing record; `false` when there is none.
    fn replace(&self, kind: Kind, key: &str, doc: &Value) -> Result<bool>;
    /// Inserts or replaces.
    fn upsert(&self, kind: Kind, key: &str, parent: Option<&str>, doc: &Value) -> Result<()>;
    /// Deletes a record and, in the same transaction, its tags.
    fn delete(&self, kind: Kind, key: &str) -> Result<bool>;
    /// Deletes `key` (and its tags) only if no record of `child` kind has it as parent;
    /// returns the number of children found (0: deleted).
    fn delete_if_childless(&self, kind: Kind, key: &str, child: Kind) -> Result<usize>;
    /// Records of `kind` under `parent` (all when `None`), in insertion order, after `after`.
    fn list(
        &self,
        kind: Kind,
        parent: Option<&str>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Page> {
        let (rows, next) = self.list_raw(kind, parent, after, limit)?;
        let mut items = Vec::with_capacity(rows.len());
        let mut seqs = Vec::with_capacity(rows.len());
        for (seq, doc) in rows {
            items.push(serde_json::from_str(&doc)?);
            seqs.push(seq);
        }
        Ok(Page { items, seqs, next })
    }
    /// The same records as (sequence number, JSON text), and the sequence number to
    /// continue after.
    #[allow(clippy::type_complexity)]
    fn list_raw(
        &self,
        kind: Kind,
        parent: Option<&str>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<(i64, String)>, Option<i64>)>;
    fn count(&self, kind: Kind, parent: &str) -> Result<usize>;
    /// Several records written in one transaction (a job and its recovery point).
    fn insert_many(&self, records: &[(Kind, String, Option<String>, Value)]) -> Result<()>;
    /// Up to `limit` recovery points whose next lifecycle deadline
    /// ([`NEXT_LIFECYCLE_EVENT`]) is at or before `now`, earliest first, by key, read through
    /// an index (the work does not grow with the points not due).
    fn due_recovery_points(&self, now: f64, limit: usize) -> Result<Vec<String>>;
}

/// Every record of `kind` in the store of `dir`, as (parent, document), in insertion
/// order, read from the database opened read-only: beside a running `vaultward serve`
/// (WAL mode lets a reader see what is committed), without its directory lock, and
/// writing nothing (`vaultward exposure` reads the vaults and recovery points this way).
pub fn read_records(dir: &Path, kind: Kind) -> Result<Vec<(Option<String>, Value)>> {
    let file = dir.join("vaultward.sqlite3");
    if !file.is_file() {
        return Err(StoreError(format!(
            "{} is not a `vaultward serve` data directory (it has no vaultward.sqlite3)",
            dir.display()
        )));
    }
    let conn = Connection::open_with_flags(
        &file,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "busy_timeout", 5000)?;
    let mut st = conn.prepare("SELECT parent, doc FROM records WHERE kind = ?1 ORDER BY seq")?;
    let rows = st.query_map(params![kind.as_str()], |r| {
        Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (parent, doc) = row?;
        out.push((parent, serde_json::from_str(&doc)?));
    }
    Ok(out)
}

/// Reader connections beside the writer.
pub const READERS: usize = 4;

pub struct SqliteStore {
    /// The one writer: every write is one transaction on it.
    conn: Mutex<Connection>,
    /// Readers, taken in turn: in WAL mode they read committed data beside the writer.
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
    /// Held for the store's life: one service per data directory.
    _lock: std::fs::File,
}

impl SqliteStore {
    /// Opens (creating if needed) `dir/vaultward.sqlite3`.
    pub fn open(dir: &Path) -> Result<SqliteStore> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        let lock_path = dir.join("vaultward.lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError(format!("cannot open {}: {e}", lock_path.display())))?;
        if let Err(e) = lock.try_lock() {
            return Err(StoreError(format!(
                "the data directory {} is in use by another `vaultward serve` ({e}); stop it, or give another --data-dir",
                dir.display()
            )));
        }
        let conn = Connection::open(dir.join("vaultward.sqlite3"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "busy_timeout", 5000)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS records (
                kind TEXT NOT NULL, key TEXT NOT NULL, parent TEXT,
                seq INTEGER NOT NULL, doc TEXT NOT NULL,
                PRIMARY KEY (kind, key));
             CREATE INDEX IF NOT EXISTS records_parent ON records (kind, parent, seq);
             CREATE INDEX IF NOT EXISTS records_seq ON records (seq);",
        )?;
        conn.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS records_lifecycle ON records (kind, ({NEXT_LIFECYCLE_EVENT})) WHERE kind = 'recovery_point';"
        ))?;
        let mut readers = Vec::new();
        for _ in 0..READERS {
            let r = Connection::open(dir.join("vaultward.sqlite3"))?;
            r.pragma_update(None, "busy_timeout", 5000)?;
            r.pragma_update(None, "query_only", true)?;
            readers.push(Mutex::new(r));
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            readers,
            next_reader: std::sync::atomic::AtomicUsize::new(0),
            _lock: lock,
        })
    }

    /// Runs a read on the next reader connection.
    fn read<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let n = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(reader) = self
            .readers
            .get(n.checked_rem(self.readers.len()).unwrap_or(0))
        else {
            return self.with(f);
        };
        let mut c = reader
            .lock()
            .map_err(|_| StoreError("a reader's lock is poisoned".into()))?;
        f(&mut c)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut c = self
            .conn
            .lock()
            .map_err(|_| StoreError("the store's lock is poisoned".into()))?;
        f(&mut c)
    }
}

fn next_seq(tx: &Connection) -> Result<i64> {
    Ok(
        tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM records", [], |r| {
            r.get(0)
        })?,
    )
}

impl Store for SqliteStore {
    fn insert(&self, kind: Kind, key: &str, parent: Option<&str>, doc: &Value) -> Result<bool> {
        self.with(|c| {
            let tx = c.transaction()?;
            let seq = next_seq(&tx)?;
            let n = tx.execute(
                "INSERT OR IGNORE INTO records (kind, key, parent, seq, doc) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![kind.as_str(), key, parent, seq, doc.to_string()],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn get(&self, kind: Kind, key: &str) -> Result<Option<Value>> {
        self.read(|c| {
            let text: Option<String> = c
                .prepare_cached("SELECT doc FROM records WHERE kind = ?1 AND key = ?2")?
                .query_row(params![kind.as_str(), key], |r| r.get(0))
                .optional()?;
            Ok(match text {
                Some(t) => Some(serde_json::from_str(&t)?),
                None => None,
            })
        })
    }

    fn replace(&self, kind: Kind, key: &str, doc: &Value) -> Result<bool> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE records SET doc = ?3 WHERE kind = ?1 AND key = ?2",
                params![kind.as_str(), key, doc.to_string()],
            )?;
            Ok(n == 1)
        })
    }

    fn upsert(&self, kind: Kind, key: &str, parent: Option<&str>, doc: &Value) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            let seq = next_seq(&tx)?;
            tx.execute(
                "INSERT INTO records (kind, key, parent, seq, doc) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc",
                params![kind.as_str(), key, parent, seq, doc.to_string()],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn delete(&self, kind: Kind, key: &str) -> Result<bool> {
        self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "DELETE FROM records WHERE kind = ?1 AND key = ?2",
                params![kind.as_str(), key],
            )?;
            tx.execute(
                "DELETE FROM records WHERE kind = ?1 AND key = ?2",
                params![Kind::Tags.as_str(), key],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn delete_if_childless(&self, kind: Kind, key: &str, child: Kind) -> Result<usize> {
        self.with(|c| {
            let tx = c.transaction()?;
            let n: i64 = tx.query_row(
                "SELECT COUNT(*) FROM records WHERE kind = ?1 AND parent = ?2",
                params![child.as_str(), key],
                |r| r.get(0),
            )?;
            if n == 0 {
                for k in [kind, Kind::Tags] {
                    tx.execute(
                        "DELETE FROM records WHERE kind = ?1 AND key = ?2",
                        params![k.as_str(), key],
                    )?;
                }
            }
            tx.commit()?;
            Ok(n as usize)
        })
    }

    fn list_raw(
        &self,
        kind: Kind,
        parent: Option<&str>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<(Vec<(i64, String)>, Option<i64>)> {
        self.read(|c| {
            let after = after.unwrap_or(0);
            let lim = (limit as i64).saturating_add(1);
            let rows: Vec<(i64, String)> = match parent {
                Some(p) => {
                    let mut st = c.prepare_cached(
                        "SELECT seq, doc FROM records WHERE kind = ?1 AND parent = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4",
                    )?;
                    let it = st.query_map(params![kind.as_str(), p, after, lim], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                    it.collect::<std::result::Result<_, _>>()?
                }
                None => {
                    let mut st = c.prepare_cached(
                        "SELECT seq, doc FROM records WHERE kind = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                    )?;
                    let it = st.query_map(params![kind.as_str(), after, lim], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                    it.collect::<std::result::Result<_, _>>()?
                }
            };
            let more = rows.len() > limit;
            let mut items = Vec::with_capacity(rows.len().min(limit));
            let mut last = None;
            for (seq, doc) in rows.into_iter().take(limit) {
                items.push((seq, doc));
                last = Some(seq);
            }
            Ok((items, if more { last } else { None }))
        })
    }

    fn count(&self, kind: Kind, parent: &str) -> Result<usize> {
        self.read(|c| {
            let n: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM records WHERE kind = ?1 AND parent = ?2")?
                .query_row(params![kind.as_str(), parent], |r| r.get(0))?;
            Ok(n as usize)
        })
    }

    fn insert_many(&self, records: &[(Kind, String, Option<String>, Value)]) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            let first = next_seq(&tx)?;
            for (seq, (kind, key, parent, doc)) in (first..).zip(records.iter()) {
                tx.execute(
                    "INSERT INTO records (kind, key, parent, seq, doc) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc",
                    params![kind.as_str(), key, parent, seq, doc.to_string()],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn due_recovery_points(&self, now: f64, limit: usize) -> Result<Vec<String>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&due_query())?;
            let rows = st.query_map(params![now, limit as i64], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        })
    }
}

/// The query behind [`Store::due_recovery_points`].
fn due_query() -> String {
    format!(
        "SELECT key FROM records WHERE kind = 'recovery_point' AND ({NEXT_LIFECYCLE_EVENT}) <= ?1 \
         ORDER BY ({NEXT_LIFECYCLE_EVENT}) LIMIT ?2"
    )
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]
    use super::*;
    use serde_json::json;

    /// Every method works on the writer/readers split (a write on a read-only reader
    /// connection fails), and reads see what was just committed.
    #[test]
    fn every_method_reads_and_writes_on_the_right_connection() {
        let dir = std::env::temp_dir().join(format!("vaultward-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let s = SqliteStore::open(&dir).unwrap();
        assert!(s
            .insert(Kind::Vault, "v", Some("a"), &json!({"n": 1}))
            .unwrap());
        assert!(!s
            .insert(Kind::Vault, "v", Some("a"), &json!({"n": 2}))
            .unwrap());
        for _ in 0..READERS * 2 {
            assert_eq!(s.get(Kind::Vault, "v").unwrap(), Some(json!({"n": 1})));
        }
        assert!(s.replace(Kind::Vault, "v", &json!({"n": 3})).unwrap());
        s.upsert(Kind::Tags, "v", None, &json!({"k": "x"})).unwrap();
        s.insert_many(&[(Kind::RecoveryPoint, "r".into(), Some("v".into()), json!({}))])
            .unwrap();
        assert_eq!(s.count(Kind::RecoveryPoint, "v").unwrap(), 1);
        assert_eq!(
            s.list(Kind::Vault, Some("a"), None, 10)
                .unwrap()
                .items
                .len(),
            1
        );
        assert_eq!(
            s.delete_if_childless(Kind::Vault, "v", Kind::RecoveryPoint)
                .unwrap(),
            1
        );
        assert!(s.delete(Kind::RecoveryPoint, "r").unwrap());
        assert_eq!(
            s.delete_if_childless(Kind::Vault, "v", Kind::RecoveryPoint)
                .unwrap(),
            0
        );
        assert_eq!(s.get(Kind::Vault, "v").unwrap(), None);
        assert_eq!(
            s.get(Kind::Tags, "v").unwrap(),
            None,
            "tags go with their record"
        );
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Due recovery points come earliest first, through the lifecycle index: the sweeper's
    /// work is bounded by the points due, not by all the points stored.
    #[test]
    fn due_recovery_points_use_the_lifecycle_index() {
        let dir = std::env::temp_dir().join(format!("vaultward-store-due-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let s = SqliteStore::open(&dir).unwrap();
        let rp = |class: &str, cold: Option<f64>, delete: Option<f64>| {
            let mut cl = serde_json::Map::new();
            if let Some(c) = cold {
                cl.insert("MoveToColdStorageAt".into(), json!(c));
            }
            if let Some(d) = delete {
                cl.insert("DeleteAt".into(), json!(d));
            }
            json!({"StorageClass": class, "CalculatedLifecycle": cl})
        };
        let records = vec![
            ("forever", rp("WARM", None, None)),
            ("expires-30", rp("WARM", None, Some(30.0))),
            ("cold-10", rp("WARM", Some(10.0), Some(100.0))),
            ("cold-already", rp("COLD", Some(10.0), Some(100.0))),
            ("expires-20", rp("COLD", Some(5.0), Some(20.0))),
            ("later", rp("WARM", Some(50.0), Some(150.0))),
        ];
        for (k, doc) in &records {
            s.insert(Kind::RecoveryPoint, k, Some("v"), doc).unwrap();
        }
        s.insert(
            Kind::Vault,
            "not-a-point",
            None,
            &rp("WARM", None, Some(1.0)),
        )
        .unwrap();
        let keys =
            |now: f64, limit: usize| -> Vec<String> { s.due_recovery_points(now, limit).unwrap() };
        assert_eq!(keys(40.0, 10), ["cold-10", "expires-20", "expires-30"]);
        assert_eq!(keys(40.0, 2), ["cold-10", "expires-20"]);
        assert!(keys(9.0, 10).is_empty());
        let plan: Vec<String> = s
            .with(|c| {
                let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {}", due_query()))?;
                let rows = st.query_map(params![1.0, 1], |r| r.get::<_, String>(3))?;
                Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
            })
            .unwrap();
        assert!(
            plan.iter().any(|p| p.contains("records_lifecycle")),
            "{plan:?}"
        );
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
