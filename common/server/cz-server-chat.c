/* cz-server-chat.c: the server's chat handlers (DESIGN §2.6, §2.1
 * "Chat"): lobby and direct messages acknowledged after commit and then
 * delivered, offline delivery at login, receipts and history; each a
 * wire handler called by cz-server-dispatch.c and, for the store's
 * answer, a completion. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-protocol.h"
#include "cz-server-private.h"
#include "cz-error.h"
#include "cz-message.h"
#include "cz-util.h"

#define MAX_IDS 1000
#define LOBBY "lobby"

/* Values of a `message` already at hand as GVariants (borrowed; any may be
 * NULL): the relay passes the ones it received and shares the others with
 * its `ack`. */
typedef struct {
  GVariant *id, *from, *ts, *text, *to;
} RecordValues;

/* The fields of a `message` (also the entries of `history`): at most 8
 * values, each a reference for the caller to drop (record_values_clear). */
static gsize
record_entries (const CzMessageRecord *r, const RecordValues *given, gboolean offline,
                gboolean with_state, const char **keys, GVariant **values)
{
  static const RecordValues none;
  gsize n = 0;

  if (given == NULL)
    given = &none;
  keys[n] = "id", values[n++] = given->id ? g_variant_ref (given->id)
                                          : g_variant_ref_sink (g_variant_new_int64 (r->id));
  keys[n] = "from", values[n++] = given->from ? g_variant_ref (given->from)
                                              : g_variant_ref_sink (g_variant_new_string (r->from));
  keys[n] = "ts", values[n++] = given->ts ? g_variant_ref (given->ts)
                                          : g_variant_ref_sink (g_variant_new_int64 (r->ts));
  keys[n] = "text", values[n++] = given->text ? g_variant_ref (given->text)
                                              : g_variant_ref_sink (g_variant_new_string (r->text));
  keys[n] = "offline", values[n++] = cz_message_boolean (offline);
  if (r->to)
    keys[n] = "to", values[n++] = given->to ? g_variant_ref (given->to)
                                            : g_variant_ref_sink (g_variant_new_string (r->to));
  else
    keys[n] = "room", values[n++] = cz_message_intern (LOBBY);
  if (with_state && r->to)
    {
      keys[n] = "delivered", values[n++] = cz_message_boolean (r->delivered);
      keys[n] = "read", values[n++] = cz_message_boolean (r->read);
    }
  return n;
}

static void
record_values_clear (GVariant **values, gsize n)
{
  for (gsize i = 0; i < n; i++)
    g_variant_unref (values[i]);
}

/* A history entry: the fields as an a{sv}. */
static GVariant *
record_fields (const CzMessageRecord *r)
{
  const char *keys[8];
  GVariant *values[8], *fields;
  gsize n = record_entries (r, NULL, FALSE, TRUE, keys, values);

  fields = cz_message_fields_newv (keys, values, n);
  record_values_clear (values, n);
  return fields;
}

/* A `message`. */
static GVariant *
record_message (const CzMessageRecord *r, const RecordValues *given, gboolean offline)
{
  const char *keys[8];
  GVariant *values[8], *message;
  gsize n = record_entries (r, given, offline, FALSE, keys, values);

  message = cz_message_newv ("message", keys, values, n);
  record_values_clear (values, n);
  return message;
}

static void
send_record (CzConn *conn, const CzMessageRecord *r, gboolean offline)
{
  g_autoptr(GVariant) msg = record_message (r, NULL, offline);
  cz_conn_send (conn, msg);
}

static GArray *
get_ids (GVariant *message, GError **error)
{
  g_autoptr(GVariant) ids = cz_message_lookup (message, "ids", G_VARIANT_TYPE ("ax"));
  gsize n = 0;
  const gint64 *values;
  GArray *out;

  if (ids == NULL)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                           _("field “ids” is missing or not an array of int64"));
      return NULL;
    }
  values = g_variant_get_fixed_array (ids, &n, sizeof (gint64));
  if (n == 0 || n > MAX_IDS)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                   _("“ids” must hold 1 to %u message ids"), MAX_IDS);
      return NULL;
    }
  out = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n);
  g_array_append_vals (out, values, n);
  return out;
}

