/* cz-store-pg-listen.c: a node's ears on a shared PostgreSQL database
 * (cz-store-pg.h): LISTEN on its own connection and thread, the rows
 * behind each notice read by id, and catching up by id after a lost
 * connection.  Also the set of message ids this process already knows
 * (its own commits, and what its listener passed on), so that nothing is
 * handed over twice. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <glib/gi18n-lib.h>
#include <libpq-fe.h>

#include "cz-store-pg.h"
#include "cz-store-pg-private.h"
#include "cz-error.h"

#define MSG_SELECT \
  "SELECT m.id, m.ts, s.name, r.name, m.text, " \
  "m.delivered_ts IS NOT NULL, m.read_ts IS NOT NULL " \
  "FROM messages m JOIN users s ON s.id = m.sender LEFT JOIN users r ON r.id = m.recipient "
/* After a reconnection, rows from this far below the highest id seen are
 * read again: ids are given at INSERT and become visible at COMMIT, so a
 * row may appear below one seen already.  (A direct message missed beyond
 * that waits in its recipient's offline queue anyway.) */
#define CATCHUP_SLACK 1024
#define CATCHUP_MAX 10000
/* The known ids kept: pruned to the upper half when it reaches this. */
#define KNOWN_MAX 200000
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
/* CZ_THROTTLE_FORGET (cz-throttle.h, a layer above): a key's failures
 * are forgotten this long after the last. */
#define CZ_THROTTLE_FORGET_S 900

/* ---- Known ids (any thread) ------------------------------------------ */

static GMutex known_lock;
static GHashTable *known;       /* gint64* set */
static gint64 known_max;

static gboolean
known_add_locked (gint64 id)
{
  gint64 *key;

  if (known == NULL)
    known = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  if (g_hash_table_contains (known, &id))
    return FALSE;
  if (g_hash_table_size (known) >= KNOWN_MAX)
    {
      GHashTableIter iter;
      gint64 *k;
      gint64 floor = known_max - KNOWN_MAX / 2;

      g_hash_table_iter_init (&iter, known);
      while (g_hash_table_iter_next (&iter, (gpointer *) &k, NULL))
        if (*k < floor)
          g_hash_table_iter_remove (&iter);
    }
  key = g_new (gint64, 1);
  *key = id;
  g_hash_table_add (known, key);
  known_max = MAX (known_max, id);
  return TRUE;
}

void
cz_store_pg_known_add (const GArray *ids)
{
  g_mutex_lock (&known_lock);
  for (guint i = 0; i < ids->len; i++)
    known_add_locked (g_array_index (ids, gint64, i));
  g_mutex_unlock (&known_lock);
}

/* Keeps only the records not known yet, and makes them known. */
static void
known_filter (GPtrArray *records)
{
  g_mutex_lock (&known_lock);
  for (guint i = 0; i < records->len;)
    {
      CzMessageRecord *rec = records->pdata[i];

      if (known_add_locked (rec->id))
        i++;
      else
        g_ptr_array_remove_index (records, i);
    }
  g_mutex_unlock (&known_lock);
}

/* ---- Notices --------------------------------------------------------- */

void
cz_store_notice_free (CzStoreNotice *notice)
{
  if (notice == NULL)
    return;
  g_free (notice->node);
  g_free (notice->reader);
  g_clear_pointer (&notice->records, g_ptr_array_unref);
  g_clear_pointer (&notice->users, g_ptr_array_unref);
  g_clear_pointer (&notice->nodes, g_ptr_array_unref);
  g_clear_pointer (&notice->counts, g_array_unref);
  g_clear_pointer (&notice->ages, g_array_unref);
  g_free (notice);
}

