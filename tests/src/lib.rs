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

/// Whether io_uring works here; prints why the test is skipped when not.
pub fn io_uring_available(test: &str) -> bool {
    let (sink, _) = uringlog::MemorySink::new();
    match uringlog::Logger::builder()
        .sink(sink)
        .backend(uringlog::Backend::IoUring)
        .build()
    {
        Ok((_logger, guard)) => guard.shutdown(std::time::Duration::from_secs(5)).is_ok(),
        Err(e) => {
            eprintln!("skipping {test}: {e}");
            false
        }
    }
}
