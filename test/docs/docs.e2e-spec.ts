import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as ts from 'typescript';
import {
  BUILTIN_ACTIONS,
  BUILTIN_CATEGORIES,
} from '../../libs/audit-log/src/catalog/builtin-actions';
import { EXPORT_CSV_COLUMNS } from '../../libs/audit-log/src/export/csv/export-csv';

// Keeps docs/ true: what the code has, the docs name, and what the docs name, the code has.
const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'libs', 'audit-log', 'src');
const read = (...p: string[]) => readFileSync(join(ROOT, ...p), 'utf8');
const CLI = join(ROOT, 'dist', 'apps', 'admin', 'src', 'cli.js');

function filesUnder(dir: string, ext = '.ts'): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : filesUnder(path, ext);
    return path.endsWith(ext) ? [path] : [];
  });
}

/** The lines of the markdown table right under `heading` (first column cells, backticks kept). */
function tableFirstColumn(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const rest = markdown.slice(start + heading.length + 2);
  const lines = rest.split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|')[1].trim());
  }
  return rows;
}

const backticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

/** The property names of `name` in `file`, and of the object types written inline in it. */
function interfaceKeys(file: string, name: string): { top: string[]; nested: string[] } {
  const source = ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  let found: ts.InterfaceDeclaration | undefined;
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === name) found = node;
  });
  if (!found) throw new Error(`no interface ${name} in ${file}`);
  const top: string[] = [];
  const nested: string[] = [];
  for (const member of found.members) {
    if (!ts.isPropertySignature(member)) continue;
    top.push(member.name.getText(source));
    const visit = (node: ts.Node) => {
      if (ts.isTypeLiteralNode(node))
        for (const m of node.members) if (m.name) nested.push(m.name.getText(source));
      node.forEachChild(visit);
    };
    if (member.type) visit(member.type);
  }
  return { top, nested };
}

