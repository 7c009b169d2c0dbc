//! Accounts as a client drives them: signing up and in over HTTP, and the
//! e-mails Herald writes to its outbox folder.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::app::TestApp;

/// A signed-up account: its tenant, id and tokens.
#[derive(Debug, Clone)]
pub struct Account {
    pub tenant: String,
    pub user: String,
    pub email: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    /// A POST of `body` with no credentials.
    pub async fn post_public(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(format!("{}{path}", self.address))
            .json(body)
            .send()
            .await
            .expect("the request is sent")
    }

    /// Signs up a new tenant with its admin `name` and signs in.
    ///
    /// # Panics
    /// When Herald refuses either.
    pub async fn sign_up(&self, name: &str) -> Account {
        let email = format!("{name}@example.com");
        let password = format!("{name} has a long passphrase");
        let registered = self
            .post_public(
                "/v1/auth/register",
                &json!({ "email": email, "username": name, "password": password, "fullName": "Ann Admin" }),
            )
            .await;
        let status = registered.status();
        let registered: Value = registered.json().await.expect("JSON");
        assert_eq!(status, 201, "{name} signs up: {registered}");
        let tokens = self.sign_in(&email, &password).await;
        assert_eq!(tokens["tenantId"], registered["tenantId"]);
        Account {
            tenant: registered["tenantId"]
                .as_str()
                .expect("a tenant")
                .to_owned(),
            user: registered["userId"].as_str().expect("a user").to_owned(),
            email,
            password,
            access: tokens["accessToken"].as_str().expect("a token").to_owned(),
            refresh: tokens["refreshToken"].as_str().expect("a token").to_owned(),
        }
    }

    /// Signs in; the answer's tokens.
    ///
    /// # Panics
    /// When Herald does not answer 200.
    pub async fn sign_in(&self, identifier: &str, password: &str) -> Value {
        let answer = self.try_sign_in(identifier, password).await;
        assert_eq!(answer.status(), 200, "{identifier} signs in");
        answer.json().await.expect("JSON")
    }

    pub async fn try_sign_in(&self, identifier: &str, password: &str) -> Response {
        self.post_public(
            "/v1/auth/login",
            &json!({ "identifier": identifier, "password": password }),
        )
        .await
    }

    /// A GET with `token` as its bearer.
    pub async fn get_with(&self, token: &str, path: &str) -> Response {
        self.request_with_key(token, Method::GET, path)
            .send()
            .await
            .expect("the request is sent")
    }

    /// Every e-mail written to the outbox for `to`, oldest first.
    pub fn mails_to(&self, to: &str) -> Vec<String> {
        let outbox = self.data.path().join("outbox");
        let Ok(entries) = std::fs::read_dir(&outbox) else {
            return Vec::new();
        };
        let mut names: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        // Named by UUID v7: in the order they were written.
        names.sort();
        names
            .into_iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .filter(|mail| mail.starts_with(&format!("To: {to}\r\n")))
            .collect()
    }

    /// The token in the last e-mail to `to`.
    ///
    /// # Panics
    /// When there is none.
    pub fn last_token_to(&self, to: &str) -> String {
        let mails = self.mails_to(to);
        let mail = mails.last().expect("an e-mail");
        let start = mail.find("token=").expect("a link with a token") + "token=".len();
        mail[start..]
            .split_whitespace()
            .next()
            .expect("the token")
            .to_owned()
    }
}
