//! Parsing of every webhook kind we use, from the example payloads of zalo-oa.md §3.6.

use caunoi_zalo::event::{Attachment, DeliveryReceipt, Event, EventError, EventKind, MessageKind, route_oa_id};
use caunoi_zalo::{MessageId, OaId, UserId};

const OA: &str = "2960384411273650001";
const USER: &str = "7712390045123987654";

fn parse(body: &str) -> Event {
    match Event::parse(body.as_bytes()) {
        Ok(event) => event,
        Err(e) => panic!("failed to parse {body}: {e}"),
    }
}

fn user_message(body: &str) -> caunoi_zalo::event::UserMessage {
    match parse(body).kind {
        EventKind::UserMessage(m) => m,
        other => panic!("expected a user message, got {other:?}"),
    }
}

#[test]
fn user_send_text_keeps_ids_as_strings() {
    let event = parse(
        r#"{
  "app_id": "1434927390812345678",
  "user_id_by_app": "5587713006543219870",
  "event_name": "user_send_text",
  "timestamp": "1763802000123",
  "sender": { "id": "7712390045123987654" },
  "recipient": { "id": "2960384411273650001" },
  "message": { "text": "Thủ tục cấp căn cước cần giấy tờ gì?", "msg_id": "a1b2c3d4e5f60718293a" }
}"#,
    );
    assert_eq!(event.app_id, "1434927390812345678");
    assert_eq!(event.timestamp, "1763802000123");
    assert_eq!(event.timestamp_millis(), Some(1_763_802_000_123));
    assert_eq!(event.user_id_by_app.as_deref(), Some("5587713006543219870"));
    assert_eq!(event.oa_id(), Some(OaId::new(OA)));
    assert!(event.is_interaction());
    assert_eq!(event.dedupe_key(), format!("{OA}|user_send_text|a1b2c3d4e5f60718293a"));
    let EventKind::UserMessage(m) = event.kind else { panic!("not a message") };
    assert_eq!(m.kind, MessageKind::Text);
    assert_eq!(m.user_id, UserId::new(USER));
    assert_eq!(m.text.as_deref(), Some("Thủ tục cấp căn cước cần giấy tờ gì?"));
    assert!(m.attachments.is_empty());
}

#[test]
fn big_numeric_ids_keep_every_digit() {
    let event = parse(
        r#"{"app_id":1434927390812345678,"event_name":"user_send_text","timestamp":1763802000123,
            "sender":{"id":7712390045123987654},"recipient":{"id":2960384411273650001},
            "message":{"text":"a","msg_id":"m1"}}"#,
    );
    assert_eq!(event.app_id, "1434927390812345678");
    assert_eq!(event.oa_id(), Some(OaId::new(OA)));
    assert_eq!(event.user_id(), Some(UserId::new(USER)));
}

#[test]
fn quoted_reply_carries_quote_msg_id() {
    let m = user_message(
        r#"{"app_id":"1","event_name":"user_send_text","timestamp":"1","sender":{"id":"u"},"recipient":{"id":"o"},
            "message":{"text":"ok","msg_id":"m2","quote_msg_id":"m1"}}"#,
    );
    assert_eq!(m.quote_msg_id, Some(MessageId::new("m1")));
}

#[test]
fn user_send_image_has_url_thumbnail_and_caption() {
    let m = user_message(
        r#"{
  "app_id": "1434927390812345678",
  "user_id_by_app": "5587713006543219870",
  "event_name": "user_send_image",
  "timestamp": "1763802061000",
  "sender": { "id": "7712390045123987654" },
  "recipient": { "id": "2960384411273650001" },
  "message": {
    "msg_id": "b7c1e0f2a3d4c5b6a798",
    "text": "Xe máy bị lấy trộm trước cổng chợ",
    "attachments": [
      { "type": "image",
        "payload": { "url": "https://f21-zpc.zdn.vn/jpg/1111/2222/photo.jpg",
                     "thumbnail": "https://f21-zpc.zdn.vn/thumb/1111/2222/photo.jpg" } }
    ]
  }
}"#,
    );
    assert_eq!(m.kind, MessageKind::Image);
    assert_eq!(m.text.as_deref(), Some("Xe máy bị lấy trộm trước cổng chợ"));
    assert_eq!(
        m.attachments,
        vec![Attachment::Image {
            url: "https://f21-zpc.zdn.vn/jpg/1111/2222/photo.jpg".into(),
            thumbnail: Some("https://f21-zpc.zdn.vn/thumb/1111/2222/photo.jpg".into()),
        }]
    );
}

