//! The OpenAPI 3.1 document of the API, generated from the routes' types, and the interactive
//! reference at `/api/docs` (Swagger UI, served from the binary).
//!
//! Each route documents its parameters, body and answer with `#[utoipa::path]`, and lists the
//! error codes only it can answer in its `x-error-codes` extension. [`document`] adds what the
//! router adds to every route of a kind: the session (cookie or bearer) and the CSRF header of
//! private routes, with their errors (`unauthorized`, `rate_limited`, …), and the errors of
//! reading a body, a query or a path. Then it turns the codes into error answers, one per
//! status, whose `error_code` is one of the codes that status can carry on that route.

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder, SecurityRequirement,
};
use utoipa::{Modify, OpenApi as _};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::auth::{CSRF_HEADER, SESSION_COOKIE};
use crate::error::{ErrorBody, ErrorCode};

/// The extension in which a route lists the error codes it answers.
pub const ERROR_CODES: &str = "x-error-codes";
/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";
/// Where the interactive reference is served.
pub const DOCS_PATH: &str = "/api/docs";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "bangui",
        description = "Monitor, manage and configure fail2ban. Every route but health, setup, \
            login and this document needs a session: the `bangui_session` cookie a login sets, \
            or `Authorization: Bearer <token>` from a login with `issue_token`. Requests \
            authenticated by cookie that change something must carry `X-BanGUI-Request: 1`. \
            Errors are `{\"error_code\", \"message\", \"details\"}`; each route lists its codes.",
        license(name = "MIT"),
    ),
    // Schemas that only parameters name (bodies and answers bring their own).
    components(schemas(
        ErrorBody, ErrorCode, bangui_core::Address, bangui_core::JailName, bangui_core::JobId,
        bangui_core::Origin, bangui_core::PageNumber, bangui_core::PageSize,
        bangui_core::SearchText, bangui_core::TimeRange, bangui_core::AddressPrefix,
        bangui_core::CountryCode, bangui_blocklist::SourceId,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "health", description = "Probes for load balancers and Kubernetes"),
        (name = "setup", description = "First-run setup"),
        (name = "auth", description = "Sessions"),
        (name = "dashboard", description = "What the landing page shows"),
        (name = "jails", description = "The running jails and their control"),
        (name = "bans", description = "Bans across jails"),
        (name = "events", description = "Live events"),
        (name = "history", description = "The ban archive"),
        (name = "geo", description = "Countries of addresses"),
        (name = "blocklists", description = "Blocklist sources, imports and their log"),
        (name = "config", description = "fail2ban's configuration files, read as fail2ban reads them"),
        (name = "jobs", description = "Background jobs"),
        (name = "audit", description = "Who changed what"),
        (name = "operations", description = "The document itself and Prometheus metrics"),
    )
)]
struct ApiDoc;

/// The names of the two ways to present a session.
const COOKIE: &str = "session_cookie";
const BEARER: &str = "bearer_token";

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "Set by POST /api/v1/auth/login (HttpOnly, SameSite=Lax).",
            ))),
        );
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The token of a login with `issue_token: true`; no CSRF header needed.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Errors of every private route.
const SESSION_ERRORS: &[ErrorCode] = &[
    ErrorCode::Unauthorized,
    ErrorCode::RateLimited,
    ErrorCode::SetupRequired,
    ErrorCode::StateStoreUnavailable,
    ErrorCode::DatabaseUnavailable,
];

/// Errors of every route with a JSON body.
const BODY_ERRORS: &[ErrorCode] = &[
    ErrorCode::MalformedJson,
    ErrorCode::InvalidBody,
    ErrorCode::UnsupportedMediaType,
    ErrorCode::PayloadTooLarge,
];

/// The whole document: `public` and `private` are the documents of the public and the private
/// routes under `/api/v1`, `root` of the routes outside it.
pub(crate) fn document(public: OpenApi, mut private: OpenApi, root: OpenApi) -> OpenApi {
    for (method, operation) in operations(&mut private) {
        require_session(method, operation);
    }
    let mut api = public;
    api.merge(private);
    let mut doc = ApiDoc::openapi().nest("/api/v1", api);
    doc.merge(root);
    let mut shared = BTreeMap::new();
    for (_, operation) in operations(&mut doc) {
        summarize(operation);
        document_errors(operation, &mut shared);
    }
    doc.components
        .get_or_insert_with(Default::default)
        .responses
        .extend(shared);
    doc
}

/// A handler's doc comment starts with its route (`` `GET /jails`: every running jail… ``),
/// which the document shows anyway: its summary is the rest, as one line.
fn summarize(operation: &mut Operation) {
    let Some(summary) = operation.summary.as_mut() else {
        return;
    };
    if let Some((route, rest)) = summary.split_once("`: ")
        && route.starts_with('`')
    {
        let mut chars = rest.chars();
        *summary = chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
    }
    *summary = summary.replace('\n', " ");
}

