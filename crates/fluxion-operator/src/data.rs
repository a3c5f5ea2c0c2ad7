//! Train/test tensors for the FNO paper's problems, read as the reference scripts read them.
//!
//! Every array comes back channels-last (`[N, n₁…n_d, C]`, f32, CPU). Files ending in `.mat`
//! are read with [`MatFile`] (v5 or v7.3, MATLAB axis order, as `scipy.io.loadmat`); any other
//! file is read as plain HDF5 in its stored (C) order — the layout `fluxion generate` writes.
//!
//! | problem | keys | x | y |
//! |---|---|---|---|
//! | Burgers (`fourier_1d.py`) | `a`, `u` `[N, n]` | `a[:, ::r]` `[·, s, 1]`, r = n/s | `u[:, ::r]` |
//! | Darcy (`fourier_2d.py`) | `.mat`: `coeff`, `sol` `[N, n, n]`; HDF5: `nu` `[N, n, n]`, `tensor` `[N, 1, n, n]` | `coeff[:, ::r, ::r]` `[·, s, s, 1]`, s = (n − 1)/r + 1 | `sol[:, ::r, ::r]` |
//! | Navier–Stokes (`fourier_2d_time.py`) | `.mat`: `u` `[N, S, S, T]`; HDF5: `tensor` `[N, T + 1, S, S]` (frame 0 dropped) | `u[..., :T_in]` | `u[..., T_in:T_in + T_out]` |
//!
//! Train samples are the first `ntrain`, test samples the last `ntest` (Darcy with a separate
//! test file: its first `ntest`), as the scripts do.

use std::path::Path;

use fluxion_data::mat::MatFile;
use fluxion_data::H5File;
use fluxion_tensor::{DType, Device, Tensor};

use crate::{Error, Result};

/// Inputs and targets of an operator-learning problem, channels-last CPU f32 tensors.
#[derive(Debug, Clone)]
pub struct OperatorData {
    /// Training inputs `[ntrain, n₁…n_d, C_in]`.
    pub x_train: Tensor,
    /// Training targets `[ntrain, n₁…n_d, C_out]`.
    pub y_train: Tensor,
    /// Test inputs `[ntest, n₁…n_d, C_in]`.
    pub x_test: Tensor,
    /// Test targets `[ntest, n₁…n_d, C_out]`.
    pub y_test: Tensor,
}

impl OperatorData {
    /// Number of training samples.
    pub fn ntrain(&self) -> usize {
        self.x_train.dims()[0]
    }

    /// Number of test samples.
    pub fn ntest(&self) -> usize {
        self.x_test.dims()[0]
    }

    /// Checks that inputs and targets agree in sample count and spatial shape and that train
    /// and test agree in channels.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the shapes.
    pub fn validate(&self) -> Result<()> {
        let (xa, ya, xb, yb) = (
            self.x_train.dims(),
            self.y_train.dims(),
            self.x_test.dims(),
            self.y_test.dims(),
        );
        let same_space = |x: &[usize], y: &[usize]| {
            x.len() == y.len() && x.len() >= 3 && x[..x.len() - 1] == y[..y.len() - 1]
        };
        let ok = same_space(xa, ya)
            && same_space(xb, yb)
            && xa.len() == xb.len()
            && xa.last() == xb.last()
            && ya.last() == yb.last()
            && xa[0] > 0
            && xb[0] > 0;
        if ok {
            Ok(())
        } else {
            Err(Error::invalid(
                "OperatorData",
                format!(
                    "expected channels-last [N, n₁…n_d, C] with matching samples and space: \
                     x_train {xa:?}, y_train {ya:?}, x_test {xb:?}, y_test {yb:?}"
                ),
            ))
        }
    }

