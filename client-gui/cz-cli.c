/* cz-cli.c: parsing the terminal client's commands.
 *
 * Words are separated by ASCII spaces.  Free text (TEXT, PASSWORD) is the
 * rest of the line after the spaces that separate it from the previous
 * word, exactly as typed. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-cli.h"
#include "cz-protocol.h"
#include "cz-error.h"
#include "cz-util.h"

typedef struct {
  const char *name;
  CzCommandKind kind;
  const char *usage;
} CommandInfo;

static const CommandInfo commands[] = {
  { "register", CZ_CMD_REGISTER, N_("/register USER PASSWORD") },
  { "login", CZ_CMD_LOGIN, N_("/login USER PASSWORD") },
  { "say", CZ_CMD_SAY, N_("/say TEXT") },
  { "msg", CZ_CMD_MSG, N_("/msg USER TEXT") },
  { "who", CZ_CMD_WHO, N_("/who") },
  { "history", CZ_CMD_HISTORY, N_("/history USER|#lobby [N]") },
  { "read", CZ_CMD_READ, N_("/read ID...") },
  { "quit", CZ_CMD_QUIT, N_("/quit") },
};

void
cz_command_free (CzCommand *cmd)
{
  if (cmd == NULL)
    return;

  g_free (cmd->user);
  if (cmd->password != NULL)
    cz_str_wipe_free (cmd->password);
  g_free (cmd->text);
  g_clear_pointer (&cmd->ids, g_array_unref);
  g_free (cmd);
}

/* ---- Line scanning ----------------------------------------------------- */

static const char *
skip_spaces (const char *p)
{
  while (*p == ' ')
    p++;
  return p;
}

/* The next space-separated word (a new string), or NULL at the end. */
static char *
next_word (const char **p)
{
  const char *start = skip_spaces (*p);
  const char *end = start;

  while (*end != '\0' && *end != ' ')
    end++;
  *p = end;
  return end > start ? g_strndup (start, end - start) : NULL;
}

static void
set_usage_error (GError **error, const CommandInfo *info, const char *problem)
{
  g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
               /* TRANSLATORS: "<problem>; usage: /cmd ARGS" */
               _("%s; usage: %s"), problem, _(info->usage));
}

static gboolean
no_more_words (const char *p, const CommandInfo *info, GError **error)
{
  if (*skip_spaces (p) != '\0')
    {
      g_autofree char *problem = g_strdup_printf (_("/%s: too many arguments"), info->name);

      set_usage_error (error, info, problem);
      return FALSE;
    }
  return TRUE;
}

static char *
take_user (const char **p, const CommandInfo *info, gboolean allow_lobby, GError **error)
{
  g_autofree char *user = next_word (p);

  if (user == NULL)
    {
      g_autofree char *problem = g_strdup_printf (_("/%s: missing user name"), info->name);

      set_usage_error (error, info, problem);
      return NULL;
    }
  if (!(allow_lobby && strcmp (user, CZ_LOBBY_NAME) == 0) && !cz_user_name_valid (user))
    {
      g_autofree char *problem =
        g_strdup_printf (_("/%s: “%s” is not a valid user name (1 to 32 of a-z, 0-9, “_”, “.”, “-”)"),
                         info->name, user);

      set_usage_error (error, info, problem);
      return NULL;
    }
  return g_steal_pointer (&user);
}

/* The rest of the line after the separating spaces, as typed; NULL (with
 * @what named in the error) if there is none. */
static char *
take_rest (const char **p, const CommandInfo *info, const char *what, GError **error)
{
  const char *rest = skip_spaces (*p);

  if (*rest == '\0')
    {
      g_autofree char *problem = g_strdup_printf (_("/%s: missing %s"), info->name, what);

      set_usage_error (error, info, problem);
      return NULL;
    }
  *p = rest + strlen (rest);
  return g_strdup (rest);
}

static char *
take_text (const char **p, const CommandInfo *info, GError **error)
{
  g_autoptr(GError) local = NULL;
  char *text = take_rest (p, info, _("text"), error);

  if (text != NULL && !cz_text_valid (text, -1, &local))
    {
      g_autofree char *problem = g_strdup_printf ("/%s: %s", info->name, local->message);

      set_usage_error (error, info, problem);
      g_clear_pointer (&text, g_free);
    }
  return text;
}

static gboolean
parse_history (CzCommand *cmd, const char *p, const CommandInfo *info, GError **error)
{
  g_autofree char *count = NULL;
  guint64 n;

  cmd->user = take_user (&p, info, TRUE, error);
  if (cmd->user == NULL)
    return FALSE;

  cmd->limit = CZ_HISTORY_DEFAULT;
  count = next_word (&p);
  if (count != NULL)
    {
      if (!g_ascii_string_to_unsigned (count, 10, 1, CZ_HISTORY_MAX, &n, NULL))
        {
          g_autofree char *problem =
            g_strdup_printf (_("/history: “%s” is not a number of messages from 1 to %d"),
                             count, CZ_HISTORY_MAX);

          set_usage_error (error, info, problem);
          return FALSE;
        }
      cmd->limit = n;
    }
  return no_more_words (p, info, error);
}

