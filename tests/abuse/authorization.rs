//! The authorization matrix: every route of the router (`web::routes::table()`, the one
//! table the router is built from) against every kind of caller — anonymous, an agent, a
//! supervisor and an admin signed in, an ingest token, an agent's and an admin's full
//! token — on Tamas built in this process, on SQLite and on PostgreSQL.
//!
//! [`EXPECTED`] is this test's own statement of who may call what (docs/security.md); a
//! route added to the router without a line here, or a line whose route is gone or whose
//! rule differs, fails the test. Then each route is called as each caller: a caller
//! without access gets 401 (API, anonymous), a redirect to sign-in (a page, without a
//! session) or 403 (signed in without the role, or the wrong kind of token); a caller
//! with access gets anything but those.

use std::collections::BTreeMap;
use std::sync::Arc;

use crm_core::{Extension, Locale, NewUser, Role, Store, TokenScope, User, Username};
use reqwest::StatusCode;
use web::routes::table::Access;

use crate::support::{
    AppOptions, Backend, TestApp, TestDatabase, on_both_backends, spawn_app_over,
};

/// Who may call each route: `public`, `page:ROLE`, `api:ROLE`, `upload`, `socket`.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "public"),
    ("GET", "/readyz", "public"),
    ("GET", "/", "public"),
    ("GET", "/login", "public"),
    ("POST", "/login", "public"),
    ("POST", "/logout", "public"),
    ("GET", "/static/app.css", "public"),
    ("GET", "/static/alerts.js", "public"),
    ("GET", "/static/console.js", "public"),
    ("GET", "/static/contact.js", "public"),
    ("GET", "/static/recordings.js", "public"),
    ("GET", "/static/wallboard.js", "public"),
    ("GET", "/ws", "socket"),
    ("GET", "/console", "page:agent"),
    ("POST", "/console/wrapup", "page:agent"),
    ("POST", "/locale", "page:agent"),
    ("GET", "/contacts", "page:agent"),
    ("GET", "/contacts/new", "page:agent"),
    ("POST", "/contacts/new", "page:agent"),
    ("GET", "/contacts/{id}", "page:agent"),
    ("GET", "/contacts/{id}/edit", "page:agent"),
    ("POST", "/contacts/{id}/edit", "page:agent"),
    ("POST", "/contacts/{id}/notes", "page:agent"),
    ("POST", "/contacts/{id}/tasks", "page:agent"),
    ("POST", "/contacts/{id}/phones", "page:agent"),
    ("POST", "/contacts/{id}/phones/{phone}/delete", "page:agent"),
    ("POST", "/tasks/{id}/done", "page:agent"),
    ("GET", "/calls/{id}", "page:agent"),
    ("POST", "/calls/{id}/keep", "page:supervisor"),
    ("GET", "/alerts", "page:supervisor"),
    ("GET", "/wallboard", "page:supervisor"),
    ("GET", "/reports", "page:supervisor"),
    ("GET", "/admin/audit", "page:admin"),
    ("GET", "/admin/tokens", "page:admin"),
    ("POST", "/admin/tokens/{id}/revoke", "page:admin"),
    ("GET", "/api/calls", "api:agent"),
    ("POST", "/api/calls", "api:agent"),
    ("GET", "/api/calls/active", "api:agent"),
    ("POST", "/api/calls/contact", "api:agent"),
    ("POST", "/api/agent/pause", "api:agent"),
    ("GET", "/api/recordings/{id}", "api:agent"),
    ("POST", "/api/agents/{extension}/pause", "api:supervisor"),
    ("GET", "/api/queues", "api:supervisor"),
    ("GET", "/api/queues/today", "api:supervisor"),
    ("GET", "/api/alerts", "api:supervisor"),
    ("POST", "/alerts/{id}/acknowledge", "api:supervisor"),
    ("POST", "/alerts/{id}/resolve", "api:supervisor"),
    ("GET", "/reports.csv", "api:supervisor"),
    ("POST", "/api/recordings", "upload"),
];

/// A caller of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Session(Role),
    IngestToken,
    FullToken(Role),
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::Session(Role::Agent),
    Caller::Session(Role::Supervisor),
    Caller::Session(Role::Admin),
    Caller::IngestToken,
    Caller::FullToken(Role::Agent),
    Caller::FullToken(Role::Admin),
];

