// `cem analyze` reads the Lit sources; the manifest then points at the files the package ships
// (dist-esm/*.js), since src/ is not in the tarball. Lit's internal reactive state
// (`static properties = { x: { state: true } }`) is neither an attribute nor API: left out.
import { readFileSync } from 'node:fs';

const internalState = (path) => [...readFileSync(path, 'utf8').matchAll(/^\s+(\w+): \{ state: true \}/gm)].map((m) => m[1]);

export default {
  globs: ['src/ui/*.ts'],
  exclude: ['src/ui/index.ts', 'src/ui/client.ts', 'src/ui/colormap.ts'],
  outdir: '.',
  litelement: true,
  plugins: [
    {
      name: 'histoscan:shipped-paths',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          const hidden = new Set(internalState(mod.path));
          for (const d of mod.declarations ?? []) {
            if (d.attributes) d.attributes = d.attributes.filter((a) => !hidden.has(a.name));
            if (d.members) d.members = d.members.filter((m) => !hidden.has(m.name));
          }
        }
        const shipped = (p) => p.replace(/^src\//, 'dist-esm/').replace(/\.ts$/, '.js');
        const walk = (v) => {
          if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v === 'object') {
            for (const [k, x] of Object.entries(v)) {
              if ((k === 'path' || k === 'module') && typeof x === 'string') v[k] = shipped(x);
              else walk(x);
            }
          }
        };
        walk(customElementsManifest.modules);
      },
    },
  ],
};
