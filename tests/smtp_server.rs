//! A real SMTP server on 127.0.0.1 for delivery tests: threaded, speaks
//! EHLO/HELO, STARTTLS (rustls, self-signed certificate from rcgen),
//! AUTH PLAIN/LOGIN, MAIL/RCPT/DATA/RSET/NOOP/QUIT, and records every
//! accepted message (envelope and raw data). Faults are injected per
//! recipient (scripted 4xx/5xx replies) and per connection (421 or a silent
//! drop after N messages).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One message the server accepted with 250.
#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
    pub tls: bool,
    pub auth_user: Option<String>,
}

impl Received {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// Header fields of the message, unfolded, as (name, value).
    pub fn headers(&self) -> Vec<(String, String)> {
        parse_headers(&self.text())
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// Unfolds the header block of a raw message into (name, value) pairs.
pub fn parse_headers(raw: &str) -> Vec<(String, String)> {
    let head = raw.split("\r\n\r\n").next().unwrap_or("");
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((n, v)) = line.split_once(':') {
            out.push((n.to_string(), v.trim().to_string()));
        } else {
            out.push((line.to_string(), String::new()));
        }
    }
    out
}

/// How a connection ends when its message budget is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hangup {
    /// Answer the next MAIL with `421` and close.
    Reply421,
    /// Read the next message's data, then close without answering: the
    /// client cannot know whether it was delivered.
    CloseAfterData,
}

/// Server behaviour, changeable while it runs.
#[derive(Default)]
pub struct Script {
    /// Replies to RCPT for an address, used in order (one per attempt);
    /// when the list is empty the recipient is accepted.
    pub rcpt: HashMap<String, Vec<String>>,
    /// Replies to RCPT for an address, forever.
    pub rcpt_always: HashMap<String, String>,
    /// After this many accepted messages on one connection, drop it.
    pub drop_after: Option<(usize, Hangup)>,
    /// Drop only this many connections (then behave).
    pub drops_left: Option<usize>,
}

pub struct Options {
    /// Certificate and key (PEM) offered through STARTTLS.
    pub tls: Option<Tls>,
    /// With `tls`: TLS from the first byte (SMTPS, port 465) instead.
    pub implicit_tls: bool,
    /// Required credentials (AUTH only offered after STARTTLS when TLS is on).
    pub auth: Option<(String, String)>,
}

#[derive(Clone)]
pub struct Tls {
    pub cert_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl Tls {
    /// A fresh self-signed certificate for `localhost`.
    pub fn self_signed() -> Tls {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        Tls {
            cert_pem: ck.cert.pem(),
            cert_der: ck.cert.der().to_vec(),
            key_der: ck.signing_key.serialize_der(),
        }
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(self.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
            )
            .unwrap();
        Arc::new(cfg)
    }
}

struct Shared {
    received: Mutex<Vec<Received>>,
    /// Every RCPT address seen, accepted or not, in order.
    rcpt_log: Mutex<Vec<String>>,
    script: Mutex<Script>,
    connections: AtomicUsize,
    auth_failures: AtomicUsize,
    /// Every command line received (AUTH payloads included), for leak checks.
    transcript: Mutex<Vec<String>>,
    stop: AtomicBool,
}

pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
}

impl SmtpServer {
    /// A plain server (no TLS, no AUTH).
    pub fn start() -> SmtpServer {
        SmtpServer::start_with(Options {
            tls: None,
            implicit_tls: false,
            auth: None,
        })
    }

    pub fn start_with(opts: Options) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            rcpt_log: Mutex::new(Vec::new()),
            script: Mutex::new(Script::default()),
            connections: AtomicUsize::new(0),
            auth_failures: AtomicUsize::new(0),
            transcript: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let implicit = opts.implicit_tls;
        let opts = Arc::new((opts.tls.map(|t| t.server_config()), opts.auth));
        let sh = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sh.stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                sh.connections.fetch_add(1, Ordering::SeqCst);
                let sh = sh.clone();
                let opts = opts.clone();
                std::thread::spawn(move || {
                    let _ = Session::new(&sh, &opts.0, &opts.1).run(conn, implicit);
                });
            }
        });
        SmtpServer { port, shared }
    }

    pub fn script(&self, f: impl FnOnce(&mut Script)) {
        f(&mut self.shared.script.lock().unwrap());
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// How many accepted messages went to each recipient.
    pub fn per_recipient(&self) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for r in self.received() {
            for t in r.rcpt_to {
                *m.entry(t).or_default() += 1;
            }
        }
        m
    }

    pub fn rcpt_attempts(&self, addr: &str) -> usize {
        self.shared
            .rcpt_log
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.as_str() == addr)
            .count()
    }

    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    pub fn auth_failures(&self) -> usize {
        self.shared.auth_failures.load(Ordering::SeqCst)
    }

    pub fn transcript(&self) -> Vec<String> {
        self.shared.transcript.lock().unwrap().clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so its thread ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

struct Session<'a> {
    shared: &'a Shared,
    tls: &'a Option<Arc<rustls::ServerConfig>>,
    auth: &'a Option<(String, String)>,
    encrypted: bool,
    user: Option<String>,
    from: Option<String>,
    rcpts: Vec<String>,
    accepted: usize,
}

