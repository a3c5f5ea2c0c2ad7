//! Contiguous native-f32 datasets are read with parallel `pread`s from the dataset's file
//! offset instead of through HDF5; everything else still goes through HDF5. These tests make
//! h5py write the same values in every layout that decides between the two paths (contiguous,
//! behind a user block, chunked, big-endian, f64, larger than the huge-page threshold) and check
//! that every read returns numpy's values bit for bit, whichever path served it.

mod common;

use common::{assert_same, python, scratch};
use fluxion_data::pdebench::one_d::PdeBench1d;
use fluxion_data::{H5File, Resolution};

/// The reads every layout must answer identically: single samples, whole and partial runs,
/// strided runs, a batch with repeats and a reduced resolution (which HDF5 always serves).
fn check_layout(path: &std::path::Path, r: &common::Refs, what: &str) {
    let f = PdeBench1d::open(path, Resolution::FULL).unwrap();
    for i in [0, 1, 7, 11] {
        assert_same(
            &f.sample(i).unwrap(),
            &r.tensor(&format!("s{i}")),
            &format!("{what}: sample {i}"),
        );
    }
    assert_same(
        &f.range(0..12, 1).unwrap(),
        &r.tensor("all"),
        &format!("{what}: all"),
    );
    assert_same(
        &f.range(3..9, 1).unwrap(),
        &r.tensor("mid"),
        &format!("{what}: 3..9"),
    );
    assert_same(
        &f.range(1..12, 4).unwrap(),
        &r.tensor("step"),
        &format!("{what}: 1..12:4"),
    );
    assert_same(
        &f.batch(&[5, 6, 7, 2, 5]).unwrap(),
        &r.tensor("batch"),
        &format!("{what}: batch"),
    );
    let reduced = PdeBench1d::open(path, Resolution::new(3, 2)).unwrap();
    assert_same(
        &reduced.range(0..12, 1).unwrap(),
        &r.tensor("reduced"),
        &format!("{what}: reduced resolution"),
    );
}

#[test]
fn every_layout_reads_numpys_values_bit_for_bit() {
    let dir = scratch("direct_read");
    let Some(r) = python(
        r#"
rng = np.random.default_rng(5)
u = rng.standard_normal((12, 7, 40)).astype("f4")
u[0, 0, :4] = [np.float32(1e-42), -0.0, np.inf, np.nan]   # subnormal, signed zero, inf, NaN
x = np.linspace(0, 1, 40, dtype="f4"); t = np.linspace(0, 1, 8, dtype="f4")
def write(name, data, **kw):
    with h5py.File(name, "w", **{k: v for k, v in kw.items() if k == "userblock_size"}) as f:
        f.create_dataset("tensor", data=data, **{k: v for k, v in kw.items() if k != "userblock_size"})
        f["x-coordinate"] = x; f["t-coordinate"] = t
write("contiguous.h5", u)
write("userblock.h5", u, userblock_size=1024)
write("chunked.h5", u, chunks=(1, 7, 40))
write("big_endian.h5", u.astype(">f4"))
write("f64.h5", u.astype("f8"))
with h5py.File("contiguous.h5") as f:
    assert f["tensor"].chunks is None and f["tensor"].id.get_offset() is not None
    out("offset_contiguous", np.array([f["tensor"].id.get_offset()], dtype="<i8"))
with h5py.File("userblock.h5") as f:
    assert f.userblock_size == 1024
    out("offset_userblock", np.array([f["tensor"].id.get_offset()], dtype="<i8"))
for i in [0, 1, 7, 11]: out(f"s{i}", u[i])
out("all", u); out("mid", u[3:9]); out("step", u[1:12:4]); out("batch", u[[5, 6, 7, 2, 5]])
out("reduced", u[:, ::2, ::3])
"#,
        &dir,
    ) else {
        return;
    };
    for name in ["contiguous", "userblock", "chunked", "big_endian", "f64"] {
        let path = dir.join(format!("{name}.h5"));
        // Which path serves the reads: direct from h5py's own offset, or HDF5.
        let offset = H5File::open(&path)
            .unwrap()
            .direct_offset("tensor")
            .unwrap();
        match name {
            "contiguous" | "userblock" => {
                let want = r.scalar(&format!("offset_{name}")) as u64;
                assert_eq!(offset, Some(want), "{name}: direct read offset");
            }
            _ => assert_eq!(offset, None, "{name} must be read through HDF5"),
        }
        check_layout(&path, &r, name);
    }
}

#[test]
fn reads_above_the_huge_page_threshold_are_exact() {
    // 48 × 101 × 1024 f32 = 19.9 MB: the whole read takes the parallel direct path with a
    // huge-page buffer, the reduced one (9.9 MB) HDF5's path into the same kind of buffer.
    let dir = scratch("direct_read_large");
    let Some(r) = python(
        r#"
u = np.random.default_rng(9).standard_normal((48, 101, 1024)).astype("f4")
with h5py.File("large.h5", "w") as f:
    f["tensor"] = u
    f["x-coordinate"] = np.arange(1024, dtype="f4"); f["t-coordinate"] = np.arange(102, dtype="f4")
out("all", u); out("tail", u[40:]); out("reduced", u[:, :, ::2])
"#,
        &dir,
    ) else {
        return;
    };
    let path = dir.join("large.h5");
    let f = PdeBench1d::open(&path, Resolution::FULL).unwrap();
    assert_same(&f.range(0..48, 1).unwrap(), &r.tensor("all"), "whole file");
    assert_same(
        &f.range(40..48, 1).unwrap(),
        &r.tensor("tail"),
        "last 8 samples",
    );
    let reduced = PdeBench1d::open(&path, Resolution::new(2, 1)).unwrap();
    assert_same(
        &reduced.range(0..48, 1).unwrap(),
        &r.tensor("reduced"),
        "reduced resolution",
    );
}
