//! The route table: every route of the service as (method, path, who may call it,
//! handler), the one source both of the router and of the access rules it enforces.
//!
//! Each route module gives its [`Routes`]; [`crate::router`] merges them and
//! [`Routes::into_router`] puts each rule's check in front of its handler (a route layer,
//! so 404 and 405 come first): a page answers an anonymous browser with a redirect to
//! sign-in and a user without the role with 403; an API route answers 401 without valid
//! credentials and 403 without the role or with an ingest token. Handlers keep their own,
//! finer checks (an agent's own calls and recordings, a task's assignee). The table is what
//! `docs/security.md` describes and what the `tests/abuse` authorization matrix probes:
//! [`crate::routes::table()`] lists it.

use axum::Router;
use axum::extract::{FromRequestParts as _, Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use crm_core::{Role, TokenScope};

use crate::auth::{CurrentUser, PageUser, bearer_token};
use crate::pages::Page;
use crate::{AppState, Error};

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (sign-in, health checks, static files).
    Public,
    /// A page: a signed-in browser session with at least this role.
    Page(Role),
    /// The API: a session or a full-scope bearer token with at least this role.
    Api(Role),
    /// Recording uploads: an ingest token, or an admin's full token.
    Upload,
    /// The WebSocket: like `Api(Role::Agent)`, and also a token in `?token=`; checked by
    /// the handler itself, which must see the credential to keep it (see
    /// [`app::hub::revocations`]).
    Socket,
}

/// One route: method, path, access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRule {
    /// The method (`GET` routes answer `HEAD` too).
    pub method: Method,
    /// The path, with `{param}` captures as axum writes them.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

/// Routes being assembled: their rules and handlers.
#[derive(Default)]
pub struct Routes {
    entries: Vec<(RouteRule, MethodRouter<AppState>)>,
}

impl Routes {
    /// No routes.
    pub fn new() -> Self {
        Routes::default()
    }

    /// `GET path` (and `HEAD`), for `access`.
    pub fn get<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.route(Method::GET, path, access, on(MethodFilter::GET, handler))
    }

    /// `POST path`, for `access`.
    pub fn post<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.route(Method::POST, path, access, on(MethodFilter::POST, handler))
    }

    /// `method path` served by `service`, which must route only `method` (use this for a
    /// handler with layers of its own, e.g. a body limit).
    pub fn route(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        service: MethodRouter<AppState>,
    ) -> Self {
        let rule = RouteRule {
            method,
            path,
            access,
        };
        self.entries.push((rule, service));
        self
    }

    /// These routes and `other`'s.
    pub fn merge(mut self, other: Routes) -> Self {
        self.entries.extend(other.entries);
        self
    }

    /// The rules, in the order added.
    pub fn rules(&self) -> Vec<RouteRule> {
        self.entries.iter().map(|(rule, _)| rule.clone()).collect()
    }

    /// The router: each route behind the check of its rule.
    pub fn into_router(self, state: &AppState) -> Router<AppState> {
        self.entries
            .into_iter()
            .fold(Router::new(), |router, (rule, service)| {
                let access = rule.access;
                let check = axum::middleware::from_fn_with_state(
                    state.clone(),
                    move |state: State<AppState>, request: Request, next: Next| {
                        enforce(access, state, request, next)
                    },
                );
                router.route(rule.path, service.route_layer(check))
            })
    }
}

/// Lets `request` through to its handler if `access` allows its credentials.
async fn enforce(
    access: Access,
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match access {
        Access::Public | Access::Socket => {}
        Access::Page(role) => match PageUser::from_request_parts(&mut parts, &state).await {
            Ok(user) if user.user.role >= role => {}
            Ok(user) => {
                let page = Page::for_user(&user, &state, parts.uri.path());
                return page.error_response(Error::Forbidden);
            }
            Err(sign_in) => return sign_in.into_response(),
        },
        Access::Api(role) => match CurrentUser::from_request_parts(&mut parts, &state).await {
            Ok(user) if user.user().role >= role => {
                // The handler's `CurrentUser` is this one: the token is not checked twice.
                parts.extensions.insert(user);
            }
            Ok(_) => return Error::Forbidden.into_response(),
            Err(err) => return err.into_response(),
        },
        Access::Upload => {
            if let Err(err) = may_upload(&state, &parts.headers).await {
                return err.into_response();
            }
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

/// An ingest token, or an admin's full token.
async fn may_upload(state: &AppState, headers: &axum::http::HeaderMap) -> Result<(), Error> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(bearer_token)
        .ok_or(Error::Unauthorized)?;
    let found = state
        .store
        .verify_token(token)
        .await?
        .ok_or(Error::Unauthorized)?;
    match found.scope {
        TokenScope::Ingest => Ok(()),
        TokenScope::Full if found.user.role == Role::Admin => Ok(()),
        TokenScope::Full => Err(Error::Forbidden),
    }
}
