//! The commands that end or change access: `tamas user disable|enable|set-password|set-role`
//! and `tamas token revoke|list`. Each is audited (`via: cli`); the store records every
//! change that ends access, so a running `tamas serve` on the same database closes the
//! sockets concerned within a second.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use crm_core::{AuditEntry, Store, TokenId, User};

use super::admin::{now_ms, read_or_generate_password, role_of};
use crate::cli::{TokenCommand, UserCommand};
use crate::settings::Settings;

/// `tamas user disable|enable|set-password|set-role`.
pub async fn user(settings: &Settings, command: UserCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    match command {
        UserCommand::Add(_) => bail!("`tamas user add` is not an access change"),
        UserCommand::Disable { username } => {
            let user = find_user(&store, &username).await?;
            store.set_user_active(user.id, false).await?;
            audit(&store, "user.disable", &user, serde_json::json!({})).await?;
            println!("disabled {}", user.username);
        }
        UserCommand::Enable { username } => {
            let user = find_user(&store, &username).await?;
            store.set_user_active(user.id, true).await?;
            audit(&store, "user.enable", &user, serde_json::json!({})).await?;
            println!("enabled {}", user.username);
        }
        UserCommand::SetPassword {
            username,
            password_stdin,
        } => {
            let user = find_user(&store, &username).await?;
            let (password, generated) = read_or_generate_password(password_stdin)?;
            let hash = {
                let password = password.clone();
                tokio::task::spawn_blocking(move || crm_core::password::hash_password(&password))
                    .await??
            };
            store.set_password_hash(user.id, &hash).await?;
            audit(&store, "user.password", &user, serde_json::json!({})).await?;
            println!(
                "new password set for {}; their sessions ended",
                user.username
            );
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::SetRole { username, role } => {
            let user = find_user(&store, &username).await?;
            let role = role_of(role);
            store.set_user_role(user.id, role).await?;
            let detail = serde_json::json!({ "from": user.role.as_str(), "to": role.as_str() });
            audit(&store, "user.role", &user, detail).await?;
            println!("{} is now {}", user.username, role.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `tamas token revoke|list`.
pub async fn token(settings: &Settings, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_store(settings).await?;
    match command {
        TokenCommand::Create { .. } => bail!("`tamas token create` is not an access change"),
        TokenCommand::Revoke { id: Some(id), .. } => {
            store
                .revoke_token(TokenId(id))
                .await
                .map_err(|err| match err {
                    crm_core::StoreError::NotFound => anyhow::anyhow!("no token {id}"),
                    other => other.into(),
                })?;
            record(
                &store,
                "token.revoke",
                format!("token:{id}"),
                serde_json::json!({}),
            )
            .await?;
            println!("revoked token {id}");
        }
        TokenCommand::Revoke { id: None, user } => {
            let Some(username) = user else {
                bail!("give a token id or --user");
            };
            let user = find_user(&store, &username).await?;
            let revoked = store.revoke_tokens_of_user(user.id).await?;
            let detail = serde_json::json!({ "revoked": revoked });
            audit(&store, "token.revoke_all", &user, detail).await?;
            println!("revoked {revoked} token(s) of {}", user.username);
        }
        TokenCommand::List => {
            let users = store.list_users().await?;
            for token in store.list_tokens().await? {
                let owner = users
                    .iter()
                    .find(|u| u.id == token.user)
                    .map_or("?", |u| u.username.as_str());
                let state = match token.revoked_at_ms {
                    Some(at) => format!("revoked {at}"),
                    None => "live".to_owned(),
                };
                println!(
                    "{}\t{owner}\t{}\tcreated {}\tlast used {}\t{state}",
                    token.id,
                    token.scope.as_str(),
                    token.created_at_ms,
                    token
                        .last_used_at_ms
                        .map_or_else(|| "never".to_owned(), |at| at.to_string()),
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn find_user(store: &Arc<dyn Store>, username: &str) -> anyhow::Result<User> {
    match store.user_by_username(username).await? {
        Some(user) => Ok(user),
        None => bail!("no user named {username:?}"),
    }
}

async fn audit(
    store: &Arc<dyn Store>,
    action: &str,
    user: &User,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    record(store, action, format!("user:{}", user.id), detail).await
}

async fn record(
    store: &Arc<dyn Store>,
    action: &str,
    subject: String,
    mut detail: serde_json::Value,
) -> anyhow::Result<()> {
    if let Some(object) = detail.as_object_mut() {
        object.insert("via".into(), "cli".into());
    }
    store
        .record_audit(&AuditEntry {
            at_ms: now_ms(),
            actor: None,
            action: action.to_owned(),
            subject,
            detail,
        })
        .await?;
    Ok(())
}
