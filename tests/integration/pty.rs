//! The real prompts, driven through a pseudo-terminal.

use std::fs;

use rexpect::session::spawn_command;

use crate::util::*;

fn interactive(dir: &std::path::Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gogen"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("CI")
        .env_remove("GOGEN_NO_INPUT")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    cmd
}

#[test]
fn prompts_ask_validate_and_print_the_equivalent_command() -> Result<(), rexpect::error::Error> {
    let tmp = tempfile::tempdir().unwrap();
    let bp = hello_blueprint();
    let cmd = interactive(
        tmp.path(),
        &["new", &bp, "out", "--no-git", "--set", "greeting=Hi"],
    );
    let mut p = spawn_command(cmd, Some(20_000))?;
    p.exp_string("Go module path")?;
    p.send_line("Not A Module")?;
    p.exp_string("go_module_path rule")?;
    p.send_line("example.com/acme/typed")?;
    p.exp_string("Command name")?;
    p.send_line("")?; // accept the derived default
    p.exp_string("How many times")?;
    p.send_line("99")?;
    p.exp_string("at most 10")?;
    p.send_line("2")?;
    p.exp_string("Output style")?;
    p.send("\x1b[B")?; // down to "json"
    p.send_line("")?;
    p.exp_string("Dockerfile")?;
    p.send("y")?;
    p.flush()?;
    p.exp_string("Runtime image")?;
    p.send_line("")?;
    p.exp_string("Extras")?;
    p.send_line("")?;
    p.exp_string("without prompts")?;
    p.exp_string("--set module=example.com/acme/typed")?;
    p.exp_eof()?;
    let main_go = fs::read_to_string(tmp.path().join("out/cmd/typed/main.go")).unwrap();
    assert!(main_go.contains("Repeat: 2, JSON: true"), "{main_go}");
    assert!(main_go.contains("Greeting: \"Hi\""), "{main_go}");
    assert!(tmp.path().join("out/Dockerfile").is_file());
    Ok(())
}

#[test]
fn ctrl_c_at_a_prompt_exits_130_and_writes_nothing() -> Result<(), rexpect::error::Error> {
    let tmp = tempfile::tempdir().unwrap();
    let bp = hello_blueprint();
    let cmd = interactive(tmp.path(), &["new", &bp, "out"]);
    let mut p = spawn_command(cmd, Some(20_000))?;
    p.exp_string("Go module path")?;
    p.send_control('c')?;
    p.exp_eof()?;
    match p.process().wait() {
        Ok(rexpect::process::WaitStatus::Exited(_, code)) => assert_eq!(code, 130),
        other => panic!("unexpected status {other:?}"),
    }
    let left: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    Ok(())
}

/// gogen under `sh` in a pty, with the terminal set sane first and reported (`stty -a`)
/// after gogen exits, so the test sees the state gogen left behind.
fn under_shell(dir: &std::path::Path, gogen_args: &str) -> std::process::Command {
    let script = format!(
        // The trap keeps the shell alive when Ctrl-C reaches the whole foreground group
        // (before the prompt switched the terminal to raw mode); gogen gets the default.
        "trap 'true' INT; stty sane; '{}' {gogen_args}; echo \"EXIT=$?\"; stty -a",
        env!("CARGO_BIN_EXE_gogen")
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", &script])
        .current_dir(dir)
        .env_remove("CI")
        .env_remove("GOGEN_NO_INPUT")
        .env("NO_COLOR", "1")
        .env("TERM", "xterm");
    cmd
}

/// The pid of the gogen process whose working folder is `dir`.
fn gogen_running_in(dir: &std::path::Path) -> u32 {
    let want = fs::canonicalize(dir).unwrap();
    let exe = fs::canonicalize(env!("CARGO_BIN_EXE_gogen")).unwrap();
    fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            fs::read_link(format!("/proc/{pid}/cwd")).ok().as_deref() == Some(want.as_path())
                && fs::read_link(format!("/proc/{pid}/exe")).ok().as_deref() == Some(exe.as_path())
        })
        .expect("gogen is running")
}

