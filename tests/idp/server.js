#!/usr/bin/env node
// The test identity provider for meshca's tests and `make run`: npm
// oidc-provider on a loopback port.
//
//   node server.js --port N --state DIR
//
// - discovery at /.well-known/openid-configuration, a JWKS with an RS256 and
//   an ES256 key (made at first start, kept in DIR/keys.json)
// - a public native client "meshca": device code grant, and authorization
//   code + PKCE (S256) with loopback redirect URIs on any port (RS256 ID
//   tokens); a second one, "meshca-es256", the same with ES256 ID tokens
//   that always carry auth_time
// - accounts (DIR/accounts.json, made at first start): alice (payments-oncall),
//   bob (payments-dev), carol (meshca-admins); any password is accepted
//   (devInteractions); ID tokens carry email and groups
// - POST /_test/rotate[?alg=ES256]: a new key (RS256 by default) is put
//   first (it signs from then on); the old keys stay published, so their
//   tokens keep verifying until they expire.  Answers {"kid": NEW_KID}.
// - accounts: DIR/accounts.json is read at every login, so a test adds an
//   account by rewriting it ({"dave": {"email": ..., "groups": [...]}})
//
// Test-only: plain HTTP, development interactions, no persistence of sessions.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');

process.env.NODE_ENV = process.env.NODE_ENV || 'test';
// oidc-provider warns that Node 20 is not its tested runtime; it works.
process.removeAllListeners('warning');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const port = Number(args.port || 9443);
const stateDir = args.state || fs.mkdtempSync('/tmp/meshca-idp.');
fs.mkdirSync(stateDir, { recursive: true });
const issuer = `http://127.0.0.1:${port}`;

function newKey(kind) {
  const kid = `${kind.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}`;
  const pair = kind === 'RS256'
    ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
    : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, alg: kind, use: 'sig' };
}

const keysFile = path.join(stateDir, 'keys.json');
let keys;
if (fs.existsSync(keysFile)) {
  keys = JSON.parse(fs.readFileSync(keysFile, 'utf8'));
} else {
  keys = { keys: [newKey('RS256'), newKey('ES256')] };
  fs.writeFileSync(keysFile, JSON.stringify(keys), { mode: 0o600 });
}

const accountsFile = path.join(stateDir, 'accounts.json');
if (!fs.existsSync(accountsFile)) {
  fs.writeFileSync(accountsFile, JSON.stringify({
    alice: { email: 'alice@example.com', groups: ['payments-oncall'], name: 'Alice Oncall' },
    bob: { email: 'bob@example.com', groups: ['payments-dev'], name: 'Bob Developer' },
    carol: { email: 'carol@example.com', groups: ['meshca-admins'], name: 'Carol Admin' },
  }, null, 2));
}
function accounts() { return JSON.parse(fs.readFileSync(accountsFile, 'utf8')); }

async function makeProvider() {
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'meshca',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
    }, {
      client_id: 'meshca-es256',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      id_token_signed_response_alg: 'ES256',
      require_auth_time: true,
    }],
    jwks: keys,
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
    },
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'groups', 'profile'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'], profile: ['name'] },
    conformIdTokenClaims: false,
    ttl: { IdToken: 600, DeviceCode: 300, Session: 3600, Interaction: 600, Grant: 3600 },
    async findAccount(ctx, id) {
      const a = accounts()[id];
      if (!a) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: a.email, email_verified: true, groups: a.groups, name: a.name };
        },
      };
    },
    async loadExistingGrant(ctx) {
      // A first-party client: grant what it asks without a consent page.
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const g = await ctx.oidc.provider.Grant.find(grantId);
        if (g) return g;
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email groups profile');
      grant.addOIDCClaims(['email', 'email_verified', 'groups', 'name']);
      await grant.save();
      return grant;
    },
    renderError(ctx, out) {
      ctx.type = 'application/json';
      ctx.body = out;
    },
  });
  provider.proxy = false;
  return provider;
}

(async () => {
  let provider = await makeProvider();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, issuer);
    if (req.method === 'POST' && url.pathname === '/_test/rotate') {
      const alg = url.searchParams.get('alg') || 'RS256';
      if (alg !== 'RS256' && alg !== 'ES256') {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'alg must be RS256 or ES256' }));
        return;
      }
      keys.keys.unshift(newKey(alg));
      fs.writeFileSync(keysFile, JSON.stringify(keys), { mode: 0o600 });
      makeProvider().then((p) => {
        provider = p;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kid: keys.keys[0].kid }));
      });
      return;
    }
    provider.callback()(req, res);
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(JSON.stringify({ msg: 'test identity provider listening', issuer }));
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})();
