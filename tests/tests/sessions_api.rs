//! The session endpoints, against a fake Graph API that checks credentials
//! as Meta does.

use herald_application::sessions::read_model::SessionDocument;
use herald_fake_graph::number::FakeNumber;
use herald_tests::app::{error_of, receipt};
use herald_tests::whatsapp::{session_body, PATIENCE};
use herald_tests::{on_both_stores, spawn_app};
use reqwest::Method;
use serde_json::Value;

async fn read_session(app: &herald_tests::TestApp, id: &str, position: u64) -> Value {
    let response = app
        .request(
            Method::GET,
            &format!("/v1/sessions/{id}?minPosition={position}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.unwrap();
    // Whatever events it has seen, the stored document keeps the typed
    // shape the projection creates it with.
    if let Err(error) = serde_json::from_value::<SessionDocument>(session.clone()) {
        panic!("{session} is not a SessionDocument: {error}");
    }
    session
}

on_both_stores! {
    async fn a_new_session_starts_initializing_with_the_seed_fields_and_no_secrets() {
        let app = spawn_app().await;
        let number = FakeNumber::default();
        let response = app.create_session(&session_body(&number)).await;
        assert_eq!(response.status(), 201);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let (id, position) = receipt(response).await;
        assert_eq!(location, format!("/v1/sessions/{id}"));

        let session = read_session(&app, &id, position).await;
        assert_eq!(session["sessionId"], id.as_str());
        assert_eq!(session["userId"], app.tenant.as_str());
        assert_eq!(session["phoneNumber"], "+15550783881");
        assert_eq!(session["sessionName"], "Support line");
        assert_eq!(session["status"], "initializing");
        assert_eq!(session["isActive"], true);
        assert_eq!(session["retryCount"], 0);
        assert_eq!(session["phoneNumberId"], number.phone_number_id.as_str());
        assert_eq!(session["wabaId"], number.waba_id.as_str());
        let text = session.to_string();
        for secret in [&number.access_token, &number.app_secret] {
            assert!(!text.contains(secret.as_str()), "a secret is in {text}");
        }
        assert!(session.get("accessToken").is_none() && session.get("appSecret").is_none());
        app.stop().await;
    }
}

on_both_stores! {
    async fn connecting_checks_the_credentials_with_the_graph_api() {
        let app = spawn_app().await;
        let number = FakeNumber::default();
        app.graph.add_number(number.clone());
        let (id, _) = receipt(app.create_session(&session_body(&number)).await).await;

        let answer: Value = app
            .session_action(&id, "connect")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer["status"], "connected");
        let session = read_session(&app, &id, answer["position"].as_u64().unwrap()).await;
        assert_eq!(session["status"], "connected");
        assert!(session["connectedAt"].is_string());
        assert_eq!(session["verifiedName"], number.verified_name.as_str());
        assert_eq!(session["qualityRating"], "GREEN");
        let verify = app
            .graph
            .requests()
            .into_iter()
            .find(|r| r.method == "GET")
            .unwrap();
        assert_eq!(verify.path, format!("/v23.0/{}", number.phone_number_id));
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_refused_token_puts_the_session_in_error_and_counts_the_retry() {
        let app = spawn_app().await;
        let number = FakeNumber::default();
        app.graph.add_number(FakeNumber {
            access_token: "the-real-token".into(),
            ..number.clone()
        });
        let (id, _) = receipt(app.create_session(&session_body(&number)).await).await;

        app.session_action(&id, "connect").await;
        let answer: Value = app
            .session_action(&id, "connect")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer["status"], "error");
        let session = read_session(&app, &id, answer["position"].as_u64().unwrap()).await;
        assert_eq!(session["status"], "error");
        assert_eq!(session["retryCount"], 2);
        assert_eq!(session["lastErrorCode"], 190);
        app.stop().await;
    }
}

on_both_stores! {
    async fn credentials_of_another_number_do_not_connect() {
        let app = spawn_app().await;
        let number = FakeNumber::default();
        app.graph.add_number(FakeNumber {
            display_phone_number: "15550000000".into(),
            ..number.clone()
        });
        let (id, _) = receipt(app.create_session(&session_body(&number)).await).await;
        let answer: Value = app
            .session_action(&id, "connect")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer["status"], "error");
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_tenant_has_each_number_once() {
        let app = spawn_app().await;
        let body = session_body(&FakeNumber::default());
        assert_eq!(app.create_session(&body).await.status(), 201);
        let (status, code, _) = error_of(app.create_session(&body).await).await;
        assert_eq!((status, code.as_str()), (409, "already_exists"));
        // Another tenant may have the same number.
        let other = app
            .request_as("another-tenant", Method::POST, "/v1/sessions")
            .await
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 201);
        app.stop().await;
    }
}

