/** The CLI's entry point: oclif with the explicit command map in ./commands/index.ts and its manifest. */
import { execute } from '@oclif/core/execute';

export async function main(): Promise<void> {
  await execute({ dir: import.meta.url });
}
