//! Media over real HTTP: upload, media object, authenticated download,
//! URL expiry, delete.

mod common;

use std::time::Duration;

use common::{start, Answer, TestGraph};

const BOUNDARY: &str = "fakegraphboundary";

async fn upload(graph: &TestGraph, bytes: &[u8], mime: &str) -> Answer {
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n").as_bytes(),
    );
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\nContent-Type: {mime}\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let url = graph.url(&format!("{}/media", graph.number.phone_number_id));
    let response = graph
        .client
        .post(url)
        .bearer_auth(&graph.number.access_token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await;
    common::answer(response.expect("answer"))
        .await
        .expect("body")
}

#[tokio::test]
async fn uploaded_media_can_be_described_and_downloaded_with_a_token() {
    let graph = start().await;
    let uploaded = upload(&graph, b"\xff\xd8jpeg-bytes", "image/jpeg").await;
    let id = uploaded.body["id"].as_str().expect("an id").to_owned();

    let media = graph.get(&id).await;
    assert_eq!(media.body["messaging_product"], "whatsapp");
    assert_eq!(media.body["mime_type"], "image/jpeg");
    assert_eq!(media.body["id"], id.as_str());
    assert_eq!(media.body["file_size"], "12");
    assert!(media.body["sha256"].is_string());
    let url = media.body["url"].as_str().expect("a url").to_owned();

    let without_token = graph.client.get(&url).send().await.expect("answer");
    assert_eq!(without_token.status().as_u16(), 401);
    let download = graph
        .client
        .get(&url)
        .bearer_auth(&graph.number.access_token)
        .send()
        .await
        .expect("answer");
    assert_eq!(download.status().as_u16(), 200);
    assert_eq!(
        download.bytes().await.expect("bytes").as_ref(),
        b"\xff\xd8jpeg-bytes"
    );
}

#[tokio::test]
async fn a_media_url_is_stale_after_five_minutes() {
    let graph = start().await;
    let id = graph
        .fake
        .add_media(&graph.number.phone_number_id, "audio/ogg", &b"ogg"[..]);
    let url = graph.get(&id).await.body["url"]
        .as_str()
        .expect("a url")
        .to_owned();
    graph.fake.advance_clock(Duration::from_secs(301));
    let stale = graph
        .client
        .get(&url)
        .bearer_auth(&graph.number.access_token)
        .send()
        .await
        .expect("answer");
    assert_eq!(stale.status().as_u16(), 404);

    let fresh = graph.get(&id).await.body["url"]
        .as_str()
        .expect("a url")
        .to_owned();
    let again = graph
        .client
        .get(&fresh)
        .bearer_auth(&graph.number.access_token)
        .send()
        .await
        .expect("answer");
    assert_eq!(again.status().as_u16(), 200);
}

#[tokio::test]
async fn deleted_media_is_gone() {
    let graph = start().await;
    let id = graph
        .fake
        .add_media(&graph.number.phone_number_id, "image/png", &b"png"[..]);
    let url = graph.url(&id);
    let deleted = graph
        .client
        .delete(&url)
        .bearer_auth(&graph.number.access_token)
        .send()
        .await
        .expect("answer");
    assert_eq!(
        common::answer(deleted).await.expect("body").body["success"],
        true
    );
    assert_eq!(graph.get(&id).await.error_code(), Some(100));
}

#[tokio::test]
async fn upload_without_messaging_product_is_131008() {
    let graph = start().await;
    let body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\nContent-Type: image/png\r\n\r\npng\r\n--{BOUNDARY}--\r\n");
    let url = graph.url(&format!("{}/media", graph.number.phone_number_id));
    let response = graph
        .client
        .post(url)
        .bearer_auth(&graph.number.access_token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await;
    assert_eq!(
        common::answer(response.expect("answer"))
            .await
            .expect("body")
            .error_code(),
        Some(131008)
    );
}
