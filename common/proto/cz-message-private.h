/* cz-message-private.h: what the two halves of the message codec share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Keeps GLib's descriptions of the protocol's container types alive for
 * good (see cz-message-build.c); cheap after the first call. */
void cz_message_keep_types (void);

G_END_DECLS
