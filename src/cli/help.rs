//! The parts of `--help` and the man page that clap cannot derive: the environment and the
//! files gogen reads, and the long version text.

/// After `gogen --help` (not `-h`).
pub const AFTER_LONG_HELP: &str = "\
Exit codes: 0 ok, 1 generation failed, 2 usage or invalid answers, 3 post-step failed (the project \
was written), 4 an update is available (check), 5 conflicts to resolve (update, add, remove, \
check), 130 interrupted.

ENVIRONMENT:
  GOGEN_CONFIG          The user-level org config file (default: $XDG_CONFIG_HOME/gogen/config.toml, \
else ~/.config/gogen/config.toml); it must exist when set
  GOGEN_SYSTEM_CONFIG   One more system-level config file, read in addition to \
/etc/gogen/config.toml (never instead); its locks hold like those in /etc
  GOGEN_BLUEPRINT_PATH  Folders whose sub-folders are blueprints, searched before the config's \
blueprint_path (':'-separated)
  GOGEN_NO_INPUT        Never prompt (1/0, true/false, yes/no, on/off), like --no-input
  GOGEN_TEST_POSTGRES_URL  PostgreSQL server for `blueprint lint --go` cases that need one
  COMPLETE              Set by the shell completion scripts (see `gogen completions`)
  CI                    When set (and not 0/false), gogen never prompts
  XDG_CONFIG_HOME, HOME Where the user-level config is looked for
  TMPDIR                Where git blueprint sources are fetched (removed afterwards)

FILES:
  /etc/gogen/config.toml               System-level org config: its [locked] answers cannot be \
changed by any user config, environment variable or flag
  ~/.config/gogen/config.toml          User-level org config (defaults, presets, blueprint_path, \
allowed_git_prefixes, [locked])
  <project>/.gogen.toml                The lock file of a generated project: blueprint, answers \
and file hashes, read by check and update
  <blueprint>/blueprint.toml           A blueprint's manifest";

/// The environment and files as man page sections: (heading, [(term, text)]).
pub const MAN_SECTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "ENVIRONMENT",
        &[
            (
                "GOGEN_CONFIG",
                "The user-level org config file (default: $XDG_CONFIG_HOME/gogen/config.toml, else ~/.config/gogen/config.toml). It must exist when set.",
            ),
            (
                "GOGEN_SYSTEM_CONFIG",
                "One more system-level config file, read in addition to /etc/gogen/config.toml, never instead of it; its locks hold like those in /etc.",
            ),
            (
                "GOGEN_BLUEPRINT_PATH",
                "Folders whose sub-folders are blueprints, searched before the config's blueprint_path (colon-separated).",
            ),
            (
                "GOGEN_NO_INPUT",
                "Never prompt (1/0, true/false, yes/no, on/off), like --no-input.",
            ),
            (
                "GOGEN_TEST_POSTGRES_URL",
                "PostgreSQL server for blueprint lint --go cases that need one.",
            ),
            (
                "COMPLETE",
                "Set by the shell completion scripts; see gogen completions.",
            ),
            ("CI", "When set (and not 0 or false), gogen never prompts."),
            (
                "XDG_CONFIG_HOME, HOME",
                "Where the user-level config is looked for.",
            ),
            (
                "TMPDIR",
                "Where git blueprint sources are fetched; removed afterwards.",
            ),
        ],
    ),
    (
        "FILES",
        &[
            (
                "/etc/gogen/config.toml",
                "System-level org config. Its [locked] answers cannot be changed by any user config, environment variable or flag.",
            ),
            (
                "~/.config/gogen/config.toml",
                "User-level org config: defaults, presets, blueprint_path, allowed_git_prefixes, [locked].",
            ),
            (
                "<project>/.gogen.toml",
                "The lock file of a generated project: blueprint, answers and file hashes, read by check and update.",
            ),
            ("<blueprint>/blueprint.toml", "A blueprint's manifest."),
        ],
    ),
];

/// `gogen --version`: the version, the commit it was built from, and the built-in
/// blueprints with their versions.
pub fn long_version() -> String {
    let mut text = format!(
        "{} (commit {})\nbuilt-in blueprints:",
        env!("CARGO_PKG_VERSION"),
        env!("GOGEN_COMMIT")
    );
    for name in crate::blueprint::built_in_names() {
        let version = crate::blueprint::load_built_in(&name)
            .map(|bp| bp.manifest.version)
            .unwrap_or_else(|_| "?".into());
        text.push_str(&format!("\n  {name} {version}"));
    }
    text
}
