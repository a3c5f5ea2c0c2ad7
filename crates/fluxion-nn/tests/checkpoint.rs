//! Safetensors checkpoints: bit-exact round trips of every dtype, metadata, modules (strict
//! loading), optimizer state and checkpoint directories; malformed files; atomic replacement.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use fluxion_autodiff::Var;
use fluxion_nn::{
    load_checkpoint, load_module, load_optimizer, load_tensors, save_checkpoint, save_module,
    save_optimizer, save_tensors, Error, Module, Optimizer, OptimizerState, Result, MODEL_FILE,
    OPTIMIZER_FILE,
};
use fluxion_tensor::{DType, Device, Tensor, WithDType};
use half::{bf16, f16};

const CPU: Device = Device::Cpu;

/// A fresh directory under cargo's per-target temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "fluxion-nn-checkpoint-{tag}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn files(&self) -> Vec<String> {
        files(&self.0)
    }
}

/// Names of the entries in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Asserts `err`'s message contains every needle.
fn assert_mentions(err: &Error, needles: &[&str]) {
    let msg = err.to_string();
    for n in needles {
        assert!(msg.contains(n), "{msg:?} lacks {n:?}");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A module that is just a list of named parameters.
struct Params(Vec<(String, Var)>);

impl Module for Params {
    fn forward(&self, x: &Var) -> Result<Var> {
        Ok(x.clone())
    }

    fn visit_parameters(&self, visitor: &mut dyn FnMut(&str, &Var)) {
        for (name, p) in &self.0 {
            visitor(name, p);
        }
    }
}

fn f32s(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape, &CPU).unwrap()
}

/// The two-layer test module: `layers.0.weight` [2, 3] f32 and `layers.0.bias` [2] f32.
fn net(offset: f32) -> Params {
    let w: Vec<f32> = (0..6).map(|i| i as f32 + offset).collect();
    Params(vec![
        ("layers.0.weight".into(), Var::leaf(f32s(&w, &[2, 3]))),
        (
            "layers.0.bias".into(),
            Var::leaf(f32s(&[offset, -offset], &[2])),
        ),
    ])
}

fn values(m: &Params) -> Vec<Vec<f32>> {
    m.0.iter()
        .map(|(_, p)| p.tensor().to_vec::<f32>().unwrap())
        .collect()
}

/// Element bits as u64, whatever the dtype, for bit-exact comparison.
fn bits(t: &Tensor) -> Vec<u64> {
    fn b<T: WithDType>(t: &Tensor, f: fn(T) -> u64) -> Vec<u64> {
        t.to_vec::<T>().unwrap().into_iter().map(f).collect()
    }
    match t.dtype() {
        DType::F16 => b(t, |x: f16| x.to_bits().into()),
        DType::BF16 => b(t, |x: bf16| x.to_bits().into()),
        DType::F32 => b(t, |x: f32| x.to_bits().into()),
        DType::F64 => b(t, f64::to_bits),
        DType::U8 => b(t, |x: u8| x.into()),
        DType::I64 => b(t, |x: i64| x as u64),
    }
}

fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn assert_same(a: &[(String, Tensor)], b: &[(String, Tensor)]) {
    assert_eq!(a.len(), b.len());
    for ((na, ta), (nb, tb)) in a.iter().zip(b) {
        assert_eq!(na, nb);
        assert_eq!(ta.dtype(), tb.dtype(), "{na}");
        assert_eq!(ta.dims(), tb.dims(), "{na}");
        assert_eq!(bits(ta), bits(tb), "{na}");
    }
}

/// One tensor per dtype, with ±0, subnormals, infinities, NaN (quiet, payload-free) and
/// extremes; names sorted so the loaded order (by name) matches.
#[rustfmt::skip]
fn every_dtype() -> Vec<(String, Tensor)> {
    let f16s = [0x0000, 0x8000, 0x0001, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 0x7bff, 0x3c00]
        .map(f16::from_bits).to_vec();
    let bf16s = [0x0000, 0x8000, 0x0001, 0x007f, 0x7f80, 0xff80, 0x7fc0, 0x7f7f, 0x3f80]
        .map(bf16::from_bits).to_vec();
    let f32s = vec![0.0, -0.0, f32::from_bits(1), f32::MIN_POSITIVE / 4.0, f32::INFINITY,
        f32::NEG_INFINITY, f32::NAN, f32::MAX, 0.1, -3.25];
    let f64s = vec![0.0, -0.0, f64::from_bits(1), f64::MIN_POSITIVE / 3.0, f64::INFINITY,
        f64::NEG_INFINITY, f64::NAN, f64::MAX, 0.1, 1e-300, -2.5, std::f64::consts::PI];
    let u8s: Vec<u8> = (0..=255).collect();
    let i64s = vec![i64::MIN, -1, 0, 1, i64::MAX, 1 << 40];
    vec![
        ("a.f16".into(), Tensor::from_vec(f16s, [3, 3], &CPU).unwrap()),
        ("b.bf16".into(), Tensor::from_vec(bf16s, [9], &CPU).unwrap()),
        ("c.f32".into(), Tensor::from_vec(f32s, [2, 5], &CPU).unwrap()),
        ("d.f64".into(), Tensor::from_vec(f64s, [2, 2, 3], &CPU).unwrap()),
        ("e.u8".into(), Tensor::from_vec(u8s, [16, 16], &CPU).unwrap()),
        ("f.i64".into(), Tensor::from_vec(i64s, [6], &CPU).unwrap()),
    ]
}

#[test]
fn every_dtype_round_trips_bit_exactly() {
    let dir = TempDir::new("dtypes");
    let path = dir.join("all.safetensors");
    let tensors = every_dtype();
    assert_eq!(tensors.len(), DType::ALL.len());
    save_tensors(&path, &tensors, &BTreeMap::new()).unwrap();
    let (loaded, metadata) = load_tensors(&path).unwrap();
    assert_same(&tensors, &loaded);
    assert!(metadata.is_empty());
    // Input order does not matter: the file is keyed by name and loads sorted by name.
    let reversed: Vec<_> = tensors.iter().rev().cloned().collect();
    save_tensors(&path, &reversed, &BTreeMap::new()).unwrap();
    assert_same(&tensors, &load_tensors(&path).unwrap().0);
}

#[test]
fn zero_d_and_empty_tensors_round_trip() {
    let dir = TempDir::new("shapes");
    let path = dir.join("shapes.safetensors");
    let tensors = vec![
        (
            "empty".to_string(),
            Tensor::zeros([0], DType::F32, &CPU).unwrap(),
        ),
        (
            "empty2d".to_string(),
            Tensor::zeros([2, 0, 3], DType::I64, &CPU).unwrap(),
        ),
        (
            "scalar".to_string(),
            Tensor::from_vec(vec![-0.0f64], (), &CPU).unwrap(),
        ),
        (
            "scalar16".to_string(),
            Tensor::full(1.5, (), DType::F16, &CPU).unwrap(),
        ),
    ];
    save_tensors(&path, &tensors, &BTreeMap::new()).unwrap();
    let (loaded, _) = load_tensors(&path).unwrap();
    assert_same(&tensors, &loaded);
    assert_eq!(loaded[2].1.dims(), &[] as &[usize]);
    // A file with no tensors at all.
    save_tensors(&path, &[], &meta(&[("k", "v")])).unwrap();
    let (loaded, m) = load_tensors(&path).unwrap();
    assert!(loaded.is_empty());
    assert_eq!(m, meta(&[("k", "v")]));
}

#[test]
fn metadata_round_trips_in_the_safetensors_header() {
    let dir = TempDir::new("metadata");
    let path = dir.join("m.safetensors");
    let m = meta(&[
        ("epoch", "12"),
        ("format", "pt"),
        ("note", "ünïcode \"quoted\" \\ and\nnewline"),
        ("empty", ""),
    ]);
    let t = vec![("x".to_string(), f32s(&[1.0, 2.0], &[2]))];
    save_tensors(&path, &t, &m).unwrap();
    assert_eq!(load_tensors(&path).unwrap().1, m);
    // The raw layout: u64 little-endian header length, a JSON header with `__metadata__`.
    let raw = fs::read(&path).unwrap();
    let n = u64::from_le_bytes(raw[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&raw[8..8 + n]).unwrap();
    assert!(
        header.starts_with('{') && header.contains("\"__metadata__\""),
        "{header}"
    );
    assert!(header.contains("\"dtype\":\"F32\""), "{header}");
    assert_eq!(raw.len(), 8 + n + 8);
}

#[test]
fn save_rejects_duplicate_and_reserved_names() {
    let dir = TempDir::new("names");
    let path = dir.join("n.safetensors");
    let x = f32s(&[1.0], &[1]);
    let dup = vec![("w".to_string(), x.clone()), ("w".to_string(), x.clone())];
    let e = save_tensors(&path, &dup, &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(e.contains("w") && e.contains("more than once"), "{e}");
    let reserved = vec![("__metadata__".to_string(), x)];
    assert!(save_tensors(&path, &reserved, &BTreeMap::new()).is_err());
    assert!(dir.files().is_empty(), "{:?}", dir.files());
}

#[test]
fn module_round_trip() {
    let dir = TempDir::new("module");
    let path = dir.join(MODEL_FILE);
    let a = net(1.0);
    save_module(&path, &a, &meta(&[("step", "7")])).unwrap();
    let (saved, _) = load_tensors(&path).unwrap();
    let names: Vec<&str> = saved.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["layers.0.bias", "layers.0.weight"]);
    let b = net(-5.0);
    assert_ne!(values(&a), values(&b));
    let m = load_module(&path, &b).unwrap();
    assert_eq!(m, meta(&[("step", "7")]));
    assert_eq!(values(&a), values(&b));
}

/// Loads into `module` expecting an `Error::Checkpoint` whose message names `path` and holds
/// every needle, and checks the module kept `before`.
fn assert_load_fails(path: &Path, module: &Params, needles: &[&str]) {
    let before = values(module);
    let err = load_module(path, module).unwrap_err();
    assert!(matches!(err, Error::Checkpoint { .. }), "{err:?}");
    assert_mentions(&err, &[&path.display().to_string()]);
    assert_mentions(&err, needles);
    assert_eq!(values(module), before, "a failed load changed the module");
}

#[test]
fn strict_load_names_the_parameter_and_leaves_the_module_unchanged() {
    let dir = TempDir::new("strict");
    let path = dir.join(MODEL_FILE);
    let bias = || ("layers.0.bias".to_string(), f32s(&[9.0, 9.0], &[2]));
    let weight = |t: Tensor| ("layers.0.weight".to_string(), t);
    let target = net(0.0);
    let none = BTreeMap::new();

    // Wrong shape (the bias matches, so only the weight is reported).
    let wrong_shape = vec![bias(), weight(f32s(&[0.0; 6], &[3, 2]))];
    save_tensors(&path, &wrong_shape, &none).unwrap();
    assert_load_fails(
        &path,
        &target,
        &["layers.0.weight", "[2, 3]", "[3, 2]", "shape"],
    );

    // Wrong dtype.
    let f64w = Tensor::from_vec(vec![0.0f64; 6], [2, 3], &CPU).unwrap();
    save_tensors(&path, &[bias(), weight(f64w)], &none).unwrap();
    assert_load_fails(&path, &target, &["layers.0.weight", "dtype", "f32", "f64"]);

    // Missing.
    save_tensors(&path, &[bias()], &none).unwrap();
    assert_load_fails(&path, &target, &["layers.0.weight", "missing"]);

    // Unexpected.
    let extra = vec![
        bias(),
        weight(f32s(&[0.0; 6], &[2, 3])),
        ("layers.1.weight".to_string(), f32s(&[1.0], &[1])),
    ];
    save_tensors(&path, &extra, &none).unwrap();
    assert_load_fails(&path, &target, &["layers.1.weight", "unexpected"]);

    // Several problems are all reported.
    save_tensors(&path, &[("other".to_string(), f32s(&[1.0], &[1]))], &none).unwrap();
    assert_load_fails(
        &path,
        &target,
        &[
            "layers.0.weight",
            "layers.0.bias",
            "other",
            "missing",
            "unexpected",
        ],
    );
}

#[test]
fn malformed_files_are_clear_errors_naming_the_path() {
    let dir = TempDir::new("malformed");
    let good = dir.join("good.safetensors");
    save_module(&good, &net(1.0), &meta(&[("a", "b")])).unwrap();
    let raw = fs::read(&good).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", raw[..raw.len() - 3].to_vec()),
        ("header-only", raw[..12].to_vec()),
        ("empty", Vec::new()),
        ("garbage", b"this is not a safetensors file at all".to_vec()),
        (
            "huge-length",
            [u64::MAX.to_le_bytes().to_vec(), raw[8..].to_vec()].concat(),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.join(&format!("{name}.safetensors"));
        fs::write(&path, bytes).unwrap();
        let err = load_tensors(&path).unwrap_err();
        assert!(matches!(err, Error::Safetensors { .. }), "{name}: {err:?}");
        assert_mentions(&err, &[&path.display().to_string()]);
        let m = net(0.0);
        let err = load_module(&path, &m).unwrap_err();
        assert_mentions(&err, &[&path.display().to_string()]);
        assert_eq!(values(&m), values(&net(0.0)));
    }
    let missing = dir.join("does-not-exist.safetensors");
    let err = load_tensors(&missing).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_mentions(&err, &["does-not-exist.safetensors"]);
}

#[test]
fn unsupported_dtypes_in_a_file_are_named() {
    use safetensors::tensor::TensorView;
    let dir = TempDir::new("i32");
    let path = dir.join("i32.safetensors");
    let data = [1u8, 0, 0, 0, 2, 0, 0, 0];
    let view = TensorView::new(safetensors::Dtype::I32, vec![2], &data).unwrap();
    fs::write(
        &path,
        safetensors::serialize([("ints", view)], None).unwrap(),
    )
    .unwrap();
    let err = load_tensors(&path).unwrap_err();
    assert!(matches!(err, Error::Checkpoint { .. }), "{err:?}");
    assert_mentions(&err, &["ints", "I32", "i32.safetensors"]);
}

#[test]
fn saves_go_through_a_temporary_file_and_replace_atomically() {
    let dir = TempDir::new("atomic");
    let path = dir.join("w.safetensors");
    let first = vec![("x".to_string(), f32s(&[1.0, 2.0, 3.0], &[3]))];
    save_tensors(&path, &first, &BTreeMap::new()).unwrap();
    assert_eq!(dir.files(), ["w.safetensors"]);
    let old_bytes = fs::read(&path).unwrap();

    // A reader holding the old file keeps seeing all of it: the new file is renamed over
    // the target, not written into it.
    let mut reader = fs::File::open(&path).unwrap();
    let second = vec![("y".to_string(), f32s(&[4.0; 100], &[10, 10]))];
    save_tensors(&path, &second, &meta(&[("v", "2")])).unwrap();
    let mut held = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut held).unwrap();
    assert_eq!(held, old_bytes);
    assert_eq!(
        dir.files(),
        ["w.safetensors"],
        "no temporary file may remain"
    );
    let (loaded, m) = load_tensors(&path).unwrap();
    assert_same(&second, &loaded);
    assert_eq!(m, meta(&[("v", "2")]));

    // A failed save leaves the existing file as it was and no temporary file.
    let dup = vec![second[0].clone(), second[0].clone()];
    assert!(save_tensors(&path, &dup, &BTreeMap::new()).is_err());
    assert_same(&second, &load_tensors(&path).unwrap().0);
    assert_eq!(dir.files(), ["w.safetensors"]);

    // A directory that does not exist is an I/O error naming the path.
    let nowhere = dir.join("missing-dir").join("w.safetensors");
    let err = save_tensors(&nowhere, &first, &BTreeMap::new()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_mentions(&err, &["missing-dir"]);

    // A rename that fails (the target is a directory) removes the temporary file.
    fs::create_dir(dir.join("occupied")).unwrap();
    let err = save_tensors(dir.join("occupied"), &first, &BTreeMap::new()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_mentions(&err, &["occupied"]);
    assert_eq!(dir.files(), ["occupied", "w.safetensors"]);
}

/// An optimizer with hand-made state, standing in for the real ones.
struct FakeOpt {
    params: Vec<Var>,
    lr: f64,
    state: OptimizerState,
}

impl FakeOpt {
    fn new(params: Vec<Var>, scalars: &[(&str, f64)], fill: f32) -> Self {
        let mut tensors = BTreeMap::new();
        for (i, p) in params.iter().enumerate() {
            let n = p.elem_count();
            let v: Vec<f32> = (0..n).map(|k| fill + k as f32 / 8.0).collect();
            tensors.insert(
                format!("{i}.exp_avg"),
                Tensor::from_vec(v, p.shape(), &CPU).unwrap(),
            );
        }
        tensors.insert(
            "step_count".into(),
            Tensor::from_vec(vec![3i64], (), &CPU).unwrap(),
        );
        let state = OptimizerState {
            kind: "fake".into(),
            scalars: scalars.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            tensors,
        };
        FakeOpt {
            params,
            lr: 0.1,
            state,
        }
    }
}

impl Optimizer for FakeOpt {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn params(&self) -> &[Var] {
        &self.params
    }
    fn step(&mut self) -> Result<()> {
        Ok(())
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn state(&self) -> OptimizerState {
        self.state.clone()
    }
    fn load_state(&mut self, state: &OptimizerState) -> Result<()> {
        if state.kind != "fake" {
            return Err(Error::OptimizerState {
                optimizer: "fake",
                reason: format!("state of {}", state.kind),
            });
        }
        self.state = state.clone();
        Ok(())
    }
}

#[rustfmt::skip]
fn tricky_scalars() -> Vec<(&'static str, f64)> {
    vec![
        ("lr", 0.1), ("tiny", 1e-300), ("denormal", f64::from_bits(1)), ("nan", f64::NAN),
        ("neg_nan_payload", f64::from_bits(0xfff0_0000_dead_beef)), ("inf", f64::INFINITY),
        ("neg_inf", f64::NEG_INFINITY), ("neg_zero", -0.0), ("max", f64::MAX),
        ("third", 1.0 / 3.0), ("step", 12345.0),
    ]
}

fn assert_same_state(a: &OptimizerState, b: &OptimizerState) {
    assert_eq!(a.kind, b.kind);
    let bits = |s: &OptimizerState| -> Vec<(String, u64)> {
        s.scalars
            .iter()
            .map(|(k, v)| (k.clone(), v.to_bits()))
            .collect()
    };
    assert_eq!(bits(a), bits(b));
    let ta: Vec<_> = a.tensors.clone().into_iter().collect();
    let tb: Vec<_> = b.tensors.clone().into_iter().collect();
    assert_same(&ta, &tb);
}

#[test]
fn optimizer_state_round_trips_exactly() {
    let dir = TempDir::new("optimizer");
    let path = dir.join(OPTIMIZER_FILE);
    let model = net(0.0);
    let saved = FakeOpt::new(model.parameters(), &tricky_scalars(), 1.0);
    save_optimizer(&path, &saved, &meta(&[("run", "abc")])).unwrap();
    let mut restored = FakeOpt::new(model.parameters(), &[("lr", 0.5)], -7.0);
    let m = load_optimizer(&path, &mut restored).unwrap();
    assert_eq!(m, meta(&[("run", "abc")]));
    assert_same_state(&saved.state, &restored.state);

    // The scalars are readable text in the header (Python can float() them).
    let raw = load_tensors(&path).unwrap().1;
    assert_eq!(raw["optimizer.kind"], "fake");
    assert_eq!(raw["scalar.lr"], "0.1");
    assert_eq!(raw["scalar.tiny"], "1e-300");
    assert_eq!(raw["scalar.inf"], "inf");
    assert_eq!(raw["scalar.nan"], "NaN");
}

#[test]
fn optimizer_files_are_checked() {
    let dir = TempDir::new("optimizer-errors");
    let path = dir.join(OPTIMIZER_FILE);
    let model = net(0.0);
    let opt = FakeOpt::new(model.parameters(), &[("lr", 0.1)], 0.0);
    // Reserved metadata keys.
    for key in ["optimizer.kind", "scalar.lr"] {
        let err = save_optimizer(&path, &opt, &meta(&[(key, "x")])).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        assert_mentions(&err, &[key]);
    }
    // Another optimizer's file.
    let mut other = FakeOpt::new(model.parameters(), &[], 0.0);
    other.state.kind = "adam".into();
    save_optimizer(&path, &other, &BTreeMap::new()).unwrap();
    let mut target = FakeOpt::new(model.parameters(), &[("lr", 0.1)], 0.0);
    let err = load_optimizer(&path, &mut target).unwrap_err();
    assert_mentions(&err, &["adam", "fake", OPTIMIZER_FILE]);
    assert_eq!(target.state.scalars["lr"], 0.1);
    // A model file is not an optimizer file.
    save_module(&path, &model, &BTreeMap::new()).unwrap();
    let err = load_optimizer(&path, &mut target).unwrap_err();
    assert_mentions(&err, &["optimizer.kind", "missing"]);
    // A scalar that is not a number.
    let t = vec![("x".to_string(), f32s(&[1.0], &[1]))];
    save_tensors(
        &path,
        &t,
        &meta(&[("optimizer.kind", "fake"), ("scalar.lr", "fast")]),
    )
    .unwrap();
    let err = load_optimizer(&path, &mut target).unwrap_err();
    assert_mentions(&err, &["scalar.lr", "fast"]);
}

#[test]
fn checkpoint_directory_round_trip() {
    let tmp = TempDir::new("ckpt");
    let dir = tmp.join("runs").join("epoch-3");
    let model = net(2.0);
    let opt = FakeOpt::new(model.parameters(), &tricky_scalars(), 4.0);
    save_checkpoint(&dir, &model, Some(&opt), &meta(&[("epoch", "3")])).unwrap();
    assert_eq!(files(&dir), [MODEL_FILE, OPTIMIZER_FILE]);

    let model2 = net(-1.0);
    let mut opt2 = FakeOpt::new(model2.parameters(), &[], 0.0);
    let m = load_checkpoint(&dir, &model2, Some(&mut opt2)).unwrap();
    assert_eq!(m, meta(&[("epoch", "3")]));
    assert_eq!(values(&model), values(&model2));
    assert_same_state(&opt.state, &opt2.state);

    // Without an optimizer: the stale optimizer file goes, and loading one fails before the
    // module is touched.
    save_checkpoint(&dir, &net(5.0), None, &BTreeMap::new()).unwrap();
    assert!(!dir.join(OPTIMIZER_FILE).exists());
    let before = values(&model2);
    let err = load_checkpoint(&dir, &model2, Some(&mut opt2)).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_mentions(&err, &[OPTIMIZER_FILE]);
    assert_eq!(values(&model2), before);
    assert!(load_checkpoint(&dir, &model2, None).unwrap().is_empty());
    assert_eq!(values(&model2), values(&net(5.0)));
}
