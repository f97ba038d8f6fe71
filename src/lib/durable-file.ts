/**
 * Files that survive a crash at any instant: written to a temporary file beside the target and renamed over it
 * (readers see the old file or the new one, never half of one); with `durable`, flushed to disk before the
 * rename and the directory flushed after it, for files a resumed run depends on (manifests, journals).
 */
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomically(
  file: string,
  content: string | Uint8Array,
  options: { durable?: boolean; mode?: number } = {},
): Promise<void> {
  const directory = dirname(file);
  await createDirectory(directory, 0o777);
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

/**
 * Writes a file in place and flushes it to disk, with no temporary file beside it: for files whose directory is
 * unfinished until something else is written last (a backup's objects before its manifest), so a crash may leave a
 * file cut short, which that last file's absence already marks, but never a stray temporary file.
 */
export async function writeFileDurably(file: string, content: string | Uint8Array, mode = 0o600): Promise<void> {
  await createDirectory(dirname(file), 0o777);
  const handle = await open(file, 'w', mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates a directory and its missing parents one level at a time. Node's `mkdir({ recursive: true })` never returns
 * where the file system answers ENOENT for a parent that exists (such as under /proc): it retries forever.
 */
export async function createDirectory(directory: string, mode = 0o700): Promise<void> {
  const missing: string[] = [];
  for (let current = directory; ; current = dirname(current)) {
    try {
      if (!(await stat(current)).isDirectory()) {
        throw Object.assign(new Error(`ENOTDIR: ${current} is not a directory`), { code: 'ENOTDIR' });
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(current) === current) throw error;
      missing.unshift(current);
    }
  }
  for (const level of missing) {
    try {
      await mkdir(level, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
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
