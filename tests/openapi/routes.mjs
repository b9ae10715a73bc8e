// routes.mjs SPEC HTTP_C: every route of meshcad's route table (api/http.c,
// the static routes[] array) is an operation in the description; a prefix
// route ("/v1/log/tile/") needs a path under the prefix.
// routes.mjs --unexercised SPEC HTTP_C MANIFEST: prints the routes no
// request in the manifest (one JSON object a line: method, path) reached.
import fs from 'node:fs';
import YAML from 'yaml';

const args = process.argv.slice(2);
const unexercised = args[0] === '--unexercised';
if (unexercised) args.shift();
const [specFile, httpC, manifest] = args;
const spec = YAML.parse(fs.readFileSync(specFile, 'utf8'));
const table = fs.readFileSync(httpC, 'utf8');
const routes = [];
const re = /\{\s*"([A-Z]+)",\s*"([^"]+)",\s*\d+,\s*\w+,\s*(\d)\s*\}/g;
for (let m; (m = re.exec(table)) !== null;)
  routes.push({ method: m[1], path: m[2], prefix: m[3] === '1' });

const hits = (r, method, path) => method === r.method &&
  (r.prefix ? path.startsWith(r.path) : path === r.path);

if (unexercised) {
  const reqs = fs.readFileSync(manifest, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const r of routes)
    if (!reqs.some((q) => hits(r, q.method, q.path.split('?')[0])))
      console.log(`${r.method} ${r.path}`);
  process.exit(0);
}

let failed = 0;
if (routes.length === 0) {
  console.log(`not ok - no route table found in ${httpC}`);
  process.exit(1);
}
for (const r of routes) {
  const m = r.method.toLowerCase();
  const found = Object.entries(spec.paths || {}).some(([p, item]) =>
    item[m] && (r.prefix ? p.startsWith(r.path) : p === r.path));
  if (found) console.log(`ok - ${r.method} ${r.path} is described in api/openapi.yaml`);
  else {
    failed = 1;
    console.log(`not ok - ${r.method} ${r.path} is in the route table (api/http.c) but not in api/openapi.yaml: add it there`);
  }
}
process.exit(failed);
