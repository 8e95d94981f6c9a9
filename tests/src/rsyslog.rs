//! A real rsyslogd for the syslog tests: its own directory, free loopback
//! ports for imtcp and imrelp, one output file, nothing of the system's.
//!
//! rsyslogd runs in the foreground (`-n`) with its own config (`-f`) and
//! pid file (`-i`); it loads no local input (no `/dev/log`), keeps its
//! work files in the temporary directory and writes every message it
//! receives to `out.log` as `PRI TIMESTAMP HOST APP PROCID MSGID SD MSG`.
//! The ruleset's queue is direct, so a message is in the file before its
//! RELP acknowledgement leaves: killing rsyslogd loses nothing it acked.
//!
//! Starting one first makes sure Debian's `rsyslog` and `rsyslog-relp` are
//! installed, installing them when it can (see [`install`]), or fails
//! naming what is missing.

pub mod install;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The line layout of `out.log`.
const TEMPLATE: &str = "%pri% %timereported:::date-rfc3339% %hostname% %app-name% %procid% %msgid% %structured-data% %msg%\\n";

/// One rsyslogd and its files.
pub struct Rsyslog {
    dir: tempfile::TempDir,
    child: Option<Child>,
    /// The imtcp port.
    pub tcp_port: u16,
    /// The imrelp port.
    pub relp_port: u16,
}

/// A loopback address that refuses connections for as long as this
/// process lives: a socket bound to it, never listening and never closed,
/// keeps its port from any other `bind` of port 0 (a port let go could be
/// handed to the next one: a "dead" address alive under another test's
/// listener, or two dead addresses one). `SO_REUSEADDR` lets a test
/// listen on it later.
pub fn refusing_addr() -> std::net::SocketAddr {
    // SAFETY: plain socket calls on a descriptor this function owns, with
    // a `sockaddr_in` and its size; the descriptor is kept on purpose.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
        let on: libc::c_int = 1;
        let on_ptr = std::ptr::addr_of!(on).cast();
        let on_len = std::mem::size_of_val(&on) as libc::socklen_t;
        let set = libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, on_ptr, on_len);
        assert_eq!(set, 0, "SO_REUSEADDR: {}", std::io::Error::last_os_error());
        let mut a: libc::sockaddr_in = std::mem::zeroed();
        a.sin_family = libc::AF_INET as libc::sa_family_t;
        a.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let mut len = std::mem::size_of_val(&a) as libc::socklen_t;
        let ptr = std::ptr::addr_of_mut!(a).cast::<libc::sockaddr>();
        let bound = libc::bind(fd, ptr, len);
        assert_eq!(bound, 0, "bind: {}", std::io::Error::last_os_error());
        let got = libc::getsockname(fd, ptr, &mut len);
        assert_eq!(got, 0, "getsockname: {}", std::io::Error::last_os_error());
        std::net::SocketAddr::from(([127, 0, 0, 1], u16::from_be(a.sin_port)))
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    l.local_addr().expect("its address").port()
}

impl Rsyslog {
    /// Writes the config for two fresh ports; rsyslogd is not started.
    pub fn configure() -> Rsyslog {
        let dir = tempfile::tempdir().expect("temp dir");
        let r = Rsyslog {
            dir,
            child: None,
            tcp_port: free_port(),
            relp_port: free_port(),
        };
        let d = r.dir.path().display();
        let conf = format!(
            "global(workDirectory=\"{d}\" maxMessageSize=\"64k\")\n\
             module(load=\"imtcp\")\n\
             module(load=\"imrelp\")\n\
             template(name=\"t\" type=\"string\" string=\"{TEMPLATE}\")\n\
             ruleset(name=\"in\" queue.type=\"Direct\") {{\n\
               action(type=\"omfile\" file=\"{d}/out.log\" template=\"t\" flushOnTXEnd=\"on\" asyncWriting=\"off\")\n\
             }}\n\
             input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{}\" ruleset=\"in\")\n\
             input(type=\"imrelp\" address=\"127.0.0.1\" port=\"{}\" ruleset=\"in\")\n",
            r.tcp_port, r.relp_port
        );
        std::fs::write(r.dir.path().join("rsyslog.conf"), conf).expect("config written");
        r
    }

    /// Configures and starts rsyslogd; returns once both ports accept.
    pub fn start() -> Rsyslog {
        let mut r = Rsyslog::configure();
        r.launch();
        r
    }

    /// [`Rsyslog::start`] that says why it could not, instead of panicking.
    pub fn try_start() -> Result<Rsyslog, String> {
        let mut r = Rsyslog::configure();
        r.try_launch()?;
        Ok(r)
    }

    /// Starts (or restarts) rsyslogd on the configured ports.
    pub fn launch(&mut self) {
        if let Err(e) = self.try_launch() {
            panic!("{e}");
        }
    }

