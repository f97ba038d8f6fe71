import { describe, expect, it } from 'vitest';
import { applyJsonPatch, JsonPatchError } from '../../src/sandbox/kube/patch/json-patch.js';
import { applyMergePatch } from '../../src/sandbox/kube/patch/merge-patch.js';
import { applyStrategicMergePatch, builtinListStrategy } from '../../src/sandbox/kube/patch/strategic-merge.js';

const forKind = (kind: string) => (path: string[]) => builtinListStrategy(kind, path);

describe('strategic merge patch', () => {
  const pod = {
    metadata: { finalizers: ['a'], labels: { app: 'x', old: 'y' } },
    spec: {
      containers: [
        { name: 'app', image: 'app:1', ports: [{ containerPort: 80, name: 'http' }] },
        { name: 'log', image: 'log:1' },
      ],
      tolerations: [{ key: 'k' }],
    },
  };

  it('merges keyed lists item by item, unions finalizers and replaces atomic lists', () => {
    const result = applyStrategicMergePatch(
      pod,
      {
        metadata: { finalizers: ['b'], labels: { old: null } },
        spec: {
          containers: [
            { name: 'app', image: 'app:2', ports: [{ containerPort: 443 }] },
            { name: 'envoy', image: 'envoy' },
          ],
          tolerations: [{ key: 'other' }],
        },
      },
      forKind('Pod'),
    );
    expect(result).toEqual({
      metadata: { finalizers: ['a', 'b'], labels: { app: 'x' } },
      spec: {
        containers: [
          { name: 'app', image: 'app:2', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }] },
          { name: 'log', image: 'log:1' },
          { name: 'envoy', image: 'envoy' },
        ],
        tolerations: [{ key: 'other' }],
      },
    });
  });

  it('honours $patch delete and replace, $deleteFromPrimitiveList and $setElementOrder', () => {
    const result = applyStrategicMergePatch(
      pod,
      {
        metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
        spec: {
          '$setElementOrder/containers': [{ name: 'log' }, { name: 'app' }],
          containers: [{ name: 'app', $patch: 'delete' }],
          $retainKeys: ['containers'],
        },
      },
      forKind('Pod'),
    );
    expect(result).toEqual({
      metadata: { finalizers: [], labels: { app: 'x', old: 'y' } },
      spec: { containers: [{ name: 'log', image: 'log:1' }] },
    });
    expect(applyStrategicMergePatch({ a: { b: 1, c: 2 } }, { a: { $patch: 'replace', d: 3 } }, forKind('Pod'))).toEqual(
      { a: { d: 3 } },
    );
  });

  it('merges service ports by port, not containerPort', () => {
    const service = { spec: { ports: [{ port: 80, targetPort: 8080 }] } };
    expect(
      applyStrategicMergePatch(
        service,
        { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } },
        forKind('Service'),
      ),
    ).toEqual({
      spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] },
    });
  });

  it('merges admission webhooks by name (what kubectl apply sends when one field of a webhook changes)', () => {
    const configuration = {
      webhooks: [{ name: 'a.example', failurePolicy: 'Fail', rules: [{ operations: ['CREATE'] }] }],
    };
    expect(
      applyStrategicMergePatch(
        configuration,
        { webhooks: [{ name: 'a.example', reinvocationPolicy: 'IfNeeded' }] },
        forKind('MutatingWebhookConfiguration'),
      ),
    ).toEqual({
      webhooks: [
        {
          name: 'a.example',
          failurePolicy: 'Fail',
          rules: [{ operations: ['CREATE'] }],
          reinvocationPolicy: 'IfNeeded',
        },
      ],
    });
  });
});

describe('merge and JSON patches', () => {
  it('deletes with null and replaces lists in a merge patch', () => {
    expect(applyMergePatch({ a: { b: 1, c: [1, 2] } }, { a: { b: null, c: [3] } })).toEqual({ a: { c: [3] } });
  });

  it('applies RFC 6902 operations and fails a test operation', () => {
    const document = { data: { a: '1' }, list: [1, 2] };
    expect(
      applyJsonPatch(document, [
        { op: 'add', path: '/list/-', value: 3 },
        { op: 'replace', path: '/data/a', value: '2' },
        { op: 'move', from: '/data/a', path: '/data/b' },
        { op: 'remove', path: '/list/0' },
      ]),
    ).toEqual({ data: { b: '2' }, list: [2, 3] });
    expect(() => applyJsonPatch(document, [{ op: 'test', path: '/data/a', value: 'x' }])).toThrow(JsonPatchError);
    expect(document).toEqual({ data: { a: '1' }, list: [1, 2] });
  });
});
