//! Schema-driven TOML documentation: a configuration serialised as TOML with each `[table]`
//! header and `key = value` line preceded by the `///` docs of its field.
//!
//! The types derive [`schemars::JsonSchema`], so their doc comments become schema descriptions.
//! Each line of `toml::to_string_pretty`'s output is looked up in the schema by its table path:
//! `[a.b]` and `[[a]]` headers set the path, `key = value` lines get the description of that
//! property. The lookup follows `$ref` into `$defs`, `allOf`, `Option`'s `anyOf [T, null]`,
//! array `items`, and for internally tagged enums (`kind = "burgers"`) the `oneOf` variant whose
//! tag matches the value. Enum fields list their allowed values, with each value's documentation
//! where it has one. Used by `fluxion config show` (crate::config_show).

use std::collections::HashMap;

use anyhow::Context;
use schemars::{JsonSchema, SchemaGenerator};
use serde::Serialize;
use serde_json::Value as Json;
use toml::{Table, Value};

/// `config` as pretty TOML with every table header and key preceded by `# ` lines holding its
/// documentation from `T`'s JSON schema; the type's own documentation heads the text.
///
/// # Errors
/// When `config` does not serialise to a TOML table.
pub(crate) fn documented<T: Serialize + JsonSchema>(config: &T) -> anyhow::Result<String> {
    let text = toml::to_string_pretty(config).context("writing the configuration as TOML")?;
    let data: Table = text
        .parse()
        .context("reading back the configuration's TOML")?;
    let schema = SchemaGenerator::default().into_root_schema_for::<T>();
    Ok(annotate(&text, schema.as_value(), &data))
}

/// Annotates `text` (TOML whose parsed form is `data`) with the descriptions of `root`.
///
/// Optional fields that are not set (`None` has no TOML form) are listed, with their docs, as
/// comments at the end of their table.
fn annotate(text: &str, root: &Json, data: &Table) -> String {
    let mut out = String::new();
    // The root's `title` is the Rust type's name; its description is the type's docs.
    if let Some(d) = root.get("description").and_then(Json::as_str) {
        let lines: Vec<String> = strip_doc_links(d).lines().map(str::to_string).collect();
        comment(&mut out, &lines);
        out.push('\n');
    }
    let mut table_schema: Option<&Json> = Some(root);
    let mut table_data: Option<&Table> = Some(data);
    let mut unset_listed = false;
    let mut array_seen: HashMap<Vec<String>, usize> = HashMap::new();
    let mut in_multiline_string = false;
    for line in text.lines() {
        if !in_multiline_string {
            let is_header = header(line).is_some();
            if (line.trim().is_empty() || is_header) && !unset_listed {
                if let (Some(s), Some(d)) = (table_schema, table_data) {
                    comment(&mut out, &unset_docs(root, s, d));
                }
                unset_listed = true;
            }
            if let Some((path, is_array)) = header(line) {
                unset_listed = false;
                let index = if is_array {
                    let n = array_seen.entry(path.clone()).or_insert(0);
                    *n += 1;
                    Some(*n - 1)
                } else {
                    None
                };
                let found = table_at(root, data, &path, index);
                let mut lines = found.as_ref().map_or_else(Vec::new, |t| t.docs.clone());
                if lines.is_empty() {
                    lines.push(format!("[{}]", path.join(".")));
                }
                comment(&mut out, &lines);
                table_schema = found.as_ref().and_then(|t| t.schema);
                table_data = found.as_ref().and_then(|t| t.data);
            } else if let Some(key) = key_of(line) {
                let lines = table_schema
                    .map(|s| key_docs(root, s, key, table_data))
                    .unwrap_or_default();
                comment(&mut out, &lines);
            }
        }
        if (line.matches("\"\"\"").count() + line.matches("'''").count()) % 2 == 1 {
            in_multiline_string = !in_multiline_string;
        }
        out.push_str(line);
        out.push('\n');
    }
    if let (false, Some(s), Some(d)) = (unset_listed, table_schema, table_data) {
        comment(&mut out, &unset_docs(root, s, d));
    }
    out
}

