//! `scripts/service_bench.sh` and `scripts/tune.sh` misused: bad or too
//! many arguments stop with a usage line and exit status 2 before anything
//! is built, installed or measured; `--help` prints the usage; a sweep in
//! which no configuration ran is an error that says so. The tools
//! they would call (`cargo`, `wrk`, `apt-get`) are stubs here that record
//! each call, so nothing runs for real even where a check is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory of stubs for the tools the scripts call, each appending its
/// name to `calls` and failing.
fn stubs(tmp: &Path) -> PathBuf {
    let bin = tmp.join("bin");
    std::fs::create_dir(&bin).unwrap();
    for tool in ["cargo", "wrk", "apt-get"] {
        let path = bin.join(tool);
        let body = format!(
            "#!/bin/sh\necho {tool} >> '{}'\nexit 1\n",
            tmp.join("calls").display()
        );
        std::fs::write(&path, body).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// Runs `script` with `args` from a fresh directory, the stubs first on
/// the PATH: exit status, stdout, stderr, and the tools it called.
fn run(script: &str, args: &[&str]) -> (Option<i32>, String, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let bin = stubs(tmp.path());
    let work = tmp.path().join("cwd");
    std::fs::create_dir(&work).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts")
        .join(script);
    let out = Command::new(&script)
        .args(args)
        .current_dir(&work)
        .env("PATH", path)
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(tmp.path().join("calls")).unwrap_or_default();
    // Nothing was written where it ran.
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr),
        calls,
    )
}

const SERVICE_USAGE: &str = "usage: scripts/service_bench.sh [seconds per run (10)] \
                             [rounds (3)] [connections (32)]\n";

#[test]
fn service_bench_checks_its_numbers_before_building() {
    for (args, why) in [
        (
            &["ten"][..],
            "seconds per run must be a whole number above 0, not \"ten\"",
        ),
        (
            &["10", "0"][..],
            "rounds must be a whole number above 0, not \"0\"",
        ),
        (
            &["10", "3", "-5"][..],
            "connections must be a whole number above 0, not \"-5\"",
        ),
        (&["1", "2", "3", "4"][..], "at most 3 arguments, got 4"),
    ] {
        let want = format!("service_bench.sh: {why}\n{SERVICE_USAGE}");
        let got = run("service_bench.sh", args);
        assert_eq!(
            got,
            (Some(2), String::new(), want, String::new()),
            "{args:?}"
        );
    }
    let got = run("service_bench.sh", &["--help"]);
    assert_eq!(
        got,
        (
            Some(0),
            SERVICE_USAGE.to_owned(),
            String::new(),
            String::new()
        )
    );
}

#[test]
fn tune_prints_its_usage_without_building() {
    let (code, out, err, calls) = run("tune.sh", &["--help"]);
    assert_eq!((code, err.as_str(), calls.as_str()), (Some(0), "", ""));
    assert!(
        out.starts_with("usage: scripts/tune.sh [sweep options]\n"),
        "{out}"
    );
}

/// The sweep (a stub writing one failed point) ran nothing: said, and
/// exit status 1, not a silent stop after the table's heading.
#[test]
fn tune_says_when_no_configuration_ran() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = stubs(tmp.path());
    let cargo = "#!/bin/sh\nwhile [ \"$1\" != --out ]; do shift; done\n\
                 printf 'ring_capacity,batch_size,backend,depth,count,lines_per_sec,status\\n\
                 1024,16,pwrite,-,1,0,child failed\\n' > \"$2\"\n";
    std::fs::write(bin.join("cargo"), cargo).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/tune.sh");
    let out = Command::new(&script)
        .current_dir(tmp.path())
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "tune.sh: no configuration ran; see the status column of bench-results/sweep.csv\n"
    );
}