fn assert_terminal_restored(after: &str) {
    let words: Vec<&str> = after.split_whitespace().collect();
    for flag in ["echo", "icanon", "isig"] {
        assert!(
            words.contains(&flag),
            "`{flag}` is off after gogen: {after}"
        );
    }
}

/// Issue 12.9: Ctrl-C on a choice prompt says "interrupted" on its own line, exits 130 and
/// leaves the terminal as it was (echo and line mode on, cursor visible).
#[test]
fn ctrl_c_on_a_choice_prompt_restores_the_terminal() -> Result<(), rexpect::error::Error> {
    let tmp = tempfile::tempdir().unwrap();
    let args = format!(
        "new '{}' out --no-git --set module=example.com/a/b --set project_name=b --set greeting=Hi --set repeat=1",
        hello_blueprint()
    );
    let mut p = spawn_command(under_shell(tmp.path(), &args), Some(20_000))?;
    p.exp_string("Output style")?;
    p.send_control('c')?;
    // Ctrl-C arrives as SIGINT (line mode) or as a key the prompt reads (raw mode): both
    // end in the one report, on a line of its own.
    // (rexpect reads bytes as Latin-1: the "×" mark is matched as any non-space.)
    let (before, _) = p.exp_regex("\r?\n  \\S+ interrupted; nothing was written")?;
    let exit = p.exp_string("EXIT=130")?;
    assert!(!exit.contains("interrupted"), "said twice: {exit:?}");
    let after = p.exp_eof()?;
    // Whatever hid the cursor, it is shown again before gogen is gone.
    let hidden = before.rfind("\x1b[?25l");
    let shown = format!("{before}{exit}").rfind("\x1b[?25h");
    assert!(
        hidden.is_none() || shown > hidden,
        "cursor left hidden: {before:?}"
    );
    assert_terminal_restored(&after);
    assert!(!tmp.path().join("out").exists());
    Ok(())
}

/// Issue 12.9: SIGTERM while a prompt has the terminal in raw mode still gives it back.
#[test]
fn sigterm_at_a_prompt_restores_the_terminal() -> Result<(), rexpect::error::Error> {
    let tmp = tempfile::tempdir().unwrap();
    let args = format!(
        "new '{}' out --no-git --set module=example.com/a/b --set project_name=b --set greeting=Hi --set repeat=1",
        hello_blueprint()
    );
    let mut p = spawn_command(under_shell(tmp.path(), &args), Some(20_000))?;
    p.exp_string("Output style")?;
    // The choice prompt reads keys in raw mode now; gogen is the one running in `tmp`.
    send_signal(gogen_running_in(tmp.path()), "-TERM");
    p.exp_regex("\r?\n  \\S+ interrupted; nothing was written")?;
    let exit = p.exp_string("EXIT=130")?;
    assert!(!exit.contains("interrupted"), "said twice: {exit:?}");
    let after = p.exp_eof()?;
    assert_terminal_restored(&after);
    Ok(())
}

/// Issue 12.8 and 12.12: prompts show "[N/M]", escape what the blueprint says, and `<`
/// goes back to the previous question.
#[test]
fn prompts_number_questions_escape_blueprint_text_and_go_back() -> Result<(), rexpect::error::Error>
{
    let tmp = tempfile::tempdir().unwrap();
    write_blueprint(
        &tmp.path().join("bp"),
        &[
            (
                "blueprint.toml",
                "name = \"esc\"\nversion = \"0.1.0\"\ndescription = \"d\"\n\
                 [[question]]\nkey = \"first\"\nprompt = \"First \\u001b]52;c;eA==\\u0007\"\nhelp = \"Help \\u001b[2J\"\n\
                 [[question]]\nkey = \"second\"\nprompt = \"Second\"\n",
            ),
            ("template/x.txt.jinja", "{{ first }} {{ second }}\n"),
        ],
    );
    let cmd = interactive(tmp.path(), &["new", "./bp", "out", "--no-git"]);
    let mut p = spawn_command(cmd, Some(20_000))?;
    let shown = p.exp_string("First")?;
    let rest = p.exp_string("\\u{7}")?;
    let screen = format!("{shown}{rest}");
    assert!(screen.contains("[1/2]"), "{screen:?}");
    assert!(
        !screen.contains("\x1b]52"),
        "raw OSC 52 reached the terminal: {screen:?}"
    );
    assert!(
        !screen.contains("\x1b[2J"),
        "raw clear-screen reached the terminal: {screen:?}"
    );
    p.send_line("one")?;
    p.exp_string("[2/2] Second")?;
    p.send_line("<")?;
    p.exp_string("[1/2] First")?;
    p.send_line("uno")?;
    p.exp_string("[2/2] Second")?;
    p.send_line("dos")?;
    p.exp_eof()?;
    let x = fs::read_to_string(tmp.path().join("out/x.txt")).unwrap();
    assert_eq!(x, "uno dos\n");
    Ok(())
}

