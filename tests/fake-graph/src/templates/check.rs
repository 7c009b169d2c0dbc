//! A template send checked against the stored template, as Meta does:
//! lookup by name and `language.code`, status, then placeholder counts
//! (132000) and parameter types (132012) per component.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    placeholders, FakeTemplate, TemplateButton, TemplateHeader, TemplateStatus, TemplateStore,
};
use crate::errors::GraphError;
use crate::send::fields::{object, only_keys, required_str};

/// The parameters a send gave, per component.
#[derive(Debug, Default)]
struct SentComponents<'a> {
    header: Vec<&'a Value>,
    body: Vec<&'a Value>,
    /// By button index: (sub_type, parameters).
    buttons: BTreeMap<usize, (String, Vec<&'a Value>)>,
}

/// Checks a template send; gives the template's lower-case category, for pricing.
///
/// # Errors
/// 132001 missing or not approved, 132015 paused, 132016 disabled,
/// 132000 count mismatch, 132012 wrong parameter type or format.
pub fn check(store: &TemplateStore, waba_id: &str, request: &Value) -> Result<String, GraphError> {
    let name = request["name"].as_str().unwrap_or_default();
    let language = request["language"]["code"].as_str().unwrap_or_default();
    let stored = store
        .find(waba_id, name, language)
        .ok_or_else(|| not_found(name, language))?;
    let template = &stored.template;
    match template.status {
        TemplateStatus::Approved => {}
        TemplateStatus::Paused => return Err(GraphError::code(132015)),
        TemplateStatus::Disabled => return Err(GraphError::code(132016)),
        _ => return Err(not_found(name, language)),
    }
    let empty = Vec::new();
    let sent = collect(
        request
            .get("components")
            .and_then(Value::as_array)
            .unwrap_or(&empty),
    )?;
    check_header(template, &sent.header)?;
    check_body(template, &sent.body)?;
    check_buttons(template, &sent.buttons)?;
    Ok(template.category.to_lowercase())
}

fn not_found(name: &str, language: &str) -> GraphError {
    GraphError::with_details(
        132001,
        format!("template name ({name}) does not exist in {language}"),
    )
}

fn collect(components: &[Value]) -> Result<SentComponents<'_>, GraphError> {
    let mut sent = SentComponents::default();
    for component in components {
        let fields = object(component, "template['components']")?;
        only_keys(
            fields,
            &["type", "sub_type", "index", "parameters"],
            "template['components']",
        )?;
        let parameters: Vec<&Value> = match fields.get("parameters") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(_) => {
                return Err(GraphError::with_details(
                    100,
                    "Param parameters must be an array.",
                ))
            }
        };
        match required_str(fields, "type", "template['components']")?
            .to_lowercase()
            .as_str()
        {
            "header" => sent.header = parameters,
            "body" => sent.body = parameters,
            "button" => {
                let sub_type =
                    required_str(fields, "sub_type", "template['components']")?.to_lowercase();
                sent.buttons
                    .insert(button_index(fields.get("index"))?, (sub_type, parameters));
            }
            other => {
                return Err(GraphError::with_details(
                    100,
                    format!("Invalid component type: {other}"),
                ))
            }
        }
    }
    Ok(sent)
}

fn button_index(index: Option<&Value>) -> Result<usize, GraphError> {
    let parsed = match index {
        Some(Value::String(text)) => text.parse().ok(),
        Some(Value::Number(number)) => number.as_u64().and_then(|n| usize::try_from(n).ok()),
        _ => None,
    };
    parsed.ok_or_else(|| {
        GraphError::with_details(
            131008,
            "The parameter index is required for button components.",
        )
    })
}

fn check_header(template: &FakeTemplate, sent: &[&Value]) -> Result<(), GraphError> {
    match &template.header {
        None => expect_count("header", 0, sent.len()),
        Some(TemplateHeader::Text(text)) => {
            let names = placeholders(text);
            expect_count("header", names.len(), sent.len())?;
            check_params(
                sent,
                &["text"],
                template.is_named().then_some(names.as_slice()),
                "header",
            )
        }
        Some(media) => {
            expect_count("header", 1, sent.len())?;
            let kind = media.format().to_lowercase();
            check_params(sent, &[kind.as_str()], None, "header")
        }
    }
}

fn check_body(template: &FakeTemplate, sent: &[&Value]) -> Result<(), GraphError> {
    let names = placeholders(&template.body);
    expect_count("body", names.len(), sent.len())?;
    let named = template.is_named().then_some(names.as_slice());
    check_params(sent, &["text", "currency", "date_time"], named, "body")
}

fn check_buttons(
    template: &FakeTemplate,
    sent: &BTreeMap<usize, (String, Vec<&Value>)>,
) -> Result<(), GraphError> {
    for (index, button) in template.buttons.iter().enumerate() {
        if let TemplateButton::Url { url, .. } = button {
            let wanted = placeholders(url).len();
            let given = sent.get(&index).map_or(0, |(_, params)| params.len());
            expect_count(&format!("button {index}"), wanted, given)?;
        }
    }
    for (index, (sub_type, params)) in sent {
        let button = template.buttons.get(*index).ok_or_else(|| {
            GraphError::with_details(132000, format!("Button at index {index} does not exist."))
        })?;
        let allowed = match (button, sub_type.as_str()) {
            (TemplateButton::Url { .. }, "url") => "text",
            (TemplateButton::QuickReply { .. }, "quick_reply") => "payload",
            (TemplateButton::CopyCode { .. }, "copy_code") => "coupon_code",
            _ => {
                return Err(format_mismatch(&format!(
                    "button {index}: sub_type {sub_type} does not match the template"
                )))
            }
        };
        if params.len() > 1 {
            return Err(count_mismatch(&format!("button {index}"), 1, params.len()));
        }
        check_params(params, &[allowed], None, &format!("button {index}"))?;
    }
    Ok(())
}

