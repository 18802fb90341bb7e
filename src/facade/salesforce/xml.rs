//! XML request bodies (`Content-Type: application/xml`), turned into the
//! same JSON shape the JSON bodies have, so one reader handles both.
//!
//! The shape: any root element; each child element is a field named as in
//! the JSON body; an element with child elements is an object; a repeated
//! element is a list (`<participants>…</participants><participants>…`);
//! element text is the value (numbers and booleans as text). Attributes,
//! comments and processing instructions are ignored; DOCTYPEs (and so
//! custom entities) are refused.
//!
//! ```xml
//! <VoiceCall>
//!   <callCenterApiName>ACME_CC</callCenterApiName>
//!   <vendorCallKey>ct-1</vendorCallKey>
//!   <participants><participantKey>+14155550148</participantKey><type>END_USER</type></participants>
//! </VoiceCall>
//! ```

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use serde_json::{Map, Value};

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 16;

struct Frame {
    name: String,
    children: Map<String, Value>,
    text: String,
}

fn insert(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        None => {
            map.insert(name, value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// The JSON form of an XML document; an error says what is malformed.
pub fn to_json(body: &str) -> Result<Map<String, Value>, String> {
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Map<String, Value>> = None;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err("content after the root element".to_owned());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH}"));
                }
                stack.push(Frame {
                    name: e.local_name().into_inner().to_owned(),
                    children: Map::new(),
                    text: String::new(),
                });
            }
            Event::Empty(e) => {
                let name = e.local_name().into_inner().to_owned();
                match stack.last_mut() {
                    Some(parent) => insert(&mut parent.children, name, Value::String(String::new())),
                    None if root.is_none() => root = Some(Map::new()),
                    None => return Err("content after the root element".to_owned()),
                }
            }
            Event::End(_) => {
                let frame = stack.pop().ok_or("unexpected closing tag")?;
                match stack.last_mut() {
                    Some(parent) => {
                        let value = if frame.children.is_empty() {
                            Value::String(frame.text)
                        } else {
                            Value::Object(frame.children)
                        };
                        insert(&mut parent.children, frame.name, value);
                    }
                    None => root = Some(frame.children),
                }
            }
            Event::Text(t) => match stack.last_mut() {
                Some(frame) => frame.text.push_str(&t.xml10_content()),
                None if t.trim().is_empty() => {}
                None => return Err("text outside the root element".to_owned()),
            },
            Event::CData(t) => match stack.last_mut() {
                Some(frame) => frame.text.push_str(&t),
                None => return Err("CDATA outside the root element".to_owned()),
            },
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| e.to_string())?
                } else {
                    resolve_predefined_entity(&r).and_then(|s| s.chars().next())
                };
                let c = resolved.ok_or_else(|| format!("unknown entity &{};", &*r))?;
                if let Some(frame) = stack.last_mut() {
                    frame.text.push(c);
                }
            }
            Event::DocType(_) => return Err("DOCTYPE declarations are not accepted".to_owned()),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("unclosed element".to_owned());
    }
    root.ok_or_else(|| "no root element".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_become_fields_and_repeats_become_lists() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
            <VoiceCall>
              <vendorCallKey>a &amp; b&#33;</vendorCallKey>
              <participants><participantKey>+1</participantKey><type>END_USER</type></participants>
              <participants><participantKey>+2</participantKey><type>HUMAN_AGENT</type></participants>
              <callAttributes><![CDATA[{"SourceType":"Sales"}]]></callAttributes>
              <queue/>
            </VoiceCall>"#;
        let json = to_json(xml).unwrap();
        assert_eq!(
            Value::Object(json),
            serde_json::json!({
                "vendorCallKey": "a & b!",
                "participants": [
                    {"participantKey": "+1", "type": "END_USER"},
                    {"participantKey": "+2", "type": "HUMAN_AGENT"}
                ],
                "callAttributes": "{\"SourceType\":\"Sales\"}",
                "queue": ""
            })
        );
    }

    #[test]
    fn malformed_documents_are_refused() {
        for bad in [
            "",
            "<a><b></a>",
            "<a></a><b></b>",
            "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "<a>&nope;</a>",
            "text",
        ] {
            assert!(to_json(bad).is_err(), "{bad}");
        }
    }
}

/// Properties of the XML reader: never panics, refuses what is not a
/// document, and reads back what a writer of the documented shape wrote.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use quick_xml::escape::escape;

    use super::*;

    fn name() -> impl Strategy<Value = String> {
        "[a-zA-Z][a-zA-Z0-9_]{0,6}"
    }

    /// A value the documented shape can carry: text, a non-empty object,
    /// or (as an object's field) a list of at least two items.
    fn field_value() -> impl Strategy<Value = Value> {
        let text = "\\PC{0,20}".prop_map(Value::String);
        text.prop_recursive(3, 20, 4, |inner| {
            let object = || {
                proptest::collection::btree_map(name(), inner.clone(), 1..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect()))
            };
            let item = prop_oneof![
                inner.clone().prop_filter("no nested lists", |v| !v.is_array()),
                object()
            ];
            prop_oneof![
                object(),
                proptest::collection::vec(item, 2..4).prop_map(Value::Array)
            ]
        })
    }

    fn render(name: &str, value: &Value, out: &mut String) {
        match value {
            Value::Array(items) => items.iter().for_each(|item| render(name, item, out)),
            Value::Object(fields) => {
                out.push_str(&format!("<{name}>"));
                for (key, value) in fields {
                    render(key, value, out);
                }
                out.push_str(&format!("</{name}>"));
            }
            Value::String(text) => out.push_str(&format!("<{name}>{}</{name}>", escape(text.as_str()))),
            other => unreachable!("not generated: {other}"),
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "(?s)\\PC{0,200}") {
            let _ = to_json(&text);
        }

        #[test]
        fn tag_soup_never_panics(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "<a>", "</a>", "<b>", "</b>", "<a/>", "x", "&amp;", "&#33;", "&#xD800;", "&#0;", "&bogus;", "<![CDATA[", "]]>",
                "<!DOCTYPE a>", "<?xml version=\"1.0\"?>", "<!-- c -->", "<", ">", "&", "<a b=\"c\">", "<ns:a>", "</ns:a>",
            ]),
            0..40,
        )) {
            let _ = to_json(&parts.concat());
        }

        #[test]
        fn documents_of_the_documented_shape_read_back(
            fields in proptest::collection::btree_map(name(), field_value(), 0..6),
            declaration in any::<bool>(),
        ) {
            let mut xml = String::new();
            if declaration {
                xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            }
            let root: Map<String, Value> = fields.into_iter().collect();
            render("VoiceCall", &Value::Object(root.clone()), &mut xml);
            prop_assert_eq!(to_json(&xml), Ok(root), "{}", xml);
        }

        #[test]
        fn nesting_beyond_the_limit_is_refused(depth in (MAX_DEPTH + 1)..(MAX_DEPTH * 4)) {
            let xml = format!("{}x{}", "<a>".repeat(depth), "</a>".repeat(depth));
            prop_assert!(to_json(&xml).is_err());
        }
    }
}
