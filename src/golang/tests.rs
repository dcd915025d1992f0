//! Tests for `crate::golang`: x/mod's own table, a differential corpus from
//! the real Go packages, policy tables and a no-panic property run.

use super::*;

// ---------------------------------------------------------------------------
// x/mod checkPathTests

/// `checkPathTests` from `golang.org/x/mod` v0.42.0 `module/module_test.go`:
/// (path, `CheckPath` ok, `CheckImportPath` ok, `CheckFilePath` ok). The row
/// `"x.y/\xFFz"` (invalid UTF-8) cannot be a `&str`; it is covered by
/// `xmod_invalid_utf8_row`.
const XMOD_CHECK_PATH_TESTS: &[(&str, bool, bool, bool)] = &[
    ("x.y/z", true, true, true),
    ("x.y", true, true, true),
    ("", false, false, false),
    ("/x.y/z", false, false, false),
    ("x./z", false, false, false),
    (".x/z", false, true, true),
    ("-x/z", false, false, true),
    ("x..y/z", true, true, true),
    ("x.y/z/../../w", false, false, false),
    ("x.y//z", false, false, false),
    ("x.y/z//w", false, false, false),
    ("x.y/z/", false, false, false),
    ("x.y/z/v0", false, true, true),
    ("x.y/z/v1", false, true, true),
    ("x.y/z/v2", true, true, true),
    ("x.y/z/v2.0", false, true, true),
    ("X.y/z", false, true, true),
    ("!x.y/z", false, false, true),
    ("_x.y/z", false, true, true),
    ("x.y!/z", false, false, true),
    ("x.y\"/z", false, false, false),
    ("x.y#/z", false, false, true),
    ("x.y$/z", false, false, true),
    ("x.y%/z", false, false, true),
    ("x.y&/z", false, false, true),
    ("x.y'/z", false, false, false),
    ("x.y(/z", false, false, true),
    ("x.y)/z", false, false, true),
    ("x.y*/z", false, false, false),
    ("x.y+/z", false, true, true),
    ("x.y,/z", false, false, true),
    ("x.y-/z", true, true, true),
    ("x.y./zt", false, false, false),
    ("x.y:/z", false, false, false),
    ("x.y;/z", false, false, false),
    ("x.y</z", false, false, false),
    ("x.y=/z", false, false, true),
    ("x.y>/z", false, false, false),
    ("x.y?/z", false, false, false),
    ("x.y@/z", false, false, true),
    ("x.y[/z", false, false, true),
    ("x.y\\/z", false, false, false),
    ("x.y]/z", false, false, true),
    ("x.y^/z", false, false, true),
    ("x.y_/z", false, true, true),
    ("x.y`/z", false, false, false),
    ("x.y{/z", false, false, true),
    ("x.y}/z", false, false, true),
    ("x.y~/z", false, true, true),
    ("x.y/z!", false, false, true),
    ("x.y/z\"", false, false, false),
    ("x.y/z#", false, false, true),
    ("x.y/z$", false, false, true),
    ("x.y/z%", false, false, true),
    ("x.y/z&", false, false, true),
    ("x.y/z'", false, false, false),
    ("x.y/z(", false, false, true),
    ("x.y/z)", false, false, true),
    ("x.y/z*", false, false, false),
    ("x.y/z++", false, true, true),
    ("x.y/z,", false, false, true),
    ("x.y/z-", true, true, true),
    ("x.y/z.t", true, true, true),
    ("x.y/z/t", true, true, true),
    ("x.y/z:", false, false, false),
    ("x.y/z;", false, false, false),
    ("x.y/z<", false, false, false),
    ("x.y/z=", false, false, true),
    ("x.y/z>", false, false, false),
    ("x.y/z?", false, false, false),
    ("x.y/z@", false, false, true),
    ("x.y/z[", false, false, true),
    ("x.y/z\\", false, false, false),
    ("x.y/z]", false, false, true),
    ("x.y/z^", false, false, true),
    ("x.y/z_", true, true, true),
    ("x.y/z`", false, false, false),
    ("x.y/z{", false, false, true),
    ("x.y/z}", false, false, true),
    ("x.y/z~", true, true, true),
    ("x.y/x.foo", true, true, true),
    ("x.y/aux.foo", false, false, false),
    ("x.y/prn", false, false, false),
    ("x.y/prn2", true, true, true),
    ("x.y/com", true, true, true),
    ("x.y/com1", false, false, false),
    ("x.y/com1.txt", false, false, false),
    ("x.y/calm1", true, true, true),
    ("x.y/z~", true, true, true),
    ("x.y/z~0", false, false, true),
    ("x.y/z~09", false, false, true),
    ("x.y/z09", true, true, true),
    ("x.y/z09~", true, true, true),
    ("x.y/z09~09z", true, true, true),
    ("x.y/z09~09z~09", false, false, true),
    ("github.com/!123/logrus", false, false, true),
    ("github.com/user/unicode/испытание", false, false, true),
    ("../x", false, false, false),
    ("./y", false, false, false),
    ("x:y", false, false, false),
    ("\\temp\\foo", false, false, false),
    (".gitignore", false, true, true),
    (".github/ISSUE_TEMPLATE", false, true, true),
    ("x☺y", false, false, false),
];

