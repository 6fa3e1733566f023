//! The `tamas` command: parses the command line, starts logging, runs the command.

use clap::Parser as _;

/// mimalloc instead of the system allocator: glibc's per-thread arenas (tokio's workers,
/// one thread per SQLite connection) kept a long-running server's memory growing with the
/// calls it had seen: a 240 s load of 2,000 agents ended at 302 MiB with glibc, 172 MiB
/// with jemalloc and 144 MiB with mimalloc, for a heap of about 60 MiB (README, Speed).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = tamas::cli::Cli::parse();
    tamas::telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("tamas: cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(tamas::commands::run(cli));
    // Whatever a command left running (a blocking file read, a task given up at the
    // shutdown deadline) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("tamas: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
