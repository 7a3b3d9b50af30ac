//! `newsdesk serve`: run the unsubscribe / preferences service (and with
//! `--preview` the local preview) until SIGTERM or Ctrl-C.

use std::net::SocketAddr;

use anyhow::Result;

use super::Globals;
use crate::error::Exit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address and port to listen on. Keep it on loopback and put a web
    /// server (TLS) in front for the public unsubscribe URL.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Also serve the feeds dir (/feeds/), the digest web copies
    /// (/digests/) and a live render of the next edition (/preview).
    #[arg(long)]
    pub preview: bool,
    /// Rate-limit by the client address the reverse proxy in front reports
    /// (last `X-Forwarded-For` entry, else `X-Real-IP`). Only use it when
    /// every request comes through that proxy.
    #[arg(long)]
    pub trust_proxy: bool,
    /// Close a connection that has not sent a request's headers within this
    /// many seconds (also an idle keep-alive one), and answer 408 to a
    /// request whose body takes longer: slow clients cannot pile up.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Connections served at once; further clients wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub max_connections: u64,
}

pub fn execute(args: &Args, g: &Globals) -> Result<Exit> {
    let config = g.load_config()?;
    let store = g.open_store(&config)?;
    // Only a NEWSDESK_NOW pins the clock; otherwise each request is "now".
    let fixed_now = std::env::var_os("NEWSDESK_NOW").map(|_| g.now);
    crate::serve::run(
        config,
        store,
        &crate::serve::Options {
            listen: args.listen,
            preview: args.preview,
            trust_proxy: args.trust_proxy,
            fixed_now,
            timeout: std::time::Duration::from_secs(args.timeout),
            max_connections: args.max_connections as usize,
        },
    )?;
    Ok(Exit::Ok)
}
