//! The index module defines exactly the kernels the CPU index ops need on a device, written out
//! by hand (this crate does not depend on fluxion-tensor): `index_select`, `gather` and `concat`
//! for every dtype, `scatter_add` for the float dtypes.

use fluxion_kernels::Id;

#[test]
fn index_defines_every_op_and_dtype_after_the_prelude() {
    let module = Id::Index.module();
    assert_eq!(module.name, "index");
    assert!(module.uses_prelude());
    assert_eq!(
        module.functions,
        [
            "index_select_f16",
            "index_select_bf16",
            "index_select_f32",
            "index_select_f64",
            "index_select_u8",
            "index_select_i64",
            "gather_f16",
            "gather_bf16",
            "gather_f32",
            "gather_f64",
            "gather_u8",
            "gather_i64",
            "scatter_add_f16",
            "scatter_add_bf16",
            "scatter_add_f32",
            "scatter_add_f64",
            "concat_f16",
            "concat_bf16",
            "concat_f32",
            "concat_f64",
            "concat_u8",
            "concat_i64",
        ]
    );
    for name in module.functions {
        assert_eq!(fluxion_kernels::find(name).map(|m| m.id), Some(Id::Index));
    }
}
