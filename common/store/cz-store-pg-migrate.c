/* cz-store-pg-migrate.c: causerie-server --migrate-db FROM TO: an SQLite
 * database copied into an empty PostgreSQL one (cz-store-pg.h), in one
 * transaction, the counts verified before it commits. */
#include "config.h"

#include <inttypes.h>

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "cz-store-pg.h"
#include "cz-error.h"

/* What is copied: every table of the schema that holds data (nodes,
 * sessions and login_failures are a running cluster's, not data). */
static const struct {
  const char *table;
  const char *select;        /* SQLite, columns in @insert's order */
  const char *insert;        /* PostgreSQL */
  const char *types;         /* per column: i integer, t text, b blob */
} tables[] = {
  { "users",
    "SELECT id, name, salt, iterations, stored_key, server_key, created FROM users ORDER BY id",
    "INSERT INTO users (id, name, salt, iterations, stored_key, server_key, created)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)",
    "itbibbi" },
  { "messages",
    "SELECT id, ts, sender, recipient, text, delivered_ts, read_ts, txn FROM messages ORDER BY id",
    "INSERT INTO messages (id, ts, sender, recipient, text, delivered_ts, read_ts, txn)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    "iiiitiit" },
  { "login_secret",
    "SELECT id, secret FROM login_secret",
    "INSERT INTO login_secret (id, secret) VALUES ($1, $2)",
    "ib" },
};

/* The counts compared after the copy (the same SQL on both sides). */
static const char * const checks[] = {
  "SELECT count(*) FROM users",
  "SELECT count(*) FROM messages",
  "SELECT count(*) FROM messages WHERE recipient IS NULL",
  "SELECT count(*) FROM messages WHERE delivered_ts IS NOT NULL",
  "SELECT count(*) FROM messages WHERE read_ts IS NOT NULL",
  "SELECT count(*) FROM messages WHERE txn IS NOT NULL",
  "SELECT count(*) FROM login_secret",
  "SELECT coalesce (max (id), 0) FROM messages",
};

static gint64
sqlite_count (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 n = -1;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static gint64
pg_count (PGconn *conn, const char *sql)
{
  PGresult *res = PQexec (conn, sql);
  gint64 n = -1;

  if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
    n = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  PQclear (res);
  return n;
}

static gboolean
pg_ok (PGconn *conn, PGresult *res, GError **error)
{
  gboolean ok = PQresultStatus (res) == PGRES_COMMAND_OK ||
                PQresultStatus (res) == PGRES_TUPLES_OK;

  if (!ok)
    g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("copying into PostgreSQL failed: %s"),
                 g_strstrip (PQresultErrorMessage (res)));
  PQclear (res);
  return ok;
}

/* Copies one table row by row with a prepared INSERT; @n_rows out. */
static gboolean
copy_table (sqlite3 *db, PGconn *conn, guint t, gint64 *n_rows, GError **error)
{
  const char *types = tables[t].types;
  int n_cols = (int) strlen (types);
  g_autofree char *name = g_strdup_printf ("copy_%s", tables[t].table);
  sqlite3_stmt *stmt = NULL;
  int rc;

  *n_rows = 0;
  if (!pg_ok (conn, PQprepare (conn, name, tables[t].insert, 0, NULL), error))
    return FALSE;
  if (sqlite3_prepare_v2 (db, tables[t].select, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("reading the SQLite database failed: %s"),
                   sqlite3_errmsg (db));
      return FALSE;
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *values[8];
      int lengths[8], formats[8];
      char numbers[8][24];

      for (int c = 0; c < n_cols; c++)
        {
          lengths[c] = 0;
          formats[c] = 0;
          if (sqlite3_column_type (stmt, c) == SQLITE_NULL)
            values[c] = NULL;
          else if (types[c] == 'i')
            {
              g_snprintf (numbers[c], sizeof numbers[c], "%" G_GINT64_FORMAT,
                          (gint64) sqlite3_column_int64 (stmt, c));
              values[c] = numbers[c];
            }
          else if (types[c] == 't')
            values[c] = (const char *) sqlite3_column_text (stmt, c);
          else
            {
              values[c] = sqlite3_column_blob (stmt, c);
              lengths[c] = sqlite3_column_bytes (stmt, c);
              formats[c] = 1;
              if (values[c] == NULL)
                values[c] = "";
            }
        }
      if (!pg_ok (conn, PQexecPrepared (conn, name, n_cols, values, lengths, formats, 0), error))
        {
          sqlite3_finalize (stmt);
          return FALSE;
        }
      (*n_rows)++;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("reading the SQLite database failed: %s"),
                   sqlite3_errmsg (db));
      return FALSE;
    }
  return TRUE;
}

