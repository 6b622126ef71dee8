//! A JSON object read with its entries in order and duplicates kept, so that a name given
//! twice can be reported instead of the last one silently winning (as in `serde_json::Value`).
//! Used by the init and Stan data readers.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// Why the text is not an object of entries.
#[derive(Debug)]
pub enum ObjectError {
    /// Not valid JSON (serde_json's message, with line and column).
    Syntax(serde_json::Error),
    /// Valid JSON, but not an object at the top.
    NotAnObject,
}

struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut v = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    v.push(entry);
                }
                Ok(Entries(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// The entries of the JSON object `text`, in order, duplicates kept.
///
/// ```
/// use flowpost::io::json_object::{ObjectError, entries};
/// let e = entries(r#"{"a": 1, "b": [2], "a": 3}"#).unwrap();
/// assert_eq!(e.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["a", "b", "a"]);
/// assert!(matches!(entries("[1]"), Err(ObjectError::NotAnObject)));
/// assert!(matches!(entries("{\"a\": "), Err(ObjectError::Syntax(_))));
/// ```
pub fn entries(text: &str) -> Result<Vec<(String, Value)>, ObjectError> {
    match serde_json::from_str::<Entries>(text) {
        Ok(e) => Ok(e.0),
        Err(e) if e.is_data() && serde_json::from_str::<Value>(text).is_ok() => {
            Err(ObjectError::NotAnObject)
        }
        Err(e) => Err(ObjectError::Syntax(e)),
    }
}
