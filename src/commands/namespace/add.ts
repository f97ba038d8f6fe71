import { Args, Flags } from '@oclif/core';
import { findInstalledMesh } from '../../lib/mesh/installed-mesh.js';
import {
  addNamespaces,
  findPolicyGaps,
  findUnmeshedDeployments,
  restartDeployments,
} from '../../lib/namespace/namespaces.js';
import { policyGapWarnings } from '../../lib/namespace/onboarding.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';
import { meshNameFlag } from '../_shared/mesh-flags.js';

export default class NamespaceAdd extends ArcmeshCommand<typeof NamespaceAdd> {
  static override summary =
    'Add namespaces to the mesh, as `osm namespace add` does, and roll deployments that lack the sidecar.';
  static override description =
    'Labels each namespace openservicemesh.io/monitored-by=<mesh> and turns automatic sidecar injection on (annotation openservicemesh.io/sidecar-injection). Pods that started before onboarding run without the envoy sidecar until their deployment is restarted: the command lists those deployments, and --restart rolls them as `kubectl rollout restart` does. Every namespace is checked before any is changed.';
  static override strict = false;
  static override args = { namespaces: Args.string({ description: 'NAMESPACE ...', required: true }) };
  static override examples = [
    '<%= config.bin %> namespace add bookstore bookbuyer bookthief bookwarehouse',
    '<%= config.bin %> namespace add bookbuyer --restart',
    '<%= config.bin %> namespace add ingress-nginx --mesh-name osm --disable-sidecar-injection',
  ];
  static override flags = {
    'mesh-name': meshNameFlag,
    'disable-sidecar-injection': Flags.boolean({ description: 'Disable automatic sidecar injection.' }),
    restart: Flags.boolean({
      description: 'Restart the deployments whose pods run without the sidecar, so that they get it.',
    }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const { argv } = await this.parse(NamespaceAdd);
    const names = [...new Set(argv as string[])];
    const clients = await this.kubeClients();
    const mesh = await findInstalledMesh(clients, { meshName: this.flags['mesh-name'] });
    const steps = await addNamespaces(clients, mesh.meshName, names, {
      disableSidecarInjection: this.flags['disable-sidecar-injection'],
    });
    for (const step of steps) this.logToStderr(step.message);

    const meshed = steps.filter((s) => s.outcome !== 'controlPlane').map((s) => s.namespace);
    const unmeshed = await findUnmeshedDeployments(clients, meshed);
    let restarted: { namespace: string; deployment: string }[] = [];
    if (this.flags.restart) {
      restarted = await restartDeployments(clients, unmeshed);
      for (const r of restarted)
        this.logToStderr(`deployment.apps/${r.deployment} restarted (namespace ${r.namespace})`);
    } else {
      for (const { namespace, deployments } of unmeshed) {
        this.reporter.warn(
          `Deployments in namespace [${namespace}] run pods without the envoy sidecar: ${deployments.join(', ')}. ` +
            `Restart them to inject it: \`arcmesh namespace add ${namespace} --restart\` ` +
            `(or \`kubectl rollout restart deployment ${deployments.join(' ')} -n ${namespace}\`).`,
        );
      }
    }
    // Advice only: the namespaces are onboarded already, so failing to look further must not fail the command.
    const gaps = await findPolicyGaps(clients, mesh, meshed).catch((error: Error) => {
      this.reporter.warn(`Could not check TrafficTargets and service accounts: ${error.message}`);
      return [];
    });
    for (const warning of policyGapWarnings(gaps)) this.reporter.warn(warning);
    this.print(
      steps.map((step) => ({
        namespace: step.namespace,
        mesh: mesh.meshName,
        status: step.outcome,
        message: step.message,
        deploymentsWithoutSidecar: unmeshed.find((u) => u.namespace === step.namespace)?.deployments ?? [],
        restarted: restarted.filter((r) => r.namespace === step.namespace).map((r) => r.deployment),
      })),
    );
  }
}
