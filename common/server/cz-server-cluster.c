/* cz-server-cluster.c: a node among several servers on one PostgreSQL
 * database (DESIGN §3).
 *
 * What another node committed reaches this node's sessions: the store's
 * listener (cz-store-pg.h) hears the notice on its own thread and reads
 * the rows; here they become completed store operations in the engine's
 * inbox, and the engine delivers them as it does its own, on its own
 * thread: a message as a save completed without a sender here
 * (cz_server_chat_saved()), receipts as a mark completed
 * (cz_server_chat_marked()).
 *
 * Presence spans the nodes: the users online here go to the database
 * (the listener writes them, batched, once per loop iteration), and the
 * users online elsewhere come back as notices, applied once per loop
 * iteration before the presence flush: a user online on any node is
 * online, and `who` lists them too (cz-server-presence.c asks here).
 *
 * Failed logins count on every node: each is written and announced, and
 * the other nodes count it in their own throttle (cz-throttle.h).
 *
 * With SQLite there is one node: nothing here runs. */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-server-private.h"
#include "cz-store-pg.h"
#include "cz-message.h"

struct _CzCluster {
  CzStoreListener *listener;
  GAsyncQueue *presence;       /* CzStoreNotice* from the listener's thread:
                                  presence and failed logins */
  /* Engine thread: */
  GHashTable *nodes;           /* node -> GHashTable set of its users */
  GHashTable *remote;          /* user -> number of other nodes they are on */
  GHashTable *published;       /* users written as online here */
};

/* ---- The listener's thread ------------------------------------------- */

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
    case CZ_STORE_NOTICE_PRESENCE:
    case CZ_STORE_NOTICE_NODE_GONE:
    case CZ_STORE_NOTICE_SNAPSHOT:
    case CZ_STORE_NOTICE_LOGIN_FAILED:
    case CZ_STORE_NOTICE_LOGIN_OK:
    case CZ_STORE_NOTICE_FAILURES:
      g_async_queue_push (self->cluster->presence, g_steal_pointer (&notice));
      break;
    case CZ_STORE_NOTICE_CONNECTED:
    case CZ_STORE_NOTICE_LOST:
      break;
    }
  cz_store_notice_free (notice);
  cz_server_store_batch_done_cb (self->store, self);
}

/* ---- Remote presence (engine thread) --------------------------------- */

/* @user is on @node (@on) or not; the presence module hears when the
 * user's state on the other nodes as a whole changes. */
static void
remote_set (CzServer *self, const char *node, const char *user, gboolean on)
{
  CzCluster *c = self->cluster;
  GHashTable *users = g_hash_table_lookup (c->nodes, node);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (c->remote, user));
  gboolean was_anywhere = count > 0 || g_hash_table_contains (self->online, user);

  if (on == (users != NULL && g_hash_table_contains (users, user)))
    return;
  if (on)
    {
      if (users == NULL)
        {
          users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          g_hash_table_insert (c->nodes, g_strdup (node), users);
        }
      g_hash_table_add (users, g_strdup (user));
      g_hash_table_insert (c->remote, g_strdup (user), GUINT_TO_POINTER (count + 1));
    }
  else
    {
      g_hash_table_remove (users, user);
      if (count > 1)
        g_hash_table_insert (c->remote, g_strdup (user), GUINT_TO_POINTER (count - 1));
      else
        g_hash_table_remove (c->remote, user);
    }
  /* Online elsewhere from none to one node, or from one to none. */
  if (on ? count == 0 : count == 1)
    cz_server_presence_remote (self, user, was_anywhere);
}

static void
node_gone (CzServer *self, const char *node)
{
  GHashTable *users = g_hash_table_lookup (self->cluster->nodes, node);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer user;

  if (users == NULL)
    return;
  g_hash_table_iter_init (&iter, users);
  while (g_hash_table_iter_next (&iter, &user, NULL))
    g_ptr_array_add (names, g_strdup (user));
  for (guint i = 0; i < names->len; i++)
    remote_set (self, node, names->pdata[i], FALSE);
  g_hash_table_remove (self->cluster->nodes, node);
}

static void
apply_snapshot (CzServer *self, CzStoreNotice *n)
{
  g_autoptr(GHashTable) now = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter nodes, users;
  gpointer node, set, user;

  for (guint i = 0; i < n->users->len; i++)
    {
      g_hash_table_add (now, g_strconcat (n->nodes->pdata[i], "\n", n->users->pdata[i], NULL));
      remote_set (self, n->nodes->pdata[i], n->users->pdata[i], TRUE);
    }
  g_hash_table_iter_init (&nodes, self->cluster->nodes);
  while (g_hash_table_iter_next (&nodes, &node, &set))
    {
      g_hash_table_iter_init (&users, set);
      while (g_hash_table_iter_next (&users, &user, NULL))
        {
          g_autofree char *key = g_strconcat (node, "\n", user, NULL);

          if (!g_hash_table_contains (now, key))
            g_ptr_array_add (stale, g_steal_pointer (&key));
        }
    }
  for (guint i = 0; i < stale->len; i++)
    {
      char *sep = strchr (stale->pdata[i], '\n');

      *sep = '\0';
      remote_set (self, stale->pdata[i], sep + 1, FALSE);
    }
}

/* Another node's login attempts count here too (cz-throttle.h): a
 * failure as one attempt reserved and failed, a success as one that
 * forgets the key's failures. */
