/**
 * The API as an OpenAPI 3.1 document, written by hand (GET /api/openapi.json).
 * test/web-api.test.ts checks that every route the server registers is here.
 */
const json = (schema: object) => ({ 'application/json': { schema } });
const error = { description: 'An error: {error: {code, message, hint?}}', content: json({ $ref: '#/components/schemas/Error' }) };
const id = { name: 'id', in: 'path', required: true, description: 'Session id, id prefix or name', schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' } };
const errors = { '400': error, '401': error, '403': error, '404': error, '409': error, '413': error, '503': error };
const ok = (description: string, schema: object = { type: 'object' }) => ({ '200': { description, content: json(schema) }, ...errors });
const body = (schema: object) => ({ required: false, content: json(schema) });
const sse = {
  '200': { description: 'text/event-stream: `id:` is the event seq, `data:` the event as JSON; `: heartbeat` comments every 15 s; `retry:` first', content: { 'text/event-stream': { schema: { type: 'string' } } } },
  ...errors,
};
const sseParams = [
  { name: 'Last-Event-ID', in: 'header', required: false, description: 'Resume after this seq (sent by browsers when they reconnect)', schema: { type: 'string' } },
  { name: 'since', in: 'query', required: false, description: 'Start after this seq, or `now`; default: the start of the events log', schema: { type: 'string' } },
];

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: { title: 'ccx web', version: '1', description: 'Sessions of the ccx daemon over HTTP. Auth: `Authorization: Bearer TOKEN` (the token `ccx web` prints), or the cookie POST /api/login sets. Requests with a foreign Host or Origin are refused (403).' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, cookie: { type: 'apiKey', in: 'cookie', name: 'ccx_web_PORT' } },
    schemas: {
      Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } } } } },
      Session: { type: 'object', description: 'As `ccx list --json` prints it', properties: { id: { type: 'string' }, name: { type: ['string', 'null'] }, status: { enum: ['running', 'exited', 'cancelled', 'failed', 'lost'] }, activity: { enum: ['busy', 'idle', 'waiting', null] }, exitCode: { type: ['number', 'null'] } } },
    },
  },
  security: [{ bearer: [] }, { cookie: [] }],
  paths: {
    '/api/openapi.json': { get: { summary: 'This document', security: [], responses: ok('OpenAPI 3.1') } },
    '/api/login': { post: { summary: 'Trade the token (from the URL fragment) for an HttpOnly SameSite=Strict cookie', security: [], requestBody: body({ type: 'object', required: ['token'], properties: { token: { type: 'string' } } }), responses: { '204': { description: 'Cookie set' }, ...errors } } },
    '/api/sessions': {
      get: { summary: 'Every session, ended ones too', responses: ok('Sessions', { type: 'array', items: { $ref: '#/components/schemas/Session' } }) },
      post: {
        summary: 'Start a session; `prompt` is sent once the program is ready',
        requestBody: body({ type: 'object', required: ['command'], properties: { command: { type: 'array', items: { type: 'string' } }, name: { type: 'string' }, preset: { type: 'string' }, cwd: { type: 'string' }, cols: { type: 'integer' }, rows: { type: 'integer' }, prompt: { type: 'string' } } }),
        responses: { '201': { description: 'The session started (and `promptSent`)', content: json({ $ref: '#/components/schemas/Session' }) }, ...errors },
      },
    },
    '/api/session/{id}/status': { get: { summary: 'One session', parameters: [id], responses: ok('The session', { $ref: '#/components/schemas/Session' }) } },
    '/api/session/{id}/prompt': {
      post: {
        summary: 'Send text and/or keys as one turn (as `ccx send`); with `wait`, the answer comes back',
        parameters: [id],
        requestBody: body({ type: 'object', properties: { text: { type: 'string' }, enter: { type: 'boolean', default: true }, paste: { type: 'boolean' }, keys: { type: 'array', items: { type: 'string' } }, wait: { oneOf: [{ type: 'boolean' }, { type: 'object', description: 'until, untilText, idleMs, timeoutMs, capture, screen, exit' }] } } }),
        responses: ok('{send, wait?}'),
      },
    },
    '/api/session/{id}/cancel': { post: { summary: 'Abort: SIGINT, then SIGTERM after graceMs, then SIGKILL; the log is kept', parameters: [id], requestBody: body({ type: 'object', properties: { graceMs: { type: 'integer' }, force: { type: 'boolean' } } }), responses: ok('{session, steps, timedOut}') } },
    '/api/session/{id}/interrupt': { post: { summary: "Interrupt the program's current work", parameters: [id], requestBody: body({ type: 'object', properties: { key: { type: 'string' } } }), responses: ok('What was sent') } },
    '/api/session/{id}': { delete: { summary: 'Remove the session and its output', parameters: [id, { name: 'force', in: 'query', required: false, schema: { type: 'string' } }], responses: ok('{removed}') } },
    '/api/session/{id}/screen': { get: { summary: 'The rendered screen', parameters: [id, { name: 'ansi', in: 'query', required: false, schema: { type: 'string' } }], responses: ok('{text, cursor, cols, rows, offset, ansi?}') } },
    '/api/session/{id}/logs': { get: { summary: 'Output from offset `since` as text; `offset` says where to go on', parameters: [id, { name: 'since', in: 'query', required: false, schema: { type: 'integer' } }], responses: ok('{from, offset, text, truncated, status}') } },
    '/api/session/{id}/messages': {
      get: {
        summary: "A structured agent session's conversation: user messages, assistant text, tool calls with their input, tool results, turn results (400 for a terminal session)",
        parameters: [id, { name: 'tail', in: 'query', required: false, description: 'Only the last N raw messages', schema: { type: 'integer' } }],
        responses: ok('{session, conversation: [{kind: user|text|tool-use|tool-result|result, text?, tool?, input?, toolUseId?, isError?}], messages: the raw stream-json messages}'),
      },
    },
    '/api/events': { get: { summary: 'Events of every session (SSE)', parameters: sseParams, responses: sse } },
    '/api/session/{id}/events': { get: { summary: 'Events of one session (SSE)', parameters: [id, ...sseParams], responses: sse } },
    '/api/approvals': { get: { summary: 'Pending approval requests', parameters: [{ name: 'session', in: 'query', required: false, schema: { type: 'string' } }], responses: ok('[{session, request, kind, since}]', { type: 'array' }) } },
    '/api/session/{id}/approvals/{req}': {
      post: {
        summary: 'Answer a pending request (a TUI permission dialog is request `permission`)',
        parameters: [id, { name: 'req', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: body({ type: 'object', required: ['approved'], properties: { approved: { type: 'boolean' }, input: {}, message: { type: 'string' } } }),
        responses: ok('{session, approved, presses, messageSent}'),
      },
    },
    '/api/session/{id}/terminal': {
      get: {
        summary: 'WebSocket (binary): the screen replay, then live output; keystrokes (binary) and {type:"resize",cols,rows} only with write=1; {type:"pause"|"resume"} for flow control',
        parameters: [id, { name: 'write', in: 'query', required: false, schema: { enum: ['1'] } }, { name: 'cols', in: 'query', required: false, schema: { type: 'integer' } }, { name: 'rows', in: 'query', required: false, schema: { type: 'integer' } }],
        responses: { '101': { description: 'Switching to WebSocket' }, ...errors },
      },
    },
  },
} as const;