/* ---- Chat ------------------------------------------------------------------------ */

/* The optional `txn` of a say/msg: NULL and TRUE when absent. */
static gboolean
get_txn (GVariant *msg, const char **txn, GVariant **holder, GError **error)
{
  CzMessageField field = { "txn", NULL, NULL };
  gsize len = 0;

  *txn = NULL;
  cz_message_lookup_fields (msg, &field, 1);
  if (field.value == NULL)
    return TRUE;
  if (g_variant_is_of_type (field.value, G_VARIANT_TYPE_STRING))
    *txn = g_variant_get_string (field.value, &len);
  if (*txn == NULL || len == 0 || len > CZ_TXN_MAX)
    {
      g_variant_unref (field.value);
      *txn = NULL;
      g_set_error (error, CZ_ERROR, CZ_ERROR_BAD_FRAME,
                   _("field “txn” must be a string of 1 to %d bytes"), CZ_TXN_MAX);
      return FALSE;
    }
  *holder = field.value;
  return TRUE;
}

/* say {ref?, text, txn?} and msg {ref?, to, text, txn?}. */
static void
save_message (CzConn *conn, GVariant *msg, guint32 ref, gboolean direct)
{
  /* "to" first: a msg without either is told about "to". */
  CzMessageField fields[] = {
    { "to", G_VARIANT_TYPE_STRING, NULL },
    { "text", G_VARIANT_TYPE_STRING, NULL },
  };
  CzMessageField *wanted = direct ? fields : fields + 1;
  gsize n = direct ? 2 : 1;
  const char *text, *to, *txn;
  g_autoptr(GVariant) txn_holder = NULL;
  g_autoptr(GError) error = NULL;
  CzStoreSaveMessage *save;
  CzOpCtx *ctx;

  if (!cz_message_require_fields (msg, wanted, n, &error)
      || !get_txn (msg, &txn, &txn_holder, &error))
    {
      cz_message_fields_clear (wanted, n);
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  to = direct ? g_variant_get_string (fields[0].value, NULL) : NULL;
  text = g_variant_get_string (fields[1].value, NULL);

  if (direct && !cz_user_name_valid (to))
    cz_conn_send_error (conn, ref, CZ_ERROR_NO_SUCH_USER, _("there is no such user"));
  else if (!cz_text_valid (text, -1, &error))
    cz_conn_send_gerror (conn, ref, error);
  else
    {
      save = cz_store_save_message_new (conn->user, to, text, txn, cz_now_ms ());
      save->max_pending = CZ_MAILBOX_MAX;
      ctx = cz_server_submit (conn->server, conn, ref, direct ? CZ_OP_MSG : CZ_OP_SAY, &save->op);
      /* Only this thread reads the context, when the store is done: the
       * relay sends the strings it received, serialized already. */
      ctx->text = g_steal_pointer (&fields[1].value);
      ctx->peer = direct ? g_steal_pointer (&fields[0].value) : NULL;
    }
  cz_message_fields_clear (wanted, n);
}

void
cz_server_chat_say (CzConn *conn, GVariant *msg, guint32 ref)
{
  save_message (conn, msg, ref, FALSE);
}

void
cz_server_chat_msg (CzConn *conn, GVariant *msg, guint32 ref)
{
  save_message (conn, msg, ref, TRUE);
}

/* After the commit: acknowledge, then deliver.  The `ack` and the
 * `message` share their id and time values. */
void
cz_server_chat_saved (CzServer *self, CzConn *sender, CzStoreSaveMessage *op, CzOpCtx *ctx)
{
  CzMessageRecord record = { .id = op->id, .ts = op->ts, .from = op->sender, .to = op->to,
                             .text = op->text };
  RecordValues given = { .text = ctx->text, .to = ctx->peer };
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GVariant) id = NULL;
  g_autoptr(GVariant) ts = NULL;
  CzServerEvent event = { .kind = CZ_SERVER_EVENT_MESSAGE, .message_id = op->id, .ts = op->ts,
                          .from = op->sender, .to = op->to, .text = op->text };
  const GError *failure = op->op.error;

  if (failure)
    {
      if (g_error_matches (failure, CZ_ERROR, CZ_ERROR_MAILBOX_FULL))
        {
          /* The sender's answer; not worth a log line each. */
          if (sender)
            cz_conn_send_gerror (sender, ctx->ref, failure);
          return;
        }
      if (sender && g_error_matches (failure, CZ_ERROR, CZ_ERROR_UNAVAILABLE))
        /* The shared database is away: the node keeps the connection. */
        cz_server_cluster_send_unavailable (sender, ctx->ref, failure);
      else if (sender && failure->domain == CZ_ERROR && failure->code == CZ_ERROR_STORE)
        {
          /* Say what it means for the sender, not only what failed. */
          g_autofree char *text = g_strdup_printf (_("your message was not saved, try again later (%s)"),
                                                   failure->message);
          cz_conn_send_error (sender, ctx->ref, CZ_ERROR_STORE, text);
        }
      else if (sender)
        cz_conn_send_gerror (sender, ctx->ref, failure);
      cz_server_log (self, G_LOG_LEVEL_WARNING, _("message from %s not saved: %s"),
                     op->sender, failure->message);
      return;
    }
  id = g_variant_ref_sink (g_variant_new_int64 (op->id));
  ts = g_variant_ref_sink (g_variant_new_int64 (op->ts));
  given.id = id;
  given.ts = ts;
  if (sender)
    {
      g_autoptr(GVariant) ack = cz_message_new ("ack",
                                                "ref", g_variant_new_uint32 (ctx->ref),
                                                "id", id,
                                                "ts", ts,
                                                NULL);
      cz_conn_send (sender, ack);
      event.client_id = sender->id;
      given.from = sender->user_name;
    }
  if (op->duplicate)
    return;   /* delivered the first time: the ack was what got lost */
  message = record_message (&record, &given, FALSE);
  if (op->to)
    {
      GPtrArray *conns = g_hash_table_lookup (self->online, op->to);

      if (conns != NULL && conns->len > 1)
        g_variant_get_data (message);   /* serialized once, copied to each */
      for (guint i = 0; conns && i < conns->len; i++)
        {
          CzConn *to = conns->pdata[i];

          /* Its offline pages stop below the first message it had live. */
          if (to->offline_more && to->live_from == 0)
            to->live_from = op->id;
          cz_conn_send (to, message);
        }
    }
  else
    cz_server_send_to_everyone (self, message, sender, NULL);
  cz_server_emit (self, &event);
}

