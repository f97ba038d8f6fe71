// An AKS cluster with the Open Service Mesh add-on: the Bicep form of osm-aks-addon.json (same parameters).

@description('The AKS managed cluster name.')
param clusterName string

@description('The cluster\'s region.')
param location string = resourceGroup().location

@description('The Kubernetes version (the add-on\'s OSM version follows from it).')
param kubernetesVersion string = '1.30'

@description('The DNS prefix of the API server\'s name.')
param dnsPrefix string = '${clusterName}-dns'

@description('Nodes in the system pool.')
@minValue(1)
@maxValue(100)
param nodeCount int = 3

@description('VM size of the system pool\'s nodes.')
param nodeVmSize string = 'Standard_DS2_v2'

@description('Enable (true) or disable (false) the Open Service Mesh add-on.')
param openServiceMeshEnabled bool = true

resource cluster 'Microsoft.ContainerService/managedClusters@2024-09-01' = {
  name: clusterName
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    kubernetesVersion: kubernetesVersion
    dnsPrefix: dnsPrefix
    enableRBAC: true
    agentPoolProfiles: [
      {
        name: 'nodepool1'
        count: nodeCount
        vmSize: nodeVmSize
        osType: 'Linux'
        mode: 'System'
      }
    ]
    addonProfiles: {
      openServiceMesh: {
        enabled: openServiceMeshEnabled
        config: {}
      }
    }
  }
}

output clusterId string = cluster.id