static CzStoreNotice *
notice_new (CzStoreNoticeKind kind, const char *node, const char *reader)
{
  CzStoreNotice *n = g_new0 (CzStoreNotice, 1);

  n->kind = kind;
  n->node = g_strdup (node);
  n->reader = g_strdup (reader);
  n->records = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_message_record_free);
  n->users = g_ptr_array_new_with_free_func (g_free);
  n->nodes = g_ptr_array_new_with_free_func (g_free);
  n->counts = g_array_new (FALSE, FALSE, sizeof (gint64));
  n->ages = g_array_new (FALSE, FALSE, sizeof (gint64));
  return n;
}

/* ---- The listener ---------------------------------------------------- */

struct _CzStoreListener {
  char *conninfo;
  CzStoreNoticeFunc func;
  gpointer user_data;
  PGconn *conn;                /* the thread's, once started */
  int stop_fd;
  int wake_fd;                 /* presence changes queued */
  GThread *thread;
  gint64 max_seen;             /* the highest message id seen */
  GMutex lock;
  GPtrArray *changes;          /* under @lock: "+user" / "-user" (presence),
                                  "Fkey" / "Okey" (a login failed / succeeded) */
  GHashTable *local;           /* the thread's: users with a session here */
  gint64 next_beat_us;         /* monotonic */
};

/* At most this many user names per presence NOTIFY (< 8000 bytes). */
#define NOTIFY_USERS_MAX 200

static void
notice_ignore (void *arg, const PGresult *res)
{
}

static gboolean register_node (CzStoreListener *self);
static gboolean snapshot (CzStoreListener *self);

static gboolean
listen_connect (CzStoreListener *self, GError **error)
{
  PGresult *res;
  gboolean ok;

  g_clear_pointer (&self->conn, PQfinish);
  self->conn = PQconnectdb (self->conninfo);
  if (self->conn == NULL || PQstatus (self->conn) != CONNECTION_OK)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("cannot listen to the database: %s"),
                   self->conn != NULL ? PQerrorMessage (self->conn) : _("out of memory"));
      return FALSE;
    }
  PQsetNoticeReceiver (self->conn, notice_ignore, NULL);
  res = PQexec (self->conn, "LISTEN " CZ_STORE_PG_CHANNEL);
  ok = PQresultStatus (res) == PGRES_COMMAND_OK;
  if (!ok)
    g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("cannot listen to the database: %s"),
                 PQresultErrorMessage (res));
  PQclear (res);
  return ok && register_node (self) && snapshot (self);
}

/* ---- Presence (the listener's thread) -------------------------------- */

static gboolean
run_sql (CzStoreListener *self, const char *sql, int n, const char *const *values,
         PGresult **result)
{
  PGresult *res = PQexecParams (self->conn, sql, n, NULL, values, NULL, NULL, 0);
  gboolean ok = PQresultStatus (res) == PGRES_COMMAND_OK ||
                PQresultStatus (res) == PGRES_TUPLES_OK;

  if (ok && result != NULL)
    *result = res;
  else
    PQclear (res);
  return ok;
}

/* A text[] literal of user names (valid names need no escaping, but they
 * are quoted anyway). */
