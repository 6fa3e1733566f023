//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tamas: contact-center CTI next to your Asterisk.
#[derive(Debug, Parser)]
#[command(name = "tamas", version, about, propagate_version = true)]
pub struct Cli {
    /// Settings file (TOML). `TAMAS_…` environment variables override its keys.
    #[arg(long, global = true, env = "TAMAS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database: `sqlite:PATH` or `postgres://…`. Overrides the settings file.
    #[arg(
        long,
        global = true,
        env = "TAMAS_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service against the configured PBX.
    Serve {
        /// Address to listen on (overrides `[server] listen`).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Run a self-contained demo: SQLite in a data folder, demo users and contacts.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Folder for the demo's database (created when missing).
        #[arg(long, default_value = "./tamas-demo")]
        data: PathBuf,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Import data.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Look contacts up.
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// Feed captured AMI traffic through the tracker and print one JSON object per call.
    ///
    /// Each file is the bytes one AMI connection received (banner to EOF), replayed in
    /// order as successive connections. With `--database-url` the calls are also written to
    /// the call log (idempotently), which is how an archived AMI log is imported.
    Replay {
        /// Capture files, in connection order.
        #[arg(required = true, value_name = "CAPTURE.ami")]
        captures: Vec<PathBuf>,
        /// Print events/s and bytes/s to standard error.
        #[arg(long)]
        stats: bool,
    },
    /// Run a simulated Asterisk that speaks AMI over TCP and generates calls.
    SimulatePbx(SimulatePbx),
    /// Print the contact-center figures for a period (offered, answered, abandoned,
    /// service level, ASA, waits, AHT, FCR).
    Report(Report),
    /// Load test: N agents on WebSockets, calls at a steady rate from a simulated PBX;
    /// prints popup latency, calls handled and server memory per connected agent.
    Loadtest(Loadtest),
}

/// `tamas loadtest`
#[derive(Debug, Args)]
pub struct Loadtest {
    /// Agents connected (one WebSocket each).
    #[arg(long, default_value_t = 100)]
    pub agents: usize,
    /// New calls per second.
    #[arg(long, default_value_t = 5.0)]
    pub calls_per_second: f64,
    /// Seconds of calls.
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// Test a running Tamas instead of starting one: its `[pbx]` must point at
    /// `--pbx-listen` and its database must be this command's `--database-url`.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// With `--url`: where the simulated PBX accepts that Tamas' AMI connection.
    #[arg(long, default_value = "127.0.0.1:5038")]
    pub pbx_listen: SocketAddr,
    /// With `--url`: the server's process id, to read its memory.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Also check that the server holds steady: memory after the warm-up vs. at the end
    /// (at most 10 % growth), and CPU once the calls have stopped (below 2 % of a core);
    /// exits with 1 when it does not.
    #[arg(long)]
    pub soak: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tamas report`
#[derive(Debug, Args)]
pub struct Report {
    /// First day (inclusive): `2026-11-01`, Jalali `1405-08-10`, or a named period's
    /// first day: `today`, `yesterday`, `this-week`, `last-week`, `this-month`, `last-month`.
    #[arg(long)]
    pub from: String,
    /// Last day (inclusive): a date, or a named period's last day.
    #[arg(long)]
    pub to: String,
    /// The calendar of named weeks and months (Jalali: weeks from Saturday); by default
    /// Jalali when the locale (`LC_ALL`, `LC_TIME`, `LANG`) is Persian, else Gregorian.
    #[arg(long, value_enum)]
    pub calendar: Option<CalendarArg>,
    /// Only this queue.
    #[arg(long)]
    pub queue: Option<String>,
    /// Only this agent's calls (extension).
    #[arg(long)]
    pub agent: Option<String>,
    /// Break the figures down.
    #[arg(long, value_enum)]
    pub by: Option<ReportBucket>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The calendar of `tamas report`'s named periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CalendarArg {
    /// Gregorian months, weeks from Monday.
    Gregorian,
    /// Jalali months, weeks from Saturday.
    Jalali,
}

/// How `tamas report` breaks figures down.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportBucket {
    /// Per hour.
    Hour,
    /// Per day.
    Day,
    /// Per month.
    Month,
    /// Per queue.
    Queue,
    /// Per agent.
    Agent,
}

/// `tamas simulate-pbx`
#[derive(Debug, Args)]
pub struct SimulatePbx {
    /// Address to accept AMI clients on.
    #[arg(long, default_value = "127.0.0.1:5038")]
    pub listen: SocketAddr,
    /// AMI user accepted at Login.
    #[arg(long, default_value = "cti")]
    pub user: String,
    /// That user's secret.
    #[arg(
        long,
        env = "TAMAS_SIM_SECRET",
        hide_env_values = true,
        default_value = "cti-secret"
    )]
    pub secret: String,
    /// Generated calls per minute (0: only on Originate).
    #[arg(long, default_value_t = 6.0)]
    pub calls_per_minute: f64,
    /// Agents' extensions (queue members and desk phones).
    #[arg(long, value_delimiter = ',', default_value = "1001,1002,1003")]
    pub agents: Vec<String>,
    /// Serve these captures (in order) instead of generating calls.
    #[arg(long, num_args = 1.., value_name = "CAPTURE.ami")]
    pub replay: Vec<PathBuf>,
    /// Seed of the random choices (callers, scenarios, arrival times).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write each recorded call's MixMonitor files (`<uniqueid>.wav`, `-rx.wav`,
    /// `-tx.wav`, option `b`) into this folder, like Asterisk's monitor folder.
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// Append one JSON line per finished call to this file: what the PBX really did
    /// (`tamas replay`'s field names).
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Which calls are generated, with optional weights, e.g.
    /// `inbound-answered:3,inbound-abandoned,ring-no-answer` (default: every kind but
    /// click-to-call). Kinds: inbound-answered, inbound-abandoned, ring-no-answer,
    /// ringall-answered, outbound, internal, hold, blind-transfer, attended-transfer.
    #[arg(long, value_name = "KIND[:WEIGHT],…", value_parser = parse_scenarios)]
    pub scenarios: Option<ScenarioMix>,
    /// How long answered calls' talk lasts, in seconds (`10-40`, or `15`); never shorter
    /// than captured.
    #[arg(long, value_name = "MIN-MAX")]
    pub talk_seconds: Option<cti::sim::SecondsRange>,
    /// How long queue callers wait before an agent answers (or before hanging up, for
    /// abandoned calls), in seconds (`5-30`); never shorter than captured.
    #[arg(long, value_name = "MIN-MAX")]
    pub wait_seconds: Option<cti::sim::SecondsRange>,
}

/// The call mix of `simulate-pbx --scenarios`: kinds of calls with their weights.
#[derive(Clone, Debug)]
pub struct ScenarioMix(pub Vec<(cti::sim::Scenario, u32)>);

fn parse_scenarios(text: &str) -> Result<ScenarioMix, cti::sim::SimError> {
    cti::sim::parse_mix(text).map(ScenarioMix)
}

/// `tamas user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Without `--password-stdin` a password is generated and printed once.
    Add(UserAdd),
    /// Stop a user from signing in: their sessions and tokens stop working and their
    /// open WebSockets close (within a second on a running server).
    Disable {
        /// Sign-in name.
        username: String,
    },
    /// Let a disabled user sign in again (their old sessions stay ended).
    Enable {
        /// Sign-in name.
        username: String,
    },
    /// Set a new password: every session of the user ends and their sockets close.
    /// Without `--password-stdin` a password is generated and printed once.
    SetPassword {
        /// Sign-in name.
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's role; their open sockets close (they reconnect with the new role).
    SetRole {
        /// Sign-in name.
        username: String,
        /// The new role.
        #[arg(value_enum)]
        role: RoleArg,
    },
}

/// `tamas user add`
#[derive(Debug, Args)]
pub struct UserAdd {
    /// Sign-in name.
    #[arg(long)]
    pub username: String,
    /// Role.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// The user's phone extension (agents).
    #[arg(long)]
    pub extension: Option<String>,
    /// Name shown in the UI (default: the username).
    #[arg(long)]
    pub display_name: Option<String>,
    /// UI language.
    #[arg(long, value_enum, default_value = "en")]
    pub locale: LocaleArg,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// A user's role.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Takes calls.
    Agent,
    /// Watches queues and reports.
    Supervisor,
    /// Manages users and settings.
    Admin,
}

/// A UI language.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LocaleArg {
    /// English.
    En,
    /// Persian.
    Fa,
}

/// `tamas token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a bearer token for the API and the WebSocket; printed once.
    Create {
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// What the token may do.
        #[arg(long, value_enum, default_value = "full")]
        scope: ScopeArg,
    },
    /// Revoke a token by id, or every token of a user: sockets opened with it close.
    Revoke {
        /// The token's id (as `tamas token list` shows it).
        #[arg(required_unless_present = "user", conflicts_with = "user")]
        id: Option<i64>,
        /// Every live token of this user.
        #[arg(long)]
        user: Option<String>,
    },
    /// List the tokens (id, user, scope, created, last used, revoked), never the secrets.
    List,
}

/// What a token may do.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    /// Everything the user may do.
    Full,
    /// Only upload recordings.
    Ingest,
}

/// `tamas import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import contacts from a UTF-8 CSV file with a header row
    /// (name, phone (`;`-separated), email, organisation, stage, tags).
    Contacts {
        /// The CSV file.
        file: PathBuf,
    },
}

/// `tamas contacts …`
#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Print the contacts a phone number (in any format) belongs to.
    Find {
        /// The number, as dialled or written.
        number: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}
