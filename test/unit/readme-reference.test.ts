import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

test('README’s command reference matches the commands (regenerate with `npm run build && npm run readme`)', async () => {
  const root = join(import.meta.dirname, '..', '..');
  const check = promisify(execFile)(process.execPath, [join(root, 'scripts', 'readme.mjs'), '--check'], { cwd: root });
  await expect(check).resolves.toBeDefined();
});
