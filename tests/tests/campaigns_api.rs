//! Campaigns through the HTTP API, on a real nats-server, each case on
//! SQLite and on MongoDB.

use herald_application::ports::event_feed::EventFeed;
use herald_fake_graph::FakeGraphConfig;
use herald_infrastructure::jetstream::JetStreamEventFeed;
use herald_tests::app::{error_of, receipt};
use herald_tests::{campaign_body, on_both_stores, spawn_app, spawn_app_with_settings};
use reqwest::Method;
use serde_json::{json, Value};

on_both_stores! {
    async fn a_created_campaign_can_be_read_back_at_once_with_min_position() {
        let app = spawn_app().await;
        let (id, position) = app.create_campaign_ok(&campaign_body()).await;

        let campaign = app.campaign(&id, position).await;

        assert_eq!(campaign["_id"], json!(id));
        assert_eq!(campaign["userId"], json!(app.tenant));
        assert_eq!(campaign["campaignName"], json!("Winter sale"));
        assert_eq!(campaign["name"], json!("Winter sale"));
        assert_eq!(campaign["status"], json!("draft"));
        assert_eq!(campaign["messageType"], json!("text"));
        assert_eq!(
            campaign["messageContent"],
            json!("Hi {{name|there}}, 20% off today")
        );
        assert_eq!(campaign["delayBetweenMessages"], json!(10000));
        assert_eq!(campaign["pace"], json!("delay"));
        assert_eq!(campaign["personalize"], json!(true));
        assert_eq!(campaign["totalRecipients"], json!(2));
        assert_eq!(campaign["pendingCount"], json!(2));
        assert_eq!(
            (
                campaign["sentCount"].clone(),
                campaign["deliveredCount"].clone(),
                campaign["failedCount"].clone()
            ),
            (json!(0), json!(0), json!(0))
        );
        assert_eq!(
            campaign["schedule"],
            json!({ "type": "immediate", "startTime": null, "recurrence": "none", "timezone": null })
        );
        assert!(campaign["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')));
        app.stop().await;
    }
}

on_both_stores! {
    async fn the_list_shows_the_tenants_campaigns_newest_first_with_a_total() {
        let app = spawn_app().await;
        let mut last = 0;
        for name in ["First", "Second", "Third"] {
            let mut body = campaign_body();
            body["campaignName"] = json!(name);
            last = app.create_campaign_ok(&body).await.1;
        }

        let response = app
            .list_campaigns(&format!("?minPosition={last}&limit=2"))
            .await;

        assert_eq!(response.status(), 200);
        let page: Value = response.json().await.unwrap();
        let names: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["campaignName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Third", "Second"]);
        assert_eq!(
            (
                page["total"].clone(),
                page["page"].clone(),
                page["limit"].clone()
            ),
            (json!(3), json!(1), json!(2))
        );
        let second_page: Value = app
            .list_campaigns("?page=2&limit=2")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(second_page["data"][0]["campaignName"], json!("First"));
        app.stop().await;
    }
}

on_both_stores! {
    async fn pages_follow_their_cursors_through_the_whole_list_once() {
        let app = spawn_app().await;
        let mut last = 0;
        for n in 1..=7 {
            let mut body = campaign_body();
            body["campaignName"] = json!(format!("Campaign {n}"));
            last = app.create_campaign_ok(&body).await.1;
        }

        let mut names = Vec::new();
        let mut query = format!("?minPosition={last}&limit=3");
        loop {
            let response = app.list_campaigns(&query).await;
            assert_eq!(response.status(), 200);
            let page: Value = response.json().await.unwrap();
            assert_eq!((page["total"].clone(), page["totalExact"].clone()), (json!(7), json!(true)));
            names.extend(
                page["data"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["campaignName"].as_str().unwrap().to_owned()),
            );
            match page["nextCursor"].as_str() {
                Some(cursor) => query = format!("?limit=3&cursor={cursor}"),
                None => break,
            }
        }
        let newest_first: Vec<String> = (1..=7).rev().map(|n| format!("Campaign {n}")).collect();
        assert_eq!(names, newest_first);

        let both = app.list_campaigns("?page=2&cursor=WyJ4Il0").await;
        let (status, _, field) = error_of(both).await;
        assert_eq!((status, field.as_deref()), (400, Some("cursor")));
        let forged = app.list_campaigns("?cursor=W3siJGd0IjoxfV0").await;
        let (status, _, field) = error_of(forged).await;
        assert_eq!((status, field.as_deref()), (400, Some("cursor")));
        app.stop().await;
    }
}

on_both_stores! {
    async fn the_list_filters_by_status() {
        let app = spawn_app().await;
        let (draft, _) = app.create_campaign_ok(&campaign_body()).await;
        let (running, _) = app.create_campaign_ok(&campaign_body()).await;
        let (_, position) = receipt(app.campaign_action(&running, "start").await).await;

        let page: Value = app
            .list_campaigns(&format!("?status=running&minPosition={position}"))
            .await
            .json()
            .await
            .unwrap();

        let ids: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [running.as_str()]);
        assert_ne!(draft, running);
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_campaign_goes_through_its_lifecycle() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;

        let mut position = 0;
        for (action, status) in [
            ("start", "running"),
            ("pause", "paused"),
            ("resume", "running"),
            ("stop", "stopped"),
        ] {
            let response = app.campaign_action(&id, action).await;
            if response.status() != 202 {
                let (status, body) = (response.status(), response.text().await.unwrap_or_default());
                panic!("{action}: {status} {body}");
            }
            position = receipt(response).await.1;
            assert_eq!(
                app.campaign(&id, position).await["status"],
                json!(status),
                "after {action}"
            );
        }

        let campaign = app.campaign(&id, position).await;
        assert!(campaign["startedAt"].is_string());
        assert!(campaign["stoppedAt"].is_string());
        app.stop().await;
    }
}

