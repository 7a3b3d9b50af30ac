//! The `newsdesk` binary: parse arguments, dispatch, exit with a documented code.

fn main() -> std::process::ExitCode {
    newsdesk::cli::main()
}
