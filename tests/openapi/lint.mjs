// lint.mjs SPEC: api/openapi.yaml against the OpenAPI 3.1 schema
// (@seriousme/openapi-schema-validator), every $ref resolving, and the
// house rules: each operation has an operationId, a summary and its error
// responses.  Prints "ok - ..." / "not ok - ..." lines; exit 1 on a failure.
import { Validator } from '@seriousme/openapi-schema-validator';

const file = process.argv[2];
const v = new Validator();
let failed = 0;
const say = (good, what) => {
  console.log(`${good ? 'ok' : 'not ok'} - ${what}`);
  if (!good) failed = 1;
};

const res = await v.validate(file);
say(res.valid && v.version.startsWith('3.1'),
  `${file.replace(/.*\/api\//, 'api/')} is valid OpenAPI ${v.version} (openapi-schema-validator)` +
  (res.valid ? '' : `: ${JSON.stringify(res.errors).slice(0, 2000)}`));
if (res.valid) {
  let spec = null;
  try {
    spec = v.resolveRefs();
    say(true, 'every $ref resolves');
  } catch (e) {
    say(false, `a $ref does not resolve: ${e.message}`);
  }
  if (spec) {
    const bad = [];
    for (const [p, item] of Object.entries(spec.paths || {})) {
      for (const m of ['get', 'post', 'put', 'delete', 'patch']) {
        const op = item[m];
        if (!op) continue;
        if (!op.operationId || !op.summary) bad.push(`${m.toUpperCase()} ${p}: operationId and summary`);
        if (!Object.keys(op.responses || {}).some((s) => /^[45]/.test(s) || s === 'default'))
          bad.push(`${m.toUpperCase()} ${p}: no error response`);
      }
    }
    say(bad.length === 0, `every operation has an operationId, a summary and error responses${bad.length ? ': ' + bad.join('; ') : ''}`);
  }
}
process.exit(failed);
