//! The report categories screen (`/cases/categories`), for the deployment's admin: the list with
//! each category's sensitivity, handling level, urgency, legal clock and extra questions, turning
//! one on or off, moving one up or down in the order every list of categories follows, editing one (`/cases/categories/{key}`) and adding one
//! (`/cases/categories/new`). Everyone else gets 403, like the other admin screens. The rules
//! and the audit are in `cases::category_service`.

use crate::app::App;
use crate::cases::category_service;
use crate::web::error::{render, render_form};
use crate::web::form::{self, Posted};
use crate::web::{Chrome, CurrentOfficer, T, WebError};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use caunoi_core::cases::category_edit::{CategoryDraft, MAX_QUESTIONS, QuestionDraft};
use caunoi_core::cases::{Category, HandlingLevel};
use caunoi_core::input::FieldErrors;
use serde::Deserialize;

/// One category as the list shows it.
pub struct Row {
    pub category: Category,
    pub enabled: bool,
}

#[derive(Template)]
#[template(path = "cases_categories.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    notice: String,
    /// Why a move was refused (nothing changed).
    error: String,
    /// The fingerprint of the order shown, sent back by the move buttons.
    order: String,
}

#[derive(Template)]
#[template(path = "cases_category_form.html")]
struct FormPage {
    chrome: Chrome,
    /// `None` for a new category.
    key: Option<String>,
    /// The stored name in the reader's language (the heading keeps it while the form is refused).
    title: String,
    draft: CategoryDraft,
    /// The question rows the form shows: the draft's, and an empty one to add while there is room.
    questions: Vec<QuestionDraft>,
    levels: Vec<(&'static str, &'static str, &'static str)>,
    question_errors: Vec<String>,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    saved: Option<String>,
    moved: Option<String>,
}

async fn list_view(app: &App, me: &CurrentOfficer, notice: &str, error: String) -> Result<ListPage, WebError> {
    let rows = category_service::list(app, &me.scope).await?;
    Ok(ListPage {
        chrome: me.chrome("cases", "/cases/categories"),
        rows: rows.into_iter().map(|(category, enabled)| Row { category, enabled }).collect(),
        notice: notice.into(),
        error,
        order: category_service::order_token(app),
    })
}

pub async fn list_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    let t = T::new(me.lang);
    let notice = if q.moved.is_some() {
        t.tr("Đã đổi thứ tự loại tin báo.", "Order changed.")
    } else if q.saved.is_some() {
        t.tr("Đã lưu loại tin báo.", "Category saved.")
    } else {
        ""
    };
    render(&list_view(&app, &me, notice, String::new()).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    /// `up` or `down`.
    way: String,
    /// The order the admin saw ([`category_service::order_token`]).
    order: String,
}

/// "Lên" / "Xuống" on a category: one place up or down, then the list at that row; a refused
/// move shows the list again with the reason (422), nothing changed.
pub async fn move_category(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(key): Path<String>,
    Form(f): Form<MoveForm>,
) -> Result<Response, WebError> {
    match form::posted(category_service::move_category(&app, &me.scope, &key, &f.way, &f.order).await)? {
        // The key was found among the stored ones, whose characters are a-z, 0-9 and `_`.
        Posted::Saved(()) => form::see_other(&format!("/cases/categories?moved=1#cat-{key}")),
        Posted::Refused(errors) => {
            let page = list_view(&app, &me, "", form::first_message(&errors, me.lang)).await?;
            render_form(&page, &errors)
        }
    }
}

fn form_page(
    me: &CurrentOfficer,
    key: Option<String>,
    title: String,
    draft: CategoryDraft,
    errors: FieldErrors,
) -> FormPage {
    let mut questions = draft.questions.clone();
    if questions.len() < MAX_QUESTIONS {
        questions.push(QuestionDraft::default());
    }
    let question_errors =
        errors.0.iter().filter(|e| e.field == "questions").map(|e| e.message.get(me.lang).to_string()).collect();
    let back = match &key {
        Some(k) => format!("/cases/categories/{k}"),
        None => "/cases/categories/new".into(),
    };
    FormPage {
        chrome: me.chrome("cases", back),
        key,
        title,
        draft,
        questions,
        levels: HandlingLevel::ALL.iter().map(|l| (l.as_str(), l.label_vi(), l.label_en())).collect(),
        question_errors,
        errors,
    }
}

pub async fn edit_page(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    let (category, _) = category_service::get(&app, &me.scope, &key).await?;
    let title = T::new(me.lang).tr(&category.label_vi, &category.label_en).to_string();
    let page = form_page(&me, Some(key), title, CategoryDraft::of(&category), FieldErrors::default());
    render(&page)
}

pub async fn new_page(State(app): State<App>, me: CurrentOfficer) -> Result<Response, WebError> {
    category_service::list(&app, &me.scope).await?;
    let draft = CategoryDraft { sensitivity: "sensitive".into(), handling: "local".into(), ..Default::default() };
    render(&form_page(&me, None, String::new(), draft, FieldErrors::default()))
}

/// The posted form as a draft: fixed fields by name, questions as `q{i}_…` (a row whose
/// "remove" box is ticked is left out).
fn draft_of(fields: &[(String, String)]) -> CategoryDraft {
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut questions: Vec<(usize, QuestionDraft, bool)> = Vec::new();
    for (name, value) in fields {
        let Some(rest) = name.strip_prefix('q') else { continue };
        let Some((index, part)) = rest.split_once('_') else { continue };
        let Ok(index) = index.parse::<usize>() else { continue };
        // More rows than any form shows are still read (and refused as too many).
        if index > 100 {
            continue;
        }
        let at = match questions.iter().position(|(i, _, _)| *i == index) {
            Some(at) => at,
            None => {
                questions.push((index, QuestionDraft::default(), false));
                questions.len() - 1
            }
        };
        let q = &mut questions[at];
        match part {
            "code" => q.1.code = value.clone(),
            "label_vi" => q.1.label_vi = value.clone(),
            "label_en" => q.1.label_en = value.clone(),
            "required" => q.1.required = true,
            "choices" => q.1.choices = value.clone(),
            "remove" => q.2 = true,
            _ => {}
        }
    }
    questions.sort_by_key(|(i, _, _)| *i);
    CategoryDraft {
        key: get("key"),
        label_vi: get("label_vi"),
        label_en: get("label_en"),
        sensitivity: get("sensitivity"),
        handling: get("handling"),
        urgent: !get("urgent").is_empty(),
        legal_days: get("legal_days"),
        questions: questions.into_iter().filter(|(_, _, removed)| !removed).map(|(_, q, _)| q).collect(),
    }
}

pub async fn save(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(key): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let draft = draft_of(&fields);
    match form::posted(category_service::update(&app, &me.scope, &key, &draft).await)? {
        Posted::Saved(()) => form::see_other("/cases/categories?saved=1"),
        Posted::Refused(errors) => {
            let (category, _) = category_service::get(&app, &me.scope, &key).await?;
            let title = T::new(me.lang).tr(&category.label_vi, &category.label_en).to_string();
            let page = form_page(&me, Some(key), title, draft, errors);
            render_form(&page, &page.errors)
        }
    }
}

pub async fn create(
    State(app): State<App>,
    me: CurrentOfficer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let draft = draft_of(&fields);
    match form::posted(category_service::create(&app, &me.scope, &draft).await)? {
        Posted::Saved(_) => form::see_other("/cases/categories?saved=1"),
        Posted::Refused(errors) => {
            let page = form_page(&me, None, String::new(), draft, errors);
            render_form(&page, &page.errors)
        }
    }
}

#[derive(Deserialize)]
pub struct EnabledForm {
    enabled: String,
}

pub async fn set_enabled(
    State(app): State<App>,
    me: CurrentOfficer,
    Path(key): Path<String>,
    Form(f): Form<EnabledForm>,
) -> Result<Response, WebError> {
    category_service::set_enabled(&app, &me.scope, &key, f.enabled == "1").await?;
    form::see_other("/cases/categories?saved=1")
}
