/* cz-server-chat.c: what the server does with each message (DESIGN §2.5–
 * §2.8, §2.1 "Chat"): dispatch, lobby and direct messages acknowledged
 * after commit, offline delivery, receipts, presence, who and history.
 * Registration and login are in cz-server-accounts.c. */
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

/* ---- Helpers ------------------------------------------------------------------ */

static CzConn *
find_conn (CzServer *self, guint64 id)
{
  CzConn *conn = id ? g_hash_table_lookup (self->conns, &id) : NULL;
  return (conn && !conn->dead) ? conn : NULL;
}

static void
send_to_user (CzServer *self, const char *user, GVariant *message, CzConn *except)
{
  GPtrArray *conns = g_hash_table_lookup (self->online, user);

  if (conns != NULL && conns->len > 1)
    g_variant_get_data (message);   /* serialized once, copied to each */
  for (guint i = 0; conns && i < conns->len; i++)
    if (conns->pdata[i] != except)
      cz_conn_send (conns->pdata[i], message);
}

/* To every connection logged in, except @except and @except_user's. */
static void
send_to_everyone (CzServer *self, GVariant *message, CzConn *except, const char *except_user)
{
  GHashTableIter iter;
  gpointer key, value;

  g_variant_get_data (message);
  g_hash_table_iter_init (&iter, self->online);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *conns = value;

      if (except_user != NULL && g_str_equal (key, except_user))
        continue;
      for (guint i = 0; i < conns->len; i++)
        if (conns->pdata[i] != except)
          cz_conn_send (conns->pdata[i], message);
    }
}

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

/* Presence goes out once per loop iteration (cz_server_chat_flush_presence):
 * a user who came and went within it is not announced, and the people who
 * left together do not hear about each other. */
static void
note_presence (CzServer *self, const char *user, gboolean was_online)
{
  if (self->closing_all || g_hash_table_contains (self->presence_before, user))
    return;
  g_hash_table_insert (self->presence_before, g_strdup (user), GINT_TO_POINTER (was_online));
  g_ptr_array_add (self->presence_order, g_strdup (user));
}

void
cz_server_chat_flush_presence (CzServer *self)
{
  g_autoptr(GPtrArray) news = NULL;     /* GVariant*, in order of change */
  g_autoptr(GPtrArray) whose = NULL;    /* the user each one is about */
  GHashTableIter iter;
  gpointer key, value;

  if (self->presence_order->len == 0)
    return;
  news = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  whose = g_ptr_array_new ();
  for (guint i = 0; i < self->presence_order->len && !self->closing_all; i++)
    {
      const char *user = self->presence_order->pdata[i];
      gboolean before = GPOINTER_TO_INT (g_hash_table_lookup (self->presence_before, user));
      gboolean now = g_hash_table_contains (self->online, user);
      GVariant *msg;

      if (now == before)
        continue;
      msg = cz_message_new ("presence",
                            "user", g_variant_new_string (user),
                            "online", g_variant_new_boolean (now),
                            NULL);
      g_variant_get_data (msg);   /* serialized once for everyone */
      g_ptr_array_add (news, msg);
      g_ptr_array_add (whose, (gpointer) user);
    }

  /* Recipient by recipient: a connection's frames are sealed one after
   * another with its key expanded once (a login storm sends thousands). */
  g_hash_table_iter_init (&iter, self->online);
  /* Not while stopping: everyone gets `bye` instead. */
  while (news->len > 0 && !g_atomic_int_get (&self->stopping)
         && g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *conns = value;

      for (guint c = 0; c < conns->len; c++)
        for (guint i = 0; i < news->len; i++)
          /* The user's own sessions know. */
          if (!g_str_equal (whose->pdata[i], key))
            cz_conn_send (conns->pdata[c], news->pdata[i]);
    }
  g_ptr_array_set_size (self->presence_order, 0);
  g_hash_table_remove_all (self->presence_before);
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

/* After the offline queue: store operations finish in order, so a message
 * committed during the login comes once, from the queue or live. */
static void
go_online (CzServer *self, CzConn *conn)
{
  GPtrArray *sessions = g_hash_table_lookup (self->online, conn->user);

  if (sessions == NULL)
    {
      sessions = g_ptr_array_new ();
      g_hash_table_insert (self->online, g_strdup (conn->user), sessions);
      note_presence (self, conn->user, FALSE);
    }
  g_ptr_array_add (sessions, conn);
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
handle_say (CzConn *conn, GVariant *msg, guint32 ref, gboolean direct)
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
      ctx = cz_server_submit (conn->server, conn, ref, direct ? CZ_OP_MSG : CZ_OP_SAY, &save->op);
      /* Only this thread reads the context, when the store is done: the
       * relay sends the strings it received, serialized already. */
      ctx->text = g_steal_pointer (&fields[1].value);
      ctx->peer = direct ? g_steal_pointer (&fields[0].value) : NULL;
    }
  cz_message_fields_clear (wanted, n);
}

