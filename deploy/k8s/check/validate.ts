// Offline validation of rendered Kubernetes manifests, nothing fetched: each object against its Kubernetes schema
// (the `kubernetes-models` classes, and `@kubernetes-models/cert-manager` for cert-manager's), plus a strict
// unknown-field check of our own (those classes accept fields they do not know, and a misspelled field is exactly
// what silently turns a probe or a limit off): every key of every object must be a property of the model's
// TypeScript type, walked with the TypeScript compiler over the packages' declaration files.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export type K8sObject = { apiVersion: string; kind: string; metadata?: { name?: string }; [k: string]: unknown };

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Renders an overlay with `kubectl kustomize` (any kustomize from v2.0.3 on) and parses the YAML stream. */
export function render(dir: string, kubectl = process.env['KUBECTL'] ?? 'kubectl'): K8sObject[] {
  const out = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (out.error) throw new Error(`${kubectl} kustomize ${dir}: ${out.error.message}`);
  if (out.status !== 0) throw new Error(`${kubectl} kustomize ${dir} failed: ${out.stderr}`);
  return parseYamlStream(out.stdout);
}

/** YAML documents -> objects (Debian's python3-yaml: no YAML parser among our npm dependencies). */
export function parseYamlStream(text: string): K8sObject[] {
  const py = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)'],
    { input: text, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (py.status !== 0) throw new Error(`YAML parse failed: ${py.stderr}`);
  return JSON.parse(py.stdout) as K8sObject[];
}

/** Module that holds the model class of apiVersion/kind, e.g. apps/v1 Deployment -> kubernetes-models/apps/v1/Deployment. */
export function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group!.endsWith('cert-manager.io')) return `@kubernetes-models/cert-manager/${group}/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

export interface Problem {
  object: string;
  path: string;
  message: string;
}

const label = (o: K8sObject): string => `${o.kind}/${o.metadata?.name ?? '?'}`;

/** Schema validation (types, required fields, enums) through each model's own validate(). */
export async function schemaProblems(objects: readonly K8sObject[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const o of objects) {
    let mod: Record<string, new (data: unknown) => { validate(): void }>;
    try {
      mod = (await import(modelModule(o.apiVersion, o.kind))) as typeof mod;
    } catch {
      problems.push({ object: label(o), path: '', message: `no schema for ${o.apiVersion} ${o.kind}` });
      continue;
    }
    const Model = mod[o.kind]!;
    try {
      new Model(o).validate();
    } catch (e) {
      problems.push({ object: label(o), path: '', message: e instanceof Error ? e.message : String(e) });
    }
  }
  return problems;
}

/** Keys no schema knows (misspellings), found by walking each object against its model's TypeScript type. */
export function unknownFieldProblems(objects: readonly K8sObject[]): Problem[] {
  const kinds = [...new Map(objects.map((o) => [`${o.apiVersion} ${o.kind}`, o])).values()];
  const lines = kinds.map(
    (o, i) => `import type { I${o.kind} as T${i} } from ${JSON.stringify(modelModule(o.apiVersion, o.kind))};\nexport type X${i} = T${i};`,
  );
  const entry = join(ROOT, '__k8s_models__.ts');
  const host = ts.createCompilerHost({});
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === entry ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === entry || fileExists(name);
  const program = ts.createProgram([entry], options, host);
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(entry)!;
  const aliases = new Map<string, ts.Type>();
  ts.forEachChild(sf, (node) => {
    if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, checker.getTypeAtLocation(node));
  });

  const problems: Problem[] = [];
  const objectTypes = (t: ts.Type): ts.Type[] =>
    t.isUnion()
      ? t.types.flatMap(objectTypes)
      : t.flags & ts.TypeFlags.Object
        ? [t]
        : [];
  const walk = (value: unknown, type: ts.Type, path: string, object: string): void => {
    if (value === null || typeof value !== 'object') return;
    const candidates = objectTypes(type);
    if (candidates.length === 0) return; // e.g. `any`, or a primitive: the schema check reports type mismatches
    if (Array.isArray(value)) {
      const elem = candidates.map((c) => checker.getIndexTypeOfType(c, ts.IndexKind.Number)).find(Boolean);
      if (elem) value.forEach((v, i) => walk(v, elem, `${path}[${i}]`, object));
      return;
    }
    for (const [key, v] of Object.entries(value)) {
      const props = candidates.map((c) => c.getProperty(key)).filter((p): p is ts.Symbol => p !== undefined);
      if (props.length > 0) {
        walk(v, checker.getNonNullableType(checker.getTypeOfSymbol(props[0]!)), `${path}.${key}`, object);
        continue;
      }
      const index = candidates.map((c) => checker.getIndexTypeOfType(c, ts.IndexKind.String)).find(Boolean);
      if (index) {
        walk(v, index, `${path}.${key}`, object);
        continue;
      }
      problems.push({ object, path: `${path}.${key}`, message: `unknown field "${key}"` });
    }
  };
  for (const o of objects) {
    const i = kinds.findIndex((k) => k.apiVersion === o.apiVersion && k.kind === o.kind);
    const type = aliases.get(`X${i}`);
    if (!type) {
      problems.push({ object: label(o), path: '', message: `no type for ${o.apiVersion} ${o.kind}` });
      continue;
    }
    walk(o, type, '', label(o));
  }
  return problems;
}
