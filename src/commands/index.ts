/**
 * Every command, by id (topics separated by ':'). oclif's explicit discovery reads this map from the bundle,
 * so adding a command means adding a line here.
 */
import type { Command } from '@oclif/core';
import AddonDisable from './addon/disable.js';
import AddonEnable from './addon/enable.js';
import AddonShow from './addon/show.js';
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
import ProviderRegister from './provider/register.js';
import ProviderShow from './provider/show.js';
import SandboxEnv from './sandbox/env.js';
import SandboxStart from './sandbox/start.js';
import SandboxStatus from './sandbox/status.js';
import SandboxStop from './sandbox/stop.js';

export const COMMANDS: Record<string, typeof Command> = {
  'addon:disable': AddonDisable,
  'addon:enable': AddonEnable,
  'addon:show': AddonShow,
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
  'provider:register': ProviderRegister,
  'provider:show': ProviderShow,
  'sandbox:start': SandboxStart,
  'sandbox:stop': SandboxStop,
  'sandbox:status': SandboxStatus,
  'sandbox:env': SandboxEnv,
};
