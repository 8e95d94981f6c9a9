//! Command-line parsing for the harness binary.

use crate::config::Route;
use crate::report::{ReportOptions, DATA_DIR, SWEEP_CSV};
use crate::sweep::{parse_list, SweepOptions};
use crate::timer::TimerChoice;
use std::path::PathBuf;

/// Usage text.
pub const USAGE: &str = "\
usage: uringlog-bench [report] [--quick] [--peers | --no-peers] [--out FILE] [--keep] [--dir DIR]
       uringlog-bench peer NAME [--count N] [--dir DIR] [--keep] [--timer auto|instant]
       uringlog-bench sweep [--out FILE] [--count N] [--reps N] [--rings LIST] [--batches LIST]
                            [--backends LIST] [--depths LIST] [--dir DIR]
       uringlog-bench delivery [--quick] [--dir DIR] [--keep]
       uringlog-bench plot [--dir DIR]
       uringlog-bench network [--records N] [--rounds N] [--dir DIR]
       uringlog-bench crash-safe-ab [--pairs N] [--count N] [--control] [--dir DIR] [--keep]
       uringlog-bench list-peers

report      every table of the seed report plus the peers; writes PERFORMANCE_REPORT.md
            (--out to change), charts and raw results in bench-results/ beside it.
            --quick: small runs, no peers (a smoke test). --keep: keep the log files.
peer        one logger of the peer comparison, in this process (see list-peers); --timer
            instant times its calls with `Instant` even where the TSC is used
sweep       ring capacity x batch size x backend, as CSV (default bench-results/sweep.csv);
            LIST is comma-separated, K and M suffixes allowed; backends: pwrite,io_uring,auto
crash-safe-ab  only section 9's crash-safe pairs: uringlog and uringlog-crash-safe
            alternately, N pairs (default 6) of N lines (default 1M); prints the table.
            --control: after each pair a control pair, the normal mode on both sides
