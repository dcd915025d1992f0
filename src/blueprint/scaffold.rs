//! `gogen blueprint new`: a starter blueprint (the example blueprint, renamed) that passes
//! `gogen blueprint lint` as written. It is written with the same staged, no-replace
//! writer as generated projects.

use std::path::Path;

use include_dir::{Dir, DirEntry, include_dir};

use crate::error::{Error, Result};
use crate::generate::plan::Plan;
use crate::generate::write;

static STARTER: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/examples/blueprints/hello");

/// A blueprint name: what `gogen list` shows and `gogen new` takes.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err("use lowercase letters, digits and '-', starting with a letter".into())
    }
}

pub fn starter_plan(name: &str) -> Result<Plan> {
    check_name(name).map_err(|rule| Error::InvalidAnswer {
        key: "name".into(),
        value: name.into(),
        rule,
        hint: "pass --name, or name the folder after the blueprint".into(),
    })?;
    let mut plan = Plan {
        files: Vec::new(),
        skipped: Vec::new(),
        warnings: Vec::new(),
    };
    fn walk(dir: &Dir<'static>, root: &Path, name: &str, plan: &mut Plan) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => walk(d, root, name, plan),
                DirEntry::File(f) => {
                    let rel = f.path().strip_prefix(root).unwrap_or(f.path());
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    let mut bytes = f.contents().to_vec();
                    if rel == "blueprint.toml" {
                        let text = String::from_utf8_lossy(&bytes)
                            .replacen("name = \"hello\"", &format!("name = \"{name}\""), 1)
                            .replacen("version = \"0.2.0\"", "version = \"0.1.0\"", 1);
                        bytes = text.into_bytes();
                    }
                    let mode = if rel.ends_with(".sh") { 0o755 } else { 0o644 };
                    plan.add_file(rel.clone(), bytes, mode, format!("starter/{rel}"));
                }
            }
        }
    }
    walk(&STARTER, STARTER.path(), name, &mut plan);
    plan.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(plan)
}

/// Writes a starter blueprint into `dir`, which must not exist or be empty.
pub fn new_blueprint(dir: &Path, name: Option<&str>) -> Result<Plan> {
    let derived = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.unwrap_or(&derived);
    let plan = starter_plan(name)?;
    let checked = write::preflight(&plan, dir, false)?;
    write::write(&plan, dir, &checked)?;
    Ok(plan)
}

/// How to name a blueprint folder so `gogen new` reads it as a folder, not as a blueprint
/// name: `mybp` becomes `./mybp`.
pub fn as_path_reference(dir: &Path) -> String {
    let text = dir.display().to_string();
    if crate::blueprint::looks_like_path(&text) {
        text
    } else {
        format!("./{text}")
    }
}
