//! Runs every example Meta's file gives for a request body through the
//! checker, and prints which pass.
//!
//! A checker that refuses Meta's own examples is either wrong or has found a
//! place where Meta's schema disagrees with Meta's examples. Every refusal
//! below was traced to the schema (the reasons are in the tables): the
//! checker applies what the schema says, and these tests pin the list so a
//! change in either shows up.

use std::collections::BTreeSet;

use herald_openapi_check::{OpenApiContract, RequestExample, Violation};

const SEND_MESSAGE_PATH: &str = "/v23.0/106540352242922/messages";

/// `sendMessage` examples that Meta's `Message` schema refuses, and why.
/// Meta's own API accepts these bodies; the schema is stricter or older.
const SEND_MESSAGE_REFUSED: &[(&str, &str)] = &[
    ("Send Catalog Template Message", "button `index` is a number and `sub_type` is CATALOG; the schema wants a string and lower case; `language.policy` missing"),
    ("Send Contact Message", "`recipient_type` missing; BaseMessageProperties requires it"),
    ("Send Flow Template Message", "`recipient_type` and `language.policy` missing; `sub_type` flow is not in the enum"),
    ("Send Location Message", "latitude and longitude are numbers; the schema types them string (its own `example` is a number)"),
    ("Send Message Template Interactive", "`language.policy` missing; LanguageObject requires it"),
    ("Send Message Template Media", "`language.policy` missing"),
    ("Send Message Template Text", "`language.policy` missing"),
    ("Send Multi-Product Message", "placeholder `<HEADER_TYPE>` where the header `type` enum belongs"),
    ("Send Order Details Message", "`order_details` is not in the interactive `type` enum, nor its action in ActionObject's oneOf"),
    ("Send Order Status Message", "`order_status` is not in the interactive `type` enum, nor its action in ActionObject's oneOf"),
    ("Send Reply to Contact Message", "`recipient_type` missing"),
    ("Send Reply to List Message", "`type` missing; every Message branch requires it"),
    ("Send Reply to Location Message", "latitude and longitude are numbers; the schema types them string"),
    ("Send Sample Issue Resolution Template", "`recipient_type` missing; button `index` is a number"),
    ("Send Sample Shipping Confirmation Template", "`language.policy` missing"),
    ("Send Sample Text Message", "`language.policy` missing"),
    ("Send Test Message", "`recipient_type` and `language.policy` missing"),
    ("Send Text Message with Preview URL", "`recipient_type` and `type` missing"),
    ("Send typing indicator and read receipt", "a read receipt, not a message: no Message branch describes it"),
];

/// Webhook examples that Meta's `WebhookPayload` schema refuses, and why.
const WEBHOOK_REFUSED: &[(&str, &str)] = &[
    ("Group Create Message", "participant `input` is a number; Groups types it string"),
    ("Group Remove Participants", "`input` is a number, and field `group_participants_update` is not in Change's enum (`group_participant_update`)"),
    ("Group Settings Update", "group `timestamp` is a string; Groups types it integer"),
];

fn contract() -> &'static OpenApiContract {
    match OpenApiContract::bundled_shared() {
        Ok(contract) => contract,
        Err(error) => panic!("bundled contract does not load: {error}"),
    }
}

/// Checks each example and prints a line for each; returns the refused names.
fn refused<'c>(
    examples: &[RequestExample<'c>],
    check: impl Fn(&serde_json::Value) -> Result<(), Vec<Violation>>,
) -> BTreeSet<&'c str> {
    let mut refused = BTreeSet::new();
    for example in examples {
        match check(example.value) {
            Ok(()) => println!("pass     {}", example.name),
            Err(found) => {
                println!("refused  {}", example.name);
                found
                    .iter()
                    .for_each(|violation| println!("           {violation}"));
                refused.insert(example.name);
            }
        }
    }
    println!(
        "{} of {} examples pass",
        examples.len() - refused.len(),
        examples.len()
    );
    refused
}

fn names<'a>(table: &[(&'a str, &str)]) -> BTreeSet<&'a str> {
    table.iter().map(|(name, _)| *name).collect()
}

#[test]
fn send_message_examples_pass_unless_the_schema_disagrees() {
    let contract = contract();
    let examples = contract.request_examples("POST", SEND_MESSAGE_PATH);
    assert_eq!(
        examples.len(),
        50,
        "Meta's file has 50 sendMessage examples"
    );
    let refused = refused(&examples, |body| {
        contract.check_request("POST", SEND_MESSAGE_PATH, body)
    });
    assert_eq!(refused, names(SEND_MESSAGE_REFUSED));
}

#[test]
fn webhook_examples_pass_unless_the_schema_disagrees() {
    let contract = contract();
    let examples = contract.request_examples("POST", "/whatsapp/webhooks");
    assert_eq!(examples.len(), 16, "Meta's file has 16 webhook examples");
    let refused = refused(&examples, |body| contract.check_webhook(body));
    assert_eq!(refused, names(WEBHOOK_REFUSED));
}
