// `cem analyze` reads the Lit sources; the manifest then points at the files the package ships
// (dist-esm/*.js), since src/ is not in the tarball.
export default {
  globs: ['src/ui/*.ts'],
  exclude: ['src/ui/index.ts', 'src/ui/client.ts', 'src/ui/colormap.ts'],
  outdir: '.',
  litelement: true,
  plugins: [
    {
      name: 'histoscan:shipped-paths',
      packageLinkPhase({ customElementsManifest }) {
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
