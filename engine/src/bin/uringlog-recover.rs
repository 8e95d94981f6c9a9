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
//! Exit status: 0 when done, 1 on bad arguments, 2 when the directory
//! cannot be used (locked by a running process, unreadable) or what it
//! holds cannot be written (the error names the errno; the directory
//! keeps it for the next attempt).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;
use uringlog::{Format, Logger, Sink, Target};

const USAGE: &str = "usage: uringlog-recover DIR [--out FILE] [--json]";

/// Appends each batch to a file or stdout.
struct Out(Option<File>);

impl Sink for Out {
    fn describe(&self) -> String {
        match self.0 {
            Some(_) => "output file".to_owned(),
            None => "stdout".to_owned(),
        }
    }
    fn target(&mut self, _len: usize) -> io::Result<Target> {
        Ok(Target::Inline)
    }
    fn write_inline(&mut self, batch: &[u8]) -> io::Result<()> {
        match &mut self.0 {
            Some(f) => f.write_all(batch),
            None => {
                let mut o = io::stdout().lock();
                o.write_all(batch)?;
                o.flush()
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut dir, mut out, mut json) = (None, None, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => match it.next() {
                Some(f) => out = Some(f.clone()),
                None => return usage("--out needs a file"),
            },
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') => return usage(&format!("unknown option {s}")),
            s if dir.is_none() => dir = Some(s.to_owned()),
            s => return usage(&format!("unexpected argument {s}")),
        }
    }
    let Some(dir) = dir else {
        return usage("DIR is missing");
    };
    if !std::path::Path::new(&dir).is_dir() {
        eprintln!("uringlog-recover: {dir} is not a directory");
        return ExitCode::from(2);
    }
    let file = match out.map(|p| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .map_err(|e| (p, e))
    }) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err((p, e))) => {
            eprintln!("uringlog-recover: cannot open {p}: {e}");
            return ExitCode::from(2);
        }
    };
    let format = if json { Format::json() } else { Format::text() };
    let built = Logger::builder()
        .sink(Out(file))
        .format(format)
        .crash_safe(&dir)
        .build();
    let (logger, guard) = match built {
        Ok(x) => x,
        Err(e) => {
            eprintln!("uringlog-recover: {e}");
            return ExitCode::from(2);
        }
    };
    for note in logger.recent_errors() {
        eprintln!("uringlog-recover: {note}");
    }
    match guard.shutdown(Duration::from_secs(60)) {
        Ok(s) if s.dropped == 0 && s.errors == 0 => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!(
                "uringlog-recover: {} records not written, {} errors",
                s.dropped, s.errors
            );
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("uringlog-recover: {e}");
            ExitCode::from(2)
        }
    }
}

fn usage(why: &str) -> ExitCode {
    eprintln!("uringlog-recover: {why}\n{USAGE}");
    ExitCode::from(1)
}
