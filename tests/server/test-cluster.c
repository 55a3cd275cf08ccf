/* test-cluster.c: several causerie-server --headless nodes on one
 * PostgreSQL database behave as one server (DESIGN §3): what is committed
 * on one node reaches its recipients on the others (LISTEN/NOTIFY), and
 * what waits for an offline user is there on whichever node they come
 * back to.  The database is a throw-away cluster (tests/store/pg-cluster.h);
 * the test skips only when PostgreSQL is not installed. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include "chat-peer.h"
#include "pg-cluster.h"

/* CZ_STORE_PG_LAPSE_MS, without the store's header. */
#define CZ_TEST_PG_LAPSE_MS 10000

typedef struct {
  CzPgCluster *pg;
  char *uri;
  char *dir;           /* the PKI, the nodes' logs */
  Fixture node[2];     /* chat-peer fixtures sharing @dir, one server each */
} Cluster;

static void
peer_free (Peer *p)
{
  cz_test_client_free (p->c);
  g_hash_table_unref (p->taken);
  g_free (p);
}

static CzTestServer *
start_node (Cluster *c, guint i)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *node_dir = g_strdup_printf ("%s/node%u", c->dir, i);
  const char *args[] = { "--db", c->uri, NULL };
  CzTestServer *server;
  char *files[] = { "ca.pem", "ca-key.pem", "server.pem", "server-key.pem" };

  /* Each node its own folder (log), the same certificate. */
  g_mkdir_with_parents (node_dir, 0700);
  for (guint k = 0; k < G_N_ELEMENTS (files); k++)
    {
      g_autofree char *from = g_build_filename (c->dir, files[k], NULL);
      g_autofree char *to = g_build_filename (node_dir, files[k], NULL);
      g_autofree char *data = NULL;
      gsize len;

      g_assert_true (g_file_get_contents (from, &data, &len, NULL));
      g_assert_true (g_file_set_contents_full (to, data, len, G_FILE_SET_CONTENTS_NONE, 0600,
                                               NULL));
    }
  server = cz_test_server_start (node_dir, args, &error);
  g_assert_no_error (error);
  return server;
}

static gboolean
cluster_setup (Cluster *c)
{
  memset (c, 0, sizeof *c);
  if (cz_test_server_bin () == NULL || cz_test_client_bin () == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN / CZ_CLIENT_BIN not set");
      return FALSE;
    }
  if (cz_pg_bindir () == NULL)
    {
      g_test_skip ("PostgreSQL is not installed");
      return FALSE;
    }
  c->pg = cz_pg_cluster_start ();
  c->uri = cz_pg_cluster_new_db (c->pg);
  c->dir = cz_test_make_pki ();
  for (guint i = 0; i < 2; i++)
    {
      c->node[i].dir = c->dir;
      c->node[i].peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_free);
      c->node[i].server = start_node (c, i);
    }
  return TRUE;
}

static void
cluster_teardown (Cluster *c)
{
  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&c->node[i].peers, g_ptr_array_unref);
      if (c->node[i].server != NULL)
        g_assert_cmpint (cz_test_server_stop (c->node[i].server), ==, 0);
      g_clear_pointer (&c->node[i].server, cz_test_server_free);
    }
  cz_test_rmdir (c->dir);
  g_free (c->dir);
  g_free (c->uri);
  g_clear_pointer (&c->pg, cz_pg_cluster_free);
}

/* alice on node A, bob on node B: presence and who across the nodes;
 * lobby and direct messages both ways, with their receipts; then bob
 * leaves, carol (on B) writes to him, and bob comes back on node A to
 * find it waiting.  Last, node B is killed right after an ack: the
 * message reaches alice on A all the same, and B's users go offline for
 * A once B's heartbeat lapses. */
