//! Interactive prompts on a terminal (dialoguer). Prompts render on stderr.

use std::io::IsTerminal;

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, MultiSelect, Select};

use crate::answers::{AnswerValue, Asked, Progress, Prompter, parse_text};
use crate::blueprint::manifest::{Question, QuestionType};
use crate::error::{Error, Result};
use crate::printable::printable_line;

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

/// Typed alone at a text prompt, goes back to the previous question.
const BACK: &str = "<";

impl Prompter for TerminalPrompter {
    fn ask(
        &mut self,
        q: &Question,
        default: Option<&AnswerValue>,
        check: &dyn Fn(&AnswerValue) -> std::result::Result<(), String>,
        progress: Progress,
    ) -> Result<Asked> {
        let term = console::Term::stderr();
        // Everything shown here comes from the blueprint: no control character gets through.
        let back_hint = match (progress.can_go_back, q.kind) {
            (false, _) => "",
            (true, QuestionType::String | QuestionType::Integer) => " (type < to go back)",
            (true, _) => " (Esc goes back)",
        };
        let help = q.help.as_deref().map(printable_line).unwrap_or_default();
        if !help.is_empty() || !back_hint.is_empty() {
            let line = format!("  {help}{back_hint}");
            let _ = term.write_line(&console::style(line.trim_end()).dim().to_string());
        }
        let prompt = format!(
            "[{}/{}] {}",
            progress.number,
            progress.total,
            printable_line(q.prompt_text())
        );
        let back = |picked: Option<AnswerValue>| match picked {
            Some(v) => Some(Asked::Value(v)),
            None if progress.can_go_back => Some(Asked::Back),
            // Nothing to go back to: ask again.
            None => None,
        };
        loop {
            let asked = match q.kind {
                QuestionType::Bool => {
                    let d = matches!(default, Some(AnswerValue::Bool(true)));
                    let v = Confirm::with_theme(&self.theme)
                        .with_prompt(&prompt)
                        .default(d)
                        .interact_opt()
                        .map_err(prompt_error)?;
                    back(v.map(AnswerValue::Bool))
                }
                QuestionType::Choice => {
                    let values = q.choice_values();
                    let items: Vec<String> = q
                        .choices
                        .iter()
                        .map(|c| match c.help() {
                            Some(h) => {
                                format!("{} — {}", printable_line(c.value()), printable_line(h))
                            }
                            None => printable_line(c.value()).into_owned(),
                        })
                        .collect();
                    let d = match default {
                        Some(AnswerValue::Str(s)) => {
                            values.iter().position(|v| v == s).unwrap_or(0)
                        }
                        _ => 0,
                    };
                    let i = Select::with_theme(&self.theme)
                        .with_prompt(&prompt)
                        .items(&items)
                        .default(d)
                        .interact_opt()
                        .map_err(prompt_error)?;
                    back(i.map(|i| AnswerValue::Str(values[i].to_string())))
                }
                QuestionType::Multi => {
                    let values = q.choice_values();
                    let shown: Vec<String> = values
                        .iter()
                        .map(|v| printable_line(v).into_owned())
                        .collect();
                    let chosen: Vec<bool> = values
                        .iter()
                        .map(|v| matches!(default, Some(AnswerValue::List(d)) if d.iter().any(|x| x == v)))
                        .collect();
                    let picked = MultiSelect::with_theme(&self.theme)
                        .with_prompt(&prompt)
                        .items(&shown)
                        .defaults(&chosen)
                        .interact_opt()
                        .map_err(prompt_error)?;
                    match picked {
                        Some(picked) => {
                            let value = AnswerValue::List(
                                picked.iter().map(|&i| values[i].to_string()).collect(),
                            );
                            match check(&value) {
                                Ok(()) => Some(Asked::Value(value)),
                                Err(rule) => {
                                    let _ =
                                        term.write_line(&format!("  {}", printable_line(&rule)));
                                    None
                                }
                            }
                        }
                        None => back(None),
                    }
                }
                QuestionType::String | QuestionType::Integer => {
                    let mut input = Input::<String>::with_theme(&self.theme).with_prompt(&prompt);
                    // A default that would not print as it is (it could only fail
                    // validation anyway) is not offered.
                    if let Some(d) = default.map(AnswerValue::to_flag_text)
                        && printable_line(&d) == d
                    {
                        input = input.default(d);
                    }
                    let can_go_back = progress.can_go_back;
                    let text = input
                        .validate_with(|s: &String| -> std::result::Result<(), String> {
                            if can_go_back && s == BACK {
                                return Ok(());
                            }
                            let v = parse_text(q, s).map_err(|e| e.to_string())?;
                            check(&v).map_err(|rule| printable_line(&rule).into_owned())
                        })
                        .interact_text()
                        .map_err(prompt_error)?;
                    if can_go_back && text == BACK {
                        Some(Asked::Back)
                    } else {
                        Some(Asked::Value(parse_text(q, &text)?))
                    }
                }
            };
            if let Some(asked) = asked {
                return Ok(asked);
            }
        }
    }
}