describe('docs/', () => {
  const configuration = read('docs', 'configuration.md');
  const operations = read('docs', 'operations.md');
  const events = read('docs', 'events.md');
  const api = read('docs', 'api.md');

  it('configuration.md lists exactly the environment variables the admin app reads', () => {
    const code = filesUnder(join(ROOT, 'apps', 'admin', 'src'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const readByApp = new Set(
      [
        ...code.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g),
        ...code.matchAll(/\benv, '([A-Z][A-Z0-9_]+)'/g),
        ...code.matchAll(/\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g),
      ].map((m) => m[1]),
    );
    expect(readByApp.size).toBeGreaterThan(20);
    const documented = tableFirstColumn(configuration, '## Environment variables of the admin app')
      .flatMap(backticked)
      .sort();
    expect(documented).toEqual([...readByApp].sort());
  });

  it.each([
    ['audit-log-options.interface.ts', 'AuditLogModuleOptions', '### `AuditLogModule`'],
    ['admin/audit-admin-options.interface.ts', 'AuditAdminModuleOptions', '### `AuditAdminModule`'],
    ['export/export-options.interface.ts', 'AuditExportModuleOptions', '### `AuditExportModule`'],
    [
      'retention/retention-options.interface.ts',
      'AuditRetentionModuleOptions',
      '### `AuditRetentionModule`',
    ],
    [
      'metrics/audit-metrics-options.interface.ts',
      'AuditMetricsModuleOptions',
      '### `AuditMetricsModule`',
    ],
    [
      'destinations/destinations-options.interface.ts',
      'AuditDestinationsModuleOptions',
      '### `AuditDestinationsModule`',
    ],
  ])('configuration.md documents every option of %s (%s)', (file, name, heading) => {
    const { top, nested } = interfaceKeys(join(SRC, file), name);
    const line = configuration.split('\n').find((l) => l.startsWith(heading));
    expect({ heading, found: !!line }).toEqual({ heading, found: true });
    const documented = tableFirstColumn(configuration, line!).flatMap(backticked);
    expect(top.filter((k) => !documented.includes(k))).toEqual([]);
    expect(documented.filter((k) => !top.includes(k) && k !== 'isGlobal')).toEqual([]);
    expect(nested.filter((k) => !configuration.includes(`\`${k}\``))).toEqual([]);
  });

  it('configuration.md documents every key of the nested option types', () => {
    const nestedTypes: [string, string][] = [
      ['integrity/integrity-options.interface.ts', 'AuditIntegrityOptions'],
      ['admin/audit-admin-options.interface.ts', 'AuditAdminRateLimitOptions'],
      ['export/export-options.interface.ts', 'AuditExportQueueOptions'],
      ['export/export-options.interface.ts', 'AuditExportRateLimitOptions'],
      ['auth/jwt.ts', 'JwtAuthOptions'],
    ];
    const missing = nestedTypes.flatMap(([file, name]) =>
      interfaceKeys(join(SRC, file), name)
        .top.filter((k) => !configuration.includes(`\`${k}\``))
        .map((k) => `${name}.${k}`),
    );
    expect(missing).toEqual([]);
  });

  it('api.md names every operation of docs/openapi.json', () => {
    const doc = JSON.parse(read('docs', 'openapi.json')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.length).toBeGreaterThan(10);
    expect(operations.filter((op) => !api.includes(op))).toEqual([]);
  });

  it('operations.md names every command and option of `npm run auditkit -- --help`', () => {
    expect(existsSync(CLI)).toBe(true); // built by `npm test` (pretest) or `npm run build`
    const dataDir = mkdtempSync(join(tmpdir(), 'auditkit-docs-'));
    try {
      const r = spawnSync(process.execPath, [CLI, '--help'], {
        env: { PATH: process.env.PATH, AUDITKIT_DATA_DIR: dataDir },
        encoding: 'utf8',
        timeout: 60000,
      });
      expect(r.status).toBe(0);
      const commandsPart = r.stdout.split('Commands:')[1].split('\n\n')[0];
      const commands = [...commandsPart.matchAll(/^ {2}([a-z][a-z-]+)/gm)].map((m) => m[1]);
      expect(commands).toEqual(expect.arrayContaining(['migrate', 'verify', 'verify-export']));
      const flags = [...new Set([...commandsPart.matchAll(/(--[a-z][a-z-]+)/g)].map((m) => m[1]))];
      const section = operations.split('## The command line')[1].split('\n## ')[0];
      expect(commands.filter((c) => !section.includes(`| \`${c}`))).toEqual([]);
      expect(flags.filter((f) => !section.includes(f))).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('events.md has every built-in category, action and CSV column', () => {
    const missing = [
      ...BUILTIN_CATEGORIES.map((c) => c.id),
      ...BUILTIN_ACTIONS.map((a) => a.id),
      'audit_log_exported',
      'audit_log_downloaded',
      ...EXPORT_CSV_COLUMNS,
    ].filter((id) => !events.includes(`\`${id}\``));
    expect(missing).toEqual([]);
  });

  it('relative links in README.md and docs/*.md point at files that exist', () => {
    const pages = [
      'README.md',
      ...readdirSync(join(ROOT, 'docs'))
        .filter((n) => n.endsWith('.md'))
        .map((n) => `docs/${n}`),
    ];
    const broken: string[] = [];
    for (const page of pages) {
      const text = read(page);
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const path = resolve(dirname(join(ROOT, page)), target.split('#')[0]);
        if (!existsSync(path)) broken.push(`${page} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the docs files that code and tests name exist (comments point inside the repo)', () => {
    const files = ['libs', 'apps', 'test', 'bench'].flatMap((d) => filesUnder(join(ROOT, d)));
    const named = new Set(
      files.flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/\bdocs\/[\w.-]+\.(?:md|json)\b/g)].map((m) => m[0]),
      ),
    );
    expect([...named].filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });
});
