//! Contacts: search (`/contacts?q=` by name, organisation or a number in any format),
//! create (`/contacts/new`, also prefilled from a popup: `?number=…`), edit, and add or
//! remove numbers (only the contact's owner, supervisors and admins; audited as
//! `phone.delete`). The contact page itself is [`contact_page`](super::contact_page).
//!
//! Numbers are read with the store's normaliser: anything that is a valid number in some
//! format is stored with its E.164 form, so every other format finds it; short internal
//! numbers (3–15 digits) are kept as typed; anything else is refused with a message. A
//! contact created from an unknown caller's popup gets the earlier unmatched calls from its
//! numbers linked to it by the store, and a call still in progress is linked when it is
//! logged, by the same number.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use crm_core::domain::contact::{validate_email, validate_name};
use crm_core::{
    AuditEntry, Contact, ContactId, ContactUpdate, NewContact, NewPhone, PhoneId, Role, Stage,
    Store,
};
use serde::Deserialize;

use crate::auth::PageUser;
use crate::pages::{Page, display_number, render};
use crate::routes::table::{Access, Routes};
use crate::{AppState, Error};

/// `/contacts`, `/contacts/new`, `/contacts/{id}/edit`, `/contacts/{id}/phones…`.
pub fn router() -> Routes {
    Routes::new()
        .get("/contacts", Access::Page(Role::Agent), search)
        .get("/contacts/new", Access::Page(Role::Agent), new_form)
        .post("/contacts/new", Access::Page(Role::Agent), create)
        .get("/contacts/{id}/edit", Access::Page(Role::Agent), edit_form)
        .post("/contacts/{id}/edit", Access::Page(Role::Agent), update)
        .post(
            "/contacts/{id}/phones",
            Access::Page(Role::Agent),
            add_phone,
        )
        .post(
            "/contacts/{id}/phones/{phone}/delete",
            Access::Page(Role::Agent),
            remove_phone,
        )
}

/// A contact as a search result.
struct ContactLine {
    id: ContactId,
    name: String,
    organisation: String,
    stage: Stage,
    numbers: Vec<String>,
}

#[derive(Template)]
#[template(path = "contacts.html")]
struct SearchPage {
    page: Page,
    query: String,
    results: Vec<ContactLine>,
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
async fn search(
    user: PageUser,
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<SearchQuery>,
) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    let text = query.q.unwrap_or_default();
    let found = if text.trim().is_empty() {
        Ok(Vec::new())
    } else {
        state.store.search_contacts(&text, 50).await
    };
    match found {
        Ok(contacts) => render(&SearchPage {
            results: contacts
                .into_iter()
                .map(|contact| ContactLine {
                    numbers: contact
                        .phones
                        .iter()
                        .map(|p| display_number(state.store.as_ref(), &p.raw))
                        .collect(),
                    id: contact.id,
                    name: contact.name,
                    organisation: contact.organisation.unwrap_or_default(),
                    stage: contact.stage,
                })
                .collect(),
            page,
            query: text,
        }),
        Err(err) => page.error_response(err.into()),
    }
}

/// The create / edit form's values, as typed.
#[derive(Debug, Default, Deserialize)]
struct ContactForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    phone1: String,
    #[serde(default)]
    label1: String,
    #[serde(default)]
    phone2: String,
    #[serde(default)]
    label2: String,
    #[serde(default)]
    phone3: String,
    #[serde(default)]
    label3: String,
}

