//! `newsdesk serve`: the subscriber self-service endpoints behind the
//! digest's unsubscribe link, and (with `--preview`) a local preview of the
//! feeds, web copies and the next edition.
//!
//! - `POST /unsubscribe?token=T` with `List-Unsubscribe=One-Click` (RFC 8058)
//!   unsubscribes at once; the same URL answers a confirm form (CSRF-checked).
//! - `GET /unsubscribe?token=T` only shows a confirm page: link scanners
//!   follow GETs, so a GET never changes anything.
//! - `GET/POST /preferences?token=T` chooses themes for the next edition.
//!
//! Every response carries a strict CSP and no-referrer; every client IP has a
//! token bucket; request bodies are capped; no redirect target ever comes
//! from input (the service never redirects). Tokens are only logged
//! truncated, client addresses only at debug level.

mod conn;
mod files;
mod limit;
pub mod mailto;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::config::Config;
use crate::digest::{self, EditionOptions, PreparedEdition};
use crate::store::{Store, Subscriber, SubscriberStatus};

/// Largest request body accepted (forms are a few hundred bytes).
pub const BODY_LIMIT: usize = 16 * 1024;
/// Requests per minute per client IP.
pub const RATE_PER_MINUTE: u32 = 30;

const CSP_PAGES: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                         frame-ancestors 'none'; base-uri 'none'";
/// Previews show the digest's remote images and the web copies' own CSS.
const CSP_PREVIEW: &str = "default-src 'none'; style-src 'unsafe-inline' 'self'; \
                           img-src https: http: data: 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub preview: bool,
    /// Behind a reverse proxy on loopback: take the client address from the
    /// last `X-Forwarded-For` entry (what our proxy saw), else `X-Real-IP`.
    pub trust_proxy: bool,
    /// A fixed clock (`NEWSDESK_NOW`), else the wall clock per request.
    pub fixed_now: Option<DateTime<Utc>>,
    /// Longest wait for a request's headers (and for an idle keep-alive
    /// connection's next request), and for the rest of a request once its
    /// headers are in.
    pub timeout: std::time::Duration,
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
}

struct AppState {
    config: Config,
    store: Mutex<Store>,
    secret: Vec<u8>,
    limiter: Mutex<limit::RateLimiter>,
    preview: bool,
    trust_proxy: bool,
    feeds_dir: PathBuf,
    digest_dir: PathBuf,
    fixed_now: Option<DateTime<Utc>>,
    timeout: std::time::Duration,
}

impl AppState {
    fn now(&self) -> DateTime<Utc> {
        // The edge of a long-running service: each request is its own "now".
        self.fixed_now.unwrap_or_else(Utc::now)
    }
}

type Shared = Arc<AppState>;

