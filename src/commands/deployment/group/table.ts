/** az's table for a deployment: the columns a person checks after a deploy. */
export function deploymentTable(result: unknown): unknown {
  const deployment = result as { name?: string; resourceGroup?: string; properties?: Record<string, unknown> };
  return {
    Name: deployment.name,
    State: deployment.properties?.provisioningState,
    Timestamp: deployment.properties?.timestamp,
    Mode: deployment.properties?.mode,
    ResourceGroup: deployment.resourceGroup,
  };
}
