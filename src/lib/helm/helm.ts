/**
 * Running the real helm binary (ARCMESH_HELM, the unpacked copy, or PATH; see ../package.ts) against a
 * kubeconfig context. helm's own messages are kept word for word in the errors: they are what users search for.
 */
import { execFile } from 'node:child_process';
import { REDACTED } from '../../azure/redact.js';
import { ArcmeshError } from '../errors.js';
import { findTool } from '../package.js';

export interface HelmTarget {
  /** KUBECONFIG for helm (one path or several joined as KUBECONFIG allows); undefined for ~/.kube/config. */
  kubeconfigEnv: string | undefined;
  /** The kubeconfig context, passed as --kube-context. */
  context: string;
}

export interface HelmRunOptions {
  signal?: AbortSignal | undefined;
  env?: NodeJS.ProcessEnv;
  /** What helm reads from stdin: values given as `--values -`, which then never touch the disk. */
  stdin?: string | undefined;
}

export interface HelmResult {
  stdout: string;
  stderr: string;
}

/** helm failed: its exit code and what it printed, for the caller to turn into an ArcmeshError. */
export class HelmFailure extends Error {
  override readonly name = 'HelmFailure';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(helmMessage(stderr) || `helm exited with code ${exitCode}`);
  }
}

/**
 * A helm command line as errors print it: the value of every `--set key=value` redacted, the key kept. Values
 * given with --set may be secrets (OSM's chart takes a Vault token), and nothing in a key says reliably which.
 */
export function printableHelmArgv(argv: readonly string[]): string[] {
  return argv.map((arg, index) => {
    if (argv[index - 1] !== '--set') return arg;
    const equals = arg.indexOf('=');
    return equals < 0 ? arg : `${arg.slice(0, equals)}=${REDACTED}`;
  });
}

/** helm's error without its `Error: ` prefix, on one line per problem. */
export function helmMessage(stderr: string): string {
  return stderr
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line && !line.startsWith('WARNING: '))
    .join('\n')
    .replace(/^Error: /, '');
}

export function runHelm(target: HelmTarget, args: string[], options: HelmRunOptions = {}): Promise<HelmResult> {
  const env = options.env ?? process.env;
  const binary = findTool('helm', env);
  const argv = [...args, '--kube-context', target.context];
  const childEnv = { ...env, ...(target.kubeconfigEnv === undefined ? {} : { KUBECONFIG: target.kubeconfigEnv }) };
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary,
      argv,
      { env: childEnv, signal: options.signal, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ stdout, stderr });
          return;
        }
        if (error.name === 'AbortError') {
          reject(
            new ArcmeshError(
              'interrupted',
              `Interrupted while helm ran (helm ${args[0]}).`,
              'Run the same command again: helm picks up from the release state.',
            ),
          );
          return;
        }
        if (typeof error.code === 'string') {
          reject(
            new ArcmeshError(
              'failed',
              `Could not run ${binary}: ${error.message}`,
              'Set ARCMESH_HELM to a working helm binary.',
              {
                cause: error,
              },
            ),
          );
          return;
        }
        reject(new HelmFailure(argv, typeof error.code === 'number' ? error.code : 1, stderr));
      },
    );
    if (options.stdin !== undefined && child.stdin) {
      // helm may exit before reading its values (a bad flag, an unreachable cluster): the write then fails with
      // EPIPE, and the exit callback above reports helm's own error. Any other write error is ours to report.
      child.stdin.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EPIPE') return;
        child.kill();
        reject(
          new ArcmeshError(
            'failed',
            `Could not pass values to ${binary} on stdin: ${error.message}`,
            'Run the same command again: helm picks up from the release state.',
            { cause: error },
          ),
        );
      });
      child.stdin.end(options.stdin);
    }
  });
}
