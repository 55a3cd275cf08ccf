/* test-chat.c: chat end to end (DESIGN §2.6–§2.8, §2.1 "Chat", §3, §4):
 * the real causerie-server --headless and two or three real
 * causerie-client --cli --json over loopback: the lobby, direct messages,
 * receipts, presence and who, history, offline delivery across a restart
 * and a crash, the text limit, and no password in the database. */
#include "config.h"

#include <string.h>

#include "chat-peer.h"

/* ---- Lobby and direct messages ------------------------------------------------ */

/* A lobby line reaches the two others (not its sender, who gets an ack
 * with the same id and time, nor a connection not logged in). */
static void
test_lobby (Fixture *f, gconstpointer data)
{
  Peer *alice, *bob, *carol, *lurker, *all[3];
  JsonObject *ack;
  gint64 id, ts, now_ms = g_get_real_time () / 1000;

  if (!chat_need_programs (f))
    return;
  all[0] = alice = peer_join (f, "alice", "Pw.alice-1111");
  all[1] = bob = peer_join (f, "bob", "Pw.bob-2222");
  all[2] = carol = peer_join (f, "carol", "Pw.carol-3333");
  lurker = peer_connect (f, NULL);   /* connected, not logged in */

  for (guint s = 0; s < 2; s++)
    {
      Peer *sender = all[s];
      const char *name = s == 0 ? "alice" : "bob";
      g_autofree char *text = g_strdup_printf ("hello lobby from %s", name);

      peer_say (sender, "/say %s", text);
      ack = peer_take (sender, "ack");
      id = ev_int (ack, "id");
      ts = ev_int (ack, "ts");
      g_assert_cmpint (ev_int (ack, "ref"), >, 0);
      g_assert_cmpint (id, >, 0);
      g_assert_cmpint (ts, >=, now_ms - 60000);
      g_assert_cmpint (ts, <=, now_ms + 60000);
      for (guint r = 0; r < 3; r++)
        {
          JsonObject *m;

          if (r == s)
            continue;
          m = peer_take_s (all[r], "message", "text", text);
          chat_assert_message (m, id, name, NULL, text, FALSE);
          g_assert_cmpint (ev_int (m, "ts"), ==, ts);
        }
      peer_barrier (sender);
      g_assert_cmpuint (peer_count (sender, "message", NULL, NULL), ==, 0);
    }
  /* Answered at once, so after any lobby line sent to it. */
  peer_say (lurker, "/who");
  g_assert_cmpstr (ev_str (peer_take (lurker, "error"), "code"), ==, "not-authenticated");
  g_assert_cmpuint (cz_test_client_count (lurker->c, "message"), ==, 0);
}

/* /msg reaches its one recipient; the sender gets the delivery receipt at
 * once and the read receipt after /read; nobody else can mark it. */
static void
test_direct (Fixture *f, gconstpointer data)
{
  Peer *alice, *bob, *carol;
  JsonObject *ev;
  gint64 id;

  if (!chat_need_programs (f))
    return;
  alice = peer_join (f, "alice", "Pw.alice-1111");
  bob = peer_join (f, "bob", "Pw.bob-2222");
  carol = peer_join (f, "carol", "Pw.carol-3333");

  peer_say (alice, "/msg bob psst, bob");
  id = peer_ack_id (alice);
  chat_assert_message (peer_take (bob, "message"), id, "alice", "bob", "psst, bob", FALSE);
  ev = peer_take_i (alice, "receipt", "id", id);
  g_assert_cmpstr (ev_str (ev, "by"), ==, "bob");
  g_assert_cmpstr (ev_str (ev, "state"), ==, "delivered");

  /* Carol saw nothing: a lobby line said afterwards is the next thing she gets. */
  peer_say (alice, "/say after the whisper");
  peer_ack_id (alice);
  peer_take_s (carol, "message", "text", "after the whisper");
  g_assert_cmpuint (peer_count (carol, "message", NULL, NULL), ==, 0);
  peer_take_s (bob, "message", "text", "after the whisper");

  /* Carol cannot mark bob's message: no receipt comes before her next
   * message (store operations finish in order). */
  peer_say (carol, "/read %" G_GINT64_FORMAT, id);
  peer_say (carol, "/msg alice sync from carol");
  peer_take_s (alice, "message", "text", "sync from carol");
  g_assert_cmpuint (peer_count (alice, "receipt", NULL, NULL), ==, 0);

  peer_say (bob, "/read %" G_GINT64_FORMAT, id);
  ev = peer_take_s (alice, "receipt", "state", "read");
  g_assert_cmpint (ev_int (ev, "id"), ==, id);
  g_assert_cmpstr (ev_str (ev, "by"), ==, "bob");
  /* Reading it again changes nothing. */
  peer_say (bob, "/read %" G_GINT64_FORMAT, id);
  peer_say (bob, "/msg alice sync from bob");
  peer_take_s (alice, "message", "text", "sync from bob");
  g_assert_cmpuint (peer_count (alice, "receipt", NULL, NULL), ==, 0);

  peer_say (alice, "/msg nobody are you there?");
  ev = peer_take (alice, "error");
  g_assert_cmpstr (ev_str (ev, "code"), ==, "no-such-user");
  g_assert_cmpint (ev_int (ev, "ref"), >, 0);
}

