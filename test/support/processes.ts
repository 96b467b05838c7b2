// Process helpers shared by tests that start engine host processes.

/** Whether a process with this pid still exists (signal 0 probes without killing). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
