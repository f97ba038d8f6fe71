/**
 * The injector's settings from the chart's MeshConfig (seed 000's images) and from the env OSM's chart sets, and
 * the MutatingWebhookConfiguration the injector creates and keeps: its spec as the chart renders it, and the patch
 * that puts the mesh CA back into a cleared or foreign caBundle.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { builtinCaIssuer, createRootCa, openCertificateAuthority } from '../../src/controlplane/certs/builtin-ca.js';
import {
  injectorDefaultsFromEnv,
  OSM_IMAGE_DEFAULTS,
  sidecarSettings,
} from '../../src/controlplane/injector/settings.js';
import {
  caBundleInPlace,
  caBundleOf,
  caBundlePatch,
  mutatingWebhookConfiguration,
  servingCertificateRequest,
  type MutatingWebhookConfiguration,
} from '../../src/controlplane/injector/webhook-config.js';
import { applyJsonPatch } from '../../src/sandbox/kube/patch/json-patch.js';

const DEFAULTS = injectorDefaultsFromEnv({
  OSM_DEFAULT_ENVOY_IMAGE: 'mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3',
  OSM_DEFAULT_INIT_CONTAINER_IMAGE: 'mcr.microsoft.com/oss/openservicemesh/init:v0.9.1',
});

describe('sidecarSettings', () => {
  it('takes images, log level, privileged init and the interception lists from the MeshConfig', () => {
    const settings = sidecarSettings(
      {
        spec: {
          sidecar: {
            envoyImage: 'envoyproxy/envoy:v1.22.2',
            initContainerImage: 'openservicemesh/init:v1.2.4',
            logLevel: 'debug',
            enablePrivilegedInitContainer: true,
            localProxyMode: 'PodIP',
            resources: { limits: { cpu: '1' } },
          },
          traffic: {
            outboundPortExclusionList: [6379],
            inboundPortExclusionList: [8080],
            outboundIPRangeExclusionList: ['10.0.0.0/8'],
            outboundIPRangeInclusionList: ['192.168.0.0/16'],
            networkInterfaceExclusionList: ['eth1'],
          },
        },
      },
      DEFAULTS,
    );
    expect(settings).toMatchObject({
      envoyImage: 'envoyproxy/envoy:v1.22.2',
      initContainerImage: 'openservicemesh/init:v1.2.4',
      envoyLogLevel: 'debug',
      enablePrivilegedInitContainer: true,
      localProxyMode: 'PodIP',
      resources: { limits: { cpu: '1' } },
      outboundPortExclusionList: [6379],
      inboundPortExclusionList: [8080],
      outboundIPRangeExclusionList: ['10.0.0.0/8'],
      outboundIPRangeInclusionList: ['192.168.0.0/16'],
      networkInterfaceExclusionList: ['eth1'],
    });
  });

  it('falls back to the env images and OSM defaults without a MeshConfig or with empty fields', () => {
    for (const meshConfig of [undefined, { spec: { sidecar: { envoyImage: '', logLevel: '' } } }]) {
      expect(sidecarSettings(meshConfig, DEFAULTS)).toEqual({
        envoyImage: 'mcr.microsoft.com/oss/envoyproxy/envoy:v1.18.3',
        envoyWindowsImage: OSM_IMAGE_DEFAULTS.envoyWindowsImage,
        initContainerImage: 'mcr.microsoft.com/oss/openservicemesh/init:v0.9.1',
        healthcheckImage: OSM_IMAGE_DEFAULTS.healthcheckImage,
        envoyLogLevel: 'error',
        injectorLogLevel: 'info',
        containerPullPolicy: 'IfNotPresent',
        enablePrivilegedInitContainer: false,
        localProxyMode: 'Localhost',
        resources: {},
        outboundIPRangeExclusionList: [],
        outboundIPRangeInclusionList: [],
        outboundPortExclusionList: [],
        inboundPortExclusionList: [],
        networkInterfaceExclusionList: [],
      });
    }
  });
});

describe('the MutatingWebhookConfiguration', () => {
  const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const created = () =>
    mutatingWebhookConfiguration({
      meshName: 'osm',
      osmNamespace: 'osm-system',
      caPem: CA,
      failurePolicy: 'Fail',
      timeoutSeconds: 20,
      meshVersion: '1.2.5',
    });

  it('is the chart’s osm-webhook-osm with the caBundle of the mesh CA', () => {
    const configuration = created();
    expect(configuration.metadata).toEqual({
      name: 'osm-webhook-osm',
      labels: {
        'app.kubernetes.io/name': 'openservicemesh.io',
        'app.kubernetes.io/instance': 'osm',
        'app.kubernetes.io/version': '1.2.5',
        app: 'osm-injector',
      },
    });
    expect(configuration.webhooks).toEqual([
      {
        name: 'osm-inject.k8s.io',
        clientConfig: {
          service: { name: 'osm-injector', namespace: 'osm-system', path: '/mutate-pod-creation', port: 9090 },
          caBundle: Buffer.from(CA).toString('base64'),
        },
        failurePolicy: 'Fail',
        matchPolicy: 'Exact',
        timeoutSeconds: 20,
        namespaceSelector: {
          matchLabels: { 'openservicemesh.io/monitored-by': 'osm' },
          matchExpressions: [
            { key: 'name', operator: 'NotIn', values: ['osm-system'] },
            { key: 'control-plane', operator: 'DoesNotExist' },
          ],
        },
        objectSelector: { matchExpressions: [{ key: 'openservicemesh.io/ignore', operator: 'DoesNotExist' }] },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        sideEffects: 'NoneOnDryRun',
        admissionReviewVersions: ['v1'],
      },
    ]);
    expect(caBundleInPlace(configuration, caBundleOf(CA))).toBe(true);
    expect(caBundlePatch(configuration, caBundleOf(CA))).toEqual([]);
  });

  it('patches a cleared or foreign caBundle back, guarded by the webhook’s name', () => {
    const chart: MutatingWebhookConfiguration = created();
    delete chart.webhooks![0]!.clientConfig.caBundle;
    chart.webhooks!.push({ name: 'second.k8s.io', clientConfig: { url: 'https://x', caBundle: 'Zm9yZWlnbg==' } });
    const caBundle = caBundleOf(CA);
    expect(caBundleInPlace(chart, caBundle)).toBe(false);
    const patch = caBundlePatch(chart, caBundle);
    expect(patch).toEqual([
      { op: 'test', path: '/webhooks/0/name', value: 'osm-inject.k8s.io' },
      { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: caBundle },
      { op: 'test', path: '/webhooks/1/name', value: 'second.k8s.io' },
      { op: 'add', path: '/webhooks/1/clientConfig/caBundle', value: caBundle },
    ]);
    const patched = applyJsonPatch(chart, patch) as MutatingWebhookConfiguration;
    expect(caBundleInPlace(patched, caBundle)).toBe(true);
    // A reordered configuration fails the test op instead of patching the wrong webhook.
    const reordered = { ...chart, webhooks: [...chart.webhooks!].reverse() };
    expect(() => applyJsonPatch(reordered, patch)).toThrow();
  });

  it('is not in place when the configuration has no webhooks', () => {
    expect(caBundleInPlace({ metadata: { name: 'osm-webhook-osm' }, webhooks: [] }, caBundleOf(CA))).toBe(false);
  });

  it('is served with a certificate for osm-injector.<ns>.svc that the mesh CA signed', async () => {
    const authority = await openCertificateAuthority(await createRootCa({ keyAlgorithm: 'ecdsa-p256' }), new Date());
    const issued = await builtinCaIssuer(authority).issue(
      servingCertificateRequest(
        { osmNamespace: 'osm-system', boundAddress: '127.244.0.7' },
        { keyAlgorithm: 'ecdsa-p256' },
      ),
    );
    const certificate = new X509Certificate(issued.certificatePem);
    expect(certificate.subject).toContain('CN=osm-injector.osm-system.svc');
    expect(certificate.subjectAltName).toBe(
      'DNS:osm-injector.osm-system.svc, DNS:osm-injector.osm-system.svc.cluster.local, IP Address:127.244.0.7',
    );
    expect(certificate.checkIssued(new X509Certificate(authority.certificatePem))).toBe(true);
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(87_600 * 3_600_000);
    expect(servingCertificateRequest({ osmNamespace: 'osm-system' }, { keyAlgorithm: 'rsa' })).not.toHaveProperty(
      'ipAddresses',
    );
  });
});