static void
test_two_nodes (void)
{
  Cluster c;
  Fixture *a = &c.node[0], *b = &c.node[1];
  Peer *alice, *bob, *carol;
  JsonObject *ev;
  gint64 id;

  if (!cluster_setup (&c))
    return;
  alice = peer_join (a, "alice", "pw-alice");
  bob = peer_join (b, "bob", "pw-bob");
  carol = peer_join (b, "carol", "pw-carol");

  /* Presence from B reaches A; who on A lists everyone. */
  g_assert_true (ev_bool (peer_take_s (alice, "presence", "user", "bob"), "online"));
  g_assert_true (ev_bool (peer_take_s (alice, "presence", "user", "carol"), "online"));
  chat_assert_users (peer_barrier (alice), (const char *const[]) { "alice", "bob", "carol", NULL });

  /* The lobby, both ways. */
  peer_say (alice, "hello from A");
  id = peer_ack_id (alice);
  chat_assert_message (peer_take_s (bob, "message", "text", "hello from A"), id, "alice", NULL,
                       "hello from A", FALSE);
  chat_assert_message (peer_take_s (carol, "message", "text", "hello from A"), id, "alice", NULL,
                       "hello from A", FALSE);
  peer_say (bob, "hello from B");
  id = peer_ack_id (bob);
  chat_assert_message (peer_take_s (alice, "message", "text", "hello from B"), id, "bob", NULL,
                       "hello from B", FALSE);

  /* Direct, A to B: delivered, then read, each receipt back on A. */
  peer_say (alice, "/msg bob psst, bob");
  id = peer_ack_id (alice);
  chat_assert_message (peer_take_s (bob, "message", "text", "psst, bob"), id, "alice", "bob",
                       "psst, bob", FALSE);
  ev = peer_take_i (alice, "receipt", "id", id);
  g_assert_cmpstr (ev_str (ev, "state"), ==, "delivered");
  g_assert_cmpstr (ev_str (ev, "by"), ==, "bob");
  peer_say (bob, "/read %" G_GINT64_FORMAT, id);
  ev = peer_take_s (alice, "receipt", "state", "read");
  g_assert_cmpint (ev_int (ev, "id"), ==, id);

  /* Direct, B to A. */
  peer_say (bob, "/msg alice got it");
  id = peer_ack_id (bob);
  chat_assert_message (peer_take_s (alice, "message", "text", "got it"), id, "bob", "alice",
                       "got it", FALSE);
  ev = peer_take_i (bob, "receipt", "id", id);
  g_assert_cmpstr (ev_str (ev, "state"), ==, "delivered");
  /* Carol saw neither direct message. */
  peer_barrier (carol);
  g_assert_cmpuint (peer_count (carol, "message", "text", "psst, bob"), ==, 0);
  g_assert_cmpuint (peer_count (carol, "message", "text", "got it"), ==, 0);

  /* bob leaves; carol writes to him on B; he comes back on A. */
  peer_quit (bob);
  g_assert_false (ev_bool (peer_take_s (alice, "presence", "user", "bob"), "online"));
  g_assert_false (ev_bool (peer_take_s (carol, "presence", "user", "bob"), "online"));
  peer_say (carol, "/msg bob while you were away");
  id = peer_ack_id (carol);
  bob = peer_login (a, "bob", "pw-bob");
  chat_assert_message (peer_take_s (bob, "message", "text", "while you were away"), id, "carol",
                       "bob", "while you were away", TRUE);
  ev = peer_take_i (carol, "receipt", "id", id);
  g_assert_cmpstr (ev_str (ev, "state"), ==, "delivered");
  /* The lobby history is one, whichever node answers. */
  g_assert_cmpuint (json_array_get_length (peer_history (bob, "#lobby", 0)), ==, 2);
  g_assert_cmpuint (json_array_get_length (peer_history (carol, "#lobby", 0)), ==, 2);
  /* Presence from A reaches B; who on B lists bob, on A. */
  g_assert_true (ev_bool (peer_take_s (carol, "presence", "user", "bob"), "online"));
  chat_assert_users (peer_barrier (carol), (const char *const[]) { "alice", "bob", "carol", NULL });

  /* Node B dies (kill -9) right after acknowledging carol's message. */
  peer_say (carol, "/msg alice last words");
  id = peer_ack_id (carol);
  cz_test_server_kill (b->server);
  g_clear_pointer (&b->server, cz_test_server_free);
  chat_assert_message (peer_take_s (alice, "message", "text", "last words"), id, "carol", "alice",
                       "last words", FALSE);
  /* Its heartbeat lapses: carol goes offline for A (bounded wait). */
  ev = peer_take_full (alice, "presence", "user", "carol", 0,
                       CHAT_WAIT_MS + 3 * CZ_TEST_PG_LAPSE_MS);
  g_assert_nonnull (ev);
  g_assert_false (ev_bool (ev, "online"));
  chat_assert_users (peer_barrier (alice), (const char *const[]) { "alice", "bob", NULL });

  /* A stops cleanly: no node nor session is left behind in the database. */
  g_clear_pointer (&a->peers, g_ptr_array_unref);
  g_assert_cmpint (cz_test_server_stop (a->server), ==, 0);
  g_clear_pointer (&a->server, cz_test_server_free);
  {
    g_autofree char *nodes = cz_pg_query (c.uri, "SELECT count (*) FROM nodes");
    g_autofree char *sessions = cz_pg_query (c.uri, "SELECT count (*) FROM sessions");

    g_assert_cmpstr (nodes, ==, "0");
    g_assert_cmpstr (sessions, ==, "0");
  }

  cluster_teardown (&c);
}

