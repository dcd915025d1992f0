//! The one way out to the terminal: everything gogen prints passes through here, so text
//! that came from a blueprint, an answer or another program cannot carry escape sequences
//! (clipboard writes, rewritten lines) or invisible characters to the screen.

use std::io::Write;

use crate::error::{Error, Result};
use crate::printable::printable;

/// Characters serde_json leaves as they are but a terminal may act on (DEL, C1 controls)
/// or that hide or reorder text (bidirectional and zero-width formatting).
fn json_unsafe(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// A JSON document, with those characters written as `\uXXXX` escapes (still valid JSON:
/// they can only occur inside strings).
pub fn json_text(doc: &serde_json::Value) -> String {
    let text = format!("{doc:#}\n");
    if !text.chars().any(json_unsafe) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if json_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes text meant for stdout, made printable.
pub fn stdout_text(bytes: &[u8]) -> Result<()> {
    let text = String::from_utf8_lossy(bytes);
    write_stdout(printable(&text).as_bytes())
}

/// Writes a JSON document to stdout.
pub fn stdout_json(doc: &serde_json::Value) -> Result<()> {
    write_stdout(json_text(doc).as_bytes())
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("write", "stdout", e))
}

/// Writes text meant for stderr, made printable, with very long lines cut short.
pub fn stderr_text(text: &str) {
    const MAX_LINE: usize = 2_000;
    let mut out = String::with_capacity(text.len().min(64 * 1024));
    for line in printable(text).split_inclusive('\n') {
        out.push_str(&crate::printable::shorten(line, MAX_LINE));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
}

/// An error as a diagnostic (no colour: the text is escaped as a whole first).
pub fn stderr_error(e: &dyn miette::Diagnostic) {
    let mut rendered = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_width(usize::MAX)
            .with_wrap_lines(false);
    if handler.render_report(&mut rendered, e).is_err() {
        rendered = e.to_string();
    }
    stderr_text(&rendered);
}
