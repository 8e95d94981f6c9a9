//! `uringlog-recover DIR [--out FILE] [--json]`: writes what a crash-safe
//! directory holds (records committed but not written by a process that is
//! gone) to FILE (appended to) or stdout, exactly as `Builder::build` on
//! that directory would: the recovery record first, then every record in
//! its producer's order; torn or corrupt ones are skipped and described on
//! stderr. The directory is left empty of pending data.
//!
//! Sink files the directory's state names (the dead process's log files)
//! are cut back to their committed length, as `build` does, so appending
//! the output to the original log holds each record exactly once.
//!
//! A regular output file opened to append (`--out FILE`, `>> FILE`) is
//! tracked as the dead process's log files are: a batch that fails to
//! reach it (a full disk) is cut back out of it, and what a run that
//! failed or was killed appended is cut by the next run, so each record
//! is in it once. The output cannot be a file of DIR (the state it
//! reads), and DIR must be a crash-safe directory (one holding its lock,
//! state, ring or call-site files): the tool creates nothing in a
//! directory a logger never used.
//!
//! Exit status: 0 when done, 1 on bad arguments, 2 when the directory
//! cannot be used (not one, locked by a running process, unreadable, of
//! a newer layout version) or
//! what it holds cannot be written (the error names the errno; the
//! directory keeps it for the next attempt).

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use uringlog::{Format, Logger, Sink, Target};

const USAGE: &str = "usage: uringlog-recover DIR [--out FILE] [--json]";

/// Whether `name` is the name of a crash-safe directory's file: its lock
/// (from its first use), its state, a ring file (`ring-<generation>-<index>`)
/// or a call-site table (`sites-<generation>`). Names that only begin
/// alike (`lock.rs`, `state.json`, `ring-buffer.md`) are not.
fn crash_safe_name(name: &[u8]) -> bool {
    let number = |s: &[u8]| std::str::from_utf8(s).is_ok_and(|s| s.parse::<u64>().is_ok());
    if let Some(rest) = name.strip_prefix(b"ring-") {
        let mut parts = rest.splitn(2, |&c| c == b'-');
        return parts.next().is_some_and(number) && parts.next().is_some_and(number);
    }
    match name.strip_prefix(b"sites-") {
        Some(generation) => number(generation),
        None => name == b"lock" || name == b"state",
    }
}

/// Why stdout is refused when it is `/dev/null`.
const DEV_NULL_STDOUT: &str = "stdout is /dev/null or closed, where the recovered records would \
     be lost; give --out FILE (--out /dev/null to discard them)";

/// What the command line asked for.
struct Args {
    dir: PathBuf,
    out: Option<PathBuf>,
    json: bool,
}

/// Why the tool stops: bad arguments (exit 1) or anything else (exit 2).
enum Fail {
    Usage(String),
    Run(String),
}

/// Appends each batch to the output. A regular file opened to append
/// (`--out FILE`, `>> FILE`) is the engine's: a batch that fails part way
/// is cut back out of it, and what a failed or killed run appended is
/// counted in the directory's state and cut by the next run, as for a
/// dead process's own log files.
struct Out {
    file: Arc<File>,
    /// `output file PATH` or `stdout`.
    name: String,
    append: bool,
}

impl Sink for Out {
    fn describe(&self) -> String {
        self.name.clone()
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(match self.append {
            true => Target::Append {
                fd: self.file.clone(),
            },
            false => Target::Inline,
        })
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        (&*self.file).write_all(batch)
    }
}

fn main() -> ExitCode {
    match run(std::env::args_os().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail::Usage(why)) => {
            eprintln!("uringlog-recover: {why}\n{USAGE}");
            ExitCode::from(1)
        }
        Err(Fail::Run(why)) => {
            eprintln!("uringlog-recover: {why}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<OsString>) -> Result<(), Fail> {
    let Some(args) = parse(args)? else {
        return io::stdout()
            .write_all(format!("{USAGE}\n").as_bytes())
            .map_err(|e| Fail::Run(format!("cannot write to stdout: {e}")));
    };
    check_dir(&args.dir)?;
    let (out, created) = open_out(&args)?;
    let result = recover(&args, out);
    if let (Err(_), Some(path)) = (&result, created) {
        // Nothing reached the file this run created: it goes again.
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&path);
        }
    }
    result
}

/// The arguments, or `None` for `--help`.
fn parse(args: Vec<OsString>) -> Result<Option<Args>, Fail> {
    let (mut dir, mut out, mut json, mut options) = (None, None, false, true);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.to_str().filter(|_| options) {
            Some("--out") => match (it.next(), &out) {
                (None, _) => return Err(Fail::Usage("--out needs a file".to_owned())),
                (Some(_), Some(_)) => return Err(Fail::Usage("--out given twice".to_owned())),
                (Some(f), None) => out = Some(PathBuf::from(f)),
            },
            Some("--json") => json = true,
            Some("-h" | "--help") => return Ok(None),
            Some("--") => options = false,
            _ if options && a.as_bytes().starts_with(b"-") => {
                return Err(Fail::Usage(format!(
                    "unknown option {}",
                    a.to_string_lossy()
                )))
            }
            _ if dir.is_none() => dir = Some(PathBuf::from(a)),
            _ => {
                let a = a.to_string_lossy();
                return Err(Fail::Usage(format!("unexpected argument {a}")));
            }
        }
    }
    let dir = dir.ok_or_else(|| Fail::Usage("DIR is missing".to_owned()))?;
    Ok(Some(Args { dir, out, json }))
}

