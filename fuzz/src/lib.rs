//! What every fuzz target shares: a scratch folder for the input files (the readers take
//! paths), and an allocator that aborts on any single allocation larger than the input can
//! justify, so "allocates what a header claims, not what the file holds" is a crash AFL keeps.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Largest single allocation allowed for the current input (bytes).
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// Deflate inflates at most ~1032:1, and a voxel becomes one f32 (4 bytes) or, inside the DICOM
/// decoder, one f64: an allocation above `BASE + PER_BYTE * input length` is one the file
/// cannot justify.
const BASE: usize = 16 << 20;
const PER_BYTE: usize = 1032 * 8;

/// The system allocator, refusing (by aborting) single allocations over [`LIMIT`].
pub struct CappedAlloc;

// SAFETY: forwards to `System`; only adds a size check before it.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CappedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

fn check(size: usize) {
    if size > LIMIT.load(Ordering::Relaxed) {
        // No allocation may happen here: write the message with a fixed buffer, then abort.
        let msg = b"livermet-fuzz: allocation beyond what the input justifies\n";
        let _ = std::io::Write::write_all(&mut std::io::stderr(), msg);
        std::process::abort();
    }
}

/// Sets the allocation cap for an input of `len` bytes.
pub fn cap_for(len: usize) {
    LIMIT.store(
        BASE.saturating_add(PER_BYTE.saturating_mul(len)),
        Ordering::Relaxed,
    );
}

/// A scratch folder of this process (under $TMPDIR; bench/fuzz.sh points it at /dev/shm).
pub fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("livermet-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("scratch file");
    p
}

/// The separator of the DICOM target's input: the files of one series, one after another.
pub const FILE_SEPARATOR: &[u8] = b"\n--livermet-next-file--\n";

/// Splits a DICOM-target input into its files (at most 8).
pub fn split_files(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < 7 {
        match rest
            .windows(FILE_SEPARATOR.len())
            .position(|w| w == FILE_SEPARATOR)
        {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + FILE_SEPARATOR.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}
