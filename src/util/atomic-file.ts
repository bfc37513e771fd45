/** Whole-file writes that never leave a half-written target: temporary file, fsync, rename. */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

/** Writes all of `bytes` at the descriptor's position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Lets `fill` write a temporary file in the same directory, fsyncs it, then renames it over `file`;
 * on failure the temporary file is removed and `file` is left as it was.
 */
export function writeAtomically(file: string, fill: (fd: number) => void): void {
  const tmp = `${file}.tmp-${process.pid}`;
  // Exclusive: never truncate (or later remove) a file that another writer or a symlink put there.
  const fd = openSync(tmp, 'wx');
  try {
    fill(fd);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}

/** Temporary files of writeAtomically: `<name>.tmp-<pid>`. */
export const TEMPORARY_FILE = /\.tmp-(\d+)$/;

/** Writes `data` to `file` atomically (see writeAtomically). */
export function writeFileAtomic(file: string, data: Uint8Array): void {
  writeAtomically(file, (fd) => writeAll(fd, data));
}
