/* cz-server-presence.c: who is online on the server (DESIGN §2.1 "Chat"):
 * the online table, a user's sessions coming and going, `presence`
 * announced once per loop iteration (latest state only, batched per
 * recipient), and `who`. */
#include "config.h"

#include <string.h>

#include "cz-server-private.h"
#include "cz-message.h"

/* Presence goes out once per loop iteration (cz_server_presence_flush):
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
cz_server_presence_flush (CzServer *self)
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
      gboolean now = g_hash_table_contains (self->online, user)
                     || cz_server_cluster_online (self, user);
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

/* After the offline queue: store operations finish in order, so a message
 * committed during the login comes once, from the queue or live. */
void
cz_server_presence_online (CzServer *self, CzConn *conn)
{
  GPtrArray *sessions = g_hash_table_lookup (self->online, conn->user);

  if (sessions == NULL)
    {
      sessions = g_ptr_array_new ();
      g_hash_table_insert (self->online, g_strdup (conn->user), sessions);
      note_presence (self, conn->user, cz_server_cluster_online (self, conn->user));
    }
  g_ptr_array_add (sessions, conn);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

void
cz_server_presence_who (CzConn *conn, GVariant *msg, guint32 ref)
{
  g_autoptr(GPtrArray) users = g_ptr_array_new ();
  g_autoptr(GVariant) reply = NULL;
  GHashTableIter iter;
  gpointer name;

  g_hash_table_iter_init (&iter, conn->server->online);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    g_ptr_array_add (users, name);
  cz_server_cluster_add_users (conn->server, users, conn->user);
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

void
cz_server_presence_closed (CzConn *conn)
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
cz_server_presence_remote (CzServer *self, const char *user, gboolean was_online)
{
  note_presence (self, user, was_online);
}

void
cz_server_presence_shutdown (CzServer *self)
{
  g_hash_table_remove_all (self->online);
  g_ptr_array_set_size (self->presence_order, 0);
  g_hash_table_remove_all (self->presence_before);
}