#[test]
fn xmod_check_path_table() {
    assert_eq!(
        XMOD_CHECK_PATH_TESTS.len() + 1,
        105,
        "x/mod v0.42.0 has 105 rows"
    );
    let mut mismatches = Vec::new();
    for &(path, module_ok, import_ok, file_ok) in XMOD_CHECK_PATH_TESTS {
        let got = (
            check_module_path(path),
            check_import_path(path),
            check_file_path(path),
        );
        if (got.0.is_ok(), got.1.is_ok(), got.2.is_ok()) != (module_ok, import_ok, file_ok) {
            mismatches.push(format!(
                "{path:?}: want ({module_ok}, {import_ok}, {file_ok}), got {got:?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn xmod_invalid_utf8_row() {
    // x/mod rejects "x.y/\xFFz" in all three checks ("invalid UTF-8"). In Rust
    // such input cannot become a &str; its lossy form is rejected as well.
    let bytes: &[u8] = b"x.y/\xFFz";
    assert!(std::str::from_utf8(std::hint::black_box(bytes)).is_err());
    let lossy = String::from_utf8_lossy(bytes);
    assert!(check_module_path(&lossy).is_err());
    assert!(check_import_path(&lossy).is_err());
    assert!(check_file_path(&lossy).is_err());
}

#[test]
fn split_path_version_table() {
    // x/mod splitPathVersionTests plus the "doesn't add to input" property.
    let cases = [
        ("x.y/z", ""),
        ("x.y/z", "/v2"),
        ("x.y/z", "/v3"),
        ("x.y/v", ""),
        ("gopkg.in/yaml", ".v0"),
        ("gopkg.in/yaml", ".v1"),
        ("gopkg.in/yaml", ".v2"),
        ("gopkg.in/yaml", ".v3"),
    ];
    for (prefix, major) in cases {
        let path = format!("{prefix}{major}");
        assert_eq!(split_path_version(&path), Some((prefix, major)), "{path}");
    }
    for &(path, ..) in XMOD_CHECK_PATH_TESTS {
        if let Some((prefix, major)) = split_path_version(path) {
            assert_eq!(format!("{prefix}{major}"), path);
        }
    }
    assert_eq!(split_path_version("x.y/z/v1"), None);
    assert_eq!(split_path_version("x.y/z/v02"), None);
    assert_eq!(split_path_version("gopkg.in/yaml"), None);
    assert_eq!(
        split_path_version("gopkg.in/yaml.v3-unstable"),
        Some(("gopkg.in/yaml", ".v3-unstable"))
    );
}

// ---------------------------------------------------------------------------
// Differential oracle: tests/data/goname_oracle.tsv

const ORACLE_TSV: &str = include_str!("../../tests/data/goname_oracle.tsv");

/// Decodes a Go `strconv.Quote` literal into bytes (it may hold invalid UTF-8).
fn go_unquote(quoted: &str) -> Vec<u8> {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_else(|| panic!("not a Go quoted string: {quoted}"));
    let mut out = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let escape = chars.next().expect("dangling backslash");
        let mut hex = |digits: usize| {
            let text: String = chars.by_ref().take(digits).collect();
            u32::from_str_radix(&text, 16)
                .unwrap_or_else(|_| panic!("bad hex {text:?} in {quoted}"))
        };
        match escape {
            'a' => out.push(0x07),
            'b' => out.push(0x08),
            'f' => out.push(0x0C),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'v' => out.push(0x0B),
            '\\' | '"' | '\'' => out.push(escape as u8),
            'x' => out.push(u8::try_from(hex(2)).expect("two hex digits fit a byte")),
            'u' | 'U' => {
                let code = hex(if escape == 'u' { 4 } else { 8 });
                let c = char::from_u32(code).expect("valid scalar");
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            other => panic!("unexpected escape \\{other} in {quoted}"),
        }
    }
    out
}

fn parse_verdict(column: &str) -> bool {
    match column {
        "ok" | "true" => true,
        "err" | "false" => false,
        other => panic!("unexpected verdict {other:?}"),
    }
}

/// Compares one check against the oracle's verdict and rule text.
fn compare_path_check(
    mismatches: &mut Vec<String>,
    what: &str,
    input: &str,
    got: &Result<(), GoNameError>,
    want_verdict: &str,
    want_rule_quoted: &str,
) {
    let want_ok = parse_verdict(want_verdict);
    let want_rule = String::from_utf8(go_unquote(want_rule_quoted)).expect("rule is UTF-8");
    let matches = match got {
        Ok(()) => want_ok,
        Err(err) => !want_ok && err.rule == want_rule,
    };
    if !matches {
        mismatches.push(format!(
            "{what}({input:?}): Go says {want_verdict} {want_rule:?}, we say {got:?}"
        ));
    }
}

#[test]
fn agrees_with_go_oracle() {
    let mut mismatches = Vec::new();
    let mut rows = 0;
    let mut go_mod_init_rows = 0;
    for line in ORACLE_TSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let columns: Vec<&str> = line.split('\t').collect();
        assert_eq!(columns.len(), 10, "malformed oracle row: {line}");
        rows += 1;
        let bytes = go_unquote(columns[0]);
        let Ok(input) = std::str::from_utf8(&bytes) else {
            // Invalid UTF-8 cannot reach our &str API; Go rejects it and so
            // do we after lossy decoding.
            let lossy = String::from_utf8_lossy(&bytes);
            assert_eq!(
                &columns[1..6],
                ["err", "err", "false", "false", "err"],
                "{line}"
            );
            assert!(check_module_path(&lossy).is_err(), "{line}");
            assert!(check_import_path(&lossy).is_err(), "{line}");
            assert!(check_file_path(&lossy).is_err(), "{line}");
            assert!(check_identifier(&lossy).is_err(), "{line}");
            continue;
        };

        compare_path_check(
            &mut mismatches,
            "CheckPath",
            input,
            &check_module_path(input),
            columns[1],
            columns[7],
        );
        compare_path_check(
            &mut mismatches,
            "CheckImportPath",
            input,
            &check_import_path(input),
            columns[2],
            columns[8],
        );
        compare_path_check(
            &mut mismatches,
            "CheckFilePath",
            input,
            &check_file_path(input),
            columns[5],
            columns[9],
        );

        // token.IsIdentifier accepts the blank identifier; we do not.
        let want_identifier = parse_verdict(columns[3]) && input != "_";
        if check_identifier(input).is_ok() != want_identifier {
            mismatches.push(format!(
                "IsIdentifier({input:?}): Go says {}, we say {:?}",
                columns[3],
                check_identifier(input)
            ));
        }
        if is_keyword(input) != parse_verdict(columns[4]) {
            mismatches.push(format!("IsKeyword({input:?}): Go says {}", columns[4]));
        }
        if columns[6] != "skip" {
            go_mod_init_rows += 1;
            if check_go_mod_init(input).is_ok() != parse_verdict(columns[6]) {
                mismatches.push(format!(
                    "go mod init {input:?}: Go says {}, we say {:?}",
                    columns[6],
                    check_go_mod_init(input)
                ));
            }
        }
        // The input column is Go's strconv.Quote of the input.
        if go_quote(input) != columns[0] {
            mismatches.push(format!(
                "strconv.Quote({input:?}): Go says {}, we say {}",
                columns[0],
                go_quote(input)
            ));
        }
    }
    assert!(rows > 3000, "oracle corpus unexpectedly small: {rows} rows");
    assert!(go_mod_init_rows > 3000, "go mod init column mostly skipped");
    assert!(
        mismatches.is_empty(),
        "{} disagreements with Go, first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------
// Rule texts (docs/security.md section 5, rows 1-7)

fn rule_of(result: Result<(), GoNameError>) -> String {
    result.expect_err("expected a rejection").rule
}

#[test]
fn security_rows_1_to_6_module_paths() {
    let rejected = [
        // Row 1: traversal and absolute paths.
        ("../../etc", "invalid path element \"..\""),
        ("./x", "invalid path element \".\""),
        ("/abs/x", "empty path element"),
        ("C:\\x", "invalid char ':'"),
        // Row 2.
        ("Example.com/x", "invalid char 'E' in first path element"),
        ("example/x", "missing dot in first path element"),
        ("x./z", "trailing dot in path element"),
        ("x.y//z", "double slash"),
        ("x.y/z/", "trailing slash"),
        ("x.y/.hidden", "leading dot in path element"),
        // Row 3.
        ("example.com/x/v0", "invalid version"),
        ("example.com/x/v1", "invalid version"),
        ("example.com/x/v01", "invalid version"),
        ("example.com/x/v2.0", "invalid version"),
        ("gopkg.in/yaml", "invalid version"),
        // Row 4.
        ("-x", "leading dash"),
        ("--help", "leading dash"),
        ("go", "missing dot in first path element"),
        ("toolchain", "missing dot in first path element"),
        // Row 5: newline (go.mod directive injection), NUL, space, non-ASCII.
        (
            "example.com/x\nreplace a => ../b",
            "trailing dot in path element",
        ),
        ("example.com/x\nrequire y v1", "invalid char '\\n'"),
        ("example.com/x\0", "invalid char '\\x00'"),
        ("example.com/a b", "invalid char ' '"),
        ("example.com/☺", "invalid char '☺'"),
        // Row 6: Windows reserved names and short names, on every platform.
        (
            "con",
            "\"con\" disallowed as path element component on Windows",
        ),
        (
            "x.y/aux.txt",
            "\"aux\" disallowed as path element component on Windows",
        ),
        (
            "x.y/com1",
            "\"com1\" disallowed as path element component on Windows",
        ),
        ("x.y/z~1", "trailing tilde and digits in path element"),
    ];
    for (path, rule) in rejected {
        assert_eq!(rule_of(check_module_path(path)), rule, "{path:?}");
    }
    for accepted in [
        "github.com/BurntSushi/toml",
        "x..y/z",
        "example.com/x/v2",
        "gopkg.in/yaml.v3",
    ] {
        assert_eq!(check_module_path(accepted), Ok(()), "{accepted}");
    }
    assert_eq!(derive_package_name("example.com/x/v2").as_deref(), Ok("x"));
}

#[test]
fn go_mod_init_rules() {
    let rejected = [
        ("./x", "is a local import path"),
        ("../x", "is a local import path"),
        ("../../etc", "is a local import path"),
        (".", "is a local import path"),
        ("..", "is a local import path"),
        ("go", "module path is reserved"),
        ("toolchain", "module path is reserved"),
        ("-x", "leading dash"),
        ("--help", "leading dash"),
        ("", "empty string"),
        ("/abs/x", "empty path element"),
        (
            "hello/v1",
            "major version suffixes must be in the form of /vN and are only allowed for v2 or later",
        ),
        (
            "gopkg.in/yaml",
            "module paths beginning with gopkg.in/ must always have a major version suffix in the form of .vN",
        ),
        (
            "example.com/x\nreplace a => ../b",
            "trailing dot in path element",
        ),
        ("example.com/x\nrequire y v1", "invalid char '\\n'"),
    ];
    for (path, rule) in rejected {
        assert_eq!(rule_of(check_go_mod_init(path)), rule, "{path:?}");
    }
    // go mod init is laxer than CheckPath: no dot needed, leading dots and
    // '+' allowed, "go"/"toolchain" only reserved as whole paths.
    for accepted in [
        "hello",
        "hello/v2",
        ".hidden/x",
        "x/y++",
        "go/x",
        "toolchain.dev/x",
        "example.com/x/v2",
    ] {
        assert_eq!(check_go_mod_init(accepted), Ok(()), "{accepted}");
    }
}

// ---------------------------------------------------------------------------
// Package names and identifiers

#[test]
fn package_name_rejects_every_keyword() {
    assert_eq!(KEYWORDS.len(), 25);
    for keyword in KEYWORDS {
        assert!(is_keyword(keyword));
        assert_eq!(
            rule_of(check_package_name(keyword)),
            format!("\"{keyword}\" is a Go keyword")
        );
        assert_eq!(
            rule_of(check_identifier(keyword)),
            format!("\"{keyword}\" is a Go keyword")
        );
        // Near misses are fine.
        assert_eq!(check_package_name(&format!("{keyword}s")), Ok(()));
        assert!(!is_keyword(&keyword.to_uppercase()));
    }
}

#[test]
fn package_name_table() {
    let rejected = [
        ("", "must not be empty"),
        ("_", "\"_\" is the blank identifier, not a package name"),
        ("1abc", "must start with a lowercase letter, not a digit"),
        ("9", "must start with a lowercase letter, not a digit"),
        ("my-pkg", "may contain only a-z and 0-9, found '-'"),
        ("my_pkg", "may contain only a-z and 0-9, found '_'"),
        ("my.pkg", "may contain only a-z and 0-9, found '.'"),
        ("myPkg", "may contain only a-z and 0-9, found 'P'"),
        ("Pkg", "must start with a lowercase letter (a-z), found 'P'"),
        (
            "_pkg",
            "must start with a lowercase letter (a-z), found '_'",
        ),
        ("café", "may contain only a-z and 0-9, found 'é'"),
        ("éa", "must start with a lowercase letter (a-z), found 'é'"),
        (
            "日本",
            "must start with a lowercase letter (a-z), found '日'",
        ),
        ("a b", "may contain only a-z and 0-9, found ' '"),
        ("a\n", "may contain only a-z and 0-9, found '\\n'"),
        ("func", "\"func\" is a Go keyword"),
    ];
    for (name, rule) in rejected {
        assert_eq!(rule_of(check_package_name(name)), rule, "{name:?}");
    }
    // "main" is a valid name; whether a library may use it is the engine's call.
    for accepted in [
        "a", "x", "main", "users", "v2", "http2", "yaml", "int", "string",
    ] {
        assert_eq!(check_package_name(accepted), Ok(()), "{accepted}");
    }
}

#[test]
fn identifier_table() {
    let accepted = [
        "a",
        "A",
        "_a",
        "a_",
        "__",
        "_1",
        "x1y2",
        "Äpfel",
        "é",
        "ǅx",
        "ʰx",
        "ªb",
        "x٣",
        "_٣",
        "日本語",
        "데이터",
        "ΣΑΣ",
        "x𝟘",
        "𝒳",
        "int",
        "nil",
        "main",
    ];
    for name in accepted {
        assert_eq!(check_identifier(name), Ok(()), "{name:?}");
    }
    let rejected = [
        ("", "must not be empty"),
        ("_", "\"_\" is the blank identifier"),
        ("1", "must not start with a digit"),
        ("1a", "must not start with a digit"),
        ("٣x", "must not start with a digit"),
        ("a-b", "invalid char '-' in identifier"),
        ("ⅰ", "invalid char 'ⅰ' in identifier"), // Nl, not a letter
        ("xⅻ", "invalid char 'ⅻ' in identifier"),
        ("x²", "invalid char '²' in identifier"), // No, not Nd
        ("x\u{301}", "invalid char '\u{301}' in identifier"), // Mn
        ("\u{345}x", "invalid char '\u{345}' in identifier"), // Mn but Alphabetic
        ("x\u{200d}", "invalid char '\\u200d' in identifier"),
        ("x\u{1F600}", "invalid char '😀' in identifier"),
        ("range", "\"range\" is a Go keyword"),
    ];
    for (name, rule) in rejected {
        assert_eq!(rule_of(check_identifier(name)), rule, "{name:?}");
    }
}

#[test]
fn predeclared_names() {
    let all = [
        "any",
        "bool",
        "byte",
        "comparable",
        "complex64",
        "complex128",
        "error",
        "float32",
        "float64",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "rune",
        "string",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "true",
        "false",
        "iota",
        "nil",
        "append",
        "cap",
        "clear",
        "close",
        "complex",
        "copy",
        "delete",
        "imag",
        "len",
        "make",
        "max",
        "min",
        "new",
        "panic",
        "print",
        "println",
        "real",
        "recover",
    ];
    assert_eq!(all.len(), PREDECLARED.len());
    for name in all {
        assert!(is_predeclared(name), "{name}");
        assert!(
            check_identifier(name).is_ok(),
            "{name} is a legal identifier"
        );
        assert!(!is_keyword(name), "{name}");
    }
    for name in ["Int", "unsafe", "main", "init", "func", "_", "", "String"] {
        assert!(!is_predeclared(name), "{name}");
    }
}

// ---------------------------------------------------------------------------
// module_base and derive_package_name

#[test]
fn module_base_table() {
    let cases = [
        ("example.com/acme/users/v2", "users"),
        ("example.com/acme/users/v10", "users"),
        ("example.com/x/v2", "x"),
        ("example.com/x", "x"),
        ("gopkg.in/yaml.v3", "yaml"),
        ("gopkg.in/yaml.v0", "yaml"),
        ("gopkg.in/yaml.v3-unstable", "yaml"),
        ("gopkg.in/user/pkg.v2", "pkg"),
        ("gopkg.in/yaml", "yaml"),
        ("github.com/BurntSushi/toml", "toml"),
        ("github.com/acme/my-service", "my-service"),
        ("hello", "hello"),
        ("example.com", "example.com"),
        ("example.com/v2", "example.com"),
        // Invalid paths still give their best element.
        ("example.com/x/v1", "x"),
        ("example.com/x/v2.0", "x"),
        ("example.com/x/", "x"),
        ("example.com//x//", "x"),
        ("v2", "v2"),
        ("/v2", "v2"),
        ("/", ""),
        ("", ""),
        ("a/v1/v2", "a"),
    ];
    for (path, base) in cases {
        assert_eq!(module_base(path), base, "{path:?}");
    }
}

#[test]
fn derive_package_name_table() {
    let derived = [
        ("example.com/x/v2", "x"),
        ("gopkg.in/yaml.v3", "yaml"),
        ("github.com/acme/my-service", "myservice"),
        ("github.com/BurntSushi/toml", "toml"),
        ("github.com/acme/Go_Kit.v2-x", "gokitv2x"),
        ("example.com/acme/users/v2", "users"),
        ("example.com/x-_-.y", "xy"),
        ("example.com/x-_-.", "x"),
        ("hello", "hello"),
        ("example.com/funcs", "funcs"),
        ("example.com/lives9", "lives9"),
    ];
    for (path, name) in derived {
        assert_eq!(derive_package_name(path).as_deref(), Ok(name), "{path:?}");
    }
    let fix = "set the package name explicitly, e.g. --set project_name=<name>";
    let rejected = [
        (
            "example.com/9lives",
            format!("derived name \"9lives\" starts with a digit; {fix}"),
        ),
        (
            "example.com/func",
            format!("derived name \"func\" is a Go keyword; {fix}"),
        ),
        (
            "example.com/Func",
            format!("derived name \"func\" is a Go keyword; {fix}"),
        ),
        (
            "example.com/x/Go-To",
            format!("derived name \"goto\" is a Go keyword; {fix}"),
        ),
        (
            "example.com/x/_-.",
            format!(
                "derived name is empty (module path \"example.com/x/_-.\" has no usable last element); {fix}"
            ),
        ),
        (
            "",
            format!("derived name is empty (module path \"\" has no usable last element); {fix}"),
        ),
        (
            "example.com/café",
            format!("derived name \"café\" may contain only a-z and 0-9, found 'é'; {fix}"),
        ),
        (
            "example.com/a~b",
            format!("derived name \"a~b\" may contain only a-z and 0-9, found '~'; {fix}"),
        ),
    ];
    for (path, rule) in rejected {
        assert_eq!(
            derive_package_name(path),
            Err(GoNameError { rule }),
            "{path:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Template filters

#[test]
fn go_package_table() {
    let cases = [
        ("my-service", "myservice"),
        ("My_Service.v2", "myservicev2"),
        ("HTTPServer", "httpserver"),
        ("café", "caf"),
        ("", ""),
        ("---", ""),
        ("9lives", "9lives"),
        ("a b\tc\n", "abc"),
    ];
    for (input, want) in cases {
        assert_eq!(go_package(input), want, "{input:?}");
    }
}

#[test]
fn go_ident_table() {
    let cases = [
        ("user-api", "UserAPI"),
        ("http_server", "HTTPServer"),
        ("userId", "UserID"),
        ("userID", "UserID"),
        ("HTTPServer", "HTTPServer"),
        ("XMLHttpRequest", "XMLHTTPRequest"),
        ("json", "JSON"),
        ("uuid-v4", "UUIDV4"),
        ("my service", "MyService"),
        ("my-service", "MyService"),
        ("FOO_BAR", "FooBar"),
        ("McDonald", "McDonald"),
        ("utf8 reader", "UTF8Reader"),
        ("ids", "Ids"),
        ("api2go", "Api2go"),
        ("sql_db", "SQLDb"),
        ("users", "Users"),
        ("v2", "V2"),
        ("9x", "X9x"),
        ("9", "X9"),
        ("", "X"),
        ("---", "X"),
        ("_", "X"),
        ("func", "Func"),
        ("type", "Type"),
        ("über-cool", "ÜberCool"),
        ("日本", "X日本"),
        ("İstanbul", "İstanbul"),
        ("straße", "Straße"),
        ("ǆungla", "Ǆungla"),
        ("a\u{301}b", "AB"),
        ("$(touch /tmp/pwned)", "TouchTmpPwned"),
    ];
    for (input, want) in cases {
        let got = go_ident(input);
        assert_eq!(got, want, "{input:?}");
        assert_eq!(check_identifier(&got), Ok(()), "{input:?} -> {got:?}");
    }
}

#[test]
fn go_quote_table() {
    // Expectations produced by Go's strconv.Quote / strconv.QuoteRune (Go 1.26).
    let quoted = [
        ("", "\"\""),
        ("a\n\0é", "\"a\\n\\x00é\""),
        ("tab\there", "\"tab\\there\""),
        ("quote\"back\\slash", "\"quote\\\"back\\\\slash\""),
        ("it's", "\"it's\""),
        ("\u{7}\u{8}\u{c}\r\u{b}", "\"\\a\\b\\f\\r\\v\""),
        ("\u{1b}[31m", "\"\\x1b[31m\""),
        ("\u{7f}", "\"\\x7f\""),
        ("\u{85}", "\"\\u0085\""),
        ("\u{a0}", "\"\\u00a0\""),
        ("\u{ad}", "\"\\u00ad\""),
        ("\u{200b}", "\"\\u200b\""),
        ("\u{2028}", "\"\\u2028\""),
        ("\u{feff}", "\"\\ufeff\""),
        ("\u{fffd}", "\"\u{fffd}\""),
        ("\u{ffff}", "\"\\uffff\""),
        ("\u{1F600}", "\"\u{1F600}\""),
        ("\u{E0001}", "\"\\U000e0001\""),
        ("\u{10FFFF}", "\"\\U0010ffff\""),
        ("\u{F0000}", "\"\\U000f0000\""),
        ("日本語", "\"日本語\""),
        ("Σ", "\"Σ\""),
        ("\u{301}", "\"\u{301}\""),
        ("a b", "\"a b\""),
    ];
    for (input, want) in quoted {
        assert_eq!(go_quote(input), want, "{input:?}");
        assert_eq!(go_unquote(want), input.as_bytes(), "{want}");
    }
    let runes = [
        ('@', "'@'"),
        ('\'', "'\\''"),
        ('"', "'\"'"),
        ('\\', "'\\\\'"),
        ('\t', "'\\t'"),
        ('\0', "'\\x00'"),
        ('\u{85}', "'\\u0085'"),
        ('\u{a0}', "'\\u00a0'"),
        ('☺', "'☺'"),
        ('\u{1F600}', "'\u{1F600}'"),
        ('\u{E0001}', "'\\U000e0001'"),
    ];
    for (c, want) in runes {
        assert_eq!(quote_rune(c), want, "{c:?}");
    }
}

#[test]
fn error_type_behaves() {
    let err = check_module_path("x.y/a@b").unwrap_err();
    assert_eq!(err.to_string(), "invalid char '@'");
    let boxed: Box<dyn std::error::Error> = Box::new(err.clone());
    assert_eq!(boxed.to_string(), err.rule);
}

// ---------------------------------------------------------------------------
// Unicode tables

#[test]
fn unicode_tables_are_sorted_disjoint_pairs() {
    for (name, table) in [
        ("LETTER", LETTER_RANGES),
        ("DIGIT", DIGIT_RANGES),
        ("PRINT", PRINT_RANGES),
    ] {
        let (pairs, rest) = table.as_chunks::<2>();
        assert!(rest.is_empty(), "{name}: odd length");
        for pair in pairs {
            assert!(pair[0] <= pair[1], "{name}: {pair:x?}");
        }
        for window in pairs.windows(2) {
            // Adjacent ranges would have been merged by the generator.
            assert!(window[0][1] + 1 < window[1][0], "{name}: {window:x?}");
        }
        assert!(pairs.last().is_some_and(|p| p[1] <= 0x0010_FFFF), "{name}");
    }
}

#[test]
fn unicode_classes_agree_with_std_where_definitions_coincide() {
    // Rust's std has no General_Category API, but these relations must hold
    // for every scalar value whatever the Unicode version skew (Go 15.0 vs
    // Rust's newer tables) as long as the code point existed in 15.0:
    // Nd ⊂ Numeric, Letter ⊂ Alphabetic, and a Go letter/digit is printable.
    for c in (0..=0x0010_FFFF_u32).filter_map(char::from_u32) {
        if is_go_digit(c) {
            assert!(c.is_numeric(), "{c:?}");
            assert!(is_go_print(c), "{c:?}");
        }
        if is_go_letter(c) {
            assert!(c.is_alphabetic(), "{c:?}");
            assert!(is_go_print(c), "{c:?}");
        }
        if c.is_control() {
            assert!(!is_go_print(c), "{c:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// Never panics (deterministic property run, no extra dependencies)

/// Marsaglia's xorshift64: deterministic, dependency-free randomness.
struct XorShift64(u64);

impl XorShift64 {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.next() % bound as u64).expect("fits usize")
    }
}

/// Characters that sit on rule boundaries: separators, version shapes,
/// Windows names, controls, and Unicode letters, digits, marks and formats.
const INTERESTING: &[&str] = &[
    "a",
    "z",
    "x",
    "v",
    "V",
    "0",
    "1",
    "2",
    "9",
    ".",
    "..",
    "/",
    "//",
    "-",
    "_",
    "~",
    "+",
    "!",
    "@",
    ":",
    "\\",
    " ",
    "\t",
    "\n",
    "\0",
    "\u{7f}",
    "\"",
    "'",
    "`",
    "%",
    "$",
    "gopkg.in/",
    "example.com/",
    "/v2",
    "/v1",
    ".v3",
    "-unstable",
    "con",
    "COM1",
    "lpt9",
    "nul.",
    "~1",
    "go",
    "toolchain",
    "func",
    "http",
    "ID",
    "é",
    "ß",
    "İ",
    "ǅ",
    "ʰ",
    "ª",
    "٣",
    "ⅰ",
    "²",
    "\u{301}",
    "\u{345}",
    "\u{200d}",
    "\u{feff}",
    "\u{a0}",
    "\u{2028}",
    "☺",
    "😀",
    "\u{E0001}",
    "\u{10FFFF}",
    "日",
    "\u{fffd}",
    "Σ",
    "ǰ",
    "ŉ",
];

#[test]
fn never_panics_and_invariants_hold() {
    let mut rng = XorShift64(0x9E37_79B9_7F4A_7C15);
    for _ in 0..100_000 {
        let pieces = rng.below(8);
        let mut s = String::new();
        for _ in 0..pieces {
            s.push_str(INTERESTING[rng.below(INTERESTING.len())]);
        }

        let module = check_module_path(&s);
        let import = check_import_path(&s);
        let file = check_file_path(&s);
        let mod_init = check_go_mod_init(&s);
        if module.is_ok() {
            assert!(import.is_ok(), "module ok but import not: {s:?}");
            assert!(mod_init.is_ok(), "module ok but go mod init not: {s:?}");
        }
        if import.is_ok() {
            assert!(file.is_ok(), "import ok but file not: {s:?}");
        }
        for err in [module.err(), import.err(), file.err(), mod_init.err()]
            .into_iter()
            .flatten()
        {
            assert!(!err.rule.is_empty(), "{s:?}");
        }

        let package = check_package_name(&s);
        if package.is_ok() {
            assert!(
                check_identifier(&s).is_ok(),
                "package ok but not an identifier: {s:?}"
            );
        }
        let _ = check_identifier(&s);
        let _ = is_predeclared(&s);
        let _ = is_keyword(&s);

        let base = module_base(&s);
        assert!(!base.contains('/'), "{s:?} -> {base:?}");
        if let Ok(name) = derive_package_name(&s) {
            assert_eq!(check_package_name(&name), Ok(()), "{s:?} -> {name:?}");
        }

        let package_filtered = go_package(&s);
        assert!(
            package_filtered
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );

        let ident = go_ident(&s);
        assert_eq!(check_identifier(&ident), Ok(()), "{s:?} -> {ident:?}");
        assert!(
            ident.chars().next().is_some_and(char::is_uppercase),
            "{s:?} -> {ident:?}"
        );

        let quoted = go_quote(&s);
        assert!(!quoted.chars().any(char::is_control), "{s:?} -> {quoted:?}");
        assert_eq!(go_unquote(&quoted), s.as_bytes(), "round trip of {s:?}");
    }
}
