//! Finding documents: conditions and sorting as SQL over JSON fields.

use herald_application::ports::read_store::{
    Condition, Document, FindQuery, Generation, Page, ReadStoreError,
};
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde_json::Value;

use super::schema::{direction, field_expression, table};

/// A statement and its parameters. Limits and offsets are parameters too,
/// so that each shape of query is prepared once and cached.
pub(super) struct Statement {
    pub(super) sql: String,
    parameters: Vec<SqlValue>,
}

pub(super) fn find(db: &Connection, query: &FindQuery) -> Result<Page, ReadStoreError> {
    let page = page_statement(query)?;
    let mut statement = db.prepare_cached(&page.sql).map_err(ReadStoreError::new)?;
    let rows = statement
        .query_map(rusqlite::params_from_iter(page.parameters.iter()), |row| {
            row.get::<_, String>(0)
        })
        .map_err(ReadStoreError::new)?;
    let mut documents = Vec::new();
    for row in rows {
        let text = row.map_err(ReadStoreError::new)?;
        documents.push(serde_json::from_str::<Document>(&text).map_err(ReadStoreError::new)?);
    }
    let count = count_statement(query)?;
    let total: i64 = db
        .prepare_cached(&count.sql)
        .and_then(|mut s| {
            s.query_row(rusqlite::params_from_iter(count.parameters.iter()), |row| {
                row.get(0)
            })
        })
        .map_err(ReadStoreError::new)?;
    Ok(Page::found(
        documents,
        u64::try_from(total).unwrap_or(0),
        query,
    ))
}

/// How SQLite runs the query's page and its count: each step's detail, as
/// `EXPLAIN QUERY PLAN` gives it (`SEARCH t USING INDEX …`, `SCAN t`, `USE
/// TEMP B-TREE FOR ORDER BY`).
pub(super) fn plan(db: &Connection, query: &FindQuery) -> Result<Vec<String>, ReadStoreError> {
    let mut details = Vec::new();
    for statement in [page_statement(query)?, count_statement(query)?] {
        let mut explain = db
            .prepare(&format!("EXPLAIN QUERY PLAN {}", statement.sql))
            .map_err(ReadStoreError::new)?;
        let rows = explain
            .query_map(
                rusqlite::params_from_iter(statement.parameters.iter()),
                |row| row.get::<_, String>(3),
            )
            .map_err(ReadStoreError::new)?;
        for row in rows {
            details.push(row.map_err(ReadStoreError::new)?);
        }
    }
    Ok(details)
}

pub(super) fn page_statement(query: &FindQuery) -> Result<Statement, ReadStoreError> {
    let table = table(query.collection, Generation::Live);
    let on_page: Vec<Condition> = query
        .conditions
        .iter()
        .chain(&query.page_conditions)
        .cloned()
        .collect();
    let (filter, mut parameters) = where_clause(&on_page)?;
    let mut order = Vec::new();
    for (field, sort) in &query.sort {
        order.push(format!("{} {}", field_expression(field)?, direction(*sort)));
    }
    let order = if order.is_empty() {
        String::new()
    } else {
        format!(" ORDER BY {}", order.join(", "))
    };
    let limit = query
        .limit
        .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let offset = i64::try_from(query.skip).unwrap_or(i64::MAX);
    parameters.extend([SqlValue::Integer(limit), SqlValue::Integer(offset)]);
    let (limit_at, offset_at) = (parameters.len() - 1, parameters.len());
    Ok(Statement {
        sql: format!(
            "SELECT json(doc) FROM {table}{filter}{order} LIMIT ?{limit_at} OFFSET ?{offset_at}"
        ),
        parameters,
    })
}

/// The documents meeting the query's conditions (not its page's), counted
/// up to its count limit: a capped count reads no further than the cap.
fn count_statement(query: &FindQuery) -> Result<Statement, ReadStoreError> {
    let table = table(query.collection, Generation::Live);
    let (filter, mut parameters) = where_clause(&query.conditions)?;
    let sql = match query.count_limit {
        None => format!("SELECT COUNT(*) FROM {table}{filter}"),
        Some(limit) => {
            parameters.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
            let limit_at = parameters.len();
            format!("SELECT COUNT(*) FROM (SELECT 1 FROM {table}{filter} LIMIT ?{limit_at})")
        }
    };
    Ok(Statement { sql, parameters })
}

/// ` WHERE ...` with its parameters, or nothing for no conditions.
pub(super) fn where_clause(
    conditions: &[Condition],
) -> Result<(String, Vec<SqlValue>), ReadStoreError> {
    let mut clauses = Vec::new();
    let mut parameters = Vec::new();
    for condition in conditions {
        clauses.push(condition_sql(condition, &mut parameters)?);
    }
    if clauses.is_empty() {
        return Ok((String::new(), parameters));
    }
    Ok((format!(" WHERE {}", clauses.join(" AND ")), parameters))
}

fn condition_sql(
    condition: &Condition,
    parameters: &mut Vec<SqlValue>,
) -> Result<String, ReadStoreError> {
    let mut bind = |value: &Value| -> Result<String, ReadStoreError> {
        parameters.push(sql_value(value)?);
        Ok(format!("?{}", parameters.len()))
    };
    Ok(match condition {
        Condition::Equals(field, Value::Null) => format!("{} IS NULL", field_expression(field)?),
        Condition::Equals(field, value) => {
            format!("{} = {}", field_expression(field)?, bind(value)?)
        }
        Condition::AtLeast(field, value) => {
            format!("{} >= {}", field_expression(field)?, bind(value)?)
        }
        Condition::Below(field, value) => {
            format!("{} < {}", field_expression(field)?, bind(value)?)
        }
        Condition::Above(field, value) => {
            format!("{} > {}", field_expression(field)?, bind(value)?)
        }
        Condition::AnyOf(groups) if groups.is_empty() => "0".to_owned(),
        Condition::AnyOf(groups) => {
            let mut alternatives = Vec::new();
            for group in groups {
                let mut all = Vec::new();
                for condition in group {
                    all.push(condition_sql(condition, parameters)?);
                }
                alternatives.push(if all.is_empty() {
                    "1".to_owned()
                } else {
                    format!("({})", all.join(" AND "))
                });
            }
            format!("({})", alternatives.join(" OR "))
        }
        Condition::OneOf(field, values) if values.is_empty() => {
            format!("{} IS NULL AND 0", field_expression(field)?)
        }
        Condition::OneOf(field, values) => {
            let placeholders = values
                .iter()
                .map(&mut bind)
                .collect::<Result<Vec<_>, _>>()?;
            format!(
                "{} IN ({})",
                field_expression(field)?,
                placeholders.join(", ")
            )
        }
    })
}

/// A JSON scalar as `json_extract` returns it: booleans are integers.
fn sql_value(value: &Value) -> Result<SqlValue, ReadStoreError> {
    Ok(match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        Value::Array(_) | Value::Object(_) => {
            return Err(ReadStoreError("conditions compare scalars only".into()))
        }
    })
}
