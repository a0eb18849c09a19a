//! The `caunoi` binary as an operator uses it: clear one-sentence errors with exit code 2, and
//! unit imports that are all-or-nothing.

use std::process::{Command, Output};

fn caunoi(args: &[&str], data_dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caunoi"))
        .args(args)
        .env("CAUNOI_DATA_DIR", data_dir)
        .env_remove("CAUNOI_DATABASE_URL")
        .env_remove("CAUNOI_CONFIG")
        .current_dir(data_dir)
        .output()
        .expect("run caunoi")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn a_wrong_option_exits_with_code_2_and_no_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let o = caunoi(&["serve", "--no-such-option"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("panicked"));
    let o = caunoi(&["serve", "--listen", "not-an-address"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("listen address"));
}

#[test]
fn an_unreachable_database_is_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let o = caunoi(&["migrate", "--database-url", "postgres://nobody:secret@127.0.0.1:1/none"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("caunoi: cannot reach the database at postgres://nobody:***@127.0.0.1:1/none"), "{err}");
    assert!(!err.contains("secret"), "the password is never printed");
    assert_eq!(err.lines().count(), 1);
    let o = caunoi(&["migrate", "--database-url", "mysql://x"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is not valid"));
}

fn count_units(dir: &std::path::Path) -> i64 {
    let url = format!("sqlite://{}", dir.join("caunoi.db").display());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let db = caunoi::db::Db::connect(&url).await.unwrap();
        caunoi::units::store::count(&db).await.unwrap()
    })
}

#[test]
fn unit_import_is_all_or_nothing_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "code,parent_code,name,kind,hotline\n\
         prov,,Công an tỉnh Thử,province,\n\
         w-a,w-b,Công an phường A,ward,\n\
         w-b,w-a,Công an phường B,ward,\n\
         w-c,nowhere,Công an phường C,ward,\n\
         w-d,prov,Công an phường D,ward,12ab\n\
         prov,,Trùng mã,province,\n",
    )
    .unwrap();
    let o = caunoi(&["units", "import", bad.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(count_units(dir.path()), 0);
    let err = stderr(&o);
    assert!(err.contains("nothing was written"), "{err}");
    assert!(err.contains("line 3: cycle"), "{err}");
    assert!(err.contains("line 4: cycle"), "{err}");
    assert!(err.contains("line 5: unknown parent nowhere"), "{err}");
    assert!(err.contains("line 6: hotline"), "{err}");
    assert!(err.contains("line 7: duplicate code prov (first on line 2)"), "{err}");
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"[{"code": "prov", "name": "Công an tỉnh Thử", "kind": "province"},
            {"code": "w-a", "parent_code": "prov", "name": "Công an phường A", "kind": "ward", "lat": 21.0, "lon": 105.8}]"#,
    )
    .unwrap();
    let o = caunoi(&["units", "import", good.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("Imported 2 unit(s)"));
    assert_eq!(count_units(dir.path()), 2, "the refused import wrote nothing");
    // The same file again: every code already exists, nothing changes.
    let o = caunoi(&["units", "import", good.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("code prov already exists"));
    // Broken JSON names the line.
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "[\n{\"code\": \"x\",\n").unwrap();
    let o = caunoi(&["units", "import", broken.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("malformed JSON"));
}

#[test]
fn users_add_creates_an_officer_and_prints_a_generated_password() {
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("u.csv");
    std::fs::write(&units, "code,name,kind\nprov,Công an tỉnh Thử,province\n").unwrap();
    assert_eq!(caunoi(&["units", "import", units.to_str().unwrap()], dir.path()).status.code(), Some(0));
    let args =
        ["users", "add", "--username", "Admin.Thu", "--display-name", "Quản trị", "--role", "admin", "--unit", "prov"];
    let o = caunoi(&args, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("Created admin.thu. Password: "), "{out}");
    assert_eq!(out.trim().rsplit(' ').next().unwrap().len(), 16);
    let o = caunoi(&args, dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("username"), "{}", stderr(&o));
    let o = caunoi(
        &["users", "add", "--username", "x.y", "--display-name", "X", "--role", "boss", "--unit", "prov"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("role"));
}

#[test]
fn a_start_with_another_secret_key_is_stopped_with_a_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let o = caunoi(&["migrate"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = caunoi(&["migrate"], dir.path());
    assert!(o.status.success(), "the same key starts again: {}", stderr(&o));
    // The key file replaced by another key (a restore that forgot it, a copied README line).
    std::fs::write(dir.path().join("secret.key"), "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=").unwrap();
    let o = caunoi(&["migrate"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("the secret key is not the one this database was set up with"), "{}", stderr(&o));
}

#[test]
fn kb_ask_with_a_mistyped_data_directory_is_an_error_not_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("caunoi-dta");
    let o = caunoi(&["kb", "ask", "lam cccd", "--data-dir", typo.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
    assert!(!typo.exists(), "nothing was created");
}

#[test]
fn a_broken_knowledge_base_file_is_told_in_english_naming_the_entry_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("kb.json");
    let entry = r#"{"id":"cc.le-phi","category":"Căn cước","title":"Lệ phí","questions":["le phi"],
        "answer":"Xem {{KHONG_CO}}","legal_basis":[],"source_urls":[],"verified":true}"#;
    std::fs::write(&bad, format!("[{entry}]")).unwrap();
    let o = caunoi(&["kb", "ask", "le phi", "--kb", bad.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let told = stderr(&o);
    assert_eq!(told.lines().count(), 1, "{told}");
    assert!(
        told.contains(r#"entry 1 (id "cc.le-phi"), field "answer": the placeholder "{{KHONG_CO}}" does not exist"#),
        "{told}"
    );
    std::fs::write(&bad, r#"{"id":"x"}"#).unwrap();
    let o = caunoi(&["kb", "import", bad.to_str().unwrap(), "--data-dir", dir.path().to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("refused, nothing was imported: not a knowledge-base file: it must be a JSON array"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn kb_ask_names_a_report_by_its_snake_case_kind() {
    let dir = tempfile::tempdir().unwrap();
    let kb = concat!(env!("CARGO_MANIFEST_DIR"), "/../../kb/kb_seed.json");
    let o = caunoi(&["kb", "ask", "nhặt được ví có căn cước của người khác", "--kb", kb], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().next(), Some("report: lost_property"), "{}", stdout(&o));
}

#[test]
fn kb_ask_shows_the_answers_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let kb = concat!(env!("CARGO_MANIFEST_DIR"), "/../../kb/kb_seed.json");
    let o = caunoi(&["kb", "ask", "le phi lam can cuoc", "--kb", kb], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert!(lines.next().is_some_and(|l| l.starts_with("answer: can-cuoc.le-phi ")), "{out}");
    let entries = caunoi_core::kb::parse_kb_json(&std::fs::read_to_string(kb).unwrap()).unwrap();
    let entry = entries.iter().find(|e| e.id.as_str() == "can-cuoc.le-phi").unwrap();
    let first = entry.answer.lines().next().unwrap();
    assert_eq!(lines.next(), Some(format!("  \"{first}\"").as_str()), "{out}");
    assert!(first.contains("15.000đ"), "the fee is on the first line: {first}");
}

#[test]
fn switches_and_limits_read_the_same_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_caunoi"))
        .args(["migrate"])
        .env("CAUNOI_DATA_DIR", dir.path())
        .env("CAUNOI_REQUIRE_TOTP_FOR_ADMINS", "1")
        .env("CAUNOI_WORKERS", "off")
        .env_remove("CAUNOI_DATABASE_URL")
        .env_remove("CAUNOI_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_caunoi"))
        .args(["migrate"])
        .env("CAUNOI_DATA_DIR", dir.path())
        .env("RUST_LOG", "caunoi=[")
        .env_remove("CAUNOI_DATABASE_URL")
        .env_remove("CAUNOI_CONFIG")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("RUST_LOG"), "{}", stderr(&o));
    let o = caunoi(&["serve", "--session-idle-minutes", "0"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("session_idle_minutes 0"), "{}", stderr(&o));
}
