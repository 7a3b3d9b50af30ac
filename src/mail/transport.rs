//! SMTP sessions on lettre's client: connect (implicit TLS, or STARTTLS
//! which is then required), authenticate, and deliver one message per
//! transaction, classifying every server answer.
//!
//! Each session drives lettre's async client on its own current-thread
//! tokio runtime, from the worker thread that owns it. The async client
//! accepts a socket we open ourselves (for implicit TLS too, see
//! `implicit_tls`), so TCP_NODELAY can be set: lettre
//! writes the message and the closing dot separately, and with Nagle's
//! algorithm that second write waits for a delayed ACK (~40 ms a message).
//!
//! lettre's `SmtpTransport` aborts the whole connection when one recipient
//! is refused; working on `SmtpConnection` directly lets a session answer a
//! 450/550 with RSET and carry on, and tells a refused recipient apart from
//! a lost session (421, timeout, dropped connection) which means "reconnect
//! and send this message again".

use std::future::Future;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use lettre::Address;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
#[allow(deprecated)]
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use crate::config::{SmtpConfig, SmtpSecurity};

/// Everything needed to open a session; cheap to share between threads.
pub struct Connector {
    host: String,
    port: u16,
    security: SmtpSecurity,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    user: String,
    hello: ClientId,
    timeout: Duration,
}

/// Why no session could be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The server refused our credentials (fix the config; retrying won't help).
    #[error("SMTP authentication as {user:?} failed: {reply}")]
    Auth { user: String, reply: String },
    /// The server cannot be reached or would not talk to us.
    #[error("{0}")]
    Unavailable(String),
}

impl Connector {
    /// Reads the password and CA file named by the config (`root`: the
    /// config directory).
    pub fn from_config(cfg: &SmtpConfig, root: &Path) -> Result<Connector> {
        let host = cfg
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls = match cfg.security {
            SmtpSecurity::None => None,
            SmtpSecurity::Starttls | SmtpSecurity::Tls => {
                let mut b = TlsParameters::builder(host.clone());
                if let Some(ca) = &cfg.ca_file {
                    let p = if ca.is_absolute() {
                        ca.clone()
                    } else {
                        root.join(ca)
                    };
                    let pem = std::fs::read(&p)
                        .with_context(|| format!("smtp.ca_file: cannot read {}", p.display()))?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| {
                        anyhow::anyhow!(
                            "smtp.ca_file: {} is not a PEM certificate: {e}",
                            p.display()
                        )
                    })?;
                    b = b.add_root_certificate(cert);
                }
                Some(
                    b.build_rustls()
                        .map_err(|e| anyhow::anyhow!("TLS setup failed: {e}"))?,
                )
            }
        };
        let credentials = cfg.password(root).map_err(anyhow::Error::msg)?.map(|pw| {
            Credentials::new(
                cfg.username.clone().unwrap_or_default(),
                pw.expose().to_string(),
            )
        });
        let hello = match &cfg.helo_name {
            Some(h) => ClientId::Domain(h.clone()),
            None => ClientId::default(),
        };
        Ok(Connector {
            host,
            port: cfg.port(),
            security: cfg.security,
            tls,
            credentials,
            user: cfg.username.clone().unwrap_or_default(),
            hello,
            timeout: Duration::from_secs(cfg.timeout_secs),
        })
    }

    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Opens one authenticated session.
    pub fn connect(&self) -> Result<Session, ConnectError> {
        let unavailable = |what: &str, e: &dyn std::fmt::Display| {
            ConnectError::Unavailable(format!("SMTP server {}: {what}: {e}", self.server()))
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| unavailable("cannot start the I/O runtime", &e))?;
        let timeout = self.timeout;
        let tcp = self.tcp().map_err(|e| unavailable("cannot connect", &e))?;
        let hello = &self.hello;
        let mut conn = match (self.security, &self.tls) {
            (SmtpSecurity::Tls, Some(tls)) => run_within(&rt, timeout, async move {
                let tls_stream = implicit_tls(tcp, tls.clone()).await?;
                AsyncSmtpConnection::connect_with_transport(Box::new(tls_stream), hello)
                    .await
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| unavailable("cannot connect", &e))?,
            _ => run_within(&rt, timeout, async move {
                let tcp = tokio::net::TcpStream::from_std(tcp)
                    .map_err(|e| format!("socket setup: {e}"))?;
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), hello)
                    .await
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| unavailable("cannot connect", &e))?,
        };
        if self.security == SmtpSecurity::Starttls {
            if !conn.can_starttls() {
                let _ = run_within(&rt, timeout, async {
                    conn.abort().await;
                    Ok::<_, String>(())
                });
                return Err(ConnectError::Unavailable(format!(
                    "SMTP server {} does not offer STARTTLS (security = \"starttls\" requires it)",
                    self.server()
                )));
            }
            let tls = self.tls.clone().expect("TLS parameters exist for starttls");
            run_within(&rt, timeout, conn.starttls(tls, &self.hello))
                .map_err(|e| unavailable("STARTTLS failed", &e))?;
        }
        if let Some(creds) = &self.credentials {
            // Mechanisms in preference order; both send the password, so only
            // ever over TLS or to this machine (config validation ensures it).
            let res = run_within(
                &rt,
                timeout,
                conn.auth(&[Mechanism::Plain, Mechanism::Login], creds),
            );
            if let Err(e) = res {
                let _ = run_within(&rt, timeout, async {
                    conn.abort().await;
                    Ok::<_, String>(())
                });
                return Err(match e {
                    Failure::Smtp(e) if e.is_permanent() => ConnectError::Auth {
                        user: self.user.clone(),
                        reply: e.to_string(),
                    },
                    e => unavailable("authentication not possible", &e),
                });
            }
        }
        Ok(Session {
            rt,
            timeout,
            conn,
            messages: 0,
            broken: false,
        })
    }

    /// A connected socket with Nagle's algorithm off, ready for tokio.
    fn tcp(&self) -> std::io::Result<TcpStream> {
        let mut last = None;
        for addr in (self.host.as_str(), self.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(s) => {
                    s.set_nodelay(true)?;
                    s.set_nonblocking(true)?;
                    return Ok(s);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("host name resolves to no address")))
    }
}

