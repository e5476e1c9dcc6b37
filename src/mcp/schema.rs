//! A small check of tool arguments against their `inputSchema`: required properties, and the
//! JSON type and `enum` of each declared property. Enough to give the model a clear message;
//! handlers still treat their arguments as untrusted.

use serde_json::Value;

fn type_matches(expected: &str, value: &Value) -> bool {
    match expected {
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// `Err` with a readable reason when `args` break `schema`.
pub fn check(schema: &Value, args: &Value) -> Result<(), String> {
    for name in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if args.get(name).is_none() {
            return Err(format!("missing required argument '{name}'"));
        }
    }
    let Some(props) = schema["properties"].as_object() else {
        return Ok(());
    };
    for (name, value) in args.as_object().into_iter().flatten() {
        let Some(prop) = props.get(name) else {
            if schema["additionalProperties"] == false {
                return Err(format!("unexpected argument '{name}'"));
            }
            continue;
        };
        let ok = match &prop["type"] {
            Value::String(t) => type_matches(t, value),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .any(|t| type_matches(t, value)),
            _ => true,
        };
        if !ok {
            return Err(format!(
                "argument '{name}' must be of type {}",
                prop["type"]
            ));
        }
        if let Some(allowed) = prop["enum"].as_array() {
            if !allowed.contains(value) {
                return Err(format!("argument '{name}' must be one of {}", prop["enum"]));
            }
        }
    }
    Ok(())
}
