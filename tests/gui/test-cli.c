/* test-cli.c: parsing the terminal client's commands. */

#include "config.h"

#include <string.h>

#include "cz-protocol.h"
#include "cz-cli.h"
#include "cz-cli-runner.h"
#include "cz-error.h"
#include "testutil.h"

static CzCommand *
parse_ok (const char *line, CzCommandKind kind)
{
  g_autoptr(GError) error = NULL;
  CzCommand *cmd = cz_command_parse (line, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cmd);
  g_assert_cmpint (cmd->kind, ==, kind);
  return cmd;
}

/* Parsing @line fails with CZ_ERROR_INVALID and a message containing each
 * of the NULL-terminated strings that follow. */
static void
parse_fails (const char *line, ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzCommand) cmd = cz_command_parse (line, &error);
  const char *needle;
  va_list ap;

  g_assert_null (cmd);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  va_start (ap, line);
  while ((needle = va_arg (ap, const char *)) != NULL)
    if (strstr (error->message, needle) == NULL)
      g_error ("error for “%s” is “%s”, which does not mention “%s”", line, error->message, needle);
  va_end (ap);
}

static void
test_commands (void)
{
  g_autoptr(CzCommand) reg = parse_ok ("/register alice s3cret", CZ_CMD_REGISTER);
  g_autoptr(CzCommand) login = parse_ok ("/login bob.b_1-x  pass word ", CZ_CMD_LOGIN);
  g_autoptr(CzCommand) say = parse_ok ("/say hello   there  world", CZ_CMD_SAY);
  g_autoptr(CzCommand) msg = parse_ok ("/msg carol   psst,  two  spaces ", CZ_CMD_MSG);
  g_autoptr(CzCommand) who = parse_ok ("/who", CZ_CMD_WHO);
  g_autoptr(CzCommand) who2 = parse_ok ("/who   ", CZ_CMD_WHO);
  g_autoptr(CzCommand) quit = parse_ok ("/quit", CZ_CMD_QUIT);
  g_autoptr(CzCommand) hist = parse_ok ("/history dave", CZ_CMD_HISTORY);
  g_autoptr(CzCommand) hist2 = parse_ok ("/history #lobby 500", CZ_CMD_HISTORY);
  g_autoptr(CzCommand) hist3 = parse_ok ("/history  erin   1 ", CZ_CMD_HISTORY);
  g_autoptr(CzCommand) read1 = parse_ok ("/read 42", CZ_CMD_READ);
  g_autoptr(CzCommand) read3 = parse_ok ("/read 1  9007199254740993 9223372036854775807", CZ_CMD_READ);

  g_assert_cmpstr (reg->user, ==, "alice");
  g_assert_cmpstr (reg->password, ==, "s3cret");
  g_assert_null (reg->text);

  /* The password is the rest of the line, as typed. */
  g_assert_cmpstr (login->user, ==, "bob.b_1-x");
  g_assert_cmpstr (login->password, ==, "pass word ");

  /* Text keeps inner (and trailing) spaces; only the separator goes. */
  g_assert_cmpstr (say->text, ==, "hello   there  world");
  g_assert_null (say->user);
  g_assert_cmpstr (msg->user, ==, "carol");
  g_assert_cmpstr (msg->text, ==, "psst,  two  spaces ");

  g_assert_null (who->user);
  g_assert_null (who2->text);
  g_assert_null (quit->user);

  g_assert_cmpstr (hist->user, ==, "dave");
  g_assert_cmpuint (hist->limit, ==, CZ_HISTORY_DEFAULT);
  g_assert_cmpuint (hist->limit, ==, 50);
  g_assert_cmpstr (hist2->user, ==, "#lobby");
  g_assert_cmpuint (hist2->limit, ==, 500);
  g_assert_cmpstr (hist3->user, ==, "erin");
  g_assert_cmpuint (hist3->limit, ==, 1);

  g_assert_cmpuint (read1->ids->len, ==, 1);
  g_assert_cmpint (g_array_index (read1->ids, gint64, 0), ==, 42);
  g_assert_cmpuint (read3->ids->len, ==, 3);
  g_assert_cmpint (g_array_index (read3->ids, gint64, 0), ==, 1);
  g_assert_cmpint (g_array_index (read3->ids, gint64, 1), ==, G_GINT64_CONSTANT (9007199254740993));
  g_assert_cmpint (g_array_index (read3->ids, gint64, 2), ==, G_MAXINT64);
}

