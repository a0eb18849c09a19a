//! The `caunoi` binary.

fn main() -> std::process::ExitCode {
    caunoi::cli::main()
}
