/**
 * `meshconfig set|patch` given what the chart's schema refuses: durations that are no Go durations (`1x`, `48`,
 * `-5s`), on the MeshConfig and on the v0.8 ConfigMap, and keys that walk into Object.prototype or are empty.
 * Each is a usage error naming the key, before any write.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ArcmeshError } from '../../src/lib/errors.js';
import { legacyDataPatch } from '../../src/lib/mesh-config/legacy-config.js';
import { checkPatchedDurations } from '../../src/lib/mesh-config/mesh-config.js';
import {
  assignmentsToMergePatch,
  parseAssignments,
  resolveKey,
  typeAssignments,
  type SchemaNode,
} from '../../src/lib/mesh-config/schema-path.js';

/** The spec schema of the chart's MeshConfig CRD (v1alpha2), as the cluster serves it. */
const SPEC = (() => {
  const [crd] = parseAllDocuments(
    readFileSync(new URL('../../charts/arcmesh/crds/config_meshconfig.yaml', import.meta.url), 'utf8'),
  ).map((document) => document.toJS());
  const version = crd.spec.versions.find((candidate: { name: string }) => candidate.name === 'v1alpha2');
  return version.schema.openAPIV3Schema.properties.spec as SchemaNode;
})();

function usage(run: () => unknown): ArcmeshError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArcmeshError);
    expect((error as ArcmeshError).kind).toBe('usage');
    return error as ArcmeshError;
  }
  throw new Error('expected a usage error');
}

const set = (...args: string[]) => typeAssignments(SPEC, parseAssignments(args));

describe('durations', () => {
  const DURATION_KEYS = [
    'sidecar.configResyncInterval',
    'certificate.serviceCertValidityDuration',
    'certificate.ingressGateway.validityDuration',
    'traffic.inboundExternalAuthorization.timeout',
  ];

  it.each(['1x', '48', '-5s', '', '1h-5m', '5 s'])('refuses %j on every duration of the MeshConfig', (value) => {
    for (const key of DURATION_KEYS) {
      const failure = usage(() => set(`${key}=${value}`));
      expect(failure.message).toContain(key);
      expect(failure.message).toContain('duration');
      expect(failure.hint).toContain(`${key}=`);
    }
  });

  it.each(['0', '0s', '30s', '1h30m', '1.5h', '500ms', '24h'])('takes %j as it is', (value) => {
    for (const key of DURATION_KEYS) expect(set(`${key}=${value}`)[0]!.value).toBe(value);
  });

  it('takes null, which puts the default back', () => {
    expect(set('sidecar.configResyncInterval=null')[0]!.value).toBeNull();
  });

  it('refuses them on the v0.8 ConfigMap, by either name', () => {
    for (const key of ['config_resync_interval', 'sidecar.configResyncInterval', 'service_cert_validity_duration']) {
      expect(usage(() => legacyDataPatch(parseAssignments([`${key}=1x`]))).message).toContain(key);
    }
    expect(legacyDataPatch(parseAssignments(['config_resync_interval=90s']))).toEqual({
      config_resync_interval: '90s',
    });
  });

  it('refuses them in merge and JSON patches', () => {
    expect(
      usage(() => checkPatchedDurations({ spec: { sidecar: { configResyncInterval: '48' } } }, 'merge')).message,
    ).toContain('sidecar.configResyncInterval');
    expect(
      usage(() =>
        checkPatchedDurations(
          [{ op: 'replace', path: '/spec/certificate/serviceCertValidityDuration', value: '-5s' }],
          'json',
        ),
      ).message,
    ).toContain('certificate.serviceCertValidityDuration');
    expect(() =>
      checkPatchedDurations({ spec: { sidecar: { configResyncInterval: '30s' }, traffic: null } }, 'merge'),
    ).not.toThrow();
  });
});

describe('keys', () => {
  it('refuses __proto__ and leaves Object.prototype alone', () => {
    for (const key of ['__proto__.polluted', 'sidecar.__proto__.polluted', 'sidecar.resources.__proto__']) {
      expect(usage(() => resolveKey(SPEC, key)).message).toContain('__proto__');
    }
    expect(usage(() => assignmentsToMergePatch([{ path: ['__proto__', 'polluted'], value: 1 }])).message).toContain(
      '__proto__',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses inherited names that are no settings', () => {
    expect(usage(() => resolveKey(SPEC, 'traffic.constructor')).message).toContain('no setting');
    expect(usage(() => resolveKey(SPEC, 'toString')).message).toContain('no setting');
  });

  it('refuses an empty key and empty segments', () => {
    expect(usage(() => parseAssignments([' =1'])).message).toContain('empty');
    expect(usage(() => resolveKey(SPEC, 'traffic..enableEgress')).message).toContain('empty');
    expect(usage(() => resolveKey(SPEC, 'traffic.')).message).toContain('empty');
  });
});
