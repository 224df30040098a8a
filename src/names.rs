//! The names a user types: layers and environments, validated before anything runs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which layer (stack) a command drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// The shared environment: VPC, load balancer, database, cache.
    Base,
    /// One app environment: cluster, task definitions, services.
    App,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Base => "base",
            Layer::App => "app",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An environment name, which is also the Pulumi stack name.
///
/// The grammar is deliberately narrow (lowercase letters, digits, single
/// dashes, starting with a letter) because the name ends up in AWS resource
/// names, DNS labels and database names, all of which are pickier than Pulumi.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct EnvName(String);

const MAX_ENV_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvNameError {
    #[error("the environment name is empty")]
    Empty,
    #[error("environment name `{0}` is longer than {MAX_ENV_LEN} characters")]
    TooLong(String),
    #[error(
        "environment name `{name}` is not valid: {reason}; use lowercase letters, digits and dashes, starting with a letter (for example `alpha` or `dev-2`)"
    )]
    Grammar { name: String, reason: &'static str },
}

impl FromStr for EnvName {
    type Err = EnvNameError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let bad = |reason| EnvNameError::Grammar {
            name: raw.escape_debug().to_string(),
            reason,
        };
        if raw.is_empty() {
            return Err(EnvNameError::Empty);
        }
        if raw.len() > MAX_ENV_LEN {
            return Err(EnvNameError::TooLong(raw.escape_debug().to_string()));
        }
        if !raw.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(bad("it must start with a lowercase letter"));
        }
        if let Some(c) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(if c.is_ascii_uppercase() {
                bad("it contains an uppercase letter")
            } else {
                bad("it contains a character other than a-z, 0-9 and -")
            });
        }
        if raw.ends_with('-') || raw.contains("--") {
            return Err(bad("dashes must sit between letters or digits"));
        }
        Ok(EnvName(raw.to_owned()))
    }
}

impl EnvName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_typical_names() {
        for ok in ["alpha", "dev", "beta-2", "a1"] {
            assert_eq!(ok.parse::<EnvName>().unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_names_that_would_break_aws_or_dns() {
        let cases = [
            ("", "empty"),
            ("Alpha", "must start with a lowercase"),
            ("alPha", "uppercase"),
            ("2alpha", "must start"),
            ("al_pha", "other than"),
            ("alpha-", "dashes"),
            ("al--pha", "dashes"),
            ("al pha", "other than"),
            ("../etc", "must start"),
        ];
        for (raw, expected) in cases {
            let err = raw.parse::<EnvName>().unwrap_err().to_string();
            assert!(
                err.contains(expected) || (raw.is_empty() && err.contains("empty")),
                "{raw:?} -> {err}"
            );
        }
        assert!(matches!(
            "a".repeat(33).parse::<EnvName>(),
            Err(EnvNameError::TooLong(_))
        ));
    }
}
