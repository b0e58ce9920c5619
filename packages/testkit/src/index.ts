// The one testkit of test/, bench/ and stress/ (plain .mjs import it from dist/).
export * from './claude-offline.js';
export * from './cli.js';
export * from './disk.js';
export * from './followers.js';
export * from './home.js';
export * from './hooks.js';
export * from './net.js';
export * from './paths.js';
export * from './procs.js';
export * from './protocol-client.js';
export * from './sshd.js';
export * from './wait.js';
