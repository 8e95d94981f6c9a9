//! The uringlog benchmark harness: `cargo run --release -p uringlog-bench`.
//!
//! It reproduces every table of the performance report uringlog started
//! from (throughput async vs sync, latency, memory, batch sizes,
//! backpressure policies, a verification checklist, targets, system
//! information) and runs the peers side by side, each measurement in a child
//! process of its own, and writes `PERFORMANCE_REPORT.md`.
//!
//! Every figure is computed from the run: counters after shutdown, the log
//! files read back line by line, the peak resident memory of each child. Nothing in a
//! report is assumed.

pub mod backpressure;
pub mod checklist;
pub mod cli;
pub mod config;
pub mod crash_safe_ab;
pub mod delivery;
pub mod job;
pub mod latency;
pub mod machine_load;
pub mod measure;
pub mod network;
pub mod null_sink;
pub mod peer_loggers;
pub mod peer_runs;
pub mod peers;
pub mod plan;
pub mod plot;
pub mod render;
pub mod report;
pub mod rounds;
pub mod suite;
pub mod sweep;
pub mod sysinfo;
pub mod targets;
pub mod threads;
pub mod throughput;
pub mod timer;
pub mod verify;
pub mod work_dir;
pub mod workload;
