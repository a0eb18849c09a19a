//! The shape of the code, checked (issue 16, `docs/decisions.md` "Map of the code"): no import
//! circle of more than two files in the app crate and none at all in `caunoi-core`, and no
//! feature's store writing another feature's tables.
//!
//! Imports are read from the source text: every `crate::…`, `super::…` and `self::…` path (in
//! `use` items, grouped or not, and written inline) is resolved to the file of the longest module
//! prefix that exists. A `mod` declaration is not an import: a parent naming its children is the
//! tree, not a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path (`["inbox", "http", "roster"]`) and the file that defines it.
type Modules = BTreeMap<Vec<String>, PathBuf>;

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src")
}

/// Every module file of a crate's `src/`, by module path.
fn modules(src: &Path) -> Modules {
    fn walk(dir: &Path, prefix: &[String], out: &mut Modules) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut inner = prefix.to_vec();
                inner.push(name);
                walk(&path, &inner, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let mut module = prefix.to_vec();
                if !matches!(name.as_str(), "mod" | "lib" | "main") {
                    module.push(name);
                }
                out.entry(module).or_insert(path);
            }
        }
    }
    let mut out = Modules::new();
    walk(src, &[], &mut out);
    // `main.rs` and binaries are not part of the library's module tree.
    out.retain(|_, file| !file.ends_with("main.rs") && !file.components().any(|c| c.as_os_str() == "bin"));
    out
}

/// The module a file defines.
fn module_of(modules: &Modules, file: &Path) -> Vec<String> {
    modules.iter().find(|(_, f)| f.as_path() == file).map(|(m, _)| m.clone()).unwrap()
}

/// The source without comments and string literals, so that a path in a doc comment or a
/// message is not read as an import.
fn code_only(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            '"' => {
                let mut escaped = false;
                for c in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every path rooted at `crate`, `super`, `self` or one of `children` (the file's own child
/// modules, which 2018 paths name bare), with `{…}` groups expanded.
fn paths_in(code: &str, children: &[String]) -> Vec<Vec<String>> {
    let roots: Vec<Vec<char>> = ["crate", "super", "self"]
        .iter()
        .map(|r| r.to_string())
        .chain(children.iter().cloned())
        .map(|r| r.chars().collect())
        .collect();
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == ':');
        if starts_word {
            for root in &roots {
                let end = i + root.len();
                if chars[i..].starts_with(root) && chars[end..].starts_with(&[':', ':']) {
                    let (paths, next) = parse_tree(&chars, i);
                    found.extend(paths);
                    i = next.max(i + 1);
                    break;
                }
            }
        }
        i += 1;
    }
    found
}

/// Parses `a::b::{c, d::e}` from `start`; returns the expanded paths and where parsing stopped.
fn parse_tree(chars: &[char], start: usize) -> (Vec<Vec<String>>, usize) {
    let mut i = start;
    let mut prefix = Vec::new();
    loop {
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        if chars.get(i) == Some(&'{') {
            i += 1;
            let mut out = Vec::new();
            loop {
                while chars.get(i).is_some_and(|c| c.is_whitespace() || *c == ',') {
                    i += 1;
                }
                match chars.get(i) {
                    None => return (out, i),
                    Some('}') => return (out, i + 1),
                    _ => {}
                }
                let (inner, next) = parse_tree(chars, i);
                for p in inner {
                    let mut full = prefix.clone();
                    full.extend(p);
                    out.push(full);
                }
                if next == i {
                    i += 1;
                } else {
                    i = next;
                }
            }
        }
        let begin = i;
        while chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
            i += 1;
        }
        if begin == i {
            return (vec![prefix], i);
        }
        prefix.push(chars[begin..i].iter().collect());
        if chars[i..].starts_with(&[':', ':']) {
            i += 2;
        } else {
            return (vec![prefix], i);
        }
    }
}