/// Comment lines for the properties of the table `schema` that `data` does not set.
fn unset_docs(root: &Json, schema: &Json, data: &Table) -> Vec<String> {
    let mut lines = Vec::new();
    for (key, prop) in property_list(root, schema, data) {
        if data.contains_key(key) {
            continue;
        }
        lines.push(format!("Not set (optional): `{key}`."));
        lines.extend(docs(prop, Some(deref(root, prop))));
    }
    lines
}

/// The properties of an object schema in order, through `allOf` and the `oneOf`/`anyOf`
/// branches that agree with `data`.
fn property_list<'a>(root: &'a Json, schema: &'a Json, data: &Table) -> Vec<(&'a str, &'a Json)> {
    let schema = deref(root, schema);
    let mut out: Vec<(&str, &Json)> = schema
        .get("properties")
        .and_then(Json::as_object)
        .map(|p| p.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default();
    for combinator in ["allOf", "oneOf", "anyOf"] {
        for branch in schema
            .get(combinator)
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if combinator == "allOf" || agrees(root, branch, Some(data)) {
                out.extend(property_list(root, branch, data));
            }
        }
    }
    out
}

/// Rustdoc links as plain code: ``[`Fno`]`` and ``[`Error`](crate::Error)`` become `` `Fno` ``
/// and `` `Error` ``.
pub(crate) fn strip_doc_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let Some(len) = rest[start + 2..].find("`]") else {
            break;
        };
        out.push_str(&rest[..start]);
        let code = &rest[start + 1..start + 2 + len + 1];
        out.push_str(code);
        rest = &rest[start + 2 + len + 2..];
        if rest.starts_with('(') {
            if let Some(close) = rest.find(')') {
                rest = &rest[close + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Appends `lines` as `# ` comments.
fn comment(out: &mut String, lines: &[String]) {
    for l in lines {
        if l.is_empty() {
            out.push_str("#\n");
        } else {
            out.push_str("# ");
            out.push_str(l);
            out.push('\n');
        }
    }
}

/// The key path and whether it is an array of tables, for a `[a.b]` or `[[a]]` line.
pub(crate) fn header(line: &str) -> Option<(Vec<String>, bool)> {
    let t = line.trim();
    let (inner, is_array) = if let Some(r) = t.strip_prefix("[[") {
        (r.strip_suffix("]]")?, true)
    } else {
        (t.strip_prefix('[')?.strip_suffix(']')?, false)
    };
    let path = inner
        .split('.')
        .map(|k| unquote(k.trim()).to_string())
        .collect();
    Some((path, is_array))
}

/// The key of a top-level `key = value` line (not an array's continuation or a comment).
pub(crate) fn key_of(line: &str) -> Option<&str> {
    if line.starts_with(char::is_whitespace) || line.starts_with(['#', '[']) {
        return None;
    }
    let (key, _) = line.split_once('=')?;
    Some(unquote(key.trim()))
}

fn unquote(k: &str) -> &str {
    k.strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .unwrap_or(k)
}

/// A table reached from a header: its documentation, schema and data.
struct TableAt<'a> {
    docs: Vec<String>,
    schema: Option<&'a Json>,
    data: Option<&'a Table>,
}

/// Walks `path` from the root; `index` picks the element of a final array of tables (other
/// arrays of tables on the way are entered at their last element, as TOML does).
fn table_at<'a>(
    root: &'a Json,
    data: &'a Table,
    path: &[String],
    index: Option<usize>,
) -> Option<TableAt<'a>> {
    let mut schema = root;
    let mut table = Some(data);
    let mut property_schema = None;
    for (i, key) in path.iter().enumerate() {
        let prop = property(root, schema, key, table)?;
        property_schema = Some(prop);
        let value = table.and_then(|t| t.get(key));
        let target = unwrap_option(root, deref(root, prop));
        let last = i + 1 == path.len();
        (schema, table) = match (value, target.get("items")) {
            (Some(Value::Array(items)), Some(item_schema)) => {
                let element = match (last, index) {
                    (true, Some(k)) => items.get(k),
                    _ => items.last(),
                };
                (
                    unwrap_option(root, deref(root, item_schema)),
                    element.and_then(Value::as_table),
                )
            }
            (value, _) => (target, value.and_then(Value::as_table)),
        };
    }
    let prop = property_schema?;
    let mut docs = docs(prop, None);
    let own = docs_of(schema);
    if !own.is_empty() && own != docs {
        if !docs.is_empty() {
            docs.push(String::new());
        }
        docs.extend(own);
    }
    Some(TableAt {
        docs,
        schema: Some(schema),
        data: table,
    })
}

