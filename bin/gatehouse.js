#!/usr/bin/env node
// `npx gatehouse <command>`: runs the compiled CLI when built (the Docker image), the
// TypeScript source through tsx otherwise (a checkout).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
