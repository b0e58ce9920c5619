export * from './errors.js';
export * from './events.js';
export * from './framing.js';
export * from './keys.js';
export * from './limits.js';
export * from './paths.js';
export * from './process-alive.js';
export * from './version.js';
export type * from './schemas.js';
