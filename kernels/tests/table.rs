//! The kernel table agrees with the sources: every `extern "C" __global__` symbol is listed, every
//! listed name is defined, names follow `{op}_{dtype}`, and `MODULES` is indexed by `Id`.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use fluxion_kernels::{Id, COUNT, MODULES, PRELUDE};

const DTYPES: [&str; 6] = ["f16", "bf16", "f32", "f64", "u8", "i64"];
const MARKER: &str = "extern \"C\" __global__ void ";

/// Names of the kernels a source defines: each `extern "C" __global__ void NAME(`, and each
/// generated family `FX_EACH_FLOAT(M, NAME, OP)` (NAME for f16, bf16, f32, f64) or
/// `FX_EACH_DTYPE(M, NAME, OP)` (all six dtypes), or `FX_CAST(s, d, S, D)` (`cast_{s}_{d}`) at
/// the start of a line. The macros' own definitions (`NAME##_##DT`) are skipped.
fn defined_kernels(source: &str) -> Vec<String> {
    let mut names: Vec<String> = source
        .match_indices(MARKER)
        .map(|(at, _)| {
            let rest = &source[at + MARKER.len()..];
            let end = rest
                .find('(')
                .unwrap_or_else(|| panic!("no '(' after `{MARKER}` in {rest:.60}"));
            rest[..end].trim().to_string()
        })
        .filter(|name| !name.contains("##"))
        .collect();
    for line in source.lines() {
        if let Some(rest) = line.strip_prefix("FX_CAST(") {
            // `FX_CAST(s, d, S, D)` defines `cast_{s}_{d}` (cast.cu).
            let mut pair = rest.split(',').map(str::trim);
            let (s, d) = (pair.next(), pair.next());
            let (Some(s), Some(d)) = (s, d) else {
                panic!("no source and destination in `{line}`")
            };
            names.push(format!("cast_{s}_{d}"));
            continue;
        }
        let (family, dtypes) = if let Some(rest) = line.strip_prefix("FX_EACH_FLOAT(") {
            (rest, &DTYPES[..4])
        } else if let Some(rest) = line.strip_prefix("FX_EACH_DTYPE(") {
            (rest, &DTYPES[..])
        } else {
            continue;
        };
        let name = family
            .split(',')
            .nth(1)
            .unwrap_or_else(|| panic!("no NAME in `{line}`"))
            .trim();
        names.extend(dtypes.iter().map(|dt| format!("{name}_{dt}")));
    }
    names
}

/// `op` is lower-case words joined by `_`, `dtype` one of [`DTYPES`].
fn is_op_dtype(name: &str) -> bool {
    let Some((op, dtype)) = name.rsplit_once('_') else {
        return false;
    };
    let word_ok = |w: &str| {
        w.starts_with(|c: char| c.is_ascii_lowercase())
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    DTYPES.contains(&dtype) && op.split('_').all(word_ok)
}

#[test]
fn listed_functions_match_the_sources() {
    for module in MODULES {
        let defined = defined_kernels(module.source);
        let defined_set: BTreeSet<&str> = defined.iter().map(String::as_str).collect();
        let listed_set: BTreeSet<&str> = module.functions.iter().copied().collect();
        assert_eq!(
            defined.len(),
            defined_set.len(),
            "module {}: a kernel is defined twice",
            module.name
        );
        assert_eq!(
            module.functions.len(),
            listed_set.len(),
            "module {}: a kernel is listed twice",
            module.name
        );
        let unlisted: Vec<_> = defined_set.difference(&listed_set).collect();
        let undefined: Vec<_> = listed_set.difference(&defined_set).collect();
        assert!(
            unlisted.is_empty() && undefined.is_empty(),
            "module {}: defined but not listed {unlisted:?}; listed but not defined {undefined:?}",
            module.name
        );
        assert!(
            !module.functions.is_empty(),
            "module {} has no kernels",
            module.name
        );
    }
}

#[test]
fn parser_finds_kernels_and_names_are_checked() {
    // The checks above can fail: the parser sees definitions and the name rule rejects bad names.
    let src = "extern \"C\" __global__ void add_f32(float* o) {}\n\
               __device__ void helper_f32() {}\n\
               extern \"C\" __global__ void  mul_bf16 (float* o) {}";
    assert_eq!(defined_kernels(src), ["add_f32", "mul_bf16"]);
    assert!(is_op_dtype("cast_f64_bf16"));
    assert!(is_op_dtype("rand_uniform_f32"));
    assert!(!is_op_dtype("fill"));
    assert!(!is_op_dtype("fill_f128"));
    assert!(!is_op_dtype("Fill_f32"));
    assert!(!is_op_dtype("_f32"));
}

#[test]
fn names_follow_op_dtype_and_are_unique() {
    let mut seen = HashSet::new();
    for module in MODULES {
        for &name in module.functions {
            assert!(
                is_op_dtype(name),
                "module {}: kernel {name} is not named {{op}}_{{dtype}} with dtype in {DTYPES:?}",
                module.name
            );
            assert!(seen.insert(name), "kernel {name} is defined in two modules");
            assert_eq!(fluxion_kernels::find(name).map(|m| m.id), Some(module.id));
        }
    }
}

#[test]
fn modules_are_indexed_by_id() {
    assert_eq!(MODULES.len(), COUNT);
    assert_eq!(Id::ALL.len(), COUNT);
    let ids: HashSet<Id> = MODULES.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), COUNT, "module ids are not unique");
    let names: HashSet<&str> = MODULES.iter().map(|m| m.name).collect();
    assert_eq!(names.len(), COUNT, "module names are not unique");
    for (i, id) in Id::ALL.into_iter().enumerate() {
        assert_eq!(id.index(), i);
        assert_eq!(MODULES[id as usize].id, id);
        assert_eq!(id.module().id, id);
    }
}

#[test]
fn every_cu_file_is_a_module_and_sources_are_self_contained() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stems = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("read kernels/") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "cu") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let on_disk = std::fs::read_to_string(&path).expect("read .cu");
            let module = MODULES
                .iter()
                .find(|m| m.name == stem)
                .unwrap_or_else(|| panic!("{} is not in fluxion_kernels::MODULES", path.display()));
            // A module embeds its file as is, or after the shared prelude.
            let body = if module.uses_prelude() {
                &module.source[PRELUDE.len()..]
            } else {
                module.source
            };
            assert_eq!(body, on_disk, "module {stem}: embedded source differs");
            stems.insert(stem);
        }
    }
    let names: BTreeSet<String> = MODULES.iter().map(|m| m.name.to_string()).collect();
    assert_eq!(stems, names, "MODULES and kernels/*.cu differ");
    let prelude = std::fs::read_to_string(dir.join("prelude.cuh")).expect("read prelude.cuh");
    assert_eq!(PRELUDE, prelude, "embedded prelude differs");
    assert!(
        !PRELUDE.contains("#include"),
        "the prelude includes a header"
    );
    assert!(
        defined_kernels(PRELUDE).is_empty(),
        "the prelude defines kernels; every module using it would define them again"
    );
    for module in MODULES {
        // NVRTC is given no include paths: a module must not include anything.
        assert!(
            !module.source.contains("#include"),
            "module {} includes a header; NVRTC compiles each module on its own",
            module.name
        );
    }
}