/* Waits (10 s at most) until @sql on the database answers @expected. */
static void
wait_db (Cluster *c, const char *sql, const char *expected)
{
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *value = cz_pg_query (c->uri, sql);

      if (g_strcmp0 (value, expected) == 0)
        return;
      g_usleep (10 * 1000);
    }
  g_error ("%s never answered %s", sql, expected);
}

/* Guessing a password on two nodes counts once: the failures alternate
 * between A and B, and the attempt after CZ_THROTTLE_FREE of them is
 * throttled although each node saw fewer itself.  Each failure is seen by
 * the other node before the next attempt: it is counted in the database,
 * then a lobby message committed after it crosses to the other node
 * (notices arrive in commit order). */
static void
test_throttle (void)
{
  Cluster c;
  Fixture *node[2];
  Peer *talker[2], *guesser[2], *reg;
  JsonObject *ev;

  if (!cluster_setup (&c))
    return;
  node[0] = &c.node[0];
  node[1] = &c.node[1];
  reg = peer_connect (node[0], NULL);
  peer_say (reg, "/register victim Pw.victim-2024");
  peer_take_s (reg, "registered", "user", "victim");
  peer_quit (reg);
  talker[0] = peer_join (node[0], "ann", "pw-ann");
  talker[1] = peer_join (node[1], "ben", "pw-ben");
  guesser[0] = peer_connect (node[0], NULL);
  guesser[1] = peer_connect (node[1], NULL);

  for (guint i = 0; i < 3; i++)      /* CZ_THROTTLE_FREE, a layer above */
    {
      guint n = i % 2;
      g_autofree char *count = g_strdup_printf ("%u", i + 1);
      g_autofree char *sync = g_strdup_printf ("sync %u", i);

      peer_say (guesser[n], "/login victim Pw.not-the-password");
      ev = peer_take (guesser[n], "error");
      g_assert_cmpstr (ev_str (ev, "code"), ==, "auth-failed");
      wait_db (&c, "SELECT attempts FROM login_failures WHERE key = 'pair:victim@127.0.0.1'",
               count);
      peer_say (talker[n], "%s", sync);
      peer_take_s (talker[1 - n], "message", "text", sync);
    }
  /* Node B saw one failure itself, but counts three. */
  peer_say (guesser[1], "/login victim Pw.not-the-password");
  ev = peer_take (guesser[1], "error");
  g_assert_cmpstr (ev_str (ev, "code"), ==, "throttled");
  g_assert_cmpint (ev_int (ev, "retry_after"), >=, 1);

  cluster_teardown (&c);
}

/* Events named @event in @p's output so far, and the ids they carry. */
static guint
count_events (Peer *p, const char *event, const char *code, GHashTable *ids)
{
  guint n = 0;

  for (guint i = 0; i < p->c->seen->len; i++)
    {
      JsonObject *ev = p->c->seen->pdata[i];

      if (g_strcmp0 (ev_str (ev, "event"), event) != 0 ||
          (code != NULL && g_strcmp0 (ev_str (ev, "code"), code) != 0))
        continue;
      n++;
      if (ids != NULL)
        {
          gint64 *id = g_new (gint64, 1);

          *id = ev_int (ev, "id");
          g_assert_true (g_hash_table_add (ids, id));    /* no duplicate */
        }
    }
  return n;
}

#define STREAM 300

/* PostgreSQL stops and starts again while alice streams messages to bob
 * (away): the node keeps alice's connection, answers what it cannot save
 * with `unavailable` and a retry_after, and takes messages again once the
 * database is back.  Every acknowledged message reaches bob, once. */
