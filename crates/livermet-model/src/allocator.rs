//! glibc allocator tuning for training, for a program's `main` to call first.
//!
//! Training allocates and frees feature maps of tens of MB every step. glibc serves blocks
//! above its mmap threshold with fresh mappings and unmaps them on free: page faults, zeroed
//! pages and TLB-shootdown interrupts that `perf` showed taking ~10% of a training step on
//! 2 cores. Raising the threshold to glibc's maximum (32 MiB) and not trimming the heap keeps
//! freed blocks for reuse (bench/RESULTS.md, "allocator").

/// Keeps freed blocks for reuse (see the module). Call it once, before other threads start;
/// it does nothing outside glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn keep_freed_memory() {
    // SAFETY: mallopt only changes allocator parameters; called once, single-threaded.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// Keeps freed blocks for reuse on glibc; nothing to do elsewhere.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn keep_freed_memory() {}
