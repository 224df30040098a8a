//! Property values as Pulumi serialises them, and how reports show them.

use serde_json::Value;

/// The key Pulumi puts on an object that stands for a special value.
const SIG_KEY: &str = "4dabf18193072939515e22adb298388d";
/// The signature of a secret.
const SECRET_SIG: &str = "1b47061264138c4ac30d75fd1eb44270";
/// The string Pulumi uses for a value not known until apply.
pub const UNKNOWN: &str = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
pub const SECRET_PLACEHOLDER: &str = "[secret]";
/// What stands for a value nested deeper than the JSON parser goes (128
/// levels), so that its cell says why it is empty.
pub const TOO_DEEP: &str = "(value nested too deep to show)";

/// A string that stands for a value a report cannot show; it hides
/// everything below it.
pub fn is_placeholder(s: &str) -> bool {
    s == SECRET_PLACEHOLDER || s == TOO_DEEP
}

/// Replaces every secret object below `value` with `"[secret]"`, whether it
/// carries ciphertext or (should a future CLI print one) plaintext.
pub fn blind_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get(SIG_KEY).and_then(Value::as_str) == Some(SECRET_SIG) {
                *value = Value::String(SECRET_PLACEHOLDER.to_owned());
                return;
            }
            map.values_mut().for_each(blind_secrets);
        }
        Value::Array(items) => items.iter_mut().for_each(blind_secrets),
        _ => {}
    }
}

/// A short, one-line rendering of a value for a report cell; long values are
/// cut (at a character boundary) with an ellipsis.
pub fn render(value: &Value, max_chars: usize) -> String {
    let full = match value {
        Value::String(s) if s == UNKNOWN => "(known after apply)".to_owned(),
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        other => {
            let mut other = other.clone();
            mark_unknowns(&mut other);
            other.to_string()
        }
    };
    if full.chars().count() <= max_chars {
        full
    } else {
        let mut cut: String = full.chars().take(max_chars).collect();
        cut.push('…');
        cut
    }
}

fn mark_unknowns(value: &mut Value) {
    match value {
        Value::String(s) if s == UNKNOWN => *s = "(known after apply)".to_owned(),
        Value::Object(map) => map.values_mut().for_each(mark_unknowns),
        Value::Array(items) => items.iter_mut().for_each(mark_unknowns),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_blinded_at_any_depth_even_with_plaintext() {
        let mut v = json!({
            "a": {SIG_KEY: SECRET_SIG, "ciphertext": "AAAA"},
            "b": [{"c": {SIG_KEY: SECRET_SIG, "plaintext": "\"hunter2\""}}],
            "d": "visible"
        });
        blind_secrets(&mut v);
        assert_eq!(v, json!({"a": "[secret]", "b": [{"c": "[secret]"}], "d": "visible"}));
        assert!(!v.to_string().contains("hunter2"));
    }

    #[test]
    fn render_cuts_long_values_at_char_boundaries() {
        let v = Value::String("é".repeat(10));
        assert_eq!(render(&v, 3), "ééé…");
        assert_eq!(render(&Value::String(UNKNOWN.into()), 50), "(known after apply)");
        assert_eq!(render(&json!({"k": UNKNOWN}), 80), r#"{"k":"(known after apply)"}"#);
    }
}