static void
test_plain_text (void)
{
  g_autoptr(CzCommand) plain = parse_ok ("just chatting", CZ_CMD_SAY);
  g_autoptr(CzCommand) spaced = parse_ok ("  indented  text", CZ_CMD_SAY);
  g_autoptr(CzCommand) slash = parse_ok ("//etc/passwd is a path", CZ_CMD_SAY);
  g_autoptr(CzCommand) utf8 = parse_ok ("/say héllo 😀 中文", CZ_CMD_SAY);
  g_autoptr(CzCommand) crlf = parse_ok ("/say windows\r", CZ_CMD_SAY);
  g_autoptr(CzCommand) empty = parse_ok ("", CZ_CMD_EMPTY);
  g_autoptr(CzCommand) blank = parse_ok ("   \t ", CZ_CMD_EMPTY);

  g_assert_cmpstr (plain->text, ==, "just chatting");
  g_assert_cmpstr (spaced->text, ==, "  indented  text");
  g_assert_cmpstr (slash->text, ==, "/etc/passwd is a path");
  g_assert_cmpstr (utf8->text, ==, "héllo 😀 中文");
  g_assert_cmpstr (crlf->text, ==, "windows");
  g_assert_null (empty->text);
}

static void
test_missing_arguments (void)
{
  parse_fails ("/register", "missing user name", "/register USER PASSWORD", NULL);
  parse_fails ("/register alice", "missing password", "/register USER PASSWORD", NULL);
  parse_fails ("/register alice   ", "missing password", NULL);
  parse_fails ("/login", "missing user name", "/login USER PASSWORD", NULL);
  parse_fails ("/login bob", "missing password", NULL);
  parse_fails ("/say", "missing text", "/say TEXT", NULL);
  parse_fails ("/say    ", "missing text", NULL);
  parse_fails ("/msg", "missing user name", "/msg USER TEXT", NULL);
  parse_fails ("/msg carol", "missing text", "/msg USER TEXT", NULL);
  parse_fails ("/msg carol  ", "missing text", NULL);
  parse_fails ("/history", "missing user name", "/history USER|#lobby [N]", NULL);
  parse_fails ("/read", "missing message id", "/read ID...", NULL);
  parse_fails ("/read   ", "missing message id", NULL);
}

static void
test_extra_arguments (void)
{
  parse_fails ("/who alice", "too many arguments", "/who", NULL);
  parse_fails ("/quit now", "too many arguments", "/quit", NULL);
  parse_fails ("/history alice 10 20", "too many arguments", NULL);
}

static void
test_bad_user_names (void)
{
  g_autofree char *too_long = g_strnfill (33, 'a');
  g_autofree char *max_len = g_strnfill (32, 'a');
  g_autofree char *line = g_strdup_printf ("/msg %s hi", too_long);
  g_autofree char *line_ok = g_strdup_printf ("/msg %s hi", max_len);
  g_autoptr(CzCommand) ok = parse_ok (line_ok, CZ_CMD_MSG);

  g_assert_cmpstr (ok->user, ==, max_len);

  parse_fails ("/msg Alice hi", "“Alice” is not a valid user name", NULL);
  parse_fails (line, "is not a valid user name", NULL);
  parse_fails ("/register al!ce pw", "“al!ce” is not a valid user name", NULL);
  parse_fails ("/login élodie pw", "“élodie” is not a valid user name", NULL);
  parse_fails ("/history bob/x", "not a valid user name", NULL);
  /* #lobby is a history target only. */
  parse_fails ("/msg #lobby hi", "“#lobby” is not a valid user name", NULL);
  parse_fails ("/history #lobbyx", "not a valid user name", NULL);
}

