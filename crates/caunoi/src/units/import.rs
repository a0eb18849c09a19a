//! Reading unit import files (CSV with a header row, or a JSON array of objects) into rows that
//! remember their line numbers, so every refusal can point at the line to fix.
//!
//! Columns / keys: `code`, `parent_code`, `name`, `kind`, `address`, `lat`, `lon`, `hotline`,
//! `duty_phone`, `email`, `hours_mon` … `hours_sun`, `holidays`, `boundary` (GeoJSON text in CSV,
//! a GeoJSON object or text in JSON). Only `code`, `name` and `kind` are required.

use caunoi_core::units::{ImportProblem, ImportRow, UnitDetailsInput};

/// Columns a file may have; anything else is refused so a typo in a header is not silently lost.
pub const COLUMNS: [&str; 20] = [
    "code",
    "parent_code",
    "name",
    "kind",
    "address",
    "lat",
    "lon",
    "hotline",
    "duty_phone",
    "email",
    "hours_mon",
    "hours_tue",
    "hours_wed",
    "hours_thu",
    "hours_fri",
    "hours_sat",
    "hours_sun",
    "holidays",
    "boundary",
    "former_names",
];

fn set_field(row: &mut ImportRow, key: &str, value: String) {
    let d: &mut UnitDetailsInput = &mut row.details;
    match key {
        "code" => row.code = value,
        "parent_code" => row.parent_code = value,
        "name" => d.name = value,
        "kind" => d.kind = value,
        "address" => d.address = value,
        "lat" => d.lat = value,
        "lon" => d.lon = value,
        "hotline" => d.hotline = value,
        "duty_phone" => d.duty_phone = value,
        "email" => d.email = value,
        "hours_mon" => d.hours_mon = value,
        "hours_tue" => d.hours_tue = value,
        "hours_wed" => d.hours_wed = value,
        "hours_thu" => d.hours_thu = value,
        "hours_fri" => d.hours_fri = value,
        "hours_sat" => d.hours_sat = value,
        "hours_sun" => d.hours_sun = value,
        "holidays" => d.holidays = value,
        "boundary" => d.boundary = value,
        "former_names" => d.former_names = value,
        _ => {}
    }
}

fn problem(line: usize, reason: impl Into<String>) -> Vec<ImportProblem> {
    vec![ImportProblem { line, reason: reason.into() }]
}

/// Parses a file by its name: `.json` as JSON, anything else as CSV.
pub fn parse_file(name: &str, text: &str) -> Result<Vec<ImportRow>, Vec<ImportProblem>> {
    if name.to_ascii_lowercase().ends_with(".json") { parse_json(text) } else { parse_csv(text) }
}

