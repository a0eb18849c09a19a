//! The audit log (nhật ký hoạt động): what officers did that must be answerable later — sign-ins,
//! permission changes, unit changes, data exports and sensitive reads. Entries are append-only
//! (the database refuses updates and deletes) and never carry personal data: ids and codes only.

use crate::input::Lang;
use serde::{Deserialize, Serialize};

/// The kinds of audited events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignOut,
    TotpEnabled,
    PasswordChanged,
    OfficerCreated,
    GrantAdded,
    GrantRemoved,
    UnitCreated,
    UnitEdited,
    UnitMoved,
    UnitsImported,
    ChannelBound,
    ChannelLost,
    DataExported,
    KbChanged,
    KbImported,
    OutboxRetried,
    MediaExpired,
    /// An Open311 API key was issued to a unit (the key itself is never recorded).
    Open311KeyCreated,
    Open311KeyRevoked,
    /// An officer asked to see a case's sealed reporter identity (target: the case code).
    CaseIdentityRequested,
    CaseIdentityApproved,
    CaseIdentityDenied,
    /// The sealed identity was decrypted and shown to the approved requester.
    CaseIdentityViewed,
    /// An admin disabled an officer's account (its sessions ended at once).
    OfficerDisabled,
    OfficerEnabled,
    /// An admin made a one-time password reset link for an officer (the link is never recorded).
    PasswordResetIssued,
    /// An officer set a new password with a reset link.
    PasswordReset,
    /// A unit's knowledge-base entry was set back to an earlier version (detail: `kb=<id>;from=<version row>`).
    KbRolledBack,
    /// An admin disconnected the unit's Zalo OA (its tokens were deleted).
    ChannelDisconnected,
    DutyRosterChanged,
    HandoverWritten,
    HandoverDismissed,
    DutySessionChanged,
    /// The deployment's admin changed a report category (target: its key; detail: `created`,
    /// `enabled`, `disabled` or `fields=label,sensitivity,…`).
    CategoryChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 36] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignOut,
        AuditAction::TotpEnabled,
        AuditAction::PasswordChanged,
        AuditAction::OfficerCreated,
        AuditAction::GrantAdded,
        AuditAction::GrantRemoved,
        AuditAction::UnitCreated,
        AuditAction::UnitEdited,
        AuditAction::UnitMoved,
        AuditAction::UnitsImported,
        AuditAction::ChannelBound,
        AuditAction::ChannelLost,
        AuditAction::DataExported,
        AuditAction::KbChanged,
        AuditAction::KbImported,
        AuditAction::OutboxRetried,
        AuditAction::MediaExpired,
        AuditAction::Open311KeyCreated,
        AuditAction::Open311KeyRevoked,
        AuditAction::CaseIdentityRequested,
        AuditAction::CaseIdentityApproved,
        AuditAction::CaseIdentityDenied,
        AuditAction::CaseIdentityViewed,
        AuditAction::OfficerDisabled,
        AuditAction::OfficerEnabled,
        AuditAction::PasswordResetIssued,
        AuditAction::PasswordReset,
        AuditAction::KbRolledBack,
        AuditAction::ChannelDisconnected,
        AuditAction::DutyRosterChanged,
        AuditAction::HandoverWritten,
        AuditAction::HandoverDismissed,
        AuditAction::DutySessionChanged,
        AuditAction::CategoryChanged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignOut => "sign_out",
            AuditAction::TotpEnabled => "totp_enabled",
            AuditAction::PasswordChanged => "password_changed",
            AuditAction::OfficerCreated => "officer_created",
            AuditAction::GrantAdded => "grant_added",
            AuditAction::GrantRemoved => "grant_removed",
            AuditAction::UnitCreated => "unit_created",
            AuditAction::UnitEdited => "unit_edited",
            AuditAction::UnitMoved => "unit_moved",
            AuditAction::UnitsImported => "units_imported",
            AuditAction::ChannelBound => "channel_bound",
            AuditAction::ChannelLost => "channel_lost",
            AuditAction::DataExported => "data_exported",
            AuditAction::KbChanged => "kb_changed",
            AuditAction::KbImported => "kb_imported",
            AuditAction::OutboxRetried => "outbox_retried",
            AuditAction::MediaExpired => "media_expired",
            AuditAction::Open311KeyCreated => "open311_key_created",
            AuditAction::Open311KeyRevoked => "open311_key_revoked",
            AuditAction::CaseIdentityRequested => "case_identity_requested",
            AuditAction::CaseIdentityApproved => "case_identity_approved",
            AuditAction::CaseIdentityDenied => "case_identity_denied",
            AuditAction::CaseIdentityViewed => "case_identity_viewed",
            AuditAction::OfficerDisabled => "officer_disabled",
            AuditAction::OfficerEnabled => "officer_enabled",
            AuditAction::PasswordResetIssued => "password_reset_issued",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::KbRolledBack => "kb_rolled_back",
            AuditAction::ChannelDisconnected => "channel_disconnected",
            AuditAction::DutyRosterChanged => "duty_roster_changed",
            AuditAction::HandoverWritten => "handover_written",
            AuditAction::HandoverDismissed => "handover_dismissed",
            AuditAction::DutySessionChanged => "duty_session_changed",
            AuditAction::CategoryChanged => "category_changed",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            AuditAction::SignIn => "Đăng nhập",
            AuditAction::SignInFailed => "Đăng nhập thất bại",
            AuditAction::SignOut => "Đăng xuất",
            AuditAction::TotpEnabled => "Bật xác thực hai bước",
            AuditAction::PasswordChanged => "Đổi mật khẩu",
            AuditAction::OfficerCreated => "Tạo tài khoản cán bộ",
            AuditAction::GrantAdded => "Cấp quyền",
            AuditAction::GrantRemoved => "Thu hồi quyền",
            AuditAction::UnitCreated => "Tạo đơn vị",
            AuditAction::UnitEdited => "Sửa thông tin đơn vị",
            AuditAction::UnitMoved => "Chuyển đơn vị",
            AuditAction::UnitsImported => "Nhập danh sách đơn vị",
            AuditAction::ChannelBound => "Kết nối Zalo OA",
            AuditAction::ChannelLost => "Zalo OA mất kết nối",
            AuditAction::DataExported => "Xuất dữ liệu",
            AuditAction::KbChanged => "Sửa mục hỏi đáp",
            AuditAction::KbImported => "Nhập kho hỏi đáp",
            AuditAction::OutboxRetried => "Gửi lại tin nhắn lỗi",
            AuditAction::MediaExpired => "Xoá ảnh/video hết thời hạn lưu trữ",
            AuditAction::Open311KeyCreated => "Cấp khóa API Open311",
            AuditAction::Open311KeyRevoked => "Thu hồi khóa API Open311",
            AuditAction::CaseIdentityRequested => "Đề nghị xem danh tính người báo tin",
            AuditAction::CaseIdentityApproved => "Duyệt xem danh tính người báo tin",
            AuditAction::CaseIdentityDenied => "Từ chối xem danh tính người báo tin",
            AuditAction::CaseIdentityViewed => "Xem danh tính người báo tin",
            AuditAction::OfficerDisabled => "Khóa tài khoản cán bộ",
            AuditAction::OfficerEnabled => "Mở khóa tài khoản cán bộ",
            AuditAction::PasswordResetIssued => "Tạo liên kết đặt lại mật khẩu",
            AuditAction::PasswordReset => "Đặt lại mật khẩu bằng liên kết",
            AuditAction::KbRolledBack => "Khôi phục phiên bản cũ của mục hỏi đáp",
            AuditAction::ChannelDisconnected => "Ngắt kết nối Zalo OA",
            AuditAction::DutyRosterChanged => "Sửa lịch trực",
            AuditAction::HandoverWritten => "Viết ghi chú bàn giao ca",
            AuditAction::HandoverDismissed => "Đã đọc ghi chú bàn giao ca",
            AuditAction::DutySessionChanged => "Sửa phiên đăng nhập của thiết bị trực",
            AuditAction::CategoryChanged => "Sửa loại tin báo",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            AuditAction::SignIn => "Signed in",
            AuditAction::SignInFailed => "Failed sign-in",
            AuditAction::SignOut => "Signed out",
            AuditAction::TotpEnabled => "Enabled two-step verification",
            AuditAction::PasswordChanged => "Changed password",
            AuditAction::OfficerCreated => "Created officer account",
            AuditAction::GrantAdded => "Granted role",
            AuditAction::GrantRemoved => "Removed role",
            AuditAction::UnitCreated => "Created unit",
            AuditAction::UnitEdited => "Edited unit",
            AuditAction::UnitMoved => "Moved unit",
            AuditAction::UnitsImported => "Imported units",
            AuditAction::ChannelBound => "Connected Zalo OA",
            AuditAction::ChannelLost => "Zalo OA disconnected",
            AuditAction::DataExported => "Exported data",
            AuditAction::KbChanged => "Changed the knowledge base",
            AuditAction::KbImported => "Imported the knowledge base",
            AuditAction::OutboxRetried => "Retried a failed message",
            AuditAction::MediaExpired => "Removed media past its retention period",
            AuditAction::Open311KeyCreated => "Issued an Open311 API key",
            AuditAction::Open311KeyRevoked => "Revoked an Open311 API key",
            AuditAction::CaseIdentityRequested => "Asked to see a reporter's sealed identity",
            AuditAction::CaseIdentityApproved => "Approved seeing a reporter's identity",
            AuditAction::CaseIdentityDenied => "Denied seeing a reporter's identity",
            AuditAction::CaseIdentityViewed => "Viewed a reporter's sealed identity",
            AuditAction::OfficerDisabled => "Disabled an officer's account",
            AuditAction::OfficerEnabled => "Re-enabled an officer's account",
            AuditAction::PasswordResetIssued => "Made a password reset link",
            AuditAction::PasswordReset => "Reset the password with a link",
            AuditAction::KbRolledBack => "Restored an earlier version of a knowledge-base entry",
            AuditAction::ChannelDisconnected => "Disconnected the Zalo OA",
            AuditAction::DutyRosterChanged => "Changed the duty roster",
            AuditAction::HandoverWritten => "Wrote a shift hand-over note",
            AuditAction::HandoverDismissed => "Read a shift hand-over note",
            AuditAction::DutySessionChanged => "Changed duty devices' sessions",
            AuditAction::CategoryChanged => "Changed a report category",
        }
    }
}

