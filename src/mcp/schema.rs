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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_json_type_matches_only_its_own_values() {
        let values = [
            ("string", json!("s")),
            ("number", json!(1.5)),
            ("integer", json!(-3)),
            ("boolean", json!(false)),
            ("object", json!({})),
            ("array", json!([])),
            ("null", json!(null)),
        ];
        for (expected, _) in &values {
            for (kind, value) in &values {
                let integer_as_number = *expected == "number" && *kind == "integer";
                assert_eq!(
                    type_matches(expected, value),
                    expected == kind || integer_as_number,
                    "{expected} against {value}"
                );
            }
        }
        assert!(type_matches("integer", &json!(u64::MAX)));
        assert!(
            type_matches("whatever", &json!(1)),
            "an unknown type allows anything"
        );
    }

    #[test]
    fn a_missing_required_argument_is_named() {
        let schema = json!({ "type": "object", "required": ["a", "b"], "properties": {
            "a": { "type": "string" }, "b": { "type": "string" },
        }});
        assert_eq!(
            check(&schema, &json!({ "a": "x" })),
            Err("missing required argument 'b'".into())
        );
        assert!(check(&schema, &json!({})).is_err());
        assert!(check(&schema, &json!(null)).is_err(), "no arguments at all");
        assert!(check(&schema, &json!({ "a": "x", "b": "y" })).is_ok());
        let without_properties = json!({ "required": ["a"] });
        assert!(check(&without_properties, &json!({})).is_err());
        assert!(check(&without_properties, &json!({ "a": 1 })).is_ok());
    }

    #[test]
    fn an_argument_of_the_wrong_type_is_refused() {
        let schema = json!({ "type": "object", "properties": {
            "name": { "type": "string" }, "count": { "type": "integer" },
            "ratio": { "type": "number" }, "on": { "type": "boolean" },
            "tags": { "type": "array" }, "opts": { "type": "object" },
        }});
        let good =
            json!({ "name": "n", "count": 2, "ratio": 0.5, "on": true, "tags": [], "opts": {} });
        assert!(check(&schema, &good).is_ok());
        for (name, bad) in [
            ("name", json!(1)),
            ("count", json!("2")),
            ("count", json!(2.5)),
            ("ratio", json!("0.5")),
            ("on", json!("true")),
            ("tags", json!({})),
            ("opts", json!([])),
            ("name", json!(null)),
        ] {
            let mut args = good.clone();
            args[name] = bad;
            let refused = check(&schema, &args);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.contains(&format!("'{name}'"))),
                "{args}: {refused:?}"
            );
        }
        let mut args = good.clone();
        args["ratio"] = json!(3);
        assert!(
            check(&schema, &args).is_ok(),
            "an integer where a number is wanted"
        );
    }

    #[test]
    fn a_list_of_types_allows_any_of_them() {
        let schema = json!({ "properties": { "v": { "type": ["string", "null"] } } });
        assert!(check(&schema, &json!({ "v": "s" })).is_ok());
        assert!(check(&schema, &json!({ "v": null })).is_ok());
        assert!(check(&schema, &json!({ "v": 1 })).is_err());
    }

    #[test]
    fn a_value_outside_the_enum_is_refused() {
        let schema = json!({ "properties": { "unit": { "type": "string", "enum": ["c", "f"] } } });
        assert!(check(&schema, &json!({ "unit": "c" })).is_ok());
        assert_eq!(
            check(&schema, &json!({ "unit": "k" })),
            Err(r#"argument 'unit' must be one of ["c","f"]"#.into())
        );
    }

    #[test]
    fn undeclared_arguments_are_refused_only_when_the_schema_says_so() {
        let open = json!({ "properties": { "a": { "type": "string" } } });
        assert!(check(&open, &json!({ "a": "x", "extra": 1 })).is_ok());
        let closed =
            json!({ "properties": { "a": { "type": "string" } }, "additionalProperties": false });
        assert_eq!(
            check(&closed, &json!({ "a": "x", "extra": 1 })),
            Err("unexpected argument 'extra'".into())
        );
    }

    #[test]
    fn a_nested_object_is_checked_for_its_own_type_only() {
        // The module's promise is the top level; handlers check deeper.
        let schema = json!({ "properties": { "opts": { "type": "object",
            "required": ["depth"], "properties": { "depth": { "type": "integer" } } } } });
        assert!(check(&schema, &json!({ "opts": "deep" })).is_err());
        assert!(check(&schema, &json!({ "opts": { "depth": "x" } })).is_ok());
    }

    #[test]
    fn no_schema_or_no_properties_allows_any_arguments() {
        for schema in [json!(null), json!({}), json!({ "type": "object" })] {
            assert!(
                check(&schema, &json!({ "anything": [1, 2] })).is_ok(),
                "{schema}"
            );
            assert!(check(&schema, &json!(null)).is_ok(), "{schema}");
        }
        let untyped = json!({ "properties": { "a": {} } });
        assert!(check(&untyped, &json!({ "a": [1] })).is_ok());
    }
}
