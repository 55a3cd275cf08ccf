/* message-show.h: a message as one human-readable line, for the tests and
 * fuzzers that print what they decoded (not part of the library: nothing
 * in the programs shows a raw message). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A one-line, human-readable rendering (g_variant_print of fields, `ay`
 * shown as hex, long values cut). */
char *cz_message_to_string (GVariant *message);

G_END_DECLS
