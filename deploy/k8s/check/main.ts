// `node --import tsx deploy/k8s/check/main.ts [overlay dir...]` (default: every overlay): renders each overlay with
// `kubectl kustomize` (env KUBECTL picks another binary) and checks it offline — Kubernetes schemas, unknown fields,
// and our workload rules. Prints every problem; exits 1 when there is one.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { policyProblems } from './policy.ts';
import { render, schemaProblems, unknownFieldProblems, type Problem } from './validate.ts';

export const OVERLAYS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'overlays');

export async function checkOverlay(dir: string): Promise<{ objects: number; problems: Problem[] }> {
  const objects = render(dir);
  const problems = [...(await schemaProblems(objects)), ...unknownFieldProblems(objects), ...policyProblems(objects)];
  return { objects: objects.length, problems };
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const dirs = process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(OVERLAYS_DIR).sort().map((d) => join(OVERLAYS_DIR, d));
  let bad = 0;
  for (const dir of dirs) {
    const { objects, problems } = await checkOverlay(dir);
    bad += problems.length;
    process.stdout.write(`${dir}: ${objects} objects, ${problems.length} problem(s)\n`);
    for (const p of problems) process.stdout.write(`  ${p.object}${p.path}: ${p.message}\n`);
  }
  process.exitCode = bad === 0 ? 0 : 1;
}