    /// Every spatial axis subsampled by `r` (`x[:, ::r, …]`), e.g. to train at a coarser
    /// resolution than the data was generated at.
    ///
    /// # Errors
    /// `r = 0`; tensor errors.
    pub fn subsample(&self, r: usize) -> Result<OperatorData> {
        let sub = |t: &Tensor| {
            let d = t.rank() - 2;
            let mut t = t.clone();
            for axis in 1..=d {
                let n = t.dims()[axis];
                t = stride_axis(&t, axis, r, n.div_ceil(r.max(1)))?;
            }
            Ok::<_, Error>(t)
        };
        if r == 0 {
            return Err(Error::invalid("OperatorData::subsample", "r must be ≥ 1"));
        }
        Ok(OperatorData {
            x_train: sub(&self.x_train)?,
            y_train: sub(&self.y_train)?,
            x_test: sub(&self.x_test)?,
            y_test: sub(&self.y_test)?,
        })
    }
}

/// A copy of `t` on `device` (no copy on the CPU).
///
/// # Errors
/// Tensor errors.
pub fn to_device(t: &Tensor, device: &Device) -> Result<Tensor> {
    if matches!(device, Device::Cpu) && matches!(t.device(), Device::Cpu) {
        return Ok(t.clone());
    }
    let dims = t.dims().to_vec();
    Ok(match t.dtype() {
        DType::F64 => Tensor::from_vec(t.to_vec::<f64>()?, dims, device)?,
        other => Tensor::from_vec(t.to_dtype(DType::F32)?.to_vec::<f32>()?, dims, device)?
            .to_dtype(other)?,
    })
}

fn is_mat(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mat"))
}

/// Reads the whole array `key` of `path` as CPU f32: a `.mat` file in MATLAB axis order, any
/// other file as HDF5 in stored order.
///
/// # Errors
/// [`fluxion_data::Error`]s naming the file and key (missing file or key, non-float data).
pub fn read_array(path: &Path, key: &str) -> Result<Tensor> {
    if is_mat(path) {
        return Ok(MatFile::open(path)?.read(key)?);
    }
    let file = H5File::open(path)?;
    let ds = file.dataset(key)?;
    let shape = ds.shape();
    let desc = ds
        .dtype()
        .and_then(|t| t.to_descriptor())
        .map_err(|source| hdf5_at(path, key, source))?;
    if !matches!(desc, fluxion_data::hdf5::types::TypeDescriptor::Float(_)) {
        return Err(fluxion_data::Error::DType {
            path: path.to_path_buf(),
            key: key.to_string(),
            expected: "float32 or float64",
            found: desc.to_string(),
        }
        .into());
    }
    let v = ds
        .read_raw::<f32>()
        .map_err(|source| hdf5_at(path, key, source))?;
    Ok(Tensor::from_vec(v, shape, &Device::Cpu)?)
}

fn hdf5_at(path: &Path, key: &str, source: fluxion_data::hdf5::Error) -> Error {
    fluxion_data::Error::Hdf5At {
        path: path.to_path_buf(),
        key: key.to_string(),
        source,
    }
    .into()
}

fn shape_error(path: &Path, key: &str, expected: String, found: &[usize]) -> Error {
    fluxion_data::Error::Shape {
        path: path.to_path_buf(),
        key: key.to_string(),
        expected,
        found: found.to_vec(),
    }
    .into()
}

/// `t` with axis `axis` replaced by elements `0, r, 2r, …` (`s` of them).
fn stride_axis(t: &Tensor, axis: usize, r: usize, s: usize) -> Result<Tensor> {
    let ids: Vec<i64> = (0..s).map(|i| (i * r) as i64).collect();
    let ids = Tensor::from_vec(ids, [s], t.device())?;
    Ok(t.index_select(&ids, axis as isize)?.contiguous()?)
}

/// Rows `start..start + len` of axis 0.
fn rows(t: &Tensor, start: usize, len: usize) -> Result<Tensor> {
    Ok(t.narrow(0, start, len)?.contiguous()?)
}

/// Checks `N ≥ ntrain + ntest` (train first, test last, disjoint).
fn check_count(path: &Path, key: &str, dims: &[usize], ntrain: usize, ntest: usize) -> Result<()> {
    if dims[0] < ntrain + ntest {
        return Err(shape_error(
            path,
            key,
            format!("at least ntrain + ntest = {ntrain} + {ntest} samples on axis 0"),
            dims,
        ));
    }
    Ok(())
}

