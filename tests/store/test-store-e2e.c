/* test-store-e2e.c: the end-to-end store operations (cz-store-e2e.h,
 * SQLite backend) and the v4 -> v5 migration: bundles published and
 * fetched, each one-time prekey handed out once (even when republished),
 * ciphertexts kept per device until that device has them, history and
 * the plain pending queue leaving encrypted messages out, and every
 * hostile input refused with its code and nothing written. */
#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "cz-error.h"
#include "cz-protocol.h"
#include "cz-store-e2e.h"
#include "store-helpers.h"

static GBytes *
key (guint8 fill, gsize len)
{
  guint8 buf[128];

  g_assert_cmpuint (len, <=, sizeof buf);
  memset (buf, fill, len);
  if (len > 0)
    buf[0] = 0x05;
  return g_bytes_new (buf, len);
}

/* A PUBLISH_KEYS op: @user's @device with identity filled with @ident and
 * one-time prekeys @first … @last. */
static CzStorePublishKeys *
publish_op (const char *user, guint32 device, guint8 ident, guint32 first, guint32 last)
{
  CzDeviceKeys *k = g_new0 (CzDeviceKeys, 1);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint32));
  GPtrArray *pks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  k->user = g_strdup (user);
  k->device = device;
  k->identity = key (ident, CZ_E2E_KEY_LEN);
  k->signed_prekey_id = 1;
  k->signed_prekey = key (0x51, CZ_E2E_KEY_LEN);
  k->signature = key (0x52, CZ_E2E_SIGNATURE_LEN);
  for (guint32 id = first; first > 0 && id <= last; id++)
    {
      g_array_append_val (ids, id);
      g_ptr_array_add (pks, key ((guint8) id, CZ_E2E_KEY_LEN));
    }
  return cz_store_publish_keys_new (k, ids, pks);
}

static guint
publish (CzStore *store, const char *user, guint32 device, guint32 first, guint32 last)
{
  g_autoptr(CzStorePublishKeys) op = publish_op (user, device, (guint8) device, first, last);

  run_ok (store, op);
  return op->held;
}

/* "device:prekey device:prekey" for what @asker's @asker_device gets for @user. */
static char *
fetch (CzStore *store, const char *asker, guint32 asker_device, const char *user)
{
  g_autoptr(CzStoreFetchKeys) op = cz_store_fetch_keys_new (asker, asker_device, user);
  GString *out = g_string_new (NULL);

  run_ok (store, op);
  for (guint i = 0; i < op->devices->len; i++)
    {
      CzDeviceKeys *k = g_ptr_array_index (op->devices, i);

      g_assert_cmpstr (k->user, ==, user);
      g_assert_cmpuint (g_bytes_get_size (k->identity), ==, CZ_E2E_KEY_LEN);
      g_assert_cmpuint (g_bytes_get_size (k->signature), ==, CZ_E2E_SIGNATURE_LEN);
      g_assert_true ((k->prekey_id == 0) == (k->prekey == NULL));
      if (k->prekey != NULL)
        {
          /* The key that was published under that id. */
          g_autoptr(GBytes) expect = key ((guint8) k->prekey_id, CZ_E2E_KEY_LEN);

          g_assert_true (g_bytes_equal (k->prekey, expect));
        }
      g_string_append_printf (out, "%s%u:%u", i ? " " : "", k->device, k->prekey_id);
    }
  return g_string_free (out, FALSE);
}

static void
users (CzStore *store)
{
  add_user (store, "alice", "a");
  add_user (store, "bob", "b");
  add_user (store, "carol", "c");
}

#define ASSERT_FETCH(store, asker, dev, user, expect)                 \
  do {                                                                \
    g_autofree char *got_ = fetch ((store), (asker), (dev), (user));  \
    g_assert_cmpstr (got_, ==, (expect));                             \
  } while (0)

