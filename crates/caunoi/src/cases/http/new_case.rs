//! Officer entry (`/cases/new`): a phone-in or a walk-in typed by the officer who took it, at a
//! unit they work at; or a case made from a conversation in the inbox
//! (`/cases/new?conversation=<id>`, prefilled with what the citizen wrote), so replies reach
//! the citizen in that chat. Saved, the page shows the code to read out to the caller (and the
//! receipt of an anonymous caller, once).

use crate::app::App;
use crate::cases::service::{self, NewCase, ReporterDetails};
use crate::error::ServiceError;
use crate::web::error::{render, render_form};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, Opt, T, WebError};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use caunoi_core::cases::{Channel, ReporterMode};
use caunoi_core::conversations::ConversationId;
use caunoi_core::input::{FieldErrors, InvalidInput, Lang};
use caunoi_core::staff::Action;
use caunoi_core::units::GeoPoint;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default, Clone)]
pub(super) struct NewForm {
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    occurred: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    conversation: String,
    /// "Khẩn cấp" ticked: the case is urgent whatever its category, and rings the duty desk.
    #[serde(default)]
    urgent: Option<String>,
    /// The categories' extra questions, `attr_<category>_<question>`.
    #[serde(flatten)]
    extra: std::collections::HashMap<String, String>,
}

/// One extra question of a category, as the form shows it.
pub struct QuestionField {
    pub name: String,
    pub label: String,
    pub required: bool,
    pub choices: Vec<Opt>,
    pub value: String,
}

pub struct ModeChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub explain: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "cases_new.html")]
struct NewPage {
    chrome: Chrome,
    f: NewForm,
    categories: Vec<Opt>,
    units: Vec<Opt>,
    modes: Vec<ModeChoice>,
    questions: Vec<QuestionField>,
    from_conversation: bool,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "cases_created.html")]
struct CreatedPage {
    chrome: Chrome,
    id: i64,
    code: String,
    receipt: String,
    conversation: String,
}

#[derive(Deserialize, Default)]
pub(super) struct NewQuery {
    #[serde(default)]
    conversation: String,
}

/// The units where the officer may enter a case (where they work cases).
async fn unit_options(app: &App, me: &CurrentOfficer, chosen: &str) -> Result<Vec<Opt>, WebError> {
    Ok(crate::units::service::list_in_scope(app, &me.scope)
        .await?
        .into_iter()
        .filter(|u| me.scope.can(Action::WorkCases, &u.path))
        .map(|u| {
            let selected = u.code.as_str() == chosen;
            Opt::unit(&u, selected)
        })
        .collect())
}

async fn form_view(app: &App, me: &CurrentOfficer, f: NewForm, errors: FieldErrors) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let categories = service::categories(app)
        .iter()
        .filter(|(_, enabled)| *enabled)
        .map(|(c, _)| Opt {
            selected: c.key == f.category,
            value: c.key.clone(),
            label: t.tr(&c.label_vi, &c.label_en).to_string(),
        })
        .collect();
    let units = unit_options(app, me, &f.unit).await?;
    let mut questions = Vec::new();
    for (c, _) in service::categories(app).iter().filter(|(_, enabled)| *enabled) {
        for q in &c.questions {
            let name = format!("attr_{}_{}", c.key, q.code);
            let value = f.extra.get(&name).cloned().unwrap_or_default();
            questions.push(QuestionField {
                label: format!("{} — {}", t.tr(&c.label_vi, &c.label_en), t.tr(&q.label_vi, &q.label_en)),
                required: q.required,
                choices: q
                    .choices
                    .iter()
                    .map(|(k, label)| Opt { selected: *k == value, value: k.clone(), label: label.clone() })
                    .collect(),
                name,
                value,
            });
        }
    }
    let mode = ReporterMode::parse(&f.mode).unwrap_or(ReporterMode::Open);
    let modes = ReporterMode::ALL
        .into_iter()
        .map(|m| ModeChoice {
            value: m.as_str(),
            label: match t.lang {
                Lang::Vi => m.label_vi(),
                Lang::En => m.label_en(),
            },
            explain: match t.lang {
                Lang::Vi => m.explain_vi(),
                Lang::En => m.explain_en(),
            },
            checked: m == mode,
        })
        .collect();
    let page = NewPage {
        chrome: me.chrome("cases", "/cases/new"),
        from_conversation: !f.conversation.is_empty(),
        f,
        categories,
        units,
        modes,
        questions,
        errors,
    };
    render_form(&page, &page.errors)
}

