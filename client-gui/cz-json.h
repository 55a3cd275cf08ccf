/* cz-json.h: the `--json` event writer (DESIGN §4), on json-glib. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Starts an event object: returns a builder with the object open and its
 * "event" member set. */
JsonBuilder *cz_json_event_begin (const char *event);
/* Closes the object and returns it as one line of compact JSON (no
 * trailing newline; json-glib does the escaping).  Does not take @builder:
 * the caller still unrefs it (g_autoptr (JsonBuilder)). */
char *cz_json_event_end (JsonBuilder *builder);

/* One line of compact JSON for any node. */
char *cz_json_to_line (JsonNode *node);

/* Converts a GVariant (typically a message's a{sv} fields or a value in
 * them) to JSON: s → string, b → boolean, integers → integer, ay → lower-case
 * hex string, as/ax → arrays, a{sv} → object, aa{sv} → array of objects,
 * v → its content. */
JsonNode *cz_json_from_variant (GVariant *value);

/* Adds every field of @fields (a{sv}) as members of the open object.  A
 * field named "event" is skipped: it cannot replace the event name. */
void cz_json_add_fields (JsonBuilder *builder, GVariant *fields);

G_END_DECLS
