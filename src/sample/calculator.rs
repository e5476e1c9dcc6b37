//! Tool `calculator`: add, subtract, multiply or divide two numbers. Division by zero and
//! non-finite results are tool errors (`isError: true`) with a readable text.

use serde_json::{json, Value};

use crate::content;
use crate::registry::Tool;

fn compute(operation: &str, a: f64, b: f64) -> Result<f64, String> {
    let value = match operation {
        "add" => a + b,
        "subtract" => a - b,
        "multiply" => a * b,
        "divide" if b == 0.0 => return Err("Cannot divide by zero".into()),
        "divide" => a / b,
        other => return Err(format!("Unknown operation '{other}'")),
    };
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("The result of {operation} is not a finite number"))
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The tool.
pub fn tool() -> Tool {
    let schema = json!({
        "type": "object",
        "properties": {
            "operation": { "type": "string", "enum": ["add", "subtract", "multiply", "divide"] },
            "a": { "type": "number", "description": "First operand" },
            "b": { "type": "number", "description": "Second operand" }
        },
        "required": ["operation", "a", "b"],
        "additionalProperties": false
    });
    Tool::new(
        "calculator",
        "Adds, subtracts, multiplies or divides two numbers.",
        schema,
        |_ctx, args| async move {
            let number = |key: &str| args.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN);
            let operation = args["operation"].as_str().unwrap_or_default();
            Ok(match compute(operation, number("a"), number("b")) {
                Ok(value) => content::result(vec![content::text(format_number(value))]),
                Err(message) => content::error(message),
            })
        },
    )
    .with(
        "annotations",
        json!({ "readOnlyHint": true, "idempotentHint": true, "openWorldHint": false }),
    )
}
