//! `RollingBuilder`: the settings of a `RollingFileSink`, checked when it opens.

use super::naming::Naming;
use super::period::{Clocked, Period, UtcOffset};
use super::retention::{self, Retention};
use super::RollingFileSink;
use crate::active::{ActiveFile, OpenError, SurvivedErrors};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::UNIX_EPOCH;
use uringlog::Clock;

/// The longest file name Linux file systems take (`NAME_MAX`), in bytes.
const NAME_MAX: usize = 255;

/// Configures a [`RollingFileSink`].
///
/// | setting | default | meaning |
/// |---|---|---|
/// | [`extension`](RollingBuilder::extension) | `"log"` | file name extension (`""` for none) |
/// | [`max_file_bytes`](RollingBuilder::max_file_bytes) | none | rotate before a file would exceed this |
/// | [`period`](RollingBuilder::period) | none | rotate when record time enters a new period |
/// | [`utc_offset`](RollingBuilder::utc_offset) | UTC | where periods start, how labels read |
/// | [`keep_files`](RollingBuilder::keep_files) | all | files kept, the active one included |
/// | [`keep_total_bytes`](RollingBuilder::keep_total_bytes) | all | bytes the rotated files may take |
/// | [`clock`](RollingBuilder::clock) | `Realtime` | the period of a new, empty active file; tells a clock step back |
/// | [`preallocate_bytes`](RollingBuilder::preallocate_bytes) | [`DEFAULT_PREALLOCATE_BYTES`](crate::DEFAULT_PREALLOCATE_BYTES) | disk reserved ahead of the active file's end at a time (0: off) |
///
/// At least one of `max_file_bytes` and `period` is required.
#[derive(Debug)]
#[must_use = "a builder does nothing until .open()"]
pub struct RollingBuilder {
    dir: PathBuf,
    stem: String,
    ext: String,
    max_file_bytes: Option<u64>,
    period: Option<Period>,
    offset: UtcOffset,
    retention: Retention,
    clock: Clock,
    preallocate_bytes: u64,
}

/// Why a [`RollingFileSink`] could not be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum RollingError {
    /// A setting is out of range.
    InvalidSetting {
        /// The builder method, e.g. `"keep_files"`.
        setting: &'static str,
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The directory is missing and could not be created.
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The directory could not be listed (to find earlier rotated files).
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The active file could not be opened for writing.
    Open(OpenError),
}

impl fmt::Display for RollingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RollingError::InvalidSetting {
                setting,
                value,
                reason,
            } => write!(f, "invalid {setting} {value}: {reason}"),
            RollingError::CreateDir { path, source } => {
                write!(
                    f,
                    "cannot create log directory {}: {source}",
                    path.display()
                )
            }
            RollingError::ReadDir { path, source } => {
                write!(f, "cannot list log directory {}: {source}", path.display())
            }
            RollingError::Open(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RollingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RollingError::CreateDir { source, .. } | RollingError::ReadDir { source, .. } => {
                Some(source)
            }
            RollingError::Open(e) => Some(e),
            RollingError::InvalidSetting { .. } => None,
        }
    }
}

impl RollingBuilder {
    pub(super) fn new(dir: PathBuf, stem: String) -> RollingBuilder {
        RollingBuilder {
            dir,
            stem,
            ext: "log".to_owned(),
            max_file_bytes: None,
            period: None,
            offset: UtcOffset::UTC,
            retention: Retention::default(),
            clock: Clock::Realtime,
            preallocate_bytes: crate::DEFAULT_PREALLOCATE_BYTES,
        }
    }

    /// The file name extension, without the dot (`""` for none).
    pub fn extension(mut self, ext: impl Into<String>) -> Self {
        self.ext = ext.into();
        self
    }

