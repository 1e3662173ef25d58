/** PostgreSQL LSNs ("X/Y", two hexadecimal 32-bit halves) as byte offsets, exact up to 2^53. */
const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;
const HALF = 0x1_0000_0000;

export function parseLsn(text: string): number {
  const match = LSN_PATTERN.exec(text.trim());
  if (!match) throw new Error(`invalid LSN ${JSON.stringify(text)}: expected "X/Y" in hexadecimal`);
  return parseInt(match[1], 16) * HALF + parseInt(match[2], 16);
}

export function formatLsn(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new Error(`invalid LSN offset ${offset}: expected a non-negative safe integer`);
  }
  const high = Math.floor(offset / HALF);
  const low = offset % HALF;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** The timeline of a WAL segment file name (its first 8 hexadecimal digits). */
export function timelineOfWalFile(walFileName: string): number {
  if (!/^[0-9A-Fa-f]{24}$/.test(walFileName)) {
    throw new Error(`invalid WAL file name ${JSON.stringify(walFileName)}`);
  }
  return parseInt(walFileName.slice(0, 8), 16);
}
