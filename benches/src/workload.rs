//! The one logging workload every measurement uses, uringlog and peers alike.
//!
//! Each call logs `request id=<id> user=<user> path=<path> status=<status>`
//! (four arguments, about 100 bytes per line once a logger adds its prefix).
//! The `id` makes every line identifiable when the file is read back, and the
//! `path` tells the phases of a run apart (warm-up, throughput, latency).

use uringlog::{Logger, Producer};

/// `path=` of warm-up lines.
pub const PATH_WARMUP: &str = "/warmup/orders";
/// `path=` of the lines that are timed and counted.
pub const PATH_THROUGHPUT: &str = "/api/v1/orders";
/// `path=` of the lines whose latency is taken one call at a time.
pub const PATH_LATENCY: &str = "/latency/orders";
/// What precedes the id in every workload line.
pub const ID_MARKER: &str = "request id=";

/// Target of every uringlog workload record: a short service name, so a
/// line is about 100 bytes (timestamp, level, target, message).
pub const TARGET: &str = "app";

/// Bytes of a uringlog record header in a producer's ring (the framing in
/// the engine's `record` module: len, kind, level, target_len, clock).
pub const RECORD_HEADER_BYTES: usize = 16;

const USERS: [&str; 4] = ["alice", "bob", "carol", "dave"];
const STATUSES: [u32; 4] = [200, 201, 404, 500];

/// The varying arguments of call `id`.
#[inline]
pub fn args(id: u64) -> (&'static str, u32) {
    (USERS[(id & 3) as usize], STATUSES[(id & 3) as usize])
}

/// Logs workload line `$id` of phase `$path` through `$to` (a `Logger` or a
/// `Producer`).
macro_rules! request {
    ($to:expr, $id:expr, $path:expr) => {{
        let (user, status) = args($id);
        uringlog::info!(
            $to,
            target: TARGET,
            "request id={} user={} path={} status={}",
            $id,
            user,
            $path,
            status
        );
    }};
}

/// Logs line `id` through a logger (the thread-local producer).
#[inline]
pub fn log_line(logger: &Logger, id: u64, path: &str) {
    request!(logger, id, path);
}

/// Logs line `id` through an explicit producer.
#[inline]
pub fn log_line_with(producer: &mut Producer, id: u64, path: &str) {
    request!(producer, id, path);
}

/// Bytes one workload record takes in a uringlog ring (header, target and
/// message), for the largest `id` below `max_id`.
pub fn record_bytes(max_id: u64) -> usize {
    let (user, status) = args(max_id);
    let msg = format!(
        "request id={} user={user} path={PATH_THROUGHPUT} status={status}",
        max_id.saturating_sub(1)
    );
    RECORD_HEADER_BYTES + TARGET.len() + msg.len()
}

/// Recognises the workload lines of one phase in a file read back.
#[derive(Debug, Clone)]
pub struct LineMatcher {
    /// `path=<path> status=`: what follows the id in lines of the phase.
    phase: Vec<u8>,
}

impl LineMatcher {
    /// A matcher for the phase whose lines carry `path=<path>`.
    pub fn new(path: &str) -> LineMatcher {
        LineMatcher {
            phase: format!("path={path} status=").into_bytes(),
        }
    }

    /// The id of a workload line and whether it belongs to the phase:
    /// `Some((id, true))` for `… request id=<id> … path=<path> status=…`.
    pub fn parse(&self, line: &[u8]) -> Option<(u64, bool)> {
        let at = find(line, ID_MARKER.as_bytes())?;
        let rest = &line[at + ID_MARKER.len()..];
        let mut id = 0u64;
        let mut digits = 0;
        for &b in rest.iter().take_while(|b| b.is_ascii_digit()) {
            id = id.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            digits += 1;
        }
        if digits == 0 {
            return None;
        }
        Some((id, find(&rest[digits..], &self.phase).is_some()))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(i) = hay[from..].iter().position(|&b| b == first) {
        let at = from + i;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_id_and_phase() {
        let l = b"2026-01-01T00:00:00.000000Z INFO  t: request id=42 user=bob path=/api/v1/orders status=201\n";
        let tp = LineMatcher::new(PATH_THROUGHPUT);
        assert_eq!(tp.parse(l), Some((42, true)));
        assert_eq!(LineMatcher::new(PATH_LATENCY).parse(l), Some((42, false)));
        assert_eq!(tp.parse(b"request id= x"), None);
        assert_eq!(tp.parse(b"no marker"), None);
    }

    #[test]
    fn record_bytes_counts_header_target_and_message() {
        let msg = "request id=999 user=alice path=/api/v1/orders status=200";
        assert_eq!(record_bytes(1000), 16 + "app".len() + msg.len());
    }
}