on_both_stores! {
    async fn disconnecting_deleting_and_adding_again() {
        let app = spawn_app().await;
        let session = app.connected_session().await;
        let answer: Value = app
            .session_action(&session.id, "disconnect")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer["status"], "disconnected");
        let disconnected = read_session(&app, &session.id, answer["position"].as_u64().unwrap()).await;
        assert_eq!(disconnected["status"], "disconnected");
        assert!(disconnected["disconnectedAt"].is_string(), "{disconnected}");
        assert!(
            disconnected["connectedAt"].is_string(),
            "when it was last connected stays"
        );
        // Again: nothing changes, and it is not an error.
        assert_eq!(
            app.session_action(&session.id, "disconnect").await.status(),
            202
        );

        let deleted = app
            .request(Method::DELETE, &format!("/v1/sessions/{}", session.id))
            .send()
            .await
            .unwrap();
        let (_, position) = receipt(deleted).await;
        let gone = app
            .request(
                Method::GET,
                &format!("/v1/sessions/{}?minPosition={position}", session.id),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), 404);
        let listed = app
            .list(&format!("/v1/sessions?minPosition={position}"))
            .await;
        assert_eq!(listed["total"], 0);
        assert_eq!(
            app.session_action(&session.id, "connect").await.status(),
            404
        );

        let again = app.create_session(&session_body(&session.number)).await;
        assert_eq!(again.status(), 201);
        assert_eq!(
            receipt(again).await.0,
            session.id,
            "a number keeps its session id"
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_phone_number_id_connected_elsewhere_is_refused() {
        let app = spawn_app().await;
        let number = FakeNumber::default();
        // Registered by another tenant before anyone connected it: allowed,
        // but it proves nothing.
        let early = app
            .request_as("another-tenant", Method::POST, "/v1/sessions")
            .await
            .json(&session_body(&number))
            .send()
            .await
            .unwrap();
        assert_eq!(early.status(), 201);
        let (early_id, _) = receipt(early).await;
        app.connected_session_for(number.clone()).await;

        let connect = app
            .request_as(
                "another-tenant",
                Method::POST,
                &format!("/v1/sessions/{early_id}/connect"),
            )
            .await
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_of(connect).await;
        assert_eq!((status, code.as_str()), (409, "not_allowed"));

        let late = app
            .request_as("a-third-tenant", Method::POST, "/v1/sessions")
            .await
            .json(&session_body(&number))
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_of(late).await;
        assert_eq!(
            (status, code.as_str()),
            (409, "not_allowed"),
            "a second claim is refused"
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn new_credentials_need_a_new_connect() {
        let app = spawn_app().await;
        let session = app.connected_session().await;
        let mut body = session_body(&session.number);
        let body = body.as_object_mut().unwrap();
        body.remove("phoneNumber");
        body.remove("sessionName");
        let replaced = app
            .request(
                Method::PUT,
                &format!("/v1/sessions/{}/credentials", session.id),
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        let answer: Value = replaced.json().await.unwrap();
        // The same credentials change nothing; a rotated token does.
        assert_eq!(answer["status"], "connected");
        body.insert("accessToken".into(), "a-rotated-token".into());
        let rotated: Value = app
            .request(
                Method::PUT,
                &format!("/v1/sessions/{}/credentials", session.id),
            )
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(rotated["status"], "initializing");
        app.stop().await;
    }
}

on_both_stores! {
    async fn bad_session_bodies_name_the_field() {
        let app = spawn_app().await;
        let good = session_body(&FakeNumber::default());
        let cases = [
            ("phoneNumber", Value::from("5550783881"), 422),
            ("phoneNumberId", Value::from("12ab"), 422),
            ("accessToken", Value::from("has a space"), 422),
            ("appSecret", Value::from(""), 422),
            ("sessionName", Value::from(""), 422),
            ("colour", Value::from("blue"), 422),
        ];
        for (field, value, status) in cases {
            let mut body = good.clone();
            body[field] = value;
            let (got, _, named) = error_of(app.create_session(&body).await).await;
            assert_eq!((got, named.as_deref()), (status, Some(field)), "{field}");
        }
        let mut missing = good.clone();
        missing
            .as_object_mut()
            .unwrap()
            .remove("webhookVerifyToken");
        let (got, _, named) = error_of(app.create_session(&missing).await).await;
        assert_eq!((got, named.as_deref()), (422, Some("webhookVerifyToken")));
        let unknown = app
            .request(Method::GET, "/v1/sessions/not-a-session")
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 404);
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_message_from_a_contact_moves_the_sessions_last_seen() {
        let app = spawn_app().await;
        let session = app.connected_session().await;
        let before = read_session(&app, &session.id, 0).await;
        assert!(before["lastSeen"].is_null(), "{before}");

        app.receive_text(&session, herald_tests::whatsapp::CONTACT, "Hi")
            .await;

        // The sessions projection may trail the replies one receive_text waited on.
        let after = herald_tests::eventually("lastSeen to be set", PATIENCE, || async {
            let found = read_session(&app, &session.id, 0).await;
            found["lastSeen"].is_string().then_some(found)
        })
        .await;
        let last_seen = after["lastSeen"].as_str().unwrap_or_default();
        assert!(
            last_seen >= after["connectedAt"].as_str().unwrap(),
            "{last_seen} is not before the connect"
        );
        app.stop().await;
    }
}
