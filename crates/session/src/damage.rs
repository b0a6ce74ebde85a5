//! Reading a damaged session document: a value that cannot be read at all (a string where a level
//! belongs, a number too large for its field, an item missing what it must have) costs only
//! itself. The reader finds where it is ([`serde_path_to_error`]), drops it — a setting goes back
//! to its default, an item (a track, a clip, a send) is left out — says so, and reads again.
//!
//! Values that read but lie beyond the limits are the checks' to mend (`check`); this is the layer
//! below, for what is not even of the right kind.

use serde_json::Value;

/// A step of a path into the document: an item of a list, or a key of an object. (An enum's
/// variant is no step: Mixroom's enums are tagged inside their object.)
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Item(usize),
    Key(String),
}

use crate::{Session, SessionError};

/// The most values dropped from one document: far more than a damaged session has, and a bound on
/// the work a hostile one can cause (each attempt reads the document once, and at most one strip's
/// object eight times).
const MOST_DROPS: usize = 64;

/// Where reading `value` as a `T` fails, and why; `None` when it reads.
fn failure<T: serde::de::DeserializeOwned>(value: &Value) -> Option<(Vec<Step>, String)> {
    use serde_path_to_error::Segment;
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(_) => None,
        Err(e) => {
            let path = e
                .path()
                .iter()
                .filter_map(|s| match s {
                    Segment::Seq { index } => Some(Step::Item(*index)),
                    Segment::Map { key } => Some(Step::Key(key.clone())),
                    Segment::Enum { .. } | Segment::Unknown => None,
                })
                .collect();
            Some((path, e.into_inner().to_string()))
        }
    }
}

/// Reads a session of the current format from `value`, dropping what cannot be read.
pub(crate) fn deserialize(mut value: Value, repairs: &mut Vec<String>) -> Result<Session, SessionError> {
    let mut last_dropped: Option<Vec<Step>> = None;
    for _ in 0..=MOST_DROPS {
        let Some((mut path, why)) = failure::<Session>(&value) else {
            return serde_json::from_value(value).map_err(|e| SessionError::Malformed(e.to_string()));
        };
        let missing = why.starts_with("missing field");
        // Inside a strip's flattened settings serde points at the track, bus or master, even for a
        // field missing deep inside (a point without its frame): read alone, the strip names it.
        if let Some(inner) = culprit(&value, &path, missing) {
            path.extend(inner);
        }
        // Named before it goes (by the names of the items on its way, where they have one).
        let what = describe(&value, &path);
        if path.is_empty() || !drop_at(&mut value, &path) {
            return Err(SessionError::Malformed(why));
        }
        // An item that lacks a field because it was just dropped: one message for the two.
        if missing && last_dropped.as_ref().is_some_and(|d| d.len() == path.len() + 1 && d.starts_with(&path)) {
            repairs.pop();
        }
        let item = matches!(path.last(), Some(Step::Item(_)));
        repairs.push(if item { format!("{what} could not be read: it was left out") } else { format!("{what} could not be read: it is back to its default") });
        last_dropped = Some(path);
    }
    Err(SessionError::Malformed(format!("more than {MOST_DROPS} of its values cannot be read")))
}

/// Tracks, buses, returns and the master carry their strip's settings in their own object (serde's
/// `flatten`), and serde reports a bad setting at the object. Read as a strip alone, the object
/// names the bad one itself (a strip ignores the keys it does not have); failing that, the bad one
/// is among the few fields of the object's own. The path within the object, or `None`.
fn culprit(value: &Value, path: &[Step], missing: bool) -> Option<Vec<Step>> {
    let list = match path {
        [Step::Key(k), Step::Item(_)] => k.as_str(),
        [Step::Key(k)] if k == "master" => "master",
        _ => return None,
    };
    let node = node_at(value, path)?;
    if let Some((inner, _)) = failure::<crate::Strip>(node) {
        if !inner.is_empty() {
            return Some(inner);
        }
    }
    if missing {
        // A field of the object's own is missing (a track without its source): the object goes.
        return None;
    }
    let why: fn(&Value) -> Option<String> = match list {
        "tracks" => |v| failure::<crate::Track>(v).map(|(_, why)| why),
        "buses" | "returns" => |v| failure::<crate::Bus>(v).map(|(_, why)| why),
        _ => return None,
    };
    let before = why(node)?;
    ["id", "name", "source", "clips", "colour", "folder", "collapsed"].into_iter().find_map(|key| {
        let mut trial = node.clone();
        trial.as_object_mut()?.remove(key)?;
        why(&trial).is_none_or(|now| now != before).then(|| vec![Step::Key(key.to_owned())])
    })
}

fn node_at<'a>(value: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, step| match step {
        Step::Item(index) => node.as_array()?.get(*index),
        Step::Key(key) => node.as_object()?.get(key),
    })
}

/// Removes the node at `path`; false when there is none to remove.
fn drop_at(value: &mut Value, path: &[Step]) -> bool {
    let Some((last, parents)) = path.split_last() else { return false };
    let mut node = value;
    for step in parents {
        let next = match step {
            Step::Item(index) => node.as_array_mut().and_then(|a| a.get_mut(*index)),
            Step::Key(key) => node.as_object_mut().and_then(|o| o.get_mut(key)),
        };
        match next {
            Some(n) => node = n,
            None => return false,
        }
    }
    match (last, node) {
        (Step::Item(index), Value::Array(a)) if *index < a.len() => {
            a.remove(*index);
            true
        }
        (Step::Key(key), Value::Object(o)) => o.remove(key).is_some(),
        _ => false,
    }
}

/// A path as a person reads it: "track “Bass” › “pan”", "track “Kick” › clip 1".
fn describe(value: &Value, path: &[Step]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut list: Option<&str> = None;
    for (n, step) in path.iter().enumerate() {
        match step {
            Step::Key(key) => {
                list = match key.as_str() {
                    "tracks" => Some("track"),
                    "buses" => Some("bus"),
                    "returns" => Some("return"),
                    "markers" => Some("marker"),
                    "references" => Some("reference"),
                    "alternates" => Some("alternate version"),
                    "clips" => Some("clip"),
                    "inserts" => Some("insert"),
                    "sends" => Some("send"),
                    "automation" => Some("automation lane"),
                    "points" => Some("point"),
                    _ => {
                        parts.push(format!("“{}”", key.chars().take(40).collect::<String>()));
                        None
                    }
                };
                if key == "master" {
                    parts.pop();
                    parts.push("the master".into());
                }
            }
            Step::Item(index) => {
                let named = node_at(value, &path[..=n]).and_then(|item| item.get("name")).and_then(Value::as_str).filter(|name| !name.is_empty());
                parts.push(match named {
                    Some(name) => format!("{} “{}”", list.unwrap_or("item"), name.chars().take(40).collect::<String>()),
                    None => format!("{} {}", list.unwrap_or("item"), index + 1),
                });
                list = None;
            }
        }
    }
    if parts.is_empty() {
        "a value".into()
    } else {
        parts.join(" › ")
    }
}