/// What a caller must get.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Unauthorized,
    SignIn,
    Forbidden,
}

fn spelled(access: Access) -> String {
    let role = |r: Role| r.as_str().to_owned();
    match access {
        Access::Public => "public".into(),
        Access::Page(r) => format!("page:{}", role(r)),
        Access::Api(r) => format!("api:{}", role(r)),
        Access::Upload => "upload".into(),
        Access::Socket => "socket".into(),
    }
}

/// What `caller` must get from a route whose rule is `access`.
fn outcome(access: Access, caller: Caller) -> Outcome {
    let at_least = |have: Role, need: Role| {
        if have >= need {
            Outcome::Allowed
        } else {
            Outcome::Forbidden
        }
    };
    match (access, caller) {
        (Access::Public, _) => Outcome::Allowed,
        (Access::Page(need), Caller::Session(have)) => at_least(have, need),
        // Pages know only browser sessions.
        (Access::Page(_), _) => Outcome::SignIn,
        (Access::Api(_) | Access::Socket | Access::Upload, Caller::Anonymous) => {
            Outcome::Unauthorized
        }
        (Access::Api(need), Caller::Session(have) | Caller::FullToken(have)) => {
            at_least(have, need)
        }
        (Access::Socket, Caller::Session(_) | Caller::FullToken(_)) => Outcome::Allowed,
        (Access::Api(_) | Access::Socket, Caller::IngestToken) => Outcome::Forbidden,
        // Uploads are for machines: an ingest token or an admin's full token.
        (Access::Upload, Caller::Session(_)) => Outcome::Unauthorized,
        (Access::Upload, Caller::IngestToken) => Outcome::Allowed,
        (Access::Upload, Caller::FullToken(have)) => at_least(have, Role::Admin),
    }
}

#[test]
fn every_route_has_a_rule_and_every_rule_a_route() {
    let table: BTreeMap<(String, String), String> = web::routes::table()
        .rules()
        .into_iter()
        .map(|r| ((r.method.to_string(), r.path.to_owned()), spelled(r.access)))
        .collect();
    assert_eq!(
        table.len(),
        web::routes::table().rules().len(),
        "a route is declared twice"
    );
    let expected: BTreeMap<(String, String), String> = EXPECTED
        .iter()
        .map(|(m, p, a)| (((*m).to_owned(), (*p).to_owned()), (*a).to_owned()))
        .collect();
    for (route, access) in &table {
        match expected.get(route) {
            None => panic!("{route:?} ({access}) has no line in EXPECTED: say who may call it"),
            Some(want) => assert_eq!(access, want, "the rule of {route:?} changed"),
        }
    }
    for route in expected.keys() {
        assert!(table.contains_key(route), "{route:?} is no longer routed");
    }
}

async fn user(store: &Arc<dyn Store>, name: &str, role: Role) -> User {
    store
        .create_user(&NewUser {
            username: Username::parse(name).unwrap(),
            display_name: name.to_owned(),
            role,
            extension: (role == Role::Agent).then(|| Extension::parse("1001").unwrap()),
            locale: Locale::En,
            password_hash: "not a real hash".to_owned(),
        })
        .await
        .unwrap()
}

struct Callers {
    users: BTreeMap<&'static str, User>,
    ingest: String,
    agent_token: String,
    admin_token: String,
}

impl Callers {
    fn user(&self, role: Role) -> &User {
        &self.users[role.as_str()]
    }
}

/// A request of `rule` (on `path`, its captures filled in) as `caller`, from one of Tamas'
/// pages; a session caller gets a session of its own (`/logout` ends the one it is given).
async fn request_as(
    client: &reqwest::Client,
    base: &str,
    store: &Arc<dyn Store>,
    callers: &Callers,
    rule: &web::routes::table::RouteRule,
    path: &str,
    caller: Caller,
) -> reqwest::RequestBuilder {
    let mut request = client
        .request(rule.method.clone(), format!("{base}{path}"))
        .header("origin", base);
    if rule.method == reqwest::Method::POST {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body("");
    }
    match caller {
        Caller::Anonymous => request,
        Caller::Session(role) => {
            let session = store
                .create_session(callers.user(role).id, i64::MAX / 2)
                .await
                .unwrap();
            request
                .header(
                    "cookie",
                    format!("tamas_session={}", session.token.expose()),
                )
                .header("x-csrf-token", session.csrf_token.as_str())
        }
        Caller::IngestToken => request.bearer_auth(&callers.ingest),
        Caller::FullToken(Role::Admin) => request.bearer_auth(&callers.admin_token),
        Caller::FullToken(_) => request.bearer_auth(&callers.agent_token),
    }
}

