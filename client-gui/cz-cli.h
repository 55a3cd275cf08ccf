/* cz-cli.h: parsing the terminal client's commands (DESIGN §4).
 *
 *   /register USER PASSWORD   /login USER PASSWORD   /say TEXT
 *   /msg USER TEXT            /who                    /history USER|#lobby [N]
 *   /read ID...               /quit
 *
 * A line not starting with '/' is said in the lobby; "//x" says "/x". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CZ_CMD_EMPTY,        /* blank line: nothing to do */
  CZ_CMD_REGISTER,
  CZ_CMD_LOGIN,
  CZ_CMD_SAY,
  CZ_CMD_MSG,
  CZ_CMD_WHO,
  CZ_CMD_HISTORY,
  CZ_CMD_READ,
  CZ_CMD_QUIT,
} CzCommandKind;

typedef struct {
  CzCommandKind kind;
  char *user;        /* register, login, msg; history: a user or "#lobby" */
  char *password;    /* register, login (wiped on free) */
  char *text;        /* say, msg: the rest of the line, as typed */
  guint limit;       /* history: N (default 50, at most 500) */
  GArray *ids;       /* read: gint64 message ids */
} CzCommand;

/* Parses one line (without its newline).  Errors (CZ_ERROR_INVALID) say
 * what is wrong and show the usage of the command concerned.  Checks user
 * names (^[a-z0-9_.-]{1,32}$), text length (≤ 4096 characters) and UTF-8. */
CzCommand *cz_command_parse (const char *line, GError **error);
void cz_command_free (CzCommand *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CzCommand, cz_command_free)

G_END_DECLS
