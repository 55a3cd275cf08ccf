/* test-headless-log.c: the log of causerie-server --headless (issue #8):
 * message texts stay out of it unless --log-messages, lines come out in
 * the order of the events (the disconnections of a shutdown included),
 * and a standard error nobody reads does not stall the engine. */
#include "config.h"

#include <string.h>
#include <signal.h>
#include <sys/prctl.h>

#include "testutil.h"

typedef struct {
  char *dir;
  CzTestServer *server;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  if (cz_test_server_bin () == NULL || cz_test_client_bin () == NULL)
    return;
  f->dir = cz_test_make_pki ();
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->server, cz_test_server_free);
  cz_test_rmdir (f->dir);
  g_free (f->dir);
}

static gboolean
need_programs (Fixture *f)
{
  if (f->dir == NULL)
    {
      g_test_skip ("CZ_SERVER_BIN / CZ_CLIENT_BIN not set");
      return FALSE;
    }
  return TRUE;
}

static char *
read_log (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->dir, "server.log", NULL);
  g_autoptr(GError) error = NULL;
  char *log = NULL;

  g_file_get_contents (path, &log, NULL, &error);
  g_assert_no_error (error);
  return log;
}

/* Where @needle first appears in @log, after @from (asserting it does). */
static const char *
find_after (const char *log, const char *from, const char *needle)
{
  const char *at = strstr (from ? from : log, needle);

  if (at == NULL)
    g_error ("“%s” not found in the log (in order):\n%s", needle, log);
  return at;
}

static CzTestClient *
join (Fixture *f, guint16 port, const char *user)
{
  g_autoptr(GError) error = NULL;
  CzTestClient *c = cz_test_client_start (f->dir, port, NULL, &error);

  g_assert_no_error (error);
  cz_test_client_register_login (c, user, "Pw.secret-1234");
  return c;
}

static void
say (CzTestClient *c, const char *command)
{
  guint acks = cz_test_client_count (c, "ack");

  cz_test_client_send (c, command);
  while (cz_test_client_count (c, "ack") == acks)
    g_assert_nonnull (cz_test_client_expect (c, "ack", 10000));
}

/* Alice says something in the lobby and to bob, both stay connected while
 * the server stops; returns the log. */
static char *
chat_then_stop (Fixture *f, const char *const *server_args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzTestClient) alice = NULL;
  g_autoptr(CzTestClient) bob = NULL;

  f->server = cz_test_server_start (f->dir, server_args, &error);
  g_assert_no_error (error);
  alice = join (f, f->server->port, "alice");
  bob = join (f, f->server->port, "bob");
  say (alice, "/say lobby-secret-1 the plans are in the drawer");
  /* A tab: the log must not carry it raw.  (An escape sequence no
   * longer passes the text rule: tests/server/test-attacks-text.c.) */
  say (alice, "/msg bob direct-secret-2\tpassword is hidden");
  g_assert_nonnull (cz_test_client_expect_with (bob, "message", "from", "alice", 10000));
  /* Stopped with both connected: their disconnections come from the
   * engine as it shuts down, after the main loop has ended. */
  g_assert_cmpint (cz_test_server_stop (f->server), ==, 0);
  cz_test_client_finish (alice);
  cz_test_client_finish (bob);
  return read_log (f);
}

/* The sequence every log has, in order, before and after "stopping". */
static const char *
assert_session_lines (const char *log)
{
  const char *at = NULL;

  at = find_after (log, at, " connected from 127.0.0.1:");
  at = find_after (log, at, " secured: TLS1.3 ");
  at = find_after (log, at, " logged in as alice");
  at = find_after (log, at, " logged in as bob");
  return at;
}

static void
assert_shutdown_lines (const char *log, const char *from)
{
  const char *at = find_after (log, from, "\nstopping: saying goodbye to clients");

  /* Drained after the engine stopped: both disconnections are there. */
  at = find_after (log, at, " disconnected");
  at = find_after (log, at + 1, " disconnected");
  g_assert_true (g_str_has_suffix (log, "\n"));
}

static void
test_default_private (Fixture *f, gconstpointer data)
{
  g_autofree char *log = NULL;
  const char *at;

  if (!need_programs (f))
    return;
  log = chat_then_stop (f, NULL);
  g_test_message ("%s", log);
  at = assert_session_lines (log);
  g_assert_null (strstr (log, "secret-1"));
  g_assert_null (strstr (log, "secret-2"));
  g_assert_null (strstr (log, "drawer"));
  g_assert_null (strstr (log, "hidden"));
  g_assert_null (strstr (log, " message 1 from "));
  g_assert_null (strstr (log, " from alice to "));
  assert_shutdown_lines (log, at);
}

