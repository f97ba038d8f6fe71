/**
 * Every command, by id (topics separated by ':'). oclif's explicit discovery reads this map from the bundle,
 * so adding a command means adding a line here.
 */
import type { Command } from '@oclif/core';
import AddonDisable from './addon/disable.js';
import AddonEnable from './addon/enable.js';
import AddonShow from './addon/show.js';
import Check from './check.js';
import CrdsBackup from './crds/backup.js';
import CrdsRestore from './crds/restore.js';
import Demo from './demo.js';
import DeploymentGroupCreate from './deployment/group/create.js';
import DeploymentGroupShow from './deployment/group/show.js';
import DeploymentGroupValidate from './deployment/group/validate.js';
import DeploymentGroupWhatIf from './deployment/group/what-if.js';
import DeploymentOperationGroupList from './deployment/operation/group/list.js';
import ExtensionExportTemplate from './extension/export-template.js';
import ExtensionCreate from './extension/create.js';
import ExtensionDelete from './extension/delete.js';
import ExtensionList from './extension/list.js';
import ExtensionShow from './extension/show.js';
import ExtensionUpdate from './extension/update.js';
import ExtensionWait from './extension/wait.js';
import ExtensionTypesListVersions from './extension-types/list-versions.js';
import FeatureList from './feature/list.js';
import FeatureRegister from './feature/register.js';
import FeatureShow from './feature/show.js';
import FeatureUnregister from './feature/unregister.js';
import MeshInstall from './mesh/install.js';
import MeshStatus from './mesh/status.js';
import MeshUninstall from './mesh/uninstall.js';
import MeshUpgrade from './mesh/upgrade.js';
import MeshconfigPatch from './meshconfig/patch.js';
import MeshconfigSet from './meshconfig/set.js';
import MeshconfigShow from './meshconfig/show.js';
import MetricsDisable from './metrics/disable.js';
import MetricsEnable from './metrics/enable.js';
import MonitorConfigure from './monitor/configure.js';
import MonitorShow from './monitor/show.js';
import NamespaceAdd from './namespace/add.js';
import NamespaceList from './namespace/list.js';
import NamespaceRemove from './namespace/remove.js';
import ProviderRegister from './provider/register.js';
import ProviderShow from './provider/show.js';
import ProxyGet from './proxy/get.js';
import SandboxEnv from './sandbox/env.js';
import SandboxStart from './sandbox/start.js';
import SandboxStatus from './sandbox/status.js';
import SandboxStop from './sandbox/stop.js';
import Uninstall from './uninstall.js';
import Upgrade from './upgrade.js';
import Version from './version.js';

export const COMMANDS: Record<string, typeof Command> = {
  'addon:disable': AddonDisable,
  'addon:enable': AddonEnable,
  'addon:show': AddonShow,
  check: Check,
  'crds:backup': CrdsBackup,
  'crds:restore': CrdsRestore,
  demo: Demo,
  'deployment:group:create': DeploymentGroupCreate,
  'deployment:group:show': DeploymentGroupShow,
  'deployment:group:validate': DeploymentGroupValidate,
  'deployment:group:what-if': DeploymentGroupWhatIf,
  'deployment:operation:group:list': DeploymentOperationGroupList,
  'extension:export-template': ExtensionExportTemplate,
  'extension:create': ExtensionCreate,
  'extension:delete': ExtensionDelete,
  'extension:list': ExtensionList,
  'extension:show': ExtensionShow,
  'extension:update': ExtensionUpdate,
  'extension:wait': ExtensionWait,
  'extension-types:list-versions': ExtensionTypesListVersions,
  'feature:list': FeatureList,
  'feature:register': FeatureRegister,
  'feature:show': FeatureShow,
  'feature:unregister': FeatureUnregister,
  'mesh:install': MeshInstall,
  'mesh:status': MeshStatus,
  'mesh:uninstall': MeshUninstall,
  'mesh:upgrade': MeshUpgrade,
  'meshconfig:patch': MeshconfigPatch,
  'meshconfig:set': MeshconfigSet,
  'meshconfig:show': MeshconfigShow,
  'metrics:disable': MetricsDisable,
  'metrics:enable': MetricsEnable,
  'monitor:configure': MonitorConfigure,
  'monitor:show': MonitorShow,
  'namespace:add': NamespaceAdd,
  'namespace:list': NamespaceList,
  'namespace:remove': NamespaceRemove,
  'provider:register': ProviderRegister,
  'provider:show': ProviderShow,
  'proxy:get': ProxyGet,
  'sandbox:start': SandboxStart,
  'sandbox:stop': SandboxStop,
  'sandbox:status': SandboxStatus,
  'sandbox:env': SandboxEnv,
  uninstall: Uninstall,
  upgrade: Upgrade,
  version: Version,
};