/// Both counts must be positive.
fn check_sizes(what: &'static str, ntrain: usize, ntest: usize) -> Result<()> {
    if ntrain == 0 || ntest == 0 {
        return Err(Error::invalid(
            what,
            format!("ntrain and ntest must be ≥ 1, got {ntrain} and {ntest}"),
        ));
    }
    Ok(())
}

/// FNO Burgers (`fourier_1d.py`): `a` → `u`, each `[N, n]`, subsampled to `s` points
/// (r = n/s, which must divide n); the first `ntrain` samples train, the last `ntest` test.
/// Returns x, y as `[·, s, 1]`.
///
/// # Errors
/// Missing file or key, wrong rank, `s` not dividing n, too few samples (each naming the file,
/// key and shapes).
pub fn load_burgers(path: &Path, ntrain: usize, ntest: usize, s: usize) -> Result<OperatorData> {
    check_sizes("load_burgers", ntrain, ntest)?;
    let a = read_array(path, "a")?;
    let u = read_array(path, "u")?;
    for (key, t) in [("a", &a), ("u", &u)] {
        let d = t.dims();
        if d.len() != 2 {
            return Err(shape_error(path, key, "rank 2: [N, n]".into(), d));
        }
        if d != a.dims() {
            return Err(shape_error(
                path,
                key,
                format!("{:?} to match `a`", a.dims()),
                d,
            ));
        }
    }
    let (n_samples, n) = (a.dims()[0], a.dims()[1]);
    if s == 0 || s > n || n % s != 0 {
        return Err(shape_error(
            path,
            "a",
            format!("a grid of n points with s = {s} dividing n (subsample r = n/s)"),
            a.dims(),
        ));
    }
    check_count(path, "a", a.dims(), ntrain, ntest)?;
    let r = n / s;
    let prep = |t: &Tensor, start: usize, len: usize| -> Result<Tensor> {
        let t = stride_axis(&rows(t, start, len)?, 1, r, s)?;
        Ok(t.reshape([len, s, 1])?)
    };
    Ok(OperatorData {
        x_train: prep(&a, 0, ntrain)?,
        y_train: prep(&u, 0, ntrain)?,
        x_test: prep(&a, n_samples - ntest, ntest)?,
        y_test: prep(&u, n_samples - ntest, ntest)?,
    })
}

/// Coefficient and solution `[N, n, n]` of a Darcy file (`coeff`/`sol` in `.mat`, `nu` and
/// `tensor[:, 0]` in PDEBench-layout HDF5), with the keys they came from.
fn read_darcy(path: &Path) -> Result<(Tensor, Tensor, &'static str)> {
    let (ck, sk) = if is_mat(path) {
        ("coeff", "sol")
    } else {
        ("nu", "tensor")
    };
    let c = read_array(path, ck)?;
    let mut u = read_array(path, sk)?;
    let cd = c.dims().to_vec();
    if cd.len() != 3 || cd[1] != cd[2] {
        return Err(shape_error(path, ck, "[N, n, n]".into(), &cd));
    }
    if !is_mat(path) {
        let ud = u.dims().to_vec();
        if ud.len() != 4 || ud[1] != 1 {
            return Err(shape_error(
                path,
                sk,
                format!("[N, 1, n, n] = [{}, 1, {}, {}]", cd[0], cd[1], cd[2]),
                &ud,
            ));
        }
        u = u.reshape([ud[0], ud[2], ud[3]])?;
    }
    if u.dims() != cd.as_slice() {
        let found = read_array(path, sk)?.dims().to_vec();
        return Err(shape_error(
            path,
            sk,
            format!("{cd:?} to match `{ck}` (PDEBench layout: [N, 1, n, n])"),
            &found,
        ));
    }
    Ok((c, u, ck))
}

