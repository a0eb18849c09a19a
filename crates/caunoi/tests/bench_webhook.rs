//! `caunoi bench webhook` against a running caunoi and its fake Zalo: every event it sends is
//! acknowledged and processed, the texts of a question file go out in turn, and with the fake's
//! URL the bot's replies are really delivered. In a test binary of its own: the bench reads the
//! process-wide metrics, which no other test may move meanwhile.

use caunoi::channels::bench::{WebhookBenchArgs, bench_user, measure};
use caunoi_testkit::{Options, TestApp, eventually};
use std::time::Duration;

#[tokio::test]
async fn the_load_generator_drives_the_webhook_end_to_end() {
    let t = TestApp::spawn_with(Options { demo: true, zalo: true, ..Default::default() }).await;
    let zalo = t.zalo.as_ref().expect("fake zalo");
    let oa = caunoi::demo::DEMO_OAS[1];
    let dir = tempfile::tempdir().expect("temporary directory");
    let questions = dir.path().join("questions.json");
    std::fs::write(
        &questions,
        r#"[{"text": "lam cccd het bao nhieu tien", "expected": "can-cuoc.le-phi"},
            {"text": "xin chào", "expected": "__none__"}]"#,
    )
    .expect("question file");
    let users = 4;
    let report = measure(WebhookBenchArgs {
        url: t.base.clone(),
        oa_id: oa.oa_id.into(),
        app_id: oa.app_id.into(),
        secret: oa.oa_secret_key.into(),
        rate: 40,
        duration: 1,
        users,
        text: "not used with a question file".into(),
        questions: Some(questions),
        connections: 3,
        fake_zalo_url: Some(zalo.base_url().to_string()),
    })
    .await
    .expect("bench run");

    assert_eq!((report.events, report.acknowledged), (40, 40));
    assert!(report.drained, "the inbound queue drained");
    assert!(report.processed >= 40.0, "{} processed", report.processed);
    assert_eq!((report.ack.len(), report.from_due.len()), (40, 40));
    assert!(report.ack.windows(2).all(|w| w[0] <= w[1]), "latencies are sorted");
    assert!(report.throughput() > 0.0);

    // Event i comes from citizen i % 4 with text i % 2: citizen 0 always asks the fee, so the
    // fee answer reaches them through the fake Zalo (their reply window was opened first).
    let entries = caunoi_core::kb::parse_kb_json(include_str!("../../../kb/kb_seed.json")).expect("seed kb");
    let fee = entries.iter().find(|e| e.id.as_str() == "can-cuoc.le-phi").expect("fee entry");
    let fee_start: String = fee.answer.chars().take(40).collect();
    let asker = bench_user(0, users).to_string();
    eventually("the fee answer delivered to a bench citizen", Duration::from_secs(20), || async {
        zalo.sent_messages(&asker)
            .iter()
            .any(|m| m.text.as_deref().is_some_and(|t| t.contains(&fee_start)))
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_broken_question_file_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let questions = dir.path().join("questions.json");
    std::fs::write(&questions, "[{\"txt\": 1}]").expect("question file");
    // Nothing listens on this address: the run must fail on the file, not on the connection.
    let args = WebhookBenchArgs {
        url: "http://127.0.0.1:9".into(),
        oa_id: "1".into(),
        app_id: "1".into(),
        secret: "s".into(),
        rate: 10,
        duration: 1,
        users: 1,
        text: String::new(),
        questions: Some(questions),
        connections: 1,
        fake_zalo_url: None,
    };
    let err = measure(args).await.err().expect("refused");
    assert!(err.to_string().contains("is not a question file"), "{err}");
}