static void
test_text_limits (void)
{
  GString *max = g_string_new ("/say ");
  GString *over = g_string_new ("/say ");
  g_autofree char *max_line = NULL;
  g_autofree char *over_line = NULL;
  g_autoptr(CzCommand) ok = NULL;
  guint i;

  /* Characters, not bytes: 4096 × "é" (8192 bytes) is fine... */
  for (i = 0; i < CZ_TEXT_MAX_CHARS; i++)
    g_string_append (max, "é");
  /* ...4097 × "a" (4097 bytes) is not. */
  for (i = 0; i <= CZ_TEXT_MAX_CHARS; i++)
    g_string_append_c (over, 'a');
  max_line = g_string_free (max, FALSE);
  over_line = g_string_free (over, FALSE);

  ok = parse_ok (max_line, CZ_CMD_SAY);
  g_assert_cmpint (g_utf8_strlen (ok->text, -1), ==, 4096);
  parse_fails (over_line, "too long", "4097", "4096", NULL);
  parse_fails (over_line + 5, "too long", NULL);   /* the same as plain text */
  {
    g_autofree char *msg_line = g_strconcat ("/msg bob ", over_line + 5, NULL);

    parse_fails (msg_line, "too long", "/msg USER TEXT", NULL);
  }

  /* Invalid UTF-8 anywhere in the line. */
  parse_fails ("/say caf\xe9", "UTF-8", NULL);
  parse_fails ("caf\xc3", "UTF-8", NULL);
  parse_fails ("/msg bob \xed\xa0\x80", "UTF-8", NULL);
  parse_fails ("/login bob pass\xff", "UTF-8", NULL);
}

static void
test_text_valid (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *max = g_strnfill (CZ_TEXT_MAX_CHARS, 'x');
  g_autofree char *over = g_strnfill (CZ_TEXT_MAX_CHARS + 1, 'x');
  GString *emoji = g_string_new (NULL);
  g_autofree char *emoji_str = NULL;
  guint i;

  g_assert_true (cz_text_valid ("hello", -1, &error));
  g_assert_no_error (error);
  g_assert_true (cz_text_valid ("hello", 3, &error));
  g_assert_true (cz_text_valid (max, -1, &error));
  g_assert_no_error (error);

  for (i = 0; i < CZ_TEXT_MAX_CHARS; i++)
    g_string_append (emoji, "😀");   /* 4 bytes each */
  emoji_str = g_string_free (emoji, FALSE);
  g_assert_true (cz_text_valid (emoji_str, -1, &error));
  g_assert_no_error (error);

  g_assert_false (cz_text_valid (over, -1, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE);
  g_clear_error (&error);

  g_assert_false (cz_text_valid ("", -1, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_TEXT);
  g_clear_error (&error);
  g_assert_false (cz_text_valid ("abc", 0, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_TEXT);
  g_clear_error (&error);

  /* NUL inside the given length. */
  g_assert_false (cz_text_valid ("ab\0cd", 5, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_TEXT);
  g_assert_nonnull (strstr (error->message, "NUL"));
  g_clear_error (&error);

  g_assert_false (cz_text_valid ("\xc3\x28", -1, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_TEXT);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_clear_error (&error);
  g_assert_false (cz_text_valid ("\xf0\x9f\x98", -1, &error));   /* cut emoji */
  g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_TEXT);
  g_clear_error (&error);

  /* Terminal controls (issue #15 item 7): C0 other than newline and tab,
   * DEL and C1 are refused; newline and tab are text. */
  {
    static const char *const refused[] = { "\x1b[2J", "ding\x07", "a\rb", "a\x08", "\x01",
                                           "a\x0b", "a\x0c", "\x1f", "del\x7f",
                                           "csi\xc2\x9b" "2J", "nel\xc2\x85", "\xc2\x80" };
    for (i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_assert_false (cz_text_valid (refused[i], -1, &error));
        g_assert_error (error, CZ_ERROR, CZ_ERROR_BAD_TEXT);
        g_clear_error (&error);
      }
    g_assert_true (cz_text_valid ("two\tcolumns\nsecond line", -1, &error));
    g_assert_no_error (error);
    /* U+00A0 and up are text (é, no-break space). */
    g_assert_true (cz_text_valid ("caf\xc3\xa9\xc2\xa0!", -1, &error));
    g_assert_no_error (error);
  }
}

static void
test_bad_numbers (void)
{
  parse_fails ("/history bob 0", "“0” is not a number of messages from 1 to 500", NULL);
  parse_fails ("/history bob 501", "“501”", "1 to 500", NULL);
  parse_fails ("/history bob -5", "“-5”", NULL);
  parse_fails ("/history bob ten", "“ten”", NULL);
  parse_fails ("/history bob 10x", "“10x”", NULL);
  parse_fails ("/history bob 99999999999999999999", "is not a number", NULL);

  parse_fails ("/read 0", "“0” is not a message id", NULL);
  parse_fails ("/read -1", "“-1” is not a message id", NULL);
  parse_fails ("/read 1 two 3", "“two” is not a message id", "/read ID...", NULL);
  parse_fails ("/read 1.5", "“1.5”", NULL);
  parse_fails ("/read 0x10", "“0x10”", NULL);
  parse_fails ("/read 9223372036854775808", "is not a message id", NULL);
  parse_fails ("/read +", "“+”", NULL);
}

static void
test_unknown (void)
{
  parse_fails ("/foo", "Unknown command /foo; commands are: /register, /login, /say, /msg, "
               "/who, /history, /read, /quit", NULL);
  parse_fails ("/foo bar baz", "/foo;", NULL);
  parse_fails ("/SAY hi", "/SAY", NULL);
  parse_fails ("/", "Unknown command /;", NULL);
  parse_fails ("/ say hi", "Unknown command", NULL);
  parse_fails ("/sayhello", "/sayhello", NULL);
}

static void
test_password_not_in_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CzCommand) cmd = cz_command_parse ("/login B@d hunter2", &error);

  g_assert_null (cmd);
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_assert_null (strstr (error->message, "hunter2"));
  /* Freeing NULL is fine. */
  cz_command_free (NULL);
}

/* TRUE when @s holds a byte or character a terminal acts on: a C0 control
 * other than newline and tab, DEL, a C1 control, or a bidirectional
 * override, embedding or isolate (which reorder what follows). */
static gboolean
has_raw_control (const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c <= 0x9f)
          || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        return TRUE;
    }
  return FALSE;
}

