//! StreamSink on a non-blocking 4 KiB pipe drained slowly by a reader:
//! batches far larger than the pipe go through in pieces, in order, whole.

use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::time::Duration;
use uringlog::{Format, Logger, Timestamp};
use uringlog_sinks::StreamSink;

const RECORDS: usize = 5_000;

#[test]
fn stream_sink_waits_out_a_full_pipe() {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes; fcntl
    // takes integer arguments only.
    let (r, w) = unsafe {
        assert_eq!(
            libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK),
            0
        );
        libc::fcntl(fds[1], libc::F_SETPIPE_SZ, 4096);
        libc::fcntl(fds[0], libc::F_SETFL, 0);
        (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
    };
    let reader = std::thread::spawn(move || {
        let mut r = r;
        let mut out = Vec::new();
        let mut chunk = [0u8; 512];
        loop {
            match r.read(&mut chunk).unwrap() {
                0 => return out,
                n => out.extend_from_slice(&chunk[..n]),
            }
            std::thread::yield_now();
        }
    });
    let (logger, guard) = Logger::builder()
        .sink(StreamSink::new(w, "pipe"))
        .format(Format::text().timestamp(Timestamp::Off))
        .build()
        .unwrap();
    for i in 0..RECORDS {
        uringlog::info!(logger, target: "p", "line {i:05} of a batch much larger than the pipe");
    }
    let s = guard.shutdown(Duration::from_secs(30)).unwrap();
    assert_eq!((s.written, s.dropped, s.errors), (RECORDS as u64, 0, 0));
    let text = String::from_utf8(reader.join().unwrap()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), RECORDS);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(
            *l,
            format!("INFO  p: line {i:05} of a batch much larger than the pipe")
        );
    }
}
