//! The routing headers of a sessionless request, cross-checked against its body (-32020 on any
//! disagreement): `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` for tools/call, prompts/get
//! and resources/read, and `Mcp-Param-{Name}` for tool arguments whose schema carries
//! `x-mcp-header`. Names match case-insensitively, values exactly after trimming spaces and tabs;
//! a value wrapped as `=?base64?…?=` is decoded first (strictly: padding and alphabet).

use http_types::Request;
use serde_json::Value;

use super::HEADER_MISMATCH;
use crate::base64::{self, Alphabet};
use crate::jsonrpc::RpcError;

fn mismatch(message: String) -> RpcError {
    RpcError::new(HEADER_MISMATCH, format!("Header mismatch: {message}"))
}

/// The one value of header `name`, trimmed: `None` when absent, -32020 when repeated.
fn single<'a>(req: &'a Request, name: &str) -> Result<Option<&'a str>, RpcError> {
    match req.header(name) {
        None => Ok(None),
        Some(values) if values.iter().count() > 1 => Err(mismatch(format!("{name} is repeated"))),
        Some(values) => Ok(Some(values.as_str().trim_matches([' ', '\t']))),
    }
}

/// A header value as meant: the decoded text of `=?base64?…?=`, else the value itself.
pub fn decode_value(raw: &str) -> Option<String> {
    match raw
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    {
        Some(encoded) => String::from_utf8(base64::decode(encoded, Alphabet::Standard)?).ok(),
        None => Some(raw.to_owned()),
    }
}

/// Requires header `name` to be present and to mean `expected`.
fn expect(req: &Request, name: &str, expected: &str, decode: bool) -> Result<(), RpcError> {
    let raw = single(req, name)?.ok_or_else(|| mismatch(format!("{name} is missing")))?;
    let value = if decode {
        decode_value(raw)
    } else {
        Some(raw.to_owned())
    };
    match value {
        Some(v) if v == expected => Ok(()),
        Some(v) => Err(mismatch(format!("{name} '{v}' != body '{expected}'"))),
        None => Err(mismatch(format!("{name} is not valid base64"))),
    }
}

/// The standard headers: the version equals `_meta`'s, the method the body's, and the name
/// the body's `name` or `uri` where the method has one.
pub fn check_routing(
    req: &Request,
    meta_version: &str,
    method: &str,
    params: &Value,
) -> Result<(), RpcError> {
    expect(req, "mcp-protocol-version", meta_version, false)?;
    expect(req, "mcp-method", method, false)?;
    let name_field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return Ok(()),
    };
    match params.get(name_field).and_then(Value::as_str) {
        Some(name) => expect(req, "mcp-name", name, true),
        // The handler answers -32602 for the missing field.
        None => Ok(()),
    }
}

/// The arguments a tool's schema mirrors into headers: (argument, header suffix), for string,
/// integer and boolean properties annotated with `x-mcp-header`.
fn mirrored(input_schema: &Value) -> impl Iterator<Item = (&str, &str)> {
    input_schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, p)| matches!(p["type"].as_str(), Some("string" | "integer" | "boolean")))
        .filter_map(|(arg, p)| Some((arg.as_str(), p.get("x-mcp-header")?.as_str()?)))
}