/* Issue #15 item 7: another person's text must not drive the terminal.
 * The review cleared a screen, set a title and forged an admin notice;
 * the plain output shows every such control visibly instead. */
static void
test_plain_output_controls (void)
{
  static const char *const texts[] = {
    "\x1b[2J\x1b[H cleared",
    "\x1b]0;pwned\x07 title",
    "hi\r[2030-01-01 00:00] * admin: log in again",
    "del\x7f back\x08",
    "csi \xc2\x9b" "2J nel \xc2\x85",
    "rlo \xe2\x80\xae" "txt.exe lri \xe2\x81\xa6" "x\xe2\x81\xa9",
  };
  CzClientMessage m = { .id = 7, .from = (char *) "mallory", .ts = 1700000000000 };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *line = NULL;

      m.text = (char *) texts[i];
      line = cz_cli_format_message (&m);
      g_assert_true (g_utf8_validate (line, -1, NULL));
      if (has_raw_control (line))
        g_error ("raw control in the plain output: %s", g_strescape (line, NULL));
      g_assert_null (strchr (line, '\r'));
    }

  /* Visible, not dropped: ESC, CR and BEL have their pictures. */
  m.text = (char *) "a\x1b" "b\rc\x07";
  {
    g_autofree char *line = cz_cli_format_message (&m);
    g_assert_nonnull (strstr (line, "a\xe2\x90\x9b" "b\xe2\x90\x8d" "c\xe2\x90\x87"));
  }

  /* A newline stays, but the next line is indented: it cannot pass for an
   * event line of its own.  A tab stays a tab. */
  m.text = (char *) "first\tcolumn\n[2030-01-01 00:00] * admin: hello";
  {
    g_autofree char *line = cz_cli_format_message (&m);
    const char *nl = strchr (line, '\n');

    g_assert_nonnull (strchr (line, '\t'));
    g_assert_nonnull (nl);
    g_assert_true (nl[1] == ' ');
    g_assert_false (has_raw_control (line));
  }

  /* A hostile server may put controls in the names too. */
  m.text = (char *) "hello";
  m.from = (char *) "mal\x1b[2Jlory";
  m.to = (char *) "bob\n* admin";
  {
    g_autofree char *line = cz_cli_format_message (&m);
    g_assert_false (has_raw_control (line));
    g_assert_null (strchr (line, '\n'));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/commands", test_commands);
  g_test_add_func ("/cli/plain-text", test_plain_text);
  g_test_add_func ("/cli/missing-arguments", test_missing_arguments);
  g_test_add_func ("/cli/extra-arguments", test_extra_arguments);
  g_test_add_func ("/cli/bad-user-names", test_bad_user_names);
  g_test_add_func ("/cli/text-limits", test_text_limits);
  g_test_add_func ("/cli/text-valid", test_text_valid);
  g_test_add_func ("/cli/plain-output-controls", test_plain_output_controls);
  g_test_add_func ("/cli/bad-numbers", test_bad_numbers);
  g_test_add_func ("/cli/unknown", test_unknown);
  g_test_add_func ("/cli/password-not-in-errors", test_password_not_in_errors);

  return g_test_run ();
}
