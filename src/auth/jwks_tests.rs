//! The key set's unit tests: where the metadata is looked for, how long keys stay fresh, and
//! which keys are kept (refresh and rate limits are tested with the JWT checks, jwt_tests.rs).

use super::*;

#[test]
fn metadata_is_looked_for_where_rfc_8414_and_openid_connect_put_it() {
    assert_eq!(
        metadata_urls("https://as.example.com"),
        [
            "https://as.example.com/.well-known/oauth-authorization-server",
            "https://as.example.com/.well-known/openid-configuration"
        ]
    );
    assert_eq!(
        metadata_urls("https://as.example.com/tenant/1/"),
        [
            "https://as.example.com/.well-known/oauth-authorization-server/tenant/1",
            "https://as.example.com/.well-known/openid-configuration/tenant/1",
            "https://as.example.com/tenant/1/.well-known/openid-configuration"
        ]
    );
}

#[test]
fn cache_control_sets_freshness_within_bounds() {
    assert_eq!(freshness(Some(3600)), Duration::from_secs(3600));
    assert_eq!(freshness(None), DEFAULT_FRESH);
    assert_eq!(freshness(Some(0)), MIN_FRESH, "no-store or no-cache");
    assert_eq!(freshness(Some(30 * 24 * 3600)), MAX_FRESH);
}

#[test]
fn a_key_set_keeps_its_signing_keys_only() {
    let set = serde_json::json!({"keys": [
        {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "kid": "ec", "crv": "P-256", "alg": "ES256",
         "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
        {"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        {"kty": "XYZ", "kid": "unknown"}
    ]});
    let keys = parse(set.to_string().as_bytes()).unwrap();
    let ids: Vec<_> = keys.iter().map(|k| k.id.as_deref().unwrap()).collect();
    assert_eq!(ids, ["ec", "ed"]);
    assert_eq!(keys[0].alg, Some(Algorithm::ES256));
    assert!(parse(br#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).is_err());
    assert!(parse(b"[]").is_err());
}