static gboolean
parse_read (CzCommand *cmd, const char *p, const CommandInfo *info, GError **error)
{
  char *word;

  cmd->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  while ((word = next_word (&p)) != NULL)
    {
      g_autofree char *owned = word;
      gint64 id;

      if (!g_ascii_string_to_signed (owned, 10, 1, G_MAXINT64, &id, NULL))
        {
          g_autofree char *problem =
            g_strdup_printf (_("/read: “%s” is not a message id (a positive integer)"), owned);

          set_usage_error (error, info, problem);
          return FALSE;
        }
      g_array_append_val (cmd->ids, id);
    }
  if (cmd->ids->len == 0)
    {
      set_usage_error (error, info, _("/read: missing message id"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_command (CzCommand *cmd, const char *p, const CommandInfo *info, GError **error)
{
  switch (info->kind)
    {
    case CZ_CMD_REGISTER:
    case CZ_CMD_LOGIN:
      cmd->user = take_user (&p, info, FALSE, error);
      if (cmd->user == NULL)
        return FALSE;
      /* May contain spaces; never shown in an error. */
      cmd->password = take_rest (&p, info, _("password"), error);
      return cmd->password != NULL;

    case CZ_CMD_SAY:
      cmd->text = take_text (&p, info, error);
      return cmd->text != NULL;

    case CZ_CMD_MSG:
      cmd->user = take_user (&p, info, FALSE, error);
      if (cmd->user == NULL)
        return FALSE;
      cmd->text = take_text (&p, info, error);
      return cmd->text != NULL;

    case CZ_CMD_HISTORY:
      return parse_history (cmd, p, info, error);

    case CZ_CMD_READ:
      return parse_read (cmd, p, info, error);

    case CZ_CMD_WHO:
    case CZ_CMD_QUIT:
      return no_more_words (p, info, error);

    case CZ_CMD_EMPTY:
    default:
      g_return_val_if_reached (FALSE);
    }
}

static void
set_unknown_error (GError **error, const char *name)
{
  g_autoptr(GString) list = g_string_new (NULL);
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (i > 0)
        g_string_append (list, ", ");
      g_string_append_c (list, '/');
      g_string_append (list, commands[i].name);
    }
  g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
               _("Unknown command /%s; commands are: %s"), name, list->str);
}

CzCommand *
cz_command_parse (const char *line, GError **error)
{
  g_autoptr(CzCommand) cmd = NULL;
  g_autofree char *name = NULL;
  const char *p;
  gsize len, i;

  g_return_val_if_fail (line != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  cmd = g_new0 (CzCommand, 1);
  len = strlen (line);
  /* A CRLF line ending is not part of the line. */
  if (len > 0 && line[len - 1] == '\r')
    len--;

  if (!g_utf8_validate (line, len, NULL))
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("The line is not valid UTF-8"));
      return NULL;
    }

  for (i = 0; i < len && g_ascii_isspace (line[i]); i++)
    ;
  if (i == len)
    {
      cmd->kind = CZ_CMD_EMPTY;
      return g_steal_pointer (&cmd);
    }

  /* Plain text, or "//..." for text that starts with a slash. */
  if (line[0] != '/' || (len > 1 && line[1] == '/'))
    {
      g_autoptr(GError) local = NULL;
      const char *text = line[0] == '/' ? line + 1 : line;
      gsize text_len = len - (text - line);

      if (!cz_text_valid (text, text_len, &local))
        {
          g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID, "%s", local->message);
          return NULL;
        }
      cmd->kind = CZ_CMD_SAY;
      cmd->text = g_strndup (text, text_len);
      return g_steal_pointer (&cmd);
    }

  {
    /* Work on a copy without the CR; wipe it, it may hold a password. */
    g_autofree char *copy = g_strndup (line, len);
    const CommandInfo *info = NULL;
    gboolean ok;

    p = copy + 1;
    name = next_word (&p);
    if (name == NULL || p != copy + 1 + strlen (name))
      {
        /* "/" alone or "/ word". */
        set_unknown_error (error, "");
        cz_memwipe (copy, len);
        return NULL;
      }
    for (i = 0; i < G_N_ELEMENTS (commands); i++)
      if (strcmp (name, commands[i].name) == 0)
        info = &commands[i];
    if (info == NULL)
      {
        set_unknown_error (error, name);
        cz_memwipe (copy, len);
        return NULL;
      }

    cmd->kind = info->kind;
    ok = parse_command (cmd, p, info, error);
    cz_memwipe (copy, len);
    if (!ok)
      return NULL;
  }

  return g_steal_pointer (&cmd);
}
