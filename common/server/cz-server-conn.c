/* cz-server-conn.c: what every part of the server engine uses to act on
 * a connection and to report: sending to a connection, a user or
 * everyone, emitting engine events and log lines, and submitting store
 * operations whose completions come back through the loop's inbox.  A
 * leaf: it calls no other file of the server. */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "cz-server-private.h"
#include "cz-error.h"
#include "cz-message.h"

/* ---- Events and log -------------------------------------------------- */

void
cz_server_emit (CzServer *self, CzServerEvent *event)
{
  if (self->event_func)
    self->event_func (event, self->event_data);
}

void
cz_server_log (CzServer *self, GLogLevelFlags level, const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;
  CzServerEvent event = { .kind = CZ_SERVER_EVENT_LOG, .level = level };

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  event.text = text;
  cz_server_emit (self, &event);
}

/* ---- Sending --------------------------------------------------------- */

void
cz_conn_mark_dirty (CzConn *conn)
{
  if (!conn->dirty && !conn->dead)
    {
      conn->dirty = TRUE;
      g_ptr_array_add (conn->server->dirty, conn);
    }
}

gboolean
cz_conn_send (CzConn *conn, GVariant *message)
{
  g_autoptr(GError) error = NULL;

  if (conn->dead)
    return FALSE;
  if (!cz_channel_send (conn->channel, message, &error))
    return FALSE;
  cz_conn_mark_dirty (conn);
  return TRUE;
}

void
cz_conn_send_error (CzConn *conn, guint32 ref, CzErrorCode code, const char *text)
{
  g_autoptr(GVariant) msg = cz_message_new_error (ref, cz_error_code_to_string (code), text);
  cz_conn_send (conn, msg);
}

void
cz_conn_send_gerror (CzConn *conn, guint32 ref, const GError *error)
{
  g_autoptr(GVariant) msg = cz_message_new_error (ref, cz_error_wire_code (error), error->message);
  cz_conn_send (conn, msg);
}

/* What an operation counts for in a connection's in-flight budget. */
static guint
op_weight (CzOpPurpose purpose)
{
  return purpose == CZ_OP_HISTORY ? CZ_CONN_HISTORY_WEIGHT : 1;
}

void
cz_conn_op_done (CzConn *conn, CzOpPurpose purpose)
{
  conn->inflight -= MIN (conn->inflight, op_weight (purpose));
  if (conn->paused)
    cz_conn_mark_dirty (conn);   /* the loop looks at it again (resume) */
}

CzConn *
cz_server_find_conn (CzServer *self, guint64 id)
{
  CzConn *conn = id ? g_hash_table_lookup (self->conns, &id) : NULL;
  return (conn && !conn->dead) ? conn : NULL;
}

void
cz_server_send_to_user (CzServer *self, const char *user, GVariant *message, CzConn *except)
{
  GPtrArray *conns = g_hash_table_lookup (self->online, user);

  if (conns != NULL && conns->len > 1)
    g_variant_get_data (message);   /* serialized once, copied to each */
  for (guint i = 0; conns && i < conns->len; i++)
    if (conns->pdata[i] != except)
      cz_conn_send (conns->pdata[i], message);
}

/* To every connection logged in, except @except and @except_user's. */
void
cz_server_send_to_everyone (CzServer *self, GVariant *message, CzConn *except, const char *except_user)
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

/* ---- Store operations ------------------------------------------------ */

/* On the store thread: hand the result over... */
static void
store_done_cb (CzStoreOp *op, gpointer user_data)
{
  CzOpCtx *ctx = user_data;

  g_async_queue_push (ctx->server->inbox, op);
}

/* ... and wake the loop once per batch, not once per message. */
void
cz_server_store_batch_done_cb (CzStore *store, gpointer user_data)
{
  CzServer *self = user_data;
  guint64 one = 1;

  if (write (self->wake_fd, &one, sizeof one) < 0)
    g_warning ("cannot wake the server loop: %s", g_strerror (errno));
}

void
cz_op_ctx_free (CzOpCtx *ctx)
{
  g_clear_pointer (&ctx->text, g_variant_unref);
  g_clear_pointer (&ctx->peer, g_variant_unref);
  g_free (ctx);
}

CzOpCtx *
cz_server_submit (CzServer *self, CzConn *conn, guint32 ref, CzOpPurpose purpose,
                  CzStoreOp *op)
{
  CzOpCtx *ctx = g_new0 (CzOpCtx, 1);

  ctx->server = self;
  ctx->conn_id = conn ? conn->id : 0;
  if (conn)
    conn->inflight += op_weight (purpose);
  ctx->ref = ref;
  ctx->purpose = purpose;
  op->done = store_done_cb;
  op->user_data = ctx;
  cz_store_submit (self->store, op);
  return ctx;
}
