//! `kramers escape --quick` (the README's main command, reduced): prints the
//! table and writes the four files and the prefactor plot; the Langevin and
//! power-law points, direct and split, lie on the exact quadrature curve
//! (|z| < 4.5 each: false-failure rate about 7e-6 per point, 12 points).

use crate::common;

#[test]
fn quick_escape_sweep_writes_four_files_on_the_exact_curves() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stdout = common::kramers_ok(&[
        "escape",
        "--quick",
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("MFPT [95% CI]"), "{stdout}");
    common::assert_written(
        &out,
        &[
            "escape.csv",
            "escape.json",
            "escape.png",
            "escape.svg",
            "escape-prefactor.png",
            "escape-prefactor.svg",
        ],
    );
    let png = std::fs::read(out.join("escape.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("escape.json")).unwrap()).unwrap();
    let points = json["points"].as_array().unwrap();
    assert_eq!(
        points.len(),
        16,
        "3 dynamics x 4 heights, and 2 high barriers for Langevin and power-law-loss"
    );
    // the Langevin heights 4 and 6 (exact escapes of ~1e6 and ~1e9 time
    // units) are beyond the direct budget: split
    let methods: Vec<&str> = points
        .iter()
        .filter(|p| p["dynamic"].as_str().unwrap().starts_with("Langevin"))
        .map(|p| p["method"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods,
        ["direct", "direct", "direct", "direct", "ams", "ams"]
    );
    let mut checked = 0;
    for p in points {
        if let Some(z) = p["z"].as_f64() {
            assert!(z.abs() < 4.5, "point {p} is off its exact curve");
            checked += 1;
        }
    }
    assert_eq!(
        checked, 12,
        "Langevin and power-law points have exact values"
    );
}
