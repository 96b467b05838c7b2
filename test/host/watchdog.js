'use strict';
// Preloaded (node -r) into code-server by codeServer.js. If the Node process that started
// code-server dies without stopping it (SIGKILL, crash), code-server's top process notices it
// was re-parented and takes its whole process group down, so no orphans are left behind.
// Only the top process acts (its parent is the owner); children inherit the preload via fork's
// execArgv and do nothing.
const owner = Number(process.env.TANDEM_HOST_OWNER_PID || 0);
if (owner && process.ppid === owner) {
  const timer = setInterval(() => {
    if (process.ppid === owner) return;
    clearInterval(timer);
    try { process.kill(-process.pid, 'SIGTERM'); } catch { /* not a group leader */ }
    setTimeout(() => {
      try { process.kill(-process.pid, 'SIGKILL'); } catch { /* gone */ }
      process.exit(1);
    }, 3000).unref();
  }, 1000);
  timer.unref();
}
