import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer, type RunningHealthServer } from '../../src/controlplane/health.js';
import { parseControlPlaneArgs } from '../../src/controlplane/main.js';

describe('control plane arguments', () => {
  it('reads the flags the chart passes', () => {
    expect(
      parseControlPlaneArgs([
        '--component=osm-controller',
        '--http-port=9091',
        '--ads-port=15128',
        '--debug-port=9092',
        '--validator-port=9093',
        '--proxyless-port=15129',
        '--certificate-key-algorithm=ecdsa-p256',
        '--mesh-name=osm',
        '--osm-namespace=arc-osm-system',
      ]),
    ).toEqual({
      component: 'osm-controller',
      httpPort: 9091,
      adsPort: 15128,
      debugPort: 9092,
      validatorPort: 9093,
      certificateKeyAlgorithm: 'ecdsa-p256',
      proxylessPort: 15129,
      meshName: 'osm',
      osmNamespace: 'arc-osm-system',
      webhookPort: 9090,
      webhookTimeoutSeconds: 20,
      webhookFailurePolicy: 'Fail',
    });
    // The proxyless port stays closed unless the chart enables it.
    expect(parseControlPlaneArgs(['--component=osm-injector'])).not.toHaveProperty('proxylessPort');
    expect(
      parseControlPlaneArgs([
        '--component=osm-injector',
        '--webhook-port=19090',
        '--webhook-timeout=10',
        '--webhook-failure-policy=Ignore',
      ]),
    ).toMatchObject({ webhookPort: 19090, webhookTimeoutSeconds: 10, webhookFailurePolicy: 'Ignore' });
  });

  it('refuses an unknown component, a bad port and an unknown flag', () => {
    expect(() => parseControlPlaneArgs(['--component=osm-bootstrap'])).toThrow(
      '--component must be one of osm-controller, osm-injector (got osm-bootstrap)',
    );
    expect(() => parseControlPlaneArgs(['--component=osm-controller', '--http-port=70000'])).toThrow(
      '--http-port must be a port number (got 70000)',
    );
    expect(() => parseControlPlaneArgs(['--component=osm-controller', '--verbosity=debug'])).toThrow(/verbosity/);
    expect(() => parseControlPlaneArgs(['--component=osm-injector', '--webhook-port=-1'])).toThrow(
      '--webhook-port must be a port number (got -1)',
    );
    expect(() => parseControlPlaneArgs(['--component=osm-injector', '--webhook-timeout=31'])).toThrow(
      '--webhook-timeout must be whole seconds from 1 to 30, as Kubernetes allows (got 31)',
    );
    expect(() => parseControlPlaneArgs(['--component=osm-injector', '--webhook-failure-policy=fail'])).toThrow(
      '--webhook-failure-policy must be one of Fail, Ignore (got fail)',
    );
    expect(() => parseControlPlaneArgs(['--component=osm-controller', '--certificate-key-algorithm=dsa'])).toThrow(
      '--certificate-key-algorithm must be one of rsa, ecdsa-p256 (got dsa)',
    );
  });
});

describe('health server', () => {
  let server: RunningHealthServer;
  let base: string;
  beforeAll(async () => {
    server = await startHealthServer({ component: 'osm-controller', port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.close().catch(() => undefined);
  });

  it('answers liveness and readiness', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('ok\n');
    }
    expect((await fetch(`${base}/debug`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('is not ready, with the reason, until the component says so', async () => {
    let reason: string | undefined = 'the mesh CA is not loaded yet';
    const starting = await startHealthServer({
      component: 'osm-controller',
      port: 0,
      host: '127.0.0.1',
      notReadyReason: () => reason,
    });
    try {
      const url = `http://127.0.0.1:${starting.port}/readyz`;
      const before = await fetch(url);
      expect([before.status, await before.text()]).toEqual([503, 'the mesh CA is not loaded yet\n']);
      reason = undefined;
      expect((await fetch(url)).status).toBe(200);
    } finally {
      await starting.close();
    }
  });

  it('serves process metrics in the Prometheus text format, labelled with the component', async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toMatch(/^process_cpu_user_seconds_total\{component="osm-controller"\} \d/m);
  });

  it('stops listening when closed', async () => {
    await server.close();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
