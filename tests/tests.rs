//! The integration-test crate: runs the real `newsdesk` binary against
//! temporary sites and real parsers, stores and servers.

mod util;

mod digest;
mod feeds;
mod generator;
mod html_extract;
mod ingest;
mod init;
mod inspect;
mod mail;
mod parse_markdown;
mod parse_text;
mod proptest_parsers;
mod run;
mod sample_archive;
mod serve;
mod smtp_server;
mod subscribers;
mod themes;
