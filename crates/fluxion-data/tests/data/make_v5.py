# Writes v5_small.mat, the classic-MAT fixture of tests/mat.rs (needs scipy and numpy):
#   python3 make_v5.py
# u: double 5x4x3 and coeff: single 2x3x4 with v[i,j,k] = 100 i + 10 j + k (MATLAB order),
# a: double 3x2 = [[0, 1], [2, 3], [4, 5]], t: double 1x4.
import numpy as np
import scipy.io


def indexed(shape, dtype):
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    return (100 * i + 10 * j + k).astype(dtype)


scipy.io.savemat(
    "v5_small.mat",
    {
        "u": indexed((5, 4, 3), "f8"),
        "coeff": indexed((2, 3, 4), "f4"),
        "a": np.arange(6, dtype="f8").reshape(3, 2),
        "t": np.linspace(0.0, 1.0, 4),
    },
    format="5",
    do_compression=False,
)