/* After the commit: acknowledge, then deliver.  The `ack` and the
 * `message` share their id and time values. */
static void
saved_done (CzServer *self, CzConn *sender, CzStoreSaveMessage *op, CzOpCtx *ctx)
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
      if (sender && failure->domain == CZ_ERROR && failure->code == CZ_ERROR_STORE)
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
    send_to_user (self, op->to, message, NULL);
  else
    send_to_everyone (self, message, sender, NULL);
  cz_server_emit (self, &event);
}

static void
handle_mark (CzConn *conn, GVariant *msg, gboolean read)
{
  g_autoptr(GError) error = NULL;
  GArray *ids = get_ids (msg, &error);
  CzStoreMark *mark;

  if (ids == NULL)
    {
      cz_conn_send_gerror (conn, cz_message_ref (msg), error);
      return;
    }
  mark = read ? cz_store_mark_read_new (conn->user, ids)
              : cz_store_mark_delivered_new (conn->user, ids);
  cz_server_submit (conn->server, conn, 0, read ? CZ_OP_READ : CZ_OP_DELIVERED, &mark->op);
}

static void
marked_done (CzServer *self, CzStoreMark *op, const char *state)
{
  if (op->op.error)
    {
      cz_server_log (self, G_LOG_LEVEL_WARNING, _("receipts from %s not saved: %s"),
                     op->reader, op->op.error->message);
      return;
    }
  for (guint i = 0; op->changed && i < op->changed->len; i++)
    {
      CzMessageRecord *r = op->changed->pdata[i];
      g_autoptr(GVariant) receipt = cz_message_new ("receipt",
                                                    "id", g_variant_new_int64 (r->id),
                                                    "by", g_variant_new_string (op->reader),
                                                    "state", g_variant_new_string (state),
                                                    NULL);
      send_to_user (self, r->from, receipt, NULL);
    }
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
handle_who (CzConn *conn, guint32 ref)
{
  g_autoptr(GPtrArray) users = g_ptr_array_new ();
  g_autoptr(GVariant) reply = NULL;
  GHashTableIter iter;
  gpointer name;

  g_hash_table_iter_init (&iter, conn->server->online);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    g_ptr_array_add (users, name);
  /* Logged in, its offline queue still on the way. */
  if (!g_hash_table_contains (conn->server->online, conn->user))
    g_ptr_array_add (users, (gpointer) conn->user);
  g_ptr_array_sort (users, compare_names);
  reply = cz_message_new ("who",
                          "ref", g_variant_new_uint32 (ref),
                          "users", g_variant_new_strv ((const char *const *) users->pdata,
                                                       users->len),
                          NULL);
  cz_conn_send (conn, reply);
}

static void
handle_history (CzConn *conn, GVariant *msg, guint32 ref)
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

static void
history_done (CzConn *conn, CzStoreHistory *op, guint32 ref)
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

static void
pending_done (CzServer *self, CzConn *conn, CzStorePending *op)
{
  if (op->op.error)
    cz_server_log (self, G_LOG_LEVEL_WARNING, _("messages waiting for %s not loaded: %s"),
                   op->recipient, op->op.error->message);
  for (guint i = 0; conn && op->messages && i < op->messages->len; i++)
    send_record (conn, op->messages->pdata[i], TRUE);
  if (conn)
    go_online (self, conn);
}

/* ---- Dispatch ------------------------------------------------------------------- */

void
cz_server_chat_message (CzConn *conn, GVariant *msg)
{
  const char *kind = cz_message_kind (msg);
  gboolean authed = conn->user != NULL;
  guint32 ref;

  if (g_str_equal (kind, "bye"))
    return;   /* the channel closes */
  ref = cz_message_ref (msg);

  if (g_str_equal (kind, "register") || g_str_equal (kind, "register-keys")
      || g_str_equal (kind, "auth-start") || g_str_equal (kind, "auth-finish"))
    {
      if (authed)
        {
          cz_conn_send_error (conn, ref, CZ_ERROR_ALREADY_AUTHENTICATED,
                              _("this connection is already logged in"));
          return;
        }
      cz_server_accounts_message (conn, kind, msg, ref);
      return;
    }

  if (g_str_equal (kind, "say") || g_str_equal (kind, "msg") || g_str_equal (kind, "who")
      || g_str_equal (kind, "history") || g_str_equal (kind, "received")
      || g_str_equal (kind, "read"))
    {
      if (!authed)
        {
          cz_conn_send_error (conn, ref, CZ_ERROR_NOT_AUTHENTICATED, _("log in first"));
          return;
        }
      if (g_str_equal (kind, "say") || g_str_equal (kind, "msg"))
        handle_say (conn, msg, ref, g_str_equal (kind, "msg"));
      else if (g_str_equal (kind, "who"))
        handle_who (conn, ref);
      else if (g_str_equal (kind, "history"))
        handle_history (conn, msg, ref);
      else
        handle_mark (conn, msg, g_str_equal (kind, "read"));
      return;
    }

  {
    g_autofree char *text = g_strdup_printf (_("unknown message kind “%s”"), kind);
    cz_conn_send_error (conn, ref, CZ_ERROR_UNKNOWN_KIND, text);
  }
}

void
cz_server_chat_store_done (CzServer *self, CzStoreOp *op)
{
  CzOpCtx *ctx = op->user_data;
  CzConn *conn = find_conn (self, ctx->conn_id);

  switch (ctx->purpose)
    {
    case CZ_OP_REGISTER:
      if (conn)
        cz_server_accounts_registered (conn, cz_store_op_as_add_user (op), ctx->ref);
      break;
    case CZ_OP_LOGIN_LOOKUP:
      if (conn)
        cz_server_accounts_login_lookup_done (conn, cz_store_op_as_get_user (op), ctx->ref);
      break;
    case CZ_OP_SAY:
    case CZ_OP_MSG:
      saved_done (self, conn, cz_store_op_as_save_message (op), ctx);
      break;
    case CZ_OP_PENDING:
      pending_done (self, conn, cz_store_op_as_pending (op));
      break;
    case CZ_OP_DELIVERED:
      marked_done (self, cz_store_op_as_mark (op), "delivered");
      break;
    case CZ_OP_READ:
      marked_done (self, cz_store_op_as_mark (op), "read");
      break;
    case CZ_OP_HISTORY:
      if (conn)
        history_done (conn, cz_store_op_as_history (op), ctx->ref);
      break;
    }
  cz_op_ctx_free (ctx);
  cz_store_op_free (op);
}

void
cz_server_chat_closed (CzConn *conn)
{
  CzServer *self = conn->server;
  GPtrArray *sessions;

  if (conn->user == NULL)
    return;
  sessions = g_hash_table_lookup (self->online, conn->user);
  if (sessions == NULL)
    return;
  g_ptr_array_remove_fast (sessions, conn);
  if (sessions->len == 0)
    {
      note_presence (self, conn->user, TRUE);
      g_hash_table_remove (self->online, conn->user);
    }
}

void
cz_server_chat_shutdown (CzServer *self)
{
  g_hash_table_remove_all (self->online);
  g_ptr_array_set_size (self->presence_order, 0);
  g_hash_table_remove_all (self->presence_before);
}
