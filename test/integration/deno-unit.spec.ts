import { runDeno, scratchDenoDir } from '../support/deno.ts';

describe('deno test: the pure libraries under Deno', () => {
  it('type-checks and passes test/deno (libs/domain, libs/proto)', async () => {
    const denoDir = await scratchDenoDir();
    try {
      const run = await runDeno(['test', 'test/deno/'], { DENO_DIR: denoDir.path }, 120_000);
      expect({ code: run.code, output: run.output }).toEqual({
        code: 0,
        output: expect.stringMatching(/ok \| \d+ passed \| 0 failed/),
      });
    } finally {
      await denoDir.dispose();
    }
  });

  it('type-checks the entry point of the client library and the example plugin', async () => {
    const denoDir = await scratchDenoDir();
    try {
      const run = await runDeno(
        ['check', 'libs/client/mod.ts', 'examples/cluster-webhook.ts'],
        { DENO_DIR: denoDir.path },
        120_000,
      );
      expect({ code: run.code, output: run.output }).toEqual({
        code: 0,
        output: expect.any(String),
      });
    } finally {
      await denoDir.dispose();
    }
  });
});
