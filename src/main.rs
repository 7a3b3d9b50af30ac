//! The `newsdesk` binary: parse arguments, dispatch, exit with a documented code.

/// mimalloc instead of the system allocator: parsing and feed writing free
/// on one thread what another allocated, which glibc's malloc serializes
/// (15% of a first feeds run's CPU was allocator lock contention).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    newsdesk::cli::main()
}