/// Serves until SIGTERM or Ctrl-C, then finishes in-flight requests.
pub fn run(config: Config, store: Store, opts: &Options) -> Result<()> {
    let secret = server_secret(&store)?;
    let state = Arc::new(AppState {
        feeds_dir: config.resolve(&config.feeds.dir),
        digest_dir: config.resolve(&config.digest.dir),
        config,
        store: Mutex::new(store),
        secret,
        limiter: Mutex::new(limit::RateLimiter::new(RATE_PER_MINUTE)),
        preview: opts.preview,
        trust_proxy: opts.trust_proxy,
        fixed_now: opts.fixed_now,
        timeout: opts.timeout,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .with_context(|| format!("cannot listen on {}", opts.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, preview = opts.preview, "serving");
        eprintln!("newsdesk: serving on http://{addr}/");
        let limits = conn::Limits {
            timeout: opts.timeout,
            max_connections: opts.max_connections,
        };
        conn::serve(listener, router(state), limits, shutdown_signal()).await;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

fn router(state: Shared) -> Router {
    let mut r = Router::new()
        .route("/unsubscribe", get(unsubscribe_page).post(unsubscribe_post))
        .route("/preferences", get(preferences_page).post(preferences_post));
    if state.preview {
        r = r
            .route("/", get(preview_index))
            .route("/preview", get(preview_edition))
            .route("/feeds", get(feeds_file))
            .route("/feeds/", get(feeds_file))
            .route("/feeds/{*path}", get(feeds_file))
            .route("/digests", get(digests_file))
            .route("/digests/", get(digests_file))
            .route("/digests/{*path}", get(digests_file));
    }
    r.fallback(not_found_handler)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// The HMAC key for CSRF tokens: created once, kept in the store so form
/// tokens survive restarts.
fn server_secret(store: &Store) -> Result<Vec<u8>> {
    const KEY: &str = "serve.csrf_secret";
    if let Some(hexed) = store.meta_get(KEY)?
        && let Ok(b) = hex::decode(hexed)
        && b.len() >= 32
    {
        return Ok(b);
    }
    let b: [u8; 32] = rand::random();
    store.meta_set(KEY, &hex::encode(b))?;
    Ok(b.to_vec())
}

/// Rate limiting, then security headers on whatever comes back.
async fn guard(
    State(state): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&state, peer.ip(), req.headers());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let checked = state
        .limiter
        .lock()
        .expect("limiter lock")
        .check(ip, Instant::now());
    let allowed = checked.is_ok();
    let mut resp = match checked {
        // The header timeout does not cover the body: a form sent a byte at
        // a time must not hold its connection (and a slot) either.
        Ok(()) => match tokio::time::timeout(state.timeout, next.run(req)).await {
            Ok(r) => r,
            Err(_) => {
                tracing::info!("request timed out: the client sent it too slowly");
                let mut r = message(
                    &state.config,
                    StatusCode::REQUEST_TIMEOUT,
                    "Request timed out",
                    "The request took too long to arrive. Please try again.",
                );
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                r
            }
        },
        Err(wait) => {
            tracing::info!("rate limit: refused a request");
            tracing::debug!(%ip, "rate limited");
            let mut r = message(
                &state.config,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                "Please wait a minute and try again.",
            );
            let secs = wait.as_secs().max(1).to_string();
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&secs).expect("digits"),
            );
            r
        }
    };
    // Only failures (unknown tokens, bad forms) drain the bucket: RFC 8058
    // one-click POSTs arrive from a mailbox provider's few shared addresses,
    // and refusing them would break the unsubscribe it must honour.
    let status = resp.status();
    if allowed && !(status.is_success() || status.is_redirection()) {
        state
            .limiter
            .lock()
            .expect("limiter lock")
            .charge(ip, Instant::now());
    }
    tracing::debug!(%ip, %method, %path, status = resp.status().as_u16(), "request");
    let preview = state.preview && !matches!(path.as_str(), "/unsubscribe" | "/preferences");
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if preview { CSP_PREVIEW } else { CSP_PAGES }),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !preview {
        // Pages for one subscriber must not sit in shared caches.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The address rate limits apply to. Forwarding headers are only believed
/// with `--trust-proxy` (otherwise any client could pick its own bucket).
fn client_ip(state: &AppState, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !state.trust_proxy {
        return peer;
    }
    let header_ip = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    };
    header_ip("x-forwarded-for")
        .or_else(|| header_ip("x-real-ip"))
        .unwrap_or(peer)
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "serve/message.html")]
struct MessagePage<'a> {
    lang: &'a str,
    site: &'a str,
    heading: &'a str,
    body: &'a str,
}

#[derive(Template)]
#[template(path = "serve/unsubscribe.html")]
struct UnsubscribePage<'a> {
    lang: &'a str,
    site: &'a str,
    digest: &'a str,
    email_hint: String,
    done: bool,
    csrf: String,
    action_url: String,
    preferences_url: String,
}

struct ThemeChoice {
    id: String,
    name: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "serve/preferences.html")]
struct PreferencesPage<'a> {
    lang: &'a str,
    site: &'a str,
    digest: &'a str,
    email_hint: String,
    unsubscribed: bool,
    themes: Vec<ThemeChoice>,
    csrf: String,
    action_url: String,
    unsubscribe_url: String,
    message: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "serve/index.html")]
struct IndexPage<'a> {
    lang: &'a str,
    site: &'a str,
}

#[derive(Template)]
#[template(path = "serve/listing.html")]
struct ListingPage<'a> {
    lang: &'a str,
    site: &'a str,
    path: &'a str,
    entries: Vec<String>,
}

