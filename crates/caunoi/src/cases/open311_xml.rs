//! The one document shape behind both Open311 formats: a small tree ([`Node`]) that renders as
//! JSON (the "Spark" mapping GeoReport v2 uses) and as XML, so the two formats cannot drift
//! apart. XML is written by hand (no XML crate is a dependency): element names come only from
//! this code, and every text is escaped and stripped of what XML 1.0 cannot carry.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

/// A value of an Open311 document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// An empty element in XML, `null` in JSON.
    Null,
    /// Named fields, in order: an element with children in XML, an object in JSON.
    Object(Vec<(&'static str, Node)>),
    /// A list whose items are `<item>` elements in XML, an array in JSON.
    List(&'static str, Vec<Node>),
}

impl Node {
    pub fn text(s: impl Into<String>) -> Node {
        Node::Text(s.into())
    }

    /// Text, or null when absent.
    pub fn opt(s: Option<impl Into<String>>) -> Node {
        s.map(|s| Node::Text(s.into())).unwrap_or(Node::Null)
    }

    /// The document as JSON, fields in the order they were written.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "null".into())
    }

    /// The document as XML with `root` as its root element.
    pub fn to_xml(&self, root: &'static str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write_xml(root, &mut out);
        out.push('\n');
        out
    }

    fn write_xml(&self, tag: &str, out: &mut String) {
        match self {
            Node::Null => {
                out.push('<');
                out.push_str(tag);
                out.push_str("/>");
            }
            Node::Text(s) => leaf(tag, &escape(s), out),
            Node::Int(i) => leaf(tag, &i.to_string(), out),
            Node::Float(f) => leaf(tag, &f.to_string(), out),
            Node::Bool(b) => leaf(tag, if *b { "true" } else { "false" }, out),
            Node::Object(fields) => {
                open(tag, out);
                for (k, v) in fields {
                    v.write_xml(k, out);
                }
                close(tag, out);
            }
            Node::List(item, items) => {
                open(tag, out);
                for v in items {
                    v.write_xml(item, out);
                }
                close(tag, out);
            }
        }
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Text(t) => s.serialize_str(t),
            Node::Int(i) => s.serialize_i64(*i),
            Node::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Node::Float(_) | Node::Null => s.serialize_none(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::List(_, items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
        }
    }
}

fn open(tag: &str, out: &mut String) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
}

fn close(tag: &str, out: &mut String) {
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn leaf(tag: &str, escaped: &str, out: &mut String) {
    open(tag, out);
    out.push_str(escaped);
    close(tag, out);
}

/// Whether XML 1.0 may carry `c` at all (its `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Text content escaped for XML: markup characters as entities, characters XML 1.0 cannot carry
/// (most control characters, U+FFFE/U+FFFF) dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_and_control_characters_are_dropped() {
        assert_eq!(escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
        assert_eq!(escape("a\u{0}b\u{7}c\u{1b}d\u{FFFE}e"), "abcde");
        assert_eq!(escape("dòng 1\ndòng 2\tkết thúc"), "dòng 1\ndòng 2\tkết thúc");
        assert_eq!(escape("]]><!--"), "]]&gt;&lt;!--");
    }

    #[test]
    fn one_tree_renders_as_json_and_as_xml() {
        let doc = Node::List(
            "request",
            vec![Node::Object(vec![
                ("service_request_id", Node::text("TB-0000-0001")),
                ("lat", Node::Float(20.5)),
                ("address", Node::Null),
                ("notes", Node::List("note", vec![Node::text("a<b")])),
            ])],
        );
        assert_eq!(
            doc.to_json(),
            r#"[{"service_request_id":"TB-0000-0001","lat":20.5,"address":null,"notes":["a<b"]}]"#
        );
        assert_eq!(
            doc.to_xml("service_requests"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<service_requests><request><service_request_id>TB-0000-0001\
             </service_request_id><lat>20.5</lat><address/><notes><note>a&lt;b</note></notes></request>\
             </service_requests>\n"
        );
    }
}