impl<'a> Session<'a> {
    fn new(
        shared: &'a Shared,
        tls: &'a Option<Arc<rustls::ServerConfig>>,
        auth: &'a Option<(String, String)>,
    ) -> Self {
        Session {
            shared,
            tls,
            auth,
            encrypted: false,
            user: None,
            from: None,
            rcpts: Vec::new(),
            accepted: 0,
        }
    }

    fn run(mut self, tcp: TcpStream, implicit_tls: bool) -> std::io::Result<()> {
        tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
        tcp.set_nodelay(true)?;
        let mut r = match self.tls.clone() {
            Some(cfg) if implicit_tls => {
                let conn = rustls::ServerConnection::new(cfg).unwrap();
                self.encrypted = true;
                BufReader::new(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
            }
            _ => BufReader::new(Stream::Plain(tcp)),
        };
        reply(&mut r, "220 localhost ESMTP test server")?;
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end_matches(['\r', '\n']).to_string();
            self.shared.transcript.lock().unwrap().push(cmd.clone());
            let upper = cmd.to_ascii_uppercase();
            let verb = upper.split(' ').next().unwrap_or("");
            match verb {
                "EHLO" => {
                    let mut lines = vec!["250-localhost".to_string(), "250-8BITMIME".into()];
                    lines.push("250-SMTPUTF8".into());
                    if self.tls.is_some() && !self.encrypted {
                        lines.push("250-STARTTLS".into());
                    }
                    if self.auth.is_some() && (self.encrypted || self.tls.is_none()) {
                        lines.push("250-AUTH PLAIN LOGIN".into());
                    }
                    lines.push("250 SIZE 10485760".into());
                    reply(&mut r, &lines.join("\r\n"))?;
                }
                "HELO" => reply(&mut r, "250 localhost")?,
                "STARTTLS" => {
                    let Some(cfg) = self.tls.clone() else {
                        reply(&mut r, "502 not supported")?;
                        continue;
                    };
                    reply(&mut r, "220 go ahead")?;
                    let Stream::Plain(tcp) = r.into_inner() else {
                        return Ok(());
                    };
                    let conn = rustls::ServerConnection::new(cfg).unwrap();
                    r = BufReader::new(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))));
                    self.encrypted = true;
                    self.from = None;
                    self.rcpts.clear();
                }
                "AUTH" => self.auth_cmd(&mut r, &cmd)?,
                "MAIL" => {
                    if self.auth.is_some() && self.user.is_none() {
                        reply(&mut r, "530 5.7.0 authentication required")?;
                        continue;
                    }
                    let drop = {
                        let mut s = self.shared.script.lock().unwrap();
                        match s.drop_after {
                            Some((n, mode)) if self.accepted >= n && s.drops_left != Some(0) => {
                                if let Some(d) = s.drops_left.as_mut() {
                                    *d -= 1;
                                }
                                Some(mode)
                            }
                            _ => None,
                        }
                    };
                    match drop {
                        Some(Hangup::Reply421) => {
                            reply(&mut r, "421 4.3.2 closing connection, come back later")?;
                            return Ok(());
                        }
                        Some(Hangup::CloseAfterData) => {
                            reply(&mut r, "250 ok")?;
                            // Swallow RCPT and DATA, then hang up before "250".
                            loop {
                                line.clear();
                                if r.read_line(&mut line)? == 0 {
                                    return Ok(());
                                }
                                let u = line.to_ascii_uppercase();
                                if u.starts_with("RCPT") {
                                    reply(&mut r, "250 ok")?;
                                } else if u.starts_with("DATA") {
                                    reply(&mut r, "354 go on")?;
                                    read_data(&mut r)?;
                                    return Ok(());
                                }
                            }
                        }
                        None => {}
                    }
                    self.from = Some(angle(&cmd));
                    self.rcpts.clear();
                    reply(&mut r, "250 2.1.0 ok")?;
                }
                "RCPT" => {
                    if self.from.is_none() {
                        reply(&mut r, "503 5.5.1 MAIL first")?;
                        continue;
                    }
                    let addr = angle(&cmd);
                    self.shared.rcpt_log.lock().unwrap().push(addr.clone());
                    let scripted = {
                        let mut s = self.shared.script.lock().unwrap();
                        if let Some(rep) = s.rcpt_always.get(&addr) {
                            Some(rep.clone())
                        } else {
                            s.rcpt
                                .get_mut(&addr)
                                .and_then(|v| (!v.is_empty()).then(|| v.remove(0)))
                        }
                    };
                    match scripted {
                        Some(rep) => reply(&mut r, &rep)?,
                        None => {
                            self.rcpts.push(addr);
                            reply(&mut r, "250 2.1.5 ok")?;
                        }
                    }
                }
                "DATA" => {
                    if self.rcpts.is_empty() {
                        reply(&mut r, "554 5.5.1 no valid recipients")?;
                        continue;
                    }
                    reply(&mut r, "354 end data with <CR><LF>.<CR><LF>")?;
                    let data = read_data(&mut r)?;
                    self.shared.received.lock().unwrap().push(Received {
                        mail_from: self.from.take().unwrap_or_default(),
                        rcpt_to: std::mem::take(&mut self.rcpts),
                        data,
                        tls: self.encrypted,
                        auth_user: self.user.clone(),
                    });
                    self.accepted += 1;
                    reply(&mut r, "250 2.0.0 queued as test")?;
                }
                "RSET" => {
                    self.from = None;
                    self.rcpts.clear();
                    reply(&mut r, "250 ok")?;
                }
                "NOOP" => reply(&mut r, "250 ok")?,
                "QUIT" => {
                    reply(&mut r, "221 bye")?;
                    return Ok(());
                }
                _ => reply(&mut r, "500 5.5.2 unknown command")?,
            }
        }
    }

    fn auth_cmd(&mut self, r: &mut BufReader<Stream>, cmd: &str) -> std::io::Result<()> {
        use base64_engine as b64;
        let Some((user, pass)) = self.auth.clone() else {
            return reply(r, "502 not supported");
        };
        let parts: Vec<&str> = cmd.split(' ').collect();
        let mech = parts
            .get(1)
            .map(|m| m.to_ascii_uppercase())
            .unwrap_or_default();
        let (u, p) = match mech.as_str() {
            "PLAIN" => {
                let payload = match parts.get(2) {
                    Some(p) => p.to_string(),
                    None => {
                        reply(r, "334 ")?;
                        read_line(r)?
                    }
                };
                let raw = b64::decode(&payload);
                let fields: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
                if fields.len() != 3 {
                    return reply(r, "501 5.5.2 bad PLAIN payload");
                }
                (
                    String::from_utf8_lossy(fields[1]).into_owned(),
                    String::from_utf8_lossy(fields[2]).into_owned(),
                )
            }
            "LOGIN" => {
                reply(r, "334 VXNlcm5hbWU6")?;
                let u = b64::decode(&read_line(r)?);
                reply(r, "334 UGFzc3dvcmQ6")?;
                let p = b64::decode(&read_line(r)?);
                (
                    String::from_utf8_lossy(&u).into_owned(),
                    String::from_utf8_lossy(&p).into_owned(),
                )
            }
            _ => return reply(r, "504 5.5.4 unrecognized mechanism"),
        };
        if u == user && p == pass {
            self.user = Some(u);
            reply(r, "235 2.7.0 authentication successful")
        } else {
            self.shared.auth_failures.fetch_add(1, Ordering::SeqCst);
            reply(r, "535 5.7.8 authentication credentials invalid")
        }
    }
}