static void
test_publish_and_fetch (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);

  users (store);
  g_assert_cmpuint (publish (store, "alice", 11, 1, 3), ==, 3);
  g_assert_cmpuint (publish (store, "alice", 12, 1, 1), ==, 1);

  /* Each one-time prekey once, lowest first; then bundles without. */
  ASSERT_FETCH (store, "bob", 21, "alice", "11:1 12:1");
  ASSERT_FETCH (store, "bob", 21, "alice", "11:2 12:0");
  ASSERT_FETCH (store, "carol", 31, "alice", "11:3 12:0");
  ASSERT_FETCH (store, "bob", 21, "alice", "11:0 12:0");

  /* Republishing ids already handed out does not bring them back. */
  g_assert_cmpuint (publish (store, "alice", 11, 1, 5), ==, 2);
  ASSERT_FETCH (store, "bob", 21, "alice", "11:4 12:0");

  /* A user's own other devices, never the asking one. */
  ASSERT_FETCH (store, "alice", 11, "alice", "12:0");
  /* No devices: an empty answer. */
  ASSERT_FETCH (store, "alice", 11, "bob", "");
  {
    g_autoptr(CzStoreFetchKeys) op = cz_store_fetch_keys_new ("alice", 11, "nobody");

    run_fails (store, op, CZ_ERROR_NO_SUCH_USER);
  }
}

static void
test_bad_bundles (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);

  users (store);
  publish (store, "alice", 11, 1, 2);
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("alice", 11, 0x77, 3, 4);

    /* Another identity key for a published device. */
    run_fails (store, op, CZ_ERROR_BAD_BUNDLE);
  }
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("alice", 12, 12, 1, 1);

    g_bytes_unref (op->keys->identity);
    op->keys->identity = key (1, 32);
    run_fails (store, op, CZ_ERROR_BAD_BUNDLE);
  }
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("alice", 12, 12, 1, 1);

    g_bytes_unref (op->keys->signature);
    op->keys->signature = key (1, 63);
    run_fails (store, op, CZ_ERROR_BAD_BUNDLE);
  }
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("alice", 0, 12, 1, 1);

    run_fails (store, op, CZ_ERROR_BAD_BUNDLE);
  }
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("alice", 0x80000000u, 12, 1, 1);

    run_fails (store, op, CZ_ERROR_BAD_BUNDLE);
  }
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("alice", 12, 12, 1, CZ_E2E_MAX_PREKEYS + 1);

    run_fails (store, op, CZ_ERROR_BAD_BUNDLE);
  }
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("alice", 12, 12, 1, 3);

    g_bytes_unref (g_ptr_array_index (op->prekeys, 1));
    g_ptr_array_index (op->prekeys, 1) = key (1, 34);
    run_fails (store, op, CZ_ERROR_BAD_BUNDLE);
  }
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("alice", 12, 12, 1, 3);

    g_array_index (op->prekey_ids, guint32, 2) = 0;
    run_fails (store, op, CZ_ERROR_BAD_BUNDLE);
  }
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("nobody", 12, 12, 1, 1);

    run_fails (store, op, CZ_ERROR_NO_SUCH_USER);
  }
  /* Nothing of the refused ones was written. */
  ASSERT_FETCH (store, "bob", 21, "alice", "11:1");

  /* At most CZ_E2E_MAX_DEVICES devices a user. */
  for (guint32 d = 100; d < 100 + CZ_E2E_MAX_DEVICES; d++)
    publish (store, "carol", d, 0, 0);
  {
    g_autoptr(CzStorePublishKeys) op = publish_op ("carol", 999, 99, 1, 1);

    run_fails (store, op, CZ_ERROR_INVALID);
  }
  /* A published one can still republish. */
  publish (store, "carol", 100, 1, 1);
}

static GPtrArray *
copies (const char *first_user, ...)
{
  GPtrArray *arr = g_ptr_array_new_with_free_func ((GDestroyNotify) cz_emsg_copy_free);
  va_list ap;

  va_start (ap, first_user);
  for (const char *user = first_user; user != NULL; user = va_arg (ap, const char *))
    {
      guint32 device = va_arg (ap, guint32);
      const char *text = va_arg (ap, const char *);
      g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));

      g_ptr_array_add (arr, cz_emsg_copy_new (user, device, device % 2 == 1, data));
    }
  va_end (ap);
  return arr;
}

