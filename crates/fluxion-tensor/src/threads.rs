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

/// Keeps the global pool's other threads awake and looking for work for `linger` after this
/// call, so that the next parallel region starts at once instead of after a wake-up.
///
/// rayon puts an idle thread to sleep after a few dozen rounds without work, and waking it
/// again takes the kernel (and, in a VM, the hypervisor) about 80–100 µs on the 2-core Xeon
/// this was measured on (`rayon::join` of two 100 µs halves: 114 µs with the second thread
/// awake, 180–195 µs after it slept). A loop whose parallel regions are shorter than that —
/// a PINN epoch split into two 250-point halves — gains nothing from the second core unless
/// it stays awake, as OpenMP's threads do by spinning before they sleep (`GOMP_SPINCOUNT`).
///
/// Each of the pool's other threads runs one job that steals and runs pool work
/// (`rayon::yield_now`) until `linger` has passed since the latest `keep_warm` call, then
/// returns to rayon's normal sleep. Call it once per iteration of a loop (it costs an atomic
/// store when the threads are already kept). They spin at full speed meanwhile: use it in
/// loops that keep the cores busy anyway, with a linger of a few iterations.
///
/// The threads kept are those of the pool the caller is in (the global pool from outside any
/// pool). The keepers' state is process-wide: keep one pool warm at a time (another pool's
/// call while one is kept only re-arms the deadline). Does nothing in a one-thread pool.
pub fn keep_warm(linger: std::time::Duration) {
    use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

    if rayon::current_num_threads() <= 1 {
        return;
    }
    let now = warm::now_ns();
    warm::DEADLINE.store(now + linger.as_nanos() as u64, Release);
    if warm::ACTIVE
        .compare_exchange(false, true, AcqRel, Relaxed)
        .is_err()
    {
        return;
    }
    let caller = rayon::current_thread_index();
    let keepers = rayon::current_num_threads() - usize::from(caller.is_some());
    warm::LIVE.store(keepers, Release);
    rayon::spawn_broadcast(move |ctx| {
        if Some(ctx.index()) == caller {
            return;
        }
        while warm::now_ns() < warm::DEADLINE.load(Acquire) {
            if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
                // Back off between polls: each poll reads the other threads' deques, and
                // polling without pause slows the owners' own pushes and pops.
                for _ in 0..warm::BACKOFF_SPINS {
                    std::hint::spin_loop();
                }
            }
        }
        if warm::LIVE.fetch_sub(1, AcqRel) == 1 {
            warm::ACTIVE.store(false, Release);
        }
    });
}

/// Whether [`keep_warm`]'s keepers are pending or running.
pub fn kept_warm() -> bool {
    warm::ACTIVE.load(std::sync::atomic::Ordering::Acquire)
}

/// State of [`keep_warm`].
mod warm {
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
    use std::sync::OnceLock;
    use std::time::Instant;

    /// Pause instructions between two polls for work (about a microsecond).
    pub(super) const BACKOFF_SPINS: usize = 32;
    /// Keepers run until `now_ns()` passes this.
    pub(super) static DEADLINE: AtomicU64 = AtomicU64::new(0);
    /// A broadcast of keepers is pending or running.
    pub(super) static ACTIVE: AtomicBool = AtomicBool::new(false);
    /// Keepers of the current broadcast not yet finished; the last one clears `ACTIVE`.
    pub(super) static LIVE: AtomicUsize = AtomicUsize::new(0);

    /// Nanoseconds since the first call (monotonic).
    pub(super) fn now_ns() -> u64 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}
