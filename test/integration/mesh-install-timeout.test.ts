/**
 * `arcmesh mesh install --timeout` when the control plane cannot become ready: a validating webhook that nobody
 * serves (failurePolicy Fail) refuses every pod in the mesh namespace, so the Deployments never get a replica,
 * helm's wait runs out, and the command exits 4 (timed out) with a hint, as the exit-code contract says.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestKube, type TestKube } from '../helpers/kube-sandbox.js';
import { helmPath } from '../helpers/tools.js';

let kube: TestKube;
beforeAll(async () => {
  kube = await startTestKube({ clusters: ['slow-cluster'] });
  const blocked = await kube.kubectl(
    ['apply', '-f', '-'],
    `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: { name: pod-policy-nobody-serves }
webhooks:
  - name: pods.policy.example.com
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Fail
    clientConfig: { url: "https://127.0.0.1:1/validate" }
    namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: osm-system } }
    rules: [{ apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods] }]
`,
  );
  expect(blocked.stderr).toBe('');
});
afterAll(async () => {
  await kube?.close();
});

it('exits 4 when the control plane is not ready within --timeout', async () => {
  const result = await runCli(['mesh', 'install', '--timeout', '3s', '--kubeconfig', kube.kubeconfig], {
    env: { ARCMESH_HELM: helmPath(), HOME: kube.stateDir, ARCMESH_SANDBOX: '' },
    timeoutMs: 120_000,
  });
  expect(result.code).toBe(4);
  expect(result.stderr).toMatch(/^ERROR: Timed out installing mesh \[osm\] in namespace \[osm-system\]: /);
  expect(result.stderr).toContain(
    'See why the control plane is not ready with `kubectl get pods -n osm-system`; a longer --timeout may help.',
  );
  const replicaSets = await kube.kubectl(['get', 'replicasets', '-n', 'osm-system', '-o', 'name']);
  expect(replicaSets.stdout).not.toBe('');
  const pods = await kube.kubectl(['get', 'pods', '-n', 'osm-system', '-o', 'name']);
  expect(pods.stdout).toBe('');
});
