//! Every user-caused failure is an error (never a panic) whose message names the file and key.

mod common;

use std::path::Path;

use common::{rand, scratch};
use fluxion_data::pdebench::{
    darcy::PdeBenchDarcy, one_d, one_d::PdeBench1d, seeded::PdeBenchSeeded,
};
use fluxion_data::{hdf5, Error, Resolution, WriteOptions};

fn message_names(e: &Error, path: &Path, key: &str) -> String {
    let msg = e.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "message lacks the path: {msg}"
    );
    assert!(msg.contains(key), "message lacks `{key}`: {msg}");
    msg
}

fn h5_with(path: &Path, build: impl FnOnce(&hdf5::File)) {
    let f = hdf5::File::create(path).unwrap();
    build(&f);
}

#[test]
fn missing_file() {
    let path = scratch("missing_file").join("nope.hdf5");
    let e = PdeBench1d::open(&path, Resolution::FULL).unwrap_err();
    assert!(matches!(e, Error::FileNotFound { .. }), "{e:?}");
    message_names(&e, &path, "no such file");
}

#[test]
fn not_hdf5_and_truncated() {
    let dir = scratch("not_hdf5");
    let text = dir.join("notes.hdf5");
    std::fs::write(&text, "this is not an HDF5 file\n".repeat(100)).unwrap();
    let e = PdeBench1d::open(&text, Resolution::FULL).unwrap_err();
    assert!(matches!(e, Error::Open { .. }), "{e:?}");
    message_names(&e, &text, "cannot open as HDF5");

    let whole = dir.join("whole.hdf5");
    let u = rand(&[4, 8, 64], 1);
    one_d::write_1d(
        &whole,
        &u,
        &rand(&[64], 2),
        &rand(&[9], 3),
        &[],
        WriteOptions::default(),
    )
    .unwrap();
    let bytes = std::fs::read(&whole).unwrap();
    for keep in [bytes.len() / 2, 1000, 100] {
        let cut = dir.join(format!("cut{keep}.hdf5"));
        std::fs::write(&cut, &bytes[..keep]).unwrap();
        // Either opening or reading fails, with the file named; never a panic or garbage data.
        match PdeBench1d::open(&cut, Resolution::FULL) {
            Err(e) => drop(message_names(&e, &cut, "")),
            Ok(f) => {
                let e = f.batch(&[0, 1, 2, 3]).unwrap_err();
                message_names(&e, &cut, "tensor");
            }
        }
    }
}

#[test]
fn missing_key_lists_what_exists() {
    let path = scratch("missing_key").join("wrong.hdf5");
    h5_with(&path, |f| {
        f.new_dataset::<f32>().shape([2, 3, 4]).create("u").unwrap();
    });
    let e = PdeBench1d::open(&path, Resolution::FULL).unwrap_err();
    assert!(matches!(e, Error::MissingKey { .. }), "{e:?}");
    let msg = message_names(&e, &path, "`tensor`");
    assert!(msg.contains("found: u"), "{msg}");

    // Opening works without coordinates; asking for them names the missing key.
    let path = scratch("missing_key").join("nocoord.hdf5");
    h5_with(&path, |f| {
        f.new_dataset::<f32>()
            .shape([2, 3, 4])
            .create("tensor")
            .unwrap();
    });
    let f = PdeBench1d::open(&path, Resolution::FULL).unwrap();
    message_names(&f.x_coordinate().unwrap_err(), &path, "x-coordinate");
}