/* "id:from/device>to:prekey:data ..." waiting for @user's @device. */
static char *
waiting (CzStore *store, const char *user, guint32 device)
{
  g_autoptr(CzStoreDevicePending) op = cz_store_device_pending_new (user, device, 0, 0);
  GString *out = g_string_new (NULL);

  run_ok (store, op);
  for (guint i = 0; i < op->messages->len; i++)
    {
      CzEmsgRecord *r = g_ptr_array_index (op->messages, i);

      g_string_append_printf (out, "%s%" G_GINT64_FORMAT ":%s/%u>%s:%d:%.*s", i ? " " : "",
                              r->id, r->from, r->from_device, r->to, r->prekey,
                              (int) g_bytes_get_size (r->data),
                              (const char *) g_bytes_get_data (r->data, NULL));
    }
  return g_string_free (out, FALSE);
}

#define ASSERT_WAITING(store, user, dev, expect)                 \
  do {                                                           \
    g_autofree char *got_ = waiting ((store), (user), (dev));    \
    g_assert_cmpstr (got_, ==, (expect));                        \
  } while (0)

static void
test_emsg (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  gint64 id;

  users (store);
  publish (store, "alice", 11, 0, 0);
  publish (store, "alice", 12, 0, 0);
  publish (store, "bob", 21, 0, 0);
  publish (store, "bob", 22, 0, 0);
  {
    g_autoptr(CzStoreSaveEmsg) op =
      cz_store_save_emsg_new ("alice", 11, "bob", "tx1", 0,
                              copies ("bob", 21u, "C21", "bob", 22u, "C22",
                                      "alice", 12u, "C12", NULL));

    run_ok (store, op);
    g_assert_false (op->duplicate);
    g_assert_cmpuint (op->size, ==, 9);
    id = op->id;
  }
  {
    g_autofree char *e21 = g_strdup_printf ("%" G_GINT64_FORMAT ":alice/11>bob:1:C21", id);
    g_autofree char *e22 = g_strdup_printf ("%" G_GINT64_FORMAT ":alice/11>bob:0:C22", id);
    g_autofree char *e12 = g_strdup_printf ("%" G_GINT64_FORMAT ":alice/11>bob:0:C12", id);

    ASSERT_WAITING (store, "bob", 21, e21);
    ASSERT_WAITING (store, "bob", 22, e22);
    ASSERT_WAITING (store, "alice", 12, e12);
    ASSERT_WAITING (store, "alice", 11, "");

    /* A resend with the same txn is the same message, stored once. */
    {
      g_autoptr(CzStoreSaveEmsg) op =
        cz_store_save_emsg_new ("alice", 11, "bob", "tx1", 0,
                                copies ("bob", 21u, "C21", NULL));

      run_ok (store, op);
      g_assert_true (op->duplicate);
      g_assert_cmpint (op->id, ==, id);
      ASSERT_WAITING (store, "bob", 21, e21);
    }

    /* The server has nothing it can read for history or the plain queue. */
    {
      g_autoptr(CzStoreHistory) h = history (store, "alice", "bob", 0, 50);
      g_autoptr(CzStorePending) p = cz_store_pending_new ("bob", 0, 0);
      g_autoptr(CzStoreCountPending) c = cz_store_count_pending_new ("bob");

      g_assert_cmpuint (h->messages->len, ==, 0);
      run_ok (store, p);
      g_assert_cmpuint (p->messages->len, ==, 0);
      run_ok (store, c);
      g_assert_cmpuint (c->count, ==, 0);
    }

    /* bob's device 21 has it: gone for 21, still there for 22. */
    {
      GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(CzStoreDeviceReceived) op = NULL;

      g_array_append_val (ids, id);
      op = cz_store_device_received_new ("bob", 21, ids);
      run_ok (store, op);
      g_assert_cmpuint (op->removed, ==, 1);
    }
    ASSERT_WAITING (store, "bob", 21, "");
    ASSERT_WAITING (store, "bob", 22, e22);

    /* Receipts work on encrypted messages as on the others. */
    {
      GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(CzStoreMark) op = NULL;

      g_array_append_val (ids, id);
      op = cz_store_mark_delivered_new ("bob", ids);
      run_ok (store, op);
      g_assert_cmpuint (op->changed->len, ==, 1);
      g_assert_cmpstr (((CzMessageRecord *) g_ptr_array_index (op->changed, 0))->from, ==, "alice");
    }
  }

  /* Later messages come after, paged by id. */
  {
    g_autoptr(CzStoreSaveEmsg) op =
      cz_store_save_emsg_new ("bob", 22, "alice", NULL, 0,
                              copies ("alice", 11u, "B11", "alice", 12u, "B12",
                                      "bob", 21u, "B21", NULL));
    g_autoptr(CzStoreDevicePending) page = NULL;

    run_ok (store, op);
    g_assert_cmpint (op->id, >, id);
    page = cz_store_device_pending_new ("alice", 12, id, 10);
    run_ok (store, page);
    g_assert_cmpuint (page->messages->len, ==, 1);
    g_assert_cmpstr (((CzEmsgRecord *) g_ptr_array_index (page->messages, 0))->from, ==, "bob");
    g_assert_cmpstr (((CzEmsgRecord *) g_ptr_array_index (page->messages, 0))->to, ==, "alice");
  }
}