#[derive(Template)]
#[template(path = "contact_form.html")]
struct FormPage {
    page: Page,
    /// `None` for a new contact.
    contact: Option<Contact>,
    /// The contact's numbers as shown (edit only), with their ids.
    numbers: Vec<(PhoneId, String, String)>,
    form: ContactForm,
    errors: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct NewQuery {
    number: Option<String>,
}

async fn new_form(
    user: PageUser,
    State(state): State<AppState>,
    uri: Uri,
    Query(query): Query<NewQuery>,
) -> Response {
    let form = ContactForm {
        phone1: query.number.unwrap_or_default(),
        stage: Stage::Lead.as_str().to_owned(),
        ..ContactForm::default()
    };
    render(&FormPage {
        page: Page::for_user(&user, &state, &uri.to_string()),
        contact: None,
        numbers: Vec::new(),
        form,
        errors: Vec::new(),
    })
}

/// A number as typed, normalised; `Err` with a message for the form when it is no number.
fn read_number(store: &dyn Store, page: &Page, raw: &str, label: &str) -> Result<NewPhone, String> {
    let number = store.normalizer().normalize(raw);
    let short_number = (3..=15).contains(&number.lookup_key.len())
        && number.lookup_key.bytes().all(|b| b.is_ascii_digit());
    if number.e164.is_none() && !short_number {
        return Err(page.t1("contact-phone-invalid", "number", raw.trim()));
    }
    Ok(NewPhone {
        number,
        label: label.trim().chars().take(50).collect(),
    })
}

/// The form's fields checked; every problem as a message for the form.
fn read_fields(page: &Page, form: &ContactForm) -> Result<ContactUpdate, Vec<String>> {
    let mut errors = Vec::new();
    let name = validate_name(&form.name)
        .map_err(|_| errors.push(page.t("contact-name-missing")))
        .ok();
    let email = match form.email.trim() {
        "" => Some(None),
        email => validate_email(email)
            .map(Some)
            .map_err(|_| errors.push(page.t1("contact-email-invalid", "email", email)))
            .ok(),
    };
    let stage = Stage::parse(&form.stage).unwrap_or_default();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ContactUpdate {
        name,
        organisation: Some(Some(form.organisation.trim().to_owned()).filter(|o| !o.is_empty())),
        stage: Some(stage),
        email,
        tags: Some(form.tags.split([',', '،']).map(str::to_owned).collect()),
        owner: None,
    })
}

#[tracing::instrument(skip_all, fields(user = %user.user.username))]
async fn create(
    user: PageUser,
    State(state): State<AppState>,
    Form(form): Form<ContactForm>,
) -> Response {
    let page = Page::for_user(&user, &state, "/contacts/new");
    let mut errors = Vec::new();
    let fields = read_fields(&page, &form).map_err(|e| errors.extend(e)).ok();
    let mut phones = Vec::new();
    for (raw, label) in [
        (&form.phone1, &form.label1),
        (&form.phone2, &form.label2),
        (&form.phone3, &form.label3),
    ] {
        if raw.trim().is_empty() {
            continue;
        }
        match read_number(state.store.as_ref(), &page, raw, label) {
            Ok(phone) => phones.push(phone),
            Err(message) => errors.push(message),
        }
    }
    let Some(fields) = fields.filter(|_| errors.is_empty()) else {
        return invalid_form(page, None, Vec::new(), form, errors);
    };
    let new = NewContact {
        name: fields.name.unwrap_or_default(),
        organisation: fields.organisation.flatten(),
        stage: fields.stage.unwrap_or_default(),
        email: fields.email.flatten(),
        tags: fields.tags.unwrap_or_default(),
        owner: Some(user.user.id),
        phones,
    };
    match state.store.create_contact(&new).await {
        Ok(contact) => Redirect::to(&format!("/contacts/{}", contact.id)).into_response(),
        Err(crm_core::StoreError::Invalid(detail)) => {
            let errors = vec![page.t1("contact-invalid", "detail", &detail)];
            invalid_form(page, None, Vec::new(), form, errors)
        }
        Err(err) => page.error_response(err.into()),
    }
}

fn invalid_form(
    page: Page,
    contact: Option<Contact>,
    numbers: Vec<(PhoneId, String, String)>,
    form: ContactForm,
    errors: Vec<String>,
) -> Response {
    let body = render(&FormPage {
        page,
        contact,
        numbers,
        form,
        errors,
    });
    (StatusCode::UNPROCESSABLE_ENTITY, body).into_response()
}

fn numbers_of(store: &dyn Store, contact: &Contact) -> Vec<(PhoneId, String, String)> {
    contact
        .phones
        .iter()
        .map(|p| (p.id, display_number(store, &p.raw), p.label.clone()))
        .collect()
}

