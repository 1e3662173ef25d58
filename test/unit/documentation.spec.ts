import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The README and the pages under docs/ are the project's map: every link and every repository path
 * they name must exist, and nothing in the repository may send a reader to a document it does not ship.
 */
const repo = resolve(__dirname, '../..');

const pages = [
  'README.md',
  ...readdirSync(join(repo, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(page: string): Set<string> {
  const text = readFileSync(join(repo, page), 'utf8');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1]!)));
}

/** The text outside fenced code blocks, where links and paths are prose. */
function prose(page: string): string {
  return readFileSync(join(repo, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
}

describe('the README and docs/', () => {
  it.each(pages)('%s: every relative link points at a file and heading that exist', (page) => {
    const broken: string[] = [];
    for (const [, target] of prose(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [file, anchor] = target!.split('#');
      const path = file === '' ? page : relative(repo, resolve(repo, dirname(page), file!));
      if (!existsSync(join(repo, path))) broken.push(`${target}: no file ${path}`);
      else if (anchor !== undefined && path.endsWith('.md') && !anchorsOf(path).has(anchor))
        broken.push(`${target}: no heading #${anchor} in ${path}`);
    }
    expect(broken).toEqual([]);
  });

  it.each(pages)('%s: every repository path it names exists', (page) => {
    const roots = 'apps|libs|test|bench|scripts|proto|examples|deploy|docs';
    const named = [...prose(page).matchAll(new RegExp(`\`((?:${roots})/[^\`\\s]*)\``, 'g'))]
      .map((match) => match[1]!)
      .filter((path) => !/[<>*{]|\.\./.test(path));
    expect(named.filter((path) => !existsSync(join(repo, path)))).toEqual([]);
  });
});

/** Source and documentation files the repository ships, outside generated and installed code. */
function shippedFiles(dir: string): string[] {
  return readdirSync(join(repo, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (['node_modules', 'dist', 'gen', '.git'].includes(name)) return [];
    if (statSync(join(repo, path)).isDirectory()) return shippedFiles(path);
    return /\.(ts|cjs|mjs|js|json|proto|sh|md|ya?ml)$/.test(name) ? [path] : [];
  });
}

describe('the repository stands alone', () => {
  // Spelled in pieces so that this file does not match itself.
  const pattern = new RegExp(
    [
      ['\\.\\.', '/shared'].join(''),
      ['DESIGN', '\\.md'].join(''),
      ['reference', '/'].join(''),
      '\u00a7',
      ['[Ii]ssue', ' [0-9]'].join(''),
    ].join('|'),
  );

  it('no code, comment, test, script or page points at a document outside the repository', () => {
    const roots = [
      'apps',
      'libs',
      'test',
      'bench',
      'scripts',
      'proto',
      'examples',
      'deploy',
      'docs',
    ];
    const files = [
      ...roots.filter((root) => existsSync(join(repo, root))).flatMap(shippedFiles),
      ...readdirSync(repo).filter((name) => /\.(md|json|cjs|mjs|ya?ml)$/.test(name)),
    ].filter((file) => file !== 'package-lock.json');
    const hits = files.flatMap((file) =>
      readFileSync(join(repo, file), 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          pattern.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(hits).toEqual([]);
  });
});
