//! Reading a sample touches only that sample's chunk: the chunks of every other sample are
//! overwritten with garbage on disk, so a reader that loaded more would fail to decompress them.

mod common;

use common::{assert_same, rand, scratch};
use fluxion_data::pdebench::one_d::{self, PdeBench1d};
use fluxion_data::{hdf5, Error, Resolution, WriteOptions};
use std::io::{Seek, SeekFrom, Write};

#[test]
fn one_sample_reads_only_its_chunk() {
    let path = scratch("lazy").join("corrupt.hdf5");
    let (n, keep) = (8, 3);
    let u = rand(&[n, 21, 128], 7);
    let opts = WriteOptions { gzip: Some(6) };
    one_d::write_1d(&path, &u, &rand(&[128], 8), &rand(&[22], 9), &[], opts).unwrap();

    // Locate every chunk but sample `keep`'s and overwrite it with 0xFF.
    let spans: Vec<(u64, u64)> = {
        let f = hdf5::File::open(&path).unwrap();
        let ds = f.dataset("tensor").unwrap();
        assert_eq!(ds.num_chunks(), Some(n), "one chunk per sample");
        (0..n)
            .map(|k| ds.chunk_info(k).unwrap())
            .filter(|c| c.offset[0] as usize != keep)
            .map(|c| (c.addr, c.size))
            .collect()
    };
    assert_eq!(spans.len(), n - 1);
    let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    for (addr, size) in spans {
        file.seek(SeekFrom::Start(addr)).unwrap();
        file.write_all(&vec![0xFF; size as usize]).unwrap();
    }
    drop(file);

    let f = PdeBench1d::open(&path, Resolution::FULL).unwrap();
    let want = u.to_vec::<f32>().unwrap();
    let per = 21 * 128;
    let want_keep = fluxion_tensor::Tensor::from_vec(
        want[keep * per..(keep + 1) * per].to_vec(),
        vec![21, 128],
        &fluxion_tensor::Device::Cpu,
    )
    .unwrap();
    assert_same(&f.sample(keep).unwrap(), &want_keep, "the intact sample");
    let strided = PdeBench1d::open(&path, Resolution::new(4, 5)).unwrap();
    assert_eq!(strided.sample(keep).unwrap().dims(), &[5, 32]);
    // The test can fail: any read of another sample hits a corrupted chunk, as an error.
    for other in [0, keep + 1, n - 1] {
        let e = f.sample(other).unwrap_err();
        assert!(matches!(e, Error::Hdf5At { .. }), "{e:?}");
        assert!(e.to_string().contains("tensor"), "{e}");
    }
    assert!(f.batch(&[keep, keep + 1]).is_err());
}
