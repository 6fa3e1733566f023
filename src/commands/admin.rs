//! `tamas migrate`, `tamas user add`, `tamas token create`; the commands that end access
//! (`tamas user disable|enable|set-password|set-role`, `tamas token revoke|list`) are in
//! [`access`](super::access).

use std::io::BufRead as _;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use crm_core::{AuditEntry, Extension, Locale, NewUser, Role, TokenScope, Username};

use crate::cli::{LocaleArg, RoleArg, ScopeArg, TokenCommand, UserAdd, UserCommand};
use crate::settings::Settings;

/// Applies the migrations.
pub async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    println!("database is up to date ({})", store.backend());
    Ok(ExitCode::SUCCESS)
}

/// `tamas user …`
pub async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    match command {
        UserCommand::Add(args) => add_user(settings, args).await,
        other => super::access::user(settings, other).await,
    }
}

async fn add_user(settings: &Settings, args: UserAdd) -> anyhow::Result<ExitCode> {
    let username = Username::parse(&args.username)?;
    let extension = args
        .extension
        .as_deref()
        .map(Extension::parse)
        .transpose()?;
    let role = role_of(args.role);
    let (password, generated) = read_or_generate_password(args.password_stdin)?;
    let store = super::open_store(settings).await?;
    let hash = {
        let password = password.clone();
        tokio::task::spawn_blocking(move || crm_core::password::hash_password(&password)).await??
    };
    let user = store
        .create_user(&NewUser {
            display_name: args.display_name.unwrap_or_else(|| username.to_string()),
            username,
            role,
            extension,
            locale: match args.locale {
                LocaleArg::En => Locale::En,
                LocaleArg::Fa => Locale::Fa,
            },
            password_hash: hash,
        })
        .await?;
    store
        .record_audit(&AuditEntry {
            at_ms: now_ms(),
            actor: None,
            action: "user.create".into(),
            subject: format!("user:{}", user.id),
            detail: serde_json::json!({ "role": user.role.as_str(), "via": "cli" }),
        })
        .await?;
    println!(
        "created {} ({}) as {}",
        user.username,
        user.id,
        user.role.as_str()
    );
    if generated {
        println!("password: {password}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `tamas token …`
pub async fn token(settings: &Settings, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let TokenCommand::Create { user, scope } = command else {
        return super::access::token(settings, command).await;
    };
    let store = super::open_store(settings).await?;
    let Some(user) = store.user_by_username(&user).await? else {
        bail!("no user named {user:?}");
    };
    let scope = match scope {
        ScopeArg::Full => TokenScope::Full,
        ScopeArg::Ingest => TokenScope::Ingest,
    };
    let (id, token) = store.create_token(user.id, scope).await?;
    store
        .record_audit(&AuditEntry {
            at_ms: now_ms(),
            actor: None,
            action: "token.create".into(),
            subject: format!("token:{id}"),
            detail: serde_json::json!({ "user": user.id, "scope": scope.as_str(), "via": "cli" }),
        })
        .await?;
    // The token alone on standard output, for scripts: TOKEN=$(tamas token create …).
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

/// The role a `--role` names.
pub fn role_of(role: RoleArg) -> Role {
    match role {
        RoleArg::Agent => Role::Agent,
        RoleArg::Supervisor => Role::Supervisor,
        RoleArg::Admin => Role::Admin,
    }
}

/// The password on the first line of standard input (`from_stdin`), or a generated one;
/// and whether it was generated (then it must be printed).
pub fn read_or_generate_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((generate_password(), true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok((password, false))
}

/// A random password of 16 letters and digits (about 95 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..16)
        .map(|_| {
            let i = rand::random_range(0..ALPHABET.len());
            char::from(ALPHABET[i])
        })
        .collect()
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
