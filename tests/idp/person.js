#!/usr/bin/env node
// Plays the person at the test identity provider's pages, over HTTP with a
// cookie jar, the way a browser would.  For tests only.
//
//   node person.js device ISSUER ACCOUNT USER_CODE
//       enters USER_CODE at ISSUER/device, confirms, logs in as ACCOUNT
//   node person.js browser AUTH_URL ACCOUNT
//       follows an authorization URL, logs in as ACCOUNT, and follows the
//       redirect back to the client's loopback listener; prints where it ended
//   node person.js token ISSUER ACCOUNT [CLIENT_ID]
//       the whole device flow as client (default "meshca") and person:
//       prints a genuine ID token
//   node person.js deny ISSUER USER_CODE
//       enters USER_CODE at ISSUER/device and presses "Abort" instead of
//       confirming, so that the waiting client is told access_denied; prints
//       the provider's answer's status
'use strict';

const jar = new Map();

function remember(res) {
  for (const c of res.headers.getSetCookie ? res.headers.getSetCookie() : []) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    jar.set(pair.slice(0, i).trim(), pair.slice(i + 1));
  }
}
function cookieHeader() {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

// One request; follows redirects within the issuer, keeping cookies.
// Stops (without fetching) at a redirect to stopAt (the client's listener).
async function go(url, opts = {}, stopAt = null) {
  let method = opts.method || 'GET';
  let body = opts.body;
  for (let hops = 0; hops < 20; hops++) {
    if (stopAt && url.startsWith(stopAt)) return { url, status: 0, text: '' };
    const headers = { cookie: cookieHeader() };
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, body, headers, redirect: 'manual' });
    remember(res);
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      url = new URL(res.headers.get('location'), url).toString();
      method = 'GET';
      body = undefined;
      continue;
    }
    return { url, status: res.status, text: await res.text() };
  }
  throw new Error('too many redirects');
}

function form(html) {
  const action = (html.match(/<form[^>]*action="([^"]*)"/) || [])[1];
  const fields = {};
  for (const m of html.matchAll(/<input[^>]*>/g)) {
    const name = (m[0].match(/name="([^"]*)"/) || [])[1];
    const value = (m[0].match(/value="([^"]*)"/) || [])[1] || '';
    if (name) fields[name] = value;
  }
  return { action, fields };
}

async function submit(page, base, extra, stopAt = null) {
  const f = form(page.text);
  if (!f.action) throw new Error(`no form on ${page.url}: ${page.text.slice(0, 200)}`);
  const body = new URLSearchParams({ ...f.fields, ...extra }).toString();
  return go(new URL(f.action, base).toString(), { method: 'POST', body }, stopAt);
}

// Logs in at an interaction page (devInteractions: any password).
async function login(page, account, stopAt = null) {
  if (!/name="login"/.test(page.text)) return page;
  return submit(page, page.url, { login: account, password: 'meshca-test' }, stopAt);
}

async function device(issuer, account, userCode) {
  let page = await go(`${issuer}/device`);
  page = await submit(page, page.url, { user_code: userCode });
  if (/name="confirm"/.test(page.text) || /Confirm/.test(page.text)) {
    page = await submit(page, page.url, { confirm: 'yes' });
  }
  page = await login(page, account);
  if (/name="prompt" value="consent"|Authorize/.test(page.text)) page = await submit(page, page.url, {});
  if (!/success|Sign-in Success|signed in/i.test(page.text)) {
    throw new Error(`device login did not finish: ${page.status} ${page.text.slice(0, 300)}`);
  }
}

async function deny(issuer, userCode) {
  let page = await go(`${issuer}/device`);
  page = await submit(page, page.url, { user_code: userCode });
  if (!/name="abort"/.test(page.text)) throw new Error(`no confirm page: ${page.text.slice(0, 200)}`);
  page = await submit(page, page.url, { abort: 'yes' });
  console.log(JSON.stringify({ status: page.status }));
}

async function browser(authUrl, account) {
  const redirect = new URL(authUrl).searchParams.get('redirect_uri');
  let page = await go(authUrl, {}, redirect);
  // Log in, then confirm whatever the provider still asks (consent), until
  // it redirects back to the client's listener.
  for (let i = 0; i < 4 && page.status !== 0; i++) {
    if (/name="login"/.test(page.text)) page = await login(page, account, redirect);
    else if (/<form/.test(page.text)) page = await submit(page, page.url, {}, redirect);
    else break;
  }
  if (page.status !== 0) {
    // A redirect to the client's listener stops go(); fetch it for real.
    throw new Error(`authorization did not redirect back: ${page.status} ${page.text.slice(0, 300)}`);
  }
  const res = await fetch(page.url);
  console.log(JSON.stringify({ redirected_to: page.url, listener_status: res.status }));
}

async function token(issuer, account, clientId = 'meshca') {
  const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const da = await (await fetch(meta.device_authorization_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, scope: 'openid email groups profile' }),
  })).json();
  await device(issuer, account, da.user_code);
  for (let i = 0; i < 50; i++) {
    const r = await (await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: da.device_code, client_id: clientId,
      }),
    })).json();
    if (r.id_token) { console.log(r.id_token); return; }
    if (r.error !== 'authorization_pending' && r.error !== 'slow_down') throw new Error(JSON.stringify(r));
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error('no token');
}

const [cmd, a, b, c] = process.argv.slice(2);
const run = cmd === 'device' ? device(a, b, c) : cmd === 'browser' ? browser(a, b)
  : cmd === 'token' ? token(a, b, c || 'meshca') : cmd === 'deny' ? deny(a, b)
  : Promise.reject(new Error('usage: person.js device|browser|token|deny ...'));
run.catch((e) => { console.error(`person.js: ${e.message}`); process.exit(1); });