fn with_attachment(event_name: &str, attachment: &str) -> caunoi_zalo::event::UserMessage {
    user_message(&format!(
        r#"{{"app_id":"1434927390812345678","user_id_by_app":"5587713006543219870","event_name":"{event_name}",
            "timestamp":"1763802061000","sender":{{"id":"{USER}"}},"recipient":{{"id":"{OA}"}},
            "message":{{"msg_id":"x1","attachments":[{attachment}]}}}}"#
    ))
}

#[test]
fn user_send_video_audio_file_link_sticker_parse() {
    let video = with_attachment(
        "user_send_video",
        r#"{ "type": "video", "payload": { "url": "https://a.zdn.vn/clip.mp4", "thumbnail": "https://a.zdn.vn/t.jpg", "description": "" } }"#,
    );
    assert_eq!(video.kind, MessageKind::Video);
    assert!(matches!(&video.attachments[0], Attachment::Video { url, .. } if url == "https://a.zdn.vn/clip.mp4"));

    let audio = with_attachment(
        "user_send_audio",
        r#"{ "type": "audio", "payload": { "url": "https://a.zdn.vn/voice.aac" } }"#,
    );
    assert_eq!(audio.attachments, vec![Attachment::Audio { url: "https://a.zdn.vn/voice.aac".into() }]);

    let file = with_attachment(
        "user_send_file",
        r#"{ "type": "file", "payload": { "url": "https://a.zdn.vn/don-trinh-bao.pdf", "name": "don-trinh-bao.pdf", "size": "245812", "type": "pdf", "checksum": "abc" } }"#,
    );
    assert_eq!(
        file.attachments,
        vec![Attachment::File {
            url: "https://a.zdn.vn/don-trinh-bao.pdf".into(),
            name: Some("don-trinh-bao.pdf".into()),
            size: Some(245_812),
            file_type: Some("pdf".into()),
            checksum: Some("abc".into()),
        }]
    );

    let link = with_attachment(
        "user_send_link",
        r#"{ "type": "link", "payload": { "url": "https://example.vn/bai-viet", "thumbnail": "https://a/t.jpg", "description": "d" } }"#,
    );
    assert_eq!(link.kind, MessageKind::Link);
    assert!(matches!(&link.attachments[0], Attachment::Link { url, .. } if url == "https://example.vn/bai-viet"));

    let sticker = with_attachment(
        "user_send_sticker",
        r#"{ "type": "sticker", "payload": { "id": "s1", "url": "https://a/s.png" } }"#,
    );
    assert_eq!(
        sticker.attachments,
        vec![Attachment::Sticker { id: Some("s1".into()), url: Some("https://a/s.png".into()) }]
    );
}

#[test]
fn user_send_location_reads_string_or_number_coordinates() {
    let m = user_message(
        r#"{
  "app_id": "1434927390812345678",
  "user_id_by_app": "5587713006543219870",
  "event_name": "user_send_location",
  "timestamp": "1763802122000",
  "sender": { "id": "7712390045123987654" },
  "recipient": { "id": "2960384411273650001" },
  "message": {
    "msg_id": "c9d8e7f6a5b4c3d2e1f0",
    "text": "",
    "attachments": [
      { "type": "location",
        "payload": { "coordinates": { "latitude": "21.0277644", "longitude": "105.8341598" } } }
    ]
  }
}"#,
    );
    assert_eq!(m.kind, MessageKind::Location);
    assert_eq!(m.location(), Some((21.0277644, 105.8341598)));

    let numbers = with_attachment(
        "user_send_location",
        r#"{ "type": "location", "payload": { "coordinates": { "lat": 10.7769, "long": 106.7009 } } }"#,
    );
    assert_eq!(numbers.location(), Some((10.7769, 106.7009)));
}

