#!/usr/bin/env node
// In a checkout (src/ present) the CLI runs from its TypeScript sources through tsx, so edits apply
// without a build; an installed package has no src/ and runs the JavaScript compiled at pack time.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
} else {
  await import('../dist-cli/cli/main.js');
}
