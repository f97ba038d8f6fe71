import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { builtinCaIssuer, createRootCa, openCertificateAuthority } from '../../src/controlplane/certs/builtin-ca.js';
import {
  ingressGatewayCertificateRequest,
  ingressGatewayChange,
  ingressGatewaySecretData,
  ingressGatewaySpecProblem,
  secretHolds,
  type IngressGatewaySpec,
} from '../../src/controlplane/certs/ingress-gateway.js';

/** Seed 004's MeshConfig section. */
const SEED: IngressGatewaySpec = {
  secretName: 'nginx-client-cert-for-talking-to-osm',
  secretNamespace: 'osm-system',
  subjectAltNames: ['nginx.app-routing-system.cluster.local'],
  validityMs: 24 * 3_600_000,
};

describe('the ingress gateway certificate', () => {
  it('is issued for the first SAN as CN, with every SAN, for the validity asked, and stored as OSM stores it', async () => {
    const spec = { ...SEED, subjectAltNames: [...SEED.subjectAltNames, 'nginx.example.com'] };
    const request = ingressGatewayCertificateRequest(spec, { keyAlgorithm: 'ecdsa-p256' });
    expect(request).toEqual({
      commonName: 'nginx.app-routing-system.cluster.local',
      dnsNames: ['nginx.app-routing-system.cluster.local', 'nginx.example.com'],
      validityMs: 86_400_000,
      keyAlgorithm: 'ecdsa-p256',
    });
    const ca = await openCertificateAuthority(await createRootCa({ keyAlgorithm: 'ecdsa-p256' }), new Date());
    const issued = await builtinCaIssuer(ca).issue(request);
    const data = ingressGatewaySecretData(issued);
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const leaf = new X509Certificate(Buffer.from(data['tls.crt']!, 'base64'));
    expect(leaf.subject).toContain('CN=nginx.app-routing-system.cluster.local');
    expect(leaf.subjectAltName).toBe('DNS:nginx.app-routing-system.cluster.local, DNS:nginx.example.com');
    expect(leaf.checkIssued(new X509Certificate(Buffer.from(data['ca.crt']!, 'base64')))).toBe(true);
    expect(new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime()).toBe(86_400_000);
    expect(Buffer.from(data['tls.key']!, 'base64').toString()).toBe(issued.privateKeyPem);
  });

  it('refuses a spec without a SAN or with no validity, saying which field', () => {
    expect(ingressGatewaySpecProblem(SEED)).toBeUndefined();
    expect(ingressGatewaySpecProblem({ ...SEED, subjectAltNames: [] })).toBe(
      'spec.certificate.ingressGateway.subjectAltNames must name at least one SAN',
    );
    expect(ingressGatewaySpecProblem({ ...SEED, validityMs: 0 })).toBe(
      'spec.certificate.ingressGateway.validityDuration must be longer than 0 (such as 24h)',
    );
  });

  it('issues on a new or changed spec, removes when the field goes, and does nothing for the same spec', () => {
    expect(ingressGatewayChange(undefined, SEED)).toEqual({ action: 'issue', spec: SEED });
    expect(ingressGatewayChange(SEED, { ...SEED, subjectAltNames: [...SEED.subjectAltNames] })).toEqual({
      action: 'none',
    });
    const longer = { ...SEED, validityMs: 48 * 3_600_000 };
    expect(ingressGatewayChange(SEED, longer)).toEqual({ action: 'issue', spec: longer });
    expect(ingressGatewayChange(SEED, undefined)).toEqual({ action: 'remove', spec: SEED });
    expect(ingressGatewayChange(undefined, undefined)).toEqual({ action: 'none' });
  });

  it('rewrites a Secret only when its data is not exactly the certificate’s', () => {
    const data = { 'ca.crt': 'Y2E=', 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' };
    expect(secretHolds(undefined, data)).toBe(false);
    expect(secretHolds({ data: { ...data } }, data)).toBe(true);
    expect(secretHolds({ data: { ...data, 'tls.crt': 'b2xk' } }, data)).toBe(false);
    expect(secretHolds({ data: { ...data, extra: 'eA==' } }, data)).toBe(false);
    expect(secretHolds({}, data)).toBe(false);
  });
});
