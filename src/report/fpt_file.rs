//! The per-trajectory first-passage file of a run (`observe.fpt_file`): its
//! name and bytes, the record that result.json keeps of it (size and CRC-32,
//! `run.first_passage`), and what `kramers merge` does with the shards' files:
//! checks each against its shard (present, complete, the shard's own) and
//! concatenates them in trajectory order, case by case, without holding them
//! in memory.

use crate::error::{Error, Result};
use crate::report::atomic::write_atomic_with;
use crate::report::npy::npy_u32_header;
use crate::spec::FptFormat;
use serde::{Deserialize, Serialize};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What result.json records of the first-passage file written beside it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FptRecord {
    /// The file's name in the run's directory.
    pub file: String,
    /// The file's size in bytes (header included).
    pub bytes: u64,
    /// CRC-32 (IEEE) of the whole file, 8 hex digits.
    pub crc32: String,
}

/// The file's name in a run's directory.
pub fn file_name(format: FptFormat) -> &'static str {
    match format {
        FptFormat::Npy => "first_passage.npy",
        FptFormat::RawU32 => "first_passage.u32",
    }
}

/// The bytes before the data: the `.npy` header of a `cases x len` `<u4` array, or none.
fn header(format: FptFormat, cases: usize, len: u64) -> Vec<u8> {
    match format {
        FptFormat::Npy => npy_u32_header(&[cases, len as usize]),
        FptFormat::RawU32 => Vec::new(),
    }
}

/// The file of `cases x len` first passages `data` (case after case).
pub fn encode(format: FptFormat, cases: usize, len: u64, data: &[u32]) -> Vec<u8> {
    debug_assert_eq!(data.len() as u64, cases as u64 * len);
    let mut bytes = header(format, cases, len);
    bytes.reserve(4 * data.len());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

/// The record of a file's `bytes`.
pub fn record(format: FptFormat, bytes: &[u8]) -> FptRecord {
    FptRecord {
        file: file_name(format).to_string(),
        bytes: bytes.len() as u64,
        crc32: format!("{:08x}", crc32fast::hash(bytes)),
    }
}

/// One shard's file, checked: where its data start and how many trajectories
/// of every case it holds.
#[derive(Debug)]
pub struct ShardFile {
    path: PathBuf,
    data_start: u64,
    len: u64,
}

/// Check the first-passage file in shard directory `dir`, which holds
/// `len` trajectories of each of `cases` cases and whose result.json records
/// `recorded` (none when written by a kramers before the record existed: then
/// only its size and header are checked).
pub fn check_shard(
    format: FptFormat,
    dir: &Path,
    cases: usize,
    len: u64,
    recorded: Option<&FptRecord>,
) -> Result<ShardFile> {
    let path = dir.join(file_name(format));
    let refuse =
        |why: String| Error::Incompatible(format!("cannot merge: {} {why}", path.display()));
    let name = file_name(format);
    let size = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(refuse(format!(
                "is missing: the experiment writes {name} (observe.fpt_file) and every shard's directory holds its slice"
            )))
        }
        Err(source) => {
            return Err(Error::Io {
                action: "read",
                path,
                source,
            })
        }
    };
    let head = header(format, cases, len);
    let expected = head.len() as u64 + 4 * cases as u64 * len;
    if size < expected {
        return Err(refuse(format!(
            "is truncated: {size} bytes, where its shard's {cases} x {len} first passages take {expected}"
        )));
    }
    if size > expected {
        return Err(refuse(format!(
            "has {size} bytes, not the {expected} of its shard's {cases} x {len} first passages: it is another run's"
        )));
    }
    let read_error = |source| Error::Io {
        action: "read",
        path: path.clone(),
        source,
    };
    let mut file = std::fs::File::open(&path).map_err(read_error)?;
    let mut found = vec![0u8; head.len()];
    file.read_exact(&mut found).map_err(read_error)?;
    if found != head {
        return Err(refuse(format!(
            "does not start with the header of its shard's {cases} x {len} array: it is another run's"
        )));
    }
    if let Some(recorded) = recorded {
        file.seek(SeekFrom::Start(0)).map_err(read_error)?;
        let mut hasher = crc32fast::Hasher::new();
        let mut buffer = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buffer).map_err(read_error)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        let crc = format!("{:08x}", hasher.finalize());
        if recorded.file != name || recorded.bytes != size || recorded.crc32 != crc {
            return Err(refuse(format!(
                "is not the file its result.json records ({} bytes, CRC-32 {crc}; recorded: {}, {} bytes, CRC-32 {}): another run's, or changed since",
                size, recorded.file, recorded.bytes, recorded.crc32
            )));
        }
    }
    Ok(ShardFile {
        path,
        data_start: head.len() as u64,
        len,
    })
}

/// Write the first passages of `shards` (checked, in trajectory order) as one
/// file at `path`: each case's slices one after the other. Atomic: a failure
/// leaves no file.
pub fn concatenate(
    format: FptFormat,
    shards: &[ShardFile],
    cases: usize,
    path: &Path,
) -> Result<FptRecord> {
    let total: u64 = shards.iter().map(|s| s.len).sum();
    let mut hasher = crc32fast::Hasher::new();
    let mut bytes = 0u64;
    let mut files = Vec::new();
    for shard in shards {
        let file = std::fs::File::open(&shard.path).map_err(|source| Error::Io {
            action: "read",
            path: shard.path.clone(),
            source,
        })?;
        files.push(file);
    }
    write_atomic_with(path, |out| {
        let mut emit = |chunk: &[u8], out: &mut dyn Write| {
            hasher.update(chunk);
            bytes += chunk.len() as u64;
            out.write_all(chunk)
        };
        emit(&header(format, cases, total), out)?;
        let mut buffer = vec![0u8; 1 << 20];
        for c in 0..cases as u64 {
            for (shard, file) in shards.iter().zip(&mut files) {
                file.seek(SeekFrom::Start(shard.data_start + 4 * c * shard.len))?;
                let mut left = 4 * shard.len;
                while left > 0 {
                    let n = left.min(buffer.len() as u64) as usize;
                    file.read_exact(&mut buffer[..n])?;
                    emit(&buffer[..n], out)?;
                    left -= n as u64;
                }
            }
        }
        Ok(())
    })?;
    Ok(FptRecord {
        file: file_name(format).to_string(),
        bytes,
        crc32: format!("{:08x}", hasher.finalize()),
    })
}
