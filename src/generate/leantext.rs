//! Lean built-in templates, made when gogen is built (`build.rs` includes this file).
//!
//! The template engine's lexer walks every character of a template's text to count lines
//! and columns, and the built-in blueprints hold some 440 KB of it, lexed again on every
//! `gogen new`. For each built-in template the build therefore writes a lean copy, in which
//! the middle of every long text run is replaced by a call, `{{ _gogen_text(N) }}`, that
//! returns those very bytes of the original file at render time (`render::Renderer`).
//!
//! What is kept around each replaced middle makes the engine treat the text exactly as
//! before: the run's first line (up to and including its first newline after a character
//! that is not whitespace) and everything from the start of the line with its last such
//! character. Every whitespace rule (`trim_blocks`, `lstrip_blocks`, `{%-`, `-%}`) acts
//! only on the whitespace at the ends of a run, or looks back from a tag to the previous
//! newline, so it sees the same characters; the inserted tag is a variable tag, which no
//! whitespace rule touches. The tag holds as many newlines as the text it replaces, so the
//! lines after it keep their numbers.
//!
//! Nothing is trusted to that reasoning alone: the lean copy is tokenized again and must
//! give the original's tokens, with each replaced text split around the call; otherwise
//! the file gets no lean copy. (This catches `{% raw %}` blocks, whose text is not a run.)
//! At run time a failed lean render is redone from the original, so errors read as before.

use minijinja::machinery::{Token, tokenize};
use minijinja::syntax::SyntaxConfig;

/// The function a lean template calls for the text it left out.
pub const TEXT_FUNCTION: &str = "_gogen_text";

/// Texts shorter than this stay in the template: the call costs more than lexing them.
pub const MIN_PIECE: usize = 256;

/// The engine's syntax as gogen configures it: the default delimiters, or the square
/// ones (`[[ ]]`, `[% %]`, `[# #]`) for files full of `{{`.
pub fn syntax_config(square: bool) -> SyntaxConfig {
    let mut builder = SyntaxConfig::builder();
    builder
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true);
    if square {
        builder
            .variable_delimiters("[[", "]]")
            .block_delimiters("[%", "%]")
            .comment_delimiters("[#", "#]");
    }
    builder
        .build()
        .expect("gogen's fixed delimiter sets are valid")
}

/// A lean template: its source, and the byte ranges of the original file its calls stand
/// for (call `first + i` returns `pieces[i]`).
#[derive(Debug, PartialEq, Eq)]
pub struct Lean {
    pub source: String,
    pub pieces: Vec<(usize, usize)>,
}

/// The lean copy of `text` in the given syntax, numbering its calls from `first`; `None`
/// when nothing would be left out, or when the text does not tokenize, or when the lean
/// copy would not tokenize as the original does.
pub fn lean_template(text: &str, square: bool, first: usize) -> Option<Lean> {
    let tokens = tokens_of(text, square)?;
    // All text: the renderer copies such a file without the engine.
    if tokens
        .iter()
        .all(|(t, _, _)| matches!(t, Token::TemplateData(_)))
    {
        return None;
    }
    let (open, close) = if square { ("[[", "]]") } else { ("{{", "}}") };
    let mut source = String::with_capacity(text.len() / 4);
    let mut pieces = Vec::new();
    let mut expected = Vec::with_capacity(tokens.len());
    let mut copied = 0;
    for (token, start, end) in &tokens {
        let cut = match token {
            Token::TemplateData(data) if text.get(*start..*end) == Some(*data) => {
                middle(data).map(|(a, b)| (start + a, start + b))
            }
            _ => None,
        };
        let Some((a, b)) = cut else {
            expected.push(format!("{token:?}"));
            continue;
        };
        let n = first + pieces.len();
        let newlines = "\n".repeat(text[a..b].bytes().filter(|&c| c == b'\n').count());
        source.push_str(&text[copied..a]);
        source.push_str(&format!("{open} {TEXT_FUNCTION}({n}){newlines} {close}"));
        copied = b;
        pieces.push((a, b));
        let call = [
            Token::TemplateData(&text[*start..a]),
            Token::VariableStart,
            Token::Ident(TEXT_FUNCTION),
            Token::ParenOpen,
            Token::Int(n as u64),
            Token::ParenClose,
            Token::VariableEnd,
            Token::TemplateData(&text[b..*end]),
        ];
        expected.extend(call.iter().map(|t| format!("{t:?}")));
    }
    if pieces.is_empty() {
        return None;
    }
    source.push_str(&text[copied..]);
    let got: Vec<String> = tokens_of(&source, square)?
        .iter()
        .map(|(t, _, _)| format!("{t:?}"))
        .collect();
    (got == expected).then_some(Lean { source, pieces })
}

/// The engine's tokens of `text` with their byte ranges, or `None` if it does not tokenize.
fn tokens_of(text: &str, square: bool) -> Option<Vec<(Token<'_>, usize, usize)>> {
    tokenize(text, false, syntax_config(square))
        .map(|t| {
            t.ok()
                .map(|(token, span)| (token, span.start_offset as usize, span.end_offset as usize))
        })
        .collect()
}

/// The part of a text run that can be left out, as a byte range of whole lines: from
/// after the first newline that follows a character other than whitespace, to the start
/// of the line holding the last such character. `None` if that is shorter than
/// `MIN_PIECE`.
fn middle(run: &str) -> Option<(usize, usize)> {
    let first_solid = run.find(|c: char| !c.is_whitespace())?;
    let a = first_solid + run[first_solid..].find('\n')? + 1;
    let last_solid = run.rfind(|c: char| !c.is_whitespace())?;
    let b = run[..last_solid].rfind('\n')? + 1;
    (b > a && b - a >= MIN_PIECE).then_some((a, b))
}
