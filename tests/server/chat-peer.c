/* chat-peer.c: the real server and several real CLI clients (JSON mode)
 * for the accounts and chat tests: events taken in order, each wait
 * bounded. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "chat-peer.h"

static void
peer_free (Peer *p)
{
  cz_test_client_free (p->c);
  g_hash_table_unref (p->taken);
  g_free (p);
}

void
chat_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_free);
  if (cz_test_server_bin () == NULL || cz_test_client_bin () == NULL)
    return;
  f->dir = cz_test_make_pki ();
  f->server = cz_test_server_start (f->dir, data, &error);
  g_assert_no_error (error);
}

void
chat_teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->peers, g_ptr_array_unref);
  if (f->server)
    g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, cz_test_server_free);
  cz_test_rmdir (f->dir);
  g_free (f->dir);
}

gboolean
chat_need_programs (Fixture *f)
{
  if (f->server == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN / CZ_CLIENT_BIN not set");
      return FALSE;
    }
  return TRUE;
}

/* ---- Events ---------------------------------------------------------------- */

const char *
ev_str (JsonObject *o, const char *key)
{
  return json_object_get_string_member_with_default (o, key, NULL);
}

gint64
ev_int (JsonObject *o, const char *key)
{
  return json_object_get_int_member_with_default (o, key, G_MININT64);
}

gboolean
ev_bool (JsonObject *o, const char *key)
{
  g_assert_true (json_object_has_member (o, key));
  return json_object_get_boolean_member (o, key);
}

/* @key NULL: any; @str non-NULL: a string member; else the integer @num. */
static gboolean
matches (JsonObject *o, const char *event, const char *key, const char *str, gint64 num)
{
  if (g_strcmp0 (ev_str (o, "event"), event) != 0)
    return FALSE;
  if (key == NULL)
    return TRUE;
  if (!json_object_has_member (o, key) || !JSON_NODE_HOLDS_VALUE (json_object_get_member (o, key)))
    return FALSE;
  if (str != NULL)
    return g_strcmp0 (ev_str (o, key), str) == 0;
  return json_node_get_value_type (json_object_get_member (o, key)) == G_TYPE_INT64
         && ev_int (o, key) == num;
}

JsonObject *
peer_take_full (Peer *p, const char *event, const char *key, const char *str, gint64 num,
                guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 left;

      for (guint i = 0; i < p->c->seen->len; i++)
        {
          JsonObject *o = p->c->seen->pdata[i];

          if (!g_hash_table_contains (p->taken, o) && matches (o, event, key, str, num))
            {
              g_hash_table_add (p->taken, o);
              return o;
            }
        }
      left = (end - g_get_monotonic_time ()) / 1000;
      if (left <= 0 || cz_test_client_expect (p->c, event, (guint) left) == NULL)
        {
          g_autofree char *num_text = g_strdup_printf ("%" G_GINT64_FORMAT, num);

          g_test_message ("no “%s” event%s%s%s%s within %u ms", event, key ? " with " : "",
                          key ? key : "", key ? "=" : "", key ? (str ? str : num_text) : "",
                          timeout_ms);
          return NULL;
        }
    }
}

JsonObject *
peer_take (Peer *p, const char *event)
{
  JsonObject *o = peer_take_full (p, event, NULL, NULL, 0, CHAT_WAIT_MS);
  g_assert_nonnull (o);
  return o;
}

JsonObject *
peer_take_s (Peer *p, const char *event, const char *key, const char *value)
{
  JsonObject *o = peer_take_full (p, event, key, value, 0, CHAT_WAIT_MS);
  g_assert_nonnull (o);
  return o;
}

JsonObject *
peer_take_i (Peer *p, const char *event, const char *key, gint64 value)
{
  JsonObject *o = peer_take_full (p, event, key, NULL, value, CHAT_WAIT_MS);
  g_assert_nonnull (o);
  return o;
}

guint
peer_count (Peer *p, const char *event, const char *key, const char *str)
{
  guint n = 0;

  for (guint i = 0; i < p->c->seen->len; i++)
    if (!g_hash_table_contains (p->taken, p->c->seen->pdata[i])
        && matches (p->c->seen->pdata[i], event, key, str, 0))
      n++;
  return n;
}

