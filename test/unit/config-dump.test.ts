import { describe, expect, it } from 'vitest';
import { TYPE_URLS, decodeTyped, encodeTyped } from '../../src/controlplane/protos/envoy.js';
import { configDump, configDumpMessage } from '../../src/controlplane/protos/config-dump.js';

const chainPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const keyPem = '-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n';
interface DumpedSecret {
  name: string;
  secret: { tls_certificate: { certificate_chain: { inline_bytes: string }; private_key: unknown } };
}

const at = new Date('2026-12-07T10:00:00.250Z');

const serviceCert = {
  '@type': TYPE_URLS.secret,
  name: 'service-cert:sample1/default',
  tls_certificate: {
    certificate_chain: { inline_bytes: Buffer.from(chainPem).toString('base64') },
    private_key: { inline_bytes: Buffer.from(keyPem).toString('base64') },
  },
};
const input = {
  dynamic: {
    [TYPE_URLS.secret]: { version: '2', resources: [{ resource: serviceCert, lastUpdated: at }] },
    [TYPE_URLS.cluster]: {
      version: '3',
      resources: [{ resource: { '@type': TYPE_URLS.cluster, name: 'sample1/web|80', type: 'EDS' }, lastUpdated: at }],
    },
    [TYPE_URLS.listener]: {
      version: '1',
      resources: [{ resource: { '@type': TYPE_URLS.listener, name: 'outbound-listener' }, lastUpdated: at }],
    },
    [TYPE_URLS.clusterLoadAssignment]: {
      version: '4',
      resources: [
        { resource: { '@type': TYPE_URLS.clusterLoadAssignment, cluster_name: 'sample1/web|80' }, lastUpdated: at },
      ],
    },
  },
  now: at,
};

describe('config dump', () => {
  it("orders the configs as Envoy's admin does and leaves endpoints out unless asked", () => {
    const dump = configDump(input) as { configs: { '@type': string }[] };
    expect(dump.configs.map((config) => config['@type'].split('.').at(-1))).toEqual([
      'BootstrapConfigDump',
      'ClustersConfigDump',
      'ListenersConfigDump',
      'ScopedRoutesConfigDump',
      'RoutesConfigDump',
      'SecretsConfigDump',
    ]);
    const withEds = configDump({ ...input, includeEds: true }) as { configs: Record<string, unknown>[] };
    expect(withEds.configs.at(-1)).toMatchObject({
      '@type': 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
      dynamic_endpoint_configs: [{ version_info: '4', endpoint_config: { cluster_name: 'sample1/web|80' } }],
    });
  });

  it("answers seed 004's query for the service certificate, with the private key redacted", () => {
    const dump = configDump(input) as { configs: Record<string, unknown>[] };
    // jq: .configs[] | select(."@type"==…SecretsConfigDump) | .dynamic_active_secrets[] |
    //     select(.name == "service-cert:sample1/default").secret.tls_certificate.certificate_chain.inline_bytes
    const secrets = dump.configs.find((c) => c['@type'] === 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump')!;
    const entry = (secrets.dynamic_active_secrets as DumpedSecret[]).find(
      (secret) => secret.name === 'service-cert:sample1/default',
    )!;
    expect(Buffer.from(entry.secret.tls_certificate.certificate_chain.inline_bytes, 'base64').toString()).toBe(
      chainPem,
    );
    expect(entry.secret.tls_certificate.private_key).toEqual({
      inline_bytes: Buffer.from('[redacted]').toString('base64'),
    });
    expect(entry).toMatchObject({ version_info: '2', last_updated: '2026-12-07T10:00:00.250Z' });
    expect(JSON.stringify(dump)).not.toContain(Buffer.from(keyPem).toString('base64'));
  });

  it("is a valid envoy.admin.v3.ConfigDump on Envoy's schema", () => {
    const message = configDumpMessage({ ...input, includeEds: true });
    const back = decodeTyped(message['@type'], encodeTyped(message)) as unknown as { configs: unknown[] };
    expect(back.configs).toHaveLength(7);
    expect(JSON.stringify(back)).toContain('outbound-listener');
  });
});
