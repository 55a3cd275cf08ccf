/* cz-json.c: the --json event lines, built from the client engine's typed
 * events with json-glib (DESIGN §4).
 *
 * json-glib does the escaping: quotes, backslashes and control characters
 * become JSON escapes, other characters stay UTF-8 (with one fix-up for a
 * json-glib 1.6 omission, see cz_json_to_line). */

#include "config.h"

#include <string.h>

#include "cz-json.h"
#include "cz-error.h"

/* ---- Building blocks ---------------------------------------------------------- */

static JsonBuilder *
event_begin (const char *event)
{
  JsonBuilder *builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  return builder;
}

static char *
event_end (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = NULL;

  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return cz_json_to_line (root);
}

/* A string member; null when @value is NULL. */
static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_boolean (JsonBuilder *b, const char *name, gboolean value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static void
add_cert (JsonBuilder *b, const char *member, const CzCertInfo *cert)
{
  if (cert == NULL)
    return;
  json_builder_set_member_name (b, member);
  json_builder_begin_object (b);
  add_string (b, "subject", cert->subject);
  add_string (b, "issuer", cert->issuer);
  add_string (b, "not_before", cert->not_before);
  add_string (b, "not_after", cert->not_after);
  add_string (b, "fingerprint", cert->fingerprint);
  add_string (b, "key_type", cert->key_type);
  json_builder_end_object (b);
}

/* A message's members, in the wire's order. */
static void
add_message_members (JsonBuilder *b, const CzClientMessage *m, gboolean with_receipts)
{
  add_int (b, "id", m->id);
  add_string (b, "from", m->from);
  add_int (b, "ts", m->ts);
  add_string (b, "text", m->text);
  add_boolean (b, "offline", m->offline);
  if (m->room)
    add_string (b, "room", m->room);
  else
    add_string (b, "to", m->to);
  if (with_receipts && m->has_receipts)
    {
      add_boolean (b, "delivered", m->delivered);
      add_boolean (b, "read", m->read);
    }
}

/* ---- Events ---------------------------------------------------------------------- */

char *
cz_json_connected (const CzSessionInfo *info, const char *fingerprint)
{
  g_autoptr(JsonBuilder) b = event_begin ("connected");

  g_return_val_if_fail (info != NULL, NULL);

  json_builder_set_member_name (b, "tls");
  json_builder_begin_object (b);
  add_string (b, "protocol", info->protocol);
  add_string (b, "cipher", info->cipher);
  add_string (b, "group", info->group);
  add_string (b, "signature", info->signature);
  add_string (b, "alpn", info->alpn);
  add_string (b, "trust", info->trust);
  add_string (b, "verification", info->verification);
  add_string (b, "fingerprint", fingerprint);
  add_cert (b, "server_cert", info->server_cert);
  add_cert (b, "client_cert", info->client_cert);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "dh");
  json_builder_begin_object (b);
  add_string (b, "group", info->dh_group);
  add_string (b, "prime", info->dh_prime_hex);
  add_string (b, "prime_formula", info->dh_prime_formula);
  add_string (b, "generator", info->dh_generator);
  add_string (b, "public", info->dh_client_public);
  add_string (b, "server_public", info->dh_server_public);
  add_string (b, "code", info->code);
  json_builder_end_object (b);
  return event_end (b);
}

char *
cz_json_trust_prompt (const char *fingerprint)
{
  g_autoptr(JsonBuilder) b = event_begin ("trust-prompt");

  add_string (b, "fingerprint", fingerprint);
  return event_end (b);
}

char *
cz_json_registered (guint32 ref, const char *user)
{
  g_autoptr(JsonBuilder) b = event_begin ("registered");

  add_int (b, "ref", ref);
  add_string (b, "user", user);
  return event_end (b);
}