static void
test_pg_restart (void)
{
  Cluster c;
  Fixture *a = &c.node[0];
  g_autoptr(GHashTable) acked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GHashTable) got = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer id;
  Peer *alice, *bob;
  guint unavailable, probes;

  if (!cluster_setup (&c))
    return;
  bob = peer_join (a, "bob", "pw-bob");
  peer_quit (bob);
  alice = peer_join (a, "alice", "pw-alice");

  for (guint i = 0; i < STREAM / 3; i++)
    peer_say (alice, "/msg bob before %u", i);
  g_assert_nonnull (peer_take_full (alice, "ack", NULL, NULL, 0, CHAT_WAIT_MS));
  cz_pg_cluster_stop_server (c.pg);
  for (guint i = 0; i < STREAM / 3; i++)
    peer_say (alice, "/msg bob during %u", i);
  /* At least one refused while it was away. */
  g_assert_nonnull (peer_take_s (alice, "error", "code", "unavailable"));
  cz_pg_cluster_start_server (c.pg);
  /* Bounded: what is sent after this is answered once the store is back. */
  for (guint i = 0; i < STREAM / 3; i++)
    peer_say (alice, "/msg bob after %u", i);
  peer_say (alice, "/msg bob last");
  for (guint tries = 0; tries < 100; tries++)
    {
      if (peer_take_full (alice, "message", "text", "never", 0, 200) == NULL &&
          count_events (alice, "ack", NULL, NULL) + count_events (alice, "error", NULL, NULL)
            >= STREAM + 1)
        break;
    }
  /* The node takes messages again: one is acknowledged (bounded retries,
   * as a client told retry_after would). */
  for (probes = 0; probes < 50; probes++)
    {
      guint answered = count_events (alice, "ack", NULL, NULL) +
                       count_events (alice, "error", NULL, NULL);

      peer_say (alice, "/msg bob probe %u", probes);
      for (guint tries = 0; tries < 50 && count_events (alice, "ack", NULL, NULL) +
                                          count_events (alice, "error", NULL, NULL) == answered;
           tries++)
        peer_take_full (alice, "message", "text", "never", 0, 100);
      if (g_strcmp0 (ev_str (alice->c->seen->pdata[alice->c->seen->len - 1], "event"), "ack") == 0)
        break;
      g_usleep (200 * 1000);
    }
  g_assert_cmpuint (probes, <, 50);
  probes++;
  count_events (alice, "ack", NULL, acked);
  unavailable = count_events (alice, "error", "unavailable", NULL);
  g_test_message ("%u acknowledged, %u unavailable", g_hash_table_size (acked), unavailable);
  g_assert_cmpuint (g_hash_table_size (acked) + count_events (alice, "error", NULL, NULL), ==,
                    STREAM + 1 + probes);
  g_assert_cmpuint (unavailable, >=, 1);
  g_assert_cmpuint (g_hash_table_size (acked), >=, STREAM / 3);
  {
    JsonObject *ev = peer_take_s (alice, "error", "code", "unavailable");
    g_assert_cmpint (ev_int (ev, "retry_after"), >=, 1);
  }

  /* bob: every acknowledged message, once (pages follow his receipts). */
  bob = peer_login (a, "bob", "pw-bob");
  for (guint tries = 0; tries < 300 && count_events (bob, "message", NULL, NULL) <
                                       g_hash_table_size (acked); tries++)
    peer_take_full (bob, "message", "text", "never", 0, 100);
  count_events (bob, "message", NULL, got);
  g_assert_cmpuint (g_hash_table_size (got), ==, g_hash_table_size (acked));
  g_hash_table_iter_init (&iter, acked);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    g_assert_true (g_hash_table_contains (got, id));

  cluster_teardown (&c);
}

/* Runs causerie-server --migrate-db FROM TO; its exit status. */
static int
run_migrate (const char *from, const char *to, char **out, char **err)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { cz_test_server_bin (), "--migrate-db", from, to, NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err, &status,
                &error);
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* A server outgrows SQLite: its database moves to PostgreSQL with
 * causerie-server --migrate-db, and a node on PostgreSQL carries on: the
 * accounts log in, what waited offline is delivered.  A second migration
 * into the same database is refused. */
static void
test_migrate_cli (void)
{
  Cluster c;
  Fixture *a = &c.node[0];
  g_autofree char *db = NULL, *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  CzTestServer *single;
  Fixture solo;
  Peer *alice, *bob;
  gint64 id;

  if (!cluster_setup (&c))
    return;
  /* One server on SQLite, as before. */
  db = g_build_filename (c.dir, "server.db", NULL);
  single = cz_test_server_start (c.dir, NULL, &error);
  g_assert_no_error (error);
  solo = (Fixture) { .dir = c.dir, .server = single,
                     .peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_free) };
  bob = peer_join (&solo, "bob", "pw-bob");
  peer_quit (bob);
  alice = peer_join (&solo, "alice", "pw-alice");
  peer_say (alice, "/msg bob carried over");
  id = peer_ack_id (alice);
  g_clear_pointer (&solo.peers, g_ptr_array_unref);
  g_assert_cmpint (cz_test_server_stop (single), ==, 0);
  cz_test_server_free (single);

  g_assert_cmpint (run_migrate (db, c.uri, &out, &err), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "copied 2 users and 1 messages"));
  g_assert_null (strstr (out, c.uri));

  bob = peer_login (a, "bob", "pw-bob");
  chat_assert_message (peer_take_s (bob, "message", "text", "carried over"), id, "alice", "bob",
                       "carried over", TRUE);

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_migrate (db, c.uri, &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "not empty"));

  cluster_teardown (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cluster/two-nodes", test_two_nodes);
  g_test_add_func ("/cluster/throttle", test_throttle);
  g_test_add_func ("/cluster/migrate-cli", test_migrate_cli);
  g_test_add_func ("/cluster/pg-restart", test_pg_restart);

  return g_test_run ();
}
