//! Meta's own examples (cloud-api.md §1), the checks at the root, and the
//! JSON round trip.

use serde_json::{json, Value};

use super::*;

fn parse(value: Value) -> Result<MessageContent, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

fn refused_field(value: Value) -> String {
    let raw: RawMessageContent = serde_json::from_value(value).unwrap();
    MessageContent::try_from(raw).unwrap_err().field
}

fn text_example() -> Value {
    json!({"type":"text","text":{"preview_url":false,"body":"Hello"}})
}

fn image_by_link_example() -> Value {
    json!({"type":"image","image":{"link":"https://x/y.jpg","caption":"opt"}})
}

fn document_by_id_example() -> Value {
    json!({"type":"document","document":{"id":"1037543291543636","filename":"inv.pdf","caption":"opt"}})
}

fn template_example() -> Value {
    json!({"type":"template","template":{"name":"order_confirmation","language":{"code":"en_US"},
     "components":[
      {"type":"header","parameters":[{"type":"image","image":{"link":"https://x/h.jpg"}}]},
      {"type":"body","parameters":[{"type":"text","text":"Jessica"},
        {"type":"currency","currency":{"fallback_value":"$100.99","code":"USD","amount_1000":100990}},
        {"type":"date_time","date_time":{"fallback_value":"February 25, 1977"}}]},
      {"type":"button","sub_type":"quick_reply","index":"0","parameters":[{"type":"payload","payload":"CANCEL_123"}]},
      {"type":"button","sub_type":"url","index":"1","parameters":[{"type":"text","text":"order/123"}]}]}})
}

fn reply_buttons_example() -> Value {
    json!({"type":"interactive","interactive":{"type":"button","body":{"text":"Reschedule?"},"footer":{"text":"opt"},
     "action":{"buttons":[{"type":"reply","reply":{"id":"change-button","title":"Change"}},
                          {"type":"reply","reply":{"id":"cancel-button","title":"Cancel"}}]}}})
}

fn list_example() -> Value {
    json!({"type":"interactive","interactive":{"type":"list","header":{"type":"text","text":"Shipping"},
     "body":{"text":"Which option?"},"action":{"button":"Options","sections":[{"title":"Fast",
     "rows":[{"id":"priority_express","title":"Priority Mail Express","description":"Next Day to 2 Days"}]}]}}})
}

fn examples() -> Vec<Value> {
    vec![
        text_example(),
        image_by_link_example(),
        document_by_id_example(),
        template_example(),
        reply_buttons_example(),
        list_example(),
    ]
}

#[test]
fn metas_examples_parse() {
    let kinds: Vec<MessageKind> = examples()
        .into_iter()
        .map(|example| parse(example).unwrap().kind())
        .collect();
    use MessageKind::*;
    assert_eq!(
        kinds,
        [Text, Image, Document, Template, Interactive, Interactive]
    );
}

#[test]
fn serializing_gives_back_metas_json() {
    for example in examples() {
        let content = parse(example.clone()).unwrap();
        assert_eq!(serde_json::to_value(&content).unwrap(), example);
    }
}

#[test]
fn a_round_trip_is_the_identity() {
    for example in examples() {
        let content = parse(example).unwrap();
        let json = serde_json::to_string(&content).unwrap();
        assert_eq!(
            serde_json::from_str::<MessageContent>(&json).unwrap(),
            content
        );
    }
}

#[test]
fn metas_date_time_example_with_its_old_fields_parses() {
    let content = parse(
        json!({"type":"template","template":{"name":"t","language":{"code":"en","policy":"deterministic"},
      "components":[{"type":"body","parameters":[{"type":"date_time","date_time":{"calendar":"GREGORIAN",
        "day_of_month":25,"day_of_week":5,"fallback_value":"February 25, 1977","hour":15,"minute":33,"month":2,"year":1977}}]}]}}),
    );
    assert!(content.is_ok(), "{content:?}");
}

#[test]
fn a_location_header_takes_coordinates_as_numbers_or_text() {
    for latitude in [json!(37.48), json!("37.48")] {
        let content = parse(
            json!({"type":"template","template":{"name":"t","language":{"code":"en"},
          "components":[{"type":"header","parameters":[{"type":"location","location":{
            "latitude":latitude,"longitude":"-122.14","name":"Meta HQ"}}]}]}}),
        );
        assert!(content.is_ok(), "{content:?}");
    }
}