char *
cz_json_logged_in (guint32 ref, const char *user, const char *server_final)
{
  g_autoptr(JsonBuilder) b = event_begin ("logged-in");

  add_int (b, "ref", ref);
  add_string (b, "message", server_final);
  add_string (b, "user", user);
  return event_end (b);
}

char *
cz_json_message (const CzClientMessage *message)
{
  g_autoptr(JsonBuilder) b = event_begin ("message");

  add_message_members (b, message, FALSE);
  return event_end (b);
}

char *
cz_json_ack (guint32 ref, gint64 id, gint64 ts)
{
  g_autoptr(JsonBuilder) b = event_begin ("ack");

  add_int (b, "ref", ref);
  add_int (b, "id", id);
  add_int (b, "ts", ts);
  return event_end (b);
}

char *
cz_json_presence (const char *user, gboolean online)
{
  g_autoptr(JsonBuilder) b = event_begin ("presence");

  add_string (b, "user", user);
  add_boolean (b, "online", online);
  return event_end (b);
}

char *
cz_json_who (guint32 ref, const char *const *users)
{
  g_autoptr(JsonBuilder) b = event_begin ("who");

  add_int (b, "ref", ref);
  json_builder_set_member_name (b, "users");
  json_builder_begin_array (b);
  for (gsize i = 0; users && users[i]; i++)
    json_builder_add_string_value (b, users[i]);
  json_builder_end_array (b);
  return event_end (b);
}

char *
cz_json_receipt (gint64 id, const char *by, CzReceiptState state)
{
  g_autoptr(JsonBuilder) b = event_begin ("receipt");

  add_int (b, "id", id);
  add_string (b, "by", by);
  add_string (b, "state", cz_receipt_state_to_string (state));
  return event_end (b);
}

char *
cz_json_history (guint32 ref, GPtrArray *messages)
{
  g_autoptr(JsonBuilder) b = event_begin ("history");

  add_int (b, "ref", ref);
  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  for (guint i = 0; messages && i < messages->len; i++)
    {
      json_builder_begin_object (b);
      add_message_members (b, messages->pdata[i], TRUE);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  return event_end (b);
}

char *
cz_json_error (const CzClientError *error)
{
  g_autoptr(JsonBuilder) b = event_begin ("error");

  add_int (b, "ref", error->ref);
  if (error->code_name)
    add_string (b, "code", error->code_name);
  if (error->message)
    add_string (b, "message", error->message);
  if (error->retry_after)
    add_int (b, "retry_after", error->retry_after);
  return event_end (b);
}

char *
cz_json_local_error (const GError *error)
{
  g_autoptr(JsonBuilder) b = event_begin ("error");

  add_string (b, "code", cz_error_wire_code (error));
  add_string (b, "message", error->message);
  return event_end (b);
}

char *
cz_json_disconnected (const char *reason)
{
  g_autoptr(JsonBuilder) b = event_begin ("disconnected");

  if (reason)
    add_string (b, "reason", reason);
  return event_end (b);
}

/* ---- Lines ------------------------------------------------------------------------- */

char *
cz_json_to_line (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = NULL;
  char *text;

  g_return_val_if_fail (node != NULL, NULL);

  generator = json_generator_new ();
  json_generator_set_pretty (generator, FALSE);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);

  /* json-glib 1.6 escapes U+0001..U+001E but writes U+001F raw, which
   * RFC 8259 forbids (strict parsers refuse the line).  A 0x1f byte can only
   * be that character inside a string (UTF-8 continuation bytes are
   * >= 0x80), so replacing the byte is exact. */
  if (strchr (text, 0x1f) != NULL)
    {
      GString *fixed = g_string_sized_new (strlen (text) + 16);
      const char *p;

      for (p = text; *p != '\0'; p++)
        {
          if (*p == 0x1f)
            g_string_append (fixed, "\\u001f");
          else
            g_string_append_c (fixed, *p);
        }
      g_free (text);
      text = g_string_free (fixed, FALSE);
    }
  return text;
}
