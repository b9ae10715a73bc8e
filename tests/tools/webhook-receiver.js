#!/usr/bin/env node
// A loopback webhook receiver for tests: appends one JSON line per POST to
// OUT ({"event", "delivery", "signature", "body"}, the body as received) and
// answers 204.  For tests only; it checks nothing itself (the test verifies
// the signature with openssl).
//
//   node webhook-receiver.js PORT OUT
'use strict';

const fs = require('node:fs');
const http = require('node:http');

const [port, out] = process.argv.slice(2);
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    fs.appendFileSync(out, JSON.stringify({
      method: req.method,
      event: req.headers['x-meshca-event'] || null,
      delivery: req.headers['x-meshca-delivery'] || null,
      signature: req.headers['x-meshca-signature'] || null,
      content_type: req.headers['content-type'] || null,
      body: Buffer.concat(chunks).toString('utf8'),
    }) + '\n');
    res.writeHead(204);
    res.end();
  });
}).listen(Number(port), '127.0.0.1');