fn reply(r: &mut BufReader<Stream>, text: &str) -> std::io::Result<()> {
    // One write per reply: split writes stall on Nagle + delayed ACK.
    let w = r.get_mut();
    w.write_all(format!("{text}\r\n").as_bytes())?;
    w.flush()
}

fn read_line(r: &mut BufReader<Stream>) -> std::io::Result<String> {
    let mut s = String::new();
    r.read_line(&mut s)?;
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}

/// Reads message data up to the lone dot, undoing dot-stuffing.
fn read_data(r: &mut BufReader<Stream>) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(data);
        }
        let l = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(l);
    }
}

/// The address inside `<…>` of a MAIL/RCPT command.
fn angle(cmd: &str) -> String {
    match (cmd.find('<'), cmd.find('>')) {
        (Some(a), Some(b)) if b > a => cmd[a + 1..b].to_string(),
        _ => String::new(),
    }
}

/// Minimal base64 decoding for AUTH payloads (no extra test dependency).
mod base64_engine {
    pub fn decode(s: &str) -> Vec<u8> {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let mut buf = 0u32;
        let mut bits = 0;
        for c in s.trim().bytes() {
            let Some(v) = T.iter().position(|&t| t == c) else {
                continue;
            };
            buf = (buf << 6) | v as u32;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((buf >> bits) as u8);
                buf &= (1 << bits) - 1;
            }
        }
        out
    }
}