async fn edit_form(
    user: PageUser,
    State(state): State<AppState>,
    uri: Uri,
    Path(id): Path<i64>,
) -> Response {
    let page = Page::for_user(&user, &state, &uri.to_string());
    match state.store.get_contact(ContactId(id)).await {
        Ok(contact) => {
            let form = ContactForm {
                name: contact.name.clone(),
                organisation: contact.organisation.clone().unwrap_or_default(),
                stage: contact.stage.as_str().to_owned(),
                email: contact.email.clone().unwrap_or_default(),
                tags: contact.tags.join(", "),
                ..ContactForm::default()
            };
            render(&FormPage {
                page,
                numbers: numbers_of(state.store.as_ref(), &contact),
                contact: Some(contact),
                form,
                errors: Vec::new(),
            })
        }
        Err(err) => page.error_response(err.into()),
    }
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, contact = id))]
async fn update(
    user: PageUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<ContactForm>,
) -> Response {
    let page = Page::for_user(&user, &state, &format!("/contacts/{id}/edit"));
    let contact = match state.store.get_contact(ContactId(id)).await {
        Ok(contact) => contact,
        Err(err) => return page.error_response(err.into()),
    };
    let fields = match read_fields(&page, &form) {
        Ok(fields) => fields,
        Err(errors) => {
            let numbers = numbers_of(state.store.as_ref(), &contact);
            return invalid_form(page, Some(contact), numbers, form, errors);
        }
    };
    match state.store.update_contact(contact.id, &fields).await {
        Ok(_) => Redirect::to(&format!("/contacts/{id}")).into_response(),
        Err(crm_core::StoreError::Invalid(detail)) => {
            let numbers = numbers_of(state.store.as_ref(), &contact);
            let errors = vec![page.t1("contact-invalid", "detail", &detail)];
            invalid_form(page, Some(contact), numbers, form, errors)
        }
        Err(err) => page.error_response(err.into()),
    }
}

#[derive(Debug, Deserialize)]
struct PhoneForm {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    label: String,
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, contact = id))]
async fn add_phone(
    user: PageUser,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<PhoneForm>,
) -> Response {
    let page = Page::for_user(&user, &state, &format!("/contacts/{id}/edit"));
    let contact = match state.store.get_contact(ContactId(id)).await {
        Ok(contact) => contact,
        Err(err) => return page.error_response(err.into()),
    };
    let numbers = numbers_of(state.store.as_ref(), &contact);
    let phone = match read_number(state.store.as_ref(), &page, &form.phone, &form.label) {
        Ok(phone) => phone,
        Err(message) => {
            let fields = ContactForm {
                name: contact.name.clone(),
                organisation: contact.organisation.clone().unwrap_or_default(),
                stage: contact.stage.as_str().to_owned(),
                email: contact.email.clone().unwrap_or_default(),
                tags: contact.tags.join(", "),
                phone1: form.phone,
                label1: form.label,
                ..ContactForm::default()
            };
            return invalid_form(page, Some(contact), numbers, fields, vec![message]);
        }
    };
    match state.store.add_phone(contact.id, &phone).await {
        Ok(_) => Redirect::to(&format!("/contacts/{id}/edit")).into_response(),
        Err(err) => page.error_response(err.into()),
    }
}

#[tracing::instrument(skip_all, fields(user = %user.user.username, contact = id))]
async fn remove_phone(
    user: PageUser,
    State(state): State<AppState>,
    Path((id, phone)): Path<(i64, i64)>,
) -> Result<Redirect, Response> {
    let page = Page::for_user(&user, &state, &format!("/contacts/{id}/edit"));
    let contact = state
        .store
        .get_contact(ContactId(id))
        .await
        .map_err(|err| page.error_response(err.into()))?;
    // Only the contact's owner, supervisors and admins remove a number.
    if user.user.role < Role::Supervisor && contact.owner != Some(user.user.id) {
        tracing::warn!(
            contact = id,
            "removing a number of another user's contact refused"
        );
        return Err(page.error_response(Error::Forbidden));
    }
    // Only a number of this contact: the id in the path is not trusted on its own.
    if !contact.phones.iter().any(|p| p.id == PhoneId(phone)) {
        return Err(page.error_response(Error::NotFound));
    }
    let removed = state
        .store
        .remove_phone(PhoneId(phone))
        .await
        .map_err(|err| page.error_response(err.into()))?;
    let audit = AuditEntry {
        at_ms: app::clock::now_ms(),
        actor: Some(user.user.id),
        action: "phone.delete".into(),
        subject: format!("contact:{id}"),
        detail: serde_json::json!({ "phone": phone, "number": removed.raw }),
    };
    state
        .store
        .record_audit(&audit)
        .await
        .map_err(|err| page.error_response(err.into()))?;
    Ok(Redirect::to(&format!("/contacts/{id}/edit")))
}
