//! cuFFT plans cached per device, keyed by (transform dims, batch, kind).
//!
//! Creating a plan allocates its work area and picks kernels (milliseconds); an FNO step runs
//! the same few transforms every iteration, so plans are made once and reused. Each plan sits
//! behind a mutex: its work area is shared, so one plan runs one transform at a time (all work
//! goes to the one stream anyway). The cache holds at most [`MAX_PLANS`] plans and is emptied
//! when full, so a sweep over many shapes cannot hold GPU memory forever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cudarc::cufft::sys::cufftType;
use cudarc::cufft::CudaFft;

/// Plans kept before the cache is cleared.
pub const MAX_PLANS: usize = 64;

/// The transform kind: direction and precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FftKind {
    /// f32 real → complex.
    R2C,
    /// f32 complex → real.
    C2R,
    /// f32 complex → complex (direction chosen at execution).
    C2C,
    /// f64 real → complex.
    D2Z,
    /// f64 complex → real.
    Z2D,
    /// f64 complex → complex (direction chosen at execution).
    Z2Z,
}

impl FftKind {
    /// The cuFFT type.
    pub fn cufft_type(self) -> cufftType {
        match self {
            FftKind::R2C => cufftType::CUFFT_R2C,
            FftKind::C2R => cufftType::CUFFT_C2R,
            FftKind::C2C => cufftType::CUFFT_C2C,
            FftKind::D2Z => cufftType::CUFFT_D2Z,
            FftKind::Z2D => cufftType::CUFFT_Z2D,
            FftKind::Z2Z => cufftType::CUFFT_Z2Z,
        }
    }
}

/// What identifies a plan: contiguous batched transforms of logical size `dims` (the real
/// lengths for R2C/C2R, outermost first), `batch` of them back to back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FftPlanKey {
    /// Transform lengths, outermost first (1 to 3 of them).
    pub dims: Vec<i32>,
    /// Number of transforms.
    pub batch: i32,
    /// Kind.
    pub kind: FftKind,
}

/// A cached plan; lock it for the duration of one execution.
pub type SharedPlan = Arc<Mutex<CudaFft>>;

/// The plan table.
#[derive(Default)]
pub(super) struct PlanCache {
    plans: Mutex<HashMap<FftPlanKey, SharedPlan>>,
}

impl std::fmt::Debug for PlanCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.plans.lock().map(|p| p.len()).unwrap_or(0);
        write!(f, "PlanCache({n} plans)")
    }
}

impl PlanCache {
    /// The plan for `key`, created by `make` when absent.
    pub(super) fn get_or_make<E>(
        &self,
        key: &FftPlanKey,
        make: impl FnOnce() -> Result<CudaFft, E>,
    ) -> Result<SharedPlan, E> {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = plans.get(key) {
            return Ok(p.clone());
        }
        if plans.len() >= MAX_PLANS {
            plans.clear();
        }
        let p = Arc::new(Mutex::new(make()?));
        plans.insert(key.clone(), p.clone());
        Ok(p)
    }
}
