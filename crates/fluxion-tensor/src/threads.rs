//! The CPU thread pool: rayon's global pool runs every parallel CPU loop.
//!
//! A thread outside the pool that starts a parallel loop hands the whole loop to the pool and
//! sleeps until it is done: two thread wake-ups per tensor op, which on a training step of
//! hundreds of short ops costs a fifth of the step (FNO-1d, batch 20: 89 ms/step from `main`,
//! 68–71 ms when `main` is one of the pool's threads; 2-core Xeon, 2026-12-06). A pool thread
//! instead splits the loop with the other threads and works on its own part, as OpenMP's
//! master thread does in PyTorch. [`join_global_pool`] makes the calling thread one of them.

/// Builds rayon's global pool with the calling thread as one of its threads, so that the
/// parallel loops this thread starts run partly on it (see the module docs). The pool has
/// `RAYON_NUM_THREADS` threads when set, else one per available core, the caller included.
///
/// Call it once, first thing, from the thread that will do the work (a binary's `main`, a
/// benchmark's set-up). Work spawned into the pool with `rayon::spawn` is run by this thread
/// only while it waits inside rayon (a `scope`, `join` or parallel loop), so do not block this
/// thread on such work by other means.
///
/// # Errors
/// When the global pool already exists (an earlier call, or any rayon use before this one):
/// nothing changes and loops keep the slower hand-over.
pub fn join_global_pool() -> Result<(), rayon::ThreadPoolBuildError> {
    rayon::ThreadPoolBuilder::new()
        .use_current_thread()
        .build_global()
}

/// Whether the calling thread is one of the global pool's threads.
pub fn in_pool() -> bool {
    rayon::current_thread_index().is_some()
}
