#!/usr/bin/env node
// cli-fileserver: a tiny stand-in for a misbehaving (or well-behaved)
// meshcad, serving whatever the test puts in DIR.  For tests only.
//
//   node cli-fileserver.js DIR PORT [CERT.pem KEY.pem]
//
// GET /v1/krl       -> DIR/krl          (application/octet-stream)
// GET /v1/ca-keys   -> DIR/ca-keys      (text/plain)
// GET /v1/config    -> DIR/config.json  (application/json)
// DIR/status, when present, holds the HTTP status to answer with instead of
// 200 (the body then is DIR/error.json).  A missing file is a 404.  With a
// certificate and key it speaks HTTPS.
'use strict';
const fs = require('fs');
const path = require('path');

const [dir, port, cert, key] = process.argv.slice(2);
const files = { '/v1/krl': 'krl', '/v1/ca-keys': 'ca-keys', '/v1/config': 'config.json' };

function handler(req, res) {
  const name = files[req.url.split('?')[0]];
  let status = 200;
  try { status = parseInt(fs.readFileSync(path.join(dir, 'status'), 'utf8'), 10); } catch (e) { /* 200 */ }
  if (status !== 200) {
    let body = '';
    try { body = fs.readFileSync(path.join(dir, 'error.json')); } catch (e) { /* empty */ }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  let body;
  try { body = fs.readFileSync(path.join(dir, name || 'none')); } catch (e) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-length': body.length });
  res.end(body);
}

const server = cert
  ? require('https').createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, handler)
  : require('http').createServer(handler);
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
