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
    let spreads: Vec<RatioSpread> = (0..scenarios).map(|i| RatioSpread::of(rounds, i)).collect();
    if config.json {
        for (m, spread) in medians.iter().zip(&spreads) {
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
                "round_ratio_median": spread.median,
                "round_ratio_min": spread.min,
                "round_ratio_max": spread.max,
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
        "{:<28} {:>10} {:>9} {:>9} {:>9} {:>8} {:>8} {:>20}",
        "scenario", "rps", "p50 µs", "p99 µs", "p999 µs", "errors", "ratio", "round ratios"
    );
    for (m, spread) in medians.iter().zip(&spreads) {
        let _ = writeln!(
            out,
            "{:<28} {:>10.0} {:>9} {:>9} {:>9} {:>8} {:>8.2} {:>20}",
            m.scenario.name(),
            m.rps(),
            m.latency.value_at_quantile(0.5),
            m.latency.value_at_quantile(0.99),
            m.latency.value_at_quantile(0.999),
            m.errors,
            if baseline > 0.0 { m.rps() / baseline } else { 0.0 },
            format!("{:.2} ({:.2}–{:.2})", spread.median, spread.min, spread.max)
        );
        for sample in &m.error_samples {
            let _ = writeln!(out, "    error: {sample}");
        }
    }
}

/// A scenario's ratio to the first scenario within each round: its median
/// and range. On a shared machine whose speed drifts from minute to minute,
/// the ratio within a round (both measured seconds apart) is steadier than
/// the ratio of the two median rounds, and the range shows the drift.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct RatioSpread {
    median: f64,
    min: f64,
    max: f64,
}

impl RatioSpread {
    fn of(rounds: &[Vec<Measurement>], scenario: usize) -> Self {
        let mut ratios: Vec<f64> = rounds
            .iter()
            .filter(|round| round[0].rps() > 0.0)
            .map(|round| round[scenario].rps() / round[0].rps())
            .collect();
        ratios.sort_by(f64::total_cmp);
        match (ratios.first(), ratios.last()) {
            (Some(&min), Some(&max)) => Self {
                median: ratios[ratios.len() / 2],
                min,
                max,
            },
            _ => Self::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hdrhistogram::Histogram;

    use super::*;
    use crate::bench::Scenario;

    fn measured(scenario: Scenario, ok: u64) -> Measurement {
        Measurement {
            scenario,
            ok,
            errors: 0,
            error_samples: Vec::new(),
            elapsed: Duration::from_secs(1),
            latency: Histogram::new(3).unwrap(),
        }
    }

    #[test]
    fn round_ratios_compare_scenarios_within_each_round() {
        // The machine slows down between rounds; the ratio within each round
        // stays near 0.5 while the ratio of the median rounds does not.
        let rounds: Vec<Vec<Measurement>> = [(100, 52), (60, 29), (80, 40)]
            .into_iter()
            .map(|(noop, create)| {
                vec![
                    measured(Scenario::Health, noop),
                    measured(Scenario::CreateInteraction, create),
                ]
            })
            .collect();
        let spread = RatioSpread::of(&rounds, 1);
        assert_eq!(spread.median, 0.5);
        assert!((spread.min - 29.0 / 60.0).abs() < 1e-9);
        assert!((spread.max - 0.52).abs() < 1e-9);
        assert_eq!(RatioSpread::of(&rounds, 0).median, 1.0);
    }
}