/// Drops every `#[cfg(test)]` item (a test module's `use super::*` is not the file's import).
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        // The item ends at its `;` or at the brace closing its first `{`, whichever comes first.
        let end = match (item.find(';'), item.find('{')) {
            (Some(semi), Some(open)) if semi < open => semi + 1,
            (_, Some(open)) => {
                let mut depth = 0usize;
                let mut end = item.len();
                for (i, c) in item[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (Some(semi), None) => semi + 1,
            (None, None) => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The module files a file imports, each with the first path that names it. A folder's
/// `mod.rs` naming its own children (declaring, re-exporting, mounting their routes) is the
/// module tree, not an import; a child using its parent is.
fn imports(modules: &Modules, file: &Path) -> BTreeMap<PathBuf, String> {
    let here = module_of(modules, file);
    let is_folder_face = matches!(file.file_name().and_then(|n| n.to_str()), Some("mod.rs" | "lib.rs"));
    let children: Vec<String> = modules
        .keys()
        .filter(|m| m.len() == here.len() + 1 && m.starts_with(&here))
        .map(|m| m[here.len()].clone())
        .collect();
    let source = std::fs::read_to_string(file).unwrap();
    let mut out = BTreeMap::new();
    for path in paths_in(&without_tests(&code_only(&source)), &children) {
        let written = path.join("::");
        // Resolve the root to an absolute module path.
        let mut absolute: Vec<String> = Vec::new();
        let mut rest = path.as_slice();
        match rest.first().map(String::as_str) {
            Some("crate") => rest = &rest[1..],
            Some("self") => {
                absolute = here.clone();
                rest = &rest[1..];
            }
            Some("super") => {
                absolute = here.clone();
                while rest.first().map(String::as_str) == Some("super") {
                    absolute.pop();
                    rest = &rest[1..];
                }
            }
            Some(_) => absolute = here.clone(),
            None => continue,
        }
        absolute.extend(rest.iter().cloned());
        // The longest prefix that is a module file.
        let Some((module, target)) = (0..=absolute.len()).rev().find_map(|n| modules.get_key_value(&absolute[..n]))
        else {
            continue;
        };
        let own_child = is_folder_face && module.len() == here.len() + 1 && module.starts_with(&here);
        if target != file && !own_child {
            out.entry(target.clone()).or_insert(written);
        }
    }
    out
}

/// Strongly connected components of more than one file (Tarjan).
fn circles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// Every file's imports: the graph, and the path that made each edge (for the failure message).
struct Imports {
    graph: BTreeMap<PathBuf, BTreeSet<PathBuf>>,
    why: BTreeMap<(PathBuf, PathBuf), String>,
    modules: usize,
}

fn import_graph(src: &Path) -> Imports {
    let modules = modules(src);
    let mut imports = Imports { graph: BTreeMap::new(), why: BTreeMap::new(), modules: modules.len() };
    for file in modules.values() {
        let found = self::imports(&modules, file);
        for (target, written) in &found {
            imports.why.insert((file.clone(), target.clone()), written.clone());
        }
        imports.graph.insert(file.clone(), found.into_keys().collect());
    }
    imports
}

/// A circle's files and the imports between them.
fn shown(src: &Path, imports: &Imports, component: &[PathBuf]) -> String {
    let name = |f: &PathBuf| f.strip_prefix(src).unwrap().display().to_string();
    let mut out = component.iter().map(name).collect::<Vec<_>>().join(" ↔ ");
    for ((from, to), written) in &imports.why {
        if component.contains(from) && component.contains(to) {
            out.push_str(&format!("\n    {} → {} ({written})", name(from), name(to)));
        }
    }
    out
}

#[test]
fn the_reader_finds_grouped_nested_and_relative_imports() {
    let code = code_only(
        "use crate::{db::Db, inbox::{service, store::Row}};\n\
         // use crate::commented::Out;\n\
         let s = \"crate::in_a_string\";\n\
         fn f() { super::super::units::store::get(); self::inner::x(); store::put(); restore::no(); }",
    );
    let paths = paths_in(&code, &["store".to_owned()]);
    let shown: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        shown,
        [
            "crate::db::Db",
            "crate::inbox::service",
            "crate::inbox::store::Row",
            "super::super::units::store::get",
            "self::inner::x",
            "store::put"
        ]
    );
}

#[test]
fn a_circle_of_three_files_is_found() {
    let graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
        .into_iter()
        .map(|(from, to)| (PathBuf::from(from), BTreeSet::from([PathBuf::from(to)])))
        .collect();
    assert_eq!(circles(&graph), vec![vec![PathBuf::from("a"), PathBuf::from("b"), PathBuf::from("c")]]);
}

#[test]
fn the_app_crate_has_no_import_circle_of_more_than_two_files() {
    let src = crate_src("caunoi");
    let imports = import_graph(&src);
    assert!(imports.modules > 100, "the reader found only {} modules", imports.modules);
    assert!(imports.why.len() > 300, "the reader found only {} imports", imports.why.len());
    let long: Vec<String> =
        circles(&imports.graph).iter().filter(|c| c.len() > 2).map(|c| shown(&src, &imports, c)).collect();
    assert!(long.is_empty(), "import circles of more than two files:\n{}", long.join("\n"));
}

#[test]
fn the_core_crate_has_no_import_circle() {
    let src = crate_src("caunoi-core");
    let imports = import_graph(&src);
    assert!(imports.modules > 15, "the reader found only {} modules", imports.modules);
    let found: Vec<String> = circles(&imports.graph).iter().map(|c| shown(&src, &imports, c)).collect();
    assert!(found.is_empty(), "import circles in caunoi-core:\n{}", found.join("\n"));
}

/// One row of the ownership table in `docs/decisions.md`: the app folders or files of a feature
/// and the tables it owns.
struct Owner {
    feature: String,
    places: Vec<String>,
    tables: Vec<String>,
}

fn backticked(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The "Map of the code" table: `| feature | core | app | tables it owns |`.
fn owners() -> Vec<Owner> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/decisions.md")).unwrap();
    let map = doc.split("## Map of the code").nth(1).expect("docs/decisions.md has a \"Map of the code\" section");
    map.lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| ") && !l.starts_with("| feature") && !l.starts_with("|---"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 6, "a row of the ownership table has four cells: {l}");
            Owner {
                feature: cells[1].to_owned(),
                places: backticked(cells[3]).into_iter().filter(|p| p.ends_with('/') || p.ends_with(".rs")).collect(),
                tables: backticked(cells[4])
                    .into_iter()
                    .filter(|t| t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                    .collect(),
            }
        })
        .collect()
}

/// Tables the migrations leave in place, each engine's files read in order (a table created
/// under a temporary name and renamed counts under its final name; a dropped one is gone).
fn tables() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut all = BTreeSet::new();
    for engine in ["sqlite", "sqlite-inbound", "postgres"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(engine)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        let sql: String = files.iter().map(|f| std::fs::read_to_string(f).unwrap() + "\n").collect();
        let words: Vec<String> = code_only(&sql.replace("--", "//"))
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let mut live = BTreeSet::new();
        let mut last_table = String::new();
        for (i, w) in words.iter().enumerate() {
            let after = |n: usize| words.get(i + n).cloned().unwrap_or_default();
            if w == "table" {
                last_table = last_table_after(&words, i);
            }
            match (w.as_str(), after(1).as_str()) {
                ("create", "table") => {
                    live.insert(last_table_after(&words, i + 1));
                }
                ("drop", "table") => {
                    live.remove(&last_table_after(&words, i + 1));
                }
                ("rename", "to") => {
                    live.remove(&last_table);
                    live.insert(after(2));
                }
                _ => {}
            }
        }
        all.extend(live);
    }
    all
}