/* ---- Presence and who -------------------------------------------------------- */

static void
test_presence (Fixture *f, gconstpointer data)
{
  static const char *const alice_bob[] = { "alice", "bob", NULL };
  static const char *const just_alice[] = { "alice", NULL };
  Peer *alice, *bob, *bob2;
  JsonObject *ev;

  if (!chat_need_programs (f))
    return;
  alice = peer_join (f, "alice", "Pw.alice-1111");
  bob = peer_join (f, "bob", "Pw.bob-2222");
  ev = peer_take_s (alice, "presence", "user", "bob");
  g_assert_true (ev_bool (ev, "online"));
  peer_connect (f, NULL);   /* connected, not logged in: not listed */
  chat_assert_users (peer_barrier (alice), alice_bob);
  chat_assert_users (peer_barrier (bob), alice_bob);

  /* A second session of bob: no new presence, bob listed once. */
  bob2 = peer_login (f, "bob", "Pw.bob-2222");
  chat_assert_users (peer_barrier (alice), alice_bob);
  g_assert_cmpuint (peer_count (alice, "presence", NULL, NULL), ==, 0);

  /* Bob is offline when his last session ends, and only then. */
  peer_quit (bob2);
  chat_assert_users (peer_barrier (alice), alice_bob);
  g_assert_cmpuint (peer_count (alice, "presence", NULL, NULL), ==, 0);
  peer_quit (bob);
  ev = peer_take_s (alice, "presence", "user", "bob");
  g_assert_false (ev_bool (ev, "online"));
  chat_assert_users (peer_barrier (alice), just_alice);
  g_assert_cmpuint (peer_count (alice, "presence", NULL, NULL), ==, 0);
}

/* ---- History ---------------------------------------------------------------- */

static JsonObject *
entry (JsonArray *messages, guint i)
{
  return json_array_get_object_element (messages, i);
}

static void
assert_state (JsonObject *m, gboolean delivered, gboolean read)
{
  g_assert_cmpint (ev_bool (m, "delivered"), ==, delivered);
  g_assert_cmpint (ev_bool (m, "read"), ==, read);
}

