//! What `fluxion bench` prints: the rows, the table, the JSON document and the machine line.

use fluxion_device::Device;
use serde::Serialize;
use serde_json::json;

use super::peak::Peak;
use super::{Size, Spec};
use crate::output::print_table;

/// One workload on one device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Row {
    /// `ops` or `models`.
    pub suite: &'static str,
    /// The workload.
    pub workload: &'static str,
    /// Its size.
    pub size: String,
    /// The device, as `cpu` or `cuda:N`.
    pub device: String,
    /// Median time of one iteration, ms; `None` when unavailable.
    pub median_ms: Option<f64>,
    /// Throughput in `unit`; `None` when unavailable.
    pub throughput: Option<f64>,
    /// The throughput's unit.
    pub unit: &'static str,
    /// Throughput over the device's measured peak, for GFLOP/s and GB/s rows.
    pub peak_fraction: Option<f64>,
    /// The first device's time over this one's; `None` when either is unavailable.
    pub speedup: Option<f64>,
    /// Timed repeats behind the median.
    pub reps: usize,
    /// Why the row is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Row {
    /// An unmeasured row for `spec` on `dev`.
    pub(crate) fn new(spec: &Spec, dev: &Device) -> Row {
        Row {
            suite: spec.suite,
            workload: spec.name,
            size: spec.size.clone(),
            device: dev.to_string(),
            median_ms: None,
            throughput: None,
            unit: spec.unit.label(),
            peak_fraction: None,
            speedup: None,
            reps: 0,
            note: None,
        }
    }
}

/// Sets each row's speed-up: the median time of the same workload on `baseline` over its own.
pub(crate) fn fill_speedups(rows: &mut [Row], baseline: &str) {
    let base: Vec<Option<f64>> = rows
        .iter()
        .map(|r| {
            rows.iter()
                .find(|b| {
                    b.device == baseline
                        && b.suite == r.suite
                        && b.workload == r.workload
                        && b.size == r.size
                })
                .and_then(|b| b.median_ms)
        })
        .collect();
    for (r, b) in rows.iter_mut().zip(base) {
        r.speedup = match (b, r.median_ms) {
            (Some(_), Some(_)) if r.device == baseline => Some(1.0),
            (Some(b), Some(t)) => Some(b / t),
            _ => None,
        };
    }
}

/// The machine the figures were taken on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Machine {
    /// The CPU model from `/proc/cpuinfo` (`unknown` elsewhere).
    pub cpu: String,
    /// Threads of rayon's pool.
    pub threads: usize,
    /// When, UTC, ISO 8601.
    pub date: String,
}

impl Machine {
    pub(crate) fn probe() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| cpu_model(&s))
            .unwrap_or_else(|| "unknown".to_string());
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Machine {
            cpu,
            threads: rayon::current_num_threads(),
            date: utc_datetime(secs),
        }
    }
}

