import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../src/sandbox/kube/api-errors.js';
import { decodeProtobufObject } from '../../src/sandbox/kube/protobuf.js';

/** Minimal protobuf writer for the test: length-delimited fields and varints. */
const bytes = (field: number, payload: Buffer | string): Buffer => {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from([(field << 3) | 2, body.length]), body]);
};
const varint = (field: number, value: number): Buffer => Buffer.from([field << 3, value]);
const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from('k8s\0', 'latin1'),
    bytes(1, Buffer.concat([bytes(1, apiVersion), bytes(2, kind)])),
    bytes(2, raw),
  ]);

describe('protobuf request bodies', () => {
  it('decodes a namespace, dropping empty scalars and the empty status message as Go omitempty does', () => {
    const metadata = Buffer.concat([
      bytes(1, 'bookbuyer'),
      bytes(2, ''),
      bytes(11, Buffer.concat([bytes(1, 'team'), bytes(2, 'a')])),
    ]);
    const status = bytes(1, '');
    const object = decodeProtobufObject(
      envelope('v1', 'Namespace', Buffer.concat([bytes(1, metadata), bytes(3, status)])),
    );
    expect(object).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'bookbuyer', labels: { team: 'a' } },
    });
  });

  it('keeps an explicit zero in a pointer field (deployment replicas)', () => {
    const spec = varint(1, 0);
    const object = decodeProtobufObject(
      envelope('apps/v1', 'Deployment', Buffer.concat([bytes(1, bytes(1, 'web')), bytes(2, spec)])),
    );
    expect(object).toMatchObject({ spec: { replicas: 0 } });
  });

  it('refuses a kind without a field table, and a non-empty field the table lacks, with 415', () => {
    const refuse = (body: Buffer) => {
      try {
        decodeProtobufObject(body);
      } catch (error) {
        return (error as KubeApiError).code;
      }
      return undefined;
    };
    expect(refuse(envelope('networking.k8s.io/v1', 'Ingress', bytes(1, bytes(1, 'i'))))).toBe(415);
    expect(refuse(envelope('v1', 'ConfigMap', Buffer.concat([bytes(1, bytes(1, 'c')), bytes(9, 'surprise')])))).toBe(
      415,
    );
  });
});
