//! Makes sure rsyslogd and its RELP input are installed before a syslog
//! test starts one, so `cargo test --workspace` works on a fresh Debian
//! machine with nothing installed by hand.
//!
//! - `RSYSLOGD` set: that binary is used as it is; nothing is checked.
//! - Debian's `rsyslog` and `rsyslog-relp` installed (`dpkg-query`): done.
//! - Missing, as root with `apt-get`: `apt-get update` then `apt-get
//!   install` of the missing packages, quietly. Test processes that start
//!   together (cargo runs test binaries one after another, but several
//!   checkouts may test at once) take turns through an exclusive `flock`
//!   on a file in the temporary directory, and look again once they hold
//!   it; `apt-get` also waits for dpkg's own lock.
//! - Missing otherwise: an error naming the missing packages and how to
//!   install them. A syslog test never skips and passes.
//!
//! The check runs once per process.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The Debian packages the syslog tests need: rsyslogd with imtcp and
/// omfile, and imrelp.
pub const PACKAGES: [&str; 2] = ["rsyslog", "rsyslog-relp"];

/// How long `apt-get` waits for dpkg's lock when another install runs.
const DPKG_LOCK_TIMEOUT_S: u32 = 300;

/// What to do about the packages that are missing.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan {
    /// Nothing is missing.
    Ready,
    /// Install these with apt-get.
    Install(Vec<String>),
}

/// Decides from what is missing and what this process may do: install
/// when it can, else an error naming the packages.
pub fn plan(missing: &[String], root: bool, apt: bool) -> Result<Plan, String> {
    if missing.is_empty() {
        return Ok(Plan::Ready);
    }
    let list = missing.join(" ");
    let why = match (root, apt) {
        (true, true) => return Ok(Plan::Install(missing.to_vec())),
        (false, _) => "the tests are not running as root",
        (true, false) => "apt-get was not found",
    };
    Err(format!(
        "the syslog tests need rsyslogd with imtcp and imrelp; missing Debian \
         packages: {list}; {why}, so they cannot install them: run \
         `apt-get install {list}` as root (or set RSYSLOGD to an rsyslogd \
         that has imtcp and imrelp)"
    ))
}

/// Installs rsyslog and rsyslog-relp if they are missing and this process
/// can; the error says what is missing and why it could not. Once per process.
pub fn ensure_installed() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(check_and_install).clone()
}

fn check_and_install() -> Result<(), String> {
    if std::env::var_os("RSYSLOGD").is_some() {
        return Ok(());
    }
    if !on_path("dpkg-query") {
        // Not Debian: rsyslogd must be there already; its own start-up
        // error names a missing module.
        return match super::rsyslogd().exists() || on_path("rsyslogd") {
            true => Ok(()),
            false => Err(format!(
                "the syslog tests need rsyslogd with imtcp and imrelp and found none \
                 (this is not Debian, so they cannot install {}): install it or set RSYSLOGD",
                PACKAGES.join(" ")
            )),
        };
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let Plan::Install(_) = plan(&missing(), root, on_path("apt-get"))? else {
        return Ok(());
    };
    let _turn = InstallLock::take()?;
    // Another process may have installed them while this one waited.
    let Plan::Install(missing) = plan(&missing(), root, true)? else {
        return Ok(());
    };
    eprintln!("syslog tests: installing {}", missing.join(" "));
    apt_get(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(missing.iter().map(String::as_str));
    apt_get(&install)?;
    let still = self::missing();
    if !still.is_empty() {
        return Err(format!(
            "apt-get install {} succeeded but {} still missing",
            missing.join(" "),
            still.join(" ")
        ));
    }
    Ok(())
}

/// The packages of [`PACKAGES`] that dpkg does not list as installed.
fn missing() -> Vec<String> {
    let installed = |pkg: &str| {
        Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", pkg])
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).ends_with("install ok installed"))
    };
    (PACKAGES.iter())
        .filter(|p| !installed(p))
        .map(|p| p.to_string())
        .collect()
}

/// Runs `apt-get` quietly and non-interactively; the error holds what it said.
fn apt_get(args: &[&str]) -> Result<(), String> {
    let lock = format!("DPkg::Lock::Timeout={DPKG_LOCK_TIMEOUT_S}");
    let out = Command::new("apt-get")
        .args(["-o", &lock])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = said.lines().rev().take(5).collect();
    Err(format!(
        "apt-get {} failed ({}) while installing what the syslog tests need ({}): {}",
        args.join(" "),
        out.status,
        PACKAGES.join(" "),
        tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
    ))
}

/// Whether `program` is an executable file in a `PATH` directory.
fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|d| {
        std::fs::metadata(d.join(program))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// An exclusive `flock` held while one process installs; released on drop
/// (and by the kernel if the process dies).
struct InstallLock(File);

impl InstallLock {
    fn take() -> Result<InstallLock, String> {
        let path = std::env::temp_dir().join("uringlog-tests-rsyslog-install.lock");
        let f = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        loop {
            // SAFETY: `f` is an open descriptor for the duration of the call.
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(InstallLock(f));
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(format!("cannot lock {}: {e}", path.display()));
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        // SAFETY: the descriptor is open; unlocking cannot harm anything.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_missing_is_ready() {
        assert_eq!(plan(&[], false, false), Ok(Plan::Ready));
    }

    #[test]
    fn root_with_apt_installs_what_is_missing() {
        let missing = vec!["rsyslog-relp".to_owned()];
        assert_eq!(plan(&missing, true, true), Ok(Plan::Install(missing)));
    }

    #[test]
    fn otherwise_the_error_names_the_packages_and_the_reason() {
        let missing = vec!["rsyslog".to_owned(), "rsyslog-relp".to_owned()];
        let e = plan(&missing, false, true).unwrap_err();
        assert!(
            e.contains("missing Debian packages: rsyslog rsyslog-relp;")
                && e.contains("not running as root")
                && e.contains("`apt-get install rsyslog rsyslog-relp`"),
            "{e}"
        );
        let e = plan(&missing, true, false).unwrap_err();
        assert!(e.contains("apt-get was not found"), "{e}");
    }

    #[test]
    fn this_machine_has_them_or_gets_them() {
        // What every syslog test relies on: never a silent skip.
        ensure_installed().unwrap();
        assert!(super::super::rsyslogd().exists() || on_path("rsyslogd"));
    }
}
