//! The `tamas` command: parses the command line, starts logging, runs the command.

use clap::Parser as _;

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
    match runtime.block_on(tamas::commands::run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("tamas: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
