/**
 * Every command, by id (topics separated by ':'). oclif's explicit discovery reads this map from the bundle,
 * so adding a command means adding a line here.
 */
import type { Command } from '@oclif/core';
import AddonDisable from './addon/disable.js';
import AddonEnable from './addon/enable.js';
import AddonShow from './addon/show.js';
import CrdsBackup from './crds/backup.js';
import CrdsRestore from './crds/restore.js';
import Demo from './demo.js';
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
  'crds:backup': CrdsBackup,
  'crds:restore': CrdsRestore,
  demo: Demo,
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
