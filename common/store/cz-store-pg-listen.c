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
  return n;
}

/* ---- The listener ---------------------------------------------------- */

struct _CzStoreListener {
  char *conninfo;
  CzStoreNoticeFunc func;
  gpointer user_data;
  PGconn *conn;                /* the thread's, once started */
  int stop_fd;
  GThread *thread;
  gint64 max_seen;             /* the highest message id seen */
};

static void
notice_ignore (void *arg, const PGresult *res)
{
}

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
  if (ok && PQsetnonblocking (self->conn, 1) != 0)
    ok = FALSE;
  return ok;
}

/* Runs a message query; FALSE if the connection failed under it. */
static gboolean
query_records (CzStoreListener *self, const char *sql, int n, const char *const *values,
               GPtrArray *records)
{
  PGresult *res;
  gboolean ok;

  PQsetnonblocking (self->conn, 0);
  res = PQexecParams (self->conn, sql, n, NULL, values, NULL, NULL, 0);
  PQsetnonblocking (self->conn, 1);
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
  g_autoptr(GVariant) ids = NULL;
  g_autofree char *ids_array = NULL;
  const char *node, *kind, *reader;
  CzStoreNotice *notice;
  CzStoreNoticeKind which;
  const char *values[1];

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
      struct pollfd pfd[2] = { { self->stop_fd, POLLIN, 0 }, { -1, POLLIN, 0 } };
      PGnotify *notify;
      gboolean ok = TRUE;

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

      pfd[1].fd = PQsocket (self->conn);
      if (poll (pfd, 2, 1000) < 0 && errno != EINTR)
        break;
      if (pfd[0].revents != 0)
        break;
      if (pfd[1].revents != 0 && !PQconsumeInput (self->conn))
        ok = FALSE;
      while (ok && (notify = PQnotifies (self->conn)) != NULL)
        {
          ok = handle_payload (self, notify->extra);
          PQfreemem (notify);
        }
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
  self->stop_fd = eventfd (0, EFD_CLOEXEC);
  if (self->stop_fd < 0 || !listen_connect (self, error))
    {
      if (self->stop_fd >= 0 && error != NULL && *error == NULL)
        g_set_error_literal (error, CZ_ERROR, CZ_ERROR_STORE, g_strerror (errno));
      cz_store_listener_stop (self);
      return NULL;
    }
  /* From now on: what was there before is nobody's news. */
  PQsetnonblocking (self->conn, 0);
  res = PQexec (self->conn, "SELECT coalesce (max (id), 0) FROM messages");
  PQsetnonblocking (self->conn, 1);
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
  if (self->stop_fd >= 0)
    close (self->stop_fd);
  g_clear_pointer (&self->conn, PQfinish);
  if (self->conninfo != NULL)
    memset (self->conninfo, 0, strlen (self->conninfo));
  g_free (self->conninfo);
  g_free (self);
}
