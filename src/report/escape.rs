//! Escaping for text that came from a stack or a subprocess: resource names,
//! values, messages. Nothing from outside may close a tag, open one, break a
//! table row, end a code block early, notify someone or link an issue.
//!
//! Mentions and references are made inert in one place, [`push_inert`],
//! which every character of outside text passes through on its way into
//! Markdown, HTML or a workflow command, rather than by wrapping text in
//! code spans: a code span changes how every name reads, nests badly inside
//! the `<code>` cells we already use, and a name holding a backtick needs
//! its own fence. GitHub finds `@user`, `@org/team`, `#123`,
//! `owner/repo#123` and `GH-123` in text after rendering (a backslash escape
//! does not stop it, nor does a space before `#`), so a U+2060 WORD JOINER
//! goes right after each `@` and `#` and before the `-` of `GH-`: invisible
//! when read, but the name no longer starts where GitHub looks. (Code blocks
//! need nothing: GitHub links nothing inside them.)

/// For inline Markdown: paragraphs, list items and table cells (including
/// inside inline `<code>`). Newlines become `<br>`, so one value stays in one
/// cell.
pub fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // A pipe splits a table cell even inside inline HTML; an entity does not.
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '\\' | '*' | '_' | '[' | ']' | '~' | '!' | '$' | '^' => {
                out.push('\\');
                out.push(c);
            }
            '#' => {
                out.push('\\');
                push_inert(&mut out, c, Backslash::Markdown);
            }
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("<br>");
                }
            }
            '\n' => out.push_str("<br>"),
            '\t' => out.push(' '),
            c => push_inert(&mut out, c, Backslash::Markdown),
        }
    }
    out
}

/// For text inside an HTML block (a `<summary>` line), where Markdown
/// backslash escapes are not processed but entities are.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Inert inside an HTML block, but a renderer that does parse
            // Markdown there must not find a link either.
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            // A blank line would end the HTML block, so no newline survives.
            '\n' | '\r' | '\t' => out.push(' '),
            c => push_inert(&mut out, c, Backslash::Literal),
        }
    }
    out
}

/// Invisible, and no part of a GitHub user, team or issue reference.
const WORD_JOINER: char = '\u{2060}';

/// Whether `out` ends with `GH` (any case) as a word of its own, where a
/// `-` and digits would make an issue reference.
fn follows_gh(out: &str) -> bool {
    let Some(before) = out.strip_suffix(['h', 'H']).and_then(|r| r.strip_suffix(['g', 'G'])) else {
        return false;
    };
    !before.chars().next_back().is_some_and(char::is_alphanumeric)
}

/// How a format writes one literal backslash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backslash {
    /// Markdown text, where `\\` is one backslash.
    Markdown,
    /// HTML blocks and workflow commands, where a backslash is itself.
    Literal,
}

/// Pushes a character that the format has no escape of its own for, by
/// the rule every format shares (summaries, PR comments, annotations):
/// control characters, which terminals and renderers act on, and the
/// direction controls that make text read differently from what it is, are
/// written out as `\u{202e}` so that a reviewer sees something is there;
/// `@`, `#` and the `-` of `GH-` get a word joiner (see the module docs).
pub fn push_inert(out: &mut String, c: char, backslash: Backslash) {
    if c.is_control() || is_bidi_control(c) {
        if backslash == Backslash::Markdown {
            out.push('\\');
        }
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
        return;
    }
    match c {
        '@' | '#' => {
            out.push(c);
            out.push(WORD_JOINER);
        }
        '-' if follows_gh(out) => {
            out.push(WORD_JOINER);
            out.push('-');
        }
        c => out.push(c),
    }
}

/// A fenced code block that its content cannot close: the fence is longer
/// than any run of backticks inside. Terminal escape sequences are dropped.
pub fn code_block(text: &str) -> String {
    let clean = strip_terminal_escapes(text);
    let longest_run = clean.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    let mut out = String::with_capacity(clean.len() + 16);
    out.push_str(&fence);
    out.push_str("text\n");
    out.push_str(clean.trim_end_matches('\n'));
    out.push('\n');
    out.push_str(&fence);
    out.push('\n');
    out
}

