//! Snapshot tests (insta) of what people see: the bot's replies to a fixed set of citizen
//! messages on the web chat and on Zalo, and the key console and public pages. They assert
//! nothing about how the app is built inside — everything goes through HTTP, the fake Zalo and
//! the testkit — so a refactor that changes what a citizen or an officer sees shows up as a
//! snapshot diff, and one that does not leaves them untouched.
//!
//! Each test boots its own app with the demo data and pins the app's clock (and the fake
//! Zalo's) to a Tuesday at 09:00 in Vietnam, so opening hours read "open"; what still varies
//! between runs or engines (dates and times of the demo data, the listening port, QR codes
//! that encode it) is replaced by placeholders ([`settings`]). Every citizen message comes from
//! a citizen of its own, so no reply depends on the order the cases run in. Replies are
//! awaited, never slept for: a round of messages is complete when the ward's officer sees every
//! citizen message and as many bot messages as the channel has delivered
//! ([`until_all_delivered`]).
//!
//! Reviewing and updating:
//! - a change shows as a failed test with a diff; run
//!   `INSTA_UPDATE=always cargo test -p caunoi --features caunoi-zalo/fake --test snapshots`
//!   to write the new snapshots into `tests/snapshots/`, then review them with `git diff` and
//!   commit them with the change that caused them (or `cargo insta review`, if installed);
//! - insta stops at the first failing snapshot of a test: add `INSTA_FORCE_PASS=1` to see
//!   every difference at once (`.snap.new` files, which are not committed);
//! - a missing or different snapshot always fails: insta never writes over a snapshot
//!   unless asked, and on CI (`CI` set) it writes nothing at all;
//! - run the file on PostgreSQL too (`CAUNOI_TEST_DATABASE_URL=postgres://…`): the snapshots
//!   are the same on both engines.

use caunoi_testkit::{Options, TestApp, eventually};
use caunoi_zalo::fake::UserAction;
use serde_json::Value;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);
/// The ward whose web chat and Zalo OA (`DEMO_OAS[1]`) citizens write to.
const UNIT: &str = "qn-bai-chay";
const WARD_OA: &str = "2960384411273650002";
/// An officer of the ward: the inbox shows them what the bot has answered.
const WARD_OFFICER: &str = "canbo.baichay";

