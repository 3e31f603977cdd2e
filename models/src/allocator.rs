//! Keeps freed memory in the process for reuse, which makes CPU training about a quarter faster.
//!
//! A training step allocates and frees tensors of several MiB hundreds of times. glibc's malloc
//! serves such blocks with fresh `mmap` pages and returns them on free (its threshold adapts only
//! up to 32 MiB), and it trims the heap top when more than 128 KiB are free. Every new page then
//! costs a page fault and the kernel zeroing it: profiling a T5 v1.1 small step with perf showed
//! about a third of the time in `clear_page_erms` and the fault path. Serving blocks up to 32 MiB
//! from the heap and never trimming it lets freed blocks be reused. Resident memory then stays
//! at the run's peak instead of falling between steps; the peak itself does not grow.

/// Applies the settings. Call it first thing in `main`, before threads start; it does nothing
/// where the C library is not glibc.
pub fn retain_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // 32 MiB is the largest mmap threshold glibc accepts on 64-bit targets (mallopt(3)).
        const MMAP_THRESHOLD: libc::c_int = 32 << 20;
        // SAFETY: mallopt only changes malloc's tuning parameters; called before other threads
        // exist, it races with no allocation.
        let applied = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 && libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX) == 1 };
        if !applied {
            tracing::debug!("mallopt rejected the allocator settings; freed memory is returned as before");
        }
    }
}