#[test]
fn named_parameters_parse() {
    let content = parse(
        json!({"type":"template","template":{"name":"t","language":{"code":"en"},
      "components":[{"type":"body","parameters":[{"type":"text","parameter_name":"first_name","text":"Ana"}]}]}}),
    );
    assert!(content.is_ok(), "{content:?}");
}

#[test]
fn unknown_fields_are_refused() {
    let root = json!({"type":"text","text":{"body":"Hi"},"colour":"red"});
    assert!(parse(root).unwrap_err().contains("colour"));
    let nested = json!({"type":"text","text":{"body":"Hi","preview":true}});
    assert!(parse(nested).unwrap_err().contains("preview"));
    let in_a_parameter = json!({"type":"template","template":{"name":"t","language":{"code":"en"},
      "components":[{"type":"body","parameters":[{"type":"text","text":"a","extra":1}]}]}});
    assert!(parse(in_a_parameter).unwrap_err().contains("extra"));
    let in_a_component = json!({"type":"template","template":{"name":"t","language":{"code":"en"},
      "components":[{"type":"body","parameters":[],"extra":1}]}});
    assert!(parse(in_a_component).unwrap_err().contains("extra"));
}

#[test]
fn unsupported_types_are_refused() {
    assert!(parse(json!({"type":"location","location":{}})).is_err());
    let flow =
        json!({"type":"interactive","interactive":{"type":"flow","body":{"text":"x"},"action":{}}});
    assert!(parse(flow).is_err());
}

#[test]
fn the_object_named_by_type_is_required() {
    assert_eq!(refused_field(json!({"type":"image"})), "image");
}

#[test]
fn an_object_of_another_type_is_refused() {
    let both = json!({"type":"text","text":{"body":"Hi"},"image":{"link":"https://x/y.jpg"}});
    assert_eq!(refused_field(both), "image");
}

#[test]
fn a_text_body_has_1_to_4096_characters() {
    assert_eq!(
        refused_field(json!({"type":"text","text":{"body":" "}})),
        "text.body"
    );
    let long = "é".repeat(4097);
    assert_eq!(
        refused_field(json!({"type":"text","text":{"body":long}})),
        "text.body"
    );
    assert!(MessageContent::text("é".repeat(4096)).is_ok());
}

#[test]
fn a_media_link_must_be_http() {
    let ftp = json!({"type":"video","video":{"link":"ftp://x/v.mp4"}});
    assert_eq!(refused_field(ftp), "video.link");
}

#[test]
fn template_errors_name_their_parameter() {
    let mut example = template_example();
    example["template"]["components"][1]["parameters"][1]["currency"]["code"] = json!("dollars");
    assert_eq!(
        refused_field(example),
        "template.components[1].parameters[1].currency.code"
    );
    let mut example = template_example();
    example["template"]["components"][0]["parameters"][0]["image"]["caption"] = json!("no");
    assert_eq!(
        refused_field(example),
        "template.components[0].parameters[0].image.caption"
    );
}

#[test]
fn kind_and_summary_follow_the_content() {
    let summaries: Vec<Option<String>> = examples()
        .into_iter()
        .map(|example| parse(example).unwrap().summary())
        .collect();
    let expected = [
        "Hello",
        "opt",
        "opt",
        "order_confirmation",
        "Reschedule?",
        "Which option?",
    ];
    assert_eq!(summaries, expected.map(|s| Some(s.to_owned())));
    assert_eq!(MessageKind::Interactive.as_str(), "interactive");
}

#[test]
fn media_link_reads_the_media_or_the_header() {
    let links: Vec<Option<String>> = examples()
        .into_iter()
        .map(|example| parse(example).unwrap().media_link().map(str::to_owned))
        .collect();
    let image = Some("https://x/y.jpg".to_owned());
    let header = Some("https://x/h.jpg".to_owned());
    assert_eq!(links, [None, image, None, header, None, None]);
}

#[test]
fn only_templates_are_templates() {
    let flags: Vec<bool> = examples()
        .into_iter()
        .map(|example| parse(example).unwrap().is_template())
        .collect();
    assert_eq!(flags, [false, false, false, true, false, false]);
}
