//! `tamas contacts find NUMBER [--json]`.

use std::process::ExitCode;

use crate::cli::ContactsCommand;
use crate::settings::Settings;

/// Prints the contacts a number belongs to; exits 1 when there is none.
pub async fn run(settings: &Settings, command: ContactsCommand) -> anyhow::Result<ExitCode> {
    let ContactsCommand::Find { number, json } = command;
    let store = super::open_store(settings).await?;
    let cards = store.lookup_number(&number, None).await?;
    if json {
        let contacts: Vec<_> = cards.iter().map(|card| &card.contact).collect();
        println!("{}", serde_json::to_string_pretty(&contacts)?);
    } else if cards.is_empty() {
        println!("no contact has {number}");
    } else {
        for card in &cards {
            let contact = &card.contact;
            let numbers: Vec<&str> = contact.phones.iter().map(|p| p.raw.as_str()).collect();
            println!(
                "#{} {} [{}] {}",
                contact.id,
                contact.name,
                contact.stage.as_str(),
                numbers.join(", ")
            );
        }
    }
    Ok(if cards.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
