//! Domains and regions: validation, face pieces, normals.

use fluxion_pinn::{Domain, Region, SamplerConfig, Side};

#[test]
fn validation_errors() {
    assert!(Domain::interval("x", 1.0, 1.0).is_err(), "lo = hi");
    assert!(Domain::interval("x", 2.0, 1.0).is_err(), "lo > hi");
    assert!(Domain::interval("x", 0.0, f64::INFINITY).is_err());
    assert!(
        Domain::rectangle(("x", 0.0, 1.0), ("x", 0.0, 1.0)).is_err(),
        "duplicate"
    );
    let d = Domain::interval("x", -1.0, 1.0).unwrap();
    assert!(
        d.clone().with_time("x", 0.0, 1.0).is_err(),
        "time name taken"
    );
    let d = d.with_time("t", 0.0, 0.99).unwrap();
    assert!(d.clone().with_time("s", 0.0, 1.0).is_err(), "two time axes");
    assert!(d.axis_index("y").is_err());
    assert!(d.face("y", Side::Lo).is_err());
    let spatial = Domain::interval("x", 0.0, 1.0).unwrap();
    assert!(spatial.check_region(&Region::Initial).is_err());
    let time_only = Domain::interval("a", 0.0, 1.0).unwrap();
    assert!(time_only
        .check_region(&Region::Face {
            axis: 3,
            side: Side::Hi
        })
        .is_err());
}

#[test]
fn space_time_regions() {
    let d = Domain::interval("x", -1.0, 1.0)
        .unwrap()
        .with_time("t", 0.0, 0.99)
        .unwrap();
    assert_eq!(
        (d.dim(), d.time_axis(), d.spatial_axes()),
        (2, Some(1), vec![0])
    );
    let ic = SamplerConfig::Random
        .sample(&d, &Region::Initial, 50, 1, 0)
        .unwrap();
    assert!(ic
        .rows()
        .all(|p| p[1] == 0.0 && (-1.0..=1.0).contains(&p[0])));
    assert!(ic.normals().is_none());
    let bc = SamplerConfig::Random
        .sample(&d, &Region::SpatialBoundary, 40, 1, 0)
        .unwrap();
    assert_eq!(bc.len(), 40);
    let n = bc.normals().unwrap();
    let (mut lo, mut hi) = (0, 0);
    for (p, nv) in bc.rows().zip(n.chunks_exact(2)) {
        assert!((0.0..=0.99).contains(&p[1]));
        if p[0] == -1.0 {
            lo += 1;
            assert_eq!(nv, [-1.0, 0.0]);
        } else if p[0] == 1.0 {
            hi += 1;
            assert_eq!(nv, [1.0, 0.0]);
        } else {
            panic!("boundary point off the boundary: x = {}", p[0]);
        }
    }
    assert_eq!((lo, hi), (20, 20), "equal faces share equally");
    let top = d.face("t", Side::Hi).unwrap();
    let pts = SamplerConfig::Sobol.sample(&d, &top, 8, 0, 0).unwrap();
    assert!(pts.rows().all(|p| p[1] == 0.99));
}

#[test]
fn boundary_split_follows_face_measure() {
    // x ∈ [0, 3], y ∈ [0, 1]: faces x = const have length 1, faces y = const length 3.
    let d = Domain::rectangle(("x", 0.0, 3.0), ("y", 0.0, 1.0)).unwrap();
    let pts = SamplerConfig::Random
        .sample(&d, &Region::SpatialBoundary, 80, 0, 0)
        .unwrap();
    let on_x = pts.rows().filter(|p| p[0] == 0.0 || p[0] == 3.0).count();
    assert_eq!(
        on_x, 20,
        "10 + 10 on the short faces, 30 + 30 on the long ones"
    );
}
