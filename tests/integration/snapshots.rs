//! Golden snapshots of generated trees: every path, mode and byte, one snapshot per case of
//! the test blueprint's matrix. A changed, missing or extra file changes the snapshot.

use std::fmt::Write;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::*;

fn tree_snapshot(root: &Path) -> String {
    let mut out = String::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .display()
            .to_string();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        writeln!(out, "=== {rel} ({mode:o})").unwrap();
        match fs::read_to_string(entry.path()) {
            Ok(text) => out.push_str(&text),
            Err(_) => out.push_str("<binary>\n"),
        }
    }
    out
}

#[test]
fn hello_matrix_trees() {
    let manifest: toml::Table = toml::from_str(
        &fs::read_to_string(Path::new(&hello_blueprint()).join("blueprint.toml")).unwrap(),
    )
    .unwrap();
    let cases = manifest["test"].as_array().unwrap();
    assert!(cases.len() >= 2);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let mut cmd = gogen(tmp.path());
        cmd.args(["new", &hello_blueprint(), "out", "--no-input", "--no-git"]);
        for (key, value) in case["answers"].as_table().unwrap() {
            let text = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            cmd.args(["--set", &format!("{key}={text}")]);
        }
        cmd.assert().code(0);
        let mut settings = insta::Settings::clone_current();
        // The lock file records the blueprint folder as given; the checkout path varies.
        settings.add_filter(&regex_escape(&repo_root().display().to_string()), "[REPO]");
        settings.bind(|| {
            insta::assert_snapshot!(
                format!("hello@{name}"),
                tree_snapshot(&tmp.path().join("out"))
            );
        });
    }
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$#&-~".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}
