/**
 * Which images the sandbox's node really runs, and how: a table from image repository to the process that stands
 * for the image's entry point. Every other image is not run — its containers are reported started and ready at
 * once, as the sandbox always did, so workloads of any image still roll out.
 *
 * The control-plane image is built by the repository's Dockerfile from this package: WORKDIR /app holding dist/
 * and node_modules, run with `node`. The node runs the same files from the package root, so the chart's
 * `command: ["node", "/app/dist/controlplane/main.js"]` runs here exactly as in the image
 * (test/unit/sandbox-node-dockerfile.test.ts holds the Dockerfile to these constants).
 */
import { join } from 'node:path';

export const CONTROL_PLANE_REPOSITORY = 'ghcr.io/arcmesh/controlplane';
/** The control-plane image's WORKDIR, where the package sits inside it. */
export const CONTROL_PLANE_WORKDIR = '/app';
/** The image's entry point when a container gives no command (the Dockerfile's CMD). */
export const CONTROL_PLANE_ENTRY_POINT = ['node', `${CONTROL_PLANE_WORKDIR}/dist/controlplane/main.js`];
/** The Envoy stand-in, relative to the package root (src/sandbox/node/envoy-standin/main.ts built). */
export const ENVOY_STANDIN_ENTRY_POINT = 'dist/sandbox/node/envoy-standin/main.js';
/** The stand-in answers its admin `/ready` with 200 once its first configuration is accepted. */
export const ENVOY_ADMIN_PORT = 15000;

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
}

export interface HttpGetProbe {
  path?: string;
  port: number | string;
  scheme?: 'HTTP' | 'HTTPS';
  httpHeaders?: Array<{ name: string; value: string }>;
}

export interface ProbeSpec {
  httpGet?: HttpGetProbe;
  tcpSocket?: { port: number | string };
  exec?: unknown;
  grpc?: unknown;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export type ImageKind = 'control-plane' | 'envoy';

export interface ProcessPlan {
  kind: ImageKind;
  /** The executable and its arguments: the Node that runs the sandbox, then the entry point's file and args. */
  argv: string[];
  /** A readiness check the image brings with it, used when the container declares none. */
  readiness?: ProbeSpec;
}

/** An image reference's repository: without its digest and tag (`mcr.microsoft.com/oss/envoyproxy/envoy`). */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
}

export function imageKind(image: string | undefined): ImageKind | undefined {
  if (!image) return undefined;
  const repository = imageRepository(image);
  if (repository === CONTROL_PLANE_REPOSITORY) return 'control-plane';
  if (repository === 'envoyproxy/envoy' || repository.endsWith('/envoyproxy/envoy')) return 'envoy';
  return undefined;
}

/** True when the node runs this image as a process; the others are only reported running. */
export const runsAsProcess = (image: string | undefined): boolean => imageKind(image) !== undefined;

export class UnrunnableCommandError extends Error {}

/**
 * The process for a container of an image the node runs, or undefined for other images. `nodeExecutable` stands
 * for the image's `node`; paths under the image's WORKDIR are the package root's.
 * Throws UnrunnableCommandError for a command the image could run but the sandbox cannot (another executable).
 */
export function processPlan(
  container: ContainerSpec,
  packageRoot: string,
  nodeExecutable: string,
): ProcessPlan | undefined {
  const kind = imageKind(container.image);
  if (kind === 'envoy')
    return {
      kind,
      argv: [nodeExecutable, join(packageRoot, ENVOY_STANDIN_ENTRY_POINT), ...(container.args ?? [])],
      readiness: { httpGet: { path: '/ready', port: ENVOY_ADMIN_PORT }, periodSeconds: 1, failureThreshold: 1 },
    };
  if (kind !== 'control-plane') return undefined;
  // As a container runtime does: `command` replaces the image's entry point, `args` are appended to it.
  const argv = [...(container.command ?? CONTROL_PLANE_ENTRY_POINT), ...(container.args ?? [])];
  if (argv[0] !== 'node')
    throw new UnrunnableCommandError(
      `the sandbox runs ${CONTROL_PLANE_REPOSITORY} only with its node entry point, not "${argv[0]}"`,
    );
  const inImage = `${CONTROL_PLANE_WORKDIR}/`;
  return {
    kind,
    argv: [
      nodeExecutable,
      ...argv.slice(1).map((arg) => (arg.startsWith(inImage) ? join(packageRoot, arg.slice(inImage.length)) : arg)),
    ],
  };
}
