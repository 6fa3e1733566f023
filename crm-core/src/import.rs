//! Contacts from CSV: UTF-8 with a header row and the columns `name`, `phone` (one or more,
//! separated by `;`), `email`, `organisation`, `stage`, `tags` (separated by `;` or `,`).
//!
//! Good rows are imported, each bad row is reported with its line number and the reason:
//! a row with more or fewer fields than the header, or a phone that does not parse as a
//! number (`ext-4455`: an import refuses it rather than keep it as typed, so that a
//! mistyped column is noticed), is refused whole; nothing of a row is dropped silently.
//! Importing the same file again creates no duplicates: a row whose name (compared
//! [folded](crate::text::fold)) and one number match an existing contact updates that
//! contact (new numbers and tags are added).

use std::io::Read;

use serde::Serialize;

use crate::domain::contact::{self, ContactUpdate, NewContact, NewPhone, Stage};
use crate::phone::PhoneNormalizer;
use crate::{Store, StoreError};

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Contacts created.
    pub created: usize,
    /// Existing contacts that matched a row (updated when the row added something).
    pub matched: usize,
    /// Rows refused, with why.
    pub errors: Vec<RowError>,
}

/// A row that was not imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// Why an import could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not readable CSV, or the header is missing a column.
    #[error("{0}")]
    Format(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports contacts from `reader` into `store`.
pub async fn import_contacts(
    store: &dyn Store,
    reader: impl Read,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    for row in ContactRows::new(reader, store.normalizer())? {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                report.errors.push(error);
                continue;
            }
        };
        match merge_or_create(store, row.contact).await {
            Ok(Outcome::Created) => report.created += 1,
            Ok(Outcome::Matched) => report.matched += 1,
            Err(StoreError::Invalid(reason)) => report.errors.push(RowError {
                line: row.line,
                reason,
            }),
            Err(err) => return Err(err.into()),
        }
    }
    Ok(report)
}

/// One row of a contacts CSV, checked and normalised: the contact it describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRow {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// The contact, with validated name, e-mail and stage and parsed numbers.
    pub contact: NewContact,
}

/// The rows of a contacts CSV, read and checked without a database: each is a
/// [`ContactRow`] or the [`RowError`] that refuses it.
pub struct ContactRows<'n, R: Read> {
    records: csv::StringRecordsIntoIter<R>,
    columns: Columns,
    normalizer: &'n PhoneNormalizer,
}

/// Where each known column is in the header.
struct Columns {
    count: usize,
    name: usize,
    phone: usize,
    email: Option<usize>,
    organisation: Option<usize>,
    stage: Option<usize>,
    tags: Option<usize>,
}

impl<'n, R: Read> ContactRows<'n, R> {
    /// Reads the header row; fails when it is unreadable or lacks `name` or `phone`.
    pub fn new(reader: R, normalizer: &'n PhoneNormalizer) -> Result<Self, ImportError> {
        let mut csv = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let headers: Vec<String> = csv
            .headers()
            .map_err(|err| ImportError::Format(format!("cannot read the header row: {err}")))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_lowercase())
            .collect();
        let column = |name: &str| headers.iter().position(|h| h == name);
        let (Some(name), Some(phone)) = (column("name"), column("phone")) else {
            return Err(ImportError::Format(
                "the header row needs at least the columns name and phone".into(),
            ));
        };
        let columns = Columns {
            count: headers.len(),
            name,
            phone,
            email: column("email"),
            organisation: column("organisation").or_else(|| column("organization")),
            stage: column("stage"),
            tags: column("tags"),
        };
        Ok(ContactRows {
            records: csv.into_records(),
            columns,
            normalizer,
        })
    }

    fn check(&self, record: &csv::StringRecord) -> Result<ContactRow, RowError> {
        let line = record.position().map_or(0, |p| p.line());
        let refuse = |reason: String| RowError { line, reason };
        if record.len() != self.columns.count {
            return Err(refuse(format!(
                "{} fields, but the header has {} columns",
                record.len(),
                self.columns.count
            )));
        }
        let field = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("").trim();
        let row = RowInput {
            name: field(Some(self.columns.name)),
            phones: field(Some(self.columns.phone)),
            email: field(self.columns.email),
            organisation: field(self.columns.organisation),
            stage: field(self.columns.stage),
            tags: field(self.columns.tags),
        };
        let contact = new_contact(&row, self.normalizer).map_err(|err| match err {
            StoreError::Invalid(reason) => refuse(reason),
            other => refuse(other.to_string()),
        })?;
        Ok(ContactRow { line, contact })
    }
}

impl<R: Read> Iterator for ContactRows<'_, R> {
    type Item = Result<ContactRow, RowError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.records.next()? {
            Ok(record) => self.check(&record),
            Err(err) => Err(RowError {
                line: err.position().map_or(0, |p| p.line()),
                reason: format!("not valid CSV/UTF-8: {err}"),
            }),
        })
    }
}

struct RowInput<'a> {
    name: &'a str,
    phones: &'a str,
    email: &'a str,
    organisation: &'a str,
    stage: &'a str,
    tags: &'a str,
}

enum Outcome {
    Created,
    Matched,
}

/// The contact a row describes, or why the row is refused.
fn new_contact(row: &RowInput<'_>, normalizer: &PhoneNormalizer) -> Result<NewContact, StoreError> {
    let name = contact::validate_name(row.name)?;
    let email = (!row.email.is_empty())
        .then(|| contact::validate_email(row.email))
        .transpose()?;
    let stage = if row.stage.is_empty() {
        Stage::Lead
    } else {
        Stage::parse(row.stage)?
    };
    let mut phones = Vec::new();
    for raw in row
        .phones
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let number = normalizer.normalize(raw);
        if number.e164.is_none() {
            return Err(StoreError::Invalid(format!(
                "{raw:?} is not a phone number (an import keeps only numbers that parse)"
            )));
        }
        if !phones
            .iter()
            .any(|p: &NewPhone| p.number.lookup_key == number.lookup_key)
        {
            phones.push(NewPhone {
                number,
                label: String::new(),
            });
        }
    }
    if phones.is_empty() {
        return Err(StoreError::Invalid("no phone number".into()));
    }
    Ok(NewContact {
        name,
        organisation: (!row.organisation.is_empty()).then(|| row.organisation.to_owned()),
        stage,
        email,
        tags: contact::clean_tags(row.tags.split([';', ','])),
        owner: None,
        phones,
    })
}

/// Adds the row to the contact it matches (same name, folded, and a shared number), or
/// creates it.
async fn merge_or_create(store: &dyn Store, new: NewContact) -> Result<Outcome, StoreError> {
    for phone in &new.phones {
        for card in store.lookup_number(&phone.number.lookup_key, None).await? {
            let existing = card.contact;
            if crate::text::fold(&existing.name) != crate::text::fold(&new.name) {
                continue;
            }
            for phone in &new.phones {
                if !existing
                    .phones
                    .iter()
                    .any(|p| p.lookup_key == phone.number.lookup_key)
                {
                    store.add_phone(existing.id, phone).await?;
                }
            }
            let mut merged = existing.tags.clone();
            merged.extend(new.tags.iter().cloned());
            let merged = contact::clean_tags(&merged);
            if merged != existing.tags {
                let update = ContactUpdate {
                    tags: Some(merged),
                    ..ContactUpdate::default()
                };
                store.update_contact(existing.id, &update).await?;
            }
            return Ok(Outcome::Matched);
        }
    }
    store.create_contact(&new).await?;
    Ok(Outcome::Created)
}