static void
test_emsg_hostile (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autofree char *before = NULL;

  users (store);
  publish (store, "alice", 11, 0, 0);
  publish (store, "bob", 21, 0, 0);
  before = waiting (store, "bob", 21);

#define REFUSED(code, ...)                                                       \
  do {                                                                           \
    g_autoptr(CzStoreSaveEmsg) op_ = cz_store_save_emsg_new (__VA_ARGS__);      \
    run_fails (store, op_, (code));                                              \
  } while (0)

  /* A device that is not published (recipient's, or the sender's own). */
  REFUSED (CZ_ERROR_UNKNOWN_DEVICE, "alice", 11, "bob", NULL, 0,
           copies ("bob", 21u, "ok", "bob", 29u, "x", NULL));
  REFUSED (CZ_ERROR_UNKNOWN_DEVICE, "alice", 13, "bob", NULL, 0, copies ("bob", 21u, "x", NULL));
  REFUSED (CZ_ERROR_UNKNOWN_DEVICE, "alice", 0, "bob", NULL, 0, copies ("bob", 21u, "x", NULL));
  /* Someone outside the conversation, the sending device itself, twice
   * the same device, nothing at all. */
  REFUSED (CZ_ERROR_INVALID, "alice", 11, "bob", NULL, 0,
           copies ("bob", 21u, "x", "carol", 31u, "x", NULL));
  REFUSED (CZ_ERROR_INVALID, "alice", 11, "bob", NULL, 0,
           copies ("bob", 21u, "x", "alice", 11u, "x", NULL));
  REFUSED (CZ_ERROR_INVALID, "alice", 11, "bob", NULL, 0,
           copies ("bob", 21u, "x", "bob", 21u, "y", NULL));
  REFUSED (CZ_ERROR_INVALID, "alice", 11, "bob", NULL, 0, copies (NULL));
  /* Empty or oversized ciphertexts. */
  REFUSED (CZ_ERROR_TOO_LARGE, "alice", 11, "bob", NULL, 0, copies ("bob", 21u, "", NULL));
  {
    g_autofree char *big = g_strnfill (CZ_E2E_CIPHERTEXT_MAX + 1, 'x');

    REFUSED (CZ_ERROR_TOO_LARGE, "alice", 11, "bob", NULL, 0, copies ("bob", 21u, big, NULL));
  }
  /* Unknown users. */
  REFUSED (CZ_ERROR_NO_SUCH_USER, "alice", 11, "nobody", NULL, 0,
           copies ("nobody", 1u, "x", NULL));
#undef REFUSED

  /* Nothing was written by any of them. */
  {
    g_autofree char *after = waiting (store, "bob", 21);

    g_assert_cmpstr (after, ==, before);
    g_assert_cmpstr (after, ==, "");
  }
}

