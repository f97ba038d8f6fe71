/**
 * The seeds' story as data: what `arcmesh demo` runs, in order, against a sandbox. Each step is a command a
 * user would type (arcmesh or kubectl), the seed it comes from, and the exit code the story expects: the
 * refused MeshConfig patch of seed 001 is part of the story, and any other failure stops the demo.
 */
import { join } from 'node:path';
import { SANDBOX_CLUSTERS, SANDBOX_RESOURCE_GROUP } from '../../sandbox/arm/contract.js';
import { packageRoot } from '../package.js';

export interface DemoStep {
  /** Why the step is there, printed above the command. */
  title: string;
  program: 'arcmesh' | 'kubectl';
  args: string[];
  expectExit?: number;
}

const RG = SANDBOX_RESOURCE_GROUP;
const ARC = ['--cluster-name', SANDBOX_CLUSTERS.arc, '--resource-group', RG, '--cluster-type', 'connectedClusters'];

/** Seed 001's create command, verbatim but for the program name: the demo runs it, and so do tests and benches. */
export const SEED_001_CREATE = [
  'extension',
  'create',
  ...ARC,
  '--extension-type',
  'Microsoft.openservicemesh',
  '--scope',
  'cluster',
  '--release-train',
  'pilot',
  '--name',
  'osm',
  '--version',
  '0.8.4',
];

export const DEMO_STORY: DemoStep[] = [
  {
    title: 'Seed 002: register the AKS-OpenServiceMesh preview feature and wait until it is Registered',
    program: 'arcmesh',
    args: [
      'feature',
      'register',
      '--namespace',
      'Microsoft.ContainerService',
      '--name',
      'AKS-OpenServiceMesh',
      '--wait',
    ],
  },
  {
    title: 'Seed 002: verify the registration, with the seed’s own --query',
    program: 'arcmesh',
    args: [
      'feature',
      'list',
      '-o',
      'table',
      '--query',
      "[?contains(name, 'Microsoft.ContainerService/AKS-OpenServiceMesh')].{Name:name,State:properties.state}",
    ],
  },
  {
    title: 'Seed 002: refresh the resource provider registration',
    program: 'arcmesh',
    args: ['provider', 'register', '--namespace', 'Microsoft.ContainerService', '--wait'],
  },
  {
    title: 'Seed 002: enable the OSM add-on on the AKS cluster',
    program: 'arcmesh',
    args: [
      'addon',
      'enable',
      '--resource-group',
      RG,
      '--name',
      SANDBOX_CLUSTERS.aks,
      '--addons',
      'open-service-mesh',
      '--query',
      'addonProfiles.openServiceMesh',
    ],
  },
  {
    title: 'Seed 001: install OSM 0.8.4 from the pilot train on the Arc cluster',
    program: 'arcmesh',
    args: SEED_001_CREATE,
  },
  {
    title: 'Seed 001: wait until the extension agent has installed the chart',
    program: 'arcmesh',
    args: ['extension', 'wait', ...ARC, '--name', 'osm', '--custom', "installState=='Installed'", '--timeout', '120'],
  },
  {
    title: 'Seed 001: show the extension',
    program: 'arcmesh',
    args: ['extension', 'show', ...ARC, '--name', 'osm', '-o', 'table'],
  },
  {
    title: 'Seed 001 (v0.8.4): the controller configuration is the osm-config ConfigMap',
    program: 'kubectl',
    args: ['get', 'configmap', 'osm-config', '-n', 'arc-osm-system', '-o', 'jsonpath={.data}'],
  },
  {
    title: 'Seed 001: upgrade to the next minor, 0.9.2, whose configuration is the MeshConfig',
    program: 'arcmesh',
    args: ['extension', 'update', ...ARC, '--name', 'osm', '--version', '0.9.2', '--yes'],
  },
  {
    title: 'Seed 001: wait until the extension agent has upgraded the chart',
    program: 'arcmesh',
    args: [
      'extension',
      'wait',
      ...ARC,
      '--name',
      'osm',
      '--custom',
      "installState=='Installed' && currentVersion=='0.9.2'",
      '--timeout',
      '120',
    ],
  },
  {
    title: 'Seed 001: the mesh configuration the chart installed',
    program: 'kubectl',
    args: ['get', 'meshconfig', 'osm-mesh-config', '-n', 'arc-osm-system'],
  },
  {
    title: 'Seed 000: is permissive traffic policy mode on?',
    program: 'arcmesh',
    args: ['meshconfig', 'show', '--query', 'spec.traffic.enablePermissiveTrafficPolicyMode'],
  },
  { title: 'Seed 000: the application namespaces', program: 'kubectl', args: ['create', 'namespace', 'bookstore'] },
  { title: 'Seed 000: the application namespaces', program: 'kubectl', args: ['create', 'namespace', 'bookbuyer'] },
  {
    title: 'Seed 000: onboard them to the mesh (osm namespace add)',
    program: 'arcmesh',
    args: ['namespace', 'add', 'bookstore', 'bookbuyer'],
  },
  { title: 'Seed 000: the mesh’s namespaces', program: 'arcmesh', args: ['namespace', 'list', '-o', 'table'] },
  {
    title: 'Seed 001: turn permissive mode off, typed by the MeshConfig schema',
    program: 'arcmesh',
    args: ['meshconfig', 'set', 'traffic.enablePermissiveTrafficPolicyMode=false', '--query', 'spec.traffic'],
  },
  {
    title: 'Seed 001: a MeshConfig patch with a wrong type is refused by the API with the apiserver’s message',
    program: 'kubectl',
    args: [
      'patch',
      'meshconfig',
      'osm-mesh-config',
      '-n',
      'arc-osm-system',
      '-p',
      '{"spec":{"traffic":{"enableEgress":"no"}}}',
      '--type=merge',
    ],
    expectExit: 1,
  },
  {
    title: 'Seed 001: Prometheus scraping of the sidecars (osm metrics enable)',
    program: 'arcmesh',
    args: ['metrics', 'enable', '--namespace', 'bookstore,bookbuyer'],
  },
  {
    title: 'Seed 001: have Azure Monitor collect those metrics (container-azm-ms-osmconfig)',
    program: 'arcmesh',
    args: ['monitor', 'configure', '--namespaces', 'bookstore,bookbuyer'],
  },
  {
    title: 'Seed 001: remove the extension (Azure keeps the release namespace)',
    program: 'arcmesh',
    args: ['extension', 'delete', ...ARC, '--name', 'osm', '--yes'],
  },
  {
    title: 'Seed 001: install it again the pipeline way, with the ARM template',
    program: 'arcmesh',
    args: [
      'deployment',
      'group',
      'create',
      '--resource-group',
      RG,
      '--name',
      'osm-extension',
      '--template-file',
      join(packageRoot(), 'arm-templates', 'osm-arc-extension.json'),
      '--parameters',
      `@${join(packageRoot(), 'arm-templates', 'osm-arc-extension.parameters.json')}`,
      '--query',
      'properties.provisioningState',
    ],
  },
  {
    title: 'Seed 001: wait until the extension agent has installed it again',
    program: 'arcmesh',
    args: ['extension', 'wait', ...ARC, '--name', 'osm', '--custom', "installState=='Installed'", '--timeout', '120'],
  },
  {
    title: 'Seed 001: the extension the template created',
    program: 'arcmesh',
    args: ['extension', 'show', ...ARC, '--name', 'osm', '-o', 'table'],
  },
];
