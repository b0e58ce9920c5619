// The one testkit of test/, bench/ and stress/ (plain .mjs import it from dist/).
export * from './protocol-client.js';
