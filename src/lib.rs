//! newsdesk: turns a journalism archive into RSS 2.0, Atom 1.0 and JSON Feed
//! 1.1 feeds and themed HTML email digests, and sends them, from cron.
//!
//! Data flows one way (see DESIGN.md): archive files → [`parse`] →
//! [`store`] → themes → feeds / digest → mail. Each stage reads from the store
//! and writes back to it, so every stage can run, and be tested, alone.

pub mod cli;
pub mod cmd;
pub mod config;
pub mod digest;
pub mod error;
pub mod feeds;
pub mod ingest;
pub mod lock;
pub mod mail;
pub mod model;
pub mod parse;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod themes;
pub mod util;
