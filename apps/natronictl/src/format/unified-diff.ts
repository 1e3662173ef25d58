/**
 * A unified diff of two texts, line by line, as Python's `difflib.unified_diff` prints it for
 * patronictl's `edit-config` (empty file names, three lines of context). The texts are small
 * configurations, so a longest-common-subsequence table is quick enough.
 */
export function unifiedDiff(before: string, after: string, context = 3): string[] {
  const a = linesOf(before);
  const b = linesOf(after);
  const common: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      common[i]![j] =
        a[i] === b[j]
          ? common[i + 1]![j + 1]! + 1
          : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
  type Edit = { kind: ' ' | '-' | '+'; line: string };
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      edits.push({ kind: ' ', line: a[i++]! });
      j++;
    } else if (j < b.length && (i >= a.length || common[i]![j + 1]! >= common[i + 1]![j]!)) {
      edits.push({ kind: '+', line: b[j++]! });
    } else {
      edits.push({ kind: '-', line: a[i++]! });
    }
  }
  // difflib lists a change's deletions before its insertions.
  for (let k = 1; k < edits.length; k++) {
    let at = k;
    while (at > 0 && edits[at]!.kind === '-' && edits[at - 1]!.kind === '+') {
      [edits[at - 1], edits[at]] = [edits[at]!, edits[at - 1]!];
      at--;
    }
  }
  const changed = edits.flatMap((edit, index) => (edit.kind === ' ' ? [] : [index]));
  if (changed.length === 0) return [];
  const hunks: [number, number][] = [];
  for (const index of changed) {
    const start = Math.max(0, index - context);
    const end = Math.min(edits.length - 1, index + context);
    const last = hunks.at(-1);
    if (last && start <= last[1] + 1) last[1] = end;
    else hunks.push([start, end]);
  }
  const output = ['--- ', '+++ '];
  for (const [start, end] of hunks) {
    const slice = edits.slice(start, end + 1);
    const aLines = slice.filter((edit) => edit.kind !== '+').length;
    const bLines = slice.filter((edit) => edit.kind !== '-').length;
    const before = edits.slice(0, start);
    const aStart = before.filter((edit) => edit.kind !== '+').length;
    const bStart = before.filter((edit) => edit.kind !== '-').length;
    output.push(`@@ -${range(aStart, aLines)} +${range(bStart, bLines)} @@`);
    for (const edit of slice) output.push(edit.kind + edit.line);
  }
  return output;
}

function linesOf(text: string): string[] {
  return text.replace(/\n+$/, '').split('\n');
}

/** difflib's hunk range: `start,length`, 1-based; `start` alone for one line; one before for none. */
function range(startIndex: number, length: number): string {
  if (length === 1) return String(startIndex + 1);
  if (length === 0) return `${startIndex},0`;
  return `${startIndex + 1},${length}`;
}
