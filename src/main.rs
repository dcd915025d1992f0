use std::process::ExitCode;

fn main() -> ExitCode {
    gogen::cli::main()
}