fn html(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("template: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn message(config: &Config, status: StatusCode, heading: &str, body: &str) -> Response {
    html(
        status,
        &MessagePage {
            lang: &config.site.language,
            site: &config.site.title,
            heading,
            body,
        },
    )
}

/// The one answer for a malformed, unknown or mistyped token: it says
/// nothing about whether any address exists.
fn not_found(config: &Config) -> Response {
    message(
        config,
        StatusCode::NOT_FOUND,
        "Link not found",
        "This link is not valid. Please use the link from your most recent email.",
    )
}

async fn not_found_handler(State(state): State<Shared>) -> Response {
    not_found(&state.config)
}

fn internal(e: anyhow::Error) -> Response {
    tracing::error!("{e:#}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

fn digest_title(config: &Config) -> &str {
    config.digest.title.as_deref().unwrap_or(&config.site.title)
}

/// `n…@example.org`: enough for the reader to recognise their address,
/// not enough to learn it from a forwarded link.
fn email_hint(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "Your address".into(),
    }
}

/// For logs: the first 6 characters only.
fn short(token: &str) -> String {
    let head: String = token.chars().take(6).collect();
    format!("{head}…")
}

/// The first `token` parameter of a query string. Parsed by hand so that
/// any odd query (repeated keys, bad escapes) ends in the same 404 page
/// rather than an extractor's error text.
fn token_of(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
}

/// The subscriber holding `token`, or `None` (malformed or unknown). The
/// lookup is by index; the returned row's token is then compared in
/// constant time, so nothing in our code exits early on a partial match.
fn subscriber_for(state: &AppState, token: Option<&str>) -> Result<Option<Subscriber>> {
    let Some(token) = token else { return Ok(None) };
    if !(32..=128).contains(&token.len()) || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let found = state
        .store
        .lock()
        .expect("store lock")
        .subscriber_by_token(token)?;
    Ok(found.filter(|s| bool::from(s.token.as_bytes().ct_eq(token.as_bytes()))))
}

/// The CSRF token for one form of one subscriber: HMAC(secret, form‖token).
fn csrf_token(state: &AppState, form: &str, token: &str) -> String {
    hex::encode(csrf_mac(state, form, token).finalize().into_bytes())
}

fn csrf_mac(state: &AppState, form: &str, token: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&state.secret).expect("any key length");
    mac.update(form.as_bytes());
    mac.update(b"\0");
    mac.update(token.as_bytes());
    mac
}

fn csrf_ok(state: &AppState, form: &str, token: &str, given: Option<&str>) -> bool {
    let Some(given) = given.and_then(|g| hex::decode(g).ok()) else {
        return false;
    };
    // `verify_slice` compares in constant time.
    csrf_mac(state, form, token).verify_slice(&given).is_ok()
}

fn page_url(path: &str, token: &str) -> String {
    // Tokens are alphanumeric (checked above), so they need no escaping.
    format!("{path}?token={token}")
}

fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

// ------------------------------------------------------------ unsubscribe

async fn unsubscribe_page(State(state): State<Shared>, RawQuery(q): RawQuery) -> Response {
    let s = match subscriber_for(&state, token_of(q.as_deref()).as_deref()) {
        Ok(Some(s)) => s,
        Ok(None) => return not_found(&state.config),
        Err(e) => return internal(e),
    };
    unsubscribe_view(&state, &s, s.status == SubscriberStatus::Unsubscribed)
}

fn unsubscribe_view(state: &AppState, s: &Subscriber, done: bool) -> Response {
    let c = &state.config;
    html(
        StatusCode::OK,
        &UnsubscribePage {
            lang: &c.site.language,
            site: &c.site.title,
            digest: digest_title(c),
            email_hint: email_hint(&s.email),
            done,
            csrf: csrf_token(state, "unsubscribe", &s.token),
            action_url: page_url("/unsubscribe", &s.token),
            preferences_url: page_url("/preferences", &s.token),
        },
    )
}

/// Whether a body is the RFC 8058 one-click request, urlencoded or
/// multipart (both are allowed by the RFC).
fn is_one_click(headers: &HeaderMap, body: &[u8]) -> bool {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        let text = String::from_utf8_lossy(body);
        return text.contains("name=\"List-Unsubscribe\"") && text.contains("One-Click");
    }
    form_pairs(body)
        .iter()
        .any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click")
}