#[test]
fn impossible_coordinates_are_an_error() {
    let body = r#"{"app_id":"1","event_name":"user_send_location","timestamp":"1","sender":{"id":"u"},"recipient":{"id":"o"},
            "message":{"msg_id":"m","attachments":[{"type":"location","payload":{"coordinates":{"latitude":"abc","longitude":"1"}}}]}}"#;
    assert!(matches!(Event::parse(body.as_bytes()), Err(EventError::InvalidField { .. })));
}

#[test]
fn follow_and_unfollow_use_top_level_oa_id() {
    let body = r#"{
  "app_id": "1434927390812345678",
  "oa_id": "2960384411273650001",
  "user_id_by_app": "5587713006543219870",
  "event_name": "follow",
  "source": "oa_profile",
  "timestamp": "1763802200000",
  "follower": { "id": "7712390045123987654" }
}"#;
    let event = parse(body);
    assert!(event.is_interaction());
    let EventKind::Follow(f) = &event.kind else { panic!("not a follow") };
    assert_eq!(f.oa_id, OaId::new(OA));
    assert_eq!(f.user_id, UserId::new(USER));
    assert_eq!(f.source.as_deref(), Some("oa_profile"));

    let unfollow = parse(&body.replace("\"follow\"", "\"unfollow\""));
    assert!(matches!(unfollow.kind, EventKind::Unfollow(_)));
    assert!(!unfollow.is_interaction());
}

#[test]
fn user_submit_info_reads_the_newer_layout() {
    let event = parse(
        r#"{
  "app_id": "1434927390812345678",
  "event_name": "user_submit_info",
  "timestamp": "1763802300000",
  "sender": { "id": "7712390045123987654" },
  "recipient": { "id": "2960384411273650001" },
  "info": {
    "name": "Nguyễn Văn An",
    "phone": "84912345678",
    "user_dob": "30/10/1990",
    "gender": "Nam",
    "full_address": {
      "user_city": "Thành phố Hà Nội",
      "user_ward": "Phường Hoàn Kiếm",
      "user_address": "12 Hàng Bài"
    }
  }
}"#,
    );
    let EventKind::UserSubmitInfo(info) = &event.kind else { panic!("not submit_info") };
    assert_eq!(info.oa_id, OaId::new(OA));
    assert_eq!(info.name.as_deref(), Some("Nguyễn Văn An"));
    assert_eq!(info.phone.as_deref(), Some("84912345678"));
    assert_eq!(info.date_of_birth.as_deref(), Some("30/10/1990"));
    assert_eq!(info.city.as_deref(), Some("Thành phố Hà Nội"));
    assert_eq!(info.ward.as_deref(), Some("Phường Hoàn Kiếm"));
    assert_eq!(info.address.as_deref(), Some("12 Hàng Bài"));
    // Personal data stays out of Debug output.
    assert!(!format!("{info:?}").contains("84912345678"));
}

#[test]
fn user_submit_info_reads_the_older_layout() {
    let event = parse(
        r#"{"app_id":"1","event_name":"user_submit_info","timestamp":"1","sender":{"id":"u"},"recipient":{"id":"o"},
            "info":{"name":"An","phone":84912345678,"address":"12 Hàng Bài","city":"Hà Nội","district":"Hoàn Kiếm","ward":"Hàng Bài"}}"#,
    );
    let EventKind::UserSubmitInfo(info) = event.kind else { panic!("not submit_info") };
    assert_eq!(info.phone.as_deref(), Some("84912345678"));
    assert_eq!(info.district.as_deref(), Some("Hoàn Kiếm"));
    assert_eq!(info.city.as_deref(), Some("Hà Nội"));
}

