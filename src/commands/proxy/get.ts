import { writeFile } from 'node:fs/promises';
import { Args, Flags } from '@oclif/core';
import { failedError, usageError } from '../../lib/errors.js';
import { adminAnswerProblem, proxyGet } from '../../lib/proxy/proxy-get.js';
import { ArcmeshCommand } from '../_shared/base-command.js';
import { kubeFlags } from '../_shared/kube-flags.js';

export default class ProxyGet extends ArcmeshCommand<typeof ProxyGet> {
  static override summary = "Get a query from a pod's Envoy sidecar admin API, as `osm proxy get` does.";
  static override description =
    "QUERY is sent as is (with its query string, e.g. `config_dump?include_eds`) to Envoy's admin API on port 15000 of the pod, through a port-forward by the Kubernetes API (pods/portforward), and the answer is printed as it comes: JSON for config_dump, text for clusters or stats. The pod must be Running and have the envoy sidecar. See https://www.envoyproxy.io/docs/envoy/latest/operations/admin for the queries. In the sandbox, the Envoy stand-in answers the same queries. An answer with an error status is printed too, and the command then exits 1.";
  static override examples = [
    '<%= config.bin %> proxy get config_dump bookbuyer-5ccf77f46d-rc5mg -n bookbuyer',
    '<%= config.bin %> proxy get clusters bookbuyer-5ccf77f46d-rc5mg -n bookbuyer -f clusters.txt',
    "<%= config.bin %> proxy get 'config_dump?include_eds' bookstore-v1-6f4c9dbd9b-6rzqx -n bookstore",
    '<%= config.bin %> proxy get config_dump $POD -n sample1 | jq -r \'.configs[] | select(.["@type"]=="type.googleapis.com/envoy.admin.v3.SecretsConfigDump") | .dynamic_active_secrets[] | select(.name == "service-cert:sample1/default").secret.tls_certificate.certificate_chain.inline_bytes\' | base64 -d | openssl x509 -noout -text',
  ];
  static override args = {
    query: Args.string({
      description: 'The Envoy admin query, e.g. config_dump, clusters, listeners, certs.',
      required: true,
    }),
    pod: Args.string({ description: 'The pod whose sidecar to ask.', required: true }),
  };
  static override flags = {
    namespace: Flags.string({ char: 'n', description: 'Namespace of pod.', default: 'default' }),
    file: Flags.string({ char: 'f', description: 'File to write output to.' }),
    'local-port': Flags.integer({
      char: 'p',
      description: 'Local port to use for port forwarding (default: a free port).',
      min: 0,
      max: 65535,
    }),
    ...kubeFlags,
  };

  async run(): Promise<void> {
    if (this.flags.file === '') throw usageError('--file needs a path.');
    const pod = { name: this.args.pod, namespace: this.flags.namespace };
    const answer = await proxyGet(await this.kubeTarget(), {
      pod,
      query: this.args.query,
      localPort: this.flags['local-port'] ?? 0,
      signal: this.abortSignal,
    });
    if (this.flags.file) {
      await writeFile(this.flags.file, answer.body).catch((error: Error) => {
        throw failedError(`Could not write ${this.flags.file}: ${error.message}`, 'Choose a writable path with -f.');
      });
    } else {
      process.stdout.write(answer.body);
    }
    const problem = adminAnswerProblem(pod, answer);
    if (problem) throw problem;
  }
}
