/**
 * The sandbox's extension-type catalogue: which versions of microsoft.openservicemesh each release train
 * offers. Clients never import this; they ask the extension-types API like they would in Azure. Tests may
 * use it as the expected answer.
 *
 * Trains follow what the seeds and az show: `pilot` and `staging` were the preview trains (versions pinned,
 * no auto-upgrade; the Arc tutorial's 0.8.4), `stable` is the GA train with Arc's `x.y.z-N` version form.
 * 0.8.3 is in the catalogue (Jumpstart used it) but below the public-preview minimum of 0.8.4.
 */
export const OSM_EXTENSION_TYPE = 'microsoft.openservicemesh';

export const OSM_RELEASE_TRAINS: Readonly<Record<string, readonly string[]>> = {
  stable: ['1.0.0-1', '1.1.0-1', '1.1.1-1', '1.2.0-1', '1.2.5-1'],
  preview: ['1.3.0-1'],
  pilot: ['0.8.3', '0.8.4', '0.9.0', '0.9.1', '0.9.2', '1.0.0'],
  staging: ['0.8.4', '0.9.2', '1.0.0', '1.1.0'],
};

/** The train the service picks when a request names none (the API's default). */
export const DEFAULT_RELEASE_TRAIN = 'stable';

/** Default release namespace the service fills in for OSM when the request has none. */
export const OSM_DEFAULT_RELEASE_NAMESPACE = 'arc-osm-system';
