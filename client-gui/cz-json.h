/* cz-json.h: the `--json` event lines (DESIGN §4), built on json-glib from
 * the client engine's typed events.
 *
 * Each function returns one line of compact JSON (no trailing newline): an
 * object whose first member is "event", then the event's members in the
 * order the wire carries them. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "cz-client-events.h"

G_BEGIN_DECLS

/* {"event":"connected","tls":{...},"dh":{...}} */
char *cz_json_connected (const CzSessionInfo *info, const char *fingerprint);
/* {"event":"trust-prompt","fingerprint":F} */
char *cz_json_trust_prompt (const char *fingerprint);
/* {"event":"registered","ref":N,"user":U} */
char *cz_json_registered (guint32 ref, const char *user);
/* {"event":"logged-in","ref":N,"message":SERVER_FINAL,"user":U} */
char *cz_json_logged_in (guint32 ref, const char *user, const char *server_final);
/* {"event":"message","id":N,"from":U,"ts":T,"text":S,"offline":B,"to"|"room":S} */
char *cz_json_message (const CzClientMessage *message);
/* {"event":"ack","ref":N,"id":N,"ts":T} */
char *cz_json_ack (guint32 ref, gint64 id, gint64 ts);
/* {"event":"presence","user":U,"online":B} */
char *cz_json_presence (const char *user, gboolean online);
/* {"event":"who","ref":N,"users":[...]} */
char *cz_json_who (guint32 ref, const char *const *users);
/* {"event":"receipt","id":N,"by":U,"state":"delivered"|"read"} */
char *cz_json_receipt (gint64 id, const char *by, CzReceiptState state);
/* {"event":"history","ref":N,"messages":[{...message members, and
 * "delivered" and "read" when the entry has them}...]} */
char *cz_json_history (guint32 ref, GPtrArray *messages);
/* {"event":"error","ref":N,"code":C,"message":M[,"retry_after":N]}: code
 * and message only when known, retry_after only when not 0. */
char *cz_json_error (const CzClientError *error);
/* {"event":"error","code":C,"message":M}: a failure of this program (a
 * command it cannot parse, the connection lost...), with no request. */
char *cz_json_local_error (const GError *error);
/* {"event":"disconnected"[,"reason":R]} */
char *cz_json_disconnected (const char *reason);

/* One line of compact JSON for any node (json-glib does the escaping). */
char *cz_json_to_line (JsonNode *node);

G_END_DECLS
