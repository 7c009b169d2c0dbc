//! The public checks against the bundled file: what a correct body looks
//! like, and that clearly broken ones are refused with a pointer to the fault.

use herald_openapi_check::{OpenApiContract, Violation};
use serde_json::{json, Value as Json};

const MESSAGES: &str = "/v23.0/106540352242922/messages";

fn contract() -> &'static OpenApiContract {
    match OpenApiContract::bundled_shared() {
        Ok(contract) => contract,
        Err(error) => panic!("bundled contract does not load: {error}"),
    }
}

fn text_message() -> Json {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16505551234",
        "type": "text",
        "text": {"body": "Your order has shipped", "preview_url": false}
    })
}

/// The violations `check` found; none when it passed.
fn violations(result: Result<(), Vec<Violation>>) -> Vec<Violation> {
    result.err().unwrap_or_default()
}

fn send(body: &Json) -> Vec<Violation> {
    violations(contract().check_request("POST", MESSAGES, body))
}

fn pointers(found: &[Violation]) -> Vec<&str> {
    found.iter().map(|v| v.pointer.as_str()).collect()
}

#[test]
fn a_well_formed_text_message_passes() {
    assert_eq!(send(&text_message()), []);
}

#[test]
fn a_numeric_text_body_is_refused_at_its_pointer() {
    let mut body = text_message();
    body["text"]["body"] = json!(5);
    let found = send(&body);
    assert_eq!(
        found.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["/text/body: expected string, got number"]
    );
}

#[test]
fn a_message_without_messaging_product_is_refused() {
    // BaseMessageProperties requires messaging_product, recipient_type, to and type.
    let mut body = text_message();
    body.as_object_mut()
        .map(|fields| fields.remove("messaging_product"));
    let found = send(&body);
    assert_eq!(pointers(&found), [""]);
    assert!(
        found[0].message.contains("`messaging_product`"),
        "{found:?}"
    );
}

#[test]
fn an_unknown_message_type_is_refused_at_type() {
    let mut body = text_message();
    body["type"] = json!("telegram");
    let found = send(&body);
    assert_eq!(pointers(&found), ["/type"]);
    assert!(found[0].message.contains(r#"got "telegram""#), "{found:?}");
}

#[test]
fn an_undeclared_property_is_refused_through_all_of() {
    let mut body = text_message();
    body["text"]["bold"] = json!(true);
    body["priority"] = json!("high");
    let mut found = pointers(&send(&body))
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    found.sort();
    assert_eq!(found, ["/priority", "/text/bold"]);
}

#[test]
fn media_with_both_id_and_link_is_refused() {
    let body = json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
        "type": "image", "image": {"id": "1234", "link": "https://example.com/a.png"}
    });
    let found = send(&body);
    assert_eq!(pointers(&found), ["/image"]);
    assert!(found[0].message.contains("exactly one"), "{found:?}");
}

#[test]
fn a_template_message_with_policy_passes() {
    let body = json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "en_US", "policy": "deterministic"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "42"}]}]
        }
    });
    assert_eq!(send(&body), []);
}

#[test]
fn an_unknown_path_is_a_violation() {
    let found =
        violations(contract().check_request("POST", "/v23.0/106540352242922/nonsense", &json!({})));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.starts_with("no operation POST"),
        "{found:?}"
    );
}

#[test]
fn an_operation_without_a_json_body_only_has_to_exist() {
    let contract = contract();
    assert_eq!(
        contract.check_request("GET", "/v23.0/1037543291543636", &Json::Null),
        Ok(())
    );
    assert_eq!(
        contract.check_request("DELETE", "/v23.0/1037543291543636", &Json::Null),
        Ok(())
    );
}

#[test]
fn check_operation_names_the_operation_by_id() {
    let contract = contract();
    assert_eq!(
        contract.check_operation("sendMessage", &text_message()),
        Ok(())
    );
    assert!(contract
        .check_operation("noSuchOperation", &text_message())
        .is_err());
}

#[test]
fn a_read_receipt_fits_its_component_schema_but_not_send_message() {
    let receipt =
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.HBgL"});
    assert_eq!(
        contract().check_component("MarkMessageRequestPayload", &receipt),
        Ok(())
    );
    assert!(!send(&receipt).is_empty());
}

fn incoming_text_webhook() -> Json {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "419561257915477",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                    "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
                    "messages": [{
                        "from": "16505551234", "id": "wamid.HBgLMTY1MDM4", "timestamp": "1749416383",
                        "type": "text", "text": {"body": "Does it come in another color?"}
                    }]
                }
            }]
        }]
    })
}

#[test]
fn an_incoming_text_webhook_passes() {
    assert_eq!(contract().check_webhook(&incoming_text_webhook()), Ok(()));
}

#[test]
fn a_status_webhook_passes() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "419561257915477", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "statuses": [{
                "id": "wamid.HBgLMTY1MDM4", "status": "delivered", "timestamp": "1750263773",
                "recipient_id": "16505551234",
                "pricing": {"billable": true, "pricing_model": "PMP", "category": "utility"}
            }]
        }}]}]
    });
    assert_eq!(contract().check_webhook(&body), Ok(()));
}

#[test]
fn a_webhook_whose_entry_is_not_an_array_is_refused() {
    let mut body = incoming_text_webhook();
    body["entry"] = json!("x");
    let found = violations(contract().check_webhook(&body));
    assert_eq!(
        found.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["/entry: expected array, got string"]
    );
}

#[test]
fn a_webhook_status_outside_the_enum_is_refused() {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "statuses": [{"id": "wamid.1", "status": "seen", "timestamp": "1", "recipient_id": "1"}]
        }}]}]
    });
    let found = violations(contract().check_webhook(&body));
    assert_eq!(pointers(&found), ["/entry/0/changes/0/value"]);
    assert!(
        found[0]
            .message
            .contains("/entry/0/changes/0/value/statuses/0/status"),
        "{found:?}"
    );
}
