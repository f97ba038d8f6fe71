import { describe, expect, it } from 'vitest';
import {
  admissionResponse,
  injectorOutcome,
  type AdmissionOutcome,
  type AdmissionReview,
  type InjectorContext,
  type PodAdmission,
} from '../../src/controlplane/injector/admission.js';
import type { SidecarPatch } from '../../src/controlplane/injector/patch.js';
import type { Pod } from '../../src/controlplane/injector/pod.js';
import { SETTINGS, UUID } from '../fixtures/controlplane/injector.js';

const REQUEST_UID = '3a0d0c52-5d1c-4b8e-9d4e-2f9a1b7c6e01';

const CONTEXT: InjectorContext = {
  namespace: {
    name: 'bookbuyer',
    labels: { 'openservicemesh.io/monitored-by': 'osm' },
    annotations: { 'openservicemesh.io/sidecar-injection': 'enabled' },
  },
  meshName: 'osm',
  osmNamespace: 'osm-system',
  settings: SETTINGS,
  proxyUuid: UUID,
};

function review(pod: Pod, extra: Record<string, unknown> = {}): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: REQUEST_UID,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'bookbuyer',
      operation: 'CREATE',
      object: pod,
      ...extra,
    },
  };
}

function bookbuyer(annotations: Record<string, string> = {}): Pod {
  return {
    metadata: { generateName: 'bookbuyer-', labels: { app: 'bookbuyer' }, annotations },
    spec: {
      serviceAccountName: 'bookbuyer',
      containers: [{ name: 'bookbuyer', image: 'openservicemesh/bookbuyer:v0.8.0' }],
    },
  };
}

async function run(input: AdmissionReview, context: InjectorContext = CONTEXT) {
  let sidecar: SidecarPatch | undefined;
  let seen: PodAdmission | undefined;
  const result = await admissionResponse(input, (admission): AdmissionOutcome => {
    seen = admission;
    const decided = injectorOutcome(admission, context);
    sidecar = decided.sidecar;
    return decided.outcome;
  });
  return { ...result, sidecar, seen };
}

describe('admissionResponse (OSM /mutate-pod-creation)', () => {
  it('allows with the request uid and a base64 JSONPatch that adds envoy, copying TypeMeta', async () => {
    const { review: out, dryRun, sidecar } = await run(review(bookbuyer()));
    expect(dryRun).toBe(false);
    expect(out.apiVersion).toBe('admission.k8s.io/v1');
    expect(out.kind).toBe('AdmissionReview');
    expect(out.response).toMatchObject({ uid: REQUEST_UID, allowed: true, patchType: 'JSONPatch' });
    const patch = JSON.parse(Buffer.from(out.response.patch ?? '', 'base64').toString('utf8'));
    expect(patch).toEqual(sidecar?.patch);
    expect(patch).toContainEqual({ op: 'add', path: '/metadata/labels/osm-proxy-uuid', value: UUID });
    expect(patch).toContainEqual(expect.objectContaining({ op: 'add', path: '/spec/containers/1' }));
    expect(Object.keys(out.response)).toEqual(['uid', 'allowed', 'patchType', 'patch']);
  });

  it('allows without a patch when the pod opts out (sidecar-injection: disabled)', async () => {
    const { review: out } = await run(review(bookbuyer({ 'openservicemesh.io/sidecar-injection': 'disabled' })));
    expect(out.response).toEqual({ uid: REQUEST_UID, allowed: true });
  });

  it('allows without a patch in kube-system and for host-network pods', async () => {
    const system = review(bookbuyer(), { namespace: 'kube-system' });
    expect((await run(system)).review.response).toEqual({ uid: REQUEST_UID, allowed: true });
    const hostNetwork = bookbuyer();
    hostNetwork.spec.hostNetwork = true;
    expect((await run(review(hostNetwork))).review.response).toEqual({ uid: REQUEST_UID, allowed: true });
  });

  it('denies an invalid annotation with OSM message in status and no uid', async () => {
    const { review: out } = await run(review(bookbuyer({ 'openservicemesh.io/sidecar-injection': 'perhaps' })));
    expect(out).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: REQUEST_UID,
        allowed: false,
        status: {
          metadata: {},
          message: 'Invalid annotation value for key "openservicemesh.io/sidecar-injection": perhaps',
        },
      },
    });
  });

  it('returns the same patch on dry-run and marks it so the Secret is not written', async () => {
    const normal = await run(review(bookbuyer()));
    const dry = await run(review(bookbuyer(), { dryRun: true }));
    expect(dry.dryRun).toBe(true);
    expect(dry.seen?.dryRun).toBe(true);
    expect(dry.review.response).toEqual(normal.review.response);
  });

  it('fails requests without a request or without a pod object', async () => {
    const missing = await admissionResponse({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, () => {
      throw new Error('decide must not be called');
    });
    expect(missing.review.response).toEqual({
      uid: '',
      allowed: false,
      status: { metadata: {}, message: 'nil admission request' },
    });
    const notPod = await admissionResponse(review(bookbuyer(), { object: { kind: 'Service' } }), () => ({
      allow: true,
    }));
    expect(notPod.review.response).toMatchObject({ uid: REQUEST_UID, allowed: false });
  });
});
