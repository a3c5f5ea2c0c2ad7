//! PDEBench layouts against h5py: files h5py writes read back here exactly (with numpy slicing as
//! the reference for strides and splits), and files written here open in h5py with PDEBench's
//! names, shapes, dtypes and attributes and the same values.

mod common;

use common::{assert_same, python, rand, scratch};
use fluxion_data::pdebench::{cfd, darcy, one_d, seeded};
use fluxion_data::{Resolution, Split, WriteOptions};

#[test]
fn one_d_h5py_writes_we_read_with_strides_and_split() {
    let dir = scratch("one_d_read");
    let Some(r) = python(
        r#"
rng = np.random.default_rng(1)
u = rng.standard_normal((20, 11, 33)).astype("f4")
x = np.linspace(0, 1, 33, dtype="f4"); t = np.linspace(0, 2, 12, dtype="f4")
with h5py.File("adv.hdf5", "w") as f:
    f["tensor"] = u; f["x-coordinate"] = x; f["t-coordinate"] = t
    f.attrs["beta"] = 0.4
out("full3", u[3]); out("s3", u[3, ::5, ::4]); out("b", u[[2, 3, 4, 9, 2]][:, ::5, ::4])
out("r", u[10:20:3, ::5, ::4]); out("test", u[:2, ::5, ::4]); out("train0", u[2, ::5, ::4])
out("x", x[::4]); out("t", t[::5])
"#,
        &dir,
    ) else {
        return;
    };
    let full = one_d::PdeBench1d::open(dir.join("adv.hdf5"), Resolution::FULL).unwrap();
    assert_same(&full.sample(3).unwrap(), &r.tensor("full3"), "full sample");
    let f = one_d::PdeBench1d::open(dir.join("adv.hdf5"), Resolution::new(4, 5)).unwrap();
    assert_eq!(f.len(), 20);
    assert_eq!(f.sample_shape(), vec![3, 9]);
    assert_same(&f.sample(3).unwrap(), &r.tensor("s3"), "strided sample");
    assert_same(&f.batch(&[2, 3, 4, 9, 2]).unwrap(), &r.tensor("b"), "batch");
    assert_same(
        &f.range(10..20, 3).unwrap(),
        &r.tensor("r"),
        "range with step",
    );
    assert_eq!(f.split(Split::Test), 0..2);
    assert_eq!(f.split(Split::Train), 2..20);
    let test: Vec<usize> = f.split(Split::Test).collect();
    assert_same(&f.batch(&test).unwrap(), &r.tensor("test"), "test split");
    let train0 = f.split(Split::Train).start;
    assert_same(
        &f.sample(train0).unwrap(),
        &r.tensor("train0"),
        "first train sample",
    );
    assert_same(&f.x_coordinate().unwrap(), &r.tensor("x"), "x-coordinate");
    assert_same(&f.t_coordinate().unwrap(), &r.tensor("t"), "t-coordinate");
    let s = f.summary().unwrap();
    assert_eq!(s.attrs["beta"], 0.4);
    assert_eq!(s.stored["tensor"], vec![20, 11, 33]);
}

#[test]
fn one_d_we_write_h5py_reads() {
    let dir = scratch("one_d_write");
    let (u, x, t) = (rand(&[6, 5, 16], 1), rand(&[16], 2), rand(&[6], 3));
    let path = dir.join("burgers.hdf5");
    one_d::write_1d(
        &path,
        &u,
        &x,
        &t,
        &[("Nu", 0.01)],
        WriteOptions { gzip: Some(4) },
    )
    .unwrap();
    assert!(
        std::fs::read_dir(&dir).unwrap().count() == 1,
        "temporary file left behind"
    );
    let Some(r) = python(
        r#"
with h5py.File("burgers.hdf5", "r") as f:
    d = f["tensor"]
    assert d.dtype == np.float32 and d.chunks == (1, 5, 16) and d.compression == "gzip", (d.dtype, d.chunks, d.compression)
    out("u", d[...]); out("x", f["x-coordinate"][...]); out("t", f["t-coordinate"][...])
    out("nu", np.array([f.attrs["Nu"]]))
"#,
        &dir,
    ) else {
        return;
    };
    assert_same(&r.tensor("u"), &u, "tensor");
    assert_same(&r.tensor("x"), &x, "x-coordinate");
    assert_same(&r.tensor("t"), &t, "t-coordinate");
    assert_eq!(r.scalar("nu"), 0.01);
    // And back through our reader.
    let f = one_d::PdeBench1d::open(&path, Resolution::FULL).unwrap();
    assert_same(&f.batch(&[0, 1, 2, 3, 4, 5]).unwrap(), &u, "read back");
}

