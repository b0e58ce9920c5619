// Full garbage collection in the daemon, from outside, so memory figures show
// what is retained rather than what V8 has not collected yet. The daemon of a
// drill is started with `--inspect-port` on a free loopback port; SIGUSR1
// opens its inspector there, and HeapProfiler.collectGarbage runs a full GC.
import { execFile } from 'node:child_process';
import { freePort, sleep } from '../../packages/testkit/dist/index.js';

/** Environment that lets `forceGc` reach a daemon started with it. */
export async function gcEnv() {
  const port = await freePort();
  return { port, env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect-port=127.0.0.1:${port}`.trim() } };
}

// Node 20 has a WebSocket client only behind a flag: the inspector requests run in a child.
const CLIENT = `
const ws = new WebSocket(process.argv[1]);
const timer = setTimeout(() => process.exit(2), 20000);
ws.onopen = () => ws.send(process.argv[2]);
ws.onmessage = (m) => { const msg = JSON.parse(m.data); if (msg.id === 1) { clearTimeout(timer); process.stdout.write(JSON.stringify(msg.result ?? null)); ws.close(); process.exit(0); } };
ws.onerror = () => process.exit(3);
`;

function inspectorCall(target, method, params = {}) {
  return new Promise((resolve) =>
    execFile(process.execPath, ['--experimental-websocket', '--no-warnings', '-e', CLIENT, target, JSON.stringify({ id: 1, method, params })], { timeout: 30_000 }, (error, stdout) =>
      resolve(error ? undefined : JSON.parse(stdout || 'null')),
    ),
  );
}

async function inspectorTarget(pid, port) {
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
      if (list[0]?.webSocketDebuggerUrl) return list[0].webSocketDebuggerUrl;
    } catch {
      if (attempt === 0) process.kill(pid, 'SIGUSR1');
      await sleep(100);
    }
  }
  return undefined;
}

/** Runs two full GCs in the daemon; false when its inspector cannot be reached. */
export async function forceGc(pid, port) {
  const target = await inspectorTarget(pid, port);
  if (!target) return false;
  for (let i = 0; i < 2; i++) {
    if ((await inspectorCall(target, 'HeapProfiler.collectGarbage')) === undefined) return false;
  }
  return true;
}

/** The JS heap in use (bytes) of a process `forceGc` can reach; undefined when it cannot be asked. */
export async function heapUsedBytes(pid, port) {
  const target = await inspectorTarget(pid, port);
  const usage = target && (await inspectorCall(target, 'Runtime.getHeapUsage'));
  return usage?.usedSize;
}
