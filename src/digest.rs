//! SHA-256 in hex: how a saved plan pins a value without holding it.

use sha2::{Digest, Sha256};

/// Hex SHA-256 of some bytes.
pub(crate) fn sha256(bytes: impl AsRef<[u8]>) -> String {
    Sha256::digest(bytes.as_ref())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digest of a JSON value as a whole (serde_json writes objects with
/// sorted keys here, so equal values give equal digests).
pub(crate) fn of_value(value: &serde_json::Value) -> String {
    sha256(value.to_string())
}

/// The first 12 hex digits: enough to tell two digests apart by eye.
pub(crate) fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_the_standard_one() {
        assert_eq!(
            sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_difference_past_what_a_summary_shows_still_counts() {
        let long = "x".repeat(500);
        let a = serde_json::json!(format!("{long}a"));
        let b = serde_json::json!(format!("{long}b"));
        assert_ne!(of_value(&a), of_value(&b));
    }
}
