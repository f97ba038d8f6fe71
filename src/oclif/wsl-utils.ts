/**
 * What the CLI bundle gives oclif in place of `wsl-utils`. oclif imports it for two things: whether this is WSL
 * (on every start, to name the platform) and, on Windows without $SHELL, PowerShell's path. wsl-utils loads
 * child_process, fs/promises and powershell-utils as it is imported, about 15 ms of every start; its `isWsl` is
 * is-wsl's answer, which is cheap, and the rest is loaded only when oclif asks for it.
 */
import isWsl from 'is-wsl';

export { isWsl };

export async function powerShellPath(): Promise<string> {
  return (await import('wsl-utils')).powerShellPath();
}