static void
apply_logins (CzServer *self, CzStoreNotice *n)
{
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < n->users->len; i++)
    {
      const char *key = n->users->pdata[i];

      if (n->kind == CZ_STORE_NOTICE_LOGIN_OK)
        {
          cz_throttle_reserve (self->throttle, key, now);
          cz_throttle_success (self->throttle, key, TRUE);
          continue;
        }
      for (gint64 k = 0; k < (n->kind == CZ_STORE_NOTICE_FAILURES
                              ? MIN (g_array_index (n->counts, gint64, i), 1000) : 1); k++)
        {
          gint64 at = n->kind == CZ_STORE_NOTICE_FAILURES
                        ? now - g_array_index (n->ages, gint64, i) * 1000 : now;

          cz_throttle_reserve (self->throttle, key, at);
          cz_throttle_failure (self->throttle, key, at);
        }
    }
}

void
cz_server_cluster_login (CzServer *self, const char *pair_key, const char *addr_key,
                         const char *user_key, gboolean ok)
{
  /* A success forgets the account's keys; the address gives back only
   * the attempt it never counted elsewhere. */
  const char *failed[] = { pair_key, addr_key, user_key, NULL };
  const char *forgot[] = { pair_key, user_key, NULL };

  if (self->cluster != NULL)
    cz_store_listener_login (self->cluster->listener, ok ? forgot : failed, !ok);
}

void
cz_server_cluster_flush (CzServer *self)
{
  CzCluster *c = self->cluster;
  CzStoreNotice *n;

  if (c == NULL)
    return;
  while ((n = g_async_queue_try_pop (c->presence)) != NULL)
    {
      if (n->kind == CZ_STORE_NOTICE_SNAPSHOT)
        apply_snapshot (self, n);
      else if (n->kind == CZ_STORE_NOTICE_NODE_GONE)
        node_gone (self, n->node);
      else if (n->kind != CZ_STORE_NOTICE_PRESENCE)
        apply_logins (self, n);
      else
        for (guint i = 0; i < n->users->len; i++)
          remote_set (self, n->node, n->users->pdata[i], n->online);
      cz_store_notice_free (n);
    }

  /* This node's changes of the iteration, for the others. */
  for (guint i = 0; i < self->presence_order->len; i++)
    {
      const char *user = self->presence_order->pdata[i];
      gboolean here = g_hash_table_contains (self->online, user);

      if (here == g_hash_table_contains (c->published, user))
        continue;
      if (here)
        g_hash_table_add (c->published, g_strdup (user));
      else
        g_hash_table_remove (c->published, user);
      cz_store_listener_set_presence (c->listener, user, here);
    }
}

gboolean
cz_server_cluster_online (CzServer *self, const char *user)
{
  return self->cluster != NULL && g_hash_table_contains (self->cluster->remote, user);
}

void
cz_server_cluster_add_users (CzServer *self, GPtrArray *users, const char *except)
{
  GHashTableIter iter;
  gpointer user;

  if (self->cluster == NULL)
    return;
  g_hash_table_iter_init (&iter, self->cluster->remote);
  while (g_hash_table_iter_next (&iter, &user, NULL))
    if (!g_hash_table_contains (self->online, user) && g_strcmp0 (user, except) != 0)
      g_ptr_array_add (users, user);
}

/* The retry_after of `unavailable`: about the time the store takes to
 * try the database again and a node to be taken for gone. */
#define UNAVAILABLE_RETRY_S 2

void
cz_server_cluster_send_unavailable (CzConn *conn, guint32 ref, const GError *error)
{
  g_autofree char *text = g_strdup_printf (_("your message was not saved, try again in %u "
                                             "seconds: %s"),
                                           UNAVAILABLE_RETRY_S, error->message);
  g_autoptr(GVariant) msg = cz_message_new ("error",
                                            "ref", g_variant_new_uint32 (ref),
                                            "code", g_variant_new_string ("unavailable"),
                                            "message", g_variant_new_string (text),
                                            "retry_after", g_variant_new_uint32 (UNAVAILABLE_RETRY_S),
                                            NULL);

  cz_conn_send (conn, msg);
}

/* ---- Start, stop, completions ---------------------------------------- */

gboolean
cz_server_cluster_start (CzServer *self, GError **error)
{
  CzCluster *c;

  if (!cz_store_path_is_pg (self->db_path))
    return TRUE;
  c = g_new0 (CzCluster, 1);
  c->presence = g_async_queue_new_full ((GDestroyNotify) cz_store_notice_free);
  c->nodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) g_hash_table_unref);
  c->remote = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  c->published = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cluster = c;
  c->listener = cz_store_listener_start (self->db_path, notice_cb, self, error);
  if (c->listener == NULL)
    {
      cz_server_cluster_stop (self);
      return FALSE;
    }
  return TRUE;
}

void
cz_server_cluster_stop (CzServer *self)
{
  CzCluster *c = self->cluster;

  if (c == NULL)
    return;
  /* Its users leave this node, for the other nodes. */
  g_clear_pointer (&c->listener, cz_store_listener_stop);
  g_async_queue_unref (c->presence);
  g_hash_table_unref (c->nodes);
  g_hash_table_unref (c->remote);
  g_hash_table_unref (c->published);
  g_free (c);
  self->cluster = NULL;
}

void
cz_server_cluster_done (CzServer *self, CzStoreOp *op, CzOpCtx *ctx)
{
  if (op->kind == CZ_STORE_OP_SAVE_MESSAGE)
    cz_server_chat_saved (self, NULL, cz_store_op_as_save_message (op), ctx);
  else
    cz_server_chat_marked (self, cz_store_op_as_mark (op));
}