on_both_stores! {
    async fn starting_a_stopped_campaign_is_a_conflict_that_says_why() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;
        app.campaign_action(&id, "stop").await;

        let response = app.campaign_action(&id, "start").await;

        assert_eq!(response.status(), 409);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], json!("not_allowed"));
        assert_eq!(
            body["error"]["message"],
            json!("cannot start a campaign that is stopped: stopping a campaign is final")
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn only_a_campaign_that_has_sent_and_may_still_sends_its_unknown_recipients_again() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;

        let draft = app.campaign_action(&id, "resend-unknown").await;
        let body: Value = draft.json().await.unwrap();
        assert_eq!(body["error"]["code"], json!("not_allowed"), "{body}");
        assert_eq!(
            body["error"]["message"],
            json!("the campaign has not sent anything yet")
        );
        app.campaign_action(&id, "stop").await;
        let stopped = app.campaign_action(&id, "resend-unknown").await;
        assert_eq!(stopped.status(), 409);
        let elsewhere = app
            .request_as("another-tenant", Method::POST, &format!("/v1/campaigns/{id}/resend-unknown"))
            .await
            .send()
            .await
            .unwrap();
        assert_eq!(elsewhere.status(), 404);
        let malformed = app.campaign_action("not-a-campaign", "resend-unknown").await;
        assert_eq!(malformed.status(), 404);
        app.stop().await;
    }
}

