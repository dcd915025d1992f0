//! Interactive prompts on a terminal (dialoguer). Prompts render on stderr.

use std::io::IsTerminal;

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, MultiSelect, Select};

use crate::answers::{AnswerValue, Prompter, parse_text};
use crate::error::{Error, Result};
use crate::manifest::{Question, QuestionType};

/// Prompting is only possible with a terminal on both ends and nobody saying otherwise.
pub fn can_prompt(no_input: bool) -> bool {
    let ci = std::env::var("CI")
        .map(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
        .unwrap_or(false);
    !no_input && !ci && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub struct TerminalPrompter {
    theme: ColorfulTheme,
}

impl TerminalPrompter {
    pub fn new() -> Self {
        TerminalPrompter {
            theme: ColorfulTheme::default(),
        }
    }
}

impl Default for TerminalPrompter {
    fn default() -> Self {
        Self::new()
    }
}

fn prompt_error(e: dialoguer::Error) -> Error {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        Error::Interrupted
    } else {
        Error::io("prompt on", "the terminal", io)
    }
}

impl Prompter for TerminalPrompter {
    fn ask(
        &mut self,
        q: &Question,
        default: Option<&AnswerValue>,
        check: &dyn Fn(&AnswerValue) -> std::result::Result<(), String>,
    ) -> Result<AnswerValue> {
        let term = console::Term::stderr();
        if let Some(help) = &q.help {
            let _ = term.write_line(&console::style(format!("  {help}")).dim().to_string());
        }
        let prompt = q.prompt_text();
        match q.kind {
            QuestionType::Bool => {
                let d = matches!(default, Some(AnswerValue::Bool(true)));
                let v = Confirm::with_theme(&self.theme)
                    .with_prompt(prompt)
                    .default(d)
                    .interact()
                    .map_err(prompt_error)?;
                Ok(AnswerValue::Bool(v))
            }
            QuestionType::Choice => {
                let values = q.choice_values();
                let items: Vec<String> = q
                    .choices
                    .iter()
                    .map(|c| match c.help() {
                        Some(h) => format!("{} — {h}", c.value()),
                        None => c.value().to_string(),
                    })
                    .collect();
                let d = match default {
                    Some(AnswerValue::Str(s)) => values.iter().position(|v| v == s).unwrap_or(0),
                    _ => 0,
                };
                let i = Select::with_theme(&self.theme)
                    .with_prompt(prompt)
                    .items(&items)
                    .default(d)
                    .interact()
                    .map_err(prompt_error)?;
                Ok(AnswerValue::Str(values[i].to_string()))
            }
            QuestionType::Multi => {
                let values = q.choice_values();
                let chosen: Vec<bool> = values
                    .iter()
                    .map(|v| matches!(default, Some(AnswerValue::List(d)) if d.iter().any(|x| x == v)))
                    .collect();
                loop {
                    let picked = MultiSelect::with_theme(&self.theme)
                        .with_prompt(prompt)
                        .items(&values)
                        .defaults(&chosen)
                        .interact()
                        .map_err(prompt_error)?;
                    let value =
                        AnswerValue::List(picked.iter().map(|&i| values[i].to_string()).collect());
                    match check(&value) {
                        Ok(()) => return Ok(value),
                        Err(rule) => {
                            let _ = term.write_line(&format!("  {rule}"));
                        }
                    }
                }
            }
            QuestionType::String | QuestionType::Integer => {
                let mut input = Input::<String>::with_theme(&self.theme).with_prompt(prompt);
                if let Some(d) = default {
                    input = input.default(d.to_flag_text());
                }
                let text = input
                    .validate_with(|s: &String| -> std::result::Result<(), String> {
                        let v = parse_text(q, s).map_err(|e| e.to_string())?;
                        check(&v)
                    })
                    .interact_text()
                    .map_err(prompt_error)?;
                parse_text(q, &text)
            }
        }
    }
}
