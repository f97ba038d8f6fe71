/** Certificate names as OSM v1.2 writes and parses them, Go durations, and MeshConfig certificate settings. */
import { describe, expect, it } from 'vitest';
import {
  adsServerCommonName,
  parseUuid,
  parseXdsClientCommonName,
  proxyBootstrapCommonName,
  serviceIdentityName,
} from '../../src/controlplane/certs/identity.js';
import {
  adsServerCertificateRequest,
  bootstrapCertificateRequest,
  INTERNAL_CERT_VALIDITY_MS,
  serviceCertificateRequest,
} from '../../src/controlplane/certs/issuer.js';

const UUID = '6f1d3a0e-8c4b-4f7a-9e2d-1b5c7a9e0f11';
const HOUR_MS = 3_600_000;

describe('names', () => {
  it('builds the service identity, the bootstrap CN and the ADS CN with cluster.local by default', () => {
    expect(serviceIdentityName('bookstore', 'bookstore')).toBe('bookstore.bookstore.cluster.local');
    expect(serviceIdentityName('default', 'sample1', 'mesh.example')).toBe('default.sample1.mesh.example');
    expect(proxyBootstrapCommonName(UUID, 'sidecar', 'bookbuyer', 'bookbuyer')).toBe(
      `${UUID}.sidecar.bookbuyer.bookbuyer.cluster.local`,
    );
    expect(adsServerCommonName()).toBe('ads.cluster.local');
  });

  it('makes the requests OSM makes: CN as DNS SAN, internal certificates valid 87600h', () => {
    expect(
      serviceCertificateRequest(
        { serviceAccount: 'bookstore', namespace: 'bookstore' },
        { keyAlgorithm: 'rsa', rsaBits: 4096, validityMs: 24 * HOUR_MS },
      ),
    ).toEqual({
      commonName: 'bookstore.bookstore.cluster.local',
      dnsNames: ['bookstore.bookstore.cluster.local'],
      validityMs: 24 * HOUR_MS,
      keyAlgorithm: 'rsa',
      rsaBits: 4096,
    });
    const bootstrap = bootstrapCertificateRequest(
      { uuid: UUID, serviceAccount: 'bookbuyer', namespace: 'bookbuyer', trustDomain: 'mesh.example' },
      { keyAlgorithm: 'ecdsa-p256' },
    );
    expect(bootstrap.commonName).toBe(`${UUID}.sidecar.bookbuyer.bookbuyer.mesh.example`);
    expect(bootstrap.dnsNames).toEqual([bootstrap.commonName]);
    expect(bootstrap.validityMs).toBe(87_600 * HOUR_MS);
    const ads = adsServerCertificateRequest({ osmNamespace: 'arc-osm-system' }, { keyAlgorithm: 'rsa' });
    expect(ads.dnsNames).toEqual([
      'ads.cluster.local',
      'osm-controller.arc-osm-system.svc',
      'osm-controller.arc-osm-system.svc.cluster.local',
    ]);
    expect(ads.validityMs).toBe(INTERNAL_CERT_VALIDITY_MS);
  });
});

describe('the xDS client CN', () => {
  it('parses what the injector issues, and round-trips the bootstrap CN', () => {
    expect(parseXdsClientCommonName(proxyBootstrapCommonName(UUID, 'sidecar', 'bookbuyer', 'bookbuyer'))).toEqual({
      ok: true,
      identity: {
        uuid: UUID,
        kind: 'sidecar',
        serviceAccount: 'bookbuyer',
        namespace: 'bookbuyer',
        trustDomain: 'cluster.local',
      },
    });
  });

  it('splits into at most five parts, so the trust domain keeps its dots; four parts leave it empty', () => {
    const five = parseXdsClientCommonName(`${UUID}.sidecar.sa.ns.a.b.c`);
    expect(five.ok && five.identity.trustDomain).toBe('a.b.c');
    const four = parseXdsClientCommonName(`${UUID}.sidecar.sa.ns`);
    expect(four.ok && four.identity).toMatchObject({ namespace: 'ns', trustDomain: '' });
  });

  it('canonicalizes the UUID forms Go accepts: upper case, braces, urn:uuid:, 32 hex digits', () => {
    for (const form of [
      UUID.toUpperCase(),
      `{${UUID}}`,
      `urn:uuid:${UUID}`,
      `URN:UUID:${UUID}`,
      UUID.replaceAll('-', ''),
    ]) {
      expect(parseUuid(form)).toBe(UUID);
      const parsed = parseXdsClientCommonName(`${form}.sidecar.sa.ns.cluster.local`);
      expect(parsed.ok && parsed.identity.uuid).toBe(UUID);
    }
  });

  it('refuses too few parts, a first part that is no UUID, and an empty kind, service account or namespace', () => {
    const reason = (commonName: string) => {
      const parsed = parseXdsClientCommonName(commonName);
      return parsed.ok ? undefined : parsed.reason;
    };
    expect(reason(`${UUID}.sidecar.sa`)).toMatch(/fewer than 4 dot-separated parts/);
    expect(reason('ads.cluster.local')).toMatch(/fewer than 4/);
    expect(reason('not-a-uuid.sidecar.sa.ns.cluster.local')).toMatch(/does not start with a UUID \(not-a-uuid\)/);
    expect(reason(`${UUID.slice(0, -1)}g.sidecar.sa.ns.cluster.local`)).toMatch(/does not start with a UUID/);
    expect(reason(`${UUID.replace('-', '+')}.sidecar.sa.ns.cluster.local`)).toMatch(/does not start with a UUID/);
    expect(reason(`${UUID}..sa.ns.cluster.local`)).toMatch(/empty proxy kind/);
    expect(reason(`${UUID}.sidecar..ns.cluster.local`)).toMatch(/empty service account/);
    expect(reason(`${UUID}.sidecar.sa..cluster.local`)).toMatch(/empty namespace/);
    expect(reason(`${UUID}.sidecar.sa.`)).toMatch(/empty namespace/);
  });
});