/// Every operation of `doc`, with its method.
fn operations(doc: &mut OpenApi) -> impl Iterator<Item = (HttpMethod, &mut Operation)> {
    doc.paths.paths.values_mut().flat_map(|item| {
        [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ]
        .into_iter()
        .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
    })
}

fn changes_state(method: &HttpMethod) -> bool {
    !matches!(
        method,
        HttpMethod::Get | HttpMethod::Head | HttpMethod::Options
    )
}

/// A private route: a session by cookie or bearer token, the CSRF header for changes, and the
/// errors of checking them.
fn require_session(method: HttpMethod, operation: &mut Operation) {
    operation.security = Some(vec![
        SecurityRequirement::new(COOKIE, Vec::<String>::new()),
        SecurityRequirement::new(BEARER, Vec::<String>::new()),
    ]);
    let mut codes = SESSION_ERRORS.to_vec();
    if changes_state(&method) {
        codes.push(ErrorCode::CsrfHeaderMissing);
        let csrf = ParameterBuilder::new()
            .name(CSRF_HEADER)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "`1`. Required when the session is presented by cookie (not with a bearer token).",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["1"])),
            ))
            .build();
        operation
            .parameters
            .get_or_insert_with(Vec::new)
            .push(RefOr::T(csrf));
    }
    add_codes(operation, &codes);
}

/// The codes an operation lists.
fn listed_codes(operation: &Operation) -> BTreeSet<ErrorCode> {
    operation
        .extensions
        .as_ref()
        .and_then(|e| e.get(ERROR_CODES))
        .and_then(|v| serde_json::from_value::<Vec<ErrorCode>>(v.clone()).ok())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn add_codes(operation: &mut Operation, codes: &[ErrorCode]) {
    let mut all = listed_codes(operation);
    all.extend(codes);
    let extensions = operation.extensions.get_or_insert_with(Default::default);
    extensions.insert(
        ERROR_CODES.to_owned(),
        serde_json::to_value(&all).unwrap_or_default(),
    );
}

/// Adds the errors of reading the operation's input and the internal error, then one error
/// answer per status with the codes it carries. An answer of one code is shared between routes
/// (in `shared`, by its code); the others are the route's own.
fn document_errors(
    operation: &mut Operation,
    shared: &mut BTreeMap<String, RefOr<utoipa::openapi::Response>>,
) {
    let mut codes = vec![ErrorCode::InternalError];
    if operation.request_body.is_some() {
        codes.extend(BODY_ERRORS);
    }
    let parameters: Vec<&Parameter> = operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p),
            RefOr::Ref(_) => None,
        })
        .collect();
    if parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query))
    {
        codes.push(ErrorCode::InvalidQuery);
    }
    if parameters
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path))
    {
        // A path whose parameter does not percent-decode.
        codes.push(ErrorCode::BadRequest);
    }
    add_codes(operation, &codes);
    let mut by_status: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for code in listed_codes(operation) {
        by_status
            .entry(code.status().as_u16())
            .or_default()
            .push(code);
    }
    for (status, codes) in by_status {
        let response = match codes.as_slice() {
            [code] => {
                shared
                    .entry(code.as_str().to_owned())
                    .or_insert_with(|| RefOr::T(error_response(&codes)));
                RefOr::Ref(Ref::from_response_name(code.as_str()))
            }
            _ => RefOr::T(error_response(&codes)),
        };
        operation
            .responses
            .responses
            .insert(status.to_string(), response);
    }
}

/// An error answer whose `error_code` is one of `codes`.
fn error_response(codes: &[ErrorCode]) -> utoipa::openapi::Response {
    let names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
    let description = codes
        .iter()
        .map(|c| format!("`{}`: {}", c.as_str(), c.meaning()))
        .collect::<Vec<_>>()
        .join("; ");
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("ErrorBody"))
        .item(
            ObjectBuilder::new()
                .property(
                    "error_code",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .enum_values(Some(names)),
                )
                .required("error_code"),
        );
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new().schema(Some(schema)).build(),
    );
    if codes.contains(&ErrorCode::RateLimited) {
        let retry_after = utoipa::openapi::HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
            .description(Some("Seconds to wait before trying again."))
            .build();
        response = response.header("retry-after", retry_after);
    }
    response.build()
}

/// `GET /api/v1/openapi.json`: this document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.",
        content_type = "application/json", body = Object)))]
pub async fn serve_document(
    axum::Extension(document): axum::Extension<Document>,
) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.0.as_ref().clone(),
    )
}

/// The document, serialized once.
#[derive(Debug, Clone)]
pub struct Document(pub std::sync::Arc<String>);

impl Document {
    pub fn of(doc: &OpenApi) -> Self {
        Self(std::sync::Arc::new(doc.to_json().unwrap_or_default()))
    }
}

/// The interactive reference at [`DOCS_PATH`], reading the document at [`DOCUMENT_PATH`]; its
/// assets come from the binary, and it asks no validator on the internet.
pub fn reference<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = Config::from(DOCUMENT_PATH).validator_url("none");
    SwaggerUi::new(DOCS_PATH).config(config).into()
}
