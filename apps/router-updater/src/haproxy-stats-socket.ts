import { createConnection, type Socket } from 'node:net';

/** HAProxy answers a successful `set server` or `shutdown sessions` with nothing but blank lines. */
function failureIn(answer: string): string | undefined {
  const text = answer.trim();
  return text === '' ? undefined : text;
}

function connectTo(address: string): Socket {
  if (address.startsWith('/')) return createConnection(address);
  const colon = address.lastIndexOf(':');
  return createConnection({
    host: address.slice(0, colon).replace(/^\[|\]$/g, ''),
    port: Number(address.slice(colon + 1)),
  });
}

/**
 * Sends runtime API commands to an HAProxy stats socket (a Unix path or `host:port`), one connection
 * for all of them in the socket's non-interactive mode (commands separated by `;`). Rejects when the
 * socket cannot be reached, does not answer within `timeoutMs`, or HAProxy refuses a command.
 */
export function sendRuntimeCommands(
  address: string,
  commands: readonly string[],
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connectTo(address);
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no answer within ${timeoutMs} ms`)),
    );
    socket.on('connect', () => socket.end(`${commands.join(';')}\n`));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (hadError) return;
      const failure = failureIn(answer);
      if (failure === undefined) resolve();
      else reject(new Error(`HAProxy refused: ${failure}`));
    });
  });
}
