import { ArcmeshCommand } from '../_shared/base-command.js';
import { defaultSandboxStateDir, readSandboxEndpoints } from '../../sandbox/connection.js';
import { sandboxEnvironment } from '../../sandbox/lifecycle.js';
import { stateDirFlag } from './shared.js';

export default class SandboxEnv extends ArcmeshCommand<typeof SandboxEnv> {
  static override summary = 'Print the shell exports that point arcmesh at the running sandbox.';
  static override examples = ['eval "$(<%= config.bin %> sandbox env)"'];
  static override flags = { 'state-dir': stateDirFlag };

  override async run(): Promise<void> {
    const stateDir = this.flags['state-dir'] ?? defaultSandboxStateDir();
    const endpoints = await readSandboxEndpoints(stateDir);
    // Shell code for eval, not a result document: the output formats do not apply.
    process.stdout.write(`${sandboxEnvironment(stateDir, endpoints).join('\n')}\n`);
  }
}
