#!/usr/bin/env node
// The floor: a bare script that runs programs in node-pty and reads their
// output, with nothing else — optionally feeding a headless xterm as well, to
// show what screen tracking alone costs. Run as a child of the bench so its
// event loop is its own. Prints one JSON line: {ms, bytes[], cpuMs} (cpuMs includes node's start-up).
//
//   raw-pty.mjs cat FILE [--count N] [--xterm]   N programs `cat FILE` at once
import { readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { daemonRequire } from './paths.mjs';

const pty = daemonRequire('node-pty');

function runCat(file, withXterm) {
  return new Promise((resolve) => {
    let bytes = 0;
    let term;
    if (withXterm) {
      const { Terminal } = daemonRequire('@xterm/headless');
      term = new Terminal({ cols: 80, rows: 24, scrollback: 1000, allowProposedApi: true });
    }
    const proc = pty.spawn('cat', [file], { name: 'xterm-256color', cols: 80, rows: 24, cwd: process.cwd(), env: process.env, encoding: null });
    const onData = (data) => {
      bytes += data.length;
      term?.write(data);
    };
    proc.onData(onData);
    drainOnEnd(proc, onData);
    proc.onExit(() => {
      // The exit can be reported before the last data event: let pending reads land.
      setImmediate(() => {
        if (!term) return resolve(bytes);
        term.write('', () => {
          term.dispose();
          resolve(bytes);
        });
      });
    });
  });
}

/**
 * libuv takes POLLHUP after a short read for end-of-file, while a PTY master
 * still holds the program's last few KiB: without this, node-pty drops the
 * tail of a fast program's output (node-pty#726). The same work-around as the
 * daemon's, so the floor reads every byte too.
 */
function drainOnEnd(proc, onData) {
  const socket = proc._socket;
  const fd = proc._fd;
  if (!socket || typeof fd !== 'number') return;
  socket.prependListener('end', () => {
    for (;;) {
      const buf = Buffer.allocUnsafe(65536);
      let n = 0;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch {
        return; // EIO: the slave side is closed and nothing is left; EAGAIN: nothing now.
      }
      if (n <= 0) return;
      onData(buf.subarray(0, n));
    }
  });
}

const [mode, file, ...rest] = process.argv.slice(2);
if (mode !== 'cat' || !file) {
  process.stderr.write('usage: raw-pty.mjs cat FILE [--count N] [--xterm]\n');
  process.exit(2);
}
const count = rest.includes('--count') ? Number(rest[rest.indexOf('--count') + 1]) : 1;
const withXterm = rest.includes('--xterm');
const started = performance.now();
const bytes = await Promise.all(Array.from({ length: count }, () => runCat(file, withXterm)));
const ms = performance.now() - started;
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ ms, bytes, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
process.exit(0);