#[test]
fn received_and_seen_receipts_name_the_oa_as_sender() {
    let received = parse(
        r#"{ "app_id": "1434927390812345678", "event_name": "user_received_message", "timestamp": "1763802400000",
  "sender": { "id": "2960384411273650001" }, "recipient": { "id": "7712390045123987654" },
  "message": { "msg_id": "f00dfeedbeef00112233" } }"#,
    );
    assert_eq!(received.oa_id(), Some(OaId::new(OA)));
    assert!(!received.is_interaction());
    assert_eq!(
        received.kind,
        EventKind::MessageReceived(DeliveryReceipt {
            oa_id: OaId::new(OA),
            recipient_id: USER.into(),
            msg_id: MessageId::new("f00dfeedbeef00112233"),
            tracking_id: None,
            delivery_time: None,
        })
    );

    let seen = parse(
        r#"{ "app_id": "1434927390812345678", "event_name": "user_seen_message", "timestamp": "1763802460000",
  "sender": { "id": "2960384411273650001" }, "recipient": { "id": "7712390045123987654" },
  "message": { "msg_ids": ["f00dfeedbeef00112233", "f00dfeedbeef00112234"] } }"#,
    );
    let EventKind::MessageSeen(r) = &seen.kind else { panic!("not seen") };
    assert_eq!(r.oa_id, OaId::new(OA));
    assert_eq!(r.msg_ids.len(), 2);
    assert!(!seen.is_interaction());
}

#[test]
fn zns_receipt_carries_tracking_id_and_delivery_time() {
    let event = parse(
        r#"{ "app_id": "1434927390812345678", "event_name": "user_received_message", "timestamp": "1763803000000",
  "sender": { "id": "2960384411273650001" }, "recipient": { "id": "84912345678" },
  "message": { "msg_id": "9e8d7c6b5a4f3e2d1c0b", "tracking_id": "appt-2026-000123-remind24h", "delivery_time": "1763802998765" } }"#,
    );
    let EventKind::MessageReceived(r) = event.kind else { panic!("not a receipt") };
    assert_eq!(r.recipient_id, "84912345678");
    assert_eq!(r.tracking_id.as_deref(), Some("appt-2026-000123-remind24h"));
    assert_eq!(r.delivery_time.as_deref(), Some("1763802998765"));
}

#[test]
fn oa_send_text_echo_keeps_admin_id() {
    let event = parse(
        r#"{ "app_id": "1434927390812345678", "event_name": "oa_send_text", "timestamp": "1763802500000",
  "user_id_by_app": "5587713006543219870",
  "sender": { "id": "2960384411273650001", "admin_id": "3012345678901234567" },
  "recipient": { "id": "7712390045123987654" },
  "message": { "msg_id": "0a1b2c3d4e5f60718291", "text": "Cán bộ tiếp nhận: anh vui lòng mang CCCD bản gốc." } }"#,
    );
    assert!(!event.is_interaction());
    assert_eq!(event.oa_id(), Some(OaId::new(OA)));
    let EventKind::OaEcho(echo) = event.kind else { panic!("not an echo") };
    assert_eq!(echo.admin_id.as_deref(), Some("3012345678901234567"));
    assert_eq!(echo.user_id, UserId::new(USER));
    assert_eq!(echo.kind, MessageKind::Text);
}

#[test]
fn other_oa_send_echoes_parse() {
    for kind in ["image", "gif", "file", "sticker", "list", "template"] {
        let body = format!(
            r#"{{"app_id":"1","event_name":"oa_send_{kind}","timestamp":"1","sender":{{"id":"o"}},"recipient":{{"id":"u"}},"message":{{"msg_id":"m"}}}}"#
        );
        assert!(matches!(parse(&body).kind, EventKind::OaEcho(_)), "oa_send_{kind}");
    }
}

#[test]
fn user_click_chatnow_opens_the_window() {
    let event = parse(
        r#"{ "app_id": "1434927390812345678", "oa_id": "2960384411273650001", "user_id": "7712390045123987654",
  "user_id_by_app": "5587713006543219870", "event_name": "user_click_chatnow", "timestamp": "1763802550000" }"#,
    );
    assert!(event.is_interaction());
    assert_eq!(event.user_id(), Some(UserId::new(USER)));
}