/// Insta settings: snapshots in `tests/snapshots/`, named without a module prefix, and the
/// filters that replace what varies between runs.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    // Dates and times as pages show them (`22/11/2026 15:04`) and as forms take them.
    s.add_filter(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2}\b", "[datetime]");
    s.add_filter(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\b", "[datetime]");
    s.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    // Case codes are random (`TB-XXXX-XXXX`).
    s.add_filter(r"\bTB-[0-9A-Z]{4}-[0-9A-Z]{4}\b", "TB-[code]");
    // QR codes encode the chat's address, port included.
    s.add_filter(r#"(<div id="qr-[a-z]+">)(?s:.*?)(</div>)"#, "$1[QR code]$2");
    s
}

/// Moves the app's clock, and the fake Zalo's when there is one, to the next Tuesday at
/// 09:00 in Vietnam (UTC+7, no daylight saving): a working hour of every demo unit.
fn pin_clock_to_tuesday_morning(t: &TestApp) {
    let vietnam = jiff::tz::TimeZone::fixed(jiff::tz::offset(7));
    let now = t.app.clock.now().to_zoned(vietnam.clone());
    let mut day = now.date();
    loop {
        day = day.tomorrow().expect("a date");
        if day.weekday() == jiff::civil::Weekday::Tuesday {
            break;
        }
    }
    let target = day.at(9, 0, 0, 0).to_zoned(vietnam).expect("a time").timestamp();
    let ahead = target.as_microsecond() - now.timestamp().as_microsecond();
    t.app.clock.advance(ahead / 1_000_000);
    if let Some(zalo) = &t.zalo {
        zalo.advance_clock(Duration::from_micros(ahead.unsigned_abs()));
    }
}

/// What a citizen does in one step of a case.
#[derive(Debug, Clone, Copy)]
enum Say {
    Text(&'static str),
    /// The n-th (1-based) choice of the bot's last reply: a tapped button on the web chat, the
    /// number typed on Zalo.
    Choice(usize),
    /// Shares a location (Bãi Cháy).
    Location,
    /// A sticker (Zalo only).
    Sticker,
    /// A photo with a caption (Zalo only).
    Photo(&'static str),
}

/// One citizen's conversation: what they say, step by step.
struct Case {
    title: &'static str,
    says: &'static [Say],
}

const fn case(title: &'static str, says: &'static [Say]) -> Case {
    Case { title, says }
}

/// The messages both channels get, typed the ways people type.
const CASES: &[Case] = &[
    case("greeting", &[Say::Text("xin chào")]),
    case("greeting, informal", &[Say::Text("alo")]),
    case("greeting, then the first menu item", &[Say::Text("chào công an phường"), Say::Choice(1)]),
    case("ID card fee, no diacritics", &[Say::Text("lam cccd het bao nhieu tien")]),
    case("ID card fee, with diacritics", &[Say::Text("Làm căn cước hết bao nhiêu tiền?")]),
    case("ID card fee, then helpful", &[Say::Text("le phi cap doi can cuoc"), Say::Choice(1)]),
    case("lost ID card, teencode", &[Say::Text("e bi mat cccd r thi lam lai o dau a")]),
    case("ID card for a child", &[Say::Text("con tôi 10 tuổi có phải làm căn cước không")]),
    case("temporary residence, teencode", &[Say::Text("e muon dki tam tru thi can giay to gi")]),
    case("temporary residence online", &[Say::Text("đăng ký tạm trú online được không ạ")]),
    case("permanent residence", &[Say::Text("thu tuc dang ky thuong tru cho vo")]),
    case("temporary absence", &[Say::Text("đi làm xa có phải khai báo tạm vắng không")]),
    case("passport", &[Say::Text("thủ tục làm hộ chiếu")]),
    case("passport, how long", &[Say::Text("lam ho chieu mat bao lau vay")]),
    case("VNeID level 2", &[Say::Text("kich hoat dinh danh dien tu muc 2")]),
    case("scam call", &[Say::Text("có người gọi điện xưng công an bảo tôi chuyển tiền")]),
    case("scam, where to report", &[Say::Text("bi lua dao qua mang thi bao o dau")]),
    case("another agency (driving licence)", &[Say::Text("cấp lại bằng lái xe ở đâu")]),
    case("out of scope", &[Say::Text("thời tiết hôm nay thế nào")]),
    case("talk to an officer", &[Say::Text("gặp cán bộ")]),
    case("talk to an officer, then again", &[Say::Text("cho em gap can bo"), Say::Text("alo có ai không")]),
    case("fire", &[Say::Text("cháy nhà rồi cứu với")]),
    case("traffic accident", &[Say::Text("tai nạn giao thông ở ngã tư có người bị thương")]),
    case("rescue, no diacritics", &[Say::Text("co nguoi bi ket trong thang may chung cu")]),
    case("noise report", &[Say::Text("nhà hàng xóm hát karaoke ồn quá không ngủ được")]),
    case("stolen motorbike", &[Say::Text("toi bi mat xe may truoc cua nha")]),
    case("personal data in a question", &[Say::Text("số cccd của tôi là 022190001234 sao chưa có thẻ")]),
    case("opening hours", &[Say::Text("phường làm việc giờ nào")]),
    case("hotline", &[Say::Text("sdt cong an phuong")]),
    case("dossier status", &[Say::Text("tra cứu hồ sơ")]),
    case("English", &[Say::Text("How do I register temporary residence?")]),
    case("thanks", &[Say::Text("cảm ơn nhé")]),
    case("gibberish", &[Say::Text("asdfgh")]),
    case("location", &[Say::Location]),
];

/// What only Zalo carries in this suite.
const ZALO_CASES: &[Case] =
    &[case("sticker", &[Say::Sticker]), case("photo with a caption", &[Say::Photo("xe máy bị lấy trộm ở đây")])];

/// Bãi Cháy, Hạ Long.
const LAT_LON: (f64, f64) = (20.9587, 107.0456);

/// A JSON string field, or "" (transcripts show what is there).
fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The conversations an inbox page lists, as links (`/inbox/12`), in order.
fn conversation_links(inbox: &str) -> Vec<&str> {
    inbox.split("class=\"conv-link\" href=\"").skip(1).filter_map(|s| s.split('"').next()).collect()
}

/// Every open conversation of the ward as its officer sees it in the inbox: the citizen
/// messages and the bot messages, counted over all threads.
async fn inbox_counts(t: &TestApp, officer: &reqwest::Client) -> (usize, usize) {
    let (status, list) = t.get(officer, "/inbox?queue=unit").await;
    assert_eq!(status, 200, "the ward's inbox opens");
    let (mut citizen, mut bot) = (0, 0);
    for link in conversation_links(&list) {
        let (status, thread) = t.get(officer, &format!("{link}/thread")).await;
        assert_eq!(status, 200, "{link}/thread");
        citizen += thread.matches("class=\"msg citizen\"").count();
        bot += thread.matches("class=\"msg bot\"").count();
    }
    (citizen, bot)
}

/// Waits until the officer sees `sent` citizen messages and as many bot messages as the
/// channel says it delivered (`delivered` counts them): every turn is taken and every reply
/// has reached the citizen.
async fn until_all_delivered<F, Fut>(t: &TestApp, officer: &reqwest::Client, sent: usize, delivered: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    eventually("every citizen message answered and delivered", WAIT, || async {
        let (citizen, bot) = inbox_counts(t, officer).await;
        (citizen == sent && bot == delivered().await).then_some(())
    })
    .await;
}

// ---- Web chat ----

/// A citizen on the web chat: a browser of their own, from an address of their own (the app
/// limits how many sessions one address starts).
struct WebCitizen {
    browser: reqwest::Client,
    /// The status the chat answered each posted message with, by message id.
    statuses: Vec<(i64, String)>,
}

impl WebCitizen {
    async fn open(t: &TestApp, n: usize) -> WebCitizen {
        let mut headers = reqwest::header::HeaderMap::new();
        let address = format!("198.51.100.{n}");
        headers.insert("x-forwarded-for", address.parse().expect("header value"));
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .timeout(WAIT)
            .build()
            .expect("http client");
        let (status, _) = t.get(&browser, &format!("/u/{UNIT}/chat")).await;
        assert_eq!(status, 200, "the chat page opens");
        WebCitizen { browser, statuses: Vec::new() }
    }

    async fn say(&mut self, t: &TestApp, say: Say) {
        let body = match say {
            Say::Text(text) => serde_json::json!({ "text": text }),
            Say::Choice(n) => {
                let history = chat_history(t, &self.browser).await;
                let last = history.iter().rev().find(|m| m["dir"] == "out").expect("a reply to choose from");
                let button = &last["buttons"][n - 1];
                assert!(button.is_object(), "choice {n} among the buttons of: {last}");
                serde_json::json!({ "payload": button["payload"], "label": button["label"] })
            }
            Say::Location => serde_json::json!({ "lat": LAT_LON.0, "lon": LAT_LON.1 }),
            Say::Sticker | Say::Photo(_) => unreachable!("not a web chat case"),
        };
        let r = self.browser.post(t.url(&format!("/u/{UNIT}/chat/messages"))).json(&body).send().await.expect("post");
        assert_eq!(r.status(), 200, "the chat takes {say:?}");
        let v: Value = r.json().await.expect("json");
        let id = v["id"].as_i64().expect("message id");
        self.statuses.push((id, str_of(&v["status"]).to_string()));
    }
}

/// The chat's history as the page's live stream gives it (up to the `ready` event).
async fn chat_history(t: &TestApp, browser: &reqwest::Client) -> Vec<Value> {
    let mut resp = browser.get(t.url(&format!("/u/{UNIT}/chat/events"))).send().await.expect("events");
    assert_eq!(resp.status(), 200, "the live stream opens");
    let end = Instant::now() + WAIT;
    let (mut buf, mut messages) = (String::new(), Vec::new());
    loop {
        while let Some(pos) = buf.find("\n\n") {
            let block: String = buf.drain(..pos + 2).collect();
            if block.lines().any(|l| l.trim() == "event: ready") {
                return messages;
            }
            // Named events other than messages (the header's `state`) are not part of the history.
            if block.lines().any(|l| l.starts_with("event:")) {
                continue;
            }
            let data: Vec<&str> = block.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
            if let Ok(v) = serde_json::from_str::<Value>(&data.join("\n")) {
                messages.push(v);
            }
        }
        let left = end.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, resp.chunk()).await;
        let Ok(Ok(Some(bytes))) = chunk else { panic!("the live stream ended before its history was complete") };
        buf.push_str(&String::from_utf8_lossy(&bytes));
    }
}

/// The citizen's messages (with the conversation's status after each) and the replies, with
/// their buttons, as the chat shows them.
fn web_transcript(out: &mut String, history: &[Value], statuses: &[(i64, String)]) {
    for m in history {
        let text = str_of(&m["text"]);
        if m["dir"] == "in" {
            let status = statuses.iter().find(|(id, _)| Some(*id) == m["id"].as_i64()).map(|(_, s)| s.as_str());
            let _ = writeln!(out, "> [{}] {text}", str_of(&m["kind"]));
            let _ = writeln!(out, "  (conversation: {})", status.unwrap_or("?"));
            continue;
        }
        let _ = writeln!(out, "< {}: {}", str_of(&m["author"]), text.replace('\n', "\n  "));
        for b in m["buttons"].as_array().into_iter().flatten() {
            let _ = writeln!(out, "  [{}] -> {}", str_of(&b["label"]), str_of(&b["payload"]));
        }
        if let Some(entry) = m["feedback_for"].as_str() {
            let _ = writeln!(out, "  (asks for feedback on {entry})");
        }
    }
}

#[tokio::test]
async fn bot_replies_on_the_web_chat() {
    let options = Options { demo: true, trusted_proxies: Some("127.0.0.1".into()), ..Default::default() };
    let t = TestApp::spawn_with(options).await;
    pin_clock_to_tuesday_morning(&t);
    let officer = t.login(WARD_OFFICER).await;
    let mut citizens = Vec::new();
    for n in 0..CASES.len() {
        citizens.push(WebCitizen::open(&t, n + 1).await);
    }
    let rounds = CASES.iter().map(|c| c.says.len()).max().unwrap_or(0);
    let mut sent = 0;
    for round in 0..rounds {
        for (case, citizen) in CASES.iter().zip(citizens.iter_mut()) {
            if let Some(say) = case.says.get(round) {
                citizen.say(&t, *say).await;
                sent += 1;
            }
        }
        until_all_delivered(&t, &officer, sent, || async {
            let mut delivered = 0;
            for c in &citizens {
                delivered += chat_history(&t, &c.browser).await.iter().filter(|m| m["dir"] == "out").count();
            }
            delivered
        })
        .await;
    }
    let mut out = String::from("# What a citizen sees on the web chat of Công an phường Bãi Cháy\n");
    for (case, citizen) in CASES.iter().zip(&citizens) {
        let _ = writeln!(out, "\n## {}", case.title);
        web_transcript(&mut out, &chat_history(&t, &citizen.browser).await, &citizen.statuses);
    }
    let mut s = settings();
    s.set_description("Each case is a new chat session; what the chat page's live stream shows.");
    s.bind(|| insta::assert_snapshot!("bot_replies_web_chat", out));
}

// ---- Zalo ----

/// A citizen on Zalo, by their user id.
fn zalo_user(n: usize) -> String {
    format!("7712390045123988{n:03}")
}

/// What the fake Zalo received from the OA for one user (`GET /__fake/messages`).
async fn zalo_received(t: &TestApp, http: &reqwest::Client, user: &str) -> Vec<Value> {
    let zalo = t.zalo.as_ref().expect("fake Zalo");
    let url = format!("{}/__fake/messages?user_id={user}", zalo.base_url());
    let r = http.get(url).send().await.expect("fake messages");
    r.json::<Vec<Value>>().await.expect("json")
}

async fn zalo_say(t: &TestApp, user: &str, say: Say) {
    let zalo = t.zalo.as_ref().expect("fake Zalo");
    let action = match say {
        Say::Text(text) => UserAction::text(WARD_OA, text),
        Say::Choice(n) => UserAction::text(WARD_OA, &n.to_string()),
        Say::Location => UserAction::location(WARD_OA, LAT_LON.0, LAT_LON.1),
        Say::Sticker => UserAction { sticker_id: Some("a1b2c3".into()), ..UserAction::event(WARD_OA, "sticker") },
        Say::Photo(caption) => UserAction::image(WARD_OA, Some(caption)),
    };
    let delivery = zalo.user_sends(user, action).await.expect("the fake delivers the webhook");
    assert_eq!(delivery.statuses, vec![Some(200)], "the webhook takes {say:?}");
}

/// What the citizen did, then each message the OA sent them in answer.
fn zalo_step(out: &mut String, say: Say, replies: &[Value]) {
    let said = match say {
        Say::Text(text) => text.to_string(),
        Say::Choice(n) => n.to_string(),
        Say::Location => format!("[location {}, {}]", LAT_LON.0, LAT_LON.1),
        Say::Sticker => "[sticker]".into(),
        Say::Photo(caption) => format!("[photo] {caption}"),
    };
    let _ = writeln!(out, "> {said}");
    for r in replies {
        let quoted = if r["quote_message_id"].is_string() { " (quoting the citizen)" } else { "" };
        let _ = writeln!(out, "< {}{quoted}: {}", str_of(&r["kind"]), str_of(&r["text"]).replace('\n', "\n  "));
    }
}

#[tokio::test]
async fn bot_replies_on_zalo() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    pin_clock_to_tuesday_morning(&t);
    let officer = t.login(WARD_OFFICER).await;
    let http = t.client();
    let cases: Vec<&Case> = CASES.iter().chain(ZALO_CASES).collect();
    let users: Vec<String> = (1..=cases.len()).map(zalo_user).collect();
    let mut transcripts: Vec<String> = vec![String::new(); cases.len()];
    let mut seen = vec![0; cases.len()];
    let rounds = cases.iter().map(|c| c.says.len()).max().unwrap_or(0);
    let mut sent = 0;
    for round in 0..rounds {
        let mut said = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            if let Some(say) = case.says.get(round) {
                zalo_say(&t, &users[i], *say).await;
                said.push((i, *say));
                sent += 1;
            }
        }
        until_all_delivered(&t, &officer, sent, || async {
            let mut delivered = 0;
            for user in &users {
                delivered += zalo_received(&t, &http, user).await.len();
            }
            delivered
        })
        .await;
        for (i, say) in said {
            let received = zalo_received(&t, &http, &users[i]).await;
            zalo_step(&mut transcripts[i], say, &received[seen[i]..]);
            seen[i] = received.len();
        }
    }
    let mut out = String::from("# What a citizen receives on Zalo from the OA of Công an phường Bãi Cháy\n");
    for (case, transcript) in cases.iter().zip(&transcripts) {
        let _ = write!(out, "\n## {}\n{transcript}", case.title);
    }
    let mut s = settings();
    s.set_description("Each case is a new Zalo user; the messages the fake Zalo received from the OA.");
    s.bind(|| insta::assert_snapshot!("bot_replies_zalo", out.trim_end()));
}

