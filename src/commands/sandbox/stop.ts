import { ArcmeshCommand } from '../_shared/base-command.js';
import { defaultSandboxStateDir } from '../../sandbox/connection.js';
import { stopSandbox } from '../../sandbox/lifecycle.js';
import { stateDirFlag } from './shared.js';

export default class SandboxStop extends ArcmeshCommand<typeof SandboxStop> {
  static override summary = 'Stop the sandbox started by `sandbox start` (its state stays for the next start).';
  static override flags = { 'state-dir': stateDirFlag };

  override async run(): Promise<void> {
    const stateDir = this.flags['state-dir'] ?? defaultSandboxStateDir();
    const pid = await stopSandbox(stateDir);
    if (pid === undefined) this.reporter.warn(`No sandbox was running for ${stateDir}.`);
    this.print({ stopped: pid !== undefined, pid: pid ?? null, stateDir });
  }
}