/// The comment lines of `key` in the table whose schema is `table` and data `data`: the
/// field's documentation (or its type's), then its allowed values when it is an enum. A tag
/// key of an internally tagged enum lists the variants with their documentation.
fn key_docs(root: &Json, table: &Json, key: &str, data: Option<&Table>) -> Vec<String> {
    let Some(prop) = property(root, table, key, data) else {
        return Vec::new();
    };
    let target = unwrap_option(root, deref(root, prop));
    if docs_of(prop).is_empty() && tag_value(prop).is_some() {
        let variants = tag_variants(root, table, key);
        let mut lines = vec![format!("Which variant this table is; one of:")];
        lines.extend(choice_lines(&variants));
        return lines;
    }
    let mut lines = docs(prop, Some(target));
    let choices = allowed_values(root, target);
    if !choices.is_empty() {
        if choices.iter().all(|(_, d)| d.is_empty()) {
            let names: Vec<&str> = choices.iter().map(|(v, _)| v.as_str()).collect();
            lines.push(format!("Allowed values: {}.", names.join(", ")));
        } else {
            lines.push("Allowed values:".to_string());
            lines.extend(choice_lines(&choices));
        }
    }
    lines
}

/// `  "value": documentation` lines for a list of choices.
fn choice_lines(choices: &[(String, String)]) -> Vec<String> {
    choices
        .iter()
        .map(|(v, d)| {
            if d.is_empty() {
                format!("  {v}")
            } else {
                format!("  {v}: {}", d.replace('\n', " "))
            }
        })
        .collect()
}

/// The property `key` of the object schema `schema`, searching `allOf` branches and the
/// `oneOf`/`anyOf` branches that agree with `data` on their tag constants.
fn property<'a>(
    root: &'a Json,
    schema: &'a Json,
    key: &str,
    data: Option<&Table>,
) -> Option<&'a Json> {
    let schema = deref(root, schema);
    if let Some(p) = schema.get("properties").and_then(|p| p.get(key)) {
        return Some(p);
    }
    for combinator in ["allOf", "oneOf", "anyOf"] {
        let Some(branches) = schema.get(combinator).and_then(Json::as_array) else {
            continue;
        };
        for branch in branches {
            if combinator != "allOf" && !agrees(root, branch, data) {
                continue;
            }
            if let Some(p) = property(root, branch, key, data) {
                return Some(p);
            }
        }
    }
    None
}

/// Whether the properties of `branch` that are constants (enum tags) match `data`.
fn agrees(root: &Json, branch: &Json, data: Option<&Table>) -> bool {
    let Some(data) = data else {
        return true;
    };
    let Some(props) = deref(root, branch)
        .get("properties")
        .and_then(Json::as_object)
    else {
        return true;
    };
    props.iter().all(|(k, p)| match tag_value(p) {
        Some(tag) => data
            .get(k)
            .and_then(|v| serde_json::to_value(v).ok())
            .is_some_and(|v| &v == tag),
        None => true,
    })
}