static void
test_log_messages (Fixture *f, gconstpointer data)
{
  const char *args[] = { "--log-messages", NULL };
  g_autofree char *log = NULL;
  const char *at;

  if (!need_programs (f))
    return;
  log = chat_then_stop (f, args);
  g_test_message ("%s", log);
  at = assert_session_lines (log);
  at = find_after (log, at, " message 1 from alice to #lobby: lobby-secret-1 the plans are in the drawer\n");
  at = find_after (log, at, " message 2 from alice to bob: direct-secret-2\\tpassword is hidden\n");
  g_assert_null (strchr (log, '\t'));
  assert_shutdown_lines (log, at);
}

/* ---- A standard error nobody reads ------------------------------------------------ */

#define BIG_COUNT 40
#define BIG_TEXT 4000

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
line_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  char **line = user_data;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                     NULL, NULL);
  if (*line == NULL)
    *line = g_strdup ("");
}

static void
splice_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static void
exit_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until *@flag or @timeout_ms; returns *@flag. */
static gboolean
wait_for (gboolean *flag, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, flag_cb, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *flag;
}

static char *
big_text (guint i)
{
  GString *s = g_string_new (NULL);

  g_string_printf (s, "big-%02u-", i);
  while (s->len < BIG_TEXT)
    g_string_append_c (s, (char) ('a' + (s->len + i) % 26));
  return g_string_free (s, FALSE);
}

/* With --log-messages, 40 lines of 4,000 characters overflow a 64 KiB
 * pipe: the engine must go on acknowledging while the lines wait, and
 * every line must come out, in order, once the pipe is read. */
static void
test_blocked_stderr (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GOutputStream) log_out = NULL;
  g_autoptr(CzTestClient) alice = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = NULL, *key = NULL, *db = NULL, *line = NULL, *log = NULL;
  gboolean exited = FALSE, spliced = FALSE;
  const char *at;

  if (!need_programs (f))
    return;
  cert = g_build_filename (f->dir, "server.pem", NULL);
  key = g_build_filename (f->dir, "server-key.pem", NULL);
  db = g_build_filename (f->dir, "server.db", NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", f->dir, TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, cz_test_server_bin (), "--headless",
                                      "--bind", "127.0.0.1", "--port", "0", "--cert", cert,
                                      "--key", key, "--db", db, "--scram-iterations", "4096",
                                      "--log-messages", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (proc, NULL, exit_cb, &exited);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, line_cb, &line);
  while (line == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_str_has_prefix (line, "listening on 127.0.0.1:"));

  alice = join (f, (guint16) g_ascii_strtoull (strrchr (line, ':') + 1, NULL, 10), "alice");
  for (guint i = 0; i < BIG_COUNT; i++)
    {
      g_autofree char *text = big_text (i);
      g_autofree char *command = g_strdup_printf ("/say %s", text);
      say (alice, command);
    }

  /* Now read the log, and stop. */
  log_out = g_memory_output_stream_new_resizable ();
  g_output_stream_splice_async (log_out, g_subprocess_get_stderr_pipe (proc),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
                                splice_cb, &spliced);
  g_subprocess_send_signal (proc, SIGTERM);
  g_assert_true (wait_for (&exited, 10000));
  g_assert_true (wait_for (&spliced, 10000));
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  g_assert_cmpint (cz_test_client_finish (alice), ==, 0);

  log = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (log_out)),
                   g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (log_out)));
  g_assert_cmpuint (strlen (log), >, BIG_COUNT * BIG_TEXT);
  at = find_after (log, NULL, " logged in as alice\n");
  for (guint i = 0; i < BIG_COUNT; i++)
    {
      g_autofree char *text = big_text (i);
      g_autofree char *expect = g_strdup_printf (" message %u from alice to #lobby: %s\n",
                                                 i + 1, text);
      at = find_after (log, at, expect);
    }
  at = find_after (log, at, "\nstopping: saying goodbye to clients");
  find_after (log, at, " disconnected");
  g_assert_null (strstr (log, "dropped"));
}

/* ---- --help ------------------------------------------------------------------------ */

static void
test_help (Fixture *f, gconstpointer data)
{
  const char *argv[] = { cz_test_server_bin (), "--help", NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  if (!need_programs (f))
    return;
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status,
                &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (out, "--log-messages"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/headless-log/default-private", Fixture, NULL, setup, test_default_private, teardown);
  g_test_add ("/headless-log/log-messages", Fixture, NULL, setup, test_log_messages, teardown);
  g_test_add ("/headless-log/blocked-stderr", Fixture, NULL, setup, test_blocked_stderr, teardown);
  g_test_add ("/headless-log/help", Fixture, NULL, setup, test_help, teardown);
  return g_test_run ();
}
