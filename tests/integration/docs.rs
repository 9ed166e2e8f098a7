//! The manual cannot drift from the code: every relative link and `#anchor`
//! in README.md, ARCHITECTURE.md, CHANGELOG.md and docs/ resolves, and every
//! fenced `toml` block of them is an experiment `kramers validate` accepts
//! (partial snippets are fenced `toml fragment` and left out). Each checker is
//! also shown failing on a made-up broken link and a broken example.
//! Deterministic: no false failures.

use crate::common::repo;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Markdown files the checks cover.
fn documents() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "CHANGELOG.md"]
        .iter()
        .map(|f| repo(f))
        .collect();
    let mut book: Vec<PathBuf> = std::fs::read_dir(repo("docs"))
        .expect("a docs/ folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    book.sort();
    assert!(book.len() >= 8, "docs/ has only {} chapters", book.len());
    files.extend(book);
    files
}

/// GitHub's anchor of a heading: lowercase, every character but letters,
/// digits, spaces, `-` and `_` dropped, spaces made `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The lines of `text` outside fenced code blocks, with their numbers.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push((n + 1, line));
        }
    }
    out
}

/// The anchors of a Markdown text's headings (a repeated heading gets `-1`, `-2`, ...).
fn anchors(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, line) in prose(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let base = slug(heading);
        let mut anchor = base.clone();
        let mut k = 0;
        while out.contains(&anchor) {
            k += 1;
            anchor = format!("{base}-{k}");
        }
        out.push(anchor);
    }
    out
}

/// `(line, target)` of every inline link `[text](target)` outside code.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in prose(text) {
        // inline code spans are not links
        let code_free: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, part)| part)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = code_free.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].split_whitespace().next().unwrap_or("");
            out.push((n, target.to_string()));
            rest = &after[end..];
        }
    }
    out
}

/// Every broken relative link or anchor of `file`: "file:line: target (why)".
fn broken_links(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("readable document");
    let dir = file.parent().expect("a folder");
    let mut broken = Vec::new();
    for (line, target) in links(&text) {
        if target.contains("://") || target.starts_with("mailto:") || target.is_empty() {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target.as_str(), None),
        };
        let resolved = if path.is_empty() {
            file.to_path_buf()
        } else {
            dir.join(path)
        };
        let why = if !resolved.exists() {
            Some("no such file".to_string())
        } else if let Some(anchor) = anchor {
            let target_text = std::fs::read_to_string(&resolved).unwrap_or_default();
            (!anchors(&target_text).iter().any(|a| a == anchor))
                .then(|| format!("no heading with anchor #{anchor}"))
        } else {
            None
        };
        if let Some(why) = why {
            broken.push(format!("{}:{line}: {target} ({why})", file.display()));
        }
    }
    broken
}

/// `(line, text)` of every fenced block whose info string is exactly `toml`.
fn toml_examples(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        match (&mut current, trimmed.strip_prefix("```")) {
            (None, Some(info)) => {
                current = (info.trim() == "toml").then(|| (n + 1, String::new()));
                if current.is_none() {
                    // skip another language's block whole
                    current = Some((0, String::new()));
                }
            }
            (Some(_), Some(_)) => {
                let (start, body) = current.take().expect("open block");
                if start > 0 {
                    out.push((start, body));
                }
            }
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// Every example of `file` that `kramers validate` refuses: "file:line: message".
fn refused_examples(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("readable document");
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut refused = Vec::new();
    for (line, example) in toml_examples(&text) {
        let path = dir.path().join(format!("example-{line}.toml"));
        std::fs::write(&path, &example).unwrap();
        // examples name assets relative to the repository root
        let output = Command::new(env!("CARGO_BIN_EXE_kramers"))
            .arg("validate")
            .arg(&path)
            .current_dir(repo(""))
            .output()
            .expect("the kramers binary runs");
        if !output.status.success() {
            refused.push(format!(
                "{}:{line}: {}",
                file.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
    }
    refused
}

#[test]
fn every_link_and_anchor_of_the_manual_resolves() {
    let broken: Vec<String> = documents().iter().flat_map(|f| broken_links(f)).collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_toml_example_of_the_manual_is_a_valid_experiment() {
    let mut count = 0;
    let mut refused = Vec::new();
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        count += toml_examples(&text).len();
        refused.extend(refused_examples(&file));
    }
    assert!(
        count >= 3,
        "only {count} complete toml examples in the manual"
    );
    assert!(
        refused.is_empty(),
        "examples kramers refuses:\n{}",
        refused.join("\n")
    );
}

#[test]
fn the_checkers_catch_a_broken_link_and_a_broken_example() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let good = repo("assets/quadratic-langevin-ou.toml");
    let example = std::fs::read_to_string(&good).unwrap();
    let broken_example = example.replace("kind = \"langevin\"", "kind = \"langevn\"");
    assert_ne!(broken_example, example);
    let page = format!(
        "# Title\n\n## A section: with (punctuation)\n\nSee [it](#a-section-with-punctuation), \
         [gone](missing.md), [bad anchor](#nowhere), [out](https://example.org) and `[code](x.md)`.\n\n\
         ```toml\n{example}```\n\n```toml fragment\n[noise]\n```\n\n```toml\n{broken_example}```\n"
    );
    let file = dir.path().join("page.md");
    std::fs::write(&file, page).unwrap();
    let links = broken_links(&file);
    assert_eq!(links.len(), 2, "{links:#?}");
    assert!(links[0].contains("missing.md (no such file)"), "{links:?}");
    assert!(links[1].contains("#nowhere (no heading"), "{links:?}");
    let refused = refused_examples(&file);
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert!(refused[0].contains("langevn"), "{refused:?}");
}
