//! JSON documents to BSON and back. Fields a collection lists as dates are
//! BSON dates in MongoDB and RFC 3339 strings everywhere else.

use chrono::{DateTime, SecondsFormat, Utc};
use herald_application::ports::read_store::{Condition, Document, ReadStoreError};
use mongodb::bson::{doc, Bson, DateTime as BsonDateTime, Document as BsonDocument};
use serde_json::{Number, Value};

pub(super) fn to_bson_document(
    document: &Document,
    date_fields: &[&str],
) -> Result<BsonDocument, ReadStoreError> {
    let mut converted: BsonDocument = document
        .iter()
        .map(|(k, v)| (k.clone(), to_bson(v)))
        .collect();
    for path in date_fields {
        convert_date_at(&mut converted, path);
    }
    Ok(converted)
}

pub(super) fn from_bson_document(document: BsonDocument) -> Document {
    document
        .into_iter()
        .map(|(k, v)| (k, from_bson(v)))
        .collect()
}

/// The MongoDB filter for conditions that must all hold.
pub(super) fn filter_document(
    conditions: &[Condition],
    date_fields: &[&str],
) -> Result<BsonDocument, ReadStoreError> {
    let clauses: Vec<Bson> = conditions
        .iter()
        .map(|condition| Bson::Document(clause(condition, date_fields)))
        .collect();
    Ok(if clauses.is_empty() {
        BsonDocument::new()
    } else {
        doc! { "$and": clauses }
    })
}

/// One condition as a filter.
fn clause(condition: &Condition, date_fields: &[&str]) -> BsonDocument {
    let value = |field: &str, value: &Value| {
        let bson = to_bson(value);
        if date_fields.contains(&field) {
            as_date(&bson).unwrap_or(bson)
        } else {
            bson
        }
    };
    match condition {
        Condition::Equals(field, v) => doc! { *field: value(field, v) },
        Condition::AtLeast(field, v) => doc! { *field: { "$gte": value(field, v) } },
        Condition::Below(field, v) => doc! { *field: { "$lt": value(field, v) } },
        Condition::Above(field, v) => doc! { *field: { "$gt": value(field, v) } },
        Condition::OneOf(field, vs) => {
            doc! { *field: { "$in": vs.iter().map(|v| value(field, v)).collect::<Vec<_>>() } }
        }
        // `$or` of no alternatives is refused by the server: match nothing.
        Condition::AnyOf(groups) if groups.is_empty() => doc! { "_id": { "$in": [] } },
        Condition::AnyOf(groups) => {
            let alternatives: Vec<Bson> = groups
                .iter()
                .map(|group| {
                    let all: Vec<Bson> = group
                        .iter()
                        .map(|c| Bson::Document(clause(c, date_fields)))
                        .collect();
                    Bson::Document(if all.is_empty() {
                        BsonDocument::new()
                    } else {
                        doc! { "$and": all }
                    })
                })
                .collect();
            doc! { "$or": alternatives }
        }
    }
}

fn to_bson(value: &Value) -> Bson {
    match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Bson::Int64(i),
            None => Bson::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Bson::String(s.clone()),
        Value::Array(items) => Bson::Array(items.iter().map(to_bson).collect()),
        Value::Object(map) => {
            Bson::Document(map.iter().map(|(k, v)| (k.clone(), to_bson(v))).collect())
        }
    }
}

fn from_bson(value: Bson) -> Value {
    match value {
        Bson::Null | Bson::Undefined => Value::Null,
        Bson::Boolean(b) => Value::Bool(b),
        Bson::Int32(i) => Value::from(i),
        Bson::Int64(i) => Value::from(i),
        Bson::Double(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
        Bson::String(s) => Value::String(s),
        Bson::Array(items) => Value::Array(items.into_iter().map(from_bson).collect()),
        Bson::Document(document) => Value::Object(from_bson_document(document)),
        Bson::DateTime(time) => {
            let utc: DateTime<Utc> =
                DateTime::from_timestamp_millis(time.timestamp_millis()).unwrap_or_default();
            Value::String(utc.to_rfc3339_opts(SecondsFormat::Millis, true))
        }
        Bson::ObjectId(id) => Value::String(id.to_hex()),
        other => Value::String(other.to_string()),
    }
}

fn as_date(value: &Bson) -> Option<Bson> {
    let Bson::String(text) = value else {
        return None;
    };
    let time = DateTime::parse_from_rfc3339(text).ok()?;
    Some(Bson::DateTime(BsonDateTime::from_millis(
        time.timestamp_millis(),
    )))
}

/// Turns the string at a dotted path into a date, where there is one.
fn convert_date_at(document: &mut BsonDocument, path: &str) {
    match path.split_once('.') {
        Some((head, rest)) => {
            if let Some(Bson::Document(inner)) = document.get_mut(head) {
                convert_date_at(inner, rest);
            }
        }
        None => {
            if let Some(date) = document.get(path).and_then(as_date) {
                document.insert(path, date);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn date_fields_become_bson_dates_and_read_back_as_the_same_text() {
        let document = json!({ "createdAt": "2026-11-21T12:00:00.000Z", "schedule": { "startTime": "2026-12-01T09:00:00.000Z" }, "name": "2026-01-01T00:00:00.000Z" });
        let document = document.as_object().cloned().unwrap_or_default();
        let bson = to_bson_document(&document, &["createdAt", "schedule.startTime"]).unwrap();
        assert!(matches!(bson.get("createdAt"), Some(Bson::DateTime(_))));
        assert!(matches!(
            bson.get_document("schedule").unwrap().get("startTime"),
            Some(Bson::DateTime(_))
        ));
        assert!(matches!(bson.get("name"), Some(Bson::String(_))));
        assert_eq!(from_bson_document(bson), document);
    }

    #[test]
    fn conditions_on_date_fields_compare_dates() {
        let filter = filter_document(
            &[Condition::AtLeast(
                "createdAt",
                json!("2026-11-21T12:00:00.000Z"),
            )],
            &["createdAt"],
        )
        .unwrap();
        let clause = filter.get_array("$and").unwrap()[0].as_document().unwrap();
        assert!(matches!(
            clause.get_document("createdAt").unwrap().get("$gte"),
            Some(Bson::DateTime(_))
        ));
    }
}
