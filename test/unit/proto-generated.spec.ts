import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

const repoRoot = resolve(__dirname, '../..');
const committedDir = join(repoRoot, 'libs/proto/src/gen');
const buf = join(repoRoot, 'node_modules/.bin/buf');

interface GenTemplate {
  plugins: { out: string }[];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

// Runs the committed buf.gen.yaml with only its output directory changed.
function generateInto(outDir: string, workDir: string): void {
  const template = parse(readFileSync(join(repoRoot, 'buf.gen.yaml'), 'utf8')) as GenTemplate;
  for (const plugin of template.plugins) plugin.out = outDir;
  const templatePath = join(workDir, 'buf.gen.yaml');
  writeFileSync(templatePath, stringify(template));
  const run = spawnSync(buf, ['generate', '--template', templatePath], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.error || run.status !== 0) {
    throw new Error(
      `buf generate failed (status ${run.status}, ${run.error?.message ?? 'no spawn error'}): ${run.stderr}`,
    );
  }
}

describe('generated TypeScript in libs/proto/src/gen', () => {
  let workDir: string;

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'natroni-proto-'));
  });

  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('matches what proto/ generates', () => {
    const freshDir = join(workDir, 'gen');
    generateInto(freshDir, workDir);

    const fresh = filesUnder(freshDir);
    const committed = filesUnder(committedDir);
    expect(fresh.length).toBeGreaterThan(0);

    const stale = [
      ...fresh.filter((file) => !committed.includes(file)).map((file) => `${file} (missing)`),
      ...committed
        .filter((file) => !fresh.includes(file))
        .map((file) => `${file} (no longer generated)`),
      ...fresh
        .filter((file) => committed.includes(file))
        .filter(
          (file) =>
            readFileSync(join(freshDir, file), 'utf8') !==
            readFileSync(join(committedDir, file), 'utf8'),
        )
        .map((file) => `${file} (out of date)`),
    ];
    if (stale.length > 0) {
      throw new Error(
        `Generated code in libs/proto/src/gen is stale: ${stale.join(', ')}. Run \`npm run proto:gen\`.`,
      );
    }
  });
});