static char *
names_array (GPtrArray *names)
{
  GString *s = g_string_new ("{");

  for (guint i = 0; i < names->len; i++)
    {
      g_string_append (s, i > 0 ? ",\"" : "\"");
      for (const char *c = names->pdata[i]; *c != '\0'; c++)
        {
          if (*c == '"' || *c == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *c);
        }
      g_string_append_c (s, '"');
    }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

/* NOTIFY (node, kind, users), in chunks; inside the caller's transaction. */
static gboolean
notify_users (CzStoreListener *self, const char *node, const char *kind, GPtrArray *users)
{
  guint from = 0;

  do
    {
      guint n = MIN (users->len - from, NOTIFY_USERS_MAX);
      g_autoptr(GVariant) v = NULL;
      GVariantBuilder b;
      g_autofree char *payload = NULL;
      const char *values[2] = { CZ_STORE_PG_CHANNEL, NULL };

      g_variant_builder_init (&b, G_VARIANT_TYPE ("as"));
      for (guint i = from; i < from + n; i++)
        g_variant_builder_add (&b, "s", users->pdata[i]);
      v = g_variant_ref_sink (g_variant_new ("(ssas)", node, kind, &b));
      payload = g_variant_print (v, FALSE);
      values[1] = payload;
      if (!run_sql (self, "SELECT pg_notify ($1, $2)", 2, values, NULL))
        return FALSE;
      from += n;
    }
  while (from < users->len);
  return TRUE;
}

static GPtrArray *
local_users (CzStoreListener *self)
{
  GPtrArray *users = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer user;

  g_hash_table_iter_init (&iter, self->local);
  while (g_hash_table_iter_next (&iter, &user, NULL))
    g_ptr_array_add (users, user);
  return users;
}

static gboolean
commit_or_rollback (CzStoreListener *self, gboolean ok)
{
  if (ok && run_sql (self, "COMMIT", 0, NULL, NULL))
    return TRUE;
  if (PQstatus (self->conn) == CONNECTION_OK)
    PQclear (PQexec (self->conn, "ROLLBACK"));
  return FALSE;
}

/* This node's row and its users' rows, as they are here (at start, after
 * a lost connection, after being taken for gone). */
static gboolean
register_node (CzStoreListener *self)
{
  g_autoptr(GPtrArray) users = local_users (self);
  g_autofree char *names = names_array (users);
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / 1000);
  const char *me = cz_store_pg_node_id ();
  const char *values[] = { me, names, now };
  gboolean ok;

  ok = run_sql (self, "BEGIN", 0, NULL, NULL) &&
       run_sql (self, "INSERT INTO nodes (node) VALUES ($1)"
                      " ON CONFLICT (node) DO UPDATE SET heartbeat = now ()", 1, values, NULL) &&
       run_sql (self, "DELETE FROM sessions WHERE node = $1 AND NOT (name = ANY ($2::text[]))",
                2, values, NULL) &&
       (users->len == 0 ||
        (run_sql (self, "INSERT INTO sessions (node, name, since)"
                        " SELECT $1, unnest ($2::text[]), $3 ON CONFLICT DO NOTHING",
                  3, values, NULL) &&
         notify_users (self, me, "p+", users)));
  self->next_beat_us = g_get_monotonic_time () + CZ_STORE_PG_HEARTBEAT_MS * 1000;
  return commit_or_rollback (self, ok);
}

/* Who is online on the other nodes. */
static gboolean
snapshot (CzStoreListener *self)
{
  const char *values[] = { cz_store_pg_node_id () };
  CzStoreNotice *notice;
  PGresult *res = NULL;

  if (!run_sql (self, "SELECT node, name FROM sessions WHERE node <> $1 ORDER BY node, name",
                1, values, &res))
    return FALSE;
  notice = notice_new (CZ_STORE_NOTICE_SNAPSHOT, NULL, NULL);
  for (int i = 0; i < PQntuples (res); i++)
    {
      g_ptr_array_add (notice->nodes, g_strdup (PQgetvalue (res, i, 0)));
      g_ptr_array_add (notice->users, g_strdup (PQgetvalue (res, i, 1)));
    }
  PQclear (res);
  self->func (notice, self->user_data);
  return TRUE;
}

/* Failed logins counted (the count starts again 15 minutes after the
 * last), succeeded ones forgotten; announced in the same transaction. */
