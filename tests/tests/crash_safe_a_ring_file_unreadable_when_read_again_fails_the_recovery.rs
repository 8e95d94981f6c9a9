//! Crash-safe recovery of more records than it keeps in memory reads the
//! ring files a second time while it writes. A ring file that is refused
//! at that second read (here: replaced by a file of a newer layout, as a
//! file it cannot read or of another process is refused) fails the
//! build naming it, and the directory keeps everything for the next
//! start, which writes each record once. The refusal was dropped: the
//! build succeeded without the file's records and removed the file.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use uringlog::{Backend, Logger};
use uringlog_sinks::FileSink;
use uringlog_tests::crash_child::{
    assert_every_held_record_recovered, kill_child, log_held_then_die, plain, recover_plain, Hook,
};

const CHILD: &str = "URINGLOG_RING_REFUSED_WHEN_READ_AGAIN_CHILD";
const THREADS: u64 = 2;
/// Records each thread logs: together far more than recovery keeps.
const RECORDS: u64 = 20_000;

/// Set before the child logs: its writer commits nothing.
static HOLD: AtomicBool = AtomicBool::new(true);

fn child(dir: &str, _log: &str) -> ! {
    log_held_then_die(dir, &HOLD, 1 << 22, THREADS, RECORDS)
}

fn ring_files(dir: &Path) -> Vec<PathBuf> {
    let mut rings: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("ring-")
        })
        .collect();
    rings.sort();
    rings
}

#[test]
fn crash_safe_a_ring_file_unreadable_when_read_again_fails_the_recovery() {
    let dead = kill_child(
        "crash_safe_a_ring_file_unreadable_when_read_again_fails_the_recovery",
        CHILD,
        child,
    );
    let rings = ring_files(&dead.dir);
    assert_eq!(rings.len(), THREADS as usize);
    let saved = dead.tmp.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    // A ring file's head as a newer build writes it: magic, version 99.
    let mut newer = b"ULOGRNG\x01".to_vec();
    newer.extend_from_slice(&99u32.to_le_bytes());
    newer.resize(4096, 0);
    // At the first batch, while the first ring is written, every ring
    // file is moved away and a newer build's file put in its place.
    let (dir, keep, newer_file) = (dead.dir.clone(), saved.clone(), newer.clone());
    let mut swapped = false;
    let hook = Hook::new(move |_| {
        if !std::mem::replace(&mut swapped, true) {
            for r in ring_files(&dir) {
                std::fs::rename(&r, keep.join(r.file_name().unwrap())).unwrap();
                std::fs::write(&r, &newer_file).unwrap();
            }
        }
    });
    let built = Logger::builder()
        .sink(hook)
        .sink(FileSink::new(&dead.log).unwrap())
        .format(plain())
        .backend(Backend::Pwrite)
        .crash_safe(&dead.dir)
        .build();
    let err = match built {
        Ok(_) => panic!(
            "the recovery succeeded without the records of a ring file it could not read again (file there: {})",
            rings[1].exists()
        ),
        Err(e) => e.to_string(),
    };
    let second = rings[1].display().to_string();
    assert!(
        err.contains(&format!("{second} was written by a newer uringlog")),
        "{err}"
    );
    assert!(
        err.ends_with("the directory keeps them for the next start"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&rings[1]).unwrap(),
        newer,
        "the refused file is left as it is"
    );
    // The ring files back as they were: the next start writes each record once.
    for r in &rings {
        std::fs::rename(saved.join(r.file_name().unwrap()), r).unwrap();
    }
    let stats = recover_plain(&dead.dir, &dead.log);
    assert_every_held_record_recovered(&stats, &dead.log, THREADS, RECORDS);
}
