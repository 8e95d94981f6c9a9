//! The peer's name, resolved again when its addresses stop answering.
//!
//! A peer given as a host name (`"logs.example:514"`, `("logs.example",
//! 514)`) keeps its name: when every address it resolved to has failed
//! since the last resolution, the link resolves the name again before its
//! next attempt (with one address, before each attempt after a failure, as
//! rsyslog's omfwd does), so an aggregator that moved (its name now naming
//! another address) is reached without a restart. A peer given as
//! addresses (a `SocketAddr`, a list) has no name and keeps its addresses.
//!
//! Resolving (`getaddrinfo`) blocks, for seconds when DNS does not answer
//! (or for ever), so it runs on a thread of its own; the link polls for
//! the answer and the writer is never held. The link waits for it as long
//! as one connect attempt may take (the connect timeout), then tries its
//! known addresses meanwhile, with its usual backoff, and takes the answer
//! when it comes (at its next turn: it no longer wakes to look for it).
//! One resolver runs at a time: the name is not resolved again while a
//! resolver of it still runs. An answer that comes after
//! the link connected meanwhile is dropped (a known address works), and a
//! link closed meanwhile (shutdown) drops the answer unread. An answer is
//! cut to its first [`MAX_ADDRS`] distinct addresses, on the resolver's
//! thread.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

/// Resolves a `host:port` name to addresses.
pub(crate) type ResolveFn = dyn Fn(&str) -> io::Result<Vec<SocketAddr>> + Send + Sync;

/// The system's resolver (`getaddrinfo`, through `ToSocketAddrs`).
pub(crate) fn system() -> Arc<ResolveFn> {
    Arc::new(|name: &str| name.to_socket_addrs().map(Iterator::collect))
}

/// Most addresses of a peer kept: the first of a longer answer (a
/// hostile or broken DNS server, a hosts file of thousands of lines), so
/// a round of attempts before the next resolution stays bounded.
pub(crate) const MAX_ADDRS: usize = 64;

/// The first [`MAX_ADDRS`] of `addrs` without repeats, in their order
/// (linear in the addresses looked at).
pub(crate) fn distinct(addrs: impl IntoIterator<Item = SocketAddr>) -> Vec<SocketAddr> {
    let mut seen = HashSet::new();
    (addrs.into_iter())
        .filter(|a| seen.insert(*a))
        .take(MAX_ADDRS)
        .collect()
}

/// The `host:port` name of a peer shown (`Debug`) as `shown`, when it was
/// given as a host name and port: `"host:port"` or `("host", port)`. Not
/// for addresses (`127.0.0.1:514`, `[::1]:514`, `(::1, 514)`) and lists.
pub(crate) fn name_of(shown: &str) -> Option<String> {
    let (host, port) = match shown.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
        Some(pair) => {
            let (host, port) = pair.rsplit_once(", ")?;
            (host.trim_matches('"'), port)
        }
        None => shown.rsplit_once(':')?,
    };
    let port: u16 = port.parse().ok()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_';
    let is_name = !host.is_empty() && host.chars().all(plain) && host.parse::<IpAddr>().is_err();
    is_name.then(|| format!("{host}:{port}"))
}

