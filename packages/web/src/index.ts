export { startWebServer, registeredRoutes, type WebServer, type WebServerOptions } from './server.js';
export { TokenSource } from './auth.js';
export { rotateToken, readOrCreateToken, webTokenFile } from './token-store.js';
export { isLoopback } from './request-guard.js';
export { OPENAPI_DOCUMENT } from './openapi.js';
export type { ConnectDaemon, DaemonConnectionLike } from './daemon-link.js';