#[test]
fn darcy_round_trips() {
    let dir = scratch("darcy");
    let (nu, sol) = (rand(&[5, 9, 9], 4), rand(&[5, 1, 9, 9], 5));
    let (x, y) = (rand(&[9], 6), rand(&[9], 7));
    let ours = dir.join("ours.hdf5");
    darcy::write_darcy(
        &ours,
        &nu,
        &sol,
        &x,
        &y,
        &[("beta", 1.0)],
        WriteOptions::default(),
    )
    .unwrap();
    let Some(r) = python(
        r#"
with h5py.File("ours.hdf5", "r") as f:
    assert f["tensor"].shape == (5, 1, 9, 9) and f["nu"].shape == (5, 9, 9)
    assert f["tensor"].dtype == np.float32 and f["nu"].dtype == np.float32
    out("nu", f["nu"][...]); out("sol", f["tensor"][...]); out("beta", np.array([f.attrs["beta"]]))
rng = np.random.default_rng(2)
a = rng.standard_normal((12, 17, 17)).astype("f4"); u = rng.standard_normal((12, 1, 17, 17)).astype("f4")
with h5py.File("theirs.hdf5", "w") as f:
    f["nu"] = a; f["tensor"] = u; f["x-coordinate"] = np.arange(17, dtype="f4"); f["y-coordinate"] = np.arange(17, dtype="f4") * 2
    f.attrs["beta"] = 10.0
out("a7", a[7, ::2, ::2]); out("u7", u[7, :, ::2, ::2]); out("ab", a[[0, 5, 6], ::2, ::2]); out("ub", u[[0, 5, 6], :, ::2, ::2])
out("y", (np.arange(17, dtype="f4") * 2)[::2])
"#,
        &dir,
    ) else {
        return;
    };
    assert_same(&r.tensor("nu"), &nu, "nu");
    assert_same(&r.tensor("sol"), &sol, "tensor");
    assert_eq!(r.scalar("beta"), 1.0);
    let f = darcy::PdeBenchDarcy::open(dir.join("theirs.hdf5"), Resolution::new(2, 1)).unwrap();
    assert_eq!((f.len(), f.sample_shape()), (12, vec![9, 9]));
    assert_eq!(f.split(Split::Test), 0..1);
    assert_same(&f.coefficient(7).unwrap(), &r.tensor("a7"), "coefficient");
    assert_same(&f.solution(7).unwrap(), &r.tensor("u7"), "solution");
    let (a, u) = f.batch(&[0, 5, 6]).unwrap();
    assert_same(&a, &r.tensor("ab"), "coefficient batch");
    assert_same(&u, &r.tensor("ub"), "solution batch");
    assert_same(&f.y_coordinate().unwrap(), &r.tensor("y"), "y-coordinate");
    assert_eq!(f.attrs().unwrap()["beta"], 10.0);
}

