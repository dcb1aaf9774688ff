//! The sandbox: a stand-in ServiceNow at its own origin.
//!
//! It serves a page that looks like ServiceNow's classic UI with the agent desktop in a floating OpenFrame
//! window (an iframe named `gsft_openframe` at the desktop's own origin, with `?topDomain=<sandbox origin>`).
//! With `--serve-desktop DIR` it also serves a built desktop (e.g. trunk's `dist/`) on a second port, which is
//! how the end-to-end tests run the release build at a different origin. Every listener is on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

mod acl;
mod api;
mod faults;
mod oauth;
mod query;
mod records;

#[derive(Clone, Debug)]
struct Args {
    port: u16,
    desktop_url: Option<String>,
    serve_desktop: Option<PathBuf>,
    desktop_port: u16,
    desktop_query: String,
    openframe_config: Option<PathBuf>,
    allow_origins: Vec<String>,
    cors_origins: Vec<String>,
    no_cors: bool,
    oauth_cors_origin: Option<String>,
    no_oauth_cors: bool,
    token_ttl: u64,
    client_id: String,
    redirect_uris: Vec<String>,
    refresh_ttl: u64,
    roles: Vec<String>,
    hidden_fields: Vec<String>,
    dropped_fields: Vec<String>,
    workspace: bool,
}