/* The next page of @conn's offline queue. */
static void
offline_next_page (CzConn *conn)
{
  CzStorePending *op = cz_store_pending_new (conn->user, conn->offline_after, CZ_OFFLINE_PAGE);

  conn->offline_loading = TRUE;
  cz_server_submit (conn->server, conn, 0, CZ_OP_PENDING, &op->op);
}

void
cz_server_chat_offline_start (CzConn *conn)
{
  conn->offline_after = 0;
  conn->live_from = 0;
  conn->offline_more = TRUE;
  offline_next_page (conn);
}

static void
mark (CzConn *conn, GVariant *msg, guint32 ref, gboolean read)
{
  g_autoptr(GError) error = NULL;
  GArray *ids = get_ids (msg, &error);
  CzStoreMark *mark;

  if (ids == NULL)
    {
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  /* A device's `received` also releases its end-to-end ciphertexts. */
  if (!read && conn->device != 0)
    cz_server_e2e_received (conn, g_array_copy (ids));
  mark = read ? cz_store_mark_read_new (conn->user, ids)
              : cz_store_mark_delivered_new (conn->user, ids);
  cz_server_submit (conn->server, conn, 0, read ? CZ_OP_READ : CZ_OP_DELIVERED, &mark->op);
  /* After the mark (the store's queue is FIFO), the next page. */
  if (!read && conn->offline_more && !conn->offline_loading)
    offline_next_page (conn);
}

void
cz_server_chat_received (CzConn *conn, GVariant *msg, guint32 ref)
{
  mark (conn, msg, ref, FALSE);
}

void
cz_server_chat_read (CzConn *conn, GVariant *msg, guint32 ref)
{
  mark (conn, msg, ref, TRUE);
}

void
cz_server_chat_marked (CzServer *self, CzStoreMark *op)
{
  const char *state;

  if (op->op.error)
    {
      cz_server_log (self, G_LOG_LEVEL_WARNING, _("receipts from %s not saved: %s"),
                     op->reader, op->op.error->message);
      return;
    }
  state = op->op.kind == CZ_STORE_OP_MARK_READ ? "read" : "delivered";
  for (guint i = 0; op->changed && i < op->changed->len; i++)
    {
      CzMessageRecord *r = op->changed->pdata[i];
      g_autoptr(GVariant) receipt = cz_message_new ("receipt",
                                                    "id", g_variant_new_int64 (r->id),
                                                    "by", g_variant_new_string (op->reader),
                                                    "state", g_variant_new_string (state),
                                                    NULL);
      cz_server_send_to_user (self, r->from, receipt, NULL);
    }
}

void
cz_server_chat_history (CzConn *conn, GVariant *msg, guint32 ref)
{
  const char *with;
  gint64 before = 0;
  guint32 limit;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) before_v = cz_message_lookup (msg, "before", G_VARIANT_TYPE_INT64);
  CzStoreHistory *op;

  if (!cz_message_get_string (msg, "with", &with, &error))
    {
      cz_conn_send_gerror (conn, ref, error);
      return;
    }
  if (!g_str_equal (with, CZ_LOBBY_NAME) && !cz_user_name_valid (with))
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_NO_SUCH_USER, _("there is no such user"));
      return;
    }
  if (before_v)
    before = g_variant_get_int64 (before_v);
  limit = cz_message_opt_uint32 (msg, "limit", CZ_HISTORY_DEFAULT);
  if (limit == 0 || limit > CZ_HISTORY_MAX)
    {
      cz_conn_send_error (conn, ref, CZ_ERROR_BAD_FRAME,
                          _("history limit must be between 1 and 500"));
      return;
    }
  op = cz_store_history_new (conn->user, g_str_equal (with, CZ_LOBBY_NAME) ? NULL : with,
                             before, limit);
  cz_server_submit (conn->server, conn, ref, CZ_OP_HISTORY, &op->op);
}