static gboolean
apply_logins (CzStoreListener *self, GPtrArray *failed, GPtrArray *forgot)
{
  g_autofree char *failed_keys = names_array (failed);
  g_autofree char *forgot_keys = names_array (forgot);
  g_autofree char *forget_s = g_strdup_printf ("%d", CZ_THROTTLE_FORGET_S);
  const char *me = cz_store_pg_node_id ();
  const char *fail_values[] = { failed_keys, forget_s };
  const char *ok_values[] = { forgot_keys };
  gboolean ok;

  if (failed->len == 0 && forgot->len == 0)
    return TRUE;
  ok = run_sql (self, "BEGIN", 0, NULL, NULL) &&
       (failed->len == 0 ||
        (run_sql (self, "INSERT INTO login_failures AS f (key, attempts)"
                        " SELECT unnest ($1::text[]), 1 ON CONFLICT (key) DO UPDATE"
                        " SET attempts = CASE WHEN f.last < now () - make_interval (secs => $2::int)"
                        " THEN 1 ELSE f.attempts + 1 END, last = now ()", 2, fail_values, NULL) &&
         notify_users (self, me, "tf", failed))) &&
       (forgot->len == 0 ||
        (run_sql (self, "DELETE FROM login_failures WHERE key = ANY ($1::text[])", 1, ok_values,
                  NULL) &&
         notify_users (self, me, "to", forgot)));
  return commit_or_rollback (self, ok);
}

/* The failures counted before this node started. */
static gboolean
load_failures (CzStoreListener *self)
{
  g_autofree char *forget_s = g_strdup_printf ("%d", CZ_THROTTLE_FORGET_S);
  const char *values[] = { forget_s };
  CzStoreNotice *notice;
  PGresult *res = NULL;

  if (!run_sql (self, "SELECT key, attempts,"
                      " (extract (epoch FROM now () - last) * 1000)::bigint FROM login_failures"
                      " WHERE last > now () - make_interval (secs => $1::int)",
                1, values, &res))
    return FALSE;
  notice = notice_new (CZ_STORE_NOTICE_FAILURES, NULL, NULL);
  for (int i = 0; i < PQntuples (res); i++)
    {
      gint64 count = g_ascii_strtoll (PQgetvalue (res, i, 1), NULL, 10);
      gint64 age = g_ascii_strtoll (PQgetvalue (res, i, 2), NULL, 10);

      g_ptr_array_add (notice->users, g_strdup (PQgetvalue (res, i, 0)));
      g_array_append_val (notice->counts, count);
      g_array_append_val (notice->ages, age);
    }
  PQclear (res);
  self->func (notice, self->user_data);
  return TRUE;
}

void
cz_store_listener_login (CzStoreListener *self, const char *const *keys, gboolean failed)
{
  guint64 one = 1;

  g_mutex_lock (&self->lock);
  for (guint i = 0; keys[i] != NULL; i++)
    g_ptr_array_add (self->changes, g_strconcat (failed ? "F" : "O", keys[i], NULL));
  g_mutex_unlock (&self->lock);
  if (write (self->wake_fd, &one, sizeof one) < 0)
    g_warning ("cannot wake the database listener: %s", g_strerror (errno));
}