/// Parses CSV with a header row. Line numbers count the header as line 1.
pub fn parse_csv(text: &str) -> Result<Vec<ImportRow>, Vec<ImportProblem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.to_ascii_lowercase()).collect(),
        Err(e) => return Err(problem(1, format!("cannot read the header row: {e}"))),
    };
    let unknown: Vec<&String> = headers.iter().filter(|h| !COLUMNS.contains(&h.as_str())).collect();
    if !unknown.is_empty() {
        return Err(problem(1, format!("unknown column(s) {unknown:?}; allowed: {}", COLUMNS.join(", "))));
    }
    for required in ["code", "name", "kind"] {
        if !headers.iter().any(|h| h == required) {
            return Err(problem(1, format!("missing column {required:?}")));
        }
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        match record {
            Ok(r) => {
                let line = r.position().map(|p| line_at(text, p.byte())).unwrap_or(line);
                let mut row = ImportRow { line, ..Default::default() };
                for (key, value) in headers.iter().zip(r.iter()) {
                    set_field(&mut row, key, value.to_string());
                }
                rows.push(row);
            }
            Err(e) => {
                let line = e.position().map(|p| line_at(text, p.byte())).unwrap_or(line);
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("expected {expected_len} fields, found {len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => "the line is not valid UTF-8 text".to_string(),
                    _ => "malformed CSV".to_string(),
                };
                problems.push(ImportProblem { line, reason });
            }
        }
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

/// The 1-based line of a byte offset. (The CSV reader's own line count skips blank lines.)
fn line_at(text: &str, byte: u64) -> usize {
    let bytes = text.as_bytes();
    let mut end = (byte as usize).min(bytes.len());
    // A record's position may point at blank lines skipped before it.
    while end < bytes.len() && (bytes[end] == b'\n' || bytes[end] == b'\r') {
        end += 1;
    }
    bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
}

/// Parses a JSON array of unit objects; each row's line is where its object starts.
pub fn parse_json(text: &str) -> Result<Vec<ImportRow>, Vec<ImportProblem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let values: Vec<serde_json::Value> = match serde_json::from_str(text) {
        Ok(serde_json::Value::Array(items)) => items,
        Ok(_) => return Err(problem(1, "the file must hold a JSON array of units")),
        Err(e) => return Err(problem(e.line(), format!("malformed JSON: {e}"))),
    };
    let lines = object_start_lines(text);
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, value) in values.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let serde_json::Value::Object(map) = value else {
            problems.push(ImportProblem { line, reason: format!("entry {} is not an object", i + 1) });
            continue;
        };
        let mut row = ImportRow { line, ..Default::default() };
        let mut reasons = Vec::new();
        for (key, v) in map {
            if !COLUMNS.contains(&key.as_str()) {
                reasons.push(format!("unknown key {key:?}"));
                continue;
            }
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Null => String::new(),
                serde_json::Value::Object(_) if key == "boundary" => v.to_string(),
                other => {
                    reasons.push(format!("{key}: expected text, found {other}"));
                    continue;
                }
            };
            set_field(&mut row, &key, text);
        }
        if reasons.is_empty() {
            rows.push(row);
        } else {
            problems.push(ImportProblem { line, reason: reasons.join("; ") });
        }
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

/// The line where each top-level array element starts (1-based), found by a scan that respects
/// strings and escapes.
fn object_start_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let (mut line, mut depth, mut in_string, mut escaped, mut expecting) = (1usize, 0usize, false, false, false);
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            if c == '\n' {
                line += 1;
            }
            continue;
        }
        if depth == 1 && expecting && !c.is_whitespace() && c != ']' {
            lines.push(line);
            expecting = false;
        }
        match c {
            '\n' => line += 1,
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                expecting = depth == 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expecting = true,
            _ => {}
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_line_numbers() {
        let text = "code,parent_code,name,kind\nprov,,Công an tỉnh,province\n\nward-a,prov,Công an phường A,ward\n";
        let rows = parse_csv(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].line, 4);
        assert_eq!(rows[1].parent_code, "prov");
        assert_eq!(rows[1].details.name, "Công an phường A");
    }

    #[test]
    fn csv_with_unknown_column_or_short_row_is_refused() {
        assert!(parse_csv("code,nam,kind\nx,y,ward\n").unwrap_err()[0].reason.contains("unknown column"));
        let e = parse_csv("code,name,kind\nab,Tên,ward\ncd,Tên\n").unwrap_err();
        assert_eq!(e[0].line, 3);
        assert!(e[0].reason.contains("expected 3 fields"));
    }

    #[test]
    fn json_rows_get_the_line_of_their_object() {
        let text = "[\n  {\"code\": \"prov\", \"name\": \"P\", \"kind\": \"province\"},\n  {\n    \"code\": \"w1\",\n    \"parent_code\": \"prov\", \"name\": \"W\", \"kind\": \"ward\", \"lat\": 21.0, \"boundary\": {\"type\": \"Polygon\", \"coordinates\": []}\n  }\n]";
        let rows = parse_json(text).unwrap();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(rows[1].details.lat, "21.0");
        assert!(rows[1].details.boundary.contains("Polygon"));
    }

    #[test]
    fn malformed_json_reports_where() {
        let e = parse_json("[\n {\"code\": \"x\",\n}").unwrap_err();
        assert_eq!(e[0].line, 3);
        assert!(parse_json("{\"code\": 1}").unwrap_err()[0].reason.contains("array"));
        assert!(parse_json("[{\"code\": [1]}]").unwrap_err()[0].reason.contains("expected text"));
        assert!(parse_json("[{\"colour\": \"x\"}]").unwrap_err()[0].reason.contains("unknown key"));
    }
}
