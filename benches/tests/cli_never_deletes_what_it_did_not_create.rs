//! The harness's command line misused: `--dir` naming a directory that
//! holds the user's files, or a file; an `--out` that cannot be written;
//! an argument that is not UTF-8; stdout a closed pipe. Each fails with
//! an error naming the cause, before any run, or runs without touching
//! what was there.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_uringlog-bench");

/// Exit status and stderr of a run that wrote nothing to stdout.
fn failed(run: Output) -> (Option<i32>, String) {
    assert_eq!(String::from_utf8_lossy(&run.stdout), "");
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    (run.status.code(), err)
}

/// The names in `dir` and what each file holds.
fn contents(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap_or_default())
        })
        .collect();
    v.sort();
    v
}

/// A one-point sweep of one line: its log files go to a directory of its
/// own inside `--dir`, removed at the end; the user's files stay.
#[test]
fn a_sweep_leaves_the_directory_it_was_given_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mine");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "keep me").unwrap();
    let csv = tmp.path().join("s.csv");
    let run = Command::new(BIN)
        .args(["sweep", "--count", "1", "--rings", "1K", "--batches", "16"])
        .args(["--backends", "pwrite", "--dir"])
        .arg(&dir)
        .arg("--out")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let want = vec![("notes.txt".to_owned(), "keep me".to_owned())];
    assert_eq!(contents(&dir), want);
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 2);
}

#[test]
fn a_dir_that_is_a_file_or_an_out_that_cannot_be_written_stops_before_any_run() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let run = Command::new(BIN)
        .args(["sweep", "--count", "1", "--rings", "1K", "--batches", "16"])
        .args(["--backends", "pwrite", "--dir"])
        .arg(&file)
        .arg("--out")
        .arg(tmp.path().join("s.csv"))
        .output();
    let want = format!(
        "uringlog-bench: --dir {} is not a directory\n",
        file.display()
    );
    assert_eq!(failed(run.unwrap()), (Some(1), want));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");

    // A sweep's CSV that cannot be written: said before its first point.
    let run = Command::new(BIN)
        .args(["sweep", "--count", "1", "--rings", "1K", "--batches", "16"])
        .args(["--backends", "pwrite", "--out"])
        .arg(tmp.path())
        .output();
    let want = format!(
        "uringlog-bench: writing {}: Is a directory (os error 21)\n",
        tmp.path().display()
    );
    assert_eq!(failed(run.unwrap()), (Some(1), want));

    let out = tmp.path().join("missing").join("r.md");
    let run = Command::new(BIN)
        .args(["--quick", "--dir"])
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output();
    let want = format!(
        "uringlog-bench: cannot write {}: No such file or directory (os error 2)\n",
        out.display()
    );
    assert_eq!(failed(run.unwrap()), (Some(1), want));
    let want = vec![("file".to_owned(), "x".to_owned())];
    assert_eq!(contents(tmp.path()), want);
}

#[test]
fn an_argument_that_is_not_utf8_is_an_error() {
    let arg = std::ffi::OsStr::from_bytes(b"d\xff");
    let run = Command::new(BIN).args(["plot", "--dir"]).arg(arg).output();
    let (code, err) = failed(run.unwrap());
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("uringlog-bench: argument \"d\u{fffd}\" is not UTF-8\n\nusage: "),
        "{err}"
    );
}

#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let run = Command::new(BIN).arg("list-peers").stdout(writer).output();
    let want = "uringlog-bench: cannot write to stdout: Broken pipe (os error 32)\n";
    assert_eq!(failed(run.unwrap()), (Some(1), want.to_owned()));
}