void
peer_say (Peer *p, const char *format, ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  cz_test_client_send (p->c, line);
}

/* `who` is answered at once, after whatever was already queued for @p. */
JsonObject *
peer_barrier (Peer *p)
{
  peer_say (p, "/who");
  return peer_take (p, "who");
}

Peer *
peer_connect (Fixture *f, const char *const *extra)
{
  g_autoptr(GError) error = NULL;
  Peer *p = g_new0 (Peer, 1);

  p->taken = g_hash_table_new (NULL, NULL);
  p->c = cz_test_client_start (f->dir, f->server->port, extra, &error);
  g_assert_no_error (error);
  g_ptr_array_add (f->peers, p);
  peer_take (p, "connected");
  return p;
}

Peer *
peer_login (Fixture *f, const char *user, const char *password)
{
  Peer *p = peer_connect (f, NULL);

  peer_say (p, "/login %s %s", user, password);
  peer_take_s (p, "logged-in", "user", user);
  return p;
}

Peer *
peer_join (Fixture *f, const char *user, const char *password)
{
  Peer *p = peer_connect (f, NULL);

  peer_say (p, "/register %s %s", user, password);
  peer_take_s (p, "registered", "user", user);
  peer_say (p, "/login %s %s", user, password);
  peer_take_s (p, "logged-in", "user", user);
  return p;
}

void
peer_quit (Peer *p)
{
  g_assert_cmpint (cz_test_client_finish (p->c), ==, 0);
}

void
chat_restart_server (Fixture *f, gboolean crash)
{
  g_autoptr(GError) error = NULL;

  if (crash)
    cz_test_server_kill (f->server);
  else
    g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
  g_clear_pointer (&f->server, cz_test_server_free);
  f->server = cz_test_server_start (f->dir, NULL, &error);
  g_assert_no_error (error);
}

/* None of @secrets occurs in the bytes of @path (if it exists). */
static void
assert_file_lacks (const char *path, const char *const *secrets)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return;
  for (guint i = 0; secrets[i]; i++)
    if (memmem (data, len, secrets[i], strlen (secrets[i])) != NULL)
      g_error ("the password “%s” appears in %s", secrets[i], path);
}

void
chat_assert_db_lacks (Fixture *f, const char *const *secrets)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
  g_autofree char *db = g_build_filename (f->dir, "server.db", NULL);
  g_autofree char *log = g_build_filename (f->dir, "server.log", NULL);

  g_assert_true (g_file_test (db, G_FILE_TEST_EXISTS));
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (db, suffixes[i], NULL);
      assert_file_lacks (path, secrets);
    }
  assert_file_lacks (log, secrets);
}

void
chat_assert_users (JsonObject *who, const char *const *users)
{
  JsonArray *list = json_object_get_array_member (who, "users");

  g_assert_nonnull (list);
  g_assert_cmpuint (json_array_get_length (list), ==, g_strv_length ((char **) users));
  for (guint i = 0; users[i]; i++)
    g_assert_cmpstr (json_array_get_string_element (list, i), ==, users[i]);
}

void
chat_assert_message (JsonObject *m, gint64 id, const char *from, const char *to,
                     const char *text, gboolean offline)
{
  g_assert_cmpint (ev_int (m, "id"), ==, id);
  g_assert_cmpstr (ev_str (m, "from"), ==, from);
  g_assert_cmpstr (ev_str (m, "to"), ==, to);
  g_assert_cmpstr (ev_str (m, "room"), ==, to ? NULL : "lobby");
  g_assert_cmpstr (ev_str (m, "text"), ==, text);
  g_assert_cmpint (ev_bool (m, "offline"), ==, offline);
}

JsonArray *
peer_history (Peer *p, const char *with, guint limit)
{
  if (limit > 0)
    peer_say (p, "/history %s %u", with, limit);
  else
    peer_say (p, "/history %s", with);
  return json_object_get_array_member (peer_take (p, "history"), "messages");
}

gint64
peer_ack_id (Peer *p)
{
  JsonObject *ack = peer_take (p, "ack");

  g_assert_cmpint (ev_int (ack, "ref"), >, 0);
  g_assert_cmpint (ev_int (ack, "id"), >, 0);
  return ev_int (ack, "id");
}

