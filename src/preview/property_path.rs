//! Pulumi property paths (`tags.env`, `ingress[0].cidrBlocks`,
//! `tags["a.b"]`) and looking them up in a property map.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn parse(path: &str) -> Option<Vec<Segment>> {
    let mut segments = Vec::new();
    let mut chars = path.chars().peekable();
    let mut key = String::new();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut key)));
                }
                if chars.peek() == Some(&'"') {
                    chars.next();
                    let mut quoted = String::new();
                    loop {
                        match chars.next()? {
                            '\\' => quoted.push(chars.next()?),
                            '"' => break,
                            other => quoted.push(other),
                        }
                    }
                    if chars.next()? != ']' {
                        return None;
                    }
                    segments.push(Segment::Key(quoted));
                } else {
                    let mut digits = String::new();
                    loop {
                        match chars.next()? {
                            ']' => break,
                            d => digits.push(d),
                        }
                    }
                    segments.push(Segment::Index(digits.parse().ok()?));
                }
            }
            other => key.push(other),
        }
    }
    if !key.is_empty() {
        segments.push(Segment::Key(key));
    }
    Some(segments)
}

/// Finds the value at `path`; `None` when the path is malformed or absent.
pub fn lookup<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    let mut here = root;
    for segment in parse(path)? {
        here = match (segment, here) {
            (Segment::Key(k), Value::Object(map)) => map.get(&k)?,
            (Segment::Index(i), Value::Array(items)) => items.get(i)?,
            // A secret blinded higher up (or a value too deep to read) hides
            // everything below it.
            (_, Value::String(s)) if super::value::is_placeholder(s) => return Some(here),
            _ => return None,
        };
    }
    Some(here)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn looks_up_keys_indexes_and_quoted_keys() {
        let v = json!({"tags": {"a.b": "x", "env": "dev"}, "ingress": [{"cidr": ["10/8", "0/0"]}]});
        assert_eq!(lookup(&v, "tags.env"), Some(&json!("dev")));
        assert_eq!(lookup(&v, r#"tags["a.b"]"#), Some(&json!("x")));
        assert_eq!(lookup(&v, "ingress[0].cidr[1]"), Some(&json!("0/0")));
        assert_eq!(lookup(&v, "ingress[5]"), None);
        assert_eq!(lookup(&v, "ingress[x]"), None);
        assert_eq!(lookup(&v, r#"tags["unterminated"#), None);
    }

    #[test]
    fn a_blinded_secret_hides_its_children() {
        let v = json!({"password": "[secret]"});
        assert_eq!(lookup(&v, "password.inner"), Some(&json!("[secret]")));
    }
}
