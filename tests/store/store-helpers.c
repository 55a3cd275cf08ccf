#include "config.h"

#include <glib/gstdio.h>

#include <sqlite3.h>

#include "cz-error.h"
#include "cz-scram.h"
#include "cz-store-pg.h"
#include "pg-cluster.h"
#include "store-helpers.h"
#include "testutil.h"

static CzPgCluster *cluster;

void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cz-store-XXXXXX", &error);
  g_assert_no_error (error);
  if (g_strcmp0 (data, STORE_PG) == 0)
    {
      if (cluster == NULL)
        cluster = cz_pg_cluster_start ();
      g_assert_nonnull (cluster);
      f->path = cz_pg_cluster_new_db (cluster);
    }
  else
    f->path = g_build_filename (f->dir, "data", "server.db", NULL);
}

static void
skip_pg (void)
{
  g_test_skip ("PostgreSQL is not installed");
}

void
store_add_both (const char *name, void (*func) (Fixture *, gconstpointer))
{
  g_autofree char *sqlite_path = g_strconcat ("/store/", name, NULL);
  g_autofree char *pg_path = g_strconcat ("/store/pg/", name, NULL);

  g_test_add (sqlite_path, Fixture, NULL, fixture_setup, func, fixture_teardown);
  if (cz_pg_bindir () != NULL)
    g_test_add (pg_path, Fixture, STORE_PG, fixture_setup, func, fixture_teardown);
  else
    g_test_add_func (pg_path, skip_pg);
}

void
store_add_pg (const char *name, void (*func) (Fixture *, gconstpointer))
{
  g_autofree char *pg_path = g_strconcat ("/store/pg/", name, NULL);

  if (cz_pg_bindir () != NULL)
    g_test_add (pg_path, Fixture, STORE_PG, fixture_setup, func, fixture_teardown);
  else
    g_test_add_func (pg_path, skip_pg);
}

void
store_pg_stop_server (void)
{
  cz_pg_cluster_stop_server (cluster);
}

void
store_pg_start_server (void)
{
  cz_pg_cluster_start_server (cluster);
}

int
store_test_run (void)
{
  int status = g_test_run ();

  g_clear_pointer (&cluster, cz_pg_cluster_free);
  return status;
}

char *
store_query (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  if (cz_store_path_is_pg (path))
    return cz_pg_query (path, sql);
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text != NULL ? text : g_strdup ("");
}

void
fixture_teardown (Fixture *f, gconstpointer data)
{
  cz_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

CzStore *
open_ok (const char *path)
{
  g_autoptr(GError) error = NULL;
  CzStore *store = cz_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

void
run_op_ok (CzStore *store, CzStoreOp *op)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cz_store_run (store, op, &error));
  g_assert_no_error (error);
  g_assert_null (op->error);
}

void
run_op_fails (CzStore *store, CzStoreOp *op, int code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (cz_store_run (store, op, &error));
  g_assert_error (error, CZ_ERROR, code);
  g_assert_error (op->error, CZ_ERROR, code);
}

CzStoreAddUser *
add_user_op (const char *name, const char *password)
{
  CzStoreAddUser *op = cz_store_add_user_new (name);
  g_autoptr(GBytes) salt = cz_scram_new_salt ();

  g_assert_true (cz_scram_credentials_from_password (&op->creds, password, salt, CZ_SCRAM_MIN_ITERATIONS, NULL));
  return op;
}

void
add_user (CzStore *store, const char *name, const char *password)
{
  g_autoptr(CzStoreAddUser) op = add_user_op (name, password);

  run_ok (store, op);
}

CzStoreSaveMessage *
save_op (const char *from, const char *to, const char *text)
{
  return cz_store_save_message_new (from, to, text, NULL, 1700000000000);
}

gint64
save (CzStore *store, const char *from, const char *to, const char *text)
{
  g_autoptr(CzStoreSaveMessage) op = save_op (from, to, text);

  run_ok (store, op);
  g_assert_cmpint (op->id, >, 0);
  g_assert_cmpint (op->ts, ==, 1700000000000);
  return op->id;
}

CzStoreHistory *
history (CzStore *store, const char *user, const char *peer, gint64 before,
         guint limit)
{
  CzStoreHistory *op = cz_store_history_new (user, peer, before, limit);

  run_ok (store, op);
  g_assert_nonnull (op->messages);
  return op;
}
