//! Interactive reply-button and list messages (BTN, LST limits in §1).
//! Other interactive types (cta_url, flow, product, ...) pass unchecked.

use std::collections::HashSet;

use serde_json::Value;

use super::fields::{
    invalid, length, object, only_keys, optional_str, required, required_array, required_str,
    Fields,
};
use super::validate::media;
use crate::errors::GraphError;

const TYPES: &[&str] = &[
    "button",
    "list",
    "cta_url",
    "flow",
    "product",
    "product_list",
    "catalog_message",
    "location_request_message",
    "address_message",
    "voice_call",
];

/// # Errors
/// 100, 131008 or 131009 as Meta answers them.
pub fn check(fields: &Fields) -> Result<(), GraphError> {
    let kind = required_str(fields, "type", "interactive")?;
    if !TYPES.contains(&kind) {
        return Err(invalid(format!(
            "Param interactive['type'] must be one of {{{}}}.",
            TYPES.join(", ")
        )));
    }
    match kind {
        "button" => buttons_message(fields),
        "list" => list_message(fields),
        _ => Ok(()),
    }
}

fn buttons_message(fields: &Fields) -> Result<(), GraphError> {
    only_keys(
        fields,
        &["type", "header", "body", "footer", "action"],
        "interactive",
    )?;
    body_text(fields, 1024)?;
    footer(fields)?;
    if let Some(header) = fields.get("header") {
        header_of(
            object(header, "interactive['header']")?,
            &["text", "image", "video", "document"],
        )?;
    }
    let action = object(
        required(fields, "action", "interactive")?,
        "interactive['action']",
    )?;
    only_keys(action, &["buttons"], "interactive['action']")?;
    let buttons = required_array(action, "buttons", "interactive['action']")?;
    if buttons.is_empty() || buttons.len() > 3 {
        return Err(invalid(
            "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3",
        ));
    }
    let mut titles = HashSet::new();
    let mut ids = HashSet::new();
    for (index, button) in buttons.iter().enumerate() {
        let (id, title) = reply_button(button, index)?;
        if !titles.insert(title) {
            return Err(invalid("Duplicate button titles are not allowed"));
        }
        if !ids.insert(id) {
            return Err(invalid("Duplicate button ids are not allowed"));
        }
    }
    Ok(())
}

fn reply_button(button: &Value, index: usize) -> Result<(&str, &str), GraphError> {
    let path = format!("interactive['action']['buttons'][{index}]");
    let button = object(button, &path)?;
    only_keys(button, &["type", "reply"], &path)?;
    if required_str(button, "type", &path)? != "reply" {
        return Err(invalid(format!("Param {path}['type'] must be 'reply'.")));
    }
    let reply_path = format!("{path}['reply']");
    let reply = object(required(button, "reply", &path)?, &reply_path)?;
    only_keys(reply, &["id", "title"], &reply_path)?;
    let id = required_str(reply, "id", &reply_path)?;
    let title = required_str(reply, "title", &reply_path)?;
    length(id, 1, 256, "Button id", 131009)?;
    length(title, 1, 20, "Button title", 131009)?;
    Ok((id, title))
}

fn list_message(fields: &Fields) -> Result<(), GraphError> {
    only_keys(
        fields,
        &["type", "header", "body", "footer", "action"],
        "interactive",
    )?;
    body_text(fields, 4096)?;
    footer(fields)?;
    if let Some(header) = fields.get("header") {
        header_of(object(header, "interactive['header']")?, &["text"])?;
    }
    let action = object(
        required(fields, "action", "interactive")?,
        "interactive['action']",
    )?;
    only_keys(action, &["button", "sections"], "interactive['action']")?;
    length(
        required_str(action, "button", "interactive['action']")?,
        1,
        20,
        "Button text",
        131009,
    )?;
    let sections = required_array(action, "sections", "interactive['action']")?;
    if sections.is_empty() || sections.len() > 10 {
        return Err(invalid(
            "Invalid number of sections. Min allowed sections: 1, Max allowed sections: 10",
        ));
    }
    let mut row_ids = HashSet::new();
    for (index, section) in sections.iter().enumerate() {
        for id in section_rows(section, index, sections.len() > 1)? {
            if !row_ids.insert(id) {
                return Err(invalid("Duplicate row ids are not allowed"));
            }
        }
    }
    if row_ids.is_empty() || row_ids.len() > 10 {
        return Err(invalid(
            "Invalid number of rows. Min allowed rows: 1, Max allowed rows: 10",
        ));
    }
    Ok(())
}

