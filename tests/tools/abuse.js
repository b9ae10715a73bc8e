#!/usr/bin/env node
// abuse.js URL GOOD_TOKEN ROUNDS: sends malformed and hostile requests to
// meshcad over raw sockets, many at once, and prints a JSON summary of the
// status codes it got back.  For tests/integration/test_abuse.sh.
'use strict';
const net = require('node:net');
const crypto = require('node:crypto');

const [url, goodToken, roundsArg] = process.argv.slice(2);
const { hostname, port } = new URL(url);
const rounds = Number(roundsArg || 100);
const b64u = (s) => Buffer.from(s).toString('base64url');
const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const forged = [
  `${b64u('{"alg":"none"}')}.${b64u('{"iss":"x","sub":"a"}')}.`,
  `${b64u('{"alg":"HS256"}')}.${b64u('{"iss":"https://idp.test.invalid"}')}.${b64u('x')}`,
  goodToken.split('.').slice(0, 2).join('.') + '.' + b64u(crypto.randomBytes(256)),
  goodToken.replace(/\.([^.]*)\./, `.${b64u('{"iss":"https://idp.test.invalid","sub":"root","aud":"meshca","exp":9999999999,"iat":1}')}.`),
  'a'.repeat(20000), '....', '', 'e30.e30.e30',
];
const bodies = [
  '{', '[]', 'null', '"x"', '{"public_key":1}', '{"public_key":"ssh-dss AAAA"}',
  `{"public_key":"${key}","principals":"root"}`,
  `{"public_key":"${key}","principals":["a b"]}`,
  `{"public_key":"${key}","principals":[${'"p",'.repeat(300)}"p"]}`,
  `{"public_key":"${key}","ttl":"99999999999d"}`,
  `{"public_key":"${key}","reason":"${'r'.repeat(5000)}"}`,
  `{"public_key":"${'A'.repeat(60000)}"}`,
  `{"public_key":"${key}","public_key":"${key}"}`,
  '{"a":' .repeat(5000) + '1' + '}'.repeat(5000),
  '\u0000\u0001\u0002', `{"public_key":"${key}", "extra": true}`,
];
function request(i) {
  const kind = i % 6;
  const tok = kind === 5 ? goodToken : forged[i % forged.length];
  const body = bodies[i % bodies.length];
  let raw;
  if (kind === 0) { // header flood
    raw = `POST /v1/certificates HTTP/1.1\r\nHost: x\r\n${'X-Junk: ' + 'j'.repeat(8000) + '\r\n'}`.repeat(1)
      + `${Array.from({ length: 50 }, (_, n) => `X-H${n}: ${'v'.repeat(2000)}\r\n`).join('')}Content-Length: 2\r\n\r\n{}`;
  } else if (kind === 1) { // lying content length
    raw = `POST /v1/certificates HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tok}\r\nContent-Length: 99999999\r\n\r\n${body}`;
  } else if (kind === 2) { // garbage request line
    raw = `\x16\x03\x01 not http at all\r\n\r\n`;
  } else { // malformed bodies with bad or good tokens
    raw = `POST /v1/certificates HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tok}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
  }
  return new Promise((resolve) => {
    const s = net.connect(Number(port), hostname);
    let data = '';
    s.setTimeout(10000, () => { s.destroy(); resolve('timeout'); });
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('error', () => resolve(data ? data.slice(9, 12) : 'closed'));
    s.on('close', () => resolve(data ? data.slice(9, 12) : 'closed'));
    s.end(raw);
  });
}
(async () => {
  const counts = {};
  for (let r = 0; r < rounds; r++) {
    const batch = await Promise.all(Array.from({ length: 32 }, (_, k) => request(r * 32 + k)));
    for (const c of batch) counts[c] = (counts[c] || 0) + 1;
  }
  console.log(JSON.stringify(counts));
})();
