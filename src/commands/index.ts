/**
 * Every command, by id (topics separated by ':'). oclif's explicit discovery reads this map from the bundle,
 * so adding a command means adding a line here.
 */
import type { Command } from '@oclif/core';
import SandboxEnv from './sandbox/env.js';
import SandboxStart from './sandbox/start.js';
import SandboxStatus from './sandbox/status.js';
import SandboxStop from './sandbox/stop.js';

export const COMMANDS: Record<string, typeof Command> = {
  'sandbox:start': SandboxStart,
  'sandbox:stop': SandboxStop,
  'sandbox:status': SandboxStatus,
  'sandbox:env': SandboxEnv,
};