const USAGE: &str = "usage: sandbox [--port N] [--desktop-url URL] [--serve-desktop DIR [--desktop-port N]] [--desktop-query Q]

  --port N            port of the ServiceNow stand-in on 127.0.0.1 (default 8090; 0 picks a free one)
  --desktop-url URL   where the desktop is served (default http://localhost:8080/)
  --serve-desktop DIR also serve DIR (a built desktop) on 127.0.0.1, reached as http://localhost:PORT/
  --desktop-port N    port for --serve-desktop (default 0: a free one)
  --desktop-query Q   extra query appended to the desktop URL (e.g. demo=1)
  --workspace         the OpenFrame iframe inside a shadow root, as in Workspace (Next Experience) pages: it
                      is then not among the top window's frames (window.frames, window.length)
  --openframe-config FILE
                      JSON with fields of the OpenFrame configuration record (title, width, height,
                      subTitle, titleIcon, allow, configuration...); the page query ?openframe=JSON overrides it
  --allow-origin O    an origin the host accepts messages from (repeatable; default: the desktop's origin),
                      like the instance property glide.ui.concourse.onmessage_enforce_same_origin_whitelist
  --cors-origin O     an origin with a REST CORS rule (repeatable; default: the desktop's origin)
  --no-cors           no CORS rule at all (the browser refuses the desktop's REST calls)
  --oauth-cors-origin O   glide.oauth.cors.allowed.origin (default: the desktop's origin; * allowed)
  --no-oauth-cors     the property is not set (the token exchange is refused by the browser)
  --token-ttl S       access token lifetime in seconds (default 1800)
  --client-id ID      the OAuth public client's id (default agent-desktop)
  --redirect-uri URL  a redirect URL registered for that OAuth application (repeatable; default: the
                      desktop's oauth-callback.html); sign-in with any other redirect_uri is refused
  --refresh-token-ttl S
                      refresh token lifespan in seconds (default 8640000, an instance's 100 days); 0: the
                      application issues no refresh tokens (the desktop asks the agent to sign in again)
  --roles LIST        the test user's roles, comma-separated (default sn_customerservice_agent,sn_openframe_user;
                      \"\" for none; admin passes every ACL); tables they may not use answer 403
  --hide-field T.F    a field read ACL hides field F of table T from the user (repeatable)
  --drop-field T.F    the instance has no field F on table T: writes to it are ignored (repeatable)

Faults for tests: POST /sandbox/faults with a JSON object:
  {\"faults\": [...]}   queued; each is taken by the next authenticated REST request (a 401 takes none):
                      \"500\" \"502\" \"503\" \"504\" \"403\"... that status at once, nothing changed;
                      \"429:S\" \"503:S\" that status with Retry-After: S seconds, nothing changed;
                      \"after:500\" \"after:502\" \"after:503\" \"after:504\" the change is saved, then that status;
                      \"drop\" the change is saved, then the connection closes without an answer;
                      \"delay:MS\" waits MS before doing the work; \"late:MS\" does it, answers MS later;
                      \"discard\" answered as done, nothing saved. An unknown fault refuses the whole list (400).
  {\"offlineMs\": MS}   for MS ms every REST, OAuth and CORS request is closed unanswered (0 ends it)
  {\"expireTokens\": true}  every access token issued so far expires now
  {\"ratePerMinute\": N}    429 with Retry-After beyond N requests a minute (null: no limit)
GET /sandbox/faults says how many faults still wait ({\"queued\": N, \"offline\": bool}).
GET /sandbox/journal lists every journal entry (work notes) written; GET /sandbox/record/TABLE/ID one record.";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 8090,
        desktop_url: None,
        serve_desktop: None,
        desktop_port: 0,
        desktop_query: String::new(),
        openframe_config: None,
        allow_origins: Vec::new(),
        cors_origins: Vec::new(),
        no_cors: false,
        oauth_cors_origin: None,
        no_oauth_cors: false,
        token_ttl: 1800,
        client_id: "agent-desktop".into(),
        redirect_uris: Vec::new(),
        refresh_ttl: api::REFRESH_TTL_DEFAULT,
        roles: acl::DEFAULT_ROLES.iter().map(|r| r.to_string()).collect(),
        hidden_fields: Vec::new(),
        dropped_fields: Vec::new(),
        workspace: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--port" => args.port = val()?.parse().map_err(|_| "--port needs a number".to_string())?,
            "--desktop-url" => args.desktop_url = Some(val()?),
            "--serve-desktop" => args.serve_desktop = Some(PathBuf::from(val()?)),
            "--desktop-port" => args.desktop_port = val()?.parse().map_err(|_| "--desktop-port needs a number".to_string())?,
            "--desktop-query" => args.desktop_query = val()?,
            "--openframe-config" => args.openframe_config = Some(PathBuf::from(val()?)),
            "--allow-origin" => args.allow_origins.push(val()?),
            "--cors-origin" => args.cors_origins.push(val()?),
            "--no-cors" => args.no_cors = true,
            "--workspace" => args.workspace = true,
            "--oauth-cors-origin" => args.oauth_cors_origin = Some(val()?),
            "--no-oauth-cors" => args.no_oauth_cors = true,
            "--token-ttl" => args.token_ttl = val()?.parse().map_err(|_| "--token-ttl needs seconds".to_string())?,
            "--client-id" => args.client_id = val()?,
            "--redirect-uri" => args.redirect_uris.push(val()?),
            "--refresh-token-ttl" => args.refresh_ttl = val()?.parse().map_err(|_| "--refresh-token-ttl needs seconds".to_string())?,
            "--roles" => args.roles = val()?.split(',').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect(),
            "--hide-field" | "--drop-field" => {
                let f = val()?;
                if f.split_once('.').is_none_or(|(t, f)| t.is_empty() || f.is_empty()) {
                    return Err(format!("{a} needs TABLE.FIELD, e.g. sn_openframe_phone_log.task"));
                }
                if a == "--hide-field" { args.hidden_fields.push(f) } else { args.dropped_fields.push(f) }
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

#[derive(Clone)]
struct Host {
    /// This sandbox's own origin, e.g. http://127.0.0.1:8090 (the desktop's topDomain).
    origin: String,
    /// The desktop page loaded into the OpenFrame iframe, with topDomain.
    frame_src: String,
    /// The page's boot data: the OpenFrame configuration record, the allowlist, the records.
    boot: String,
    /// The iframe in a shadow root (`--workspace`).
    workspace: bool,
}

fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{host}")
}

fn html_attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The page's boot data as a JSON literal that is safe inside a <script> element.
fn boot_json(record: &serde_json::Value, allowlist: &[String], records: &serde_json::Value) -> String {
    let v = serde_json::json!({"frameConfig": record, "allowlist": allowlist, "records": records});
    v.to_string().replace('<', "\\u003c")
}

async fn index(State(host): State<Host>) -> impl IntoResponse {
    let page = include_str!("../assets/index.html")
        // Declarative shadow DOM: the iframe is parsed into the shadow root of its box, with its own style.
        .replace("{{SHADOW_OPEN}}", if host.workspace { "<template shadowrootmode=\"open\"><style>#gsft_openframe{width:373px;height:300px;border:0;display:block}</style>" } else { "" })
        .replace("{{SHADOW_CLOSE}}", if host.workspace { "</template>" } else { "" })
        .replace("{{FRAME_SRC}}", &html_attr(&host.frame_src))
        .replace("{{BOOT_JSON}}", &host.boot)
        .replace("{{SANDBOX_ORIGIN}}", &html_attr(&host.origin));
    (
        [(header::CACHE_CONTROL, "no-store"), (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'")],
        Html(page),
    )
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../assets/sandbox.css"))
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../assets/host.js"))
}

async fn bind(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(m) => {
            eprintln!("{m}");
            std::process::exit(2);
        }
    };
    let listener = match bind(args.port).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sandbox: cannot listen on 127.0.0.1:{}: {e}", args.port);
            std::process::exit(1);
        }
    };
    let port = listener.local_addr().expect("bound address").port();
    let origin = format!("http://127.0.0.1:{port}");

    let mut desktop_url = args.desktop_url.clone().unwrap_or_else(|| "http://localhost:8080/".into());
    if let Some(dir) = &args.serve_desktop {
        let dl = match bind(args.desktop_port).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("sandbox: cannot listen for the desktop on 127.0.0.1:{}: {e}", args.desktop_port);
                std::process::exit(1);
            }
        };
        let dport = dl.local_addr().expect("bound address").port();
        desktop_url = format!("http://localhost:{dport}/");
        let files = tower_http::services::ServeDir::new(dir);
        // A settings file that moved to another origin (the desktop must not follow it).
        let moved = || async { (axum::http::StatusCode::FOUND, [(axum::http::header::LOCATION, "http://127.0.0.1/c.json")]) };
        let app = Router::new().route("/moved-config.json", get(moved)).fallback_service(files);
        println!("desktop: {desktop_url} (serving {})", dir.display());
        tokio::spawn(async move { axum::serve(dl, app).await.expect("desktop server") });
    }
    let sep = if desktop_url.contains('?') { '&' } else { '?' };
    let mut frame_src = format!("{desktop_url}{sep}topDomain={}", origin.replace(':', "%3A").replace('/', "%2F"));
    if !args.desktop_query.is_empty() {
        frame_src.push('&');
        frame_src.push_str(&args.desktop_query);
    }
    let mut record = serde_json::json!({
        "url": frame_src, "width": 373, "height": 300, "title": "Agent Desktop", "subTitle": "", "titleIcon": "",
        "navIconClass": "icon-phone", "collapsedViewEnabled": false, "allow": "microphone; autoplay", "configuration": ""
    });
    if let Some(path) = &args.openframe_config {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
            eprintln!("sandbox: cannot read {}: {e}", path.display());
            std::process::exit(2)
        });
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => {
                for (k, v) in m {
                    record[k] = v;
                }
            }
            _ => {
                eprintln!("sandbox: {} must hold a JSON object", path.display());
                std::process::exit(2)
            }
        }
    }
    let allowlist = if args.allow_origins.is_empty() { vec![origin_of(&desktop_url)] } else { args.allow_origins.clone() };
    let boot = boot_json(&record, &allowlist, &records::seed());
    let host = Host { origin: origin.clone(), frame_src, boot, workspace: args.workspace };
    let desktop_origin = origin_of(&desktop_url);
    let cors_origins = if args.no_cors {
        Vec::new()
    } else if args.cors_origins.is_empty() {
        vec![desktop_origin.clone()]
    } else {
        args.cors_origins.clone()
    };
    let oauth_cors_origin = if args.no_oauth_cors { None } else { Some(args.oauth_cors_origin.clone().unwrap_or(desktop_origin.clone())) };
    // The desktop's callback page, next to its index.html (what it sends as redirect_uri).
    let callback = format!("{}oauth-callback.html", desktop_url.split(['?', '#']).next().unwrap_or("").rsplit_once('/').map(|(d, _)| format!("{d}/")).unwrap_or_default());
    let cfg = api::ApiConfig {
        cors_origins,
        oauth_cors_origin,
        token_ttl: std::time::Duration::from_secs(args.token_ttl),
        redirect_uris: if args.redirect_uris.is_empty() { vec![callback] } else { args.redirect_uris.clone() },
        refresh_ttl: std::time::Duration::from_secs(args.refresh_ttl),
        roles: args.roles.clone(),
        hidden_fields: args.hidden_fields.clone(),
        dropped_fields: args.dropped_fields.clone(),
        ..api::ApiConfig::new(&args.client_id, "")
    };
    let instance = api::Instance::new(cfg, records::tables());
    use axum::routing::post;
    let rest = Router::new()
        .route("/api/now/table/{table}", get(api::list).post(api::create).options(api::preflight))
        .route("/api/now/table/{table}/{id}", get(api::get_one).patch(api::update).options(api::preflight))
        .route("/api/now/openframe/voice-interaction", post(api::voice_interaction).get(api::method_not_allowed).options(api::preflight))
        .route("/oauth_auth.do", get(oauth::authorize_page).post(oauth::authorize_submit))
        .route("/oauth_token.do", post(oauth::token).options(oauth::token_preflight))
        .layer(axum::middleware::from_fn_with_state(instance.clone(), api::offline_gate))
        .route("/sandbox/faults", post(api::set_faults).get(api::faults_state))
        .route("/sandbox/record/{table}/{id}", get(api::record_view))
        .route("/sandbox/journal", get(api::journal_all))
        .route("/sandbox/oauth", get(oauth::oauth_view))
        .with_state(instance);
    let app = Router::new()
        .route("/", get(index))
        .route("/navpage.do", get(index))
        .route("/sandbox.css", get(style))
        .route("/host.js", get(script))
        .with_state(host)
        .merge(rest);
    println!("sandbox: {origin}/");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.expect("sandbox server");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_and_escaping() {
        assert_eq!(origin_of("http://localhost:8080/"), "http://localhost:8080");
        assert_eq!(origin_of("https://desk.example.com/app/?x=1"), "https://desk.example.com");
        assert_eq!(html_attr("a\"<b>&"), "a&quot;&lt;b&gt;&amp;");
        let b = boot_json(&serde_json::json!({"title": "</script><script>"}), &["http://localhost:1".into()], &serde_json::json!({}));
        assert!(!b.contains("</script>"), "{b}");
        let v: serde_json::Value = serde_json::from_str(&b).unwrap();
        assert_eq!(v["frameConfig"]["title"], "</script><script>");
    }
}
