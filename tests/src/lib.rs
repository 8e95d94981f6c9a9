//! Shared helpers for the integration tests.

use std::collections::HashMap;

/// Parses lines of the form `... t=<thread> seq=<n>` into per-thread sequences.
pub fn sequences(lines: &[String]) -> HashMap<u64, Vec<u64>> {
    let mut m: HashMap<u64, Vec<u64>> = HashMap::new();
    for l in lines {
        let t = field(l, "t=");
        let s = field(l, "seq=");
        if let (Some(t), Some(s)) = (t, s) {
            m.entry(t).or_default().push(s);
        }
    }
    m
}

/// The number after `key` in `line`.
pub fn field(line: &str, key: &str) -> Option<u64> {
    let i = line.find(key)? + key.len();
    let rest = &line[i..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Whether `v` is strictly increasing.
pub fn strictly_increasing(v: &[u64]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

/// A fresh temporary directory and a log path inside it.
pub fn temp_log(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    (dir, path)
}

/// The lines of a file, without newlines.
pub fn read_lines(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A generous timeout for shutdown in tests (never reached unless broken).
pub const SHUTDOWN: std::time::Duration = std::time::Duration::from_secs(60);
