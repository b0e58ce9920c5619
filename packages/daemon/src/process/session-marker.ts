/**
 * Every session's processes inherit this variable: it finds them even after
 * setsid or reparenting. Its own module so the daemon's entry can strip an
 * inherited one before anything heavy is loaded.
 */
export const SESSION_ENV_MARKER = 'CCX_SESSION_ID';
