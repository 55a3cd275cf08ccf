/* cz-client-events.c: the typed values of the client engine's signals, and
 * the decoding of a chat message's fields into one. */
#include "config.h"

#include <string.h>

#include "cz-client-events.h"
#include "cz-message.h"

/* ---- Receipt states ---------------------------------------------------------- */

G_DEFINE_ENUM_TYPE (CzReceiptState, cz_receipt_state,
                    G_DEFINE_ENUM_VALUE (CZ_RECEIPT_DELIVERED, "delivered"),
                    G_DEFINE_ENUM_VALUE (CZ_RECEIPT_READ, "read"))

const char *
cz_receipt_state_to_string (CzReceiptState state)
{
  return state == CZ_RECEIPT_READ ? "read" : "delivered";
}

gboolean
cz_receipt_state_from_string (const char *string, CzReceiptState *state)
{
  if (g_strcmp0 (string, "delivered") == 0)
    *state = CZ_RECEIPT_DELIVERED;
  else if (g_strcmp0 (string, "read") == 0)
    *state = CZ_RECEIPT_READ;
  else
    return FALSE;
  return TRUE;
}

/* ---- Chat messages ------------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (CzClientMessage, cz_client_message, cz_client_message_copy,
                     cz_client_message_free)

CzClientMessage *
cz_client_message_copy (const CzClientMessage *msg)
{
  CzClientMessage *copy = g_memdup2 (msg, sizeof *msg);

  copy->from = g_strdup (msg->from);
  copy->to = g_strdup (msg->to);
  copy->room = g_strdup (msg->room);
  copy->text = g_strdup (msg->text);
  return copy;
}

void
cz_client_message_free (CzClientMessage *msg)
{
  if (msg == NULL)
    return;
  g_free (msg->from);
  g_free (msg->to);
  g_free (msg->room);
  g_free (msg->text);
  g_free (msg);
}

static const char *
lookup_string (GVariant *fields, const char *key)
{
  const char *value = NULL;
  return g_variant_lookup (fields, key, "&s", &value) ? value : NULL;
}

CzClientMessage *
cz_client_message_new_from_fields (GVariant *fields, GError **error)
{
  g_autoptr(CzClientMessage) msg = g_new0 (CzClientMessage, 1);
  const char *from = lookup_string (fields, "from");
  const char *text = lookup_string (fields, "text");
  const char *to = lookup_string (fields, "to");
  const char *room = lookup_string (fields, "room");
  gboolean has_delivered, has_read;

  g_return_val_if_fail (g_variant_is_of_type (fields, G_VARIANT_TYPE_VARDICT), NULL);

  if (!g_variant_lookup (fields, "id", "x", &msg->id) || msg->id <= 0
      || !g_variant_lookup (fields, "ts", "x", &msg->ts)
      || from == NULL || text == NULL || (to == NULL && room == NULL))
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                           "a message needs id, from, ts, text, and to or room");
      return NULL;
    }
  msg->from = g_strdup (from);
  msg->text = g_strdup (text);
  /* A message is either direct or in a room, never both. */
  if (room)
    msg->room = g_strdup (room);
  else
    msg->to = g_strdup (to);
  g_variant_lookup (fields, "offline", "b", &msg->offline);
  has_delivered = g_variant_lookup (fields, "delivered", "b", &msg->delivered);
  has_read = g_variant_lookup (fields, "read", "b", &msg->read);
  msg->has_receipts = has_delivered || has_read;
  return g_steal_pointer (&msg);
}

/* ---- Errors ---------------------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (CzClientError, cz_client_error, cz_client_error_copy, cz_client_error_free)

CzClientError *
cz_client_error_copy (const CzClientError *error)
{
  CzClientError *copy = g_memdup2 (error, sizeof *error);

  copy->code_name = g_strdup (error->code_name);
  copy->message = g_strdup (error->message);
  return copy;
}

void
cz_client_error_free (CzClientError *error)
{
  if (error == NULL)
    return;
  g_free (error->code_name);
  g_free (error->message);
  g_free (error);
}