// ---- Pages ----

/// The demo OAs count as connected at the pinned time: the clock jumped up to a week past the
/// boot, which the console would otherwise read as days without a webhook from Zalo.
async fn connect_demo_oas_at_the_pinned_time(t: &TestApp) {
    let now = t.app.clock.now_micros();
    caunoi::db_write!(&t.app.db, pool => sqlx::query("UPDATE zalo_oa_connections SET connected_at = $1").bind(now).execute(pool).await.map(|_| ()))
        .expect("connected_at");
}

/// GETs a page that must render (200) and snapshots its HTML.
async fn snapshot_page(t: &TestApp, client: &reqwest::Client, name: &str, path: &str, who: &str) {
    let (status, body) = t.get(client, path).await;
    assert_eq!(status, 200, "GET {path} as {who}: {body}");
    let mut s = settings();
    s.set_description(format!("GET {path} as {who}"));
    s.bind(|| insta::assert_snapshot!(name, body));
}

#[tokio::test]
async fn public_pages_render_the_same() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    pin_clock_to_tuesday_morning(&t);
    let citizen = t.client();
    snapshot_page(&t, &citizen, "public_unit_page", &format!("/u/{UNIT}"), "a citizen").await;
    snapshot_page(&t, &citizen, "public_chat_page", &format!("/u/{UNIT}/chat"), "a citizen").await;
}