on_both_stores! {
    async fn starting_a_campaign_without_recipients_names_the_recipients_field() {
        let app = spawn_app().await;
        let mut body = campaign_body();
        body["recipients"] = json!([]);
        let (id, _) = app.create_campaign_ok(&body).await;

        let (status, code, field) = error_of(app.campaign_action(&id, "start").await).await;

        assert_eq!(
            (status, code.as_str(), field.as_deref()),
            (422, "invalid_field", Some("recipients"))
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_running_campaign_cannot_be_edited() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;
        app.campaign_action(&id, "start").await;

        let response = app
            .edit_campaign(&id, &json!({ "campaignName": "Renamed" }))
            .await;

        assert_eq!(response.status(), 409);
        app.stop().await;
    }
}

on_both_stores! {
    async fn an_edit_changes_only_the_fields_given() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;

        let response = app
            .edit_campaign(
                &id,
                &json!({ "campaignName": "Renamed", "delayBetweenMessages": 5000 }),
            )
            .await;

        assert_eq!(response.status(), 202);
        let (_, position) = receipt(response).await;
        let campaign = app.campaign(&id, position).await;
        assert_eq!(campaign["campaignName"], json!("Renamed"));
        assert_eq!(campaign["delayBetweenMessages"], json!(5000));
        assert_eq!(
            campaign["messageContent"],
            json!("Hi {{name|there}}, 20% off today")
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn scheduling_sets_the_schedule_time_in_utc() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;

        let schedule =
            json!({ "type": "scheduled", "startTime": "2099-12-01T09:00", "timezone": "Asia/Karachi" });
        let response = app.schedule_campaign(&id, &schedule).await;

        assert_eq!(response.status(), 202);
        let campaign = app.campaign(&id, receipt(response).await.1).await;
        assert_eq!(campaign["status"], json!("scheduled"));
        assert_eq!(campaign["scheduleTime"], json!("2099-12-01T04:00:00.000Z"));
        assert_eq!(campaign["schedule"]["timezone"], json!("Asia/Karachi"));
        app.stop().await;
    }
}

on_both_stores! {
    async fn scheduling_in_the_past_names_the_start_time() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;

        let (status, _, field) = error_of(
            app.schedule_campaign(
                &id,
                &json!({ "type": "scheduled", "startTime": "2020-01-01T09:00:00Z" }),
            )
            .await,
        )
        .await;

        assert_eq!(
            (status, field.as_deref()),
            (422, Some("schedule.startTime"))
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_start_time_past_the_year_9999_is_refused_on_create_edit_and_schedule() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;
        let far = json!({ "type": "scheduled", "startTime": "+262142-12-31T23:59:59", "timezone": "America/New_York" });
        let mut create = campaign_body();
        create["schedule"] = far.clone();

        let answers = [
            app.create_campaign(&create).await,
            app.edit_campaign(&id, &json!({ "schedule": far })).await,
            app.schedule_campaign(&id, &far).await,
        ];

        for answer in answers {
            let (status, _, field) = error_of(answer).await;
            assert_eq!(
                (status, field.as_deref()),
                (422, Some("schedule.startTime"))
            );
        }
        let health = app
            .client
            .get(format!("{}/healthz", app.address))
            .send()
            .await;
        assert_eq!(health.unwrap().status(), 200, "Herald is still serving");
        app.stop().await;
    }
}

on_both_stores! {
    async fn recipients_are_listed_in_the_order_added_and_repeats_are_dropped() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;

        let response = app
            .add_recipients(
                &id,
                &json!(["+14155550102", "+14155550100", "+1 415 555 0103"]),
            )
            .await;
        assert_eq!(response.status(), 202);
        let (_, position) = receipt(response).await;

        let page: Value = app
            .list_recipients(&id, &format!("?minPosition={position}"))
            .await
            .json()
            .await
            .unwrap();
        let numbers: Vec<&str> = page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["phoneNumber"].as_str().unwrap())
            .collect();
        assert_eq!(
            numbers,
            [
                "+14155550100",
                "+14155550101",
                "+14155550102",
                "+14155550103"
            ]
        );
        assert_eq!(page["data"][1]["customData"], json!({ "city": "Lahore" }));
        assert_eq!(page["data"][0]["status"], json!("pending"));
        assert_eq!(
            app.campaign(&id, position).await["totalRecipients"],
            json!(4)
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn another_tenant_can_neither_see_nor_change_a_campaign() {
        let app = spawn_app().await;
        let (id, position) = app.create_campaign_ok(&campaign_body()).await;

        let read = app
            .request_as(
                "someone-else",
                Method::GET,
                &format!("/v1/campaigns/{id}?minPosition={position}"),
            )
            .await
            .send()
            .await
            .unwrap();
        let start = app
            .request_as(
                "someone-else",
                Method::POST,
                &format!("/v1/campaigns/{id}/start"),
            )
            .await
            .send()
            .await
            .unwrap();
        let list: Value = app
            .request_as("someone-else", Method::GET, "/v1/campaigns")
            .await
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();

        assert_eq!(
            (read.status().as_u16(), start.status().as_u16()),
            (404, 404)
        );
        assert_eq!(list["total"], json!(0));
        assert_eq!(app.campaign(&id, position).await["status"], json!("draft"));
        app.stop().await;
    }
}

on_both_stores! {
    async fn bad_input_gets_a_4xx_naming_the_problem_and_records_nothing() {
        let app = spawn_app().await;
        app.campaign_session().await;
        let feed = JetStreamEventFeed::new(app.herald.event_log().clone());
        let before = feed.head().await.unwrap();
        let mut cases: Vec<(Value, u16, Option<&str>)> = Vec::new();
        let with = |key: &str, value: Value| {
            let mut body = campaign_body();
            body[key] = value;
            body
        };
        cases.push((with("campaignName", json!("  ")), 422, Some("campaignName")));
        cases.push((with("sessionId", json!("nobodys-session")), 422, Some("sessionId")));
        cases.push((
            with("messageType", json!("sticker")),
            422,
            Some("messageType"),
        ));
        cases.push((
            with("delayBetweenMessages", json!(20000)),
            422,
            Some("delayBetweenMessages"),
        ));
        cases.push((
            with("delayBetweenMessages", json!(-1)),
            422,
            Some("delayBetweenMessages"),
        ));
        cases.push((
            with("recipients", json!(["4155550100"])),
            422,
            Some("recipients[0]"),
        ));
        cases.push((with("sessionId", json!("a.b")), 422, Some("sessionId")));
        cases.push((
            with(
                "schedule",
                json!({ "type": "recurring", "startTime": "2099-01-01T00:00Z" }),
            ),
            422,
            Some("schedule.recurrence"),
        ));
        cases.push((
            with("mediaUrl", json!("https://cdn.example.com/a.jpg")),
            422,
            Some("mediaUrl"),
        ));
        cases.push((with("colour", json!("red")), 422, Some("colour")));
        let mut missing = campaign_body();
        missing.as_object_mut().unwrap().remove("sessionId");
        cases.push((missing, 422, Some("sessionId")));

        for (body, status, field) in cases {
            let (got, _, got_field) = error_of(app.create_campaign(&body).await).await;
            assert_eq!((got, got_field.as_deref()), (status, field), "for {body}");
        }
        let not_json = app
            .request(Method::POST, "/v1/campaigns")
            .header("content-type", "application/json")
            .body("{\"campaignName\":")
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(not_json).await.0, 400);
        for trailing in [
            format!("{} trailing garbage", campaign_body()),
            format!("{}{}", campaign_body(), campaign_body()),
        ] {
            let refused = app.post_raw_json("/v1/campaigns", trailing).await;
            let (status, code, _) = error_of(refused).await;
            assert_eq!((status, code.as_str()), (400, "invalid_json"));
        }
        let not_declared = app
            .request(Method::POST, "/v1/campaigns")
            .body(campaign_body().to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(not_declared).await.0, 415);

        let list: Value = app.list_campaigns("").await.json().await.unwrap();
        assert_eq!(list["total"], json!(0));
        assert_eq!(
            feed.head().await.unwrap(),
            before,
            "nothing reached the event log"
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn requests_without_valid_credentials_are_refused() {
        let app = spawn_app().await;
        let url = format!("{}/v1/campaigns", app.address);

        let none = app.client.get(&url).send().await.unwrap();
        assert_eq!(none.headers()["www-authenticate"], "Bearer");
        assert_eq!(error_of(none).await.0, 401);
        // The tenant comes from the credentials alone: a key naming a
        // wildcard tenant, a key of the right shape with a wrong secret, a
        // forged JWT and another scheme are all refused alike.
        let own = app.api_key.clone();
        let (prefix, _secret) = own.rsplit_once('.').unwrap();
        for authorization in [
            "Bearer hk_acme.*.0193aaaa.secret".to_owned(),
            format!("Bearer {prefix}.not-the-secret"),
            "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.".to_owned(),
            format!("Basic {own}"),
            "Bearer".to_owned(),
        ] {
            let refused = app
                .client
                .get(&url)
                .header("Authorization", &authorization)
                .send()
                .await
                .unwrap();
            assert_eq!(error_of(refused).await.0, 401, "{authorization}");
        }
        app.stop().await;
    }
}

on_both_stores! {
    async fn unknown_ids_query_parameters_and_paths_are_refused_clearly() {
        let app = spawn_app().await;

        let unknown = app
            .get_campaign("01a1fe22-a378-742b-9e85-8617af410eb7", 0)
            .await;
        let not_uuid = app.campaign_action("not-a-uuid", "start").await;
        let typo = app.list_campaigns("?stauts=running").await;
        let bad_status = app.list_campaigns("?status=done").await;
        let bad_limit = app.list_campaigns("?limit=1000").await;
        let (id, position) = app.create_campaign_ok(&campaign_body()).await;
        let bad_recipient_status = app.list_recipients(&id, "?status=bogus").await;
        let sent_recipients = app
            .list_recipients(&id, &format!("?status=sent&minPosition={position}"))
            .await;
        let far_page = app
            .list_campaigns(&format!("?page={}&limit=100", u64::MAX))
            .await;
        let no_route = app
            .request(Method::GET, "/v1/nothing")
            .send()
            .await
            .unwrap();

        assert_eq!(error_of(unknown).await.0, 404);
        assert_eq!(error_of(not_uuid).await.0, 404);
        assert_eq!(
            error_of(typo).await,
            (400, "invalid_query".to_owned(), Some("stauts".to_owned()))
        );
        assert_eq!(error_of(bad_status).await.2.as_deref(), Some("status"));
        assert_eq!(error_of(bad_limit).await.2.as_deref(), Some("limit"));
        assert_eq!(
            error_of(bad_recipient_status).await,
            (400, "invalid_query".to_owned(), Some("status".to_owned()))
        );
        assert_eq!(sent_recipients.status(), 200);
        assert_eq!(far_page.status(), 200, "a page past the end is empty");
        assert_eq!(far_page.json::<Value>().await.unwrap()["data"], json!([]));
        assert_eq!(error_of(no_route).await.0, 404);
        app.stop().await;
    }
}

on_both_stores! {
    async fn only_the_canonical_spelling_of_a_campaign_id_reaches_it() {
        let app = spawn_app().await;
        let (id, position) = app.create_campaign_ok(&campaign_body()).await;
        let uuid = uuid::Uuid::parse_str(&id).unwrap();
        let other_spellings = [
            id.to_uppercase(),
            uuid.simple().to_string(),
            uuid.braced().to_string(),
            uuid.urn().to_string(),
        ];

        assert_eq!(app.get_campaign(&id, position).await.status(), 200);
        for spelling in other_spellings {
            let read = app.get_campaign(&spelling, position).await;
            assert_eq!(error_of(read).await.0, 404, "GET {spelling}");
            let recipients = app.list_recipients(&spelling, "").await;
            assert_eq!(
                error_of(recipients).await.0,
                404,
                "recipients of {spelling}"
            );
            let start = app.campaign_action(&spelling, "start").await;
            assert_eq!(error_of(start).await.0, 404, "start {spelling}");
        }
        let campaign = app.campaign(&id, position).await;
        assert_eq!(
            campaign["status"],
            json!("draft"),
            "no other spelling started it"
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_position_beyond_the_event_log_is_refused_at_once() {
        let app = spawn_app().await;
        let (id, position) = app.create_campaign_ok(&campaign_body()).await;
        let started = std::time::Instant::now();

        let response = app.get_campaign(&id, position + 1000).await;

        assert_eq!(
            error_of(response).await,
            (
                400,
                "invalid_query".to_owned(),
                Some("minPosition".to_owned())
            )
        );
        assert!(
            started.elapsed() < app.settings.read_wait / 2,
            "refused without waiting for the read wait"
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_read_that_waits_for_a_position_the_projection_cannot_reach_answers_503() {
        let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
            settings.read_wait = std::time::Duration::from_millis(300);
        })
        .await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;
        // A commit the projection cannot read holds it back: it retries, and
        // reads waiting for that position run out of time.
        let position = app.append_unreadable_commit().await;

        let response = app.get_campaign(&id, position).await;

        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned()),
            Some("1".to_owned())
        );
        assert_eq!(error_of(response).await.1, "not_caught_up");
        app.stop().await;
    }
}

on_both_stores! {
    async fn health_readiness_and_metrics_answer() {
        let app = spawn_app().await;
        let (id, position) = app.create_campaign_ok(&campaign_body()).await;
        app.campaign(&id, position).await;

        let health = app
            .client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap();
        let ready: Value = app
            .client
            .get(format!("{}/readyz", app.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let metrics = app
            .client
            .get(format!("{}/metrics", app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();

        assert_eq!(health.status(), 200);
        assert_eq!(ready["status"], json!("ready"));
        assert!(
            metrics.contains("herald_projection_lag{projection=\"campaigns\"} 0"),
            "{metrics}"
        );
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_body_over_four_mebibytes_is_refused_as_too_large() {
        let app = spawn_app().await;
        let mut body = campaign_body();
        body["description"] = json!("x".repeat(5 << 20));

        let (status, code, _) = error_of(app.create_campaign(&body).await).await;

        assert_eq!((status, code.as_str()), (413, "too_large"));
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_campaign_must_name_a_session_its_tenant_has() {
        let app = spawn_app().await;
        let (id, _) = app.create_campaign_ok(&campaign_body()).await;
        let theirs = app.campaign_session().await;

        let other_tenant = app
            .request_as("other-tenant", Method::POST, "/v1/campaigns")
            .await
            .json(&json!({ "campaignName": "Borrowed", "sessionId": theirs,
                "messageType": "text", "messageContent": "Hi" }))
            .send()
            .await
            .unwrap();
        let (status, _, field) = error_of(other_tenant).await;
        assert_eq!((status, field.as_deref()), (422, Some("sessionId")));

        let edited = app
            .edit_campaign(&id, &json!({ "sessionId": "nobodys-session" }))
            .await;
        let (status, _, field) = error_of(edited).await;
        assert_eq!((status, field.as_deref()), (422, Some("sessionId")));

        // The session is deleted: the campaign can no longer be started.
        let deleted = app
            .request(Method::DELETE, &format!("/v1/sessions/{theirs}"))
            .send()
            .await
            .unwrap();
        assert!(deleted.status().is_success(), "{}", deleted.status());
        let (status, _, field) = error_of(app.campaign_action(&id, "start").await).await;
        assert_eq!((status, field.as_deref()), (422, Some("sessionId")));
        app.stop().await;
    }
}
