//! The elementwise, adam and reduce modules cover the kernels their CPU counterparts need. The
//! elementwise module covers the op vocabulary of `fluxion_tensor::op` (written out by hand:
//! this crate does not depend on fluxion-tensor): a unary and a binary kernel for every op and
//! float dtype, a comparison for every `CmpOp` and dtype, and `where` and the strided `copy` for
//! every dtype.

use fluxion_kernels::Id;

/// `UnaryOp::name()` of every unary op.
const UNARY: [&str; 22] = [
    "neg",
    "abs",
    "exp",
    "log",
    "sqrt",
    "square",
    "recip",
    "powf",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "relu",
    "leaky_relu",
    "leaky_relu_grad",
    "gelu_tanh",
    "gelu_erf",
    "gelu_erf_grad",
    "erf",
    "softplus",
    "sign",
    "affine",
];

/// `BinaryOp::name()` of every binary op.
const BINARY: [&str; 7] = ["add", "sub", "mul", "div", "pow", "maximum", "minimum"];

/// `CmpOp::name()` of every comparison.
const CMP: [&str; 6] = ["eq", "ne", "lt", "le", "gt", "ge"];

const FLOAT_DTYPES: [&str; 4] = ["f16", "bf16", "f32", "f64"];
const ALL_DTYPES: [&str; 6] = ["f16", "bf16", "f32", "f64", "u8", "i64"];

fn expected() -> Vec<String> {
    let mut names = Vec::new();
    for op in UNARY.iter().chain(&BINARY) {
        for dt in FLOAT_DTYPES {
            names.push(format!("{op}_{dt}"));
        }
    }
    for op in CMP {
        for dt in ALL_DTYPES {
            names.push(format!("cmp_{op}_{dt}"));
        }
    }
    for dt in ALL_DTYPES {
        names.push(format!("where_{dt}"));
        names.push(format!("copy_{dt}"));
    }
    names
}

#[test]
fn elementwise_defines_every_op_and_dtype() {
    let module = Id::Elementwise.module();
    let expected = expected();
    let missing: Vec<&String> = expected
        .iter()
        .filter(|n| !module.has_function(n))
        .collect();
    assert!(missing.is_empty(), "elementwise lacks {missing:?}");
    let extra: Vec<&&str> = module
        .functions
        .iter()
        .filter(|f| !expected.iter().any(|e| e == *f))
        .collect();
    assert!(
        extra.is_empty(),
        "elementwise has unexpected kernels {extra:?}"
    );
}

#[test]
fn elementwise_is_compiled_after_the_prelude() {
    let module = Id::Elementwise.module();
    assert!(module.uses_prelude());
    assert!(Id::Cast.module().uses_prelude());
    assert!(!Id::Philox.module().uses_prelude());
}

#[test]
fn adam_defines_f32_and_f64_after_the_prelude() {
    let module = Id::Adam.module();
    assert_eq!(module.functions, ["adam_f32", "adam_f64"]);
    assert!(module.uses_prelude());
}

#[test]
fn reduce_defines_every_op_and_dtype() {
    let module = Id::Reduce.module();
    assert!(module.uses_prelude());
    // Sum is float-only on the CPU; the extrema and their indices exist for every dtype.
    let mut expected: Vec<String> = FLOAT_DTYPES.iter().map(|d| format!("sum_{d}")).collect();
    for op in ["max", "min", "argmax", "argmin"] {
        expected.extend(ALL_DTYPES.iter().map(|d| format!("{op}_{d}")));
    }
    let listed: Vec<String> = module.functions.iter().map(|f| f.to_string()).collect();
    assert_eq!(listed, expected);
}
