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
