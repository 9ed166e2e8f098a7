//! `kramers bench` on the CPU backend, reduced to W1 at 2^10 and 2^12: the
//! table, bench.json (also at --json), bench.png and the early-stop rows; bad
//! options exit 2 before anything runs or is written. Nothing here asserts on
//! wall-clock time: the work done (trajectory-steps) is exact, the speed is not.

use crate::common::kramers;

#[test]
fn cpu_bench_of_w1_prints_the_table_and_writes_json_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let json_path = dir.path().join("sub").join("bench.json");
    let output = kramers(
        &[
            "bench",
            "--backend",
            "cpu",
            "--workloads",
            "w1",
            "--sizes",
            "10,12",
            "--out",
            out.to_str().unwrap(),
            "--json",
            json_path.to_str().unwrap(),
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("bench: W1"),
        "progress goes to stderr: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in [
        "time to first result",
        "W1      2^10",
        "W1      2^12",
        "early stop",
    ] {
        assert!(stdout.contains(line), "`{line}` missing from\n{stdout}");
    }

    let text = std::fs::read(out.join("bench.json")).unwrap();
    assert_eq!(text, std::fs::read(&json_path).unwrap(), "--json copy");
    let report: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "W1 at two sizes on one backend");
    for row in rows {
        assert_eq!(row["backend"], "cpu");
        let n = row["trajectories"].as_u64().unwrap();
        let steps = row["trajectory_steps"].as_u64().unwrap();
        // Every trajectory takes at least one step and at most max_steps = 1000.
        assert!(n <= steps && steps <= 1000 * n, "{row}");
        assert!(row["trajectory_steps_per_s"].as_f64().unwrap() > 0.0);
    }
    let scaling = report["scaling"].as_array().unwrap();
    assert_eq!(scaling.len(), 2, "early stop at the same two sizes");
    for row in scaling {
        let steps = row["steps"].as_f64().unwrap();
        let predicted = row["predicted_steps"].as_f64().unwrap();
        let budget = row["budget_steps"].as_f64().unwrap();
        // Early stop: the work is the sum of the escape times, a few hundred
        // times less than N x max_steps. The mean of 2^10 escape times
        // (exponential-like, coefficient of variation about 1: 3% standard
        // error) lies 3% below the exact MFPT (once-per-step monitoring); 20% is
        // over 5 standard errors beyond that (false-failure rate < 1e-7; the
        // seed is fixed, so the outcome is too).
        assert!(steps < budget / 100.0, "{row}");
        assert!((steps / predicted - 1.0).abs() < 0.2, "{row}");
    }
    let png = std::fs::read(out.join("bench.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(out.join("bench.svg").exists());
}

#[test]
fn bad_bench_options_exit_2_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (args, field) in [
        (&["--workloads", "W1,W9"][..], "--workloads"),
        (&["--sizes", "12,31"][..], "--sizes"),
    ] {
        let mut all = vec!["bench", "--backend", "cpu", "--out", out.to_str().unwrap()];
        all.extend_from_slice(args);
        let output = kramers(&all, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(field), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}
