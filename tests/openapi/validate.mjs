// validate.mjs SPEC DIR: checks recorded meshcad responses against the
// description.  DIR/manifest.jsonl has one request a line (name, expect,
// method, path, n); DIR/n.s the status, DIR/n.h the headers, DIR/n.b the
// body.  For each: the status is the one the test meant, the operation
// documents it, the content type is documented, a JSON body validates
// against its schema (ajv, JSON Schema 2020-12, formats checked), and the
// headers the description marks required are present.
import fs from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [specFile, dir] = process.argv.slice(2);
const v = new Validator();
const res = await v.validate(specFile);
if (!res.valid) {
  console.log('not ok - the description is not valid OpenAPI; see lint.mjs');
  process.exit(1);
}
const spec = v.resolveRefs();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

// The description's path for a request path: literal, or templated
// ({name} is one segment; a last {name} may span segments, as tile paths do,
// but only when no path matches with one segment per {name}: so
// /v1/access-requests/ID/approve is .../{id}/approve, not .../{id}).
function findPath(reqPath) {
  for (const span of [false, true]) {
    for (const [p, item] of Object.entries(spec.paths)) {
      const parts = p.split(/(\{[^}]+\})/).map((s, i, all) => {
        if (!/^\{.*\}$/.test(s)) return s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        return span && i === all.length - 2 && all[all.length - 1] === '' ? '.+' : '[^/]+';
      });
      if (new RegExp(`^${parts.join('')}$`).test(reqPath)) return [p, item];
    }
  }
  return [null, null];
}

function headers(text) {
  const h = {};
  // The last response's headers (curl -D writes each of them).
  const blocks = text.split(/\r?\n\r?\n/).filter((b) => b.trim() !== '');
  for (const line of (blocks[blocks.length - 1] || '').split(/\r?\n/).slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) h[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return h;
}

let failed = 0;
const lines = fs.readFileSync(path.join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n');
for (const line of lines) {
  const q = JSON.parse(line);
  const status = fs.readFileSync(path.join(dir, `${q.n}.s`), 'utf8').trim();
  const hdr = headers(fs.readFileSync(path.join(dir, `${q.n}.h`), 'utf8'));
  const bodyFile = path.join(dir, `${q.n}.b`);
  const body = fs.existsSync(bodyFile) ? fs.readFileSync(bodyFile) : Buffer.alloc(0);
  const what = `${q.name}: ${q.method} ${q.path} -> ${status}`;
  const bad = (why) => {
    failed = 1;
    console.log(`not ok - ${what}: ${why}`);
    console.log(`# body: ${body.toString('utf8').slice(0, 1500)}`);
  };
  const reqPath = q.path.split('?')[0];
  const [p, item] = findPath(reqPath);
  if (String(q.expect) !== status) { bad(`the test expected ${q.expect}`); continue; }
  if (!item && status === '404') {
    // An unknown path: the Error shape, as the description says.
    const check = ajv.compile(spec.components.schemas.Error);
    let doc = null;
    try { doc = JSON.parse(body.toString('utf8')); } catch (e) { /* below */ }
    if (!check(doc)) { bad(`not the Error shape: ${ajv.errorsText(check.errors)}`); continue; }
    console.log(`ok - ${what} is the described Error (no such path)`);
    continue;
  }
  if (!item) { bad('no path in the description matches'); continue; }
  const op = item[q.method.toLowerCase()];
  if (!op) {
    // 405 for a method the path does not take: the description's
    // x-meshca-method-not-allowed on the path item, or a 404 on any path.
    if (status === '405' || status === '404') {
      const check = ajv.compile(spec.components.schemas.Error);
      let doc = null;
      try { doc = JSON.parse(body.toString('utf8')); } catch (e) { /* below */ }
      if (!check(doc)) { bad(`not the Error shape: ${ajv.errorsText(check.errors)}`); continue; }
      console.log(`ok - ${what} is the described Error (${p} has no ${q.method})`);
      continue;
    }
    bad(`${p} has no ${q.method} operation`);
    continue;
  }
  const r = op.responses[status] || op.responses[`${status[0]}XX`] || op.responses.default;
  if (!r) { bad(`${op.operationId} does not document ${status}`); continue; }
  const missing = Object.entries(r.headers || {}).filter(([n, h]) => h.required && !(n.toLowerCase() in hdr));
  if (missing.length) { bad(`required header(s) missing: ${missing.map(([n]) => n).join(', ')}`); continue; }
  if (!r.content) {
    if (body.length !== 0) { bad('a body where the description has none'); continue; }
    console.log(`ok - ${what} (${op.operationId}, no body)`);
    continue;
  }
  const ct = (hdr['content-type'] || '').split(';')[0].trim();
  const mt = Object.keys(r.content).find((k) => k.split(';')[0].trim() === ct);
  if (!mt) { bad(`content type ${ct} is not among ${Object.keys(r.content).join(', ')}`); continue; }
  const schema = r.content[mt].schema;
  if (ct === 'application/json' || ct.endsWith('+json')) {
    let doc;
    try { doc = JSON.parse(body.toString('utf8')); } catch (e) { bad(`not JSON: ${e.message}`); continue; }
    if (!schema) { bad('no schema for a JSON body'); continue; }
    const check = ajv.compile(schema);
    if (!check(doc)) { bad(ajv.errorsText(check.errors, { separator: '; ' })); continue; }
  } else if (schema && schema.type === 'string' && schema.pattern &&
      !new RegExp(schema.pattern, 'u').test(body.toString('utf8'))) {
    bad(`the text does not match ${schema.pattern}`);
    continue;
  }
  console.log(`ok - ${what} matches ${op.operationId} (${status} ${mt})`);
}
process.exit(failed);