/* The presence changes the engine queued, in one transaction. */
static gboolean
apply_changes (CzStoreListener *self)
{
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GHashTable) touched = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) came = g_ptr_array_new ();
  g_autoptr(GPtrArray) left = g_ptr_array_new ();
  g_autofree char *came_names = NULL, *left_names = NULL;
  g_autofree char *now = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / 1000);
  const char *me = cz_store_pg_node_id ();
  GHashTableIter iter;
  gpointer user;
  gboolean ok;

  g_mutex_lock (&self->lock);
  changes = g_steal_pointer (&self->changes);
  self->changes = g_ptr_array_new_with_free_func (g_free);
  g_mutex_unlock (&self->lock);
  g_autoptr(GPtrArray) failed = g_ptr_array_new ();
  g_autoptr(GPtrArray) forgot = g_ptr_array_new ();

  for (guint i = 0; i < changes->len; i++)
    {
      const char *change = changes->pdata[i];

      if (change[0] == 'F' || change[0] == 'O')
        {
          g_ptr_array_add (change[0] == 'F' ? failed : forgot, (gpointer) (change + 1));
          continue;
        }
      if (change[0] == '+')
        g_hash_table_add (self->local, g_strdup (change + 1));
      else
        g_hash_table_remove (self->local, change + 1);
      g_hash_table_add (touched, (gpointer) (change + 1));
    }
  g_hash_table_iter_init (&iter, touched);
  while (g_hash_table_iter_next (&iter, &user, NULL))
    g_ptr_array_add (g_hash_table_contains (self->local, user) ? came : left, user);
  if (self->conn == NULL)
    return TRUE;     /* presence: written at the next (re)connection */
  if (!apply_logins (self, failed, forgot))
    return FALSE;
  if (came->len == 0 && left->len == 0)
    return TRUE;
  came_names = names_array (came);
  left_names = names_array (left);
  {
    const char *ins[] = { me, came_names, now };
    const char *del[] = { me, left_names };

    ok = run_sql (self, "BEGIN", 0, NULL, NULL) &&
         (came->len == 0 ||
          (run_sql (self, "INSERT INTO sessions (node, name, since)"
                          " SELECT $1, unnest ($2::text[]), $3 ON CONFLICT DO NOTHING",
                    3, ins, NULL) &&
           notify_users (self, me, "p+", came))) &&
         (left->len == 0 ||
          (run_sql (self, "DELETE FROM sessions WHERE node = $1 AND name = ANY ($2::text[])",
                    2, del, NULL) &&
           notify_users (self, me, "p-", left)));
  }
  return commit_or_rollback (self, ok);
}

/* The heartbeat, and the nodes whose heartbeat lapsed removed. */
static gboolean
beat (CzStoreListener *self)
{
  g_autofree char *lapse = g_strdup_printf ("%d", CZ_STORE_PG_LAPSE_MS / 1000);
  const char *me = cz_store_pg_node_id ();
  const char *values[] = { me, lapse };
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  PGresult *res = NULL;
  gboolean ok, present;

  self->next_beat_us = g_get_monotonic_time () + CZ_STORE_PG_HEARTBEAT_MS * 1000;
  if (!run_sql (self, "UPDATE nodes SET heartbeat = now () WHERE node = $1", 1, values, &res))
    return FALSE;
  present = g_strcmp0 (PQcmdTuples (res), "0") != 0;
  PQclear (res);
  /* Taken for gone (this process stalled): back, with its users. */
  if (!present && !register_node (self))
    return FALSE;

  res = NULL;
  ok = run_sql (self, "BEGIN", 0, NULL, NULL) &&
       run_sql (self, "DELETE FROM nodes WHERE node <> $1"
                      " AND heartbeat < now () - make_interval (secs => $2::int) RETURNING node",
                2, values, &res);
  for (int i = 0; ok && i < PQntuples (res); i++)
    ok = notify_users (self, PQgetvalue (res, i, 0), "gone", none);
  if (res != NULL)
    PQclear (res);
  return commit_or_rollback (self, ok);
}

/* The node stops: its rows go, and the others hear it. */
static void
unregister_node (CzStoreListener *self)
{
  const char *me = cz_store_pg_node_id ();
  const char *values[] = { me };
  g_autoptr(GPtrArray) none = g_ptr_array_new ();

  if (self->conn == NULL || PQstatus (self->conn) != CONNECTION_OK)
    return;
  commit_or_rollback (self, run_sql (self, "BEGIN", 0, NULL, NULL) &&
                            run_sql (self, "DELETE FROM nodes WHERE node = $1", 1, values, NULL) &&
                            notify_users (self, me, "gone", none));
}

void
cz_store_listener_set_presence (CzStoreListener *self, const char *user, gboolean online)
{
  guint64 one = 1;

  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->changes, g_strconcat (online ? "+" : "-", user, NULL));
  g_mutex_unlock (&self->lock);
  if (write (self->wake_fd, &one, sizeof one) < 0)
    g_warning ("cannot wake the database listener: %s", g_strerror (errno));
}

