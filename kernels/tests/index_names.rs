//! The index module defines exactly the kernels the CPU index ops need on a device (written out
//! as ops × dtypes here: this crate does not depend on fluxion-tensor): `index_select`, `gather`
//! and `concat` for every dtype, `scatter_add` for the float dtypes.

use fluxion_kernels::Id;

const ALL_DTYPES: [&str; 6] = ["f16", "bf16", "f32", "f64", "u8", "i64"];
const FLOAT_DTYPES: [&str; 4] = ["f16", "bf16", "f32", "f64"];

#[test]
fn index_defines_every_op_and_dtype_after_the_prelude() {
    let module = Id::Index.module();
    assert_eq!(module.name, "index");
    assert!(module.uses_prelude());
    let mut expected: Vec<String> = Vec::new();
    for op in ["index_select", "gather", "concat"] {
        expected.extend(ALL_DTYPES.iter().map(|dt| format!("{op}_{dt}")));
    }
    expected.extend(FLOAT_DTYPES.iter().map(|dt| format!("scatter_add_{dt}")));
    let mut listed: Vec<String> = module.functions.iter().map(|f| f.to_string()).collect();
    expected.sort();
    listed.sort();
    assert_eq!(listed, expected);
    for name in module.functions {
        assert_eq!(fluxion_kernels::find(name).map(|m| m.id), Some(Id::Index));
    }
}
