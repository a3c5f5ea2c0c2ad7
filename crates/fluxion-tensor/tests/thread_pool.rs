//! `threads::join_global_pool`: the calling thread becomes a pool thread and runs part of the
//! parallel loops it starts; a second call is refused. One test per process (the pool is
//! global), so this file holds only this test.

use std::collections::HashSet;
use std::sync::Mutex;

use fluxion_tensor::threads::{in_pool, join_global_pool};
use fluxion_tensor::{DType, Device, Tensor};
use rayon::prelude::*;

#[test]
fn the_calling_thread_joins_the_pool_and_works_in_it() {
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