/* A presence payload: (node, kind, users). */
static void
handle_presence (CzStoreListener *self, GVariant *v)
{
  const char *node, *kind;
  g_autoptr(GVariantIter) users = NULL;
  const char *user;
  CzStoreNotice *notice;

  g_variant_get (v, "(&s&sas)", &node, &kind, &users);
  if (g_str_equal (node, cz_store_pg_node_id ()))
    return;   /* ours; or another node took us for gone: the next beat says otherwise */
  if (g_str_equal (kind, "gone"))
    notice = notice_new (CZ_STORE_NOTICE_NODE_GONE, node, NULL);
  else if (g_str_equal (kind, "p+") || g_str_equal (kind, "p-"))
    {
      notice = notice_new (CZ_STORE_NOTICE_PRESENCE, node, NULL);
      notice->online = kind[1] == '+';
    }
  else if (g_str_equal (kind, "tf") || g_str_equal (kind, "to"))
    notice = notice_new (kind[1] == 'f' ? CZ_STORE_NOTICE_LOGIN_FAILED : CZ_STORE_NOTICE_LOGIN_OK,
                         node, NULL);
  else
    return;   /* a kind of a later version */
  while (g_variant_iter_next (users, "&s", &user))
    g_ptr_array_add (notice->users, g_strdup (user));
  self->func (notice, self->user_data);
}

/* Runs a message query; FALSE if the connection failed under it. */
static gboolean
query_records (CzStoreListener *self, const char *sql, int n, const char *const *values,
               GPtrArray *records)
{
  PGresult *res;
  gboolean ok;

  res = PQexecParams (self->conn, sql, n, NULL, values, NULL, NULL, 0);
  ok = PQresultStatus (res) == PGRES_TUPLES_OK;
  for (int i = 0; ok && i < PQntuples (res); i++)
    {
      CzMessageRecord *rec = g_new0 (CzMessageRecord, 1);

      rec->id = g_ascii_strtoll (PQgetvalue (res, i, 0), NULL, 10);
      rec->ts = g_ascii_strtoll (PQgetvalue (res, i, 1), NULL, 10);
      rec->from = g_strdup (PQgetvalue (res, i, 2));
      rec->to = PQgetisnull (res, i, 3) ? NULL : g_strdup (PQgetvalue (res, i, 3));
      rec->text = g_strdup (PQgetvalue (res, i, 4));
      rec->delivered = PQgetvalue (res, i, 5)[0] == 't';
      rec->read = PQgetvalue (res, i, 6)[0] == 't';
      g_ptr_array_add (records, rec);
    }
  PQclear (res);
  return ok;
}

static void
hand_over (CzStoreListener *self, CzStoreNotice *notice)
{
  for (guint i = 0; i < notice->records->len; i++)
    self->max_seen = MAX (self->max_seen, ((CzMessageRecord *) notice->records->pdata[i])->id);
  if (notice->kind == CZ_STORE_NOTICE_MESSAGES)
    known_filter (notice->records);
  if (notice->records->len == 0 && notice->kind != CZ_STORE_NOTICE_CONNECTED &&
      notice->kind != CZ_STORE_NOTICE_LOST)
    cz_store_notice_free (notice);
  else
    self->func (notice, self->user_data);
}

/* What was committed while the connection was away. */
static gboolean
catch_up (CzStoreListener *self)
{
  CzStoreNotice *notice = notice_new (CZ_STORE_NOTICE_MESSAGES, NULL, NULL);
  char after[32], limit[32];
  const char *values[] = { after, limit };

  g_snprintf (after, sizeof after, "%" G_GINT64_FORMAT, MAX (self->max_seen - CATCHUP_SLACK, 0));
  g_snprintf (limit, sizeof limit, "%d", CATCHUP_MAX);
  if (!query_records (self, MSG_SELECT "WHERE m.id > $1 ORDER BY m.id LIMIT $2", 2, values,
                      notice->records))
    {
      cz_store_notice_free (notice);
      return FALSE;
    }
  hand_over (self, notice);
  return TRUE;
}