    /// Rotates before a file would grow past `bytes` (at least 1).
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = Some(bytes);
        self
    }

    /// Rotates when record time enters a new `period`.
    pub fn period(mut self, period: Period) -> Self {
        self.period = Some(period);
        self
    }

    /// The offset from UTC at which periods start and labels are written.
    pub fn utc_offset(mut self, offset: UtcOffset) -> Self {
        self.offset = offset;
        self
    }

    /// Keeps at most `files` files, the active one included (at least 1).
    pub fn keep_files(mut self, files: usize) -> Self {
        self.retention.keep_files = Some(files);
        self
    }

    /// Keeps rotated files up to `bytes` in total, deleting the oldest.
    pub fn keep_total_bytes(mut self, bytes: u64) -> Self {
        self.retention.keep_total_bytes = Some(bytes);
        self
    }

    /// The clock that dates a new, empty active file, and that tells a
    /// wall clock gone back from a late record (see the sink's docs):
    /// give it the logger's clock (in tests the logger's manual clock; the
    /// default reads the wall clock, right for the logger's own default).
    /// A file that already has content is dated by its modification time.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Reserves `bytes` of disk ahead of the active file's end at a time,
    /// as [`FileSink::preallocate_bytes`](crate::FileSink::preallocate_bytes)
    /// does; a file rotated away gives back what it did not use once its
    /// last batch landed. 0 turns preallocation off.
    pub fn preallocate_bytes(mut self, bytes: u64) -> Self {
        self.preallocate_bytes = bytes;
        self
    }

    fn invalid(&self, setting: &'static str, value: String, reason: &'static str) -> RollingError {
        RollingError::InvalidSetting {
            setting,
            value,
            reason,
        }
    }

    fn validate(&self) -> Result<(), RollingError> {
        let bad_name = |s: &str| s.contains('/') || s.contains('\0');
        if self.stem.is_empty() || bad_name(&self.stem) {
            let why = "must be a non-empty file name without '/'";
            return Err(self.invalid("stem", format!("{:?}", self.stem), why));
        }
        if bad_name(&self.ext) {
            return Err(self.invalid(
                "extension",
                format!("{:?}", self.ext),
                "must not contain '/'",
            ));
        }
        if self.max_file_bytes.is_none() && self.period.is_none() {
            let why = "set max_file_bytes, period or both";
            return Err(self.invalid("rotation", "none".to_owned(), why));
        }
        if self.max_file_bytes == Some(0) {
            return Err(self.invalid("max_file_bytes", "0".to_owned(), "must be at least 1 byte"));
        }
        if self.retention.keep_files == Some(0) {
            let why = "must keep at least 1 file (the active one)";
            return Err(self.invalid("keep_files", "0".to_owned(), why));
        }
        if !self.offset.is_valid() {
            let why = "must be less than a day (86400 s) either way";
            return Err(self.invalid("utc_offset", format!("{} s", self.offset.secs()), why));
        }
        // The longest rotated name: by size, the last number of a `u64`
        // (the numbers grow past six digits, and another program's file
        // can set them anywhere); by time alone, a six-digit one (only a
        // taken name gives one, and never more than six digits).
        let last_seq = match self.max_file_bytes {
            Some(_) => u64::MAX,
            None => 999_999,
        };
        if self.naming().rotated(0, last_seq).len() > NAME_MAX {
            let why = "with the extension, rotated file names would be longer than 255 bytes";
            return Err(self.invalid("stem", format!("{:?}", self.stem), why));
        }
        Ok(())
    }

    /// How the sink will name its files.
    fn naming(&self) -> Naming {
        Naming {
            stem: self.stem.clone(),
            ext: self.ext.clone(),
            period: self.period.map(|period| Clocked {
                period,
                offset: self.offset,
            }),
            sized: self.max_file_bytes.is_some(),
        }
    }

    /// Checks the settings, creates the directory if missing, opens (or
    /// creates) the active file and applies retention to the files already there.
    pub fn open(self) -> Result<RollingFileSink, RollingError> {
        self.validate()?;
        uringlog::__private::create_dir_all(&self.dir).map_err(|source| {
            RollingError::CreateDir {
                path: self.dir.clone(),
                source,
            }
        })?;
        let naming = self.naming();
        let active = ActiveFile::open(&self.dir.join(naming.active()), false)
            .map_err(RollingError::Open)?
            .preallocating(self.preallocate_bytes);
        let rotated =
            retention::list(&self.dir, &naming, &[]).map_err(|source| RollingError::ReadDir {
                path: self.dir.clone(),
                source,
            })?;
        let next_seq = rotated
            .iter()
            .map(|r| r.key.seq)
            .max()
            .map_or(1, |m| m.saturating_add(1));
        let dated = match active.len {
            0 => self.clock.now_unix_nanos(),
            _ => modified_nanos(&active.file).unwrap_or_else(|| self.clock.now_unix_nanos()),
        };
        let period_start = naming.period.map_or(0, |p| p.start_of(dated));
        let mut sink = RollingFileSink {
            dir: self.dir,
            naming,
            max_file_bytes: self.max_file_bytes,
            retention: self.retention,
            active,
            period_start,
            clock: self.clock,
            size_base: 0,
            next_seq,
            inflight: VecDeque::new(),
            leaving: Vec::new(),
            retry_rotation: false,
            notice: None,
            errors: SurvivedErrors::default(),
        };
        sink.prune(None, false);
        Ok(sink)
    }
}

/// A file's modification time in Unix nanoseconds.
fn modified_nanos(f: &std::fs::File) -> Option<u64> {
    let t = f.metadata().ok()?.modified().ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_nanos() as u64)
}
