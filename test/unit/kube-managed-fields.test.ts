/** Field sets and managedFields bookkeeping of the Kubernetes API sandbox (server-side apply), without I/O. */
import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../../src/sandbox/kube/api-errors.js';
import { describePath, FieldSet, fieldsOf, listStrategyFor } from '../../src/sandbox/kube/fieldmanager/fieldset.js';
import {
  applyConfiguration,
  recordUpdate,
  type FieldManagerContext,
  type ManagedFieldsEntry,
} from '../../src/sandbox/kube/fieldmanager/managed-fields.js';
import type { KubeObject } from '../../src/sandbox/kube/objects.js';
import { ResourceRegistry } from '../../src/sandbox/kube/registry.js';

const deployments = new ResourceRegistry().lookup('apps', 'v1', 'deployments')!;
const lookup = listStrategyFor(deployments);
const context = (manager: string): FieldManagerContext => ({
  manager,
  apiVersion: 'apps/v1',
  lookup,
  ignoreStatus: true,
});

const deployment = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', ...metadata },
  spec,
});

const withManagedFields = (object: KubeObject, managedFields: ManagedFieldsEntry[]): KubeObject => ({
  ...object,
  metadata: { ...object.metadata, managedFields },
});

describe('field sets', () => {
  it('key list items by their merge key, treat merge lists of primitives as sets and other lists as atomic', () => {
    const fields = fieldsOf(
      deployment(
        {
          replicas: 2,
          template: { spec: { containers: [{ name: 'app', image: 'a:1', args: ['--x'] }] } },
        },
        { finalizers: ['example.com/keep'], labels: {} },
      ),
      lookup,
      true,
    );
    expect(fields.toFieldsV1()).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"example.com/keep"': {} }, 'f:labels': {} },
      'f:spec': {
        'f:replicas': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"app"}': { '.': {}, 'f:name': {}, 'f:image': {}, 'f:args': {} },
            },
          },
        },
      },
    });
  });

  it('round-trip through FieldsV1', () => {
    const tree = { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {} } }, 'f:replicas': {} } };
    expect(FieldSet.fromFieldsV1(tree).toFieldsV1()).toEqual(tree);
  });

  it('describe paths as the apiserver does in conflicts', () => {
    expect(describePath(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"app"}', 'f:image'])).toBe(
      '.spec.template.spec.containers[name="app"].image',
    );
    expect(describePath(['f:metadata', 'f:finalizers', 'v:"x"'])).toBe('.metadata.finalizers[="x"]');
  });
});

describe('managedFields', () => {
  it('give an updater the fields it changed, taken from their previous manager', () => {
    const created = deployment({ replicas: 1, paused: false });
    const createdFields = recordUpdate(undefined, created, context('kubectl-create'));
    const scaled = withManagedFields(deployment({ replicas: 3, paused: false }), createdFields);
    const managed = recordUpdate(withManagedFields(created, createdFields), scaled, context('kubectl-scale'));
    expect(managed.map(({ manager, operation, fieldsV1 }) => ({ manager, operation, fieldsV1 }))).toEqual([
      { manager: 'kubectl-create', operation: 'Update', fieldsV1: { 'f:spec': { 'f:paused': {} } } },
      { manager: 'kubectl-scale', operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
    ]);
  });

  it('refuse an apply that changes another manager’s field, naming field and manager', () => {
    const live = withManagedFields(
      deployment({ replicas: 3, paused: false }),
      recordUpdate(undefined, deployment({ replicas: 3, paused: false }), context('kubectl-edit')),
    );
    const attempt = () => applyConfiguration(live, deployment({ replicas: 5, paused: false }), context('ci'), false);
    expect(attempt).toThrowError(KubeApiError);
    expect(attempt).toThrowError(
      'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas',
    );
  });

  it('share a field applied with the same value, take it over when forced, and release what is no longer applied', () => {
    const live = withManagedFields(
      deployment({ replicas: 3, paused: false }),
      recordUpdate(undefined, deployment({ replicas: 3, paused: false }), context('kubectl-edit')),
    );
    const forced = applyConfiguration(live, deployment({ replicas: 5, paused: false }), context('ci'), true);
    expect(forced.object.spec).toEqual({ replicas: 5, paused: false });
    const owners = Object.fromEntries(forced.managedFields.map((entry) => [entry.manager, entry.fieldsV1]));
    expect(owners).toEqual({
      'kubectl-edit': { 'f:spec': { 'f:paused': {} } },
      ci: { 'f:spec': { 'f:replicas': {}, 'f:paused': {} } },
    });

    const next = withManagedFields(forced.object, forced.managedFields);
    const released = applyConfiguration(next, deployment({}), context('ci'), false);
    // replicas had no other manager: removed; paused is still kubectl-edit's: kept.
    expect(released.object.spec).toEqual({ paused: false });
  });
});
