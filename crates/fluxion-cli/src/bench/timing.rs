//! Timing a step: untimed warm-up, then timed repeats until both a minimum count and a minimum
//! total time are reached; the row reports the median.
//!
//! Each repeat is timed on its own with [`Instant`], the device synchronised inside the timed
//! span, so a GPU's queued work counts where it is issued. The median ignores the occasional
//! repeat slowed by another process on a shared machine.

use std::time::{Duration, Instant};

use fluxion_device::Device;

use super::{Size, Step};

/// When to stop repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// At least this many timed repeats.
    pub min_reps: usize,
    /// And at least this much time in them, in total.
    pub min_time: Duration,
    /// At most this many repeats, whatever the time.
    pub max_reps: usize,
}

impl Policy {
    /// Full: ≥ 3 repeats and ≥ 0.5 s. Tiny: 3 repeats.
    pub(crate) fn for_size(size: Size) -> Policy {
        match size {
            Size::Full => Policy {
                min_reps: 3,
                min_time: Duration::from_millis(500),
                max_reps: 10_000,
            },
            Size::Tiny => Policy {
                min_reps: 3,
                min_time: Duration::ZERO,
                max_reps: 3,
            },
        }
    }
}

/// Waits for the device's queued work.
pub(crate) fn sync(dev: &Device) -> anyhow::Result<()> {
    match dev {
        Device::Cpu => Ok(()),
        #[cfg(feature = "cuda")]
        Device::Cuda(d) => Ok(d.synchronize()?),
    }
}

/// Runs `warmup` untimed iterations of `step`, then timed ones as `policy` says; returns the
/// time of each timed repeat in seconds.
///
/// # Errors
/// The step's first error.
pub(crate) fn measure(
    step: &mut Step,
    dev: &Device,
    warmup: usize,
    policy: &Policy,
) -> anyhow::Result<Vec<f64>> {
    for _ in 0..warmup {
        step()?;
    }
    sync(dev)?;
    let mut times = Vec::new();
    let mut total = Duration::ZERO;
    while times.len() < policy.max_reps
        && (times.len() < policy.min_reps || total < policy.min_time)
    {
        let start = Instant::now();
        step()?;
        sync(dev)?;
        let t = start.elapsed();
        total += t;
        times.push(t.as_secs_f64());
    }
    Ok(times)
}

/// The median of `xs` (the mean of the middle two for an even count).
///
/// # Panics
/// If `xs` is empty or holds a NaN.
pub(crate) fn median(xs: &[f64]) -> f64 {
    assert!(!xs.is_empty(), "median of no values");
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN times"));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0]), 3.0);
        assert_eq!(median(&[5.0, 1.0, 3.0]), 3.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        // One slow outlier does not move it.
        assert_eq!(median(&[1.0, 1.0, 100.0]), 1.0);
    }

    #[test]
    fn measure_respects_counts() {
        let counter = std::rc::Rc::new(std::cell::Cell::new(0usize));
        let c = counter.clone();
        let mut step: Step = Box::new(move || {
            c.set(c.get() + 1);
            Ok(())
        });
        let times = measure(&mut step, &Device::Cpu, 2, &Policy::for_size(Size::Tiny)).unwrap();
        assert_eq!(times.len(), 3);
        assert_eq!(counter.get(), 5, "2 warm-up + 3 timed");
        let p = Policy {
            min_reps: 2,
            min_time: Duration::from_millis(5),
            max_reps: 1_000_000,
        };
        let mut sleepy: Step = Box::new(|| {
            std::thread::sleep(Duration::from_millis(2));
            Ok(())
        });
        let times = measure(&mut sleepy, &Device::Cpu, 0, &p).unwrap();
        // It stops at the first repeat that meets both minimums, whatever the sleeps took.
        let total: f64 = times.iter().sum();
        let before_last: f64 = times[..times.len() - 1].iter().sum();
        assert!(times.len() >= 2 && total >= 5e-3, "{times:?}");
        assert!(times.len() == 2 || before_last < 5e-3, "{times:?}");
    }

    #[test]
    fn a_failing_step_is_an_error() {
        let mut step: Step = Box::new(|| anyhow::bail!("no kernel"));
        let e = measure(&mut step, &Device::Cpu, 1, &Policy::for_size(Size::Tiny)).unwrap_err();
        assert!(e.to_string().contains("no kernel"));
    }
}
