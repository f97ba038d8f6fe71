/**
 * The scheduled-upgrade manifest (scripts/scheduled-upgrade/cronjob.yaml) parsed with the yaml package and checked
 * for what Kubernetes would accept silently but run wrong: a `$(VAR)` in the args with no env entry stays literal,
 * a ConfigMap key that does not exist stops the pod, a client id on the ServiceAccount that differs from
 * AZURE_CLIENT_ID gets a token for another identity, a backup volume that dies with the pod loses the journal.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Parser } from '@oclif/core';
import { parseAllDocuments } from 'yaml';
import Upgrade from '../../src/commands/upgrade.js';
import { clusterFlags, extensionNameFlag } from '../../src/commands/_shared/extension-flags.js';

const DIRECTORY = fileURLToPath(new URL('../../scripts/scheduled-upgrade/', import.meta.url));

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

const documents = parseAllDocuments(readFileSync(`${DIRECTORY}cronjob.yaml`, 'utf8'));
const manifests = documents.map((document) => document.toJS() as Manifest);
const byKind = (kind: string) => {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  args: string[];
  env: EnvVar[];
  volumeMounts: { name: string; mountPath: string }[];
}
interface CronJobSpec {
  schedule: string;
  concurrencyPolicy: string;
  jobTemplate: {
    spec: {
      backoffLimit: number;
      podFailurePolicy: {
        rules: { action: string; onExitCodes?: { containerName: string; operator: string; values: number[] } }[];
      };
      template: {
        metadata: { labels: Record<string, string> };
        spec: {
          serviceAccountName: string;
          restartPolicy: string;
          containers: Container[];
          volumes: { name: string; persistentVolumeClaim?: { claimName: string }; emptyDir?: unknown }[];
        };
      };
    };
  };
}

const cronJob = byKind('CronJob') as Manifest & { spec: CronJobSpec };
const job = cronJob.spec.jobTemplate.spec;
const pod = job.template.spec;
const container = pod.containers[0]!;
const configMap = byKind('ConfigMap') as Manifest & { data: Record<string, string> };
const serviceAccount = byKind('ServiceAccount');
const envValue = (name: string) => container.env.find((variable) => variable.name === name);

describe('the scheduled-upgrade CronJob', () => {
  it('parses without errors or warnings, every object in the job namespace or cluster-wide', () => {
    for (const document of documents) {
      expect(document.errors).toEqual([]);
      expect(document.warnings).toEqual([]);
    }
    expect(manifests.map((manifest) => manifest.kind)).toEqual([
      'Namespace',
      'ConfigMap',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'PersistentVolumeClaim',
      'CronJob',
    ]);
    const namespaced = manifests.filter(
      (manifest) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(manifest.kind),
    );
    // The one exception: the record of an unfinished upgrade, which arcmesh keeps in kube-system.
    expect(byKind('Role').metadata.namespace).toBe('kube-system');
    expect(byKind('RoleBinding').metadata.namespace).toBe('kube-system');
    expect(new Set(namespaced.map((manifest) => manifest.metadata.namespace))).toEqual(new Set(['arcmesh-upgrade']));
  });

  it('runs `arcmesh upgrade --to latest-patch -o json -c -g -t -n --yes`, the cluster flags spelled as arcmesh spells them', () => {
    expect(container.args).toEqual([
      'upgrade',
      '--to',
      'latest-patch',
      '-o',
      'json',
      '-c',
      '$(ARCMESH_CLUSTER_NAME)',
      '-g',
      '$(ARCMESH_RESOURCE_GROUP)',
      '-t',
      '$(ARCMESH_CLUSTER_TYPE)',
      '-n',
      '$(ARCMESH_EXTENSION_NAME)',
      '--yes',
    ]);
    expect([
      clusterFlags['cluster-name'].char,
      clusterFlags['resource-group'].char,
      clusterFlags['cluster-type'].char,
      extensionNameFlag.char,
    ]).toEqual(['c', 'g', 't', 'n']);
    expect(readFileSync(`${DIRECTORY}Dockerfile`, 'utf8')).toMatch(/^ENTRYPOINT \["arcmesh"\]$/m);
  });

  it('passes arguments the upgrade command itself accepts, with the values the ConfigMap puts in', async () => {
    const argv = container.args.map((arg) =>
      arg.replaceAll(/\$\((\w+)\)/g, (_, name: string) => configMap.data[name] ?? `<no ${name}>`),
    );
    const { flags } = await Parser.parse(argv.slice(1), {
      flags: { ...Upgrade.baseFlags, ...Upgrade.flags },
      strict: true,
    });
    expect(argv[0]).toBe('upgrade');
    expect(flags).toMatchObject({ to: 'latest-patch', output: 'json', yes: true });
    expect(flags['cluster-name']).toBe(configMap.data.ARCMESH_CLUSTER_NAME);
  });

  it('defines every $(VAR) the args use, from ConfigMap keys that exist', () => {
    const references = container.args.flatMap((arg) => [...arg.matchAll(/\$\((\w+)\)/g)].map((match) => match[1]!));
    expect(references).toHaveLength(4);
    for (const name of references) expect(envValue(name), name).toBeDefined();
    for (const variable of container.env.filter((entry) => entry.valueFrom)) {
      const ref = variable.valueFrom!.configMapKeyRef!;
      expect(ref.name).toBe(configMap.metadata.name);
      expect(Object.keys(configMap.data)).toContain(ref.key);
    }
  });

  it('authenticates with workload identity: the pod label, the ServiceAccount client id, the AZURE_* variables', () => {
    expect(job.template.metadata.labels['azure.workload.identity/use']).toBe('true');
    expect(pod.serviceAccountName).toBe(serviceAccount.metadata.name);
    expect(serviceAccount.metadata.annotations?.['azure.workload.identity/client-id']).toBe(
      configMap.data.AZURE_CLIENT_ID,
    );
    for (const name of ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_SUBSCRIPTION_ID']) {
      expect(envValue(name)?.valueFrom?.configMapKeyRef?.key, name).toBe(name);
    }
    const binding = byKind('ClusterRoleBinding') as Manifest & { subjects: { name: string; namespace: string }[] };
    expect(binding.subjects).toEqual([
      expect.objectContaining({ name: serviceAccount.metadata.name, namespace: serviceAccount.metadata.namespace }),
    ]);
  });

  it('never runs two upgrades at once, retries a bounded number of times, and fails at once on exit 2 and 3', () => {
    expect(cronJob.spec.concurrencyPolicy).toBe('Forbid');
    expect(cronJob.spec.schedule.split(' ')).toHaveLength(5);
    expect(Number.isInteger(job.backoffLimit) && job.backoffLimit > 0).toBe(true);
    // podFailurePolicy is only accepted with restartPolicy Never.
    expect(pod.restartPolicy).toBe('Never');
    expect(job.podFailurePolicy.rules[0]).toEqual({
      action: 'FailJob',
      onExitCodes: { containerName: container.name, operator: 'In', values: [2, 3] },
    });
  });

  it('keeps the backups and the journal on a PersistentVolumeClaim mounted where HOME puts ~/.arcmesh', () => {
    const claim = byKind('PersistentVolumeClaim');
    const volume = pod.volumes.find((candidate) => candidate.name === container.volumeMounts[0]!.name)!;
    expect(volume.persistentVolumeClaim?.claimName).toBe(claim.metadata.name);
    expect(volume.emptyDir).toBeUndefined();
    expect(envValue('HOME')?.value).toBe(container.volumeMounts[0]!.mountPath);
  });
});
