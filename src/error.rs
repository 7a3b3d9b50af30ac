//! Exit codes and the typed errors that map onto them.
//!
//! Commands return `anyhow::Result<Exit>`; an error that escapes a command is
//! mapped to an exit code by looking for a [`Error`] in its chain. Per-file
//! problems are not errors at this level: they are reported, counted, and turn
//! into [`Exit::DataErr`] while the run goes on.

use std::path::PathBuf;
use std::process::ExitCode;

/// Documented exit codes (sysexits.h values, as cron users expect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exit {
    /// 0: success, including "nothing to do".
    Ok,
    /// 65: some input file was rejected; the rest were processed.
    DataErr,
    /// 66: an input path (archive dir, file given on the command line) is missing.
    NoInput,
    /// 69: a service (the SMTP server) is unavailable or refused us.
    Unavailable,
    /// 73: output could not be written.
    CantCreate,
    /// 75: temporary failure (lock held, deferred mail); try again later.
    TempFail,
    /// 78: configuration error; nothing was done.
    Config,
    /// 1: anything else.
    Other,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::DataErr => 65,
            Exit::NoInput => 66,
            Exit::Unavailable => 69,
            Exit::CantCreate => 73,
            Exit::TempFail => 75,
            Exit::Config => 78,
            Exit::Other => 1,
        }
    }

    /// How bad an outcome is, for "the worst code wins". Problems the operator
    /// must fix (config, unexpected errors) outrank ones that fix themselves
    /// (a held lock, a deferred message), which outrank a rejected input file.
    fn severity(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::DataErr => 1,
            Exit::TempFail => 2,
            Exit::Unavailable => 3,
            Exit::NoInput => 4,
            Exit::CantCreate => 5,
            Exit::Config => 6,
            Exit::Other => 7,
        }
    }

    /// The worse of two outcomes.
    pub fn worst(self, other: Exit) -> Exit {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// Fold another outcome into this one in place.
    pub fn add(&mut self, other: Exit) {
        *self = self.worst(other);
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// Errors that decide the exit code when they end a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{0}: no such file or directory")]
    MissingInput(PathBuf),
    #[error("cannot write {path}: {message}")]
    Output { path: PathBuf, message: String },
    #[error("{0}")]
    TempFail(String),
    #[error("{0}")]
    Unavailable(String),
}

impl Error {
    pub fn exit(&self) -> Exit {
        match self {
            Error::Config { .. } => Exit::Config,
            Error::MissingInput(_) => Exit::NoInput,
            Error::Output { .. } => Exit::CantCreate,
            Error::TempFail(_) => Exit::TempFail,
            Error::Unavailable(_) => Exit::Unavailable,
        }
    }
}

/// The exit code an error that ended a command stands for.
pub fn exit_for(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<Error>() {
            return e.exit();
        }
    }
    Exit::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_code_wins_whatever_the_order() {
        let mut e = Exit::Ok;
        e.add(Exit::DataErr);
        e.add(Exit::Ok);
        assert_eq!(e, Exit::DataErr);
        e.add(Exit::Config);
        e.add(Exit::TempFail);
        assert_eq!(e, Exit::Config);
        assert_eq!(Exit::TempFail.worst(Exit::DataErr), Exit::TempFail);
    }

    #[test]
    fn typed_error_in_chain_sets_the_code() {
        let err = anyhow::Error::new(Error::MissingInput("x".into())).context("while scanning");
        assert_eq!(exit_for(&err).code(), 66);
        assert_eq!(exit_for(&anyhow::anyhow!("boom")).code(), 1);
    }
}
