import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { adminAnswerProblem } from '../../src/lib/proxy/proxy-get.js';
import { adminRequestPath, proxyPodProblem } from '../../src/lib/proxy/proxy-pod.js';

const target = { name: 'bookbuyer-5ccf77f46d-rc5mg', namespace: 'bookbuyer' };

function pod(overrides: { containers?: string[]; phase?: string; envoyState?: V1Pod['status'] } = {}): V1Pod {
  return {
    metadata: { name: target.name, namespace: target.namespace },
    spec: { containers: (overrides.containers ?? ['bookbuyer', 'envoy']).map((name) => ({ name })) },
    status: { phase: overrides.phase ?? 'Running', ...overrides.envoyState },
  };
}

describe('the admin query', () => {
  it('is sent as a path with its query string, as osm forwards it', () => {
    expect(adminRequestPath('config_dump')).toBe('/config_dump');
    expect(adminRequestPath('config_dump?include_eds')).toBe('/config_dump?include_eds');
    expect(adminRequestPath('/stats/prometheus')).toBe('/stats/prometheus');
    expect(adminRequestPath('stats?filter=cluster%5C.bookstore')).toBe('/stats?filter=cluster%5C.bookstore');
  });

  it('refuses an empty query, a URL and what would break the request line', () => {
    expect(() => adminRequestPath('')).toThrow('QUERY is empty');
    expect(() => adminRequestPath('/')).toThrow('QUERY is empty');
    expect(() => adminRequestPath('http://127.0.0.1:15000/clusters')).toThrow('is not a path on Envoy');
    expect(() => adminRequestPath('config_dump HTTP/1.1\r\nHost: x')).toThrow('is not a path on Envoy');
    expect(() => adminRequestPath('clusters ')).toThrow('is not a path on Envoy');
  });
});

describe('the pod a query goes to', () => {
  it('passes a running pod with the envoy sidecar, whether or not its statuses are reported yet', () => {
    expect(proxyPodProblem(target, pod())).toBeUndefined();
    const running = pod({
      envoyState: { containerStatuses: [{ name: 'envoy', state: { running: {} } } as never] },
    });
    expect(proxyPodProblem(target, running)).toBeUndefined();
  });

  it('names a missing pod and its namespace (exit 3)', () => {
    const problem = proxyPodProblem(target, undefined);
    expect(problem?.message).toBe('Could not find pod bookbuyer-5ccf77f46d-rc5mg in namespace bookbuyer.');
    expect(problem?.exitCode).toBe(3);
  });

  it('says a pod without the envoy container is not in the mesh and how to add it', () => {
    const problem = proxyPodProblem(target, pod({ containers: ['bookbuyer'] }));
    expect(problem?.message).toBe(
      'Pod bookbuyer-5ccf77f46d-rc5mg in namespace bookbuyer has no envoy container: it is not part of a mesh.',
    );
    expect(problem?.hint).toContain('arcmesh namespace add bookbuyer --restart');
  });

  it('says a pod that does not run is not running, with its phase', () => {
    expect(proxyPodProblem(target, pod({ phase: 'Pending' }))?.message).toBe(
      'Pod bookbuyer-5ccf77f46d-rc5mg in namespace bookbuyer is not running (phase Pending).',
    );
    const evicted = pod({ phase: 'Failed', envoyState: { reason: 'Evicted' } });
    expect(proxyPodProblem(target, evicted)?.message).toContain('is not running (phase Failed: Evicted).');
  });

  it('says an envoy container that is waiting or ended is not running, with the reason', () => {
    const crashing = pod({
      envoyState: {
        containerStatuses: [{ name: 'envoy', state: { waiting: { reason: 'CrashLoopBackOff' } } } as never],
      },
    });
    expect(proxyPodProblem(target, crashing)?.message).toBe(
      'The envoy container of pod bookbuyer-5ccf77f46d-rc5mg in namespace bookbuyer is not running (waiting: CrashLoopBackOff).',
    );
    const ended = pod({
      envoyState: { containerStatuses: [{ name: 'envoy', state: { terminated: { exitCode: 137 } } } as never] },
    });
    expect(proxyPodProblem(target, ended)?.message).toContain('(terminated: exit code 137)');
    expect(proxyPodProblem(target, ended)?.hint).toContain(
      'kubectl logs bookbuyer-5ccf77f46d-rc5mg -n bookbuyer -c envoy',
    );
  });
});

describe("Envoy's answer", () => {
  const answer = (status: number, statusText: string) => ({ status, statusText, body: Buffer.from(''), path: '/x' });
  it('is an error only with an error status', () => {
    expect(adminAnswerProblem(target, answer(200, 'OK'))).toBeUndefined();
    expect(adminAnswerProblem(target, answer(404, 'Not Found'))?.message).toBe(
      'Envoy on pod bookbuyer-5ccf77f46d-rc5mg in namespace bookbuyer answered 404 Not Found to /x.',
    );
  });
});
