//! `StderrSink` and `StdoutSink` in a child process whose stream is a raw
//! pseudo-terminal or a pipe: the level is coloured (exact SGR bytes) on a
//! terminal under `ColorChoice::Auto`, not through a pipe, not with
//! `NO_COLOR` or `TERM=dumb`; `Always` and `Never` override all of it; a
//! file sink of the same logger never gets escape codes.

use std::process::{Command, Stdio};
use std::time::Duration;
use uringlog::{Format, Logger, Timestamp};
use uringlog_sinks::{ColorChoice, FileSink, StderrSink, StdoutSink};
use uringlog_tests::pty::{drain, raw_pty};

const CHILD: &str = "URINGLOG_CONSOLE_CHILD";
const FILE: &str = "URINGLOG_CONSOLE_FILE";

const COLOURED: &[u8] =
    b"\x1b[31mERROR\x1b[0m t: m\n\x1b[33mWARN\x1b[0m  t: m\n\x1b[32mINFO\x1b[0m  t: \"m\" k=1\n";
const PLAIN: &[u8] = b"ERROR t: m\nWARN  t: m\nINFO  t: \"m\" k=1\n";

/// In the child: log three records to the sink `CHILD` names
/// (`stderr:auto`, `stdout:never`, …), plus a file sink if `FILE` is set.
fn child(spec: &str) {
    let (stream, choice) = spec.split_once(':').unwrap();
    let choice = match choice {
        "auto" => ColorChoice::Auto,
        "always" => ColorChoice::Always,
        "never" => ColorChoice::Never,
        other => panic!("unknown choice {other}"),
    };
    let mut b = Logger::builder().format(Format::text().timestamp(Timestamp::Off));
    b = match stream {
        "stderr" => b.sink(StderrSink::new().color(choice)),
        _ => b.sink(StdoutSink::new().color(choice)),
    };
    if let Some(path) = std::env::var_os(FILE) {
        b = b.sink(FileSink::new(path).unwrap());
    }
    let (logger, guard) = b.build().unwrap();
    uringlog::error!(logger, target: "t", "m");
    uringlog::warn!(logger, target: "t", "m");
    uringlog::info!(logger, target: "t", k = 1; "m");
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (3, 0, 0));
}

/// Where the child's stream goes.
#[derive(Clone, Copy, Debug)]
enum To {
    Terminal,
    Pipe,
}

/// Runs test `name` again as a child logging as `spec` says, its stream
/// (stderr or stdout) on `to`, with `env` set (`None`: removed) over a
/// colour-friendly default; returns what the stream received.
fn run(
    name: &str,
    spec: &str,
    to: To,
    env: &[(&str, Option<&str>)],
    file: Option<&std::path::Path>,
) -> Vec<u8> {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([name, "--exact", "--test-threads=1", "--color=never"])
        .env(CHILD, spec)
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    if let Some(f) = file {
        cmd.env(FILE, f);
    }
    let on_stdout = spec.starts_with("stdout");
    let terminal = match to {
        To::Terminal => {
            let (master, slave) = raw_pty();
            let slave = Stdio::from(slave);
            if on_stdout {
                cmd.stdout(slave)
            } else {
                cmd.stderr(slave)
            };
            Some(drain(master))
        }
        To::Pipe => None,
    };
    let child = cmd.spawn().unwrap();
    drop(cmd); // the parent's copy of the slave: EIO comes once the child's closes
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "child {spec} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{report}");
    match terminal {
        Some(reader) => reader.join().unwrap(),
        None if on_stdout => out.stdout,
        None => out.stderr,
    }
}

fn in_child() -> Option<String> {
    std::env::var(CHILD).ok()
}

#[test]
fn stderr_on_a_terminal_is_coloured_and_the_file_is_not() {
    if let Some(spec) = in_child() {
        return child(&spec);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let name = "stderr_on_a_terminal_is_coloured_and_the_file_is_not";
    assert_eq!(
        run(name, "stderr:auto", To::Terminal, &[], Some(&path)),
        COLOURED
    );
    assert_eq!(std::fs::read(&path).unwrap(), PLAIN);
}

/// Environment changes over the default (`None`: removed).
type Env = &'static [(&'static str, Option<&'static str>)];

/// Runs each `(spec, to, env, want)` in a child of test `name` and checks
/// the stream got exactly `want`; in the child, logs instead.
fn check(name: &str, cases: &[(&str, To, Env, &[u8])]) {
    if let Some(spec) = in_child() {
        return child(&spec);
    }
    for (spec, to, env, want) in cases {
        let got = run(name, spec, *to, env, None);
        assert_eq!(
            got,
            *want,
            "{spec} {env:?}: {}",
            String::from_utf8_lossy(&got)
        );
    }
}

#[test]
fn stderr_through_a_pipe_is_plain_unless_always() {
    check(
        "stderr_through_a_pipe_is_plain_unless_always",
        &[
            ("stderr:auto", To::Pipe, &[], PLAIN),
            ("stderr:always", To::Pipe, &[], COLOURED),
        ],
    );
}

#[test]
fn no_color_and_dumb_terminals_turn_auto_off() {
    check(
        "no_color_and_dumb_terminals_turn_auto_off",
        &[
            (
                "stderr:auto",
                To::Terminal,
                &[("NO_COLOR", Some("1"))],
                PLAIN,
            ),
            (
                "stderr:auto",
                To::Terminal,
                &[("TERM", Some("dumb"))],
                PLAIN,
            ),
            // An empty NO_COLOR does not count (no-color.org); no TERM is fine.
            (
                "stderr:auto",
                To::Terminal,
                &[("NO_COLOR", Some("")), ("TERM", None)],
                COLOURED,
            ),
        ],
    );
}

#[test]
fn always_and_never_override_the_terminal_and_no_color() {
    check(
        "always_and_never_override_the_terminal_and_no_color",
        &[
            (
                "stderr:always",
                To::Terminal,
                &[("NO_COLOR", Some("1"))],
                COLOURED,
            ),
            ("stderr:never", To::Terminal, &[], PLAIN),
        ],
    );
}

#[test]
fn stdout_on_a_terminal_is_coloured_too() {
    if let Some(spec) = in_child() {
        return child(&spec);
    }
    let name = "stdout_on_a_terminal_is_coloured_too";
    // The child's test harness prints its own lines on stdout too, so the
    // records are looked for among them.
    for (spec, want) in [("stdout:auto", COLOURED), ("stdout:never", PLAIN)] {
        let got = run(name, spec, To::Terminal, &[], None);
        let text = String::from_utf8_lossy(&got);
        assert!(got.windows(want.len()).any(|w| w == want), "{spec}: {text}");
        assert_eq!(got.contains(&0x1b), want == COLOURED, "{spec}: {text}");
    }
}