static void
test_history (Fixture *f, gconstpointer data)
{
  Peer *alice, *bob;
  JsonArray *h;
  gint64 lobby[3], d1, d2, d3, d4;

  if (!chat_need_programs (f))
    return;
  peer_quit (peer_join (f, "carol", "Pw.carol-3333"));
  alice = peer_join (f, "alice", "Pw.alice-1111");
  bob = peer_join (f, "bob", "Pw.bob-2222");

  for (guint i = 0; i < 3; i++)
    {
      peer_say (alice, "/say lobby line %u", i + 1);
      lobby[i] = peer_ack_id (alice);
    }
  h = peer_history (alice, "#lobby", 2);
  g_assert_cmpuint (json_array_get_length (h), ==, 2);
  chat_assert_message (entry (h, 0), lobby[1], "alice", NULL, "lobby line 2", FALSE);
  chat_assert_message (entry (h, 1), lobby[2], "alice", NULL, "lobby line 3", FALSE);
  h = peer_history (bob, "#lobby", 0);
  g_assert_cmpuint (json_array_get_length (h), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (ev_int (entry (h, i), "id"), ==, lobby[i]);

  /* d1 read, d2 delivered, d3 the other way, d4 to carol who is away. */
  peer_say (alice, "/msg bob d1");
  d1 = peer_ack_id (alice);
  peer_take_i (alice, "receipt", "id", d1);
  peer_say (bob, "/read %" G_GINT64_FORMAT, d1);
  peer_take_s (alice, "receipt", "state", "read");
  peer_say (alice, "/msg bob d2");
  d2 = peer_ack_id (alice);
  peer_take_i (alice, "receipt", "id", d2);
  peer_say (bob, "/msg alice d3");
  d3 = peer_ack_id (bob);
  peer_take_i (bob, "receipt", "id", d3);
  peer_say (alice, "/msg carol d4");
  d4 = peer_ack_id (alice);

  h = peer_history (alice, "bob", 0);
  g_assert_cmpuint (json_array_get_length (h), ==, 3);
  chat_assert_message (entry (h, 0), d1, "alice", "bob", "d1", FALSE);
  assert_state (entry (h, 0), TRUE, TRUE);
  chat_assert_message (entry (h, 1), d2, "alice", "bob", "d2", FALSE);
  assert_state (entry (h, 1), TRUE, FALSE);
  chat_assert_message (entry (h, 2), d3, "bob", "alice", "d3", FALSE);
  assert_state (entry (h, 2), TRUE, FALSE);
  h = peer_history (bob, "alice", 2);
  g_assert_cmpuint (json_array_get_length (h), ==, 2);
  g_assert_cmpint (ev_int (entry (h, 0), "id"), ==, d2);
  g_assert_cmpint (ev_int (entry (h, 1), "id"), ==, d3);
  h = peer_history (alice, "carol", 0);
  g_assert_cmpuint (json_array_get_length (h), ==, 1);
  chat_assert_message (entry (h, 0), d4, "alice", "carol", "d4", FALSE);
  assert_state (entry (h, 0), FALSE, FALSE);
  /* Bob does not see what alice told carol. */
  g_assert_cmpuint (json_array_get_length (peer_history (bob, "carol", 0)), ==, 0);

  peer_say (alice, "/history nobody");
  g_assert_cmpstr (ev_str (peer_take (alice, "error"), "code"), ==, "no-such-user");
}

/* ---- Offline delivery ----------------------------------------------------------- */

/* Carol is away; alice writes to her; the server stops (SIGTERM) and starts
 * again on the same database: carol gets the message at login, once. */
static void
test_offline_restart (Fixture *f, gconstpointer data)
{
  static const char *const secrets[] = { "Pw.alice-7e57a1", "Pw.carol-c4r01", NULL };
  Peer *alice, *carol;
  JsonObject *ack, *m, *ev;
  gint64 id;
  JsonArray *h;

  if (!chat_need_programs (f))
    return;
  peer_quit (peer_join (f, "carol", secrets[1]));
  alice = peer_join (f, "alice", secrets[0]);
  peer_say (alice, "/msg carol while you were away");
  ack = peer_take (alice, "ack");
  id = ev_int (ack, "id");
  chat_assert_db_lacks (f, secrets);

  chat_restart_server (f, FALSE);
  chat_assert_db_lacks (f, secrets);
  alice = peer_login (f, "alice", secrets[0]);
  carol = peer_login (f, "carol", secrets[1]);
  m = peer_take_i (carol, "message", "id", id);
  chat_assert_message (m, id, "alice", "carol", "while you were away", TRUE);
  g_assert_cmpint (ev_int (m, "ts"), ==, ev_int (ack, "ts"));
  ev = peer_take_i (alice, "receipt", "id", id);
  g_assert_cmpstr (ev_str (ev, "by"), ==, "carol");
  g_assert_cmpstr (ev_str (ev, "state"), ==, "delivered");

  /* Delivered means delivered: the next login brings nothing. */
  peer_quit (carol);
  carol = peer_login (f, "carol", secrets[1]);
  h = peer_history (carol, "alice", 0);   /* answered after the pending look-up */
  g_assert_cmpuint (peer_count (carol, "message", NULL, NULL), ==, 0);
  g_assert_cmpuint (json_array_get_length (h), ==, 1);
  assert_state (entry (h, 0), TRUE, FALSE);
  chat_assert_db_lacks (f, secrets);
}

/* At the end of its input the client leaves only once its messages are
 * acknowledged; what was acknowledged before a kill -9 is there after the
 * restart. */
static void
test_crash (Fixture *f, gconstpointer data)
{
  Peer *alice, *carol;
  gint64 lobby_id, id;
  JsonArray *h;

  if (!chat_need_programs (f))
    return;
  peer_quit (peer_join (f, "carol", "Pw.carol-3333"));
  alice = peer_connect (f, NULL);
  peer_say (alice, "/register alice Pw.alice-1111");
  peer_say (alice, "/login alice Pw.alice-1111");
  peer_say (alice, "/say said before the crash");
  peer_say (alice, "/msg carol acknowledged, then killed");
  peer_quit (alice);
  lobby_id = peer_ack_id (alice);
  id = peer_ack_id (alice);

  chat_restart_server (f, TRUE);
  carol = peer_login (f, "carol", "Pw.carol-3333");
  chat_assert_message (peer_take_i (carol, "message", "id", id), id, "alice", "carol",
                       "acknowledged, then killed", TRUE);
  h = peer_history (carol, "#lobby", 0);
  g_assert_cmpuint (json_array_get_length (h), ==, 1);
  chat_assert_message (entry (h, 0), lobby_id, "alice", NULL, "said before the crash", FALSE);
}

/* Messages to alice committed while she logs in come exactly once: live
 * or from the offline queue, never both, never neither. */
static void
test_login_burst (Fixture *f, gconstpointer data)
{
  enum { N = 1000 };
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  gint64 acked[N];
  guint offline = 0;
  Peer *alice, *carol;

  if (!chat_need_programs (f))
    return;
  peer_quit (peer_join (f, "alice", "Pw.alice-1111"));
  carol = peer_join (f, "carol", "Pw.carol-3333");
  alice = peer_connect (f, NULL);
  /* Spread over the login: some before, some during, some after. */
  peer_say (alice, "/login alice Pw.alice-1111");
  for (guint i = 0; i < N; i++)
    {
      peer_say (carol, "/msg alice burst %u", i);
      if (i % 20 == 19)
        g_usleep (1000);
    }
  for (guint i = 0; i < N; i++)
    acked[i] = peer_ack_id (carol);
  /* Answered after her first offline page and every live delivery to
   * her; the other pages follow her client's `received`. */
  peer_history (alice, "carol", 1);
  for (guint i = 0;; i++)
    {
      JsonObject *m;
      gint64 *id;

      if (i == alice->c->seen->len)
        {
          if (g_hash_table_size (ids) >= N
              || cz_test_client_expect (alice->c, "message", 10000) == NULL)
            break;
        }
      m = alice->c->seen->pdata[i];
      if (g_strcmp0 (ev_str (m, "event"), "message") != 0)
        continue;
      id = g_new (gint64, 1);
      *id = ev_int (m, "id");
      if (!g_hash_table_add (ids, id))
        g_error ("message %" G_GINT64_FORMAT " came twice", *id);
      offline += ev_bool (m, "offline");
    }
  g_test_message ("%u of %u messages came from the offline queue", offline, N);
  g_assert_cmpuint (g_hash_table_size (ids), ==, N);
  for (guint i = 0; i < N; i++)
    g_assert_true (g_hash_table_contains (ids, &acked[i]));
}

/* ---- Limits ------------------------------------------------------------------ */

/* 4,096 characters pass (counted as characters, not bytes); 4,097 are
 * refused by the client before anything is sent. */
static void
test_text_limit (Fixture *f, gconstpointer data)
{
  Peer *alice, *bob;
  g_autofree char *a4096 = g_strnfill (4096, 'a');
  g_autofree char *a4097 = g_strnfill (4097, 'a');
  g_autoptr(GString) e4096 = g_string_new (NULL);
  g_autoptr(GString) e4097 = NULL;
  JsonObject *ev;

  if (!chat_need_programs (f))
    return;
  for (guint i = 0; i < 4096; i++)
    g_string_append (e4096, "é");
  e4097 = g_string_new (e4096->str);
  g_string_append (e4097, "é");
  alice = peer_join (f, "alice", "Pw.alice-1111");
  bob = peer_join (f, "bob", "Pw.bob-2222");

  peer_say (alice, "/say %s", a4096);
  peer_ack_id (alice);
  g_assert_cmpstr (ev_str (peer_take (bob, "message"), "text"), ==, a4096);
  peer_say (alice, "/msg bob %s", e4096->str);
  peer_ack_id (alice);
  g_assert_cmpstr (ev_str (peer_take (bob, "message"), "text"), ==, e4096->str);

  peer_say (alice, "/say %s", a4097);
  peer_say (alice, "/msg bob %s", e4097->str);
  for (guint i = 0; i < 2; i++)
    {
      ev = peer_take (alice, "error");
      g_assert_cmpstr (ev_str (ev, "code"), ==, "invalid");
      g_assert_nonnull (strstr (ev_str (ev, "message"), "4097"));
    }
  peer_say (alice, "/say end");
  peer_ack_id (alice);
  peer_take_s (bob, "message", "text", "end");
  g_assert_cmpuint (peer_count (bob, "message", NULL, NULL), ==, 0);
  g_assert_cmpuint (peer_count (alice, "ack", NULL, NULL), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/chat/lobby", Fixture, NULL, chat_setup, test_lobby, chat_teardown);
  g_test_add ("/chat/direct", Fixture, NULL, chat_setup, test_direct, chat_teardown);
  g_test_add ("/chat/presence-who", Fixture, NULL, chat_setup, test_presence, chat_teardown);
  g_test_add ("/chat/history", Fixture, NULL, chat_setup, test_history, chat_teardown);
  g_test_add ("/chat/offline-restart", Fixture, NULL, chat_setup, test_offline_restart,
              chat_teardown);
  g_test_add ("/chat/crash", Fixture, NULL, chat_setup, test_crash, chat_teardown);
  g_test_add ("/chat/login-burst", Fixture, NULL, chat_setup, test_login_burst, chat_teardown);
  g_test_add ("/chat/text-limit", Fixture, NULL, chat_setup, test_text_limit, chat_teardown);
  return g_test_run ();
}
