//! Writing output files: never a partial file.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomically_with(path, |w| w.write_all(bytes))
}

/// What `write` writes goes to a temporary file beside `path` (buffered), then renamed into
/// place: a large report is streamed to the disk, never held whole in memory
/// ([`vaultward_snapshot::org::write_atomically_with`]).
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    vaultward_snapshot::org::write_atomically_with(path, write)
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// `value` as pretty JSON and a newline, to `out` or standard output, streamed.
pub fn write_json(out: Option<&Path>, value: &impl serde::Serialize) -> anyhow::Result<()> {
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, value)?;
        w.write_all(b"\n")
    };
    match out {
        Some(path) => write_atomically_with(path, write),
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            write(&mut w)?;
            w.flush()?;
            Ok(())
        }
    }
}

/// A file of a directory written by [`write_dir_atomically`], relative to it.
pub struct DirFile<'a> {
    pub path: &'a str,
    pub bytes: &'a [u8],
    pub executable: bool,
}

/// Writes a whole directory at once: every file into a temporary directory beside `dir`,
/// which is then renamed to `dir`. `dir` must not exist, or be empty: a directory of an
/// earlier run is never half replaced.
pub fn write_dir_atomically(dir: &Path, files: &[DirFile<'_>]) -> anyhow::Result<()> {
    if let Ok(mut entries) = std::fs::read_dir(dir) {
        if entries.next().is_some() {
            anyhow::bail!(
                "`{}` exists and is not empty: remove it or choose another directory",
                dir.display()
            );
        }
    }
    let parent = dir
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .with_context(|| format!("`{}` is not a directory path", dir.display()))?;
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(&tmp)?;
        for f in files {
            let path = tmp.join(f.path);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p)?;
            }
            let mut out = std::fs::File::create(&path)?;
            out.write_all(f.bytes)?;
            if f.executable {
                use std::os::unix::fs::PermissionsExt as _;
                out.set_permissions(std::fs::Permissions::from_mode(0o755))?;
            }
            out.sync_all()?;
        }
        if dir.exists() {
            std::fs::remove_dir(dir)?;
        }
        std::fs::rename(&tmp, dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.with_context(|| format!("cannot write `{}`", dir.display()))
}
