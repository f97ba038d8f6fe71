import { Flags } from '@oclif/core';

/** `--state-dir`, shared by every sandbox command (defaults to ARCMESH_SANDBOX_DIR, then ~/.arcmesh/sandbox). */
export const stateDirFlag = Flags.string({
  description: 'Sandbox state directory (defaults to ARCMESH_SANDBOX_DIR, then ~/.arcmesh/sandbox).',
});
