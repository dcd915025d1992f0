//! Text that came from a blueprint, an answer, a file or another program, made safe to
//! print: control characters (escape sequences that write the clipboard or rewrite lines,
//! carriage returns, C1 controls) and invisible or bidirectional formatting characters
//! are shown as `\u{…}` escapes instead of reaching the terminal.

use std::borrow::Cow;

fn is_unsafe(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_newlines,
        c if c.is_control() => true,
        // Bidirectional overrides and isolates (Trojan Source), zero-width characters.
        '\u{061c}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}'
        | '\u{feff}' => true,
        _ => false,
    }
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c, keep_newlines) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Multi-line text (messages, help): newlines and tabs stay, every other control goes.
pub fn printable(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

/// One line (a name, a prompt, a value): newlines are escaped too.
pub fn printable_line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Shortens a value quoted in a message, so a 1 MiB answer does not fill the terminal.
pub fn shorten(s: &str, max_chars: usize) -> Cow<'_, str> {
    let count = s.chars().count();
    if count <= max_chars {
        return Cow::Borrowed(s);
    }
    let head: String = s.chars().take(max_chars).collect();
    Cow::Owned(format!("{head}… ({} more characters)", count - max_chars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(
            printable("plain text\nline two\t."),
            "plain text\nline two\t."
        );
        assert_eq!(printable("\x1b]52;c;aGk=\x07"), "\\u{1b}]52;c;aGk=\\u{7}");
        assert_eq!(printable("a\rb"), "a\\u{d}b");
        assert_eq!(printable("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(printable("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(printable_line("a\nb"), "a\\u{a}b");
        assert_eq!(printable("été ☺"), "été ☺");
    }

    #[test]
    fn shortens_long_values() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdefgh", 3), "abc… (5 more characters)");
    }
}
