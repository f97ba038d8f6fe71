/**
 * From the injector's decision to the Secret the pod mounts: the probes the patch rewrote become the bootstrap's
 * probe listeners, and the action (create, or copy for an already-injected pod) picks how the Secret is built.
 */
import { envoyBootstrap } from '../bootstrap/bootstrap.js';
import type { OriginalHealthProbes } from '../bootstrap/probes.js';
import { bootstrapSecret, copiedBootstrapSecret, type BootstrapSecret } from '../bootstrap/secret.js';
import type { MeshSettings } from '../catalog/model.js';
import type { IssuedCertificate } from '../certs/issuer.js';
import type { BootstrapSecretAction } from './patch.js';
import { PROBE_KINDS, type OriginalProbes } from './probes.js';

/** The patch's record of the app's probes, in the bootstrap's terms. */
export function bootstrapProbes(original: OriginalProbes): OriginalHealthProbes {
  const probes: OriginalHealthProbes = {};
  for (const kind of PROBE_KINDS) {
    const probe = original[kind];
    if (probe === undefined) continue;
    probes[kind] = {
      kind: probe.isTcpSocket ? 'tcp' : probe.isHttp ? 'http' : 'https',
      path: probe.path,
      port: probe.port,
      timeoutSeconds: probe.timeoutSeconds,
    };
  }
  return probes;
}

export interface InjectedSecretInput {
  action: BootstrapSecretAction;
  /** The pod's new `osm-proxy-uuid`. */
  uuid: string;
  /** request.namespace. */
  namespace: string;
  osmNamespace: string;
  meshName: string;
  meshVersion: string;
  settings: Pick<MeshSettings, 'tlsMinProtocolVersion' | 'tlsMaxProtocolVersion' | 'cipherSuites' | 'ecdhCurves'>;
  certificate: IssuedCertificate;
  originalProbes: OriginalProbes;
  /** For a copy: the data of the Secret named by `action.from`, or undefined when it does not exist. */
  existingData?: Record<string, string>;
}

export type InjectedSecretResult = { ok: true; secret: BootstrapSecret } | { ok: false; message: string };

/** The Secret to create; a message (for the denial) when it cannot be built. */
export function injectedBootstrapSecret(input: InjectedSecretInput): InjectedSecretResult {
  const { action, namespace } = input;
  const common = {
    uuid: input.uuid,
    namespace,
    certificate: input.certificate,
    meshName: input.meshName,
    meshVersion: input.meshVersion,
  };
  try {
    if (action.kind === 'copy') {
      if (input.existingData === undefined) {
        return {
          ok: false,
          message:
            `the pod mounts the bootstrap Secret ${namespace}/${action.from}, which does not exist, so it cannot be ` +
            'copied for this pod; remove the envoy-bootstrap-config-volume volume from the pod spec to inject it afresh',
        };
      }
      return { ok: true, secret: copiedBootstrapSecret({ ...common, existingData: input.existingData }) };
    }
    const bootstrap = envoyBootstrap({
      nodeId: input.certificate.commonName,
      osmNamespace: input.osmNamespace,
      probes: bootstrapProbes(input.originalProbes),
      tlsMinProtocolVersion: input.settings.tlsMinProtocolVersion,
      tlsMaxProtocolVersion: input.settings.tlsMaxProtocolVersion,
      cipherSuites: input.settings.cipherSuites,
      ecdhCurves: input.settings.ecdhCurves,
    });
    return { ok: true, secret: bootstrapSecret({ ...common, bootstrap }) };
  } catch (error) {
    const source = action.kind === 'copy' ? `the bootstrap Secret ${namespace}/${action.from} cannot be copied: ` : '';
    return { ok: false, message: `${source}${(error as Error).message}` };
  }
}