/// `dir` is a directory a crash-safe logger used.
fn check_dir(dir: &Path) -> Result<(), Fail> {
    let d = dir.display();
    match std::fs::metadata(dir) {
        Err(e) => return Err(Fail::Run(format!("cannot use {d}: {e}"))),
        Ok(m) if !m.is_dir() => return Err(Fail::Run(format!("{d} is not a directory"))),
        Ok(_) => {}
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Fail::Run(format!("cannot read {d}: {e}")))?;
    match entries
        .flatten()
        .any(|e| crash_safe_name(e.file_name().as_bytes()))
    {
        true => Ok(()),
        false => Err(Fail::Run(format!(
            "{d} is not a crash-safe directory (it holds no lock, state, ring or call-site \
             file); nothing done"
        ))),
    }
}

/// The output (`--out FILE`, appended to, or stdout), and the path of the
/// file when this run created it.
fn open_out(args: &Args) -> Result<(Out, Option<PathBuf>), Fail> {
    let (file, name, created) = match &args.out {
        Some(p) => {
            let existed = std::fs::symlink_metadata(p).is_ok();
            // Readable too, so that a failed append can be checked and cut.
            let f = OpenOptions::new()
                .read(true)
                .create(true)
                .append(true)
                .open(p);
            let f = f.or_else(|_| OpenOptions::new().create(true).append(true).open(p));
            let f = f.map_err(|e| Fail::Run(format!("cannot open {}: {e}", p.display())))?;
            let name = format!("output file {}", p.display());
            (f, name, (!existed).then(|| p.clone()))
        }
        None => {
            let fd = io::stdout().as_fd().try_clone_to_owned();
            let fd = fd.map_err(|e| Fail::Run(format!("cannot write to stdout: {e}")))?;
            let f = File::from(fd);
            if f.metadata().is_ok_and(|m| is_dev_null(&m)) {
                // What a closed stdout becomes at start, too: the records
                // would be gone without a word.
                return Err(Fail::Run(DEV_NULL_STDOUT.to_owned()));
            }
            (f, "stdout".to_owned(), None)
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| Fail::Run(format!("cannot use {name}: {e}")))?;
    // SAFETY: F_GETFL on a descriptor we own reads its flags only.
    let flags = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) };
    let out = Out {
        file: Arc::new(file),
        name,
        append: meta.is_file() && flags >= 0 && flags & libc::O_APPEND != 0,
    };
    if let Err(e) = outside_dir(&args.dir, &meta, args.out.as_deref()) {
        if let Some(p) = &created {
            let _ = std::fs::remove_file(p);
        }
        let why = "recovery rewrites and removes the files there";
        return Err(Fail::Run(format!("{} {e}: {why}", out.name)));
    }
    Ok((out, created))
}

/// The output is neither a file of `dir` nor a new name in it: recovery
/// reads, rewrites and removes the files there.
fn outside_dir(dir: &Path, out: &std::fs::Metadata, path: Option<&Path>) -> Result<(), String> {
    let d = dir.display();
    let same = |m: &std::fs::Metadata| m.dev() == out.dev() && m.ino() == out.ino();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {d}: {e}"))?;
    for e in entries.flatten() {
        if std::fs::metadata(e.path()).is_ok_and(|m| same(&m)) {
            let at = e.path();
            return Err(format!(
                "is {} in the crash-safe directory {d}",
                at.display()
            ));
        }
    }
    let parent = path
        .and_then(Path::parent)
        .map(|p| match p.as_os_str().is_empty() {
            true => Path::new("."),
            false => p,
        });
    let (Some(parent), Ok(dm)) = (parent, std::fs::metadata(dir)) else {
        return Ok(());
    };
    match std::fs::metadata(parent) {
        Ok(pm) if pm.dev() == dm.dev() && pm.ino() == dm.ino() => {
            Err(format!("is in the crash-safe directory {d}"))
        }
        _ => Ok(()),
    }
}

/// Whether `m` is `/dev/null` (character device 1:3).
fn is_dev_null(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    m.file_type().is_char_device() && m.rdev() == libc::makedev(1, 3)
}

/// Builds a logger on the directory (which writes what it holds) and
/// shuts it down.
fn recover(args: &Args, out: Out) -> Result<(), Fail> {
    let format = if args.json {
        Format::json()
    } else {
        Format::text()
    };
    let built = Logger::builder()
        .sink(out)
        .format(format)
        .crash_safe(&args.dir)
        .build();
    let (logger, guard) = built.map_err(|e| Fail::Run(e.to_string()))?;
    for note in logger.recent_errors() {
        eprintln!("uringlog-recover: {note}");
    }
    match guard.shutdown(Duration::from_secs(60)) {
        Ok(s) if s.dropped == 0 && s.errors == 0 => Ok(()),
        Ok(s) => Err(Fail::Run(format!(
            "{} records not written, {} errors",
            s.dropped, s.errors
        ))),
        Err(e) => Err(Fail::Run(e.to_string())),
    }
}