#[tokio::test]
async fn console_pages_render_the_same() {
    let options = Options { demo: true, zalo: true, trusted_proxies: Some("127.0.0.1".into()), ..Default::default() };
    let t = TestApp::spawn_with(options).await;
    pin_clock_to_tuesday_morning(&t);
    connect_demo_oas_at_the_pinned_time(&t).await;
    snapshot_page(&t, &t.client(), "sign_in_page", "/login", "a visitor").await;

    // Citizens write in: one asks for an officer, one reports a fire, two ask what the
    // knowledge base does not answer (the review groups them), and a Zalo reply cannot be
    // delivered.
    let texts = [
        "cho em gặp cán bộ",
        "cháy nhà rồi cứu với",
        "bao giờ có lịch tiêm phòng dại",
        "bao gio co lich tiem phong dai",
    ];
    for (n, text) in texts.into_iter().enumerate() {
        WebCitizen::open(&t, n + 1).await.say(&t, Say::Text(text)).await;
    }
    let zalo = t.zalo.as_ref().expect("fake Zalo");
    zalo.inject(caunoi_zalo::fake::Fault::Error {
        code: -230,
        message: "User has not interacted with the OA".into(),
        count: 1,
    });
    zalo_say(&t, &zalo_user(1), Say::Text("lam cccd het bao nhieu tien")).await;

    let duty = t.login("trucban.baichay").await;
    eventually("the undeliverable reply is listed", WAIT, || async {
        let (_, page) = t.get(&duty, "/outbox/dead").await;
        page.contains("id=\"dead-letters\"").then_some(())
    })
    .await;
    let admin = t.login("admin.qn").await;
    let leader = t.login("lanhdao.qn").await;

    snapshot_page(&t, &admin, "unit_tree", "/units", "admin.qn").await;
    snapshot_page(&t, &admin, "unit_page", &format!("/units/{UNIT}"), "admin.qn").await;
    snapshot_page(&t, &leader, "unit_bot_settings", &format!("/units/{UNIT}/bot"), "lanhdao.qn").await;
    snapshot_page(&t, &duty, "inbox_waiting", "/inbox", "trucban.baichay").await;
    let (_, inbox) = t.get(&duty, "/inbox").await;
    let first = conversation_links(&inbox).first().expect("a waiting conversation").to_string();
    snapshot_page(&t, &duty, "inbox_conversation", &first, "trucban.baichay").await;
    snapshot_page(&t, &duty, "failed_deliveries", "/outbox/dead", "trucban.baichay").await;
    snapshot_page(&t, &admin, "kb_list", &format!("/kb?unit={UNIT}"), "admin.qn").await;
    let entry = format!("/kb/entry/can-cuoc.le-phi?unit={UNIT}");
    snapshot_page(&t, &admin, "kb_entry_edit", &entry, "admin.qn").await;
    snapshot_page(&t, &leader, "kb_review", "/kb/review", "lanhdao.qn").await;
    snapshot_page(&t, &admin, "officers", "/officers", "admin.qn").await;
    snapshot_page(&t, &admin, "audit_log", "/audit", "admin.qn").await;

    // The duty roster with a nightly shift for two weeks and a hand-over note written.
    let officer: i64 = caunoi::db_read!(&t.app.db, pool => sqlx::query_scalar(
        "SELECT id FROM officers WHERE username = 'canbo.baichay'"
    ).fetch_one(pool).await)
    .expect("officer");
    let vietnam = jiff::tz::TimeZone::fixed(jiff::tz::offset(7));
    let today = t.app.clock.now().to_zoned(vietnam).date();
    let night = |d: jiff::civil::Date, h: i8| d.at(h, 0, 0, 0).strftime("%Y-%m-%dT%H:%M").to_string();
    let tomorrow = today.tomorrow().expect("a date");
    let until = today.checked_add(jiff::ToSpan::days(13)).expect("a date").to_string();
    let plan = [
        ("unit", UNIT),
        ("officer", &officer.to_string()),
        ("starts_at", &night(today, 22)),
        ("ends_at", &night(tomorrow, 6)),
        ("repeat", "daily"),
        ("until", &until),
    ];
    assert_eq!(t.post(&duty, "/inbox/roster", &plan).await.0, 303);
    let note = [("unit", UNIT), ("text", "Tổ 5 khu 3 còn theo dõi vụ cháy.")];
    assert_eq!(t.post(&duty, "/inbox/handover", &note).await.0, 303);
    let (status, roster) = t.get(&duty, &format!("/inbox/roster?unit={UNIT}")).await;
    assert_eq!(status, 200);
    let mut s = settings();
    s.add_filter(r"\b\d{2}/\d{2}/\d{4}\b", "[date]");
    s.add_filter(r"\b\d{4}-\d{2}-\d{2}\b", "[date]");
    s.set_description(format!("GET /inbox/roster?unit={UNIT} as trucban.baichay"));
    s.bind(|| insta::assert_snapshot!("inbox_roster", roster));
    // The deployment's admin (admin of the root unit), who alone edits the report categories.
    let input = caunoi::staff::service::NewOfficerInput {
        username: "quantri.hethong".into(),
        display_name: "Quản trị hệ thống".into(),
        password: caunoi_testkit::DEMO_PASSWORD.into(),
        role: "admin".into(),
        unit_code: "bo-cong-an".into(),
    };
    caunoi::staff::service::create_officer(&t.app, None, &input).await.expect("deployment admin");
    let deployment_admin = t.login("quantri.hethong").await;
    snapshot_page(&t, &deployment_admin, "case_categories", "/cases/categories", "quantri.hethong").await;
    snapshot_page(&t, &deployment_admin, "case_category_edit", "/cases/categories/noise", "quantri.hethong").await;

    // At 22:30 the officer's night shift has begun: the duty officer's hand-over note tops the
    // board of cases (as every console page) until the officer has read it.
    t.app.clock.advance(13 * 3600 + 30 * 60);
    let night_officer = t.login("canbo.baichay").await;
    snapshot_page(&t, &night_officer, "cases_board_handover", "/cases", "canbo.baichay, on duty").await;
}
