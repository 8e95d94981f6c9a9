//! The machine a report was measured on.

use serde::{Deserialize, Serialize};
use std::fs;
use std::path::Path;

/// What the report's system information section shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemInfo {
    /// `model name` from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// CPUs this process may run on.
    pub cores: usize,
    /// `uname -r`.
    pub kernel: String,
    /// File system of the directory the runs wrote to, from mountinfo.
    pub file_system: String,
    /// Whether an io_uring instance could be set up, and if not why.
    pub io_uring: String,
    /// `kernel.io_uring_disabled`, when the kernel has it.
    pub io_uring_sysctl: String,
    /// rustc that built the harness.
    pub rustc: String,
    /// Cargo profile of the harness build.
    pub profile: String,
}

impl SystemInfo {
    /// Reads everything for runs that write into `dir`.
    pub fn collect(dir: &Path) -> SystemInfo {
        SystemInfo {
            cpu_model: cpu_model(),
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            kernel: read_trim("/proc/sys/kernel/osrelease"),
            file_system: file_system(dir),
            io_uring: probe_io_uring(),
            io_uring_sysctl: read_trim("/proc/sys/kernel/io_uring_disabled"),
            rustc: env!("BENCH_RUSTC_VERSION").to_owned(),
            profile: env!("BENCH_PROFILE").to_owned(),
        }
    }
}

fn read_trim(path: &str) -> String {
    fs::read_to_string(path).map_or_else(|e| format!("unknown ({e})"), |s| s.trim().to_owned())
}

fn cpu_model() -> String {
    let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or_else(|| "unknown".to_owned(), |(_, m)| m.trim().to_owned())
}

/// The type and mount point of the file system holding `dir`: the longest
/// mount point in `/proc/self/mountinfo` that contains it.
pub fn file_system(dir: &Path) -> String {
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut best: Option<(usize, String)> = None;
    for line in info.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let Some(dash) = f.iter().position(|x| *x == "-") else {
            continue;
        };
        let (Some(mount), Some(fstype)) = (f.get(4), f.get(dash + 1)) else {
            continue;
        };
        let mount = mount.replace("\\040", " ");
        if dir.starts_with(&mount) && best.as_ref().map_or(true, |(len, _)| mount.len() >= *len) {
            best = Some((mount.len(), format!("{fstype} (mounted at {mount})")));
        }
    }
    best.map_or_else(|| "unknown".to_owned(), |(_, s)| s)
}

/// Sets up (and closes) a one-entry io_uring instance.
pub fn probe_io_uring() -> String {
    // `struct io_uring_params` is 120 bytes; all zero asks for defaults.
    let mut params = [0u8; 120];
    // SAFETY: io_uring_setup reads and writes exactly one io_uring_params
    // (120 bytes), which `params` provides; it returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 1u32, params.as_mut_ptr()) };
    if fd >= 0 {
        // SAFETY: `fd` was just returned to us and is closed exactly once.
        unsafe { libc::close(fd as i32) };
        return "available (io_uring_setup succeeded)".to_owned();
    }
    let e = std::io::Error::last_os_error();
    let why = match e.raw_os_error() {
        Some(libc::ENOSYS) => "kernel without io_uring, or blocked by seccomp",
        Some(libc::EPERM) => "disabled by kernel.io_uring_disabled or a security policy",
        _ => "io_uring_setup failed",
    };
    format!("unavailable: {why} ({e})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_file_system_is_found() {
        assert_ne!(file_system(Path::new("/")), "unknown");
        assert!(!SystemInfo::collect(Path::new("/")).rustc.is_empty());
    }
}
