import { ArcmeshCommand } from '../_shared/base-command.js';
import { defaultSandboxStateDir } from '../../sandbox/connection.js';
import { sandboxStatus } from '../../sandbox/lifecycle.js';
import { EXIT_CODES } from '../../lib/errors.js';
import { stateDirFlag } from './shared.js';

export default class SandboxStatus extends ArcmeshCommand<typeof SandboxStatus> {
  static override summary = 'Show whether a sandbox is running, its pid and URLs (exit code 3 when none is running).';
  static override flags = { 'state-dir': stateDirFlag };

  override async run(): Promise<void> {
    const status = await sandboxStatus(this.flags['state-dir'] ?? defaultSandboxStateDir());
    this.print(status);
    if (!status.running) process.exitCode = EXIT_CODES.notFound;
  }
}