static char *
ids_text (GVariant *ids)
{
  gsize n = 0;
  const gint64 *v = g_variant_get_fixed_array (ids, &n, sizeof (gint64));
  GString *s = g_string_new ("{");

  for (gsize i = 0; i < n; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "", v[i]);
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

/* One NOTIFY payload: (node, kind, reader, ids); FALSE if the connection
 * failed. */
static gboolean
handle_payload (CzStoreListener *self, const char *payload)
{
  g_autoptr(GVariant) v = g_variant_parse (G_VARIANT_TYPE ("(sssax)"), payload, NULL, NULL, NULL);
  g_autoptr(GVariant) presence = NULL;
  g_autoptr(GVariant) ids = NULL;
  g_autofree char *ids_array = NULL;
  const char *node, *kind, *reader;
  CzStoreNotice *notice;
  CzStoreNoticeKind which;
  const char *values[1];

  if (v == NULL &&
      (presence = g_variant_parse (G_VARIANT_TYPE ("(ssas)"), payload, NULL, NULL, NULL)) != NULL)
    {
      handle_presence (self, presence);
      return TRUE;
    }
  if (v == NULL)
    {
      g_warning ("ignoring a malformed notice on channel %s", CZ_STORE_PG_CHANNEL);
      return TRUE;
    }
  g_variant_get (v, "(&s&s&s@ax)", &node, &kind, &reader, &ids);
  if (g_str_equal (kind, "m"))
    which = CZ_STORE_NOTICE_MESSAGES;
  else if (g_str_equal (kind, "d"))
    which = CZ_STORE_NOTICE_DELIVERED;
  else if (g_str_equal (kind, "r"))
    which = CZ_STORE_NOTICE_READ;
  else
    return TRUE;    /* a kind of a later version */
  if (g_str_equal (node, cz_store_pg_node_id ()))
    {
      /* Ours: the engine had them. */
      gsize n = 0;
      const gint64 *v_ids = g_variant_get_fixed_array (ids, &n, sizeof (gint64));

      for (gsize i = 0; which == CZ_STORE_NOTICE_MESSAGES && i < n; i++)
        self->max_seen = MAX (self->max_seen, v_ids[i]);
      return TRUE;
    }
  notice = notice_new (which, node, which == CZ_STORE_NOTICE_MESSAGES ? NULL : reader);
  ids_array = ids_text (ids);
  values[0] = ids_array;
  if (!query_records (self, MSG_SELECT "WHERE m.id = ANY ($1::bigint[]) ORDER BY m.id", 1,
                      values, notice->records))
    {
      cz_store_notice_free (notice);
      return FALSE;
    }
  hand_over (self, notice);
  return TRUE;
}

/* Waits @ms or until asked to stop; FALSE when stopping. */
static gboolean
sleep_unless_stopped (CzStoreListener *self, int ms)
{
  struct pollfd pfd = { self->stop_fd, POLLIN, 0 };

  return poll (&pfd, 1, ms) == 0;
}

static gpointer
listen_thread (gpointer data)
{
  CzStoreListener *self = data;
  int retry_ms = RETRY_MIN_MS;

  for (;;)
    {
      struct pollfd pfd[3] = { { self->stop_fd, POLLIN, 0 }, { self->wake_fd, POLLIN, 0 },
                               { -1, POLLIN, 0 } };
      PGnotify *notify;
      gboolean ok = TRUE;
      gint64 wait_ms;
      guint64 value;

      if (self->conn == NULL || PQstatus (self->conn) != CONNECTION_OK)
        {
          if (!sleep_unless_stopped (self, retry_ms))
            break;
          retry_ms = MIN (retry_ms * 2, RETRY_MAX_MS);
          if (!listen_connect (self, NULL) || !catch_up (self))
            continue;
          retry_ms = RETRY_MIN_MS;
          self->func (notice_new (CZ_STORE_NOTICE_CONNECTED, NULL, NULL), self->user_data);
        }

      pfd[2].fd = PQsocket (self->conn);
      wait_ms = (self->next_beat_us - g_get_monotonic_time ()) / 1000 + 1;
      if (poll (pfd, 3, (int) CLAMP (wait_ms, 0, CZ_STORE_PG_HEARTBEAT_MS)) < 0 && errno != EINTR)
        break;
      if (pfd[0].revents != 0)
        break;
      if (pfd[1].revents != 0)
        {
          if (read (self->wake_fd, &value, sizeof value) < 0 && errno != EAGAIN)
            g_warning ("cannot read the listener's wake-up: %s", g_strerror (errno));
          ok = apply_changes (self);
        }
      if (ok && pfd[2].revents != 0 && !PQconsumeInput (self->conn))
        ok = FALSE;
      while (ok && (notify = PQnotifies (self->conn)) != NULL)
        {
          ok = handle_payload (self, notify->extra);
          PQfreemem (notify);
        }
      if (ok && g_get_monotonic_time () >= self->next_beat_us)
        ok = beat (self);
      if (!ok || PQstatus (self->conn) != CONNECTION_OK)
        {
          g_clear_pointer (&self->conn, PQfinish);
          self->func (notice_new (CZ_STORE_NOTICE_LOST, NULL, NULL), self->user_data);
        }
    }
  return NULL;
}

CzStoreListener *
cz_store_listener_start (const char *conninfo, CzStoreNoticeFunc func, gpointer user_data,
                         GError **error)
{
  CzStoreListener *self = g_new0 (CzStoreListener, 1);
  PGresult *res;

  self->conninfo = g_strdup (conninfo);
  self->func = func;
  self->user_data = user_data;
  g_mutex_init (&self->lock);
  self->changes = g_ptr_array_new_with_free_func (g_free);
  self->local = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  self->stop_fd = eventfd (0, EFD_CLOEXEC);
  if (self->stop_fd < 0 || self->wake_fd < 0 || !listen_connect (self, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, CZ_ERROR, CZ_ERROR_STORE, g_strerror (errno));
      cz_store_listener_stop (self);
      return NULL;
    }
  /* From now on: what was there before is nobody's news. */
  res = PQexec (self->conn, "SELECT coalesce (max (id), 0) FROM messages");
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("cannot listen to the database: %s"),
                   PQresultErrorMessage (res));
      PQclear (res);
      cz_store_listener_stop (self);
      return NULL;
    }
  self->max_seen = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  PQclear (res);
  if (!load_failures (self))
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("cannot listen to the database: %s"),
                   PQerrorMessage (self->conn));
      cz_store_listener_stop (self);
      return NULL;
    }
  self->thread = g_thread_new ("cz-store-listen", listen_thread, self);
  return self;
}

void
cz_store_listener_stop (CzStoreListener *self)
{
  guint64 one = 1;

  if (self == NULL)
    return;
  if (self->thread != NULL)
    {
      if (write (self->stop_fd, &one, sizeof one) < 0)
        g_warning ("cannot stop the database listener: %s", g_strerror (errno));
      g_thread_join (self->thread);
    }
  unregister_node (self);
  if (self->stop_fd >= 0)
    close (self->stop_fd);
  if (self->wake_fd >= 0)
    close (self->wake_fd);
  g_clear_pointer (&self->changes, g_ptr_array_unref);
  g_clear_pointer (&self->local, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_clear_pointer (&self->conn, PQfinish);
  if (self->conninfo != NULL)
    memset (self->conninfo, 0, strlen (self->conninfo));
  g_free (self->conninfo);
  g_free (self);
}
