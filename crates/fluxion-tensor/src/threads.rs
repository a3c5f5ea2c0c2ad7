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
/// benchmark's set-up). This thread runs pool work only while it is inside rayon (a `scope`,
/// `join` or parallel loop); work that other threads hand to the pool is run by the pool's
/// other threads meanwhile. With a one-thread pool (`RAYON_NUM_THREADS=1`, or one core) there
/// would be no other thread, and a caller blocked on another thread's parallel loop by other
/// means (a channel, a join handle) would wait forever; so then the pool is built without the
/// caller, which has nothing to share anyway.
///
/// # Errors
/// When the global pool already exists (an earlier call, or any rayon use before this one):
/// nothing changes and loops keep the slower hand-over.
pub fn join_global_pool() -> Result<(), rayon::ThreadPoolBuildError> {
    let builder = rayon::ThreadPoolBuilder::new();
    if pool_size() > 1 {
        builder.use_current_thread().build_global()
    } else {
        builder.build_global()
    }
}

/// The thread count rayon's builder will choose: `RAYON_NUM_THREADS` when set to a positive
/// number, else the available parallelism.
fn pool_size() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Whether the calling thread is one of the global pool's threads.
pub fn in_pool() -> bool {
    rayon::current_thread_index().is_some()
}