fn section_rows(
    section: &Value,
    index: usize,
    title_required: bool,
) -> Result<Vec<&str>, GraphError> {
    let path = format!("interactive['action']['sections'][{index}]");
    let section = object(section, &path)?;
    only_keys(section, &["title", "rows", "product_items"], &path)?;
    let title = if title_required {
        Some(required_str(section, "title", &path)?)
    } else {
        optional_str(section, "title", &path)?
    };
    if let Some(title) = title {
        length(title, 1, 24, "Section title", 131009)?;
    }
    let rows = required_array(section, "rows", &path)?;
    rows.iter()
        .enumerate()
        .map(|(row_index, row)| list_row(row, &format!("{path}['rows'][{row_index}]")))
        .collect()
}

fn list_row<'a>(row: &'a Value, path: &str) -> Result<&'a str, GraphError> {
    let row = object(row, path)?;
    only_keys(row, &["id", "title", "description"], path)?;
    let id = required_str(row, "id", path)?;
    length(id, 1, 200, "Row id", 131009)?;
    length(
        required_str(row, "title", path)?,
        1,
        24,
        "Row title",
        131009,
    )?;
    if let Some(description) = optional_str(row, "description", path)? {
        length(description, 0, 72, "Row description", 131009)?;
    }
    Ok(id)
}

fn body_text(fields: &Fields, max: usize) -> Result<(), GraphError> {
    let body = object(
        required(fields, "body", "interactive")?,
        "interactive['body']",
    )?;
    only_keys(body, &["text"], "interactive['body']")?;
    length(
        required_str(body, "text", "interactive['body']")?,
        1,
        max,
        "Body text",
        131009,
    )
}

fn footer(fields: &Fields) -> Result<(), GraphError> {
    let Some(footer) = fields.get("footer") else {
        return Ok(());
    };
    let footer = object(footer, "interactive['footer']")?;
    only_keys(footer, &["text"], "interactive['footer']")?;
    length(
        required_str(footer, "text", "interactive['footer']")?,
        1,
        60,
        "Footer text",
        131009,
    )
}

fn header_of(header: &Fields, kinds: &[&str]) -> Result<(), GraphError> {
    let kind = required_str(header, "type", "interactive['header']")?;
    if !kinds.contains(&kind) {
        return Err(invalid(format!(
            "Header type must be one of {{{}}}.",
            kinds.join(", ")
        )));
    }
    let allowed = ["type", kind];
    only_keys(header, &allowed, "interactive['header']")?;
    let path = format!("interactive['header']['{kind}']");
    if kind == "text" {
        return length(
            required_str(header, "text", "interactive['header']")?,
            1,
            60,
            "Header text",
            131009,
        );
    }
    media(
        object(required(header, kind, "interactive['header']")?, &path)?,
        &path,
        &["id", "link"],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn buttons(titles: &[&str]) -> Value {
        let buttons: Vec<Value> = titles
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"type":"reply","reply":{"id":format!("b{i}"),"title":t}}))
            .collect();
        json!({"type":"button","body":{"text":"Pick"},"action":{"buttons":buttons}})
    }

    fn code(value: Value) -> Option<u32> {
        check(value.as_object().unwrap_or(&Fields::new()))
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn three_distinct_buttons_pass_and_four_fail() {
        assert_eq!(code(buttons(&["a", "b", "c"])), None);
        assert_eq!(code(buttons(&["a", "b", "c", "d"])), Some(131009));
    }

    #[test]
    fn duplicate_or_long_titles_fail() {
        assert_eq!(code(buttons(&["a", "a"])), Some(131009));
        assert_eq!(code(buttons(&["123456789012345678901"])), Some(131009));
    }

    #[test]
    fn lists_allow_ten_rows_in_total() {
        let rows = |n: usize, p: &str| {
            (0..n)
                .map(|i| json!({"id":format!("{p}{i}"),"title":"t"}))
                .collect::<Vec<_>>()
        };
        let list = |sections: Vec<Value>| json!({"type":"list","body":{"text":"b"},"action":{"button":"Go","sections":sections}});
        assert_eq!(
            code(list(vec![json!({"title":"s","rows":rows(10, "r")})])),
            None
        );
        let split = vec![
            json!({"title":"s1","rows":rows(6, "a")}),
            json!({"title":"s2","rows":rows(5, "b")}),
        ];
        assert_eq!(code(list(split)), Some(131009));
    }

    #[test]
    fn list_header_must_be_text() {
        let list = json!({"type":"list","header":{"type":"image","image":{"id":"1"}},"body":{"text":"b"},
            "action":{"button":"Go","sections":[{"rows":[{"id":"r","title":"t"}]}]}});
        assert_eq!(code(list), Some(131009));
    }
}
