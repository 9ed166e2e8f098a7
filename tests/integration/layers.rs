//! One-way layers: every `crate::` path in the code of `src/` (comments left
//! out, tests included) names a module on a lower floor than its own, or its
//! own module. The floors are written once, in `FLOORS` below, and the same
//! order is drawn in ARCHITECTURE.md and the crate docs (src/lib.rs); a test
//! here checks that all three name the same modules in the same order.
//! Deterministic: no false failures.

use crate::common::repo;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The floors of the library, bottom first. A module may use the modules of
/// lower floors only (never its own floor's other modules, never a higher one).
const FLOORS: &[&[&str]] = &[
    &["error"],
    &["simd", "codes", "dynamics", "sweep"],
    &["rng"],
    &["expr"],
    &["kernel"],
    &["model"],
    &["spec"],
    &["observables"],
    &["backend"],
    &["analysis"],
    &["rare"],
    &["report"],
    &["run"],
    &["studies"],
];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

/// The top-level module a file of `src/` belongs to (`None`: lib.rs and the
/// command line, `src/cli/`, a binary on top of the library).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        None if first == "cli" => None,
        Some(stem) => Some(stem.to_string()),
        None => Some(first),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src/") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A line's code: its comment (`//` outside a string literal) cut off and the
/// contents of its string literals blanked, so neither can name a module.
fn code_of(line: &str) -> String {
    let mut code = String::with_capacity(line.len());
    let mut in_string = false;
    let mut previous = ' ';
    for c in line.chars() {
        match c {
            // a quote ends or starts a string unless escaped or a char literal ('"')
            '"' if previous != '\\' && (in_string || previous != '\'') => {
                in_string = !in_string;
                code.push(c);
            }
            '/' if !in_string && previous == '/' => {
                code.pop();
                return code;
            }
            _ if in_string => code.push(' '),
            _ => code.push(c),
        }
        previous = c;
    }
    code
}

/// Every `crate::<module>` a line's code names, including `use crate::{a::.., b::..}`.
fn crate_paths(code: &str, grouped: &mut bool) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let boundary = rest[..at]
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '$'));
        let after = &rest[at + "crate::".len()..];
        if boundary {
            if let Some(group) = after.strip_prefix('{') {
                *grouped = true;
                rest = group;
                continue;
            }
            names.push(ident(after));
        }
        rest = after;
    }
    if *grouped {
        // inside `use crate::{ ... };`: each top-level item names a module
        for part in code.split([',', '{']) {
            let part = part.trim().trim_start_matches("use crate::");
            let name = ident(part);
            if !name.is_empty() && part[name.len()..].starts_with("::") {
                names.push(name);
            }
        }
        if code.contains("};") {
            *grouped = false;
        }
    }
    names
}

fn ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// `(file, line, importing module, imported module)` of every import against the floors.
fn violations(src: &Path) -> (Vec<String>, BTreeSet<String>) {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut unknown = BTreeSet::new();
    for file in &files {
        let Some(module) = module_of(src, file) else {
            continue;
        };
        let Some(floor) = floor_of(&module) else {
            unknown.insert(module);
            continue;
        };
        let text = std::fs::read_to_string(file).expect("readable source");
        let mut grouped = false;
        for (n, line) in text.lines().enumerate() {
            for used in crate_paths(&code_of(line), &mut grouped) {
                if used == module || used == "self" || used == "super" {
                    continue;
                }
                match floor_of(&used) {
                    Some(f) if f < floor => {}
                    Some(f) => wrong.push(format!(
                        "{}:{}: {module} (floor {floor}) uses crate::{used} (floor {f}): `{}`",
                        file.strip_prefix(src.parent().unwrap()).unwrap().display(),
                        n + 1,
                        line.trim()
                    )),
                    None => {
                        unknown.insert(used);
                    }
                }
            }
        }
    }
    (wrong, unknown)
}

#[test]
fn every_import_runs_down_the_floors() {
    let (wrong, unknown) = violations(&repo("src"));
    assert!(
        unknown.is_empty(),
        "modules missing from FLOORS (write them into the floors, here, in src/lib.rs and in ARCHITECTURE.md): {unknown:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} imports run against the floors (bottom first: {FLOORS:?}):\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_layer_check_sees_an_upward_import() {
    // The checker itself, on a made-up tree: kernel using model (upward),
    // a grouped `use crate::{..}` reaching run, and a comment that must not count.
    let dir = tempfile::tempdir().expect("temporary directory");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("kernel")).unwrap();
    std::fs::write(
        src.join("kernel/mod.rs"),
        "use crate::simd::Lanes;\nuse crate::model::case::CaseModel; // upward\n// see crate::studies\n",
    )
    .unwrap();
    std::fs::write(
        src.join("spec.rs"),
        "use crate::{\n    error::Result,\n    run::Outcome,\n};\nconst S: &str = \"crate::report\";\n",
    )
    .unwrap();
    let (wrong, unknown) = violations(&src);
    assert!(unknown.is_empty(), "{unknown:?}");
    assert_eq!(wrong.len(), 2, "{wrong:#?}");
    assert!(wrong[0].contains("kernel/mod.rs:2: kernel (floor 4) uses crate::model"));
    assert!(wrong[1].contains("spec.rs:3: spec (floor 6) uses crate::run"));
}

/// The floors as a document writes them: the line that starts with `prefix`
/// and lists the modules bottom first, separated by `->` (a floor's modules by `,`).
fn written_floors(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let line = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}"));
    line.split("->")
        .map(|floor| {
            floor
                .split(',')
                .map(|m| m.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

#[test]
fn lib_and_architecture_write_the_same_floors() {
    let expected: Vec<Vec<String>> = FLOORS
        .iter()
        .map(|f| f.iter().map(|m| m.to_string()).collect())
        .collect();
    let lib = std::fs::read_to_string(repo("src/lib.rs")).unwrap();
    assert_eq!(written_floors(&lib, "//! Floors:"), expected, "src/lib.rs");
    let architecture = std::fs::read_to_string(repo("ARCHITECTURE.md")).unwrap();
    assert_eq!(
        written_floors(&architecture, "Floors:"),
        expected,
        "ARCHITECTURE.md"
    );
}
