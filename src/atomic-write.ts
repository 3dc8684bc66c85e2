/**
 * Files written whole or not at all (house style 20). Each file goes to a temporary name in the same
 * folder (so the rename never crosses a file system) and is renamed over the old one only once it is
 * complete: a reader, a second run writing into the same folder, a full disk or a signal never leave a
 * torn file behind. A set of files is written in two steps — every temporary first, then the renames,
 * the index file last — so a reader that sees the new index sees the whole new set.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Temporary files of this process not yet renamed: removed on a signal (see src/cli/main.ts). */
const pending = new Set<string>();

export function pendingTemporaryFiles(): readonly string[] {
  return [...pending];
}

/** A write that failed, naming the file. */
export class FileWriteError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`cannot write ${file}: ${describeFsError(cause)}`, { cause });
    this.name = 'FileWriteError';
  }
}

export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'no such file or folder',
    ENOTDIR: 'a part of the path is not a folder',
    EISDIR: 'is a folder',
    EDQUOT: 'disk quota exceeded',
    EEXIST: 'a file is in the way',
  };
  if (e?.code && known[e.code]) return `${known[e.code]} (${e.code})`;
  return e?.code ?? (error instanceof Error ? error.message : String(error));
}

function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export interface WriteOps {
  writeFile(path: string, data: string | Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

const realOps: WriteOps = {
  async writeFile(path, data) {
    // `wx`: never follow or reuse something already at the temporary name.
    const handle = await fs.open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fs.rename(from, to),
};

/**
 * Write every file, then rename them in the given order (put the index file last). When any write
 * fails, no file is replaced and every temporary is removed; the error names the file.
 */
export async function writeFilesAtomically(
  files: readonly { path: string; data: string | Uint8Array }[],
  ops: WriteOps = realOps,
): Promise<void> {
  const staged: { temp: string; path: string }[] = [];
  try {
    for (const file of files) {
      const temp = temporaryName(file.path);
      pending.add(temp);
      staged.push({ temp, path: file.path });
      try {
        await ops.writeFile(temp, file.data);
      } catch (error) {
        throw new FileWriteError(file.path, error);
      }
    }
    for (const { temp, path } of staged) {
      try {
        await ops.rename(temp, path);
      } catch (error) {
        throw new FileWriteError(path, error);
      }
      pending.delete(temp);
    }
  } finally {
    await Promise.all(
      staged
        .filter(({ temp }) => pending.has(temp))
        .map(async ({ temp }) => {
          await fs.rm(temp, { force: true }).catch(() => undefined);
          pending.delete(temp);
        }),
    );
  }
}

/** One file, atomically. */
export function writeFileAtomically(path: string, data: string | Uint8Array, ops?: WriteOps): Promise<void> {
  return writeFilesAtomically([{ path, data }], ops);
}

/**
 * Check up front that `dir` can take files (creating it if needed), so a run does not fetch for minutes
 * and then find it cannot write. Throws a FileWriteError naming the folder.
 */
export async function checkWritableFolder(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    const probe = temporaryName(join(dir, 'write-check'));
    await fs.writeFile(probe, '', { flag: 'wx' });
    await fs.rm(probe, { force: true });
  } catch (error) {
    throw new FileWriteError(dir, error);
  }
}

/** Remove temporaries left by this process (on a signal): synchronous, as the process is about to exit. */
export function removePendingTemporaryFilesSync(): void {
  for (const temp of pending) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // Nothing more can be done while exiting.
    }
  }
  pending.clear();
}
