/* cz-cli-runner.h: causerie-client --cli (DESIGN §4). */
#pragma once

#include <glib.h>
#include "cz-client-events.h"

G_BEGIN_DECLS

/* Runs the terminal client; returns the exit status (0 after a clean
 * quit, 1 when the connection failed or broke, 2 for usage errors). */
int cz_cli_runner_run (int argc, char **argv);

/* The line a person sees for @m without --json. */
char *cz_cli_format_message (const CzClientMessage *m);

G_END_DECLS