    /// [`Rsyslog::launch`] that says why it could not.
    pub fn try_launch(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "rsyslogd is already running");
        install::ensure_installed()?;
        let dir = self.dir.path();
        let _ = std::fs::remove_file(dir.join("rsyslogd.pid"));
        let log = std::fs::File::create(dir.join("rsyslogd.stderr")).map_err(|e| e.to_string())?;
        let child = Command::new(rsyslogd())
            .arg("-n")
            .arg("-f")
            .arg(dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start {} ({e}); it comes with Debian's rsyslog and rsyslog-relp",
                    rsyslogd().display()
                )
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        for port in [self.tcp_port, self.relp_port] {
            while TcpStream::connect(("127.0.0.1", port)).is_err() {
                let exited = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                if let Some(status) = exited {
                    self.child = None;
                    return Err(format!("rsyslogd exited with {status}: {}", self.stderr()));
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "rsyslogd did not listen on {port}: {}",
                        self.stderr()
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }

    /// Kills rsyslogd with SIGKILL and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// What rsyslogd printed on stderr.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("rsyslogd.stderr")).unwrap_or_default()
    }

    /// The output file.
    pub fn out_path(&self) -> PathBuf {
        self.dir.path().join("out.log")
    }

    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        match std::fs::read_to_string(self.out_path()) {
            Ok(s) => s.lines().map(str::to_owned).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Waits until `done` holds for the lines written, at most `timeout`
    /// (a bound for a broken run, never a measurement); returns them.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let lines = self.lines();
            if done(&lines) || Instant::now() >= deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The rsyslogd binary: `RSYSLOGD` if set, else the Debian path, else `PATH`.
pub fn rsyslogd() -> PathBuf {
    if let Some(p) = std::env::var_os("RSYSLOGD") {
        return p.into();
    }
    let debian = PathBuf::from("/usr/sbin/rsyslogd");
    if debian.exists() {
        debian
    } else {
        PathBuf::from("rsyslogd")
    }
}

/// The fields of an `out.log` line: PRI, TIMESTAMP, HOSTNAME, APP-NAME,
/// PROCID, MSGID, then structured data and message as one string.
pub fn split_line(line: &str) -> (Vec<&str>, &str) {
    let mut parts = line.splitn(7, ' ');
    let head: Vec<&str> = parts.by_ref().take(6).collect();
    (head, parts.next().unwrap_or(""))
}

/// Logs `per_thread` records `t=<thread> seq=<n>` from each of `threads`
/// threads, with the sequence number also as a field.
pub fn log_sequences(logger: &uringlog::Logger, threads: u64, per_thread: u64) {
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for n in 0..per_thread {
                    uringlog::info!(logger, n = n; "t={t} seq={n}");
                }
            });
        }
    });
}

/// Checks that `lines` hold every `t=<thread> seq=<n>` record of
/// [`log_sequences`] exactly once and in order per thread.
pub fn assert_each_once_in_order(lines: &[String], threads: u64, per_thread: u64) {
    let seqs = crate::sequences(lines);
    assert_eq!(seqs.len() as u64, threads, "threads seen");
    for (t, v) in &seqs {
        let want: Vec<u64> = (0..per_thread).collect();
        assert_eq!(
            v, &want,
            "thread {t}: records missing, repeated or out of order"
        );
    }
    assert_eq!(lines.len() as u64, threads * per_thread);
}

/// Which input of the receiver a test's sink talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// imtcp, octet counting.
    Tcp,
    /// imrelp.
    Relp,
}

impl Rsyslog {
    /// A sink to this receiver through `via` that retries quickly (10 ms
    /// doubling to 50 ms) and gives up a flush after `flush_ms`.
    pub fn sink(&self, via: Via, flush_ms: u64) -> uringlog_sinks::SyslogSink {
        let sink = match via {
            Via::Tcp => uringlog_sinks::SyslogSink::tcp(("127.0.0.1", self.tcp_port)),
            Via::Relp => uringlog_sinks::SyslogSink::relp(("127.0.0.1", self.relp_port)),
        };
        sink.expect("a loopback address")
            .flush_timeout(Duration::from_millis(flush_ms))
            .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(50))
            .expect("valid delays")
    }
}

/// A logger with `sink` alone and `policy`.
pub fn logger(
    sink: impl uringlog::Sink,
    policy: uringlog::Policy,
) -> (uringlog::Logger, uringlog::WriterGuard) {
    uringlog::Logger::builder()
        .sink(sink)
        .policy(policy)
        .build()
        .expect("a valid logger")
}

/// Asserts that `logger.flush()` gives up with `last` as its last error.
pub fn assert_flush_fails_with(logger: &uringlog::Logger, last: &str) {
    match logger.flush() {
        Err(uringlog::FlushError::Io { last: got, .. }) => assert_eq!(got, last),
        other => panic!("{other:?}"),
    }
}

/// Logs `seq=<n>` for `n` in `0..count` from the calling thread.
pub fn log_seqs(logger: &uringlog::Logger, count: u64) {
    for n in 0..count {
        uringlog::info!(logger, "seq={n}");
    }
}

/// Splits a TCP stream into the messages of its RFC 6587 octet-counted
/// frames, as a receiver does (independently of the sink's own code);
/// panics on a byte outside a whole frame.
pub fn octet_counted(mut bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let at = bytes.len();
        let space = bytes.iter().position(|&b| b == b' ');
        let len = space
            .filter(|&n| (1..=9).contains(&n))
            .and_then(|n| std::str::from_utf8(&bytes[..n]).ok())
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<usize>().ok());
        let len = len.unwrap_or_else(|| panic!("no MSG-LEN {at} bytes before the end"));
        let frame = bytes[space.unwrap_or(0) + 1..].split_at_checked(len);
        let (msg, rest) =
            frame.unwrap_or_else(|| panic!("a frame {at} bytes before the end is cut short"));
        out.push(String::from_utf8(msg.to_vec()).expect("UTF-8"));
        bytes = rest;
    }
    out
}
