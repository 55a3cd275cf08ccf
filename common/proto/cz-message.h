/* cz-message.h: the `(sa{sv})` message codec (DESIGN §2.2, §2.1).
 *
 * A message is a GVariant of type (sa{sv}): its kind and its fields.  On the
 * wire it is serialized in normal form, little-endian.  Decoding checks the
 * type, normal form, and the UTF-8 validity of every string (kind, keys and
 * values, recursively). */
#pragma once

#include <glib.h>
#include "cz-protocol.h"

G_BEGIN_DECLS

#define CZ_MESSAGE_TYPE ((const GVariantType *) "(sa{sv})")

/* Builds a message from a kind and NULL-terminated pairs of
 * (const char *key, GVariant *value); floating values are sunk.
 *   cz_message_new ("say", "ref", g_variant_new_uint32 (7),
 *                          "text", g_variant_new_string ("hi"), NULL);
 * Returns a new (non-floating) reference. */
GVariant *cz_message_new (const char *kind, ...) G_GNUC_NULL_TERMINATED;
/* The same from parallel arrays of @n keys and values (floating values
 * are sunk): what cz_message_new() does, for callers with arrays. */
GVariant *cz_message_newv (const char *kind, const char *const *keys,
                           GVariant *const *values, gsize n);
/* The a{sv} of such a message alone (floating), e.g. an entry of a list. */
GVariant *cz_message_fields_newv (const char *const *keys, GVariant *const *values, gsize n);
/* The same from an a{sv} (sunk if floating). */
GVariant *cz_message_new_from_fields (const char *kind, GVariant *fields);
/* Values may also be non-floating references, which stay the caller's:
 * one value can serve several messages. */

/* A new reference to a string GVariant holding @string: one made once for
 * the protocol's common names and kinds, a new one otherwise. */
GVariant *cz_message_intern (const char *string);
/* A new reference to one of two boolean GVariants made once. */
GVariant *cz_message_boolean (gboolean value);

/* Serialized little-endian normal form. */
GBytes *cz_message_encode (GVariant *message);
/* Appends the serialized form to @out without an intermediate GBytes. */
void cz_message_encode_append (GVariant *message, GByteArray *out);

/* Parses and validates.  Returns a new reference, or NULL with
 * CZ_ERROR_BAD_FRAME and a message saying what was wrong.  The data is
 * copied; @data need not outlive the result. */
GVariant *cz_message_decode (const guint8 *data, gsize len, GError **error);

/* The kind (points into @message). */
const char *cz_message_kind (GVariant *message);

/* Looks up field @key; NULL if it is absent or not of @type.  Returns a new
 * reference. */
GVariant *cz_message_lookup (GVariant *message, const char *key, const GVariantType *type);

/* Several fields at once, in one pass over the message (the hot paths ask
 * for three or four fields of every chat message). */
typedef struct {
  const char *key;
  const GVariantType *type;  /* NULL: any */
  GVariant *value;           /* out: a new reference, or NULL */
} CzMessageField;

/* Sets each field's value: NULL when absent or not of its type. */
void cz_message_lookup_fields (GVariant *message, CzMessageField *fields, gsize n);
/* The same when every field is required: FALSE, with the error the typed
 * accessors below give for the first one missing, and no values held. */
gboolean cz_message_require_fields (GVariant *message, CzMessageField *fields, gsize n,
                                    GError **error);
/* Drops the values. */
void cz_message_fields_clear (CzMessageField *fields, gsize n);
/* Done with a message cz_message_decode() returned: this thread stops
 * keeping its fields for fast lookups (which still work, the slow way), so
 * its plaintext is freed, and wiped, once the caller's references go. */
void cz_message_forget (GVariant *message);

/* Typed accessors for required fields.  Absent or wrongly typed fields give
 * FALSE with CZ_ERROR_BAD_FRAME ("field 'text' is missing or not a string").
 * Strings and arrays point into @message. */
gboolean cz_message_get_string (GVariant *message, const char *key, const char **out, GError **error);
gboolean cz_message_get_uint32 (GVariant *message, const char *key, guint32 *out, GError **error);
gboolean cz_message_get_int64 (GVariant *message, const char *key, gint64 *out, GError **error);
gboolean cz_message_get_boolean (GVariant *message, const char *key, gboolean *out, GError **error);
/* ay: returns a new GBytes. */
gboolean cz_message_get_bytes (GVariant *message, const char *key, GBytes **out, GError **error);

/* Optional fields: return @def when absent or wrongly typed. */
guint32 cz_message_opt_uint32 (GVariant *message, const char *key, guint32 def);
const char *cz_message_opt_string (GVariant *message, const char *key, const char *def);

/* The `ref` field, 0 if absent. */
guint32 cz_message_ref (GVariant *message);

/* Builds the standard `error {ref, code, message}` message. */
GVariant *cz_message_new_error (guint32 ref, const char *code, const char *text);

G_END_DECLS