/* A v4 database (schema as v4 left it), one plain direct message. */
#define V4_SCHEMA \
  "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, salt BLOB," \
  "  iterations INTEGER, stored_key BLOB, server_key BLOB, created INTEGER);" \
  "CREATE TABLE messages (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL," \
  "  sender INTEGER NOT NULL REFERENCES users(id), recipient INTEGER REFERENCES users(id)," \
  "  text TEXT NOT NULL, delivered_ts INTEGER, read_ts INTEGER, txn TEXT);" \
  "CREATE INDEX messages_pending ON messages (recipient, id)" \
  "  WHERE delivered_ts IS NULL AND recipient IS NOT NULL;" \
  "CREATE INDEX messages_direct ON messages (sender, recipient, id)" \
  "  WHERE recipient IS NOT NULL;" \
  "CREATE INDEX messages_lobby ON messages (id) WHERE recipient IS NULL;" \
  "CREATE UNIQUE INDEX messages_txn ON messages (sender, txn) WHERE txn IS NOT NULL;" \
  "CREATE TABLE login_secret (id INTEGER PRIMARY KEY CHECK (id = 1)," \
  "  secret BLOB NOT NULL CHECK (length (secret) = 32));" \
  "INSERT INTO users VALUES" \
  " (1, 'alice', x'0102', 4096, zeroblob (32), zeroblob (32), 1)," \
  " (2, 'bob', x'0304', 4096, zeroblob (32), zeroblob (32), 2);" \
  "INSERT INTO messages VALUES (7, 1000, 1, 2, 'plain before v5', NULL, NULL, 't1');" \
  "PRAGMA user_version = 4;" \
  "PRAGMA application_id = 1132094562;"

static void
test_migrate_v4 (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);
  sqlite3 *db = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, V4_SCHEMA, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = open_ok (f->path);
  /* The plain message is still there, in history and pending. */
  {
    g_autoptr(CzStoreHistory) h = history (store, "bob", "alice", 0, 50);
    g_autoptr(CzStorePending) p = cz_store_pending_new ("bob", 0, 0);

    g_assert_cmpuint (h->messages->len, ==, 1);
    g_assert_cmpstr (REC (h, 0)->text, ==, "plain before v5");
    run_ok (store, p);
    g_assert_cmpuint (p->messages->len, ==, 1);
    g_assert_cmpint (REC (p, 0)->id, ==, 7);
  }
  /* The new tables work, ids go on after the old ones. */
  publish (store, "alice", 11, 1, 2);
  publish (store, "bob", 21, 1, 2);
  ASSERT_FETCH (store, "alice", 11, "bob", "21:1");
  {
    g_autoptr(CzStoreSaveEmsg) op =
      cz_store_save_emsg_new ("alice", 11, "bob", NULL, 0, copies ("bob", 21u, "C", NULL));

    run_ok (store, op);
    g_assert_cmpint (op->id, ==, 8);
  }
  g_clear_object (&store);

  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 5);
    sqlite3_finalize (stmt);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA foreign_key_check", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
    sqlite3_finalize (stmt);
  }
  sqlite3_close (db);
}

/* The PostgreSQL backend has no end-to-end tables yet: each such
 * operation is refused with `store`, and the store goes on working. */
static void
test_pg_not_yet (Fixture *f, gconstpointer data)
{
  g_autoptr(CzStore) store = open_ok (f->path);
  g_autoptr(CzStorePublishKeys) pub = publish_op ("alice", 11, 11, 1, 3);
  g_autoptr(CzStoreFetchKeys) fetch_op = cz_store_fetch_keys_new ("bob", 21, "alice");

  users (store);
  run_fails (store, pub, CZ_ERROR_STORE);
  run_fails (store, fetch_op, CZ_ERROR_STORE);
  g_assert_cmpint (save (store, "alice", "bob", "still here"), >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, func) \
  g_test_add ("/store-e2e/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("publish-and-fetch", test_publish_and_fetch);
  ADD ("bad-bundles", test_bad_bundles);
  ADD ("emsg", test_emsg);
  ADD ("emsg-hostile", test_emsg_hostile);
  ADD ("migrate-v4", test_migrate_v4);
#undef ADD
  store_add_pg ("e2e-not-yet", test_pg_not_yet);
  return store_test_run ();
}
