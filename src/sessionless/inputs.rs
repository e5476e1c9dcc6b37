//! MRTR on the sessionless wire. A handler asks the client a question with `Ctx::ask`; the
//! request is then answered with an `InputRequiredResult` listing every question asked, plus a
//! signed `requestState` holding the answers accepted so far. The client retries the request
//! (new id, same params) with `inputResponses`; the handler runs again from the start and this
//! time gets the answers. A wrongly shaped answer counts as none: the question is asked again.

use std::cell::{Cell, RefCell};

use serde_json::{json, Map, Value};

use super::state::{self, StateKey};
use crate::jsonrpc::RpcError;

/// The questions and answers of one sessionless request.
#[derive(Debug)]
pub struct Inputs {
    method: String,
    digest: String,
    /// From the `requestState` and the `inputResponses` of this round.
    answers: Map<String, Value>,
    /// Keys whose answers the handler took: carried into the next round's state.
    taken: RefCell<Vec<String>>,
    /// Questions asked this round, by key: `{method, params}`.
    asked: RefCell<Map<String, Value>>,
    /// Source of keys for questions asked without one.
    unnamed: Cell<u32>,
}

/// Whether a method may answer `input_required` (spec: only these three).
pub fn may_ask(method: &str) -> bool {
    matches!(method, "tools/call" | "prompts/get" | "resources/read")
}

/// Whether `answer` has the shape of a result of `method`.
fn fits(method: &str, answer: &Value) -> bool {
    match method {
        "elicitation/create" => answer["action"].is_string(),
        "sampling/createMessage" => answer["content"].is_object() || answer["content"].is_array(),
        "roots/list" => answer["roots"].is_array(),
        _ => answer.is_object(),
    }
}

impl Inputs {
    /// Reads the answers a request brings: those of a valid `requestState`, then its
    /// `inputResponses` (an object; anything else brings none). A state that is not ours,
    /// altered, expired, for another request or issued to another caller (`caller`: the
    /// principal's key, with authentication on) is -32602.
    pub fn read(
        key: &StateKey,
        method: &str,
        params: &Value,
        caller: Option<String>,
        now_ms: u64,
    ) -> Result<Inputs, RpcError> {
        // Only the methods that may ask get a state, so only they need the params' digest
        // (any other method's state fails to open: it was issued for another request).
        let digest = match (may_ask(method), caller) {
            (false, _) => String::new(),
            (true, None) => state::digest(params),
            (true, Some(caller)) => state::digest(&serde_json::json!({
                "caller": caller,
                "params": state::digest(params),
            })),
        };
        let mut answers = match params.get("requestState") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::String(token)) => key.open(token, method, &digest, now_ms)?,
            Some(_) => return Err(RpcError::invalid_params("requestState must be a string")),
        };
        if let Some(Value::Object(responses)) = params.get("inputResponses") {
            answers.extend(responses.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(Inputs {
            method: method.to_owned(),
            digest,
            answers,
            taken: RefCell::default(),
            asked: RefCell::default(),
            unnamed: Cell::new(0),
        })
    }

    /// A key for a question asked without one (the n-th such question of the handler).
    pub fn next_key(&self) -> String {
        let n = self.unnamed.get() + 1;
        self.unnamed.set(n);
        format!("input-{n}")
    }

    /// The client's answer to question `key`, or, if it has not given one that fits, records
    /// the question and fails (the request then answers `input_required`).
    pub fn answer(&self, key: &str, method: &str, params: Value) -> Result<Value, RpcError> {
        if let Some(answer) = self.answers.get(key).filter(|a| fits(method, a)) {
            self.taken.borrow_mut().push(key.to_owned());
            return Ok(answer.clone());
        }
        let question = json!({ "method": method, "params": params });
        self.asked.borrow_mut().insert(key.to_owned(), question);
        Err(RpcError::internal(format!(
            "waiting for the client's answer to {key}"
        )))
    }

    /// Whether the handler asked anything this round still unanswered.
    pub fn is_asking(&self) -> bool {
        !self.asked.borrow().is_empty()
    }

    /// The `InputRequiredResult` of this round, with a fresh state.
    pub fn input_required(&self, key: &StateKey, expiry_ms: u64, nonce: &str) -> Value {
        let taken = self.taken.borrow();
        let carried: Map<String, Value> = self
            .answers
            .iter()
            .filter(|(k, _)| taken.contains(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        json!({
            "resultType": "input_required",
            "inputRequests": Value::Object(self.asked.take()),
            "requestState": key.sign(&self.method, &self.digest, &carried, expiry_ms, nonce),
        })
    }
}
