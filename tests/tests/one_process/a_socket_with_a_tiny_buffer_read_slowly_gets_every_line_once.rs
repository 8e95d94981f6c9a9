//! A `StreamSink` on a stream socket whose buffers are as small as the
//! kernel allows (both ends of a Unix socket; the sending end over TCP
//! loopback, where a tiny receive window would only add delayed-ACK
//! stalls), read a little at a time by a slow reader: the kernel takes
//! each batch in many short writes (and `EAGAIN` on a non-blocking socket;
//! seen with strace: 202 `pwritev2`, 88 of them `EAGAIN`, for 8 runs). With both
//! backends, blocking and non-blocking, the reader gets exactly the bytes
//! of every record once, whole and in order, `bytes_written` is what it
//! read, and no error is counted. (Pipes: `stream_sink_waits_out_a_full_pipe.rs`.)

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use uringlog::{Backend, Format, Logger, Timestamp};
use uringlog_sinks::StreamSink;
use uringlog_tests::SHUTDOWN;

const RECORDS: u64 = 3_000;

fn line(seq: u64) -> String {
    format!("INFO  seq={seq} {}", "s".repeat((seq * 13 % 90) as usize))
}

/// Shrinks both buffers of `fd` to the kernel's minimum; with `nonblocking`
/// writes that find no room fail with `EAGAIN`.
fn tiny(fd: &impl AsRawFd, nonblocking: bool) {
    for opt in [libc::SO_SNDBUF, libc::SO_RCVBUF] {
        let one: libc::c_int = 1;
        // SAFETY: `one` is a valid c_int for the option's length.
        let r = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                opt,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0, "{}", std::io::Error::last_os_error());
    }
    if nonblocking {
        // SAFETY: fcntl on an open descriptor with integer arguments.
        unsafe {
            let fl = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
            assert_eq!(
                libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK),
                0
            );
        }
    }
}

/// A connected pair: the logger's end (as a descriptor) and the reader's.
fn pair(tcp: bool) -> (OwnedFd, Box<dyn Read + Send>) {
    if tcp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let out = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (inp, _) = listener.accept().unwrap();
        (OwnedFd::from(out), Box::new(inp))
    } else {
        let (out, inp) = UnixStream::pair().unwrap();
        tiny(&inp, false);
        (OwnedFd::from(out), Box::new(inp))
    }
}

fn scenario(backend: Backend, tcp: bool, nonblocking: bool) {
    let what = format!("{backend:?}, tcp {tcp}, non-blocking {nonblocking}");
    let (out, mut inp) = pair(tcp);
    tiny(&out, nonblocking);
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut chunk = [0u8; 97];
        let mut reads = 0u64;
        loop {
            match inp.read(&mut chunk).unwrap() {
                0 => return got,
                n => got.extend_from_slice(&chunk[..n]),
            }
            reads += 1;
            if reads % 64 == 0 {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
    });
    let (logger, guard) = Logger::builder()
        .sink(StreamSink::new(out, "socket"))
        .format(Format::text().timestamp(Timestamp::Off).without_target())
        .backend(backend)
        .batch_bytes(16 * 1024)
        .build()
        .unwrap();
    for seq in 0..RECORDS {
        uringlog::info!(
            logger,
            "seq={} {}",
            seq,
            "s".repeat((seq * 13 % 90) as usize)
        );
    }
    let s = guard.shutdown(SHUTDOWN).unwrap();
    drop(logger);
    let got = reader.join().unwrap();
    let expected: String = (0..RECORDS).map(|i| line(i) + "\n").collect();
    assert_eq!(
        (s.enqueued, s.written, s.dropped, s.errors),
        (RECORDS, RECORDS, 0, 0),
        "{what}: {s:?}"
    );
    assert_eq!(s.bytes_written, got.len() as u64, "{what}");
    assert!(
        got == expected.as_bytes(),
        "{what}: the reader got other bytes (first difference at {:?})",
        got.iter()
            .zip(expected.as_bytes())
            .position(|(a, b)| a != b)
    );
}

#[test]
fn a_socket_with_a_tiny_buffer_read_slowly_gets_every_line_once() {
    for backend in
        uringlog_tests::backends("a_socket_with_a_tiny_buffer_read_slowly_gets_every_line_once")
    {
        for tcp in [false, true] {
            for nonblocking in [false, true] {
                scenario(backend, tcp, nonblocking);
            }
        }
    }
}
