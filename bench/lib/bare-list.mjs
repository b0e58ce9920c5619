#!/usr/bin/env node
// What a Node CLI minimally does for `ccx list`: node:net only, frames made by
// hand (4-byte length + JSON), hello, one request, print, exit. The round-trip
// scenario times it as the floor for ccx's own start-up.
//
//   bare-list.mjs SOCKET_PATH VERSION PROTOCOL
import { createConnection } from 'node:net';

const [socketPath, version, protocol] = process.argv.slice(2);
const frame = (message) => {
  const body = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
};
const socket = createConnection(socketPath);
socket.write(frame({ t: 'hello', protocol: Number(protocol), version }));
socket.write(frame({ t: 'req', id: 1, method: 'session.list', params: { all: false } }));
let pending = Buffer.alloc(0);
socket.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
    const message = JSON.parse(pending.subarray(4, 4 + pending.readUInt32BE(0)).toString('utf8'));
    pending = pending.subarray(4 + pending.readUInt32BE(0));
    if (message.t === 'res') {
      process.stdout.write(`${message.ok ? message.result.length : 'error'} sessions\n`);
      process.exitCode = message.ok ? 0 : 1;
      socket.end();
    }
  }
});