/// Removes terminal escape sequences (colour, cursor movement, OSC
/// hyperlinks and titles — parsed by `strip-ansi-escapes`), other control
/// characters except newlines and tabs, and the bidirectional overrides that
/// make text read differently from what it is.
pub fn strip_terminal_escapes(text: &str) -> String {
    strip_ansi_escapes::strip_str(text)
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !(c.is_control() || is_bidi_control(c)))
        .collect()
}

/// Unicode's explicit direction controls (embeddings, overrides, isolates).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The longest prefix of `text` no longer than `max_bytes` that ends on a
/// character boundary.
pub fn cut_at_char_boundary(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_neutralises_table_and_html_breakers() {
        let hostile = "a|b`c<script>\n</details>*x*_y_[z](u)";
        let out = inline(hostile);
        for bad in ["|", "`", "<script", "</details>", "\n"] {
            assert!(!out.contains(bad), "{bad:?} survived in {out}");
        }
        assert_eq!(inline("plain-name.1"), "plain-name.1");
    }

    /// Names holding `@octocat` or `acme/app#5` notified people and
    /// linked issues from a PR comment.
    #[test]
    fn mentions_and_issue_references_from_stack_data_are_inert() {
        let hostile = "@octocat @acme/security-team #123 see #9 acme/app#5 GH-1 gh-2 x@y";
        for out in [inline(hostile), html(hostile)] {
            let plain = out.replace('\\', "");
            let live = |marker: char| {
                plain
                    .match_indices(marker)
                    .any(|(i, _)| plain[i + 1..].starts_with(|c: char| c.is_ascii_alphanumeric()))
            };
            assert!(!live('@') && !live('#'), "{out}");
            assert!(!plain.to_lowercase().contains("gh-"), "{out}");
        }
        // Invisible to a reader: the text reads as it was.
        assert_eq!(inline("@octocat").replace(WORD_JOINER, ""), "@octocat");
        assert_eq!(html("acme/app#5").replace(WORD_JOINER, ""), "acme/app#5");
        assert_eq!(inline("high-level"), "high-level");
    }

    /// NUL, BEL and a right-to-left override in a name reached the summary.
    #[test]
    fn control_and_direction_characters_are_shown_not_obeyed() {
        let hostile = "a\u{0}b\u{7}c\u{202e}d\u{2066}e";
        assert_eq!(inline(hostile), r"a\\u{0}b\\u{7}c\\u{202e}d\\u{2066}e");
        assert_eq!(html(hostile), r"a\u{0}b\u{7}c\u{202e}d\u{2066}e");
    }

    #[test]
    fn html_never_lets_a_blank_line_or_tag_through() {
        let out = html("x\n\n</summary></details><img src=x>");
        assert!(!out.contains('\n'));
        assert!(!out.contains('<'));
    }

    #[test]
    fn code_block_fence_outlives_backticks_inside() {
        let block = code_block("look ````` here\n```");
        let first_line = block.lines().next().unwrap();
        assert_eq!(first_line, "``````text");
        assert!(block.ends_with("\n``````\n"));
    }

    #[test]
    fn terminal_escapes_are_removed() {
        assert_eq!(strip_terminal_escapes("\u{1b}[31mred\u{1b}[0m\u{7}"), "red");
    }

    /// The hand-written stripper knew CSI only: an OSC 8 hyperlink leaked
    /// its target into the summary.
    #[test]
    fn an_osc_hyperlink_leaves_only_its_text() {
        let link = "\u{1b}]8;;https://example.com\u{1b}\\link\u{1b}]8;;\u{1b}\\ done";
        assert_eq!(strip_terminal_escapes(link), "link done");
        let bell_terminated = "\u{1b}]0;window title\u{7}text";
        assert_eq!(strip_terminal_escapes(bell_terminated), "text");
    }

    #[test]
    fn bidi_overrides_and_nul_are_dropped() {
        assert_eq!(
            strip_terminal_escapes("safe\u{202e}txt.exe\u{0}\u{2066}x"),
            "safetxt.exex"
        );
    }

    #[test]
    fn cutting_respects_utf8() {
        assert_eq!(cut_at_char_boundary("aé", 2), "a");
        assert_eq!(cut_at_char_boundary("aé", 3), "aé");
    }
}
