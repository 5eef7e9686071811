// tsc keeps `./x.ts` specifiers in the declarations it emits (rewriteRelativeImportExtensions
// only rewrites JavaScript), and an installer's tsc looks for `./x.js` beside `./x.d.ts`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? 'dist-esm';
let files = 0;
for (const entry of readdirSync(root, { recursive: true })) {
  const path = join(root, String(entry));
  if (!path.endsWith('.d.ts')) continue;
  const text = readFileSync(path, 'utf8');
  const out = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1$2.js$3');
  if (out !== text) writeFileSync(path, out);
  files++;
}
if (files === 0) throw new Error(`no declarations under ${root}`);
