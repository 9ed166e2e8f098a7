//! Write-once files: a temporary file in the same directory, synced, then renamed
//! into place, so a crash leaves either the previous file or the new one.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

/// Create the directory `dir` and its parents (nothing when it exists); an
/// error names the directory.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        action: "create",
        path: dir.to_path_buf(),
        source,
    })
}

/// Write `bytes` to `path` atomically: a synced temporary file in the same
/// directory, renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// [`write_atomic`] for contents written piece by piece by `write` (a file
/// too large to hold in memory).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let io = |action, source| Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&temporary)?;
        let mut buffered = std::io::BufWriter::new(file);
        write(&mut buffered)?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(source) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(io("write", source));
    }
    Ok(())
}