delivery    only the delivery table of the report (log call to line readable in the file)
plot        draws bench-results/*.png from the CSVs in DIR (default bench-results)
network     section 10 alone: syslog over TCP and RELP to a local rsyslogd (installed from
            rsyslog and rsyslog-relp) against its raw intake and the file sink, and the
            caller's latency with the receiver down; prints the section's markdown
--dir DIR   where log files go: a fresh directory inside DIR when DIR exists (removed at
            the end unless --keep; nothing else in DIR is touched), else DIR, created";

/// What the binary was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// The report.
    Report(ReportOptions),
    /// One peer in this process.
    Peer {
        /// Peer name.
        name: String,
        /// Lines in the throughput phase.
        count: u64,
        /// Directory for its files.
        dir: Option<PathBuf>,
        /// Keep its files.
        keep: bool,
        /// The latency phase's timer.
        timer: TimerChoice,
    },
    /// The tuning sweep.
    Sweep(SweepOptions),
    /// Only the delivery table.
    Delivery {
        /// The smoke test's sizes.
        quick: bool,
        /// Directory for the log files (default: a fresh temp directory).
        dir: Option<PathBuf>,
        /// Keep the log files.
        keep: bool,
    },
    /// Charts from CSVs in a directory.
    Plot(PathBuf),
    /// Print the peer names.
    ListPeers,
    /// Only the crash-safe pairs of section 9.
    CrashSafeAb {
        /// Pairs.
        pairs: usize,
        /// Lines in each throughput phase.
        count: u64,
        /// Directory for the log files (default: a fresh temp directory).
        dir: Option<PathBuf>,
        /// Keep the log files.
        keep: bool,
        /// A control pair (normal on both sides) after each pair.
        control: bool,
    },
    /// Section 10 alone.
    Network {
        /// Records per measurement.
        records: u64,
        /// Interleaved rounds.
        rounds: usize,
        /// Directory for the file sink's files.
        dir: Option<PathBuf>,
    },
    /// Internal: run one job (JSON) and print its outcome.
    Child(String),
    /// Print usage.
    Help,
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let (sub, rest) = match args.first().map(String::as_str) {
        Some(s) if !s.starts_with("--") => (s, &args[1..]),
        _ => ("report", args),
    };
    match sub {
        "report" => report(rest),
        "peer" => peer(rest),
        "sweep" => sweep(rest),
        "plot" => {
            let mut dir = PathBuf::from(DATA_DIR);
            let mut it = Flags::new(rest);
            while let Some(f) = it.next_flag()? {
                match f {
                    "--dir" => dir = it.value(f)?.into(),
                    _ => return Err(format!("unknown option {f}")),
                }
            }
            Ok(Command::Plot(dir))
        }
        "delivery" => delivery(rest),
        "list-peers" => Ok(Command::ListPeers),
        "crash-safe-ab" => crash_safe_ab(rest),
        "network" => network(rest),
        crate::job::CHILD_SUBCOMMAND => match rest {
            [json] => Ok(Command::Child(json.clone())),
            _ => Err("child takes one JSON argument".to_owned()),
        },
        "help" | "-h" => Ok(Command::Help),
        other => Err(format!("unknown subcommand {other:?}")),
    }
}

fn report(args: &[String]) -> Result<Command, String> {
    let mut o = ReportOptions {
        quick: false,
        peers: None,
        out: PathBuf::from("PERFORMANCE_REPORT.md"),
        keep: false,
        dir: None,
        command: command_line(),
    };
    let mut it = Flags::new(args);
    while let Some(f) = it.next_flag()? {
        match f {
            "--quick" => o.quick = true,
            "--peers" => o.peers = Some(true),
            "--no-peers" => o.peers = Some(false),
            "--keep" => o.keep = true,
            "--out" => o.out = it.value(f)?.into(),
            "--dir" => o.dir = Some(it.value(f)?.into()),
            "--help" => return Ok(Command::Help),
            _ => return Err(format!("unknown option {f}")),
        }
    }
    Ok(Command::Report(o))
}

fn network(args: &[String]) -> Result<Command, String> {
    let (mut records, mut rounds, mut dir) = (200_000, 5, None);
    let mut it = Flags::new(args);
    while let Some(f) = it.next_flag()? {
        match f {
            "--records" => records = number(f, it.value(f)?)?,
            "--rounds" => rounds = number(f, it.value(f)?)? as usize,
            "--dir" => dir = Some(it.value(f)?.into()),
            _ => return Err(format!("unknown option {f}")),
        }
    }
    Ok(Command::Network {
        records,
        rounds,
        dir,
    })
}

fn peer(args: &[String]) -> Result<Command, String> {
    let Some((name, rest)) = args.split_first() else {
        return Err("peer needs a NAME (see list-peers)".to_owned());
    };
    let (mut count, mut dir, mut keep) = (1_000_000, None, false);
    let mut timer = TimerChoice::Auto;
    let mut it = Flags::new(rest);
    while let Some(f) = it.next_flag()? {
        match f {
            "--count" => count = number(f, it.value(f)?)?,
            "--dir" => dir = Some(it.value(f)?.into()),
            "--keep" => keep = true,
            "--timer" => {
                timer = match it.value(f)? {
                    "auto" => TimerChoice::Auto,
                    "instant" => TimerChoice::Instant,
                    other => return Err(format!("--timer takes auto or instant, got {other:?}")),
                }
            }
            _ => return Err(format!("unknown option {f}")),
        }
    }
    Ok(Command::Peer {
        name: name.clone(),
        count,
        dir,
        keep,
        timer,
    })
}

fn crash_safe_ab(args: &[String]) -> Result<Command, String> {
    let (mut pairs, mut count) = (crate::crash_safe_ab::PAIRS, 1_000_000);
    let (mut dir, mut keep, mut control) = (None, false, false);
    let mut it = Flags::new(args);
    while let Some(f) = it.next_flag()? {
        match f {
            "--control" => control = true,
            "--pairs" => pairs = number(f, it.value(f)?)? as usize,
            "--count" => count = number(f, it.value(f)?)?,
            "--dir" => dir = Some(it.value(f)?.into()),
            "--keep" => keep = true,
            _ => return Err(format!("unknown option {f}")),
        }
    }
    Ok(Command::CrashSafeAb {
        pairs,
        count,
        dir,
        keep,
        control,
    })
}

fn delivery(args: &[String]) -> Result<Command, String> {
    let (mut quick, mut dir, mut keep) = (false, None, false);
    let mut it = Flags::new(args);
    while let Some(f) = it.next_flag()? {
        match f {
            "--quick" => quick = true,
            "--dir" => dir = Some(it.value(f)?.into()),
            "--keep" => keep = true,
            _ => return Err(format!("unknown option {f}")),
        }
    }
    Ok(Command::Delivery { quick, dir, keep })
}

fn sweep(args: &[String]) -> Result<Command, String> {
    let mut o = SweepOptions {
        out: PathBuf::from(DATA_DIR).join(SWEEP_CSV),
        count: 1_000_000,
        reps: 1,
        rings: parse_list("64K,256K,1M,4M")?,
        batches: parse_list("16,128,1024,8192")?,
        routes: vec![Route::AsyncPwrite, Route::AsyncIoUring],
        depths: Vec::new(),
        dir: None,
    };
    let mut it = Flags::new(args);
    while let Some(f) = it.next_flag()? {
        let v = it.value(f)?;
        match f {
            "--out" => o.out = v.into(),
            "--count" => o.count = number(f, v)?,
            "--reps" => o.reps = number(f, v)? as usize,
            "--rings" => o.rings = parse_list(v)?,
            "--batches" => o.batches = parse_list(v)?,
            "--backends" => o.routes = v.split(',').map(route).collect::<Result<_, _>>()?,
            "--depths" => o.depths = parse_list(v)?.into_iter().map(|d| d as u32).collect(),
            "--dir" => o.dir = Some(v.into()),
            _ => return Err(format!("unknown option {f}")),
        }
    }
    Ok(Command::Sweep(o))
}

fn route(s: &str) -> Result<Route, String> {
    match s.trim() {
        "pwrite" => Ok(Route::AsyncPwrite),
        "io_uring" | "iouring" => Ok(Route::AsyncIoUring),
        "auto" => Ok(Route::AsyncAuto),
        other => Err(format!(
            "unknown backend {other:?}: pwrite, io_uring or auto"
        )),
    }
}

/// A count: a whole number above 0 (`_` may group digits).
fn number(flag: &str, v: &str) -> Result<u64, String> {
    match v.replace('_', "").parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} needs a whole number above 0, got {v:?}")),
    }
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut s = "cargo run --release -p uringlog-bench".to_owned();
    if !args.is_empty() {
        s.push_str(" -- ");
        s.push_str(&args.join(" "));
    }
    s
}

/// Walks `--flag [value]` arguments.
struct Flags<'a> {
    args: &'a [String],
    at: usize,
}

impl<'a> Flags<'a> {
    fn new(args: &'a [String]) -> Flags<'a> {
        Flags { args, at: 0 }
    }

    fn next_flag(&mut self) -> Result<Option<&'a str>, String> {
        let Some(a) = self.args.get(self.at) else {
            return Ok(None);
        };
        self.at += 1;
        if a.starts_with("--") {
            Ok(Some(a.as_str()))
        } else {
            Err(format!("unexpected argument {a:?}"))
        }
    }

    fn value(&mut self, flag: &str) -> Result<&'a str, String> {
        let v = self
            .args
            .get(self.at)
            .ok_or_else(|| format!("{flag} needs a value"))?;
        self.at += 1;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn report_is_the_default_subcommand() {
        let Command::Report(o) = parse(&args("--quick --out r.md")).unwrap() else {
            panic!("not a report");
        };
        assert!(o.quick && o.peers.is_none());
        assert_eq!(o.out, PathBuf::from("r.md"));
        assert_eq!(
            parse(&args("--bogus")).unwrap_err(),
            "unknown option --bogus"
        );
        assert_eq!(parse(&args("--out")).unwrap_err(), "--out needs a value");
    }

    #[test]
    fn sweep_lists_and_backends() {
        let Command::Sweep(o) = parse(&args("sweep --rings 1K,2K --backends pwrite,auto")).unwrap()
        else {
            panic!("not a sweep");
        };
        assert_eq!(o.rings, vec![1024, 2048]);
        assert_eq!(o.routes, vec![Route::AsyncPwrite, Route::AsyncAuto]);
        assert!(parse(&args("sweep --backends nope"))
            .unwrap_err()
            .contains("unknown backend"));
    }

    #[test]
    fn counts_are_whole_numbers_above_0() {
        let err = |a: &str| parse(&args(a)).unwrap_err();
        assert_eq!(
            err("sweep --count 0"),
            "--count needs a whole number above 0, got \"0\""
        );
        assert_eq!(
            err("network --rounds -1"),
            "--rounds needs a whole number above 0, got \"-1\""
        );
        assert_eq!(
            err("crash-safe-ab --pairs x"),
            "--pairs needs a whole number above 0, got \"x\""
        );
        assert!(matches!(
            parse(&args("sweep --count 1_000 --reps 2")),
            Ok(Command::Sweep(SweepOptions {
                count: 1000,
                reps: 2,
                ..
            }))
        ));
    }

    #[test]
    fn crash_safe_pairs_take_a_control() {
        let ab = |control| Command::CrashSafeAb {
            pairs: 3,
            count: 1_000_000,
            dir: None,
            keep: false,
            control,
        };
        assert_eq!(parse(&args("crash-safe-ab --pairs 3")).unwrap(), ab(false));
        assert_eq!(
            parse(&args("crash-safe-ab --control --pairs 3")).unwrap(),
            ab(true)
        );
    }
}