/// Issue 12.12: a DIR that cannot be used is refused before the first question, and a
/// failure after the questions prints the command that repeats the answers.
#[test]
fn the_target_is_checked_first_and_answers_survive_a_later_failure()
-> Result<(), rexpect::error::Error> {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("taken")).unwrap();
    fs::write(tmp.path().join("taken/mine.txt"), "mine").unwrap();
    let cmd = interactive(tmp.path(), &["new", &hello_blueprint(), "taken"]);
    let mut p = spawn_command(cmd, Some(20_000))?;
    let rest = p.exp_eof()?;
    assert!(rest.contains("not empty"), "{rest}");
    assert!(
        !rest.contains("Go module path"),
        "asked before checking: {rest}"
    );

    // A blueprint whose template fails only after every question was answered.
    write_blueprint(
        &tmp.path().join("bp"),
        &[
            (
                "blueprint.toml",
                "name = \"late\"\nversion = \"0.1.0\"\ndescription = \"d\"\n[[question]]\nkey = \"word\"\n",
            ),
            ("template/x.txt.jinja", "{{ word }} {{ missing }}\n"),
        ],
    );
    let cmd = interactive(tmp.path(), &["new", "./bp", "out", "--no-git"]);
    let mut p = spawn_command(cmd, Some(20_000))?;
    p.exp_string("word")?;
    p.send_line("typed-by-hand")?;
    p.exp_string("Your answers are kept")?;
    p.exp_string("gogen new ./bp out --no-input --set word=typed-by-hand")?;
    p.exp_eof()?;
    Ok(())
}

/// `gogen update` asks, in a terminal, what the new version needs and the project lacks.
#[test]
fn update_asks_a_new_required_question() -> Result<(), rexpect::error::Error> {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = "name = \"tiny\"\nversion = \"1.0.0\"\ndescription = \"Tiny.\"\n\n[[question]]\nkey = \"name\"\ndefault = \"x\"\n";
    write_blueprint(
        &tmp.path().join("bp"),
        &[
            ("blueprint.toml", manifest),
            ("template/a.txt.jinja", "{{ name }}\n"),
        ],
    );
    let made = interactive(tmp.path(), &["new", "./bp", "p", "--no-git", "--no-input"])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let v2 = manifest.replace("1.0.0", "1.1.0")
        + "\n[[question]]\nkey = \"owner\"\nprompt = \"Owning team\"\n";
    write_blueprint(
        &tmp.path().join("bp"),
        &[
            ("blueprint.toml", &v2),
            ("template/a.txt.jinja", "{{ name }} by {{ owner }}\n"),
        ],
    );
    let mut p = spawn_command(interactive(tmp.path(), &["update", "p"]), Some(20_000))?;
    p.exp_string("Owning team")?;
    p.send_line("payments")?;
    p.exp_string("Done: update p")?;
    p.exp_eof()?;
    assert_eq!(
        fs::read_to_string(tmp.path().join("p/a.txt")).unwrap(),
        "x by payments\n"
    );
    let lock = fs::read_to_string(tmp.path().join("p/.gogen.toml")).unwrap();
    assert!(lock.contains("owner = \"prompt\""), "{lock}");
    Ok(())
}