gboolean
cz_store_migrate_to_pg (const char *from, const char *to, CzStoreMigration *result,
                        GError **error)
{
  g_autoptr(CzStore) store = NULL;
  sqlite3 *db = NULL;
  PGconn *conn = NULL;
  gboolean ok = FALSE;
  gint64 rows;

  memset (result, 0, sizeof *result);
  if (cz_store_path_is_pg (from) || !cz_store_path_is_pg (to))
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("--migrate-db copies an SQLite file into a PostgreSQL database: "
                             "FROM is a file, TO a postgresql:// URI"));
      return FALSE;
    }
  if (!g_file_test (from, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID, _("%s does not exist"), from);
      return FALSE;
    }
  /* Both schemas up to date (the file is migrated forward as the server
   * would at its next start). */
  if ((store = cz_store_open (from, error)) == NULL)
    return FALSE;
  cz_store_close (store);
  g_clear_object (&store);
  if ((store = cz_store_open (to, error)) == NULL)
    return FALSE;
  cz_store_close (store);

  if (sqlite3_open_v2 (from, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("cannot open %s: %s"), from,
                   sqlite3_errmsg (db));
      goto out;
    }
  conn = PQconnectdb (to);
  if (PQstatus (conn) != CONNECTION_OK)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_STORE, _("cannot connect to PostgreSQL: %s"),
                   g_strstrip (PQerrorMessage (conn)));
      goto out;
    }
  if (!pg_ok (conn, PQexec (conn, "BEGIN ISOLATION LEVEL SERIALIZABLE"), error))
    goto out;
  /* Empty: no account, no message.  (A node started on it already made
   * a login secret: the file's replaces it, so that the answers to
   * unknown users stay what they were.) */
  if (pg_count (conn, "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM messages)") != 0)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("the PostgreSQL database is not empty: nothing was copied "
                             "(--migrate-db only fills a new database)"));
      goto out;
    }
  if (!pg_ok (conn, PQexec (conn, "DELETE FROM login_secret"), error))
    goto out;
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      if (!copy_table (db, conn, t, &rows, error))
        goto out;
      if (t == 0)
        result->users = rows;
      else if (t == 1)
        result->messages = rows;
    }
  /* New ids continue after the copied ones. */
  if (!pg_ok (conn, PQexec (conn, "SELECT setval (pg_get_serial_sequence ('users', 'id'),"
                                  " coalesce ((SELECT max (id) FROM users), 0) + 1, false);"
                                  "SELECT setval (pg_get_serial_sequence ('messages', 'id'),"
                                  " coalesce ((SELECT max (id) FROM messages), 0) + 1, false)"),
              error))
    goto out;
  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      gint64 want = sqlite_count (db, checks[i]), got = pg_count (conn, checks[i]);

      if (want < 0 || want != got)
        {
          g_set_error (error, CZ_ERROR, CZ_ERROR_STORE,
                       _("the copy does not match (%s: %" PRId64 " in the file, %" PRId64
                         " in PostgreSQL): nothing was copied"),
                       checks[i], (int64_t) want, (int64_t) got);
          goto out;
        }
    }
  result->delivered = sqlite_count (db, checks[3]);
  result->read = sqlite_count (db, checks[4]);
  ok = pg_ok (conn, PQexec (conn, "COMMIT"), error);

out:
  if (!ok && conn != NULL && PQstatus (conn) == CONNECTION_OK)
    PQclear (PQexec (conn, "ROLLBACK"));
  if (conn != NULL)
    PQfinish (conn);
  sqlite3_close (db);
  return ok;
}