async fn unsubscribe_post(
    State(state): State<Shared>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let s = match subscriber_for(&state, token_of(q.as_deref()).as_deref()) {
        Ok(Some(s)) => s,
        Ok(None) => return not_found(&state.config),
        Err(e) => return internal(e),
    };
    let one_click = is_one_click(&headers, &body);
    let source = if one_click {
        "one-click"
    } else {
        let pairs = form_pairs(&body);
        let given = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str());
        if !csrf_ok(&state, "unsubscribe", &s.token, given) {
            tracing::info!(token = %short(&s.token), "unsubscribe form without a valid CSRF token");
            return message(
                &state.config,
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Nothing was changed. Please open the link from your email again.",
            );
        }
        "page"
    };
    let now = state.now();
    let result = state
        .store
        .lock()
        .expect("store lock")
        .unsubscribe_token(&s.token, source, now);
    match result {
        Ok(_) => {
            tracing::info!(token = %short(&s.token), source, "unsubscribed");
            if one_click {
                // Mail providers ignore the body; a person with curl reads it.
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    "Unsubscribed.\n",
                )
                    .into_response()
            } else {
                unsubscribe_view(&state, &s, true)
            }
        }
        Err(e) => internal(e),
    }
}

// ------------------------------------------------------------ preferences

async fn preferences_page(State(state): State<Shared>, RawQuery(q): RawQuery) -> Response {
    match subscriber_for(&state, token_of(q.as_deref()).as_deref()) {
        Ok(Some(s)) => preferences_view(&state, &s, StatusCode::OK, None, None),
        Ok(None) => not_found(&state.config),
        Err(e) => internal(e),
    }
}

