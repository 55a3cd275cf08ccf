/* cz-headless.h: causerie-server --headless: the engine without a window,
 * its events logged to standard error. */
#pragma once

#include "cz-server-options.h"

G_BEGIN_DECLS

/* Runs the engine until SIGTERM or SIGINT.  Prints exactly
 * "listening on ADDR:PORT" as the first line of standard output; the log
 * goes to standard error.  Returns the exit status. */
int cz_headless_run (const CzServerOptions *options);

/* Formats an engine event as one log line (no newline). */
char *cz_server_event_to_line (const CzServerEvent *event);

G_END_DECLS
