/**
 * The ValidatingWebhookConfiguration the chart installs (charts/arcmesh/templates/webhooks.yaml), which the
 * controller creates itself when it is missing, as OSM v1.2 does: the same name, service, path, port, rules and
 * selector. The failure policy is the chart's default, Ignore: a configuration the controller had to re-create is
 * one whose chart values it cannot see, and Ignore never blocks the cluster's writes while the validator is down.
 */
import type { V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';

export const VALIDATING_WEBHOOK_NAME = 'osm-validator.k8s.io';
export const VALIDATOR_SERVICE_NAME = 'osm-validator';
export const VALIDATOR_PORT = 9093;

export function validatingWebhookConfigurationName(meshName: string): string {
  return `osm-validator-mesh-${meshName}`;
}

export function validatingWebhookConfiguration(mesh: {
  meshName: string;
  osmNamespace: string;
}): V1ValidatingWebhookConfiguration & { metadata: { name: string } } {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: validatingWebhookConfigurationName(mesh.meshName),
      labels: {
        'app.kubernetes.io/name': 'openservicemesh.io',
        'app.kubernetes.io/instance': mesh.meshName,
        app: 'osm-controller',
      },
    },
    webhooks: [
      {
        name: VALIDATING_WEBHOOK_NAME,
        clientConfig: {
          service: {
            name: VALIDATOR_SERVICE_NAME,
            namespace: mesh.osmNamespace,
            path: '/validate',
            port: VALIDATOR_PORT,
          },
        },
        failurePolicy: 'Ignore',
        matchPolicy: 'Exact',
        namespaceSelector: { matchLabels: { 'openservicemesh.io/monitored-by': mesh.meshName } },
        rules: [
          {
            apiGroups: [
              'config.openservicemesh.io',
              'policy.openservicemesh.io',
              'access.smi-spec.io',
              'specs.smi-spec.io',
              'split.smi-spec.io',
            ],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE'],
            resources: ['*'],
          },
        ],
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
      },
    ],
  };
}
