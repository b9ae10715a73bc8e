#!/usr/bin/env node
// cli-person-deny: a person who enters a device-flow user code at the test
// identity provider and then presses "Abort" instead of confirming, so that
// the waiting client is told access_denied.  For tests only.
//
//   node cli-person-deny.js ISSUER USER_CODE
'use strict';

const jar = new Map();

async function go(url, opts = {}) {
  let method = opts.method || 'GET';
  let body = opts.body;
  for (let hops = 0; hops < 10; hops++) {
    const headers = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, body, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      jar.set(pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1));
    }
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

// The page's first form: its action and hidden fields, plus extra.
function post(page, extra) {
  const action = (page.text.match(/<form[^>]*action="([^"]*)"/) || [])[1];
  if (!action) throw new Error(`no form on ${page.url}`);
  const fields = {};
  for (const m of page.text.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = (m[0].match(/name="([^"]*)"/) || [])[1];
    const value = (m[0].match(/value="([^"]*)"/) || [])[1] || '';
    if (name) fields[name] = value;
  }
  return go(new URL(action, page.url).toString(),
    { method: 'POST', body: new URLSearchParams({ ...fields, ...extra }).toString() });
}

(async () => {
  const [issuer, userCode] = process.argv.slice(2);
  let page = await go(`${issuer}/device`);
  page = await post(page, { user_code: userCode });
  if (!/name="abort"/.test(page.text)) throw new Error(`no confirm page: ${page.text.slice(0, 200)}`);
  page = await post(page, { abort: 'yes' });
  console.log(JSON.stringify({ status: page.status }));
})().catch((e) => { console.error(`cli-person-deny.js: ${e.message}`); process.exit(1); });
