// Serves a static log written by "tlogcheck fixture" as meshcad serves its
// transparency log, for tests of "tlogcheck verify":
//   GET /v1/log/checkpoint, /v1/log/tile/...   files under DIR
//   GET /v1/log/proof?from=A&to=B              DIR/proof/from-A-to-B.json
//   GET /v1/log/proof?serial=S                 DIR/proof/serial-S.json
// Usage: node tlog-fixture-server.js DIR PORT   (listens on 127.0.0.1 only)
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const [dir, port] = process.argv.slice(2);
if (!dir || !port) {
    console.error('usage: tlog-fixture-server.js DIR PORT');
    process.exit(2);
}
const root = path.resolve(dir);

function file(u) {
    const prefix = '/v1/log/';
    if (!u.pathname.startsWith(prefix)) return null;
    const rel = u.pathname.slice(prefix.length);
    if (rel === 'proof') {
        const from = u.searchParams.get('from'), to = u.searchParams.get('to');
        const serial = u.searchParams.get('serial');
        if (from !== null && to !== null && /^\d+$/.test(from + to))
            return `proof/from-${from}-to-${to}.json`;
        if (serial !== null && /^[0-9A-Za-z_-]+$/.test(serial))
            return `proof/serial-${serial}.json`;
        return null;
    }
    return /^[0-9A-Za-z_./-]+$/.test(rel) && !rel.includes('..') ? rel : null;
}

http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    const rel = req.method === 'GET' ? file(u) : null;
    const p = rel && path.join(root, rel);
    fs.readFile(p || '/nonexistent', (err, data) => {
        if (!p || err) {
            res.writeHead(404, { 'Content-Type': 'text/plain' });
            res.end('not found\n');
            return;
        }
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.end(data);
    });
}).listen(Number(port), '127.0.0.1');
