#include "config.h"

#include <glib/gstdio.h>

#include "cz-error.h"
#include "cz-scram.h"
#include "store-helpers.h"
#include "testutil.h"

void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("cz-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "data", "server.db", NULL);
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