/// `Mcp-Param-{Name}` of every mirrored argument: present exactly when the argument is, and
/// equal to it (integers compared as numbers).
pub fn check_params(
    req: &Request,
    input_schema: &Value,
    arguments: &Value,
) -> Result<(), RpcError> {
    for (arg, suffix) in mirrored(input_schema) {
        let name = format!("mcp-param-{suffix}");
        let body = arguments.get(arg).filter(|v| !v.is_null());
        let header = single(req, &name)?;
        let (body, raw) = match (body, header) {
            (None, None) => continue,
            (Some(body), Some(raw)) => (body, raw),
            (None, Some(_)) => return Err(mismatch(format!("Mcp-Param-{suffix} without {arg}"))),
            (Some(_), None) => return Err(mismatch(format!("Mcp-Param-{suffix} is missing"))),
        };
        let value = decode_value(raw)
            .ok_or_else(|| mismatch(format!("Mcp-Param-{suffix} is not valid base64")))?;
        let matches = match body {
            Value::String(s) => *s == value,
            Value::Bool(b) => value == b.to_string(),
            Value::Number(n) => value.parse::<f64>().ok() == n.as_f64(),
            _ => false,
        };
        if !matches {
            return Err(mismatch(format!(
                "Mcp-Param-{suffix} '{value}' != argument {arg} {body}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use http_types::{Method, Url};
    use serde_json::json;

    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut req = Request::new(Method::Post, Url::parse("http://localhost/mcp").unwrap());
        for (name, value) in headers {
            req.append_header(*name, *value);
        }
        req
    }

    #[test]
    fn routing_headers_match_names_loosely_and_values_exactly() {
        let v = ("MCP-Protocol-Version", "2026-07-28");
        let list = json!({});
        assert!(check_routing(
            &req(&[v, ("mcp-method", " tools/list\t")]),
            "2026-07-28",
            "tools/list",
            &list
        )
        .is_ok());
        assert!(check_routing(
            &req(&[v, ("Mcp-Method", "TOOLS/LIST")]),
            "2026-07-28",
            "tools/list",
            &list
        )
        .is_err());
        assert!(check_routing(&req(&[v]), "2026-07-28", "tools/list", &list).is_err());
        let twice = req(&[
            v,
            ("mcp-method", "tools/list"),
            ("mcp-method", "tools/list"),
        ]);
        assert_eq!(
            check_routing(&twice, "2026-07-28", "tools/list", &list)
                .unwrap_err()
                .code,
            HEADER_MISMATCH
        );
        let call = json!({ "name": "héllo" });
        let encoded = format!(
            "=?base64?{}?=",
            base64::encode("héllo".as_bytes(), Alphabet::Standard)
        );
        let named = |name: &str| req(&[v, ("mcp-method", "tools/call"), ("mcp-name", name)]);
        assert!(check_routing(&named(&encoded), "2026-07-28", "tools/call", &call).is_ok());
        assert!(check_routing(&named("other"), "2026-07-28", "tools/call", &call).is_err());
        assert!(check_routing(
            &req(&[v, ("mcp-method", "tools/call")]),
            "2026-07-28",
            "tools/call",
            &call
        )
        .is_err());
    }

    #[test]
    fn mirrored_arguments_must_match_their_param_headers() {
        let schema = json!({ "type": "object", "properties": {
            "region": { "type": "string", "x-mcp-header": "Region" },
            "priority": { "type": "integer", "x-mcp-header": "Priority" },
            "verbose": { "type": "boolean", "x-mcp-header": "Verbose" },
            "score": { "type": "number", "x-mcp-header": "Score" },
        }});
        let args = json!({ "region": "eu", "priority": 42, "verbose": true, "score": 1.5 });
        let all = [
            ("mcp-param-region", "eu"),
            ("Mcp-Param-Priority", "42"),
            ("mcp-param-verbose", "true"),
        ];
        assert!(
            check_params(&req(&all), &schema, &args).is_ok(),
            "number properties are not mirrored"
        );
        let mut wrong = all;
        wrong[1].1 = "41";
        assert!(check_params(&req(&wrong), &schema, &args).is_err());
        assert!(
            check_params(&req(&all[1..]), &schema, &args).is_err(),
            "a missing header"
        );
        let padded = [all[1], all[2], ("mcp-param-region", "=?base64?ZXU?=")];
        assert!(
            check_params(&req(&padded), &schema, &args).is_err(),
            "base64 without its padding"
        );
        let literal = [all[1], all[2], ("mcp-param-region", "=?base64?ZXU=")];
        assert!(check_params(
            &req(&literal),
            &schema,
            &json!({ "region": "=?base64?ZXU=", "priority": 42, "verbose": true })
        )
        .is_ok());
        assert!(
            check_params(
                &req(&all),
                &schema,
                &json!({ "priority": 42, "verbose": true })
            )
            .is_err(),
            "a header without its argument"
        );
    }
}
