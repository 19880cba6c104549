import * as fs from 'node:fs';

export class LocalStackBusyError extends Error {
  constructor(
    readonly pid: number,
    lockFile: string,
  ) {
    super(
      `another mediagate local stack (pid ${pid}) is using this state directory (${lockFile}). ` +
        'Wait for it to finish, stop it, or point MEDIAGATE_STATE_DIR elsewhere.',
    );
    this.name = 'LocalStackBusyError';
  }
}

/** An exclusive lock on the state directory: created atomically, reclaimed if its owner is dead. */
export function acquireLock(lockFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner))
        throw new LocalStackBusyError(owner, lockFile);
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`could not take the lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
