//! A small HTTP service for the real-service benchmark
//! (`scripts/service_bench.sh`): every request is handled inside a
//! `request` span and logs one `tracing::info!` with three fields.
//!
//! Usage: `http_service <mode> <port> <log dir>`, mode one of
//! - `none`: no subscriber (the cost of the service alone);
//! - `appender`: `tracing_subscriber::fmt` + `tracing_appender::non_blocking`
//!   over `tracing_appender::rolling::never` (lossless, as tracing-appender
//!   documents for no loss);
//! - `writer`: the same fmt subscriber, writer swapped for
//!   `uringlog::tracing::make_writer` (the one-line change);
//! - `layer`: a registry with `uringlog::tracing::layer`.
//!
//! uringlog runs with its defaults and a `FileSink`. The service serves
//! HTTP/1.1 on 127.0.0.1 with one tokio worker thread until SIGTERM or
//! SIGINT, then shuts its logger down and prints
//! `requests=<n> lines_written=<n> dropped=<n> cpu_ns_per_request=<n>` on
//! stderr: the process's CPU time (user + system, every thread: the
//! service, the logging threads) per request, which the machine's other
//! load disturbs far less than requests/s.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tracing::Instrument as _;
use tracing_subscriber::prelude::*;

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// What the process holds until it exits: the logger's guard, if any.
enum Logging {
    None,
    Appender(tracing_appender::non_blocking::WorkerGuard),
    Uringlog(uringlog::Logger, uringlog::WriterGuard),
}

fn install(mode: &str, dir: &std::path::Path) -> Result<Logging, String> {
    let file = dir.join("service.log");
    let uringlog = || -> Result<(uringlog::Logger, uringlog::WriterGuard), String> {
        let sink = uringlog_sinks::FileSink::new(&file).map_err(|e| e.to_string())?;
        uringlog::Logger::builder()
            .sink(sink)
            .build()
            .map_err(|e| e.to_string())
    };
    let fmt = tracing_subscriber::fmt().with_ansi(false);
    match mode {
        "none" => Ok(Logging::None),
        "appender" => {
            let (nb, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                .lossy(false)
                .finish(tracing_appender::rolling::never(dir, "service.log"));
            fmt.with_writer(nb).init();
            Ok(Logging::Appender(guard))
        }
        "writer" => {
            let (logger, guard) = uringlog()?;
            fmt.with_writer(uringlog::tracing::make_writer(&logger))
                .init();
            Ok(Logging::Uringlog(logger, guard))
        }
        "layer" => {
            let (logger, guard) = uringlog()?;
            tracing_subscriber::registry()
                .with(uringlog::tracing::layer(&logger))
                .init();
            Ok(Logging::Uringlog(logger, guard))
        }
        other => Err(format!(
            "unknown mode {other:?}: none|appender|writer|layer"
        )),
    }
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let span = tracing::info_span!("request", method = %req.method(), path = %req.uri().path());
    async move {
        let body = Bytes::from_static(b"ok\n");
        tracing::info!(status = 200u16, bytes = body.len(), request = n, "handled");
        Ok(Response::new(Full::new(body)))
    }
    .instrument(span)
    .await
}

async fn serve(port: u16) -> Result<(), String> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("binding 127.0.0.1:{port}: {e}"))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => accepted.map_err(|e| e.to_string())?,
            _ = term.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let io = hyper_util::rt::TokioIo::new(stream);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(handle);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, port, dir] = args.as_slice() else {
        eprintln!("usage: http_service none|appender|writer|layer <port> <log dir>");
        return std::process::ExitCode::from(2);
    };
    let run = || -> Result<(), String> {
        let port: u16 = port.parse().map_err(|e| format!("port {port:?}: {e}"))?;
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let logging = install(mode, &dir)?;
        let cpu_at_start = cpu_ns();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(serve(port))?;
        let requests = REQUESTS.load(Ordering::Relaxed);
        let (written, dropped) = match logging {
            Logging::None => (0, 0),
            Logging::Appender(guard) => {
                drop(guard); // flushes (bounded by tracing-appender)
                (count_lines(&dir.join("service.log")), 0)
            }
            Logging::Uringlog(logger, guard) => {
                drop(logger);
                let s = guard.shutdown(std::time::Duration::from_secs(30));
                let s = s.map_err(|e| e.to_string())?;
                (s.written, s.dropped)
            }
        };
        let cpu = cpu_ns().saturating_sub(cpu_at_start) / requests.max(1);
        eprintln!(
            "requests={requests} lines_written={written} dropped={dropped} cpu_ns_per_request={cpu}"
        );
        Ok(())
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_service: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn count_lines(path: &std::path::Path) -> u64 {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count() as u64)
        .unwrap_or(0)
}

/// CPU time of the whole process so far (user + system), ns.
fn cpu_ns() -> u64 {
    // SAFETY: `getrusage` only writes the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a `rusage`; RUSAGE_SELF cannot fail.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    ns(ru.ru_utime) + ns(ru.ru_stime)
}
