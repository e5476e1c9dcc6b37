// A real OAuth 2.1 authorization server for the tests: oidc-provider (OpenID Certified), installed
// into target/tools/issuer by tests/scripts/setup.
//
// Usage: node tests/scripts/issuer.mjs PORT KEYS_DIR [tls]
//
// Listens on http://127.0.0.1:PORT (plain http: loopback only) and prints
// "issuer listening on http://127.0.0.1:PORT" once it does; with `tls`, on https://localhost:PORT
// with the certificate KEYS_DIR/tls-cert.pem and key KEYS_DIR/tls-key.pem. What it offers:
// - the client-credentials grant for the clients below (HTTP Basic client authentication);
// - resource indicators (RFC 8707): `resource=<URL>` in the token request gives an access token
//   for that resource (`aud` = the URL), a JWT signed RS256 (typ at+jwt), or an opaque one for
//   client-opaque;
// - introspection (RFC 7662) at /token/introspection, for any authenticated client (mcpd
//   introspects as client "mcpd");
// - discovery at /.well-known/openid-configuration (no /.well-known/oauth-authorization-server:
//   clients find it by the OpenID Connect fallback), keys at /jwks.
// Its RSA signing key is KEYS_DIR/issuer.jwk.json, made on first start and kept, so a restarted
// issuer signs with the same key (JWTs issued before stay valid; opaque tokens, held in memory,
// do not). The same key is written as KEYS_DIR/issuer.der (PKCS#1) for tests that mint tokens
// with it, next to KEYS_DIR/foreign.der, a key it never publishes (for forgeries).
import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';

const modules = new URL('../../target/tools/issuer/node_modules/oidc-provider/lib/index.js', import.meta.url);
const { default: Provider } = await import(modules.href).catch((e) => {
  console.error(`oidc-provider is missing (${e.message}): run tests/scripts/setup`);
  process.exit(3);
});

const [port, dir, mode] = process.argv.slice(2);
if (!port || !dir) {
  console.error('usage: node tests/scripts/issuer.mjs PORT KEYS_DIR [tls]');
  process.exit(2);
}
mkdirSync(dir, { recursive: true });

/** The private key in `name` (.jwk.json and .der), made if missing. */
function rsaKey(name, kid) {
  const jwkFile = join(dir, `${name}.jwk.json`);
  if (!existsSync(jwkFile)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
    writeFileSync(join(dir, `${name}.der`), privateKey.export({ type: 'pkcs1', format: 'der' }), { mode: 0o600 });
    writeFileSync(jwkFile, JSON.stringify(jwk), { mode: 0o600 });
  }
  const jwk = JSON.parse(readFileSync(jwkFile, 'utf8'));
  createPrivateKey({ key: jwk, format: 'jwk' }); // fails loudly on a damaged file
  return jwk;
}

const signing = rsaKey('issuer', 'test-rs256');
rsaKey('foreign', 'test-rs256');

const tls = mode === 'tls';
const issuer = tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
const client = (id, secret) => ({
  client_id: id,
  client_secret: secret,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'mcp:tools mcp:read',
});

const provider = new Provider(issuer, {
  clients: [
    client('client-a', 'secret-a'), // principal A
    client('client-b', 'secret-b'), // principal B
    client('client-opaque', 'secret-opaque'), // gets opaque tokens
    client('mcpd', 'mcpd-secret'), // mcpd, introspecting
  ],
  jwks: { keys: [signing] },
  scopes: ['openid', 'mcp:tools', 'mcp:read'],
  cookies: { keys: ['test-only-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource, client) => ({
        scope: 'mcp:tools mcp:read',
        audience: resource,
        accessTokenTTL: 600,
        ...(client.clientId === 'client-opaque'
          ? { accessTokenFormat: 'opaque' }
          : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
      }),
    },
  },
});
provider.proxy = false;

const server = tls
  ? createTlsServer({
    key: readFileSync(join(dir, 'tls-key.pem')),
    cert: readFileSync(join(dir, 'tls-cert.pem')),
  }, provider.callback())
  : createServer(provider.callback());
// Node closes idle connections after 5 s, just when HTTP clients that keep them 5 s (httpx) may
// reuse one: a request then meets a closed socket. Outlast the clients instead.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.on('error', (e) => {
  console.error(`issuer: ${e.message}`);
  process.exit(1);
});
server.listen(Number(port), '127.0.0.1', () => {
  console.log(`issuer listening on ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