#[test]
fn wrong_rank_dtype_shape() {
    let dir = scratch("wrong_rank");
    let rank = dir.join("rank.hdf5");
    h5_with(&rank, |f| {
        f.new_dataset::<f32>()
            .shape([2, 3])
            .create("tensor")
            .unwrap();
    });
    let e = PdeBench1d::open(&rank, Resolution::FULL).unwrap_err();
    assert!(matches!(e, Error::Rank { .. }), "{e:?}");
    let msg = message_names(&e, &rank, "`tensor`");
    assert!(msg.contains("rank 2") && msg.contains("[N, T, X]"), "{msg}");

    let dtype = dir.join("dtype.hdf5");
    h5_with(&dtype, |f| {
        f.new_dataset::<i32>()
            .shape([2, 3, 4])
            .create("tensor")
            .unwrap();
    });
    let e = PdeBench1d::open(&dtype, Resolution::FULL).unwrap_err();
    assert!(matches!(e, Error::DType { .. }), "{e:?}");
    let msg = message_names(&e, &dtype, "`tensor`");
    assert!(msg.contains("int32") && msg.contains("float32"), "{msg}");

    let shape = dir.join("darcy.hdf5");
    h5_with(&shape, |f| {
        f.new_dataset::<f32>()
            .shape([3, 1, 8, 8])
            .create("tensor")
            .unwrap();
        f.new_dataset::<f32>()
            .shape([3, 8, 7])
            .create("nu")
            .unwrap();
    });
    let e = PdeBenchDarcy::open(&shape, Resolution::FULL).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }), "{e:?}");
    let msg = message_names(&e, &shape, "`nu`");
    assert!(
        msg.contains("[3, 8, 7]") && msg.contains("[3, 8, 8]"),
        "{msg}"
    );
}

#[test]
fn bad_index_and_arguments() {
    let path = scratch("bad_index").join("u.hdf5");
    let u = rand(&[3, 4, 8], 1);
    one_d::write_1d(
        &path,
        &u,
        &rand(&[8], 2),
        &rand(&[5], 3),
        &[],
        WriteOptions::default(),
    )
    .unwrap();
    let f = PdeBench1d::open(&path, Resolution::FULL).unwrap();
    let e = f.sample(3).unwrap_err();
    assert!(
        matches!(
            e,
            Error::IndexOutOfRange {
                index: 3,
                len: 3,
                ..
            }
        ),
        "{e:?}"
    );
    message_names(&e, &path, "tensor");
    assert!(f.batch(&[0, 7]).is_err());
    assert!(f.range(1..5, 1).is_err());
    let e = PdeBench1d::open(&path, Resolution::new(0, 1)).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    let e = one_d::write_1d(
        &path,
        &rand(&[3, 4], 1),
        &rand(&[8], 2),
        &rand(&[5], 3),
        &[],
        WriteOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("rank-3"), "{e}");
    let bad_gzip = one_d::write_1d(
        &path,
        &u,
        &rand(&[8], 2),
        &rand(&[5], 3),
        &[],
        WriteOptions { gzip: Some(12) },
    );
    assert!(bad_gzip.is_err());
}

#[test]
fn seeded_without_groups_or_data() {
    let dir = scratch("seeded_errors");
    let empty = dir.join("empty.h5");
    h5_with(&empty, |_| {});
    let e = PdeBenchSeeded::open(&empty, Resolution::FULL).unwrap_err();
    message_names(&e, &empty, "seed group");

    let nodata = dir.join("nodata.h5");
    h5_with(&nodata, |f| {
        f.create_group("0000")
            .unwrap()
            .new_dataset::<f32>()
            .shape([2, 3, 1])
            .create("u")
            .unwrap();
    });
    let e = PdeBenchSeeded::open(&nodata, Resolution::FULL).unwrap_err();
    let msg = message_names(&e, &nodata, "0000/data");
    assert!(msg.contains("found: u"), "{msg}");
}

#[test]
fn unfinished_writer_leaves_nothing() {
    let dir = scratch("unfinished");
    let target = dir.join("half.hdf5");
    {
        let w = fluxion_data::Hdf5Writer::create(&target, WriteOptions::default()).unwrap();
        w.create_dataset("tensor", &[10, 4, 4]).unwrap();
        w.write_rows("tensor", 0, &[0.0; 16]).unwrap();
        // Dropped without finish(), as when a run is interrupted.
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "writer left a file behind"
    );
}