/// The first `model name` in a `/proc/cpuinfo` text.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim() == "model name")
        .map(|(_, v)| v.trim().to_string())
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian calendar;
/// days to civil date after Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms").
pub(crate) fn utc_datetime(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The JSON document of `--json`.
pub(crate) fn json(
    machine: &Machine,
    devices: &[Device],
    peaks: &[Peak],
    rows: &[Row],
) -> serde_json::Value {
    let peaks: serde_json::Map<String, serde_json::Value> = devices
        .iter()
        .zip(peaks)
        .map(|(d, p)| (d.to_string(), json!({"gflops": p.gflops, "gbps": p.gbps})))
        .collect();
    json!({"machine": machine, "peaks": peaks, "rows": rows})
}

/// Prints the machine and peak lines and the table.
pub(crate) fn print(
    machine: &Machine,
    devices: &[Device],
    peaks: &[Peak],
    rows: &[Row],
    size: Size,
) {
    println!(
        "{}, {} threads, {}{}",
        machine.cpu,
        machine.threads,
        machine.date,
        match size {
            Size::Full => "",
            Size::Tiny => " (tiny sizes: plumbing only, not figures)",
        }
    );
    for (d, p) in devices.iter().zip(peaks) {
        println!("peak {d}: {}", peak_text(p));
    }
    println!();
    let mut table = vec![[
        "suite",
        "workload",
        "size",
        "device",
        "time/iter",
        "throughput",
        "of peak",
        "speed-up",
    ]
    .map(String::from)
    .to_vec()];
    if rows.iter().any(|r| r.note.is_some()) {
        table[0].push("note".to_string());
    }
    let baseline = devices.first().map(Device::to_string).unwrap_or_default();
    for r in rows {
        let missing = || "—".to_string();
        let mut line = vec![
            r.suite.to_string(),
            r.workload.to_string(),
            r.size.clone(),
            r.device.clone(),
            r.median_ms.map(format_ms).unwrap_or_else(missing),
            r.throughput
                .map(|t| format_throughput(t, r.unit))
                .unwrap_or_else(missing),
            r.peak_fraction.map(format_percent).unwrap_or_default(),
            r.speedup.map(|s| format!("{s:.2}")).unwrap_or_else(missing),
        ];
        if let Some(note) = &r.note {
            line.push(note.clone());
        }
        table.push(line);
    }
    print_table(&table);
    if devices.len() > 1 {
        println!("\nspeed-up: time on {baseline} over time on the row's device");
    }
}

/// The peak line of a device.
pub(crate) fn peak_text(p: &Peak) -> String {
    match (p.gflops, p.gbps) {
        (Some(f), Some(b)) => format!(
            "{} (FMA, all threads), {} (parallel copy, read + write)",
            format_throughput(f, "GFLOP/s"),
            format_throughput(b, "GB/s")
        ),
        _ => "not measured on this device yet".to_string(),
    }
}

/// The progress line of a row.
pub(crate) fn progress_text(r: &Row) -> String {
    let what = format!("{} {} [{}] on {}", r.suite, r.workload, r.size, r.device);
    match (r.median_ms, r.throughput, &r.note) {
        (Some(ms), Some(t), _) => format!(
            "{what}: {} ({}, {} reps)",
            format_ms(ms),
            format_throughput(t, r.unit),
            r.reps
        ),
        (_, _, Some(note)) => format!("{what}: {note}"),
        _ => format!("{what}: no figure"),
    }
}

/// Three significant figures (at least the integer part).
pub(crate) fn sig3(x: f64) -> String {
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A time given in ms, in µs, ms or s as fits.
pub(crate) fn format_ms(ms: f64) -> String {
    if ms < 1.0 {
        format!("{} µs", sig3(ms * 1e3))
    } else if ms < 1e3 {
        format!("{} ms", sig3(ms))
    } else {
        format!("{} s", sig3(ms / 1e3))
    }
}

/// A throughput with its unit; counts of 10⁴ and more take a k, M or G prefix.
pub(crate) fn format_throughput(x: f64, unit: &str) -> String {
    let (v, prefix) = match x.abs() {
        a if a >= 1e9 => (x / 1e9, "G"),
        a if a >= 1e6 => (x / 1e6, "M"),
        a if a >= 1e4 => (x / 1e3, "k"),
        _ => (x, ""),
    };
    if prefix.is_empty() {
        format!("{} {unit}", sig3(v))
    } else {
        format!("{} {prefix} {unit}", sig3(v))
    }
}

/// A fraction as a whole percentage.
pub(crate) fn format_percent(f: f64) -> String {
    format!("{:.0}%", f * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_three_significant_figures() {
        assert_eq!(sig3(118.4), "118");
        assert_eq!(sig3(24.04), "24.0");
        assert_eq!(sig3(2.345), "2.35");
        assert_eq!(sig3(0.5123), "0.512");
        assert_eq!(format_ms(0.0452), "45.2 µs");
        assert_eq!(format_ms(18.31), "18.3 ms");
        assert_eq!(format_ms(733.0), "733 ms");
        assert_eq!(format_ms(1210.0), "1.21 s");
        assert_eq!(format_throughput(118.2, "GFLOP/s"), "118 GFLOP/s");
        assert_eq!(format_throughput(101.5, "samples/s"), "102 samples/s");
        assert_eq!(
            format_throughput(1.364e7, "paths·steps/s"),
            "13.6 M paths·steps/s"
        );
        assert_eq!(format_throughput(4.1e4, "steps/s"), "41.0 k steps/s");
        assert_eq!(format_percent(0.724), "72%");
    }

    #[test]
    fn utc_dates_match_known_instants() {
        assert_eq!(utc_datetime(0), "1970-01-01T00:00:00Z");
        // 2000-02-29 12:34:56 UTC, a leap day in a century leap year.
        assert_eq!(utc_datetime(951_827_696), "2000-02-29T12:34:56Z");
        // 2026-12-06 04:28:16 UTC.
        assert_eq!(utc_datetime(1_796_531_296), "2026-12-06T04:28:16Z");
    }

    #[test]
    fn cpu_model_is_the_first_model_name() {
        let text = "processor\t: 0\nvendor_id\t: X\nmodel name\t: Some CPU @ 2GHz\n\nmodel name\t: Other\n";
        assert_eq!(cpu_model(text).as_deref(), Some("Some CPU @ 2GHz"));
        assert_eq!(cpu_model("processor : 0\n"), None);
    }

    fn row(workload: &'static str, device: &str, ms: Option<f64>) -> Row {
        Row {
            suite: "ops",
            workload,
            size: "n".into(),
            device: device.into(),
            median_ms: ms,
            throughput: ms.map(|m| 1.0 / m),
            unit: "GB/s",
            peak_fraction: None,
            speedup: None,
            reps: 3,
            note: None,
        }
    }

    #[test]
    fn speedups_are_relative_to_the_first_device() {
        let mut rows = vec![
            row("a", "cpu", Some(10.0)),
            row("a", "cuda:0", Some(2.0)),
            row("b", "cpu", None),
            row("b", "cuda:0", Some(1.0)),
            row("c", "cpu", Some(4.0)),
            row("c", "cuda:0", None),
        ];
        fill_speedups(&mut rows, "cpu");
        let s: Vec<Option<f64>> = rows.iter().map(|r| r.speedup).collect();
        assert_eq!(s, [Some(1.0), Some(5.0), None, None, Some(1.0), None]);
    }
}
