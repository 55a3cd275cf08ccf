/* cz-server-dispatch.c: the server's dispatch (DESIGN §2.1): which
 * handler a received message kind goes to and whether it needs a login
 * (one table), and which completion a finished store operation goes to.
 * The engine loop calls it; it calls the handlers (accounts, chat,
 * presence), which never call back here. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-server-private.h"
#include "cz-message.h"

typedef void (*CzServerHandler) (CzConn *conn, GVariant *message, guint32 ref);

typedef struct {
  const char *kind;
  CzServerHandler handler;
  /* TRUE: only once logged in (`not-authenticated` before);
   * FALSE: only before (`already-authenticated` after). */
  gboolean needs_login;
} CzServerKind;

/* Hot kinds first: a relayed message is found at the first entry. */
static const CzServerKind kinds[] = {
  { "say", cz_server_chat_say, TRUE },
  { "msg", cz_server_chat_msg, TRUE },
  { "received", cz_server_chat_received, TRUE },
  { "read", cz_server_chat_read, TRUE },
  { "who", cz_server_presence_who, TRUE },
  { "history", cz_server_chat_history, TRUE },
  { "emsg", cz_server_e2e_emsg, TRUE },
  { "keys-fetch", cz_server_e2e_fetch, TRUE },
  { "keys-publish", cz_server_e2e_publish, TRUE },
  { "register", cz_server_accounts_register, FALSE },
  { "register-keys", cz_server_accounts_register_keys, FALSE },
  { "auth-start", cz_server_accounts_auth_start, FALSE },
  { "auth-finish", cz_server_accounts_auth_finish, FALSE },
};

void
cz_server_dispatch_message (CzConn *conn, GVariant *msg)
{
  const char *kind = cz_message_kind (msg);
  const CzServerKind *entry = NULL;
  guint32 ref;

  if (g_str_equal (kind, "bye"))
    return;   /* the channel closes */
  ref = cz_message_ref (msg);

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (kind == kinds[i].kind || strcmp (kind, kinds[i].kind) == 0)
      {
        entry = &kinds[i];
        break;
      }

  if (entry == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("unknown message kind “%s”"), kind);
      cz_conn_send_error (conn, ref, CZ_ERROR_UNKNOWN_KIND, text);
    }
  else if (entry->needs_login && conn->user == NULL)
    cz_conn_send_error (conn, ref, CZ_ERROR_NOT_AUTHENTICATED, _("log in first"));
  else if (!entry->needs_login && conn->user != NULL)
    cz_conn_send_error (conn, ref, CZ_ERROR_ALREADY_AUTHENTICATED,
                        _("this connection is already logged in"));
  else
    entry->handler (conn, msg, ref);
}

/* On the engine thread, from the inbox.  A completion whose connection
 * has gone still does what concerns others (delivery, receipts). */
void
cz_server_dispatch_store_done (CzServer *self, CzStoreOp *op)
{
  CzOpCtx *ctx = op->user_data;
  CzConn *conn = cz_server_find_conn (self, ctx->conn_id);

  if (conn)
    cz_conn_op_done (conn, ctx->purpose);
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
      cz_server_chat_saved (self, conn, cz_store_op_as_save_message (op), ctx);
      break;
    case CZ_OP_PENDING:
      cz_server_chat_pending_done (self, conn, cz_store_op_as_pending (op));
      break;
    case CZ_OP_DELIVERED:
    case CZ_OP_READ:
      cz_server_chat_marked (self, cz_store_op_as_mark (op));
      break;
    case CZ_OP_HISTORY:
      if (conn)
        cz_server_chat_history_done (conn, cz_store_op_as_history (op), ctx->ref);
      break;
    case CZ_OP_CLUSTER:
      cz_server_cluster_done (self, op, ctx);
      break;
    case CZ_OP_PUBLISH_KEYS:
      if (conn)
        cz_server_e2e_published (conn, cz_store_op_as_publish_keys (op), ctx->ref);
      break;
    case CZ_OP_FETCH_KEYS:
      if (conn)
        cz_server_e2e_fetched (conn, cz_store_op_as_fetch_keys (op), ctx->ref);
      break;
    case CZ_OP_EMSG:
      cz_server_e2e_saved (self, conn, cz_store_op_as_save_emsg (op), ctx);
      break;
    case CZ_OP_DEVICE_PENDING:
      cz_server_e2e_pending_done (self, conn, cz_store_op_as_device_pending (op));
      break;
    case CZ_OP_DEVICE_RECEIVED:
      cz_server_e2e_removed (self, cz_store_op_as_device_received (op));
      break;
    }
  cz_op_ctx_free (ctx);
  cz_store_op_free (op);
}
