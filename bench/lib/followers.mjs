// `ccx logs -f --raw` followers as real CLI processes: each counts and hashes
// every byte it receives, so the bench can check that all of them got the
// whole output, byte for byte.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export class Follower {
  constructor(home, sessionId, readyMarker) {
    this.bytes = 0;
    this.hash = createHash('sha256');
    this.exitCode = undefined;
    this.endedAt = undefined;
    this.stderr = '';
    this.child = home.spawn(['logs', '-f', sessionId, '--raw']);
    this.pid = this.child.pid;
    let head = '';
    this.ready = new Promise((resolve, reject) => {
      this.child.stdout.on('data', (chunk) => {
        this.bytes += chunk.length;
        this.hash.update(chunk);
        if (head !== undefined) {
          head += chunk.toString('latin1');
          if (head.includes(readyMarker)) {
            head = undefined;
            resolve();
          }
        }
      });
      this.child.once('close', () => reject(new Error(`follower exited before ${readyMarker}: ${this.stderr.slice(0, 300)}`)));
    });
    this.ready.catch(() => {});
    this.child.stderr.on('data', (c) => (this.stderr += c));
    this.done = new Promise((resolve) => {
      this.child.once('close', (code) => {
        this.exitCode = code;
        this.endedAt = performance.now();
        this.digest = this.hash.digest('hex');
        resolve();
      });
    });
  }

  kill() {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
  }
}
