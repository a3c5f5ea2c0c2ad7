//! FNO MAT files: v7.3 (HDF5 with reversed axes) written by h5py as MATLAB would, and a classic
//! v5 fixture written by SciPy (`tests/data/make_v5.py`), both read back in MATLAB axis order.

mod common;

use common::{assert_same, python, scratch};
use fluxion_data::mat::{MatFile, MatVersion};
use fluxion_data::Error;
use fluxion_tensor::{Device, Tensor};

/// `v[i, j, k] = 100 i + 10 j + k` in MATLAB order, shape `[d0, d1, d2]`.
fn indexed(d: [usize; 3]) -> Tensor {
    let mut v = Vec::new();
    for i in 0..d[0] {
        for j in 0..d[1] {
            for k in 0..d[2] {
                v.push((100 * i + 10 * j + k) as f32);
            }
        }
    }
    Tensor::from_vec(v, d.to_vec(), &Device::Cpu).unwrap()
}

#[test]
fn v73_axes_are_reversed_back() {
    let dir = scratch("mat73");
    let Some(r) = python(
        r#"
i, j, k = np.meshgrid(np.arange(5), np.arange(4), np.arange(3), indexing="ij")
u = (100 * i + 10 * j + k).astype("f8")          # MATLAB's 5x4x3 array
a = np.random.default_rng(4).standard_normal((5, 4)).astype("f4")
header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
for name, ub in [("plain.mat", 0), ("userblock.mat", 512)]:
    with h5py.File(name, "w", userblock_size=ub) as f:
        f["u"] = u.T                                  # h5py sees (3, 4, 5), as MATLAB writes it
        f["u"].attrs["MATLAB_class"] = np.bytes_("double")
        f["a"] = a.T
        f["a"].attrs["MATLAB_class"] = np.bytes_("single")
    if ub:
        with open(name, "r+b") as fh:
            fh.write(header.ljust(116) + b"\x00" * 8 + b"\x00\x02IM")
out("a", a); out("shape", np.array(h5py.File("plain.mat", "r")["u"].shape, dtype="f4"))
"#,
        &dir,
    ) else {
        return;
    };
    assert_eq!(
        r.f32("shape").1,
        vec![3.0, 4.0, 5.0],
        "h5py sees the axes reversed"
    );
    for name in ["plain.mat", "userblock.mat"] {
        let m = MatFile::open(dir.join(name)).unwrap();
        assert_eq!(m.version(), MatVersion::V73);
        assert_eq!(m.variables().unwrap(), vec!["a", "u"]);
        assert_eq!(m.shape("u").unwrap(), vec![5, 4, 3]);
        assert_same(
            &m.read("u").unwrap(),
            &indexed([5, 4, 3]),
            "u in MATLAB order",
        );
        assert_same(&m.read("a").unwrap(), &r.tensor("a"), "2-D single");
        let e = m.read("coeff").unwrap_err();
        assert!(matches!(e, Error::MissingKey { .. }), "{e:?}");
        assert!(
            e.to_string().contains("coeff") && e.to_string().contains(name),
            "{e}"
        );
    }
}

#[test]
fn v5_fixture_reads_in_matlab_order() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v5_small.mat");
    let m = MatFile::open(&path).unwrap();
    assert_eq!(m.version(), MatVersion::V5);
    assert_eq!(m.variables().unwrap(), vec!["a", "coeff", "t", "u"]);
    assert_eq!(m.shape("u").unwrap(), vec![5, 4, 3]);
    assert_same(&m.read("u").unwrap(), &indexed([5, 4, 3]), "double u");
    assert_same(
        &m.read("coeff").unwrap(),
        &indexed([2, 3, 4]),
        "single coeff",
    );
    let a = m.read("a").unwrap();
    assert_eq!(a.dims(), &[3, 2]);
    assert_eq!(
        a.to_vec::<f32>().unwrap(),
        vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    );
    assert_eq!(m.read("t").unwrap().dims(), &[1, 4]);
    let e = m.read("sol").unwrap_err();
    assert!(
        e.to_string().contains("sol") && e.to_string().contains("v5_small.mat"),
        "{e}"
    );
}

#[test]
fn mat_errors_name_the_file() {
    let dir = scratch("mat_errors");
    let junk = dir.join("junk.mat");
    std::fs::write(&junk, b"MATLAB 5.0 MAT-file but then nothing useful").unwrap();
    let e = MatFile::open(&junk).unwrap_err();
    assert!(matches!(e, Error::Mat { .. }), "{e:?}");
    assert!(e.to_string().contains("junk.mat"), "{e}");
    let e = MatFile::open(dir.join("absent.mat")).unwrap_err();
    assert!(matches!(e, Error::FileNotFound { .. }), "{e:?}");
}