fn expect_count(component: &str, expected: usize, given: usize) -> Result<(), GraphError> {
    if expected == given {
        Ok(())
    } else {
        Err(count_mismatch(component, expected, given))
    }
}

fn count_mismatch(component: &str, expected: usize, given: usize) -> GraphError {
    GraphError::with_details(132000, format!("number of localizable_params ({given}) does not match the expected number of params ({expected}) in {component}"))
}

fn format_mismatch(details: &str) -> GraphError {
    GraphError::with_details(132012, details.to_owned())
}

/// Each parameter has an allowed `type`, its value, and — for named
/// templates — a `parameter_name` that is one of the placeholders.
fn check_params(
    params: &[&Value],
    types: &[&str],
    names: Option<&[String]>,
    component: &str,
) -> Result<(), GraphError> {
    for param in params {
        let Some(fields) = param.as_object() else {
            return Err(format_mismatch(&format!(
                "{component}: parameter is not an object"
            )));
        };
        let kind = required_str(fields, "type", component)?;
        if !types.contains(&kind) {
            return Err(format_mismatch(&format!(
                "{component}: expected {}, received {}",
                types.join(" or "),
                kind.to_uppercase()
            )));
        }
        if fields.get(kind).is_none_or(Value::is_null) {
            return Err(GraphError::with_details(
                131008,
                format!("The parameter {component}['{kind}'] is required."),
            ));
        }
        check_name(
            fields.get("parameter_name").and_then(Value::as_str),
            names,
            component,
        )?;
    }
    Ok(())
}

fn check_name(
    given: Option<&str>,
    names: Option<&[String]>,
    component: &str,
) -> Result<(), GraphError> {
    match (names, given) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(format_mismatch(&format!(
            "{component}: parameter_name given for a positional template"
        ))),
        (Some(_), None) => Err(format_mismatch(&format!(
            "{component}: parameter_name is required for a named template"
        ))),
        (Some(names), Some(name)) if names.iter().any(|n| n == name) => Ok(()),
        (Some(_), Some(name)) => Err(format_mismatch(&format!(
            "{component}: unknown parameter_name {name}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store(template: FakeTemplate) -> TemplateStore {
        let mut store = TemplateStore::default();
        store.put("1".to_owned(), template);
        store
    }

    fn code(store: &TemplateStore, request: Value) -> Option<u32> {
        check(store, "waba", &request).err().map(|e| e.code)
    }

    fn send(components: Value) -> Value {
        json!({"name":"order","language":{"code":"en_US"},"components":components})
    }

    #[test]
    fn matching_positional_parameters_pass() {
        let store = store(FakeTemplate::new("order", "en_US", "Hi {{1}}, order {{2}}"));
        let body = json!([{"type":"body","parameters":[{"type":"text","text":"A"},{"type":"text","text":"B"}]}]);
        assert_eq!(
            check(&store, "waba", &send(body)).ok().as_deref(),
            Some("utility")
        );
    }

    #[test]
    fn wrong_count_is_132000_and_wrong_language_is_132001() {
        let store = store(FakeTemplate::new("order", "en_US", "Hi {{1}}, order {{2}}"));
        assert_eq!(
            code(
                &store,
                send(json!([{"type":"body","parameters":[{"type":"text","text":"A"}]}]))
            ),
            Some(132000)
        );
        assert_eq!(
            code(&store, json!({"name":"order","language":{"code":"de"}})),
            Some(132001)
        );
    }

    #[test]
    fn paused_disabled_and_pending_templates_fail_with_their_codes() {
        let paused =
            store(FakeTemplate::new("order", "en_US", "x").with_status(TemplateStatus::Paused));
        let disabled =
            store(FakeTemplate::new("order", "en_US", "x").with_status(TemplateStatus::Disabled));
        let pending =
            store(FakeTemplate::new("order", "en_US", "x").with_status(TemplateStatus::Pending));
        assert_eq!(code(&paused, send(json!([]))), Some(132015));
        assert_eq!(code(&disabled, send(json!([]))), Some(132016));
        assert_eq!(code(&pending, send(json!([]))), Some(132001));
    }

    #[test]
    fn image_parameter_for_a_text_header_is_132012() {
        let store = store(
            FakeTemplate::new("order", "en_US", "x")
                .with_header(TemplateHeader::Text("Hi {{1}}".into())),
        );
        let header = json!([{"type":"header","parameters":[{"type":"image","image":{"link":"https://x/y.jpg"}}]}]);
        assert_eq!(code(&store, send(header)), Some(132012));
    }

    #[test]
    fn named_parameters_need_parameter_name() {
        let store = store(FakeTemplate::new("order", "en_US", "Hi {{first_name}}"));
        let without = json!([{"type":"body","parameters":[{"type":"text","text":"A"}]}]);
        let with = json!([{"type":"body","parameters":[{"type":"text","text":"A","parameter_name":"first_name"}]}]);
        assert_eq!(code(&store, send(without)), Some(132012));
        assert_eq!(code(&store, send(with)), None);
    }

    #[test]
    fn url_button_suffix_is_counted() {
        let template = FakeTemplate::new("order", "en_US", "x").with_button(TemplateButton::Url {
            text: "Track".into(),
            url: "https://x/{{1}}".into(),
        });
        let store = store(template);
        assert_eq!(code(&store, send(json!([]))), Some(132000));
        let button = json!([{"type":"button","sub_type":"url","index":"0","parameters":[{"type":"text","text":"o/1"}]}]);
        assert_eq!(code(&store, send(button)), None);
    }
}