/// Implicit TLS (SMTPS, port 465) on our own socket, so that it too has
/// Nagle's algorithm off (lettre's `connect_tokio1` opens its socket without
/// it: ~40 ms a message). The handshake is lettre's own `upgrade_tls` with
/// the same `TlsParameters` as STARTTLS, so certificate checks are the same;
/// lettre's connection then runs over it as over any stream.
async fn implicit_tls(tcp: TcpStream, tls: TlsParameters) -> Result<TlsStream, String> {
    let peer = tcp.peer_addr().map_err(|e| format!("socket setup: {e}"))?;
    let tcp = tokio::net::TcpStream::from_std(tcp).map_err(|e| format!("socket setup: {e}"))?;
    // Deprecated as "not meant to be public", but it is the one way to give
    // lettre's TLS handshake a socket of our own; pinned by Cargo.lock.
    #[allow(deprecated)]
    let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
    stream
        .upgrade_tls(tls)
        .await
        .map_err(|e| format!("TLS handshake failed: {e}"))?;
    Ok(TlsStream { stream, peer })
}

/// lettre's TLS stream (futures-io) as the tokio stream its connection takes.
#[derive(Debug)]
struct TlsStream {
    #[allow(deprecated)]
    stream: AsyncNetworkStream,
    peer: std::net::SocketAddr,
}

impl tokio::io::AsyncRead for TlsStream {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let n = std::task::ready!(futures_io::AsyncRead::poll_read(
            std::pin::Pin::new(&mut self.stream),
            cx,
            buf.initialize_unfilled()
        ))?;
        buf.advance(n);
        std::task::Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for TlsStream {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(std::pin::Pin::new(&mut self.stream), cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(std::pin::Pin::new(&mut self.stream), cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        futures_io::AsyncWrite::poll_close(std::pin::Pin::new(&mut self.stream), cx)
    }
}

impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        Ok(self.peer)
    }
}

/// Why a step of a session did not complete.
#[derive(Debug)]
enum Failure<E> {
    Smtp(E),
    Timeout,
}

impl<E: std::fmt::Display> std::fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Smtp(e) => e.fmt(f),
            Failure::Timeout => f.write_str("timed out"),
        }
    }
}

/// Runs one step on the session's runtime, bounded by the configured timeout.
fn run_within<T, E>(
    rt: &tokio::runtime::Runtime,
    timeout: Duration,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, Failure<E>> {
    rt.block_on(async {
        match tokio::time::timeout(timeout, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(Failure::Smtp(e)),
            Err(_) => Err(Failure::Timeout),
        }
    })
}

/// What the server made of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// 250 after the data: the message is the server's responsibility now.
    Accepted(String),
    /// 4xx for this recipient or message: try again later.
    Transient(String),
    /// 5xx for this recipient or message: never retry.
    Permanent(String),
    /// 421, timeout or dropped connection: reconnect and send again.
    SessionLost(String),
    /// The server refuses our sender address outright (5xx to MAIL FROM):
    /// every message would fail the same way, so stop.
    SenderRefused(String),
}

