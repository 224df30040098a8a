//! Keeping text from elsewhere — Pulumi's output, stack outputs, error
//! messages — from being read as a workflow command by the Actions runner.
//!
//! The runner reads every line a step prints, on stdout and stderr alike. It
//! splits lines at `\n`, `\r` and `\r\n`, and acts on a line when, after
//! leading whitespace is trimmed, it starts with `::`, or when it holds
//! `##[` anywhere (the older syntax), followed by a command it knows:
//! `add-mask`, `stop-commands`, `error`, and others. It compares with the
//! current culture, where characters collation ignores — controls, zero-width
//! and other format characters — do not count, so `:\u{2060}:add-mask::x`
//! must be taken for a command too.
//!
//! Only a line that could be read so is rewritten, by the printer, just
//! before it is written: every ignorable character is written out
//! (`\u{2060}`, the rule of [`crate::report::escape::push_inert`]), a
//! backslash goes before a leading `::` and between `##` and `[`. A backslash
//! is visible, is not whitespace and is never ignored, and in Markdown it
//! is an escape that renders as nothing, so a summary on stdout reads the
//! same. Every other line is left exactly as it was. The commands stackpilot
//! means go out through [`crate::printer::command`], which skips this.
//!
//! This is one rule for every line, rather than `::stop-commands::` around
//! Pulumi's output: it needs no state shared between stdout and stderr (the
//! runner reads both, in whatever order they arrive), and it also covers the
//! lines that are not relayed output: logs and error messages quoting
//! stderr.

use std::borrow::Cow;

/// `text` with each of its lines that the runner could read as a command
/// rewritten so that it cannot; borrowed when nothing needed rewriting.
pub(crate) fn lines(text: &str) -> Cow<'_, str> {
    if !text.split(['\n', '\r']).any(could_be_command) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let (line, tail) = rest.split_at(end);
        if could_be_command(line) {
            out.push_str(&rewrite(line));
        } else {
            out.push_str(line);
        }
        // The separator itself (one `\n` or `\r`) goes through unchanged.
        let sep = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..sep]);
        rest = &tail[sep..];
    }
    Cow::Owned(out)
}

/// JSON text whose strings cannot start a workflow command, with the same
/// value: `##[` becomes `##\u005b` and ignorable characters `\uXXXX`, which
/// any JSON parser decodes back. JSON text outside its strings is ASCII and
/// never starts a line with `:`, so only strings can carry a command.
pub(crate) fn json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        // Raw newlines, tabs and carriage returns in JSON text are
        // structure (pretty-printing); inside strings they are escaped.
        if ignorable(c) && !c.is_ascii_whitespace() {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else if c == '[' && out.ends_with("##") {
            out.push_str("\\u005b");
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether the runner could take `line` (one line, no separators) for a
/// command. Errs towards yes: ignorable characters are dropped everywhere,
/// even where the runner's trimming would stop at them.
fn could_be_command(line: &str) -> bool {
    let visible: String = line.chars().filter(|c| !ignorable(*c)).collect();
    visible.trim_start().starts_with("::") || visible.contains("##[")
}

fn rewrite(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        // Whitespace stays: it is trimmed, not ignored, and reads as itself.
        if ignorable(c) && !c.is_whitespace() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    let indent = out.len() - out.trim_start().len();
    if out[indent..].starts_with("::") {
        out.insert(indent, '\\');
    }
    out.replace("##[", "##\\[")
}

/// Characters a culture-sensitive comparison may skip: controls and the
/// Unicode default-ignorable code points (format characters, variation
/// selectors, fillers).
fn ignorable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_lines_are_borrowed_unchanged() {
        let text = "  + fixture:index:Thing web created\nurl: a::b # not [a command]\n";
        assert!(matches!(lines(text), Cow::Borrowed(_)));
    }

    #[test]
    fn hostile_lines_get_a_visible_backslash() {
        let text = "  ::add-mask::x\nok\r\t::error::boom\nname ##[error]oops ##[warning]w\n";
        assert_eq!(
            lines(text),
            "  \\::add-mask::x\nok\r\t\\::error::boom\nname ##\\[error]oops ##\\[warning]w\n"
        );
    }

    #[test]
    fn ignorable_characters_cannot_hide_a_command() {
        let text = "\u{2060}::stop-commands::t\n:\u{200b}:error::x\n#\u{feff}#[error]y\n:\u{7}:z";
        assert_eq!(
            lines(text),
            "\\u{2060}::stop-commands::t\n:\\u{200b}:error::x\n#\\u{feff}#[error]y\n:\\u{7}:z"
        );
    }

    #[test]
    fn json_keeps_its_value_and_loses_the_command() {
        let value = serde_json::json!({"v": "a\n::add-mask::x ##[error]y #\u{2060}#[z"});
        let text = json(&serde_json::to_string_pretty(&value).unwrap());
        assert!(!text.contains("##[") && !text.contains('\u{2060}'), "{text}");
        assert!(text.lines().all(|l| !could_be_command(l)), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }
}
