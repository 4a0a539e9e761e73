// Import cycles among our TypeScript modules: every static import / export-from, type-only or not, and every
// `import('...')` with a literal path, resolved to files; cycles are the strongly connected components (Tarjan) of
// more than one module, or a module importing itself. `node --import tsx scripts/import-cycles.ts [dir...]` prints
// them and exits 1 when there is one; test/common/import-cycles.test.ts runs it over services/ in CI.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative module specifiers a file imports (static, re-exports, dynamic with a literal). */
export function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out.filter((s) => s.startsWith('.'));
}

/** The cycles among the .ts files under `dirs`, each as a list of paths relative to `root`, sorted. */
export function importCycles(dirs: readonly string[], root = process.cwd()): string[][] {
  const files = dirs.flatMap((d) => tsFiles(resolve(root, d)));
  const inside = new Set(files);
  const edges = new Map<string, string[]>();
  for (const f of files) {
    const targets = importsOf(f)
      .map((s) => resolve(dirname(f), s))
      .map((p) => (existsSync(p) ? p : p.replace(/\.js$/, '.ts')))
      .filter((p) => inside.has(p));
    edges.set(f, [...new Set(targets)]);
  }
  // Tarjan's strongly connected components
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)!.includes(v)) cycles.push(component.map((p) => relative(root, p)).sort());
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  return cycles;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dirs = process.argv.slice(2);
  const cycles = importCycles(dirs.length > 0 ? dirs : ['services']);
  for (const c of cycles) console.log(`import cycle: ${c.join(' <-> ')}`);
  if (cycles.length > 0) process.exit(1);
  console.log('no import cycles');
}
