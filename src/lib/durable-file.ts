/**
 * Files that survive a crash at any instant: written to a temporary file beside the target and renamed over it
 * (readers see the old file or the new one, never half of one); with `durable`, flushed to disk before the
 * rename and the directory flushed after it, for files a resumed run depends on (manifests, journals).
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomically(
  file: string,
  content: string | Uint8Array,
  options: { durable?: boolean; mode?: number } = {},
): Promise<void> {
  const directory = dirname(file);
  await mkdir(directory, { recursive: true });
  const temporary = join(directory, `.${basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const handle = await open(temporary, 'w', options.mode ?? 0o600);
  try {
    await handle.writeFile(content);
    if (options.durable) await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, file);
  if (options.durable) await syncDirectory(directory);
}

/** Makes a rename or a new file in the directory durable (a no-op where directories cannot be opened). */
export async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a directory for syncing; NTFS journals the rename itself.
  } finally {
    await handle?.close();
  }
}
