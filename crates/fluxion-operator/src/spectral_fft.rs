//! The FFT path of [`SpectralConv`](crate::SpectralConv): full `rfftn`, keep the modes, mix,
//! scatter into a zero spectrum, `irfftn` — the reference code's `forward`, on channels-last
//! input.

use fluxion_autodiff::{Result, Var};
use fluxion_tensor::{FftNorm, Tensor};

use crate::spectral::{kept_modes, mix_modes};

/// `x [B, n₁, …, n_d, C_in] → [B, n₁, …, n_d, C_out]` through full FFTs; `sizes` and `modes`
/// already validated by the layer.
pub(crate) fn forward(
    x: &Var,
    weight: &Var,
    sizes: &[usize],
    modes: &[usize],
    cout: usize,
) -> Result<Var> {
    let d = modes.len();
    let dims = x.dims();
    let (b, cin) = (dims[0], dims[d + 1]);
    let kept = kept_modes(modes);
    let total: usize = kept.iter().product();

    // Channels first, then the spectrum [B, C, n₁, …, n_d/2 + 1, 2].
    let mut to_cf = vec![0, d + 1];
    to_cf.extend(1..=d);
    let spec = x.permute(&to_cf)?.rfftn(d, FftNorm::Backward)?;

    // Keep bins 0..m on the last axis, frequencies 0..m and −m..−1 on the others.
    let mut s = spec.narrow((d + 1) as isize, 0, modes[d - 1])?;
    for a in 0..d - 1 {
        let (ax, n, m) = ((2 + a) as isize, sizes[a], modes[a]);
        s = Var::concat(&[&s.narrow(ax, 0, m)?, &s.narrow(ax, n - m, m)?], ax)?;
    }

    // [B, C, K…, 2] → [K…, B, C, 2] → [M, B, C, 2]: the layout of the mode mixing.
    let mut to_modes: Vec<usize> = (2..2 + d).collect();
    to_modes.extend([0, 1, 2 + d]);
    let xs = s.permute(&to_modes)?.reshape([total, b, cin, 2])?;
    let ys = mix_modes(&xs, weight, cin, cout, total)?;
    let mut mode_dims = kept.clone();
    mode_dims.extend([b, cout, 2]);
    // [K…, B, C_out, 2] → [B, C_out, K…, 2].
    let mut to_spec = vec![d, d + 1];
    to_spec.extend(0..d);
    to_spec.push(d + 2);
    let mut y = ys.reshape(mode_dims)?.permute(&to_spec)?;

    // Zeros between the positive and negative frequencies of every non-last axis; the last
    // axis is zero-padded to n/2 + 1 bins by irfftn itself.
    for a in 0..d - 1 {
        let (ax, n, m) = ((2 + a) as isize, sizes[a], modes[a]);
        if n > 2 * m {
            let mut zd = y.dims();
            zd[2 + a] = n - 2 * m;
            let zeros = Var::constant(Tensor::zeros(zd, y.dtype(), &y.device())?);
            y = Var::concat(&[&y.narrow(ax, 0, m)?, &zeros, &y.narrow(ax, m, m)?], ax)?;
        }
    }
    let out = y.irfftn(d, Some(sizes[d - 1]), FftNorm::Backward)?;
    let mut to_cl = vec![0];
    to_cl.extend(2..2 + d);
    to_cl.push(1);
    out.permute(&to_cl)?.contiguous()
}
