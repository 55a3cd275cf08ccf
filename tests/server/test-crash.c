/* test-crash.c: nothing acknowledged is lost.  The server is killed with
 * SIGKILL while a client streams direct messages, or runs out of disk
 * while it writes; after a restart, every message whose ack reached the
 * sender is delivered to its recipient (counted), and a full disk gives
 * clear `store` errors while the server stays up. */
#include "config.h"

#include <string.h>

#include "testutil.h"

#define STREAM 400

typedef struct {
  char *dir;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  if (cz_test_server_bin () && cz_test_client_bin ())
    f->dir = cz_test_make_pki ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  cz_test_server_file_limit = 0;
  cz_test_rmdir (f->dir);
  g_free (f->dir);
}

/* Registers @user and leaves, so that later messages wait for it. */
static void
register_only (const char *dir, guint16 port, const char *user)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) c = cz_test_client_start (dir, port, NULL, &error);
  g_autofree char *line = g_strdup_printf ("/register %s pw-%s", user, user);

  g_assert_no_error (error);
  cz_test_client_send (c, line);
  g_assert_nonnull (cz_test_client_expect (c, "registered", 20000));
  g_assert_cmpint (cz_test_client_finish (c), ==, 0);
}

/* Every `ack` id the client printed. */
static GHashTable *
acked_ids (CzTestClient *c)
{
  GHashTable *ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i < c->seen->len; i++)
    {
      JsonObject *ev = c->seen->pdata[i];
      if (g_str_equal (json_object_get_string_member (ev, "event"), "ack"))
        {
          gint64 *id = g_new (gint64, 1);
          *id = json_object_get_int_member (ev, "id");
          g_hash_table_add (ids, id);
        }
    }
  return ids;
}

/* Logs @user in after the restart and returns the ids of the messages
 * delivered to it while it was away.  The offline queue comes in pages
 * (the next after the client's `received`, doc/security.md §5.4), so it
 * reads until @at_least have come or 30 s pass; a history request then
 * closes the count (it is answered after what was already queued). */
static GHashTable *
delivered_ids (const char *dir, guint16 port, const char *user, guint at_least)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) c = cz_test_client_start (dir, port, NULL, &error);
  g_autofree char *login = g_strdup_printf ("/login %s pw-%s", user, user);
  GHashTable *ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  g_assert_no_error (error);
  cz_test_client_send (c, login);
  g_assert_nonnull (cz_test_client_expect (c, "logged-in", 20000));
  for (guint i = 0; i < 300 && cz_test_client_count (c, "message") < at_least; i++)
    cz_test_client_expect (c, "message", 100);
  cz_test_client_send (c, "/history #lobby 1");
  g_assert_nonnull (cz_test_client_expect (c, "history", 30000));
  for (guint i = 0; i < c->seen->len; i++)
    {
      JsonObject *ev = c->seen->pdata[i];
      if (g_str_equal (json_object_get_string_member (ev, "event"), "message"))
        {
          gint64 *id = g_new (gint64, 1);
          g_assert_true (json_object_get_boolean_member (ev, "offline"));
          *id = json_object_get_int_member (ev, "id");
          g_hash_table_add (ids, id);
        }
    }
  g_assert_cmpint (cz_test_client_finish (c), ==, 0);
  return ids;
}

static guint
count_missing (GHashTable *acked, GHashTable *delivered)
{
  GHashTableIter iter;
  gpointer id;
  guint missing = 0;

  g_hash_table_iter_init (&iter, acked);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    if (!g_hash_table_contains (delivered, id))
      missing++;
  return missing;
}

static void
test_kill9_while_streaming (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestServer) server = NULL;
  g_autoptr(CzTestClient) alice = NULL;
  g_autoptr(GHashTable) acked = NULL;
  g_autoptr(GHashTable) delivered = NULL;
  g_autoptr(GString) burst = g_string_new (NULL);
  guint acks = 0;

  if (f->dir == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN / CZ_CLIENT_BIN not set");
      return;
    }
  server = cz_test_server_start (f->dir, NULL, &error);
  g_assert_no_error (error);
  register_only (f->dir, server->port, "bob");

  alice = cz_test_client_start (f->dir, server->port, NULL, &error);
  g_assert_no_error (error);
  cz_test_client_register_login (alice, "alice", "pw-alice");
  for (guint i = 0; i < STREAM; i++)
    g_string_append_printf (burst, "/msg bob message %u of the stream\n", i);
  g_output_stream_write_all (alice->in, burst->str, burst->len, NULL, NULL, &error);
  g_assert_no_error (error);

  /* Kill once some, but not all, acks are back. */
  while (acks < 40 && cz_test_client_expect (alice, "ack", 20000))
    acks++;
  g_assert_cmpuint (acks, ==, 40);
  cz_test_server_kill (server);
  g_assert_nonnull (cz_test_client_expect (alice, "error", 10000));
  cz_test_client_finish (alice);
  acked = acked_ids (alice);
  g_test_message ("%u of %u messages acknowledged before the kill",
                  g_hash_table_size (acked), STREAM);
  g_assert_cmpuint (g_hash_table_size (acked), >=, 40);

  /* Same database, new process. */
  {
    const char *args[] = { "--db", server->db, NULL };
    g_autoptr(CzTestServer) again = cz_test_server_start (f->dir, args, &error);
    g_assert_no_error (error);
    delivered = delivered_ids (f->dir, again->port, "bob", g_hash_table_size (acked));
    g_assert_cmpint (cz_test_server_stop (again), ==, 0);
  }
  g_assert_cmpuint (count_missing (acked, delivered), ==, 0);
  g_assert_cmpuint (g_hash_table_size (delivered), >=, g_hash_table_size (acked));
}

