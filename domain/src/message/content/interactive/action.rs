//! The action of an interactive message: its reply buttons, or its list's
//! button, sections and rows.

use std::collections::HashSet;

use super::super::{optional_text, required_text};
use super::{limits, ActionObject, ReplyButton, SectionObject};
use crate::value::FieldError;

impl ActionObject {
    pub(super) fn check_buttons(&self) -> Result<(), FieldError> {
        refuse(
            "interactive.action.button",
            self.button.is_some(),
            "belongs to a list message",
        )?;
        refuse(
            "interactive.action.sections",
            self.sections.is_some(),
            "belongs to a list message",
        )?;
        let buttons = self.buttons.as_deref().unwrap_or_default();
        if buttons.is_empty() || buttons.len() > limits::BUTTONS {
            return Err(FieldError::new(
                "interactive.action.buttons",
                format!(
                    "must hold 1 to {} buttons (has {})",
                    limits::BUTTONS,
                    buttons.len()
                ),
            ));
        }
        let mut ids = Unique::default();
        let mut titles = Unique::default();
        for (i, ReplyButton { reply, .. }) in buttons.iter().enumerate() {
            let path = format!("interactive.action.buttons[{i}].reply");
            check_id(
                &format!("{path}.id"),
                &reply.id,
                limits::BUTTON_ID,
                &mut ids,
            )?;
            let title = format!("{path}.title");
            required_text(&title, &reply.title, limits::BUTTON_TITLE)?;
            titles.insert(&title, &reply.title)?;
        }
        Ok(())
    }

    pub(super) fn check_list(&self) -> Result<(), FieldError> {
        refuse(
            "interactive.action.buttons",
            self.buttons.is_some(),
            "belongs to a reply-button message",
        )?;
        let button = self.button.as_deref().unwrap_or_default();
        required_text("interactive.action.button", button, limits::LIST_BUTTON)?;
        let sections = self.sections.as_deref().unwrap_or_default();
        if sections.is_empty() || sections.len() > limits::SECTIONS {
            return Err(FieldError::new(
                "interactive.action.sections",
                format!(
                    "must hold 1 to {} sections (has {})",
                    limits::SECTIONS,
                    sections.len()
                ),
            ));
        }
        let rows: usize = sections.iter().map(|s| s.rows.len()).sum();
        if rows > limits::ROWS {
            return Err(FieldError::new(
                "interactive.action.sections",
                format!(
                    "a list holds at most {} rows in all (has {rows})",
                    limits::ROWS
                ),
            ));
        }
        let mut ids = Unique::default();
        for (i, section) in sections.iter().enumerate() {
            section.check(
                &format!("interactive.action.sections[{i}]"),
                sections.len(),
                &mut ids,
            )?;
        }
        Ok(())
    }
}

impl SectionObject {
    fn check(&self, path: &str, sections: usize, ids: &mut Unique) -> Result<(), FieldError> {
        let title = format!("{path}.title");
        match &self.title {
            None if sections > 1 => {
                return Err(FieldError::new(
                    title,
                    "is required when a list has several sections",
                ))
            }
            title_text => optional_text(&title, title_text.as_deref(), limits::SECTION_TITLE)?,
        }
        if self.rows.is_empty() {
            return Err(FieldError::new(
                format!("{path}.rows"),
                "must hold at least one row",
            ));
        }
        for (j, row) in self.rows.iter().enumerate() {
            let row_path = format!("{path}.rows[{j}]");
            check_id(&format!("{row_path}.id"), &row.id, limits::ROW_ID, ids)?;
            required_text(&format!("{row_path}.title"), &row.title, limits::ROW_TITLE)?;
            let description = row.description.as_deref();
            optional_text(
                &format!("{row_path}.description"),
                description,
                limits::ROW_DESCRIPTION,
            )?;
        }
        Ok(())
    }
}

fn refuse(field: &str, present: bool, reason: &str) -> Result<(), FieldError> {
    if present {
        Err(FieldError::new(field, reason))
    } else {
        Ok(())
    }
}

/// An id comes back in the reply webhook, so it must tell the choices apart,
/// and Meta refuses leading or trailing spaces in it.
fn check_id(field: &str, id: &str, max: usize, seen: &mut Unique) -> Result<(), FieldError> {
    required_text(field, id, max)?;
    if id.trim() != id {
        return Err(FieldError::new(field, "must not start or end with a space"));
    }
    seen.insert(field, id)
}

/// Values that must differ from each other within one message.
#[derive(Default)]
struct Unique(HashSet<String>);

impl Unique {
    fn insert(&mut self, field: &str, value: &str) -> Result<(), FieldError> {
        if self.0.insert(value.to_owned()) {
            Ok(())
        } else {
            Err(FieldError::new(
                field,
                format!("{value:?} is used twice; each must be unique"),
            ))
        }
    }
}
