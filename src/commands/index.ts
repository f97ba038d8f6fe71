/**
 * Every command, by id (topics separated by ':'). oclif's explicit discovery reads this map from the bundle,
 * so adding a command means adding a line here.
 */
import type { Command } from '@oclif/core';

export const COMMANDS: Record<string, typeof Command> = {};
