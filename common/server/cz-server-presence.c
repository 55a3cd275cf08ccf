/* cz-server-presence.c: who is online on the server (DESIGN §2.1 "Chat",
 * §6 "Storms"): the online table, a user's sessions coming and going,
 * presence announced in batches, and `who`.
 *
 * Changes are collected and announced at most once per
 * CZ_PRESENCE_INTERVAL_US, or 100 µs per user online if that is longer
 * (the first change after a quiet interval goes at the end of its loop
 * iteration), latest state only: a user who came and
 * went between two batches is not announced, nor one who left and came
 * back within the grace period (config.presence_grace_ms), and an offline
 * change is announced only once that period has passed.  A recipient that
 * asked for it at auth-start (`features` ["presence-batch"]) gets one
 * `presence-batch` {online as, offline as} per batch; others get one
 * `presence` {user, online} per change, as before.  Nobody is told about
 * their own user, and connections that are closing get nothing.  A login
 * storm of N clients thus costs O(N) frames per batch interval instead
 * of O(N²). */
#include "config.h"

#include <string.h>

#include "cz-server-private.h"
#include "cz-message.h"
#include "cz-protocol.h"

typedef struct {
  gboolean was_online;       /* as last announced */
  gint64 changed_us;         /* monotonic: the latest change */
} CzPresenceNote;

gboolean
cz_server_presence_wants_batch (GVariant *auth_start)
{
  g_autoptr(GVariant) features = cz_message_lookup (auth_start, "features",
                                                    G_VARIANT_TYPE_STRING_ARRAY);
  g_autofree const char **list = NULL;

  if (features == NULL)
    return FALSE;
  list = g_variant_get_strv (features, NULL);
  return g_strv_contains (list, CZ_FEATURE_PRESENCE_BATCH);
}

/* The least time between two batches: 100 ms, longer with many online. */
static gint64
interval_us (CzServer *self)
{
  return MAX ((gint64) CZ_PRESENCE_INTERVAL_US,
              (gint64) g_hash_table_size (self->online) * CZ_PRESENCE_US_PER_USER);
}

static void
schedule (CzServer *self, gint64 now)
{
  if (self->presence_due_us == 0)
    self->presence_due_us = MAX (now, self->presence_last_us + interval_us (self));
}