/// The constant of a `{"const": v}` or `{"enum": [v]}` schema.
fn tag_value(schema: &Json) -> Option<&Json> {
    schema.get("const").or_else(|| {
        schema
            .get("enum")
            .and_then(Json::as_array)
            .filter(|e| e.len() == 1)
            .and_then(|e| e.first())
    })
}

/// The tag values of `key` across the `oneOf`/`anyOf` variants of `table`, each with the
/// variant's documentation.
fn tag_variants(root: &Json, table: &Json, key: &str) -> Vec<(String, String)> {
    let table = deref(root, table);
    let mut out = Vec::new();
    for combinator in ["oneOf", "anyOf"] {
        for branch in table
            .get(combinator)
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let branch = deref(root, branch);
            if let Some(tag) = branch
                .get("properties")
                .and_then(|p| p.get(key))
                .and_then(tag_value)
            {
                out.push((tag.to_string(), docs_of(branch).join(" ")));
            }
        }
    }
    out
}

/// The values an enum schema allows (`enum`, or `oneOf`/`anyOf` of constants), each with its
/// documentation; empty for a schema that is not an enum of constants.
fn allowed_values(root: &Json, schema: &Json) -> Vec<(String, String)> {
    let schema = deref(root, schema);
    if let Some(values) = schema.get("enum").and_then(Json::as_array) {
        return values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| (v.to_string(), String::new()))
            .collect();
    }
    for combinator in ["oneOf", "anyOf"] {
        if let Some(branches) = schema.get(combinator).and_then(Json::as_array) {
            let mut out = Vec::new();
            for b in branches {
                let b = deref(root, b);
                if is_null(b) {
                    continue;
                }
                if let Some(c) = tag_value(b) {
                    out.push((c.to_string(), docs_of(b).join(" ")));
                } else if let Some(values) = b.get("enum").and_then(Json::as_array) {
                    out.extend(values.iter().map(|v| (v.to_string(), docs_of(b).join(" "))));
                } else {
                    return Vec::new();
                }
            }
            return out;
        }
    }
    Vec::new()
}

/// Follows `$ref` (`#/$defs/Name`) to the schema it names.
fn deref<'a>(root: &'a Json, schema: &'a Json) -> &'a Json {
    let mut s = schema;
    for _ in 0..16 {
        let Some(r) = s.get("$ref").and_then(Json::as_str) else {
            break;
        };
        match r.strip_prefix('#').and_then(|p| root.pointer(p)) {
            Some(t) => s = t,
            None => break,
        }
    }
    s
}

/// The non-null branch of an `Option`'s `anyOf`/`oneOf [T, null]`, else `schema`.
fn unwrap_option<'a>(root: &'a Json, schema: &'a Json) -> &'a Json {
    for combinator in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(combinator).and_then(Json::as_array) {
            let non_null: Vec<&Json> = branches.iter().filter(|b| !is_null(b)).collect();
            if non_null.len() == 1 && branches.len() == 2 {
                return deref(root, non_null[0]);
            }
        }
    }
    schema
}

fn is_null(schema: &Json) -> bool {
    schema.get("type").and_then(Json::as_str) == Some("null")
}

/// `schema`'s title and description as lines; when it has none, those of `fallback`.
fn docs(schema: &Json, fallback: Option<&Json>) -> Vec<String> {
    let own = docs_of(schema);
    match fallback {
        Some(f) if own.is_empty() => docs_of(f),
        _ => own,
    }
}

/// The title and description of one schema, as lines (a blank line between them).
fn docs_of(schema: &Json) -> Vec<String> {
    let mut lines = Vec::new();
    for field in ["title", "description"] {
        if let Some(text) = schema.get(field).and_then(Json::as_str) {
            if !lines.is_empty() {
                lines.push(String::new());
            }
            lines.extend(
                strip_doc_links(text)
                    .lines()
                    .map(|l| l.trim_end().to_string()),
            );
        }
    }
    lines
}
