/* cz-server-cluster.c: a node among several servers on one PostgreSQL
 * database (DESIGN §3).  What another node committed reaches this node's
 * sessions: the store's listener (cz-store-pg.h) hears the notice on its
 * own thread and reads the rows; here they become completed store
 * operations in the engine's inbox, and the engine delivers them as it
 * does its own, on its own thread: a message as a save completed without
 * a sender here (cz_server_chat_saved()), receipts as a mark completed
 * (cz_server_chat_marked()).  With SQLite there is one node: nothing
 * here runs. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cz-server-private.h"
#include "cz-store-pg.h"

/* Queues @op for the engine, as the store's completions are. */
static void
post (CzServer *self, CzStoreOp *op)
{
  CzOpCtx *ctx = g_new0 (CzOpCtx, 1);

  ctx->server = self;
  ctx->purpose = CZ_OP_CLUSTER;
  op->user_data = ctx;
  g_async_queue_push (self->inbox, op);
}

/* The listener's thread. */
static void
notice_cb (CzStoreNotice *notice, gpointer user_data)
{
  CzServer *self = user_data;

  switch (notice->kind)
    {
    case CZ_STORE_NOTICE_MESSAGES:
      for (guint i = 0; i < notice->records->len; i++)
        {
          CzMessageRecord *r = notice->records->pdata[i];
          CzStoreSaveMessage *op = cz_store_save_message_new (r->from, r->to, r->text, NULL,
                                                              r->ts);

          op->id = r->id;
          post (self, &op->op);
        }
      break;
    case CZ_STORE_NOTICE_DELIVERED:
    case CZ_STORE_NOTICE_READ:
      {
        CzStoreMark *op = notice->kind == CZ_STORE_NOTICE_READ
                            ? cz_store_mark_read_new (notice->reader, NULL)
                            : cz_store_mark_delivered_new (notice->reader, NULL);

        op->changed = g_steal_pointer (&notice->records);
        post (self, &op->op);
      }
      break;
    case CZ_STORE_NOTICE_CONNECTED:
    case CZ_STORE_NOTICE_LOST:
      break;
    }
  cz_store_notice_free (notice);
  cz_server_store_batch_done_cb (self->store, self);
}

gboolean
cz_server_cluster_start (CzServer *self, GError **error)
{
  if (!cz_store_path_is_pg (self->db_path))
    return TRUE;
  self->cluster = cz_store_listener_start (self->db_path, notice_cb, self, error);
  return self->cluster != NULL;
}

void
cz_server_cluster_stop (CzServer *self)
{
  g_clear_pointer (&self->cluster, cz_store_listener_stop);
}

void
cz_server_cluster_done (CzServer *self, CzStoreOp *op, CzOpCtx *ctx)
{
  if (op->kind == CZ_STORE_OP_SAVE_MESSAGE)
    cz_server_chat_saved (self, NULL, cz_store_op_as_save_message (op), ctx);
  else
    cz_server_chat_marked (self, cz_store_op_as_mark (op));
}
