import { describe, expect, test } from 'vitest';
import { FaultList, faultError } from '../../src/sandbox/arm/faults.js';
import { ArmHttpError, apiVersionAtLeast, checkApiVersion, matchRoute, route } from '../../src/sandbox/arm/http.js';

const ok = () => ({ status: 200 });

describe('route matching', () => {
  const routes = [
    route('GET', '/subscriptions/{subscriptionId}/providers/{namespace}', ok),
    route('PUT', '/subscriptions/{subscriptionId}/providers/{namespace}', ok),
  ];

  test('matches case-insensitively and decodes parameters', () => {
    const match = matchRoute(routes, 'GET', '/SUBSCRIPTIONS/abc/Providers/Microsoft.Kubernetes%20X');
    expect(match.route?.method).toBe('GET');
    expect(match.params).toEqual({ subscriptionId: 'abc', namespace: 'Microsoft.Kubernetes X' });
  });

  test('tells a wrong method apart from an unknown path', () => {
    expect(matchRoute(routes, 'DELETE', '/subscriptions/abc/providers/ns')).toMatchObject({
      route: undefined,
      pathMatched: true,
    });
    expect(matchRoute(routes, 'GET', '/subscriptions/abc/other/ns')).toMatchObject({
      route: undefined,
      pathMatched: false,
    });
  });

  test('api-version: missing, unsupported, supported', () => {
    const versioned = route('GET', '/x', ok, { apiVersions: ['2023-05-01'] });
    expect(() => checkApiVersion(versioned, null)).toThrow(ArmHttpError);
    expect(() => checkApiVersion(versioned, '2022-01-01')).toThrow(/2023-05-01/);
    expect(() => checkApiVersion(versioned, '2023-05-01')).not.toThrow();
    expect(apiVersionAtLeast('2023-05-01-preview', '2023-05-01')).toBe(true);
    expect(apiVersionAtLeast('2021-09-01', '2022-03-01')).toBe(false);
  });
});

describe('fault list', () => {
  test('counts down times and drops the rule at zero', () => {
    const faults = new FaultList();
    faults.add({ path: '/extensions/', status: 429, times: 2 });
    expect(faults.take('GET', '/a/extensions/osm')?.status).toBe(429);
    expect(faults.take('GET', '/a/extensions/osm')?.status).toBe(429);
    expect(faults.take('GET', '/a/extensions/osm')).toBeUndefined();
  });

  test('matches paths as substrings or regular expressions, and methods', () => {
    const faults = new FaultList();
    faults.add({ method: 'put', path: 'extensions/[a-z]+$', status: 500 });
    expect(faults.take('GET', '/extensions/osm')).toBeUndefined();
    expect(faults.take('PUT', '/extensions/osm')?.status).toBe(500);
  });

  test('operation-outcome rules wait for a mutating request', () => {
    const faults = new FaultList();
    faults.add({ operationOutcome: 'Failed', times: 1 });
    expect(faults.take('GET', '/x')).toBeUndefined();
    expect(faults.take('DELETE', '/x')?.operationOutcome).toBe('Failed');
  });

  test('rejects rules that would do nothing, and 429 errors carry Retry-After', () => {
    expect(() => new FaultList().add({ path: 'x' })).toThrow(/status/);
    expect(faultError({ status: 429 }).headers['Retry-After']).toBe('1');
    expect(faultError({ status: 429, retryAfterSeconds: 7 }).toBody()).toEqual({
      error: { code: 'TooManyRequests', message: expect.stringContaining('429') },
    });
  });
});
