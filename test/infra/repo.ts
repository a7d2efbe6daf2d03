import fs from 'node:fs';
import path from 'node:path';

/** What the code says about deployment, read from the working tree each run. */
export interface RepoFacts {
  /** functions/<dir>/index.ts and the target(s) it registers with functions-framework. */
  functions: { dir: string; targets: string[] }[];
  /** Directories functions/index.ts (the package "main") imports by name. */
  registryImports: string[];
  /** functions/index.ts imports ./<name>/index.js for each function of the manifest. */
  registryImportsManifest: boolean;
  /** Names registered in shared/cli/commands/index.ts. */
  cliCommands: string[];
  /** package.json bin.pitwall, e.g. dist/shared/cli/main.js. */
  cliBin: string;
  /** package.json "main". */
  packageMain: string;
  scripts: Record<string, string>;
  /** ENTRYPOINT of the training image (top-level Dockerfile), exec form. */
  dockerEntrypoint?: string[];
}

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export function readRepoFacts(root: string = repoRoot): RepoFacts {
  const functionsDir = path.join(root, 'functions');
  const functions = fs
    .readdirSync(functionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(functionsDir, d.name, 'index.ts')))
    .map((d) => ({ dir: d.name, targets: registeredTargets(fs.readFileSync(path.join(functionsDir, d.name, 'index.ts'), 'utf8')) }))
    .sort((a, b) => a.dir.localeCompare(b.dir));

  const registry = fs.readFileSync(path.join(functionsDir, 'index.ts'), 'utf8');
  // Static `import './x/index.js'` or lazy `import('./x/index.js')`, or import(`./${name}/index.js`) over functionManifest.
  const registryImports = [...registry.matchAll(/\bimport\s*\(?\s*['"]\.\/([\w-]+)\/index\.js['"]/g)].map((m) => m[1] ?? '');
  const registryImportsManifest = /\bfunctionManifest\b/.test(registry) && /\bimport\(\s*`\.\/\$\{[\w.]+\}\/index\.js`\s*\)/.test(registry);

  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    main: string;
    bin: Record<string, string>;
    scripts: Record<string, string>;
  };

  const dockerfile = path.join(root, 'Dockerfile');
  const entrypoint = fs.existsSync(dockerfile)
    ? /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(fs.readFileSync(dockerfile, 'utf8'))?.[1]
    : undefined;

  return {
    functions,
    registryImports,
    registryImportsManifest,
    cliCommands: cliCommandNames(fs.readFileSync(path.join(root, 'shared/cli/commands/index.ts'), 'utf8')),
    cliBin: normalise(pkg.bin.pitwall ?? ''),
    packageMain: normalise(pkg.main),
    scripts: pkg.scripts,
    ...(entrypoint ? { dockerEntrypoint: JSON.parse(entrypoint) as string[] } : {}),
  };
}

/** Targets registered with http('name', ...), cloudEvent('name', ...) or register('name') (functions/register.ts). */
export function registeredTargets(source: string): string[] {
  return [...source.matchAll(/\b(?:http|cloudEvent|register)\(\s*['"`]([\w-]+)['"`]/g)].map((m) => m[1] ?? '');
}

/** Keys of the `commands` object literal in shared/cli/commands/index.ts. */
export function cliCommandNames(source: string): string[] {
  const body = /export const commands[^=]*=\s*\{([\s\S]*?)\n\};/.exec(source)?.[1] ?? '';
  const named = [...body.matchAll(/^\s*(?:'([^']+)'|"([^"]+)"|([A-Za-z_$][\w$]*))\s*:/gm)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  const shorthand = [...body.matchAll(/^\s*([A-Za-z_$][\w$]*)\s*,?\s*$/gm)].map((m) => m[1] ?? '');
  return [...named, ...shorthand];
}

function normalise(p: string): string {
  return p.replace(/^\.\//, '');
}
