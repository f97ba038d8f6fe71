/**
 * Extension names the service cannot take (`ösm`, `my osm`) are refused before any call, by the rule the cluster
 * applies to the Helm release and Extension object they name; names in hints are quoted where a shell needs it.
 */
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../../src/lib/deployment/prepare.js';
import { ArcmeshError } from '../../src/lib/errors.js';
import { checkExtensionName, clusterArgs, extensionNameArg } from '../../src/lib/extension/cluster.js';
import { planCreate } from '../../src/lib/extension/plan.js';

const create = (name: string) =>
  planCreate({
    resourceGroup: 'arcmesh-sandbox',
    clusterName: 'arc-cluster',
    clusterType: 'connectedClusters',
    name,
    extensionType: 'microsoft.openservicemesh',
  });

describe('extension names', () => {
  it.each(['ösm', 'my osm', 'OSM', 'osm_1', '-osm', 'osm.', '', 'a'.repeat(254), "o'sm"])('refuses %j', (name) => {
    let failure: unknown;
    try {
      create(name);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ArcmeshError);
    expect((failure as ArcmeshError).kind).toBe('usage');
    expect((failure as ArcmeshError).message).toContain(JSON.stringify(name));
  });

  it.each(['osm', 'open-service-mesh', 'osm.v1', '0', 'a'.repeat(253)])('takes %j', (name) => {
    expect(() => checkExtensionName(name)).not.toThrow();
    expect(create(name).body.extensionType).toBe('microsoft.openservicemesh');
  });
});

describe('names in hints', () => {
  it('are quoted where a shell would split or expand them, and only there', () => {
    expect(extensionNameArg('my osm')).toBe("-n 'my osm'");
    expect(extensionNameArg("o'sm")).toBe(`-n 'o'\\''sm'`);
    expect(extensionNameArg('osm')).toBe('-n osm');
    expect(
      clusterArgs({ resourceGroup: 'rg (prod)', clusterName: 'arc $cluster', clusterType: 'connectedClusters' }),
    ).toBe("-c 'arc $cluster' -g 'rg (prod)' -t connectedClusters");
  });
});

describe('file paths', () => {
  it('says a directory given as a template file is a directory, not that it does not exist', () => {
    let failure: unknown;
    try {
      loadTemplate(tmpdir());
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ArcmeshError);
    expect((failure as ArcmeshError).kind).toBe('usage');
    expect((failure as ArcmeshError).message).toBe(`'${tmpdir()}' is a directory, not a file.`);
  });
});