/// A peer's name and how to resolve it.
#[derive(Clone)]
pub(crate) struct Name {
    text: String,
    resolve: Arc<ResolveFn>,
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Name {
    pub(crate) fn new(text: String, resolve: Arc<ResolveFn>) -> Name {
        Name { text, resolve }
    }

    /// Starts resolving the name on a thread of its own, `now`.
    pub(crate) fn start(&self, now: Instant) -> io::Result<Pending> {
        let (tx, rx) = mpsc::channel();
        let (text, resolve) = (self.text.clone(), self.resolve.clone());
        std::thread::Builder::new()
            .name("uringlog-resolve".into())
            .spawn(move || {
                // Cut here, not on the writer's thread that polls for it.
                // The link may be gone (closed): the answer goes unread.
                let _ = tx.send(resolve(&text).map(distinct));
            })?;
        Ok(Pending {
            rx,
            since: now,
            overdue: false,
            needed: true,
        })
    }
}

/// A resolution in progress.
#[derive(Debug)]
pub(crate) struct Pending {
    rx: mpsc::Receiver<io::Result<Vec<SocketAddr>>>,
    /// When the resolver started.
    pub(crate) since: Instant,
    /// The link stopped waiting for the answer and tries its known
    /// addresses meanwhile (it said so once).
    pub(crate) overdue: bool,
    /// The link wants the answer: false once it connected meanwhile,
    /// true again when it needs the name resolved again.
    pub(crate) needed: bool,
}

impl Pending {
    /// The answer, once there is one: the addresses, without repeats and
    /// cut to [`MAX_ADDRS`] (perhaps none), or why there are none.
    pub(crate) fn poll(&self) -> Option<io::Result<Vec<SocketAddr>>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => Some(Err(io::Error::other(
                "the resolver ended without an answer",
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kept_and_addresses_are_not() {
        let shown = |a: &dyn fmt::Debug| format!("{a:?}").trim_matches('"').to_owned();
        let name = |a: &dyn fmt::Debug| name_of(&shown(a));
        assert_eq!(name(&"logs.example:514"), Some("logs.example:514".into()));
        assert_eq!(
            name(&("logs.example", 514)),
            Some("logs.example:514".into())
        );
        let owned = (String::from("logs"), 6514u16);
        assert_eq!(name(&owned), Some("logs:6514".into()));
        let v4: SocketAddr = "127.0.0.1:514".parse().unwrap();
        let v6: SocketAddr = "[::1]:514".parse().unwrap();
        assert_eq!(name(&v4), None);
        assert_eq!(name(&v6), None);
        assert_eq!(name(&"127.0.0.1:514"), None);
        assert_eq!(name(&("127.0.0.1", 514)), None);
        assert_eq!(name(&(v6.ip(), 514)), None);
        assert_eq!(name(&&[v4, v6][..]), None);
        assert_eq!(name(&"logs.example"), None, "no port");
        assert_eq!(name(&"logs.example:x"), None, "no port");
        assert_eq!(name(&":514"), None, "no host");
    }

    /// The answer of a resolver `resolve` of `logs:514` started now.
    fn answer(resolve: Arc<ResolveFn>) -> io::Result<Vec<SocketAddr>> {
        let p = Name::new("logs:514".into(), resolve)
            .start(Instant::now())
            .unwrap();
        loop {
            if let Some(r) = p.poll() {
                return r;
            }
            std::thread::yield_now();
        }
    }

    #[test]
    fn an_answer_comes_without_repeats() {
        let a: SocketAddr = "10.0.0.1:514".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:514".parse().unwrap();
        let resolve: Arc<ResolveFn> = Arc::new(move |n: &str| {
            assert_eq!(n, "logs:514");
            Ok(vec![a, b, a])
        });
        assert_eq!(answer(resolve).unwrap(), [a, b]);
    }

    /// An answer of thousands of addresses (a hostile DNS server, a hosts
    /// file of thousands of lines) is cut to the first [`MAX_ADDRS`]
    /// distinct ones on the resolver's thread: the link (on the writer's
    /// thread) gets a short list, and a round of attempts stays bounded.
    #[test]
    fn a_huge_answer_is_cut_to_the_first_distinct_addresses() {
        let many: Vec<SocketAddr> = (0..3 * 2_000u32)
            .map(|i| SocketAddr::from(((i % 2_000 + (10 << 24)).to_be_bytes(), 514)))
            .collect();
        let want: Vec<SocketAddr> = many[..MAX_ADDRS].to_vec();
        let got = answer(Arc::new(move |_: &str| Ok(many.clone()))).unwrap();
        assert_eq!(got.len(), MAX_ADDRS, "cut to the first distinct ones");
        assert_eq!(got, want);
    }

    #[test]
    fn a_resolver_that_panics_is_an_error() {
        let e = answer(Arc::new(|_: &str| panic!("resolver broke"))).unwrap_err();
        assert_eq!(e.to_string(), "the resolver ended without an answer");
    }
}