/// A fresh database on `backend` for `test`, and its folder.
async fn fresh_database(backend: Backend, test: &str) -> (TestDatabase, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::on(backend, dir.path(), test).await.unwrap();
    (database, dir)
}

/// Tamas over `database` (users made by the test).
async fn serve(database: TestDatabase, dir: tempfile::TempDir) -> TestApp {
    let options = AppOptions {
        people: Vec::new(),
        ..AppOptions::default()
    };
    spawn_app_over(database, dir, options).await
}

async fn every_route_answers_every_caller_as_its_rule_says(backend: Backend) {
    let (database, dir) = fresh_database(backend, "every_route_answers_every_caller").await;
    let store = Arc::clone(&database.store);
    let mut users = BTreeMap::new();
    for (name, role) in [
        ("sara", Role::Agent),
        ("boss", Role::Supervisor),
        ("root", Role::Admin),
    ] {
        users.insert(role.as_str(), user(&store, name, role).await);
    }
    let token = |user: &User, scope| {
        let store = Arc::clone(&store);
        let id = user.id;
        async move {
            let (_, token) = store.create_token(id, scope).await.unwrap();
            token.expose().to_owned()
        }
    };
    let callers = Callers {
        ingest: token(&users["agent"], TokenScope::Ingest).await,
        agent_token: token(&users["agent"], TokenScope::Full).await,
        admin_token: token(&users["admin"], TokenScope::Full).await,
        users,
    };
    let app = serve(database, dir).await;
    let base = app.base.clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let mut wrong = Vec::new();
    for rule in web::routes::table().rules() {
        let path = rule
            .path
            .replace("{id}", "999999")
            .replace("{phone}", "999999")
            .replace("{extension}", "1001");
        for caller in CALLERS {
            let request = request_as(&client, &base, &store, &callers, &rule, &path, caller).await;
            let response = request.send().await.unwrap();
            let status = response.status();
            let to_sign_in = status == StatusCode::SEE_OTHER
                && response
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .is_some_and(|l| l.starts_with("/login"));
            let got = match status {
                StatusCode::UNAUTHORIZED => Outcome::Unauthorized,
                StatusCode::FORBIDDEN => Outcome::Forbidden,
                _ if to_sign_in && rule.path != "/logout" && rule.path != "/" => Outcome::SignIn,
                _ => Outcome::Allowed,
            };
            let want = outcome(rule.access, caller);
            if got != want {
                wrong.push(format!(
                    "{} {} as {caller:?}: {status}, expected {want:?}",
                    rule.method, rule.path
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `POST` from one of Tamas' pages with a fresh session of `user`.
async fn post_as(
    client: &reqwest::Client,
    base: &str,
    store: &Arc<dyn Store>,
    user: &User,
    path: &str,
) -> StatusCode {
    let session = store.create_session(user.id, i64::MAX / 2).await.unwrap();
    client
        .post(format!("{base}{path}"))
        .header("origin", base)
        .header(
            "cookie",
            format!("tamas_session={}", session.token.expose()),
        )
        .form(&[("csrf", session.csrf_token.as_str())])
        .send()
        .await
        .unwrap()
        .status()
}

/// Sara's contact with two numbers, her callback about it and its live alert.
async fn owned_contact_with_a_callback(
    store: &Arc<dyn Store>,
    sara: &User,
) -> (crm_core::Contact, crm_core::Task, crm_core::Alert) {
    use crm_core::{AlertKind, NewAlert, NewCallback, NewContact, NewPhone};
    let contact = store
        .create_contact(&NewContact {
            name: "Ali".into(),
            owner: Some(sara.id),
            phones: ["09121234567", "02144556677"]
                .iter()
                .map(|n| NewPhone {
                    number: store.normalizer().normalize(n),
                    label: String::new(),
                })
                .collect(),
            ..NewContact::default()
        })
        .await
        .unwrap();
    let callback = store
        .create_callback(&NewCallback {
            title: "Call Ali back".into(),
            contact: Some(contact.id),
            customer_number_raw: None,
            customer_number_e164: None,
            queue: Some("sales".into()),
            call: None,
            assignee: Some(sara.id),
            due_at_ms: None,
        })
        .await
        .unwrap();
    let (alert, _) = store
        .raise_alert(&NewAlert {
            kind: AlertKind::AbandonedCallback,
            dedupe_key: format!("callback:{}", callback.id),
            queue: Some("sales".into()),
            contact: Some(contact.id),
            call: None,
            task: Some(callback.id),
            detail: serde_json::json!({}),
            once: false,
        })
        .await
        .unwrap();
    (contact, callback, alert)
}

async fn tasks_and_numbers_of_others_are_theirs_to_close_and_delete(backend: Backend) {
    let (database, dir) = fresh_database(backend, "tasks_and_numbers_of_others").await;
    let store = Arc::clone(&database.store);
    let sara = user(&store, "sara", Role::Agent).await;
    let reza = store
        .create_user(&NewUser {
            username: Username::parse("reza").unwrap(),
            display_name: "reza".into(),
            role: Role::Agent,
            extension: Some(Extension::parse("1002").unwrap()),
            locale: Locale::En,
            password_hash: "not a real hash".into(),
        })
        .await
        .unwrap();
    let boss = user(&store, "boss", Role::Supervisor).await;
    let (contact, callback, alert) = owned_contact_with_a_callback(&store, &sara).await;
    let app = serve(database, dir).await;
    let base = app.base.clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // Another agent may neither close Sara's callback nor delete her contact's number.
    let done = format!("/tasks/{}/done", callback.id);
    assert_eq!(
        post_as(&client, &base, &store, &reza, &done).await,
        StatusCode::FORBIDDEN
    );
    let phone = contact.phones[0].id;
    let delete = format!("/contacts/{}/phones/{phone}/delete", contact.id);
    assert_eq!(
        post_as(&client, &base, &store, &reza, &delete).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(store.get_contact(contact.id).await.unwrap().phones.len(), 2);
    assert_eq!(
        store.get_task(callback.id).await.unwrap().status,
        crm_core::TaskStatus::Open
    );

    // The owner deletes a number; a supervisor another; the assignee closes the task.
    assert_eq!(
        post_as(&client, &base, &store, &sara, &delete).await,
        StatusCode::SEE_OTHER
    );
    let other = contact.phones[1].id;
    let delete_other = format!("/contacts/{}/phones/{other}/delete", contact.id);
    assert_eq!(
        post_as(&client, &base, &store, &boss, &delete_other).await,
        StatusCode::SEE_OTHER
    );
    assert!(
        store
            .get_contact(contact.id)
            .await
            .unwrap()
            .phones
            .is_empty()
    );
    assert_eq!(
        post_as(&client, &base, &store, &sara, &done).await,
        StatusCode::SEE_OTHER
    );
    let alert = store.get_alert(alert.id).await.unwrap();
    assert_eq!(
        alert.resolved_by,
        Some(sara.id),
        "the alert names who closed it"
    );

    // Every close and deletion is audited, with who did it.
    let audit = store.audit_log(50).await.unwrap();
    let by = |action: &str| -> Vec<(Option<crm_core::UserId>, String)> {
        audit
            .iter()
            .filter(|e| e.action == action)
            .map(|e| (e.actor, e.subject.clone()))
            .collect()
    };
    assert_eq!(
        by("task.done"),
        vec![(Some(sara.id), format!("task:{}", callback.id))]
    );
    let deletions = by("phone.delete");
    assert_eq!(deletions.len(), 2);
    assert!(deletions.contains(&(Some(sara.id), format!("contact:{}", contact.id))));
    assert!(deletions.contains(&(Some(boss.id), format!("contact:{}", contact.id))));
}

on_both_backends!(
    every_route_answers_every_caller_as_its_rule_says,
    tasks_and_numbers_of_others_are_theirs_to_close_and_delete,
);
