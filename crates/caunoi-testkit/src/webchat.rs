//! A citizen in a unit's web chat, talking to the server the way the chat page's script does:
//! the page first (it sets the session cookie), then messages as JSON, and the live stream read
//! as server-sent events.

use crate::{TestApp, eventually};
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long a test waits for the chat's conversation or a message on its stream.
const WAIT: Duration = Duration::from_secs(20);

/// A browser with the unit's chat open.
pub struct WebCitizen<'a> {
    t: &'a TestApp,
    unit: String,
    /// The browser (it keeps the chat's session cookie).
    pub browser: reqwest::Client,
}

impl TestApp {
    /// Opens the unit's chat page in a new browser.
    pub async fn web_citizen(&self, unit: &str) -> WebCitizen<'_> {
        let browser = self.client();
        let r = browser.get(self.url(&format!("/u/{unit}/chat"))).send().await.expect("chat page");
        assert_eq!(r.status(), 200, "the chat page of {unit} opens");
        WebCitizen { t: self, unit: unit.to_owned(), browser }
    }
}

impl WebCitizen<'_> {
    /// Sends a text as the chat page does; returns the server's answer (the stored message).
    pub async fn says(&self, text: &str) -> Value {
        let r = self
            .browser
            .post(self.t.url(&format!("/u/{}/chat/messages", self.unit)))
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 200, "the chat takes {text:?}");
        r.json().await.expect("json")
    }

    /// The id of this chat's open conversation, once the worker has made it. The session is
    /// the newest web contact: call it right after this citizen's first message.
    pub async fn conversation(&self) -> i64 {
        let db = &self.t.app.db;
        let session: String = caunoi::db_read!(db, pool => sqlx::query_scalar(
            "SELECT external_id FROM contacts WHERE channel = 'web' ORDER BY id DESC LIMIT 1"
        )
        .fetch_one(pool)
        .await)
        .expect("the chat's session");
        eventually("the chat's conversation", WAIT, || {
            let session = session.clone();
            async move {
                caunoi::conversations::store::open_conversation_of(&self.t.app.db, "web", &self.unit, &session)
                    .await
                    .ok()
                    .flatten()
                    .map(|c| c.id.0)
            }
        })
        .await
    }

    /// Reads the chat's live stream from its start until a message matches `want`.
    pub async fn message(&self, want: impl Fn(&Value) -> bool) -> Value {
        let mut resp = self
            .browser
            .get(self.t.url(&format!("/u/{}/chat/events", self.unit)))
            .header("Last-Event-ID", "0")
            .send()
            .await
            .expect("events");
        assert_eq!(resp.status(), 200);
        let end = Instant::now() + WAIT;
        let mut buf = String::new();
        loop {
            for line in buf.lines() {
                if let Some(data) = line.strip_prefix("data:")
                    && let Ok(v) = serde_json::from_str::<Value>(data.trim())
                    && want(&v)
                {
                    return v;
                }
            }
            let left = end.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "timed out waiting for the chat message; saw {buf}");
            match tokio::time::timeout(left, resp.chunk()).await {
                Ok(Ok(Some(chunk))) => buf.push_str(&String::from_utf8_lossy(&chunk)),
                _ => panic!("the chat stream ended; saw {buf}"),
            }
        }
    }
}

/// A fire told in the unit's web chat ("nha toi bi chay, cuu voi"): the id of the urgent
/// conversation it made (the turn runs in the request when the workers are off, else soon after).
pub async fn fire_in_chat(t: &TestApp, unit: &str) -> i64 {
    let citizen = t.web_citizen(unit).await;
    citizen.says("nha toi bi chay, cuu voi").await;
    let id = citizen.conversation().await;
    eventually("the fire to make the conversation urgent", WAIT, || async {
        let db = &t.app.db;
        let urgent: bool =
            caunoi::db_read!(db, pool => sqlx::query_scalar("SELECT urgent FROM conversations WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await)
            .expect("the conversation");
        urgent.then_some(())
    })
    .await;
    id
}