pub(super) async fn new_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    if !me.scope.can_anywhere(Action::WorkCases) {
        return Err(WebError::NotFound);
    }
    let mut f = NewForm::default();
    if let Ok(conversation) = q.conversation.trim().parse::<i64>() {
        // Outside the officer's scope the conversation does not exist (404).
        let view = crate::inbox::service::get(&app, &me.scope, conversation).await?;
        let said: Vec<String> = crate::inbox::service::thread(&app, &view)
            .await?
            .into_iter()
            .filter(|m| m.direction.as_str() == "in" && !m.text.trim().is_empty())
            .map(|m| m.text)
            .collect();
        let start = said.len().saturating_sub(5);
        f.description = said[start..].join("\n");
        f.name = view.contact_name.clone().unwrap_or_default();
        f.unit = view.unit_code.clone();
        f.conversation = conversation.to_string();
    }
    form_view(&app, &me, f, FieldErrors::default()).await
}

fn clean(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

async fn parse(app: &App, me: &CurrentOfficer, f: &NewForm) -> Result<NewCase, ServiceError> {
    let mut errs = FieldErrors::default();
    let units = crate::units::service::list_in_scope(app, &me.scope).await?;
    let unit = units.iter().find(|u| u.code.as_str() == f.unit.trim() && me.scope.can(Action::WorkCases, &u.path));
    if unit.is_none() {
        errs.push(InvalidInput::new(
            "unit",
            "Vui lòng chọn đơn vị tiếp nhận (đơn vị đồng chí công tác).",
            "Please choose the receiving unit (one you work at).",
        ));
    }
    let point = errs.take(GeoPoint::parse_pair(&f.lat, &f.lon)).flatten();
    let mode = ReporterMode::parse(&f.mode);
    if mode.is_none() {
        errs.push(InvalidInput::new(
            "mode",
            "Vui lòng chọn cách người báo được biết.",
            "Please choose the reporter mode.",
        ));
    }
    let phone = match clean(&f.phone) {
        Some(p) => errs.take(caunoi_core::phone::PhoneNumber::parse("phone", &p).map(|p| p.as_str().to_string())),
        None => None,
    };
    let conversation = match f.conversation.trim() {
        "" => None,
        raw => {
            let id = raw.parse::<i64>().map_err(|_| ServiceError::NotFound)?;
            // Only a conversation the officer may work; elsewhere it does not exist.
            crate::inbox::service::get(app, &me.scope, id).await?;
            Some(ConversationId(id))
        }
    };
    if !errs.is_empty() {
        return Err(ServiceError::Invalid(errs));
    }
    let (Some(unit), Some(mode)) = (unit, mode) else { return Err(ServiceError::Invalid(errs)) };
    let reporter = if mode == ReporterMode::Anonymous {
        ReporterDetails::default()
    } else {
        ReporterDetails { name: clean(&f.name), phone, contact: clean(&f.contact) }
    };
    Ok(NewCase {
        channel: Channel::Officer,
        received_by: unit.id,
        category: f.category.trim().to_string(),
        description: f.description.clone(),
        point: point.map(|p| (p.lat, p.lon)),
        address: clean(&f.address),
        place_unknown: point.is_none() && clean(&f.address).is_none(),
        occurred: clean(&f.occurred),
        attributes: {
            // Only the chosen category's answers.
            let prefix = format!("attr_{}_", f.category.trim());
            f.extra
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), v.trim().to_string())))
                .filter(|(_, v)| !v.is_empty())
                .collect::<BTreeMap<_, _>>()
        },
        mode,
        reporter,
        conversation,
        entered_by: Some(me.id),
        urgent: f.urgent.is_some(),
        // A phone-in rings the duty desk like a web report.
        own_alarm: true,
        media: Vec::new(),
    })
}

pub(super) async fn create(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(f): Form<NewForm>,
) -> Result<Response, WebError> {
    if !me.scope.can_anywhere(Action::WorkCases) {
        return Err(WebError::NotFound);
    }
    let r = match parse(&app, &me, &f).await {
        Ok(new) => service::create(&app, new).await,
        Err(e) => Err(e),
    };
    match form::posted(r)? {
        Posted::Saved(created) => render(&CreatedPage {
            chrome: me.chrome("cases", "/cases"),
            id: created.id.0,
            code: created.code.to_string(),
            receipt: created.receipt.map(|r| r.grouped()).unwrap_or_default(),
            conversation: f.conversation.trim().to_string(),
        }),
        Posted::Refused(errors) => form_view(&app, &me, f, errors).await,
    }
}