#[test]
fn cfd_round_trips() {
    let dir = scratch("cfd");
    let fields: Vec<_> = (0..4).map(|k| rand(&[3, 4, 6, 5], 10 + k)).collect();
    let names = ["density", "pressure", "Vx", "Vy"];
    let pairs: Vec<(&str, &fluxion_tensor::Tensor)> = names.iter().copied().zip(&fields).collect();
    let (xc, tc) = (rand(&[6], 20), rand(&[4], 21));
    let ours = dir.join("ours.hdf5");
    let attrs = [("eta", 0.1), ("zeta", 0.01), ("M", 1.0)];
    cfd::write_cfd(
        &ours,
        &pairs,
        &[("x-coordinate", &xc), ("t-coordinate", &tc)],
        &attrs,
        WriteOptions { gzip: Some(1) },
    )
    .unwrap();
    let Some(r) = python(
        r#"
with h5py.File("ours.hdf5", "r") as f:
    for k in ["density", "pressure", "Vx", "Vy"]:
        assert f[k].shape == (3, 4, 6, 5) and f[k].dtype == np.float32
        out(k, f[k][...])
    out("eta", np.array([f.attrs["eta"]])); out("M", np.array([f.attrs["M"]]))
    stacked = np.stack([f[k][1, ::3, ::2, ::2] for k in ["density", "pressure", "Vx", "Vy"]], axis=-1)
    out("s1", stacked)
    out("vy2", f["Vy"][2, ::3, ::2, ::2])
"#,
        &dir,
    ) else {
        return;
    };
    for (n, t) in names.iter().zip(&fields) {
        assert_same(&r.tensor(n), t, n);
    }
    assert_eq!((r.scalar("eta"), r.scalar("M")), (0.1, 1.0));
    let f = cfd::PdeBenchCfd::open(&ours, Resolution::new(2, 3)).unwrap();
    assert_eq!(f.space_dims(), 2);
    assert_eq!(f.sample_shape(), vec![2, 3, 3, 4]);
    assert_same(
        &f.sample(1).unwrap(),
        &r.tensor("s1"),
        "channel-last sample",
    );
    assert_same(&f.field("Vy", 2).unwrap(), &r.tensor("vy2"), "one field");
    let b = f.batch(&[1]).unwrap();
    assert_eq!(b.dims(), &[1, 2, 3, 3, 4]);
    assert_eq!(f.attrs().unwrap()["zeta"], 0.01);
}

#[test]
fn seeded_round_trips() {
    let dir = scratch("seeded");
    let data = rand(&[3, 5, 4, 4, 1], 30);
    let (gx, gt) = (rand(&[4], 31), rand(&[5], 32));
    let ours = dir.join("ours.h5");
    seeded::write_seeded(
        &ours,
        &data,
        &[("x", &gx), ("y", &gx), ("t", &gt)],
        WriteOptions::default(),
    )
    .unwrap();
    let Some(r) = python(
        r#"
with h5py.File("ours.h5", "r") as f:
    assert sorted(f.keys()) == ["0000", "0001", "0002"], list(f.keys())
    out("d", np.stack([f[k]["data"][...] for k in sorted(f.keys())])); out("gt", f["0001/grid/t"][...])
rng = np.random.default_rng(3)
d = rng.standard_normal((12, 7, 9, 9, 2)).astype("f4")
with h5py.File("theirs.h5", "w") as f:
    for i in range(12):
        g = f.create_group(f"{i:04d}"); g["data"] = d[i]
        g["grid/x"] = np.linspace(0, 1, 9, dtype="f4"); g["grid/y"] = np.linspace(0, 1, 9, dtype="f4"); g["grid/t"] = np.linspace(0, 1, 7, dtype="f4")
out("s4", d[4, ::2, ::4, ::4, :]); out("b", d[[0, 11], ::2, ::4, ::4, :]); out("gx", np.linspace(0, 1, 9, dtype="f4")[::4])
"#,
        &dir,
    ) else {
        return;
    };
    assert_same(&r.tensor("d"), &data, "data");
    assert_same(&r.tensor("gt"), &gt, "grid/t");
    let f = seeded::PdeBenchSeeded::open(dir.join("theirs.h5"), Resolution::new(4, 2)).unwrap();
    assert_eq!((f.len(), f.sample_shape()), (12, vec![4, 3, 3, 2]));
    assert_eq!(f.split(Split::Test), 0..1);
    assert_same(&f.sample(4).unwrap(), &r.tensor("s4"), "sample");
    assert_same(&f.batch(&[0, 11]).unwrap(), &r.tensor("b"), "batch");
    assert_same(&f.grid(3, "x").unwrap(), &r.tensor("gx"), "grid/x");
}