pub struct Session {
    rt: tokio::runtime::Runtime,
    timeout: Duration,
    conn: AsyncSmtpConnection,
    /// Messages handed to this session (for max_messages_per_connection).
    pub messages: usize,
    broken: bool,
}

impl Session {
    pub fn is_broken(&self) -> bool {
        self.broken || self.conn.has_broken()
    }

    /// One SMTP transaction: MAIL, RCPT, DATA, content.
    pub fn deliver(&mut self, from: &Address, to: &Address, raw: &[u8]) -> Delivery {
        self.messages += 1;
        let info = self.conn.server_info();
        let mut mail_params = Vec::new();
        if !to.to_string().is_ascii() || !from.to_string().is_ascii() {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Delivery::Permanent(
                    "non-ASCII address but the server does not support SMTPUTF8".into(),
                );
            }
            mail_params.push(MailParameter::SmtpUtfEight);
        }
        if !raw.is_ascii() && info.supports_feature(Extension::EightBitMime) {
            mail_params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let (rt, t) = (&self.rt, self.timeout);
        let mail = Mail::new(Some(from.clone()), mail_params);
        if let Err(e) = run_within(rt, t, self.conn.command(mail)) {
            return match self.classify(e) {
                Delivery::Permanent(r) => {
                    self.broken = true;
                    Delivery::SenderRefused(r)
                }
                d => self.reset_after(d),
            };
        }
        let rcpt = Rcpt::new(to.clone(), vec![]);
        if let Err(e) = run_within(&self.rt, t, self.conn.command(rcpt)) {
            let d = self.classify(e);
            return self.reset_after(d);
        }
        if let Err(e) = run_within(&self.rt, t, self.conn.command(Data)) {
            let d = self.classify(e);
            return self.reset_after(d);
        }
        match run_within(&self.rt, t, self.conn.message(raw)) {
            Ok(resp) => Delivery::Accepted(reply_text(
                &u16::from(resp.code()).to_string(),
                resp.message(),
            )),
            Err(e) => {
                let d = self.classify(e);
                self.reset_after(d)
            }
        }
    }

    /// Turns a failed step into a delivery outcome.
    fn classify(&mut self, f: Failure<lettre::transport::smtp::Error>) -> Delivery {
        let e = match f {
            Failure::Smtp(e) => e,
            Failure::Timeout => {
                self.broken = true;
                return Delivery::SessionLost(format!(
                    "no answer within {} s",
                    self.timeout.as_secs()
                ));
            }
        };
        let text = e.to_string();
        match e.status().map(u16::from) {
            Some(421) => {
                self.broken = true;
                Delivery::SessionLost(text)
            }
            Some(_) if e.is_transient() => Delivery::Transient(text),
            Some(_) if e.is_permanent() => Delivery::Permanent(text),
            _ => {
                self.broken = true;
                Delivery::SessionLost(text)
            }
        }
    }

    /// After a refused transaction the session is reusable once RSET succeeds.
    fn reset_after(&mut self, d: Delivery) -> Delivery {
        if !self.broken && run_within(&self.rt, self.timeout, self.conn.command(Rset)).is_err() {
            self.broken = true;
        }
        d
    }

    /// Ends the session politely (errors ignored: the work is already recorded).
    pub fn quit(mut self) {
        let broken = self.is_broken();
        let conn = &mut self.conn;
        let _ = run_within(&self.rt, self.timeout, async move {
            if broken {
                conn.abort().await;
                Ok(())
            } else {
                conn.quit().await.map(|_| ())
            }
        });
    }
}

fn reply_text<'a>(code: &str, lines: impl Iterator<Item = &'a str>) -> String {
    let mut s = code.to_string();
    for l in lines {
        s.push(' ');
        s.push_str(l);
    }
    // The reply is stored and printed: keep it one short line.
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    s.chars().take(500).collect()
}

/// Rejects configs that could never send (checked before any work).
pub fn check_config(cfg: &SmtpConfig, root: &Path) -> Result<()> {
    if cfg.username.is_some() && cfg.security == SmtpSecurity::None && !cfg.is_local_host() {
        bail!("smtp: refusing to send a password over an unencrypted connection");
    }
    cfg.password(root).map_err(anyhow::Error::msg)?;
    Ok(())
}
