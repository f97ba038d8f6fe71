import { Flags } from '@oclif/core';
import { renderChecks, runChecks } from '../lib/check/checks.js';
import { gatherSnapshot } from '../lib/check/gather.js';
import { ArcmeshError } from '../lib/errors.js';
import { ArcmeshCommand } from './_shared/base-command.js';
import { kubeFlags } from './_shared/kube-flags.js';
import { meshNameFlag, osmNamespaceFlag } from './_shared/mesh-flags.js';

export default class Check extends ArcmeshCommand<typeof Check> {
  static override summary =
    'Check that the cluster is ready for Open Service Mesh (--pre) or that the installed mesh is healthy.';
  static override description =
    'In the manner of `linkerd check`. Before installing (--pre): the API is reachable and recent enough, the kubeconfig user may create what the chart creates, no other mesh is installed. After: the CRDs are Established, osm-controller and osm-injector are ready, the webhook configurations carry a valid CA and point to existing services, the MeshConfig is valid against its CRD schema, mesh namespaces have TrafficTargets when permissive mode is off, and their pods have the sidecar. Each failure or warning comes with a hint. Prints a table on a terminal (-o table), a list of {category, name, status, hint} with -o json; exits 1 if any check failed.';
  static override examples = [
    '<%= config.bin %> check --pre',
    '<%= config.bin %> check',
    '<%= config.bin %> check -o json --query "[?status!=\'ok\']"',
  ];
  static override flags = {
    pre: Flags.boolean({ description: 'Run the pre-install checks.' }),
    'osm-namespace': osmNamespaceFlag,
    'mesh-name': meshNameFlag,
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const clients = await this.kubeClients();
    this.reporter.progress('checking the cluster');
    const snapshot = await gatherSnapshot(clients, {
      pre: this.flags.pre,
      osmNamespace: this.flags['osm-namespace'],
      meshName: this.flags['mesh-name'],
    });
    const results = runChecks(snapshot);
    // A check list reads best as linkerd prints it; on a terminal that is the default.
    const table =
      this.flags.output === 'table' ||
      (this.flags.output === undefined && !process.env.ARCMESH_OUTPUT && process.stdout.isTTY);
    if (table && !this.flags.query) {
      this.stopProgress();
      process.stdout.write(renderChecks(results));
    } else {
      this.print(results);
    }
    const failures = results.filter((r) => r.status === 'failed');
    if (failures.length) {
      throw new ArcmeshError(
        'failed',
        `${failures.length} check${failures.length > 1 ? 's' : ''} failed: ${failures.map((f) => f.name).join('; ')}.`,
        'Follow the hint under each failed check, then run `arcmesh check` again.',
      );
    }
  }
}
