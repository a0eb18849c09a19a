//! The `caunoi` binary.

// glibc's allocator spent about an eighth of the server's time under webhook load (many small
// short-lived allocations across threads); mimalloc is built for that pattern.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    caunoi::cli::main()
}