/// One field of an entry's detail: details are `key=value` pairs separated by `;` or spaces
/// (`oa_id=123;via=consent`, `count=12 source=kb.json`).
fn field<'a>(detail: &'a str, key: &str) -> Option<&'a str> {
    detail
        .split(|c: char| c == ';' || c.is_whitespace())
        .filter_map(|part| part.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// A role's name inside a sentence ("trực ban", "duty officer").
fn role_name(raw: &str, lang: Lang) -> Option<String> {
    let role = crate::staff::Role::parse(raw).ok()?;
    Some(match lang {
        Lang::Vi => role.label_vi().to_lowercase(),
        Lang::En => role.label_en().to_lowercase(),
    })
}

/// An audit entry as one sentence in the reader's language, built from its action, target and
/// detail ("Cấp quyền trực ban cho canbo.baichay", "Sửa cài đặt trợ lý tự động của đơn vị
/// qn-bai-chay"). A detail this function does not know is kept in brackets, never dropped.
pub fn sentence(action: AuditAction, target: &str, detail: &str, lang: Lang) -> String {
    use AuditAction as A;
    let vi = lang == Lang::Vi;
    let tr = |v: String, e: String| if vi { v } else { e };
    let t = target;
    let unknown = |base: String| if detail.is_empty() { base } else { format!("{base} ({detail})") };
    match action {
        A::SignIn => tr(format!("Đăng nhập (tài khoản {t})"), format!("Signed in (account {t})")),
        A::SignInFailed => {
            tr(format!("Đăng nhập không thành công (tài khoản {t})"), format!("Failed sign-in (account {t})"))
        }
        A::SignOut => tr(format!("Đăng xuất (tài khoản {t})"), format!("Signed out (account {t})")),
        A::TotpEnabled => tr(
            format!("Bật xác thực hai bước cho tài khoản {t}"),
            format!("Turned on two-step verification for account {t}"),
        ),
        A::PasswordChanged => {
            tr(format!("Đổi mật khẩu của tài khoản {t}"), format!("Changed the password of account {t}"))
        }
        A::OfficerCreated => tr(format!("Tạo tài khoản cán bộ {t}"), format!("Created the officer account {t}")),
        A::GrantAdded | A::GrantRemoved => {
            let added = action == A::GrantAdded;
            match field(detail, "role").and_then(|r| role_name(r, lang)) {
                Some(role) if added => {
                    tr(format!("Cấp quyền {role} cho {t}"), format!("Granted the {role} role to {t}"))
                }
                Some(role) => tr(format!("Thu hồi quyền {role} của {t}"), format!("Removed the {role} role from {t}")),
                None if added => unknown(tr(format!("Cấp quyền cho {t}"), format!("Granted a role to {t}"))),
                None => unknown(tr(format!("Thu hồi quyền của {t}"), format!("Removed a role from {t}"))),
            }
        }
        A::UnitCreated => tr(format!("Tạo đơn vị {t}"), format!("Created the unit {t}")),
        A::UnitEdited => match detail {
            "" => tr(format!("Sửa thông tin đơn vị {t}"), format!("Edited the details of unit {t}")),
            "bot settings" => tr(
                format!("Sửa cài đặt trợ lý tự động của đơn vị {t}"),
                format!("Changed the automatic assistant's settings of unit {t}"),
            ),
            "boundary removed" => {
                tr(format!("Xóa ranh giới của đơn vị {t}"), format!("Removed the boundary of unit {t}"))
            }
            d if d.starts_with("boundary set") => {
                let numbers: Vec<&str> =
                    d.split(|c: char| !(c.is_ascii_digit() || c == '.')).filter(|x| !x.is_empty()).collect();
                match numbers.as_slice() {
                    [points, area, ..] => tr(
                        format!("Cập nhật ranh giới của đơn vị {t} ({points} điểm, {area} km²)"),
                        format!("Set the boundary of unit {t} ({points} points, {area} km²)"),
                    ),
                    _ => tr(format!("Cập nhật ranh giới của đơn vị {t}"), format!("Set the boundary of unit {t}")),
                }
            }
            _ => unknown(tr(format!("Sửa thông tin đơn vị {t}"), format!("Edited unit {t}"))),
        },
        A::UnitMoved => match field(detail, "to") {
            Some(to) => tr(format!("Chuyển đơn vị {t} sang trực thuộc {to}"), format!("Moved unit {t} under {to}")),
            None => unknown(tr(format!("Chuyển đơn vị {t}"), format!("Moved unit {t}"))),
        },
        A::UnitsImported => match field(detail, "count") {
            Some(n) => tr(format!("Nhập {n} đơn vị từ tệp {t}"), format!("Imported {n} units from the file {t}")),
            None => {
                unknown(tr(format!("Nhập danh sách đơn vị từ tệp {t}"), format!("Imported units from the file {t}")))
            }
        },
        A::ChannelBound => {
            let oa = field(detail, "oa_id").unwrap_or("");
            let (how_vi, how_en) = match field(detail, "via") {
                Some("consent") => (" qua trang cấp quyền của Zalo", " through Zalo's consent page"),
                Some("tokens") => (" bằng cặp mã truy cập dán vào", " with a pasted token pair"),
                Some("setup") => (" bằng lệnh cài đặt", " with the setup command"),
                _ => ("", ""),
            };
            tr(
                format!("Kết nối Zalo OA {oa} cho đơn vị {t}{how_vi}"),
                format!("Connected the Zalo OA {oa} to unit {t}{how_en}"),
            )
        }
        A::ChannelLost => {
            let oa = field(detail, "oa_id").unwrap_or("");
            let (why_vi, why_en) = match field(detail, "status") {
                Some("revoked") => {
                    (": quản trị viên OA đã thu hồi quyền trên Zalo", ": the OA's administrator revoked access on Zalo")
                }
                Some("refresh_failed") => {
                    (": Zalo từ chối gia hạn mã truy cập", ": Zalo refused to renew the access token")
                }
                _ => ("", ""),
            };
            tr(
                format!("Zalo OA {oa} của đơn vị {t} mất kết nối{why_vi}"),
                format!("The Zalo OA {oa} of unit {t} was disconnected{why_en}"),
            )
        }
        A::CategoryChanged => match detail {
            "created" => tr(format!("Thêm loại tin báo {t}"), format!("Added the report category {t}")),
            "enabled" => tr(format!("Bật loại tin báo {t}"), format!("Turned on the report category {t}")),
            "disabled" => tr(format!("Tắt loại tin báo {t}"), format!("Turned off the report category {t}")),
            d if field(d, "moved").is_some() => {
                let (place, of) = (field(d, "place").unwrap_or("?"), field(d, "of").unwrap_or("?"));
                match field(d, "moved") {
                    Some("up") => tr(
                        format!("Đưa loại tin báo {t} lên vị trí {place}/{of} trong danh sách người dân chọn"),
                        format!("Moved the report category {t} up to place {place} of {of} in the citizens' list"),
                    ),
                    _ => tr(
                        format!("Đưa loại tin báo {t} xuống vị trí {place}/{of} trong danh sách người dân chọn"),
                        format!("Moved the report category {t} down to place {place} of {of} in the citizens' list"),
                    ),
                }
            }
            _ => match field(detail, "fields") {
                Some(fields) => {
                    let names: Vec<&str> = fields
                        .split(',')
                        .map(|f| match (f, vi) {
                            ("label", true) => "tên",
                            ("label", false) => "name",
                            ("sensitivity", true) => "mức độ nhạy cảm",
                            ("sensitivity", false) => "sensitivity",
                            ("handling", true) => "cấp xử lý",
                            ("handling", false) => "handling level",
                            ("urgent", true) => "mức khẩn cấp",
                            ("urgent", false) => "urgency",
                            ("legal_days", true) => "thời hạn giải quyết",
                            ("legal_days", false) => "legal deadline",
                            ("questions", true) => "câu hỏi thêm",
                            ("questions", false) => "extra questions",
                            (other, _) => other,
                        })
                        .collect();
                    let names = names.join(", ");
                    tr(format!("Sửa loại tin báo {t} ({names})"), format!("Changed the report category {t} ({names})"))
                }
                None => unknown(tr(format!("Sửa loại tin báo {t}"), format!("Changed the report category {t}"))),
            },
        },
        A::ChannelDisconnected => {
            let oa = field(detail, "oa_id").unwrap_or("");
            tr(
                format!("Ngắt kết nối Zalo OA {oa} của đơn vị {t}"),
                format!("Disconnected the Zalo OA {oa} of unit {t}"),
            )
        }
        A::DutyRosterChanged => match (field(detail, "planned"), field(detail, "ended")) {
            (Some(n), _) => tr(
                format!("Thêm {n} ca trực vào lịch trực của đơn vị {t}"),
                format!("Added {n} shifts to the duty roster of unit {t}"),
            ),
            (_, Some(n)) => tr(
                format!("Bỏ lịch trực lặp lại của đơn vị {t} ({n} ca chưa diễn ra)"),
                format!("Ended a repeating shift of unit {t} ({n} shifts to come)"),
            ),
            _ => unknown(tr(format!("Sửa lịch trực của đơn vị {t}"), format!("Changed the duty roster of unit {t}"))),
        },
        A::HandoverWritten => {
            tr(format!("Viết ghi chú bàn giao ca tại đơn vị {t}"), format!("Wrote a shift hand-over note at unit {t}"))
        }
        A::HandoverDismissed => {
            tr(format!("Đã đọc ghi chú bàn giao ca tại đơn vị {t}"), format!("Read a shift hand-over note at unit {t}"))
        }
        A::DutySessionChanged => match field(detail, "hours") {
            Some("0") => tr(
                format!("Không cho thiết bị trực của đơn vị {t} giữ phiên đăng nhập lâu hơn"),
                format!("Duty devices of unit {t} no longer keep longer sessions"),
            ),
            Some(h) => tr(
                format!("Cho thiết bị trực của đơn vị {t} giữ phiên đăng nhập đến {h} giờ"),
                format!("Duty devices of unit {t} may keep a session for up to {h} hours"),
            ),
            None => unknown(tr(
                format!("Sửa phiên đăng nhập của thiết bị trực tại đơn vị {t}"),
                format!("Changed duty devices' sessions at unit {t}"),
            )),
        },
        A::DataExported => match field(detail, "entries") {
            Some(n) if detail.starts_with("kb ") => tr(
                format!("Xuất kho hỏi đáp của đơn vị {t} ({n} mục)"),
                format!("Exported the knowledge base of unit {t} ({n} entries)"),
            ),
            Some(n) if detail.starts_with("safety ") => tr(
                format!("Tải các tin nhắn đã đánh dấu khẩn cấp hay không của đơn vị {t} ({n} tin)"),
                format!("Downloaded the messages labelled as emergencies or not of unit {t} ({n} messages)"),
            ),
            _ => unknown(tr(format!("Xuất dữ liệu của đơn vị {t}"), format!("Exported data of unit {t}"))),
        },
        A::KbChanged => match field(detail, "kb") {
            Some(id) if detail.ends_with(" restored") => tr(
                format!("Bỏ điều chỉnh của đơn vị {t} với mục hỏi đáp {id}"),
                format!("Dropped unit {t}'s change to the knowledge-base entry {id}"),
            ),
            Some(id) => tr(
                format!("Sửa mục hỏi đáp {id} tại đơn vị {t}"),
                format!("Changed the knowledge-base entry {id} at unit {t}"),
            ),
            None => unknown(tr(
                format!("Sửa kho hỏi đáp của đơn vị {t}"),
                format!("Changed the knowledge base of unit {t}"),
            )),
        },
        A::KbRolledBack => {
            let id = field(detail, "kb").unwrap_or("");
            match field(detail, "version") {
                Some(v) => tr(
                    format!("Khôi phục mục hỏi đáp {id} tại đơn vị {t} về phiên bản {v}"),
                    format!("Set the knowledge-base entry {id} at unit {t} back to version {v}"),
                ),
                None => tr(
                    format!("Khôi phục phiên bản cũ của mục hỏi đáp {id} tại đơn vị {t}"),
                    format!("Restored an earlier version of the knowledge-base entry {id} at unit {t}"),
                ),
            }
        }
        A::KbImported => match field(detail, "count") {
            Some(n) => tr(
                format!("Nhập {n} mục vào kho hỏi đáp chung từ tệp {t}"),
                format!("Imported {n} entries into the shared knowledge base from the file {t}"),
            ),
            None => unknown(tr(
                format!("Nhập kho hỏi đáp chung từ tệp {t}"),
                format!("Imported the shared knowledge base from the file {t}"),
            )),
        },
        A::OutboxRetried => {
            let channel = match detail {
                "zalo" => "Zalo",
                "webchat" => {
                    if vi {
                        "trò chuyện trên web"
                    } else {
                        "web chat"
                    }
                }
                other => other,
            };
            tr(
                format!("Gửi lại tin nhắn lỗi số {t} qua {channel}"),
                format!("Retried the failed message {t} through {channel}"),
            )
        }
        A::MediaExpired => {
            let count = detail.split_whitespace().next().filter(|n| n.bytes().all(|b| b.is_ascii_digit()));
            let day = detail.rsplit(' ').next().filter(|d| d.len() == 10 && d.as_bytes()[4] == b'-');
            match (count, day) {
                (Some(n), Some(d)) => tr(
                    format!(
                        "Xóa {n} tệp ảnh/video của các cuộc trò chuyện kết thúc trước ngày {d} (hết thời hạn lưu trữ)"
                    ),
                    format!("Removed {n} photo/video files of conversations closed before {d} (retention period over)"),
                ),
                _ => unknown(action.label_vi_or_en(lang).to_string()),
            }
        }
        A::Open311KeyCreated | A::Open311KeyRevoked => {
            let key = detail.strip_prefix("key #").unwrap_or(detail);
            let (number, label) = key.split_once(": ").unwrap_or((key, ""));
            let label = if label.is_empty() { String::new() } else { format!(" ({label})") };
            if action == A::Open311KeyCreated {
                tr(
                    format!("Cấp khóa API Open311 số {number}{label} cho đơn vị {t}"),
                    format!("Issued the Open311 API key #{number}{label} to unit {t}"),
                )
            } else {
                tr(
                    format!("Thu hồi khóa API Open311 số {number} của đơn vị {t}"),
                    format!("Revoked the Open311 API key #{number} of unit {t}"),
                )
            }
        }
        A::CaseIdentityRequested => tr(
            format!("Đề nghị xem danh tính người báo tin của tin báo {t}"),
            format!("Asked to see the reporter's sealed identity of report {t}"),
        ),
        A::CaseIdentityApproved => tr(
            format!("Duyệt đề nghị xem danh tính người báo tin của tin báo {t}"),
            format!("Approved seeing the reporter's identity of report {t}"),
        ),
        A::CaseIdentityDenied => tr(
            format!("Từ chối đề nghị xem danh tính người báo tin của tin báo {t}"),
            format!("Denied seeing the reporter's identity of report {t}"),
        ),
        A::CaseIdentityViewed => tr(
            format!("Xem danh tính người báo tin của tin báo {t}"),
            format!("Viewed the reporter's sealed identity of report {t}"),
        ),
        A::OfficerDisabled => tr(format!("Khóa tài khoản của {t}"), format!("Disabled the account of {t}")),
        A::OfficerEnabled => tr(format!("Mở khóa tài khoản của {t}"), format!("Re-enabled the account of {t}")),
        A::PasswordResetIssued => {
            tr(format!("Tạo liên kết đặt lại mật khẩu cho {t}"), format!("Made a password reset link for {t}"))
        }
        A::PasswordReset => tr(
            format!("Tài khoản {t} đặt mật khẩu mới bằng liên kết đặt lại"),
            format!("Account {t} set a new password with a reset link"),
        ),
    }
}

impl AuditAction {
    /// The short label in `lang`.
    pub fn label_vi_or_en(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.label_vi(),
            Lang::En => self.label_en(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_through_its_stored_name() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(AuditAction::parse("drop_table"), None);
    }

    #[test]
    fn entries_read_as_sentences_in_both_languages() {
        let s = |a, t, d| sentence(a, t, d, Lang::Vi);
        assert_eq!(
            s(AuditAction::GrantAdded, "canbo.baichay", "role=duty_officer"),
            "Cấp quyền trực ban cho canbo.baichay"
        );
        assert_eq!(
            s(AuditAction::GrantRemoved, "canbo.baichay", "role=admin"),
            "Thu hồi quyền quản trị của canbo.baichay"
        );
        assert_eq!(
            s(AuditAction::UnitEdited, "qn-bai-chay", "bot settings"),
            "Sửa cài đặt trợ lý tự động của đơn vị qn-bai-chay"
        );
        assert_eq!(
            s(AuditAction::UnitEdited, "qn-bai-chay", "boundary set: 5 points, 12.34 km2"),
            "Cập nhật ranh giới của đơn vị qn-bai-chay (5 điểm, 12.34 km²)"
        );
        assert_eq!(
            s(AuditAction::ChannelBound, "qn-bai-chay", "oa_id=42;via=consent"),
            "Kết nối Zalo OA 42 cho đơn vị qn-bai-chay qua trang cấp quyền của Zalo"
        );
        assert_eq!(
            s(AuditAction::ChannelLost, "qn-bai-chay", "oa_id=42;status=revoked"),
            "Zalo OA 42 của đơn vị qn-bai-chay mất kết nối: quản trị viên OA đã thu hồi quyền trên Zalo"
        );
        assert_eq!(
            s(AuditAction::MediaExpired, "", "3 files of conversations closed before 2026-10-01"),
            "Xóa 3 tệp ảnh/video của các cuộc trò chuyện kết thúc trước ngày 2026-10-01 (hết thời hạn lưu trữ)"
        );
        assert_eq!(
            s(AuditAction::KbChanged, "qn-bai-chay", "kb=can-cuoc.cap-moi restored"),
            "Bỏ điều chỉnh của đơn vị qn-bai-chay với mục hỏi đáp can-cuoc.cap-moi"
        );
        assert_eq!(
            sentence(AuditAction::GrantAdded, "canbo.baichay", "role=duty_officer", Lang::En),
            "Granted the duty officer role to canbo.baichay"
        );
        assert_eq!(
            s(AuditAction::CategoryChanged, "noise", "fields=sensitivity,questions"),
            "Sửa loại tin báo noise (mức độ nhạy cảm, câu hỏi thêm)"
        );
        assert_eq!(s(AuditAction::CategoryChanged, "noise", "disabled"), "Tắt loại tin báo noise");
        assert_eq!(
            s(AuditAction::CategoryChanged, "noise", "moved=up;place=3;of=12"),
            "Đưa loại tin báo noise lên vị trí 3/12 trong danh sách người dân chọn"
        );
        assert_eq!(
            sentence(AuditAction::CategoryChanged, "noise", "moved=down;place=4;of=12", Lang::En),
            "Moved the report category noise down to place 4 of 12 in the citizens' list"
        );
        // A detail no rule knows is kept.
        assert_eq!(s(AuditAction::UnitEdited, "x", "something new"), "Sửa thông tin đơn vị x (something new)");
        // Every action has a sentence of its own in each language.
        for a in AuditAction::ALL {
            let (vi, en) = (s(a, "t", ""), sentence(a, "t", "", Lang::En));
            assert!(!vi.is_empty() && vi != en, "{a:?}: {vi}");
        }
    }
}
