//! `fluxion info`: what this machine offers Fluxion.

use fluxion_device::cuda;
use serde_json::json;

/// Facts about one CUDA device, or why it could not be queried.
fn cuda_devices() -> Vec<serde_json::Value> {
    (0..cuda::device_count())
        .map(|i| match fluxion_device::Device::cuda(i) {
            #[cfg(feature = "cuda")]
            Ok(fluxion_device::Device::Cuda(d)) => json!({
                "ordinal": i,
                "name": d.name().unwrap_or_else(|e| format!("<{e}>")),
                "compute_capability": d.compute_capability().map(|(a, b)| format!("{a}.{b}")).unwrap_or_else(|e| format!("<{e}>")),
                "memory_gib": d.total_memory().map(|b| b as f64 / (1u64 << 30) as f64).unwrap_or(f64::NAN),
            }),
            Ok(other) => json!({ "ordinal": i, "name": other.to_string() }),
            Err(e) => json!({ "ordinal": i, "error": e.to_string() }),
        })
        .collect()
}

/// The NVRTC architecture to check the kernels for: the first device's, else `compute_80` (the
/// oldest Fluxion targets).
fn kernel_arch() -> String {
    #[cfg(feature = "cuda")]
    if cuda::device_count() > 0 {
        if let Ok(fluxion_device::Device::Cuda(d)) = fluxion_device::Device::cuda(0) {
            if let Ok(cc) = d.compute_capability() {
                return cuda::device_arch(cc);
            }
        }
    }
    "compute_80".to_string()
}

/// Compiles the kernels with NVRTC ([`cuda::check_kernels`]); `None` when CUDA is not compiled in
/// or libnvrtc is absent.
fn kernel_check(nvrtc: bool) -> Option<fluxion_device::Result<cuda::KernelReport>> {
    (cfg!(feature = "cuda") && nvrtc).then(|| cuda::check_kernels(&kernel_arch()))
}

fn cpu_features() -> Vec<&'static str> {
    let mut f = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("sse4.2") {
            f.push("sse4.2");
        }
        if is_x86_feature_detected!("avx") {
            f.push("avx");
        }
        if is_x86_feature_detected!("avx2") {
            f.push("avx2");
        }
        if is_x86_feature_detected!("fma") {
            f.push("fma");
        }
        if is_x86_feature_detected!("avx512f") {
            f.push("avx512f");
        }
    }
    #[cfg(target_arch = "aarch64")]
    f.push("neon");
    f
}

/// Prints the report.
pub fn run(as_json: bool) -> anyhow::Result<()> {
    let libs = cuda::libraries();
    let driver = cuda::driver_version().map(|(a, b)| format!("{a}.{b}"));
    let kernels = kernel_check(libs.nvrtc);
    // The GPU self-check (the quickstart's test before it picks a GPU by itself), on cuda:0.
    let self_check = fluxion_device::Device::cuda(0)
        .ok()
        .map(|gpu| crate::gpu_check::run(&gpu));
    let kernels_json = match &kernels {
        Some(Ok(k)) => json!({ "arch": k.arch, "modules": k.modules, "kernels": k.kernels }),
        Some(Err(e)) => json!({ "error": e.to_string() }),
        None => serde_json::Value::Null,
    };
    let report = json!({
        "fluxion": env!("CARGO_PKG_VERSION"),
        "cuda_feature": cfg!(feature = "cuda"),
        "cpu": {
            "threads": rayon::current_num_threads(),
            "logical_cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "arch": std::env::consts::ARCH,
            "features": cpu_features(),
        },
        "cuda": {
            "self_check": self_check_json(&self_check),
            "driver_library": libs.driver,
            "driver_version": driver,
            "nvrtc": libs.nvrtc,
            "cublas": libs.cublas,
            "cufft": libs.cufft,
            "devices": cuda_devices(),
            "kernels": kernels_json,
        },
    });
    if as_json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!("fluxion {}", env!("CARGO_PKG_VERSION"));
    println!(
        "  cpu        {} threads ({}), features: {}",
        rayon::current_num_threads(),
        std::env::consts::ARCH,
        cpu_features().join(" ")
    );
    if !cfg!(feature = "cuda") {
        println!("  cuda       not compiled in (build with --features cuda)");
        return Ok(());
    }
    println!(
        "  cuda       driver library: {}{}",
        yes(libs.driver),
        report["cuda"]["driver_version"]
            .as_str()
            .map(|v| format!(" (CUDA {v})"))
            .unwrap_or_default()
    );
    println!("  nvrtc      {}", yes(libs.nvrtc));
    match &kernels {
        Some(Ok(k)) => println!(
            "  kernels    {} modules, {} kernels compile (NVRTC, {})",
            k.modules, k.kernels, k.arch
        ),
        Some(Err(e)) => println!("  kernels    do not compile: {e}"),
        None => println!("  kernels    not checked (no libnvrtc)"),
    }
    println!("  cublas     {}", yes(libs.cublas));
    println!("  cufft      {}", yes(libs.cufft));
    let devices = cuda_devices();
    if devices.is_empty() {
        println!("  devices    cpu only (no CUDA device found)");
    }
    for d in devices {
        match d.get("error") {
            Some(e) => println!("  cuda:{}     error: {}", d["ordinal"], e),
            None => println!(
                "  cuda:{}     {} (sm {}, {:.1} GiB)",
                d["ordinal"],
                d["name"].as_str().unwrap_or("?"),
                d["compute_capability"].as_str().unwrap_or("?"),
                d["memory_gib"].as_f64().unwrap_or(f64::NAN)
            ),
        }
    }
    match &self_check {
        Some(o) => println!("  self-check {}", o.describe()),
        None => println!("  self-check not run (no CUDA device)"),
    }
    Ok(())
}

fn self_check_json(o: &Option<crate::gpu_check::Outcome>) -> serde_json::Value {
    match o {
        Some(o) => json!({
            "passed": o.failure.is_none(),
            "checks": o.checks,
            "max_rel": o.max_rel,
            "failure": o.failure,
        }),
        None => serde_json::Value::Null,
    }
}
