/**
 * An admission webhook given as a `service` is called where kube-proxy would send it: a ready endpoint of the
 * Service, on the pod's loopback address and target port, with the certificate checked for `<svc>.<ns>.svc`. With no
 * ready endpoint, or no such Service, the call fails in the apiserver's words and failurePolicy decides.
 */
import { createServer, type Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CLUSTERS } from '../../src/sandbox/arm/contract.js';
import { hostAddressOfPodIp } from '../../src/sandbox/node/layout.js';
import { kubectlOk, startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { webhookConfiguration } from '../helpers/webhook-server.js';
import { issueTestLeaf, makeTestCa } from '../helpers/xds-certs.js';

const NAMESPACE = 'webhooks';

const validatorPod = `apiVersion: v1
kind: Pod
metadata: { name: validator-0, namespace: ${NAMESPACE}, labels: { app: validator } }
spec:
  containers: [{ name: validator, image: example.com/validator:1, ports: [{ name: https, containerPort: 8443 }] }]
`;

const service = (name: string, app: string) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${NAMESPACE} }
spec:
  selector: { app: ${app} }
  ports: [{ name: webhook, port: 443, targetPort: https }]
`;

describe('webhooks called through a Service', () => {
  let kube: TestKube;
  let server: Server;
  let caBundle: string;
  const seen: string[] = [];

  const validating = (name: string, serviceName: string, failurePolicy = 'Fail') =>
    webhookConfiguration('ValidatingWebhookConfiguration', name, {
      name: `${name}.example.arcmesh.dev`,
      failurePolicy,
      timeoutSeconds: 5,
      clientConfig: { service: { namespace: NAMESPACE, name: serviceName, path: '/validate', port: 443 }, caBundle },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'guarded' } },
    });

  beforeAll(async () => {
    kube = await startTestKube({ clusters: [SANDBOX_CLUSTERS.arc], runContainers: false });
    await kubectlOk(kube, ['create', 'namespace', NAMESPACE]);
    await kubectlOk(kube, ['create', 'namespace', 'guarded']);
    await kubectlOk(kube, ['apply', '-f', '-'], validatorPod + '---\n' + service('validator', 'validator'));
    await kubectlOk(kube, ['wait', '--for=condition=Ready', 'pod/validator-0', '-n', NAMESPACE, '--timeout=20s']);
    const podIp = await kubectlOk(kube, [
      'get',
      'pod',
      'validator-0',
      '-n',
      NAMESPACE,
      '-o',
      'jsonpath={.status.podIP}',
    ]);
    const ca = await makeTestCa('webhook test CA');
    const leaf = await issueTestLeaf(ca, 'validator', [`validator.${NAMESPACE}.svc`]);
    caBundle = Buffer.from(ca.certificatePem).toString('base64');
    server = createServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, (request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        const review = JSON.parse(body) as { request: { uid: string; name: string } };
        seen.push(`${request.headers.host} ${request.url} ${review.request.name}`);
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: {
              uid: review.request.uid,
              allowed: !review.request.name.startsWith('deny'),
              status: { code: 403, message: 'denied by the validator pod' },
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(8443, hostAddressOfPodIp(podIp), resolve));
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await kube?.close();
  });

  it('reaches the ready endpoint of the Service, verified for <svc>.<ns>.svc', async () => {
    await kubectlOk(kube, ['apply', '-f', '-'], validating('through-service', 'validator'));
    await kubectlOk(kube, ['create', 'configmap', 'allowed', '-n', 'guarded']);
    const denied = await kube.kubectl(['create', 'configmap', 'deny-me', '-n', 'guarded']);
    expect(denied.stderr).toBe(
      'error: failed to create configmap: admission webhook "through-service.example.arcmesh.dev" denied the request: denied by the validator pod\n',
    );
    expect(seen).toEqual([
      `validator.${NAMESPACE}.svc:443 /validate?timeout=5s allowed`,
      `validator.${NAMESPACE}.svc:443 /validate?timeout=5s deny-me`,
    ]);
    await kubectlOk(kube, ['delete', 'validatingwebhookconfiguration', 'through-service']);
  });

  it('refuses a certificate that is not for the Service’s name', async () => {
    await kubectlOk(kube, ['apply', '-f', '-'], service('alias', 'validator'));
    await kubectlOk(kube, ['apply', '-f', '-'], validating('wrong-name', 'alias'));
    const result = await kube.kubectl(['create', 'configmap', 'c1', '-n', 'guarded']);
    expect(result.stderr).toContain(
      `failed calling webhook "wrong-name.example.arcmesh.dev": failed to call webhook: Post "https://alias.${NAMESPACE}.svc:443/validate?timeout=5s":`,
    );
    expect(result.stderr).toContain(`alias.${NAMESPACE}.svc`);
    await kubectlOk(kube, ['delete', 'validatingwebhookconfiguration', 'wrong-name']);
  });

  it('fails with the apiserver’s words when no endpoint is ready or the Service is missing; Ignore lets it by', async () => {
    await kubectlOk(kube, ['apply', '-f', '-'], service('nobody', 'nothing-selected'));
    await kubectlOk(kube, ['apply', '-f', '-'], validating('no-endpoints', 'nobody'));
    const noEndpoints = await kube.kubectl(['create', 'configmap', 'c2', '-n', 'guarded']);
    expect(noEndpoints.stderr).toBe(
      `error: failed to create configmap: Internal error occurred: failed calling webhook "no-endpoints.example.arcmesh.dev": failed to call webhook: Post "https://nobody.${NAMESPACE}.svc:443/validate?timeout=5s": no endpoints available for service "nobody"\n`,
    );
    await kubectlOk(kube, ['delete', 'validatingwebhookconfiguration', 'no-endpoints']);
    await kubectlOk(kube, ['apply', '-f', '-'], validating('missing', 'missing'));
    const missing = await kube.kubectl(['create', 'configmap', 'c3', '-n', 'guarded']);
    expect(missing.stderr).toContain(
      `failed to call webhook: Post "https://missing.${NAMESPACE}.svc:443/validate?timeout=5s": service "missing" not found`,
    );
    await kubectlOk(kube, ['apply', '-f', '-'], validating('missing', 'missing', 'Ignore'));
    await kubectlOk(kube, ['create', 'configmap', 'c4', '-n', 'guarded']);
  });
});