void
cz_server_chat_history_done (CzConn *conn, CzStoreHistory *op, guint32 ref)
{
  GVariantBuilder b;
  g_autoptr(GVariant) reply = NULL;

  if (op->op.error)
    {
      cz_conn_send_gerror (conn, ref, op->op.error);
      return;
    }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; op->messages && i < op->messages->len; i++)
    g_variant_builder_add_value (&b, record_fields (op->messages->pdata[i]));
  reply = cz_message_new ("history",
                          "ref", g_variant_new_uint32 (ref),
                          "messages", g_variant_builder_end (&b),
                          NULL);
  if (!cz_conn_send (conn, reply))
    cz_conn_send_error (conn, ref, CZ_ERROR_TOO_LARGE,
                        _("this page of history is too large: ask for fewer messages"));
}

/* A page of the offline queue sent; after the first, @conn goes online:
 * what comes next arrives live, the rest of the queue (below the first
 * live message) a page per `received`. */
void
cz_server_chat_pending_done (CzServer *self, CzConn *conn, CzStorePending *op)
{
  gboolean first;
  guint sent = 0;

  if (op->op.error)
    cz_server_log (self, G_LOG_LEVEL_WARNING, _("messages waiting for %s not loaded: %s"),
                   op->recipient, op->op.error->message);
  if (conn == NULL)
    return;
  first = op->after_id == 0;
  conn->offline_loading = FALSE;
  for (guint i = 0; op->messages && i < op->messages->len; i++)
    {
      CzMessageRecord *r = op->messages->pdata[i];

      if (conn->live_from != 0 && r->id >= conn->live_from)
        break;
      send_record (conn, r, TRUE);
      conn->offline_after = r->id;
      sent++;
    }
  conn->offline_more = op->op.error == NULL && op->limit > 0 && sent == op->limit;
  if (first)
    cz_server_presence_online (self, conn);
}
