import { Flags } from '@oclif/core';
import { gatherVersionReport, renderVersionText, versionReportProblem } from '../lib/version/versions.js';
import { ArcmeshCommand } from './_shared/base-command.js';
import { kubeFlags } from './_shared/kube-flags.js';

export default class Version extends ArcmeshCommand<typeof Version> {
  static override summary = "Show the CLI's version and each mesh's control plane version, as `osm version` does.";
  static override description =
    "The control plane version is the one the osm-controller of each mesh in the cluster reports at /version on its HTTP port (9091), read through a port-forward (pods/portforward). Prints osm's layout on a terminal (-o table), an object {cli, meshes} with -o json. When the cluster cannot be reached the CLI version is still printed, and the command says why the mesh version is missing and exits 1.";
  static override examples = [
    '<%= config.bin %> version',
    '<%= config.bin %> version --client-only',
    '<%= config.bin %> version -o json --query "meshes[].version"',
  ];
  static override flags = {
    'client-only': Flags.boolean({ description: 'Only show the CLI version.' }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    const report = this.flags['client-only']
      ? { cli: { version: this.config.version } }
      : await gatherVersionReport(this.config.version, () => this.kubeTarget());
    // A version reads best as osm prints it; on a terminal that is the default.
    const text =
      this.flags.output === 'table' ||
      (this.flags.output === undefined && !process.env.ARCMESH_OUTPUT && process.stdout.isTTY);
    if (text && !this.flags.query) process.stdout.write(renderVersionText(report));
    else this.print(report);
    const problem = versionReportProblem(report);
    if (problem) throw problem;
  }
}
