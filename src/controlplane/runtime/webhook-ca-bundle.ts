/**
 * Keeps an admission webhook configuration trusting the mesh CA, as OSM v1.2's controller and injector do for
 * theirs (pkg/validator/patch.go, pkg/injector/patch.go): the configuration is created from the chart's spec when
 * it is missing, and every webhook in it gets the CA as its `caBundle` whenever it differs (a new CA, an install
 * that left it empty, someone clearing it). Only the leader writes; the configuration is watched, so a change to
 * it is put right within moments. The same keeper serves a ValidatingWebhookConfiguration and a
 * MutatingWebhookConfiguration.
 *
 * `caBundlePatch` is the whole decision, as a JSON patch whose `test`s make it apply only to the webhooks it was
 * computed from: a configuration reordered in between is refused (422) and checked again on the next event.
 */
import type { AdmissionregistrationV1Api, KubeConfig } from '@kubernetes/client-node';
import { apiStatus, readOptional } from '../../kube/clients.js';
import { watchNamedObject, type NamedObjectWatch } from './watch-object.js';

export type WebhookConfigurationKind = 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';

/** The part of a webhook configuration the keeper reads. */
export interface WebhookConfigurationShape {
  metadata?: { name?: string };
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

export type JsonPatchOperation =
  { op: 'test'; path: string; value: unknown } | { op: 'add'; path: string; value: unknown };

/** The caBundle field's value for a PEM bundle: base64 of the PEM text. */
export function caBundleOf(caPem: string): string {
  return Buffer.from(caPem).toString('base64');
}

/** What makes every webhook of `config` carry `caBundle`; empty when they all do. */
export function caBundlePatch(config: WebhookConfigurationShape, caBundle: string): JsonPatchOperation[] {
  return (config.webhooks ?? []).flatMap((webhook, index): JsonPatchOperation[] =>
    webhook.clientConfig?.caBundle === caBundle
      ? []
      : [
          { op: 'test', path: `/webhooks/${index}/name`, value: webhook.name },
          webhook.clientConfig
            ? { op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle }
            : { op: 'add', path: `/webhooks/${index}/clientConfig`, value: { caBundle } },
        ],
  );
}

/** `template` with `caBundle` in every webhook: what is created when the configuration is missing. */
export function withCaBundle<T extends WebhookConfigurationShape>(template: T, caBundle: string): T {
  return {
    ...template,
    webhooks: (template.webhooks ?? []).map((webhook) => ({
      ...webhook,
      clientConfig: { ...webhook.clientConfig, caBundle },
    })),
  };
}

export interface WebhookCaBundleKeeperOptions {
  kubeConfig: KubeConfig;
  kind: WebhookConfigurationKind;
  /** The configuration to create when there is none; its caBundles are filled in. Its metadata.name is kept. */
  template: WebhookConfigurationShape & { metadata: { name: string } };
  /** The PEM bundle the webhooks' server certificates chain to. */
  caPem: string;
  /** Only the leader writes; the others watch and do nothing. */
  isLeader(): boolean;
  log(level: 'debug' | 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
  /** The watch's first retry after a failure; default 1 s. */
  retryMs?: number;
}

export interface WebhookCaBundleKeeper {
  /** Checks the configuration now (after leadership is gained, say); resolves once it is up to date. */
  recheck(): Promise<void>;
  /** A new mesh CA: every webhook is patched to trust it. */
  setCaPem(caPem: string): Promise<void>;
  stop(): Promise<void>;
}

type Api = Pick<
  AdmissionregistrationV1Api,
  | 'readValidatingWebhookConfiguration'
  | 'createValidatingWebhookConfiguration'
  | 'patchValidatingWebhookConfiguration'
  | 'readMutatingWebhookConfiguration'
  | 'createMutatingWebhookConfiguration'
  | 'patchMutatingWebhookConfiguration'
>;

function clientFor(api: Api, kind: WebhookConfigurationKind) {
  return kind === 'ValidatingWebhookConfiguration'
    ? {
        plural: 'validatingwebhookconfigurations',
        read: (name: string) => api.readValidatingWebhookConfiguration({ name }),
        create: (body: object) => api.createValidatingWebhookConfiguration({ body }),
        patch: (name: string, body: object, options: object) =>
          api.patchValidatingWebhookConfiguration({ name, body }, options),
      }
    : {
        plural: 'mutatingwebhookconfigurations',
        read: (name: string) => api.readMutatingWebhookConfiguration({ name }),
        create: (body: object) => api.createMutatingWebhookConfiguration({ body }),
        patch: (name: string, body: object, options: object) =>
          api.patchMutatingWebhookConfiguration({ name, body }, options),
      };
}

export async function keepWebhookCaBundle(options: WebhookCaBundleKeeperOptions): Promise<WebhookCaBundleKeeper> {
  const k8s = await import('@kubernetes/client-node');
  const client = clientFor(options.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api), options.kind);
  const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
  const { name } = options.template.metadata;
  const what = `${options.kind} ${name}`;
  let caBundle = caBundleOf(options.caPem);

  async function reconcile(): Promise<void> {
    if (!options.isLeader()) return;
    const current = (await readOptional(() => client.read(name))) as WebhookConfigurationShape | undefined;
    try {
      if (!current) {
        await client.create(withCaBundle(options.template, caBundle));
        options.log('info', `created ${what} with the mesh CA as its caBundle`);
        return;
      }
      const patch = caBundlePatch(current, caBundle);
      if (patch.length === 0) return;
      await client.patch(name, patch, jsonPatch);
      options.log('info', `set the caBundle of ${what} to the mesh CA`, { webhooks: patch.length / 2 });
    } catch (error) {
      const status = apiStatus(error);
      // 409: created meanwhile; 422: a test failed, changed meanwhile. Either way the watch brings the change.
      if (status === 409 || status === 422) return;
      options.log('warn', `could not ${current ? 'patch' : 'create'} ${what}`, {
        error: String(error),
        hint:
          status === 403
            ? `give the control plane's service account ${current ? 'patch' : 'create'} on ${client.plural} (the chart's RBAC does)`
            : 'it is tried again at the next change of the configuration and whenever its watch restarts',
      });
    }
  }

  const watch: NamedObjectWatch = watchNamedObject({
    kubeConfig: options.kubeConfig,
    collectionPath: `/apis/admissionregistration.k8s.io/v1/${client.plural}`,
    name,
    onChange: reconcile,
    log: options.log,
    retryMs: options.retryMs,
  });

  return {
    recheck: watch.recheck,
    setCaPem(caPem) {
      caBundle = caBundleOf(caPem);
      return watch.recheck();
    },
    stop: watch.stop,
  };
}
