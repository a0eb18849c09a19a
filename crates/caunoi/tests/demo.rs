//! The demo's announcement: the logins file is written even where nothing created the data
//! directory before (PostgreSQL with a given secret key needs no SQLite file and no key file).

use caunoi_testkit::TestApp;

#[tokio::test]
async fn the_demo_file_is_written_into_a_data_directory_that_does_not_exist_yet() {
    let t = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("new").join("caunoi-data");
    let mut config = t.app.config.clone();
    config.data_dir = data_dir.clone();
    let app = caunoi::server::assemble(t.app.db.clone(), config);
    caunoi::demo::announce(&app, false, None).expect("announced");
    let written = std::fs::read_to_string(data_dir.join("demo.json")).expect("demo.json");
    assert!(written.contains("\"password\""), "{written}");
}