fn preferences_view(
    state: &AppState,
    s: &Subscriber,
    status: StatusCode,
    message: Option<&str>,
    error: Option<&str>,
) -> Response {
    let c = &state.config;
    let themes = match digest::themes_of(c) {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    let themes = themes
        .into_iter()
        .map(|t| ThemeChoice {
            checked: s.themes.is_empty() || s.themes.contains(&t.id),
            id: t.id,
            name: t.name,
        })
        .collect();
    html(
        status,
        &PreferencesPage {
            lang: &c.site.language,
            site: &c.site.title,
            digest: digest_title(c),
            email_hint: email_hint(&s.email),
            unsubscribed: s.status == SubscriberStatus::Unsubscribed,
            themes,
            csrf: csrf_token(state, "preferences", &s.token),
            action_url: page_url("/preferences", &s.token),
            unsubscribe_url: page_url("/unsubscribe", &s.token),
            message,
            error,
        },
    )
}

async fn preferences_post(
    State(state): State<Shared>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let s = match subscriber_for(&state, token_of(q.as_deref()).as_deref()) {
        Ok(Some(s)) => s,
        Ok(None) => return not_found(&state.config),
        Err(e) => return internal(e),
    };
    let pairs = form_pairs(&body);
    let given = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    if !csrf_ok(&state, "preferences", &s.token, given) {
        tracing::info!(token = %short(&s.token), "preferences form without a valid CSRF token");
        return message(
            &state.config,
            StatusCode::FORBIDDEN,
            "This form has expired",
            "Nothing was changed. Please open the link from your email again.",
        );
    }
    let all = match digest::themes_of(&state.config) {
        Ok(t) => t,
        Err(e) => return internal(e),
    };
    // Only configured ids count, in config order; anything else is ignored.
    let chosen: Vec<String> = all
        .iter()
        .filter(|t| pairs.iter().any(|(k, v)| k == "theme" && *v == t.id))
        .map(|t| t.id.clone())
        .collect();
    if chosen.is_empty() {
        return preferences_view(
            &state,
            &s,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some("Tick at least one theme, or unsubscribe below."),
        );
    }
    // Every theme ticked means "everything", including themes added later.
    let stored: Vec<String> = if chosen.len() == all.len() {
        Vec::new()
    } else {
        chosen
    };
    let now = state.now();
    let updated = {
        let store = state.store.lock().expect("store lock");
        store
            .set_subscriber_themes(s.id, &stored, true, "page", now)
            .and_then(|_| store.subscriber_by_token(&s.token))
    };
    match updated {
        Ok(Some(s)) => {
            tracing::info!(token = %short(&s.token), "preferences saved");
            preferences_view(
                &state,
                &s,
                StatusCode::OK,
                Some("Saved. Your choice applies from the next edition."),
                None,
            )
        }
        Ok(None) => not_found(&state.config),
        Err(e) => internal(e),
    }
}

// ---------------------------------------------------------------- preview

async fn preview_index(State(state): State<Shared>) -> Response {
    let c = &state.config;
    html(
        StatusCode::OK,
        &IndexPage {
            lang: &c.site.language,
            site: &c.site.title,
        },
    )
}

async fn preview_edition(State(state): State<Shared>) -> Response {
    let now = state.now();
    let rendered = {
        let store = state.store.lock().expect("store lock");
        digest::next_edition(&store, &state.config, now, &EditionOptions::default()).and_then(
            |next| match next {
                Some((edition, _)) => {
                    Ok(PreparedEdition::new(&state.config, &store, &edition)?.render(&[], None))
                }
                None => Ok(None),
            },
        )
    };
    match rendered {
        Ok(Some(email)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            email.html,
        )
            .into_response(),
        Ok(None) => message(
            &state.config,
            StatusCode::OK,
            "Nothing new",
            "No article is waiting: the next edition would be empty.",
        ),
        Err(e) => internal(e),
    }
}

async fn feeds_file(State(state): State<Shared>, method: Method, req: Request) -> Response {
    let root = state.feeds_dir.clone();
    serve_file(&state, &root, "/feeds", method, req)
}

async fn digests_file(State(state): State<Shared>, method: Method, req: Request) -> Response {
    let root = state.digest_dir.clone();
    serve_file(&state, &root, "/digests", method, req)
}

fn serve_file(
    state: &AppState,
    root: &std::path::Path,
    prefix: &str,
    _method: Method,
    req: Request,
) -> Response {
    let raw = req.uri().path();
    let rest = raw.strip_prefix(prefix).unwrap_or("");
    if rest.is_empty() {
        // `/feeds` → the directory; relative links need the slash. The
        // target is fixed, never taken from input.
        return Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header(header::LOCATION, format!("{prefix}/"))
            .body(Body::empty())
            .expect("valid response");
    }
    let Ok(rel) = percent_encoding_decode(rest.trim_start_matches('/')) else {
        return not_found(&state.config);
    };
    match files::lookup(root, &rel) {
        files::Lookup::File(f) => {
            let h = req.headers();
            let fresh = match h.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
                Some(inm) => files::etag_matches(inm, &f.etag),
                None => match (
                    h.get(header::IF_MODIFIED_SINCE)
                        .and_then(|v| v.to_str().ok()),
                    f.modified,
                ) {
                    (Some(ims), Some(m)) => files::not_modified_since(ims, m),
                    _ => false,
                },
            };
            let mut b = Response::builder()
                .header(header::ETAG, &f.etag)
                .header(header::CACHE_CONTROL, "no-cache");
            if let Some(m) = f.modified {
                b = b.header(header::LAST_MODIFIED, files::http_date(m));
            }
            if fresh {
                return b
                    .status(StatusCode::NOT_MODIFIED)
                    .body(Body::empty())
                    .expect("valid response");
            }
            b.status(StatusCode::OK)
                .header(header::CONTENT_TYPE, f.content_type)
                .body(Body::from(f.bytes))
                .expect("valid response")
        }
        files::Lookup::Dir(entries) => {
            if !raw.ends_with('/') {
                return not_found(&state.config);
            }
            let c = &state.config;
            html(
                StatusCode::OK,
                &ListingPage {
                    lang: &c.site.language,
                    site: &c.site.title,
                    path: raw,
                    entries,
                },
            )
        }
        files::Lookup::NotFound => not_found(&state.config),
    }
}

/// Percent-decodes a URL path; `Err` for invalid UTF-8.
fn percent_encoding_decode(s: &str) -> Result<String, ()> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_hint_hides_most_of_the_address() {
        assert_eq!(email_hint("nino@example.org"), "n…@example.org");
        assert_eq!(short("abcdef0123456789"), "abcdef…");
    }

    #[test]
    fn one_click_bodies_are_recognised_in_both_encodings() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert!(is_one_click(&h, b"List-Unsubscribe=One-Click"));
        assert!(!is_one_click(&h, b"csrf=abc"));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=x"),
        );
        let body = b"--x\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--x--\r\n";
        assert!(is_one_click(&h, body));
    }

    #[test]
    fn percent_decoding_keeps_plus_and_decodes_dots() {
        assert_eq!(percent_encoding_decode("a+b%2E%2E").unwrap(), "a+b..");
    }
}