#[test]
fn unknown_event_is_kept_whole() {
    let body = r#"{ "app_id": "1434927390812345678", "oa_id": "2960384411273650001", "user_id_by_app": "5587713006543219870",
  "event_name": "add_user_to_tag", "timestamp": "1763802600000",
  "tag": { "name": "khu-pho-3", "user_ids": ["7712390045123987654"] } }"#;
    let event = parse(body);
    assert_eq!(event.oa_id(), Some(OaId::new(OA)));
    let EventKind::Unknown { event_name, raw } = &event.kind else { panic!("not unknown") };
    assert_eq!(event_name, "add_user_to_tag");
    assert_eq!(raw["tag"]["name"], "khu-pho-3");
}

#[test]
fn unknown_event_routes_by_camel_case_oa_id_and_anonymous_by_recipient() {
    let quota = parse(
        r#"{ "app_id": "1434927390812345678", "oaId": "2960384411273650001", "event_name": "change_oa_daily_quota",
  "quota": { "prev_value": "5000", "new_value": "2000" }, "timestamp": "1763803200000" }"#,
    );
    assert_eq!(quota.oa_id(), Some(OaId::new(OA)));
    let anon: serde_json::Value = serde_json::from_str(
        r#"{ "app_id": "1", "event_name": "anonymous_send_text", "timestamp": "1",
  "sender": { "id": "anon-5f2c8a" }, "recipient": { "id": "2960384411273650001" },
  "message": { "msg_id": "d1", "text": "Cho hỏi giờ làm việc", "conversation_id": "conv-88e1" } }"#,
    )
    .unwrap();
    assert_eq!(route_oa_id("anonymous_send_text", &anon), Some(OaId::new(OA)));
}

#[test]
fn malformed_json_is_a_typed_error() {
    assert!(matches!(Event::parse(b"{not json"), Err(EventError::InvalidJson { .. })));
    assert_eq!(Event::parse(b"[1,2]"), Err(EventError::NotAnObject));
    assert_eq!(Event::parse(b""), Err(EventError::InvalidJson { line: 1, column: 0 }));
}

#[test]
fn missing_fields_are_typed_errors() {
    assert_eq!(
        Event::parse(br#"{"app_id":"1","timestamp":"1"}"#),
        Err(EventError::MissingField { event_name: String::new(), field: "event_name" })
    );
    assert_eq!(
        Event::parse(br#"{"event_name":"follow","timestamp":"1"}"#),
        Err(EventError::MissingField { event_name: "follow".into(), field: "app_id" })
    );
    assert_eq!(
        Event::parse(br#"{"app_id":"1","event_name":"user_send_text","timestamp":"1","sender":{"id":"u"},"recipient":{"id":"o"},"message":{"msg_id":"m"}}"#),
        Err(EventError::MissingField { event_name: "user_send_text".into(), field: "message.text" })
    );
    assert_eq!(
        Event::parse(br#"{"app_id":"1","event_name":"user_send_image","timestamp":"1","sender":{"id":"u"},"recipient":{"id":"o"},"message":{"msg_id":"m","attachments":[{"type":"image","payload":{}}]}}"#),
        Err(EventError::MissingField { event_name: "user_send_image".into(), field: "message.attachments.payload.url" })
    );
    assert_eq!(
        Event::parse(br#"{"app_id":"1","event_name":"follow","timestamp":"1","oa_id":"o"}"#),
        Err(EventError::MissingField { event_name: "follow".into(), field: "follower.id" })
    );
    assert_eq!(
        Event::parse(br#"{"app_id":"1","event_name":"user_seen_message","timestamp":"1","sender":{"id":"o"},"recipient":{"id":"u"},"message":{"msg_ids":"x"}}"#),
        Err(EventError::InvalidField { event_name: "user_seen_message".into(), field: "message.msg_ids" })
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap fuzz: truncations of a real payload must all return, never panic.
    let body = br#"{"app_id":"1","event_name":"user_send_location","timestamp":"1","sender":{"id":"u"},"recipient":{"id":"o"},"message":{"msg_id":"m","attachments":[{"type":"location","payload":{"coordinates":{"latitude":"1","longitude":"2"}}}]}}"#;
    for end in 0..body.len() {
        let _ = Event::parse(&body[..end]);
    }
}