static void
note_presence (CzServer *self, const char *user, gboolean was_online)
{
  gint64 now = g_get_monotonic_time ();
  CzPresenceNote *note;

  if (self->closing_all)
    return;
  note = g_hash_table_lookup (self->presence_before, user);
  if (note == NULL)
    {
      note = g_new0 (CzPresenceNote, 1);
      note->was_online = was_online;
      g_hash_table_insert (self->presence_before, g_strdup (user), note);
      g_ptr_array_add (self->presence_order, g_strdup (user));
    }
  note->changed_us = now;
  schedule (self, now);
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* A `presence-batch` of @online and @offline (sorted), leaving out @skip. */
static GVariant *
batch_new (GPtrArray *online, GPtrArray *offline, const char *skip)
{
  g_autoptr(GPtrArray) on = g_ptr_array_new ();
  g_autoptr(GPtrArray) off = g_ptr_array_new ();
  GVariant *msg;

  for (guint i = 0; i < online->len; i++)
    if (skip == NULL || strcmp (online->pdata[i], skip) != 0)
      g_ptr_array_add (on, online->pdata[i]);
  for (guint i = 0; i < offline->len; i++)
    if (skip == NULL || strcmp (offline->pdata[i], skip) != 0)
      g_ptr_array_add (off, offline->pdata[i]);
  if (on->len == 0 && off->len == 0)
    return NULL;
  msg = cz_message_new ("presence-batch",
                        "online", g_variant_new_strv ((const char *const *) on->pdata, on->len),
                        "offline", g_variant_new_strv ((const char *const *) off->pdata, off->len),
                        NULL);
  g_variant_get_data (msg);   /* serialized once for everyone it goes to */
  return msg;
}

static gboolean
departing (CzConn *conn)
{
  return conn->dead || cz_channel_get_state (conn->channel) >= CZ_CHANNEL_CLOSING;
}

void
cz_server_presence_flush (CzServer *self)
{
  g_autoptr(GPtrArray) online = NULL;   /* users who came, sorted */
  g_autoptr(GPtrArray) offline = NULL;  /* users who left, sorted */
  g_autoptr(GPtrArray) singles = NULL;  /* `presence` per change, for the others */
  g_autoptr(GPtrArray) whose = NULL;    /* the user each single is about */
  g_autoptr(GPtrArray) kept = NULL;     /* users still within their grace period */
  g_autoptr(GHashTable) changed = NULL; /* user → TRUE, came online in this batch */
  g_autoptr(GVariant) batch = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gint64 now = g_get_monotonic_time ();
  gint64 grace = (gint64) self->config.presence_grace_ms * 1000;
  gint64 next_due = 0;
  gboolean want_singles = FALSE;

  if (self->presence_order->len == 0)
    {
      self->presence_due_us = 0;
      return;
    }
  if (now < self->presence_due_us || self->closing_all)
    return;

  online = g_ptr_array_new ();
  offline = g_ptr_array_new ();
  kept = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < self->presence_order->len; i++)
    {
      char *user = self->presence_order->pdata[i];
      CzPresenceNote *note = g_hash_table_lookup (self->presence_before, user);
      gboolean now_online = g_hash_table_contains (self->online, user)
                            || cz_server_cluster_online (self, user);

      if (now_online == note->was_online)
        continue;
      if (now_online)
        g_ptr_array_add (online, user);
      else if (now - note->changed_us >= grace)
        g_ptr_array_add (offline, user);
      else
        {
          gint64 due = note->changed_us + grace;

          next_due = next_due == 0 ? due : MIN (next_due, due);
          g_ptr_array_add (kept, g_strdup (user));
        }
    }
  g_ptr_array_sort (online, compare_names);
  g_ptr_array_sort (offline, compare_names);

  if ((online->len > 0 || offline->len > 0) && !g_atomic_int_get (&self->stopping))
    {
      changed = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < online->len; i++)
        g_hash_table_add (changed, online->pdata[i]);
      batch = batch_new (online, offline, NULL);

      /* Recipient by recipient: a connection's frames are sealed one after
       * another with its key expanded once. */
      g_hash_table_iter_init (&iter, self->online);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          GPtrArray *conns = value;
          g_autoptr(GVariant) own = NULL;   /* the batch without the user's own change */
          gboolean self_changed = g_hash_table_contains (changed, key);

          for (guint c = 0; c < conns->len; c++)
            {
              CzConn *conn = conns->pdata[c];

              if (departing (conn))
                continue;
              if (!conn->presence_batch)
                {
                  want_singles = TRUE;
                  continue;
                }
              if (!self_changed)
                cz_conn_send (conn, batch);
              else
                {
                  if (own == NULL)
                    own = batch_new (online, offline, key);
                  if (own != NULL)
                    cz_conn_send (conn, own);
                }
            }
        }

      if (want_singles)
        {
          /* Recipients that did not ask for batches: one frame per change. */
          singles = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
          whose = g_ptr_array_new ();
          for (guint pass = 0; pass < 2; pass++)
            {
              GPtrArray *list = pass == 0 ? online : offline;

              for (guint i = 0; i < list->len; i++)
                {
                  GVariant *msg = cz_message_new ("presence",
                                                  "user", g_variant_new_string (list->pdata[i]),
                                                  "online", g_variant_new_boolean (pass == 0),
                                                  NULL);
                  g_variant_get_data (msg);
                  g_ptr_array_add (singles, msg);
                  g_ptr_array_add (whose, list->pdata[i]);
                }
            }
          g_hash_table_iter_init (&iter, self->online);
          while (g_hash_table_iter_next (&iter, &key, &value))
            {
              GPtrArray *conns = value;

              for (guint c = 0; c < conns->len; c++)
                {
                  CzConn *conn = conns->pdata[c];

                  if (conn->presence_batch || departing (conn))
                    continue;
                  for (guint i = 0; i < singles->len; i++)
                    /* The user's own sessions know. */
                    if (!g_str_equal (whose->pdata[i], key))
                      cz_conn_send (conn, singles->pdata[i]);
                }
            }
        }
      self->presence_last_us = now;
    }

  /* What was announced is forgotten; the users within their grace period
   * wait for the next batch (their notes stay as they are). */
  {
    g_autoptr(GHashTable) keep_set = g_hash_table_new (g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer k;

    for (guint i = 0; i < kept->len; i++)
      g_hash_table_add (keep_set, kept->pdata[i]);
    g_hash_table_iter_init (&it, self->presence_before);
    while (g_hash_table_iter_next (&it, &k, NULL))
      if (!g_hash_table_contains (keep_set, k))
        g_hash_table_iter_remove (&it);
    g_ptr_array_set_size (self->presence_order, 0);
    for (guint i = 0; i < kept->len; i++)
      g_ptr_array_add (self->presence_order, g_strdup (kept->pdata[i]));
  }
  self->presence_due_us = kept->len > 0
                          ? MAX (next_due, self->presence_last_us + interval_us (self))
                          : 0;
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
  self->presence_due_us = 0;
}
