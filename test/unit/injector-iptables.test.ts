import { describe, expect, it } from 'vitest';
import {
  interceptionForPod,
  iptablesScript,
  type TrafficInterceptionSettings,
} from '../../src/controlplane/injector/iptables.js';

const NO_LISTS: TrafficInterceptionSettings = {
  outboundIPRangeExclusionList: [],
  outboundIPRangeInclusionList: [],
  outboundPortExclusionList: [],
  inboundPortExclusionList: [],
  networkInterfaceExclusionList: [],
};

const HEADER = [
  'iptables-restore --noflush <<EOF',
  '# OSM sidecar interception rules',
  '*nat',
  ':OSM_PROXY_INBOUND - [0:0]',
  ':OSM_PROXY_IN_REDIRECT - [0:0]',
  ':OSM_PROXY_OUTBOUND - [0:0]',
  ':OSM_PROXY_OUT_REDIRECT - [0:0]',
];
const INBOUND_STATIC = [
  '-A OSM_PROXY_IN_REDIRECT -p tcp -j REDIRECT --to-port 15003',
  '-A PREROUTING -p tcp -j OSM_PROXY_INBOUND',
  '-A OSM_PROXY_INBOUND -p tcp --dport 15010 -j RETURN',
  '-A OSM_PROXY_INBOUND -p tcp --dport 15901 -j RETURN',
  '-A OSM_PROXY_INBOUND -p tcp --dport 15902 -j RETURN',
  '-A OSM_PROXY_INBOUND -p tcp --dport 15903 -j RETURN',
  '-A OSM_PROXY_INBOUND -p tcp --dport 15904 -j RETURN',
  '-A OSM_PROXY_INBOUND -p tcp -j OSM_PROXY_IN_REDIRECT',
];
const OUTBOUND_STATIC = [
  '-A OSM_PROXY_OUT_REDIRECT -p tcp -j REDIRECT --to-port 15001',
  '-A OSM_PROXY_OUT_REDIRECT -p tcp --dport 15000 -j ACCEPT',
  '-A OUTPUT -p tcp -j OSM_PROXY_OUTBOUND',
  '-A OSM_PROXY_OUTBOUND -o lo ! -d 127.0.0.1/32 -m owner --uid-owner 1500 -j OSM_PROXY_IN_REDIRECT',
  '-A OSM_PROXY_OUTBOUND -o lo -m owner ! --uid-owner 1500 -j RETURN',
  '-A OSM_PROXY_OUTBOUND -m owner --uid-owner 1500 -j RETURN',
  '-A OSM_PROXY_OUTBOUND -d 127.0.0.1/32 -j RETURN',
];
const FOOTER = ['COMMIT', 'EOF', ''];

describe('iptablesScript (OSM generateIptablesCommands)', () => {
  it('renders the default rules: everything else outbound goes to Envoy', () => {
    expect(iptablesScript({ ...NO_LISTS, localProxyMode: 'Localhost' }).split('\n')).toEqual([
      ...HEADER,
      ...INBOUND_STATIC,
      ...OUTBOUND_STATIC,
      '-A OSM_PROXY_OUTBOUND -j OSM_PROXY_OUT_REDIRECT',
      ...FOOTER,
    ]);
  });

  it('renders every exclusion kind, inserts the inbound ones, and ends inclusions with RETURN', () => {
    const script = iptablesScript({
      outboundIPRangeExclusionList: ['10.0.0.0/8', '192.168.0.0/16'],
      outboundIPRangeInclusionList: ['10.1.0.0/16'],
      outboundPortExclusionList: [6379, 3306],
      inboundPortExclusionList: [8080, 9090],
      networkInterfaceExclusionList: ['eth1', 'net2'],
      localProxyMode: 'PodIP',
    });
    expect(script.split('\n')).toEqual([
      ...HEADER,
      ...INBOUND_STATIC,
      '-I OSM_PROXY_INBOUND -i eth1 -j RETURN',
      '-I OSM_PROXY_INBOUND -i net2 -j RETURN',
      '-I OSM_PROXY_INBOUND -p tcp --match multiport --dports 8080,9090 -j RETURN',
      ...OUTBOUND_STATIC,
      '-I OUTPUT -p tcp -o lo -d 127.0.0.1/32 -m owner --uid-owner 1500 -j DNAT --to-destination $POD_IP',
      '-A OSM_PROXY_OUTBOUND -o eth1 -j RETURN',
      '-A OSM_PROXY_OUTBOUND -o net2 -j RETURN',
      '-A OSM_PROXY_OUTBOUND -d 10.0.0.0/8 -j RETURN',
      '-A OSM_PROXY_OUTBOUND -d 192.168.0.0/16 -j RETURN',
      '-A OSM_PROXY_OUTBOUND -p tcp --match multiport --dports 6379,3306 -j RETURN',
      '-A OSM_PROXY_OUTBOUND -d 10.1.0.0/16 -j OSM_PROXY_OUT_REDIRECT',
      '-A OSM_PROXY_OUTBOUND -j RETURN',
      ...FOOTER,
    ]);
  });
});

describe('interceptionForPod (OSM exclusions.go)', () => {
  const mesh: TrafficInterceptionSettings = {
    ...NO_LISTS,
    outboundPortExclusionList: [6379, 443],
    inboundPortExclusionList: [9090],
    outboundIPRangeExclusionList: ['10.0.0.0/8'],
    outboundIPRangeInclusionList: ['172.16.0.0/12'],
    networkInterfaceExclusionList: ['eth1'],
  };

  it('merges ports MeshConfig-first and IP ranges pod-first, trimmed and deduplicated', () => {
    const result = interceptionForPod(mesh, {
      'openservicemesh.io/outbound-port-exclusion-list': ' 443, 8443 ,8443',
      'openservicemesh.io/inbound-port-exclusion-list': '+8080',
      'openservicemesh.io/outbound-ip-range-exclusion-list': '1.1.1.1/32, 10.0.0.0/8',
      'openservicemesh.io/outbound-ip-range-inclusion-list': 'fd00::/8',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        outboundPortExclusionList: [6379, 443, 8443],
        inboundPortExclusionList: [9090, 8080],
        outboundIPRangeExclusionList: ['1.1.1.1/32', '10.0.0.0/8'],
        outboundIPRangeInclusionList: ['fd00::/8', '172.16.0.0/12'],
        networkInterfaceExclusionList: ['eth1'],
      },
    });
  });

  it.each([
    ['openservicemesh.io/outbound-port-exclusion-list', '80,0', "Invalid port value '0' specified for annotation"],
    ['openservicemesh.io/inbound-port-exclusion-list', 'http', "Invalid port value 'http' specified for annotation"],
    ['openservicemesh.io/outbound-port-exclusion-list', '80,', "Invalid port value '' specified for annotation"],
    ['openservicemesh.io/outbound-ip-range-exclusion-list', '10.0.0.1', "Invalid IP range '10.0.0.1' specified for"],
    ['openservicemesh.io/outbound-ip-range-inclusion-list', '10.0.0.0/33', "Invalid IP range '10.0.0.0/33' specified"],
    ['openservicemesh.io/outbound-ip-range-exclusion-list', '300.0.0.0/8', "Invalid IP range '300.0.0.0/8' specified"],
  ])('rejects %s=%s with OSM message', (key, value, message) => {
    const result = interceptionForPod(mesh, { [key]: value });
    expect(result).toEqual({ ok: false, message: expect.stringContaining(message) });
    expect(result.ok === false && result.message.endsWith(`annotation '${key}'`)).toBe(true);
  });
});
