import { describe, expect, it } from 'vitest';
import { caBundleOf, caBundlePatch, withCaBundle } from '../../src/controlplane/runtime/webhook-ca-bundle.js';
import { validatingWebhookConfiguration } from '../../src/controlplane/validator/webhook-configuration.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const bundle = caBundleOf(CA);

describe('keeping a webhook configuration’s caBundle', () => {
  it('is base64 of the PEM, as the API stores caBundle', () => {
    expect(Buffer.from(bundle, 'base64').toString('utf8')).toBe(CA);
  });

  it('patches each webhook whose caBundle differs, testing its name first, and nothing when all have it', () => {
    const config = {
      webhooks: [
        { name: 'osm-validator.k8s.io', clientConfig: { caBundle: bundle } },
        { name: 'second.k8s.io', clientConfig: {} },
        { name: 'third.k8s.io', clientConfig: { caBundle: 'b2xk' } },
      ],
    };
    expect(caBundlePatch(config, bundle)).toEqual([
      { op: 'test', path: '/webhooks/1/name', value: 'second.k8s.io' },
      { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: bundle },
      { op: 'test', path: '/webhooks/2/name', value: 'third.k8s.io' },
      { op: 'add', path: '/webhooks/2/clientConfig/caBundle', value: bundle },
    ]);
    expect(caBundlePatch(withCaBundle(config, bundle), bundle)).toEqual([]);
  });

  it('creates the chart’s ValidatingWebhookConfiguration with the CA in it', () => {
    const created = withCaBundle(
      validatingWebhookConfiguration({ meshName: 'osm', osmNamespace: 'osm-system' }),
      bundle,
    );
    expect(created.metadata.name).toBe('osm-validator-mesh-osm');
    expect(created.webhooks).toMatchObject([
      {
        name: 'osm-validator.k8s.io',
        clientConfig: {
          service: { name: 'osm-validator', namespace: 'osm-system', path: '/validate', port: 9093 },
          caBundle: bundle,
        },
        namespaceSelector: { matchLabels: { 'openservicemesh.io/monitored-by': 'osm' } },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
      },
    ]);
  });
});