/// The table named after the word `TABLE` at `at` (skipping `IF [NOT] EXISTS`).
fn last_table_after(words: &[String], at: usize) -> String {
    let mut i = at + 1;
    while matches!(words.get(i).map(String::as_str), Some("if" | "not" | "exists")) {
        i += 1;
    }
    words.get(i).cloned().unwrap_or_default()
}

/// The tables an SQL text writes: `INSERT [OR …] INTO t`, `UPDATE t`, `DELETE FROM t`.
fn written_tables(code: &str) -> BTreeSet<String> {
    let words: Vec<&str> =
        code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    let mut out = BTreeSet::new();
    for (i, w) in words.iter().enumerate() {
        let next = |n: usize| words.get(i + n).copied().unwrap_or_default();
        let table = match *w {
            "INTO" if words[..i].iter().rev().take(3).any(|p| *p == "INSERT") => next(1),
            "UPDATE" if next(2) == "SET" => next(1),
            "DELETE" if next(1) == "FROM" => next(2),
            _ => continue,
        };
        out.insert(table.to_owned());
    }
    out
}

#[test]
fn every_table_has_exactly_one_owner_in_the_map_of_the_code() {
    let owners = owners();
    assert!(owners.len() >= 10, "the ownership table has only {} rows", owners.len());
    let mut problems = Vec::new();
    for table in tables() {
        let listed: Vec<&str> =
            owners.iter().filter(|o| o.tables.contains(&table)).map(|o| o.feature.as_str()).collect();
        if listed.len() != 1 {
            problems.push(format!("`{table}` is listed under {listed:?}"));
        }
    }
    let all = tables();
    for o in &owners {
        for t in o.tables.iter().filter(|t| !all.contains(*t)) {
            problems.push(format!("`{t}` (under {}) is not a table of the migrations", o.feature));
        }
    }
    assert!(problems.is_empty(), "docs/decisions.md, Map of the code:\n{}", problems.join("\n"));
}

#[test]
fn a_feature_writes_only_its_own_tables() {
    let src = crate_src("caunoi");
    let owners = owners();
    let tables = tables();
    let mut problems = Vec::new();
    let mut writes = 0;
    for file in modules(&src).values() {
        let relative = file.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        let owner = owners
            .iter()
            .flat_map(|o| o.places.iter().filter(|p| relative.starts_with(p.as_str())).map(move |p| (p.len(), o)))
            .max_by_key(|(len, _)| *len)
            .map(|(_, o)| o);
        let source = std::fs::read_to_string(file).unwrap();
        for table in written_tables(&source).into_iter().filter(|t| tables.contains(t)) {
            writes += 1;
            match owner {
                Some(o) if o.tables.contains(&table) => {}
                Some(o) => problems.push(format!("{relative} ({}) writes `{table}`", o.feature)),
                None => problems.push(format!("{relative} (no feature in the map) writes `{table}`")),
            }
        }
    }
    assert!(writes > 40, "the reader found only {writes} (file, table) writes");
    assert!(problems.is_empty(), "writes across features:\n{}", problems.join("\n"));
}

#[test]
fn the_write_reader_sees_each_kind_of_write() {
    let found = written_tables(
        "INSERT INTO a (x) VALUES (1); INSERT OR IGNORE INTO b VALUES (2); UPDATE c SET x = 1; \
         DELETE FROM d WHERE x; SELECT * FROM e",
    );
    assert_eq!(found, BTreeSet::from(["a", "b", "c", "d"].map(str::to_owned)));
}
