//! The audit log (nhật ký kiểm tra): what officers did that must be answerable later — sign-ins,
//! permission changes, unit changes, data exports and sensitive reads. Entries are append-only
//! (the database refuses updates and deletes) and never carry personal data: ids and codes only.

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
}

impl AuditAction {
    pub const ALL: [AuditAction; 25] = [
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
            AuditAction::KbChanged => "Sửa cơ sở tri thức",
            AuditAction::KbImported => "Nhập cơ sở tri thức",
            AuditAction::OutboxRetried => "Gửi lại tin nhắn lỗi",
            AuditAction::MediaExpired => "Xoá ảnh/video hết thời hạn lưu trữ",
            AuditAction::Open311KeyCreated => "Cấp khóa API Open311",
            AuditAction::Open311KeyRevoked => "Thu hồi khóa API Open311",
            AuditAction::CaseIdentityRequested => "Đề nghị xem danh tính người báo tin",
            AuditAction::CaseIdentityApproved => "Duyệt xem danh tính người báo tin",
            AuditAction::CaseIdentityDenied => "Từ chối xem danh tính người báo tin",
            AuditAction::CaseIdentityViewed => "Xem danh tính người báo tin",
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
}
