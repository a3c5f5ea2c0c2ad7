//! `threads::join_global_pool`: the calling thread becomes a pool thread and runs part of the
//! parallel loops it starts; a second call is refused; a one-thread pool leaves the caller out.
//! The pool is global, so only the first test builds it in this process; the one-thread case
//! runs in a child process of this test binary.

use std::collections::HashSet;
use std::sync::Mutex;

use fluxion_tensor::threads::{in_pool, join_global_pool};
use fluxion_tensor::{DType, Device, Tensor};
use rayon::prelude::*;

const ONE: &str = "one_thread_pool_leaves_the_caller_out_and_does_not_deadlock";

#[test]
fn the_calling_thread_joins_the_pool_and_works_in_it() {
    if std::env::var("RAYON_NUM_THREADS").is_ok() {
        eprintln!("RAYON_NUM_THREADS is set: skipped (the child of `{ONE}` runs with it)");
        return;
    }
    assert!(!in_pool());
    join_global_pool().expect("first build of the global pool");
    assert!(in_pool());
    assert_eq!(rayon::current_thread_index(), Some(0));
    assert!(
        join_global_pool().is_err(),
        "a second build must be refused"
    );

    // Work items run on this thread too, not only on the others.
    let me = std::thread::current().id();
    let seen = Mutex::new(HashSet::new());
    (0..10_000).into_par_iter().for_each(|_| {
        seen.lock().unwrap().insert(std::thread::current().id());
    });
    assert!(seen.lock().unwrap().contains(&me));

    // Tensor ops give the same results from a pool thread.
    let n = 1 << 20;
    let v: Vec<f32> = (0..n).map(|i| (i % 7) as f32).collect();
    let want: f64 = v.iter().map(|&x| x as f64).sum();
    let t = Tensor::from_vec(v, [n], &Device::Cpu).unwrap();
    let s = t.add(&t).unwrap().sum_all().unwrap();
    let s = s.to_dtype(DType::F64).unwrap().to_scalar::<f64>().unwrap();
    assert_eq!(s, 2.0 * want);
}

/// With `RAYON_NUM_THREADS=1` the caller stays outside the pool, so another thread's parallel
/// loop still runs while the caller blocks on that thread's join handle.
#[test]
fn one_thread_pool_leaves_the_caller_out_and_does_not_deadlock() {
    if std::env::var("RAYON_NUM_THREADS").as_deref() != Ok("1") {
        // Parent: run this test alone in a child process with one rayon thread.
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", ONE, "--nocapture", "--test-threads=1"])
            .env("RAYON_NUM_THREADS", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "child failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
        return;
    }
    join_global_pool().expect("first build of the global pool");
    assert!(!in_pool());
    assert_eq!(rayon::current_num_threads(), 1);
    let other = std::thread::spawn(|| (0..10_000u64).into_par_iter().sum::<u64>());
    assert_eq!(other.join().unwrap(), 10_000 * 9_999 / 2);
}

/// `keep_warm`: the other threads take the caller's work while kept (the caller never runs a
/// keeper itself, which would hold it for the whole linger), and they stop once the linger
/// has passed.
#[test]
fn keep_warm_serves_the_caller_and_then_lets_go() {
    use fluxion_tensor::threads::{keep_warm, kept_warm};
    use std::time::{Duration, Instant};

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        let me = rayon::current_thread_index().unwrap();
        keep_warm(Duration::from_secs(3));
        assert!(kept_warm());
        // A join from the caller: the second half is stolen by the kept thread. If the caller
        // ran a keeper instead, this would take the whole 3 s linger.
        let start = Instant::now();
        let (a, b) = rayon::join(
            || {
                std::thread::sleep(Duration::from_millis(50));
                rayon::current_thread_index()
            },
            || {
                std::thread::sleep(Duration::from_millis(50));
                rayon::current_thread_index()
            },
        );
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "join took {:?}: the caller was held",
            start.elapsed()
        );
        assert_eq!(a, Some(me));
        assert_eq!(
            b,
            Some(1 - me),
            "the kept thread did not take the stolen half"
        );
        // Re-armed with a short linger, the keepers return within it.
        keep_warm(Duration::from_millis(1));
        let start = Instant::now();
        while kept_warm() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            !kept_warm(),
            "keepers still running 10 s after a 1 ms linger"
        );
    });
}
