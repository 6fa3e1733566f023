//! The `tamas` command: parses the command line, starts logging, runs the command.

use clap::Parser as _;

/// jemalloc, with its background threads returning freed pages to the system: under a
/// steady load, glibc's malloc kept ever more freed memory in its per-thread arenas (the
/// soak grew by that more than by live data; README, "Speed").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
