//! Former unit names (tên cũ) on the engine the suite runs on: a typed address naming a ward
//! merged in 2025 routes to the unit that covers it now, with or without diacritics; the unit
//! form and the import file take them; a former name that is a sibling's current name is
//! refused with a clear message and changes nothing.

use caunoi::units::service;
use caunoi_testkit::TestApp;

async fn unit_id(t: &TestApp, code: &str) -> caunoi_core::units::UnitId {
    let scope = t.scope("admin.qn").await;
    service::get(&t.app, &scope, code).await.unwrap().id
}

#[tokio::test]
async fn an_address_with_a_former_name_routes_to_the_unit_that_covers_it_now() {
    let t = TestApp::spawn().await;
    let hong_gai = unit_id(&t, "qn-hong-gai").await;
    for text in ["số 5 tổ 3, phường Hồng Hải, Hạ Long", "to 3 khu 2 p hong hai", "P.HỒNG HẢI"] {
        assert_eq!(service::route_address(&t.app, text).await.unwrap(), Some(hong_gai), "{text}");
    }
    let tien_yen = unit_id(&t, "qn-tien-yen").await;
    assert_eq!(service::route_address(&t.app, "khu 1 thi tran tien yen").await.unwrap(), Some(tien_yen));
    // A street of the same name is not the ward.
    assert_eq!(service::route_address(&t.app, "đường Hồng Hải").await.unwrap(), None);
}

#[tokio::test]
async fn former_names_are_edited_on_the_unit_form_one_per_line() {
    let t = TestApp::spawn().await;
    let c = t.login("admin.qn").await;
    let (_, page) = t.get(&c, "/units/qn-bai-chay/edit").await;
    assert!(page.contains("Tên cũ của địa bàn"), "{page}");
    let scope = t.scope("admin.qn").await;
    let unit = service::get(&t.app, &scope, "qn-bai-chay").await.unwrap();
    let mut input = caunoi_core::units::UnitDetailsInput::from_details(&unit.details);
    input.former_names = "phường Hùng Thắng\nphường Giếng Đáy\n".into();
    service::update_details(&t.app, &scope, "qn-bai-chay", &input).await.unwrap();
    assert_eq!(
        service::get(&t.app, &scope, "qn-bai-chay").await.unwrap().details.former_names,
        ["phường Hùng Thắng", "phường Giếng Đáy"]
    );
    let bai_chay = unit.id;
    assert_eq!(service::route_address(&t.app, "to 2 phuong gieng day").await.unwrap(), Some(bai_chay));

    // The current name of a sibling: refused, nothing changed.
    input.former_names = "phường Hùng Thắng\nphường Hà Lầm".into();
    let err = service::update_details(&t.app, &scope, "qn-bai-chay", &input).await.unwrap_err();
    let msg = format!("{:?}", err);
    assert!(msg.contains("Tên cũ «phường Hà Lầm» trùng với tên hiện nay của Công an phường Hà Lầm"), "{msg}");
    // Without its kind: refused.
    input.former_names = "Hùng Thắng".into();
    let err = service::update_details(&t.app, &scope, "qn-bai-chay", &input).await.unwrap_err();
    assert!(format!("{err:?}").contains("cần ghi cả cấp hành chính"));
    assert_eq!(
        service::get(&t.app, &scope, "qn-bai-chay").await.unwrap().details.former_names,
        ["phường Hùng Thắng", "phường Giếng Đáy"]
    );
}

#[tokio::test]
async fn the_import_file_takes_an_optional_former_names_column() {
    let t = TestApp::spawn().await;
    let csv = "code,parent_code,name,kind,former_names\n\
               qn-test-ward,quang-ninh,Công an phường Thử Nghiệm,ward,phường Cũ Một; xã Cũ Hai\n";
    let rows = caunoi::units::import::parse_file("units.csv", csv).unwrap();
    service::import(&t.app, rows, "units.csv").await.unwrap();
    let id = unit_id(&t, "qn-test-ward").await;
    assert_eq!(service::route_address(&t.app, "thon 3 xa cu hai").await.unwrap(), Some(id));
    assert_eq!(service::route_address(&t.app, "phường Cũ Một").await.unwrap(), Some(id));
    let bad = "code,parent_code,name,kind,former_names\nqn-test-2,quang-ninh,Công an phường Hai,ward,Cũ Ba\n";
    let rows = caunoi::units::import::parse_file("units.csv", bad).unwrap();
    assert!(service::import(&t.app, rows, "units.csv").await.is_err());
    // A sibling's current name as a former name: refused with its line, nothing imported.
    let clash =
        "code,parent_code,name,kind,former_names\nqn-test-3,quang-ninh,Công an phường Ba,ward,phường Bãi Cháy\n";
    let rows = caunoi::units::import::parse_file("units.csv", clash).unwrap();
    let err = service::import(&t.app, rows, "units.csv").await.unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("current name of Công an phường Bãi Cháy"), "{err}");
    let admin = t.scope("admin.qn").await;
    assert!(service::get(&t.app, &admin, "qn-test-3").await.is_err(), "nothing imported");
}