/// FNO Darcy (`fourier_2d.py`): coefficient → solution on every `r`-th node, s = (n − 1)/r + 1
/// per side, as `[·, s, s, 1]`. Train: the first `ntrain` samples of `path`; test: the first
/// `ntest` of `test_path` when given (the reference's second file), else the last `ntest` of
/// `path`.
///
/// # Errors
/// Missing file or key, wrong shapes, `r = 0`, too few samples (each naming file, key, shapes).
pub fn load_darcy(
    path: &Path,
    test_path: Option<&Path>,
    ntrain: usize,
    ntest: usize,
    r: usize,
) -> Result<OperatorData> {
    check_sizes("load_darcy", ntrain, ntest)?;
    if r == 0 {
        return Err(Error::invalid("load_darcy", "subsample r must be ≥ 1"));
    }
    let (c, u, ck) = read_darcy(path)?;
    let n = c.dims()[1];
    let s = (n - 1) / r + 1;
    let prep = |t: &Tensor, start: usize, len: usize| -> Result<Tensor> {
        let t = stride_axis(&rows(t, start, len)?, 1, r, s)?;
        let t = stride_axis(&t, 2, r, s)?;
        Ok(t.reshape([len, s, s, 1])?)
    };
    match test_path {
        None => {
            check_count(path, ck, c.dims(), ntrain, ntest)?;
            let m = c.dims()[0];
            Ok(OperatorData {
                x_train: prep(&c, 0, ntrain)?,
                y_train: prep(&u, 0, ntrain)?,
                x_test: prep(&c, m - ntest, ntest)?,
                y_test: prep(&u, m - ntest, ntest)?,
            })
        }
        Some(tp) => {
            check_count(path, ck, c.dims(), ntrain, 0)?;
            let (ct, ut, ckt) = read_darcy(tp)?;
            if ct.dims()[1] != n {
                return Err(shape_error(
                    tp,
                    ckt,
                    format!("[N, {n}, {n}] to match the training file"),
                    ct.dims(),
                ));
            }
            check_count(tp, ckt, ct.dims(), 0, ntest)?;
            Ok(OperatorData {
                x_train: prep(&c, 0, ntrain)?,
                y_train: prep(&u, 0, ntrain)?,
                x_test: prep(&ct, 0, ntest)?,
                y_test: prep(&ut, 0, ntest)?,
            })
        }
    }
}

/// Navier–Stokes (`fourier_2d_time.py`): the first `t_in` recorded steps as input channels,
/// the next `t_out` as targets, `[·, S, S, t_in]` → `[·, S, S, t_out]`. From `.mat` (`u`
/// `[N, S, S, T]`, FNO's files) or the HDF5 of `fluxion generate navier-stokes` (`tensor`
/// `[N, T + 1, S, S]`, whose frame 0 — the initial vorticity, FNO's separate `a` — is dropped).
///
/// # Errors
/// Missing file or key, wrong rank, fewer than `t_in + t_out` steps, too few samples.
pub fn load_navier_stokes(
    path: &Path,
    ntrain: usize,
    ntest: usize,
    t_in: usize,
    t_out: usize,
) -> Result<OperatorData> {
    check_sizes("load_navier_stokes", ntrain, ntest)?;
    let (key, u) = if is_mat(path) {
        ("u", read_array(path, "u")?)
    } else {
        let t = read_array(path, "tensor")?;
        let d = t.dims().to_vec();
        if d.len() != 4 || d[1] < 2 {
            return Err(shape_error(path, "tensor", "[N, T + 1, S, S]".into(), &d));
        }
        let u = t
            .narrow(1, 1, d[1] - 1)?
            .permute(&[0, 2, 3, 1])?
            .contiguous()?;
        ("tensor", u)
    };
    let d = u.dims().to_vec();
    if d.len() != 4 {
        return Err(shape_error(path, key, "[N, S, S, T]".into(), &d));
    }
    if t_in == 0 || t_out == 0 || d[3] < t_in + t_out {
        return Err(shape_error(
            path,
            key,
            format!("at least t_in + t_out = {t_in} + {t_out} recorded steps (both ≥ 1)"),
            &d,
        ));
    }
    check_count(path, key, &d, ntrain, ntest)?;
    let part = |start: usize, len: usize, t0: usize, nt: usize| -> Result<Tensor> {
        Ok(u.narrow(0, start, len)?.narrow(3, t0, nt)?.contiguous()?)
    };
    let m = d[0];
    Ok(OperatorData {
        x_train: part(0, ntrain, 0, t_in)?,
        y_train: part(0, ntrain, t_in, t_out)?,
        x_test: part(m - ntest, ntest, 0, t_in)?,
        y_test: part(m - ntest, ntest, t_in, t_out)?,
    })
}