static void
test_disk_full (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestServer) server = NULL;
  g_autoptr(CzTestClient) alice = NULL;
  g_autoptr(GHashTable) acked = NULL;
  g_autoptr(GHashTable) delivered = NULL;
  g_autoptr(GString) burst = g_string_new (NULL);
  g_autofree char *text = g_strnfill (3000, 'x');
  guint errors = 0;

  if (f->dir == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN / CZ_CLIENT_BIN not set");
      return;
    }
  /* Accounts first, with room to spare. */
  server = cz_test_server_start (f->dir, NULL, &error);
  g_assert_no_error (error);
  register_only (f->dir, server->port, "bob");
  register_only (f->dir, server->port, "alice");
  g_assert_cmpint (cz_test_server_stop (server), ==, 0);
  g_clear_pointer (&server, cz_test_server_free);

  /* Then a disk that fills up after a few hundred kilobytes. */
  cz_test_server_file_limit = 256 * 1024;
  server = cz_test_server_start (f->dir, NULL, &error);
  cz_test_server_file_limit = 0;
  g_assert_no_error (error);
  alice = cz_test_client_start (f->dir, server->port, NULL, &error);
  g_assert_no_error (error);
  cz_test_client_send (alice, "/login alice pw-alice");
  g_assert_nonnull (cz_test_client_expect (alice, "logged-in", 20000));
  for (guint i = 0; i < 200; i++)
    g_string_append_printf (burst, "/msg bob %u %s\n", i, text);
  g_output_stream_write_all (alice->in, burst->str, burst->len, NULL, NULL, &error);
  g_assert_no_error (error);

  /* Every message gets an answer: an ack, or a clear store error.  (An
   * event name nothing has makes expect() just read what arrives.) */
  {
    gint64 end = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
    while (cz_test_client_count (alice, "ack") + cz_test_client_count (alice, "error") < 200
           && g_get_monotonic_time () < end)
      cz_test_client_expect (alice, "(read on)", 1000);
  }
  g_assert_cmpuint (cz_test_client_count (alice, "ack") + cz_test_client_count (alice, "error"),
                    ==, 200);
  errors = cz_test_client_count (alice, "error");
  g_test_message ("%u acks, %u errors", cz_test_client_count (alice, "ack"), errors);
  g_assert_cmpuint (errors, >, 0);
  g_assert_cmpuint (cz_test_client_count (alice, "ack"), >, 0);
  for (guint i = 0; i < alice->seen->len; i++)
    {
      JsonObject *e = alice->seen->pdata[i];
      if (g_str_equal (json_object_get_string_member (e, "event"), "error"))
        {
          g_assert_cmpstr (json_object_get_string_member (e, "code"), ==, "store");
          g_assert_nonnull (strstr (json_object_get_string_member (e, "message"), "not saved"));
        }
    }

  /* The server is still up and answers. */
  cz_test_client_send (alice, "/who");
  g_assert_nonnull (cz_test_client_expect (alice, "who", 10000));
  g_assert_cmpint (cz_test_client_finish (alice), ==, 0);
  acked = acked_ids (alice);
  cz_test_server_kill (server);

  /* Room again: every acknowledged message is there. */
  {
    const char *args[] = { "--db", server->db, NULL };
    g_autoptr(CzTestServer) again = cz_test_server_start (f->dir, args, &error);
    g_assert_no_error (error);
    delivered = delivered_ids (f->dir, again->port, "bob", g_hash_table_size (acked));
    g_assert_cmpint (cz_test_server_stop (again), ==, 0);
  }
  g_assert_cmpuint (count_missing (acked, delivered), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/crash/kill9-while-streaming", Fixture, NULL, setup, test_kill9_while_streaming,
              teardown);
  g_test_add ("/crash/disk-full", Fixture, NULL, setup, test_disk_full, teardown);
  return g_test_run ();
}
