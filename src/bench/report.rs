//! Printing bench results.

use std::io::Write;

use super::{BenchConfig, Measurement};

/// One line per finished measurement, to stderr.
pub fn progress(round: usize, m: &Measurement) {
    eprintln!(
        "round {round}: {:<28} {:>10.0} rps  p50 {:>7} µs  p99 {:>7} µs  errors {}",
        m.scenario.name(),
        m.rps(),
        m.latency.value_at_quantile(0.5),
        m.latency.value_at_quantile(0.99),
        m.errors
    );
}

/// The median round of each scenario, with ratios to the first scenario.
pub fn summary(config: &BenchConfig, rounds: &[Vec<Measurement>]) {
    let mut out = std::io::stdout().lock();
    let scenarios = rounds.first().map_or(0, Vec::len);
    let medians: Vec<&Measurement> = (0..scenarios)
        .map(|i| {
            let mut runs: Vec<&Measurement> = rounds.iter().map(|r| &r[i]).collect();
            runs.sort_by(|a, b| a.rps().total_cmp(&b.rps()));
            runs[runs.len() / 2]
        })
        .collect();
    let baseline = medians.first().map(|m| m.rps()).unwrap_or(0.0);
    if config.json {
        for m in &medians {
            let line = serde_json::json!({
                "scenario": m.scenario.name(),
                "rps": m.rps(),
                "ok": m.ok,
                "errors": m.errors,
                "error_samples": m.error_samples,
                "p50_us": m.latency.value_at_quantile(0.5),
                "p99_us": m.latency.value_at_quantile(0.99),
                "p999_us": m.latency.value_at_quantile(0.999),
                "ratio_to_first": if baseline > 0.0 { m.rps() / baseline } else { 0.0 },
                "connections": config.connections,
                "concurrency": config.concurrency,
                "duration_s": config.duration.as_secs_f64(),
                "rounds": config.rounds,
            });
            let _ = writeln!(out, "{line}");
        }
        return;
    }
    let _ = writeln!(
        out,
        "{:<28} {:>10} {:>9} {:>9} {:>9} {:>8} {:>8}",
        "scenario", "rps", "p50 µs", "p99 µs", "p999 µs", "errors", "ratio"
    );
    for m in &medians {
        let _ = writeln!(
            out,
            "{:<28} {:>10.0} {:>9} {:>9} {:>9} {:>8} {:>8.2}",
            m.scenario.name(),
            m.rps(),
            m.latency.value_at_quantile(0.5),
            m.latency.value_at_quantile(0.99),
            m.latency.value_at_quantile(0.999),
            m.errors,
            if baseline > 0.0 { m.rps() / baseline } else { 0.0 }
        );
        for sample in &m.error_samples {
            let _ = writeln!(out, "    error: {sample}");
        }
    }
}
