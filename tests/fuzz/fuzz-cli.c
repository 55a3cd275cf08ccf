/* fuzz-cli.c: the terminal client's command parser (client-gui/cz-cli.c).
 *
 * Input: one line (up to the first NUL).  Properties: an error is
 * CZ_ERROR_INVALID with a UTF-8 message; an accepted command carries what
 * its kind needs, within the DESIGN §2.8 limits: valid user names, text
 * that cz_text_valid accepts (UTF-8, 1..4096 characters, no NUL), a
 * history limit in 1..500, at least one id for /read. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "cz-protocol.h"
#include "cz-cli.h"
#include "cz-error.h"
#include "cz-util.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  cz_fuzz_setup ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *line = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(CzCommand) cmd = cz_command_parse (line, &error);

  if (cmd == NULL)
    {
      g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);

  switch (cmd->kind)
    {
    case CZ_CMD_EMPTY:
    case CZ_CMD_WHO:
    case CZ_CMD_QUIT:
      break;
    case CZ_CMD_REGISTER:
    case CZ_CMD_LOGIN:
      g_assert_true (cz_user_name_valid (cmd->user));
      g_assert_nonnull (cmd->password);
      g_assert_cmpuint (strlen (cmd->password), >, 0);
      g_assert_true (g_utf8_validate (cmd->password, -1, NULL));
      break;
    case CZ_CMD_MSG:
      g_assert_true (cz_user_name_valid (cmd->user));
      G_GNUC_FALLTHROUGH;
    case CZ_CMD_SAY:
      g_assert_nonnull (cmd->text);
      g_assert_true (cz_text_valid (cmd->text, -1, NULL));
      break;
    case CZ_CMD_HISTORY:
      g_assert_true (cz_user_name_valid (cmd->user) || g_str_equal (cmd->user, "#lobby"));
      g_assert_cmpuint (cmd->limit, >=, 1);
      g_assert_cmpuint (cmd->limit, <=, CZ_HISTORY_MAX);
      break;
    case CZ_CMD_READ:
      g_assert_nonnull (cmd->ids);
      g_assert_cmpuint (cmd->ids->len, >, 0);
      break;
    default:
      g_assert_not_reached ();
    }

  /* Plain text is said as typed (minus a CR and one leading '/' of "//"). */
  if (cmd->kind == CZ_CMD_SAY && line[0] != '/')
    g_assert_true (g_str_has_prefix (line, cmd->text));
  return 0;
}
