//! The batch defaults as the README and the builder's rustdoc state them
//! are the constants the builder uses: `batch_bytes` in KiB, the line
//! length above which `batch_bytes` closes a batch before `batch_size`
//! records do (`DEFAULT_BATCH_BYTES / DEFAULT_BATCH_SIZE`), and the lines
//! of ~100 bytes a default batch holds, to the hundred.

use uringlog::{DEFAULT_BATCH_BYTES, DEFAULT_BATCH_SIZE};

/// A file of the workspace, read as text.
fn workspace_file(path: &str) -> String {
    let at = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read_to_string(&at).unwrap_or_else(|e| panic!("{}: {e}", at.display()))
}

/// The number (digits and commas) that follows each `before` in `text`.
fn numbers_after(text: &str, before: &str) -> Vec<usize> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices(before) {
        let rest = &text[at + before.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ','))
            .unwrap_or(rest.len());
        let n = rest[..end].replace(',', "");
        found.push(
            n.parse()
                .unwrap_or_else(|_| panic!("no number after {before:?}: {rest:.40}")),
        );
    }
    found
}

/// Every `batch_bytes` row of a defaults table (`row_start`): its default
/// in KiB, and the line length it names.
fn table_rows(text: &str, row_start: &str) -> Vec<(usize, usize)> {
    (text.lines())
        .filter(|l| l.contains(row_start))
        .map(|row| {
            let kib = numbers_after(row, &format!("{row_start} "));
            let longer = numbers_after(row, "with lines of more than ");
            assert_eq!((kib.len(), longer.len()), (1, 1), "{row}");
            (kib[0], longer[0])
        })
        .collect()
}

#[test]
fn the_documented_batch_defaults_are_the_constants() {
    let longer = DEFAULT_BATCH_BYTES / DEFAULT_BATCH_SIZE;
    let kib = DEFAULT_BATCH_BYTES / 1024;
    let readme = workspace_file("README.md");
    assert_eq!(table_rows(&readme, "| `batch_bytes` |"), [(kib, longer)]);
    let builder = workspace_file("engine/src/builder.rs");
    let row = "| [`batch_bytes`](Builder::batch_bytes) |";
    assert_eq!(table_rows(&builder, row), [(kib, longer)]);
    // `DEFAULT_BATCH_SIZE`'s doc: "lines of more than N bytes reach".
    assert_eq!(
        numbers_after(&builder, "only: lines of more than "),
        [longer]
    );
    // `DEFAULT_BATCH_BYTES`'s doc: "about N lines of ~100 bytes".
    let hundreds = (DEFAULT_BATCH_BYTES / 100 + 50) / 100 * 100;
    assert_eq!(
        numbers_after(&builder, "bytes that close a batch, about "),
        [hundreds]
    );
}
