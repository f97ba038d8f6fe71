// The Open Service Mesh cluster extension on an Azure Arc-enabled Kubernetes cluster: the Bicep form of
// osm-arc-extension.json (same parameters, so the same parameters file works with both).

@description('The Azure Arc connected cluster name.')
param ConnectedClusterName string

@description('The extension instance name (az --name).')
param ExtensionInstanceName string = 'osm'

@description('The extension version to pin (az --version), e.g. 1.2.5-1. Empty follows the release train.')
param ExtensionVersion string = ''

@description('The release train (az --release-train).')
@allowed([
  'stable'
  'preview'
  'pilot'
  'staging'
])
param ReleaseTrain string = 'stable'

@description('Upgrade minor versions automatically; must be false when ExtensionVersion is set.')
param AutoUpgradeMinorVersion bool = empty(ExtensionVersion)

@description('The namespace OSM is installed in (az --release-namespace).')
param ReleaseNamespace string = 'arc-osm-system'

@description('Configuration settings (az --configuration-settings).')
param ConfigurationSettings object = {}

@description('Protected configuration settings (az --configuration-protected-settings); never returned by ARM.')
@secure()
param ConfigurationProtectedSettings object = {}

resource connectedCluster 'Microsoft.Kubernetes/connectedClusters@2024-01-01' existing = {
  name: ConnectedClusterName
}

resource osm 'Microsoft.KubernetesConfiguration/extensions@2023-05-01' = {
  name: ExtensionInstanceName
  scope: connectedCluster
  properties: {
    extensionType: 'microsoft.openservicemesh'
    autoUpgradeMinorVersion: AutoUpgradeMinorVersion
    releaseTrain: ReleaseTrain
    version: empty(ExtensionVersion) ? null : ExtensionVersion
    scope: {
      cluster: {
        releaseNamespace: ReleaseNamespace
      }
    }
    configurationSettings: ConfigurationSettings
    configurationProtectedSettings: ConfigurationProtectedSettings
  }
}

output extensionId string = osm.id
