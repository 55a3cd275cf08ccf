/* cz-protocol.c: the protocol's validation rules (cz-protocol.h). */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "cz-protocol.h"
#include "cz-error.h"

gboolean
cz_user_name_valid (const char *name)
{
  gsize len = 0;

  if (name == NULL)
    return FALSE;

  for (const char *p = name; *p != '\0'; p++, len++)
    {
      char c = *p;

      if (len >= CZ_USER_NAME_MAX)
        return FALSE;

      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-'))
        return FALSE;
    }

  return len >= 1;
}

/* Terminal controls in valid UTF-8 @text: C0 other than newline and tab,
 * DEL, and C1 (U+0080..U+009F, encoded C2 80..C2 9F).  A byte scan: no
 * other sequence contains those bytes (continuation bytes are >= 0x80, and
 * C2 is never one). */
static gboolean
has_control (const char *text, gsize len)
{
  const guchar *p = (const guchar *) text;

  for (gsize i = 0; i < len; i++)
    {
      guchar c = p[i];

      if (G_LIKELY (c >= 0x20 && c != 0x7f && c != 0xc2))
        continue;
      if (c == '\n' || c == '\t')
        continue;
      if (c == 0xc2 && (i + 1 >= len || p[i + 1] >= 0xa0))
        continue;
      return TRUE;
    }
  return FALSE;
}

gboolean
cz_text_valid (const char *text, gssize len, GError **error)
{
  const char *end;
  glong chars;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (len < 0)
    len = strlen (text);

  /* With an explicit length, g_utf8_validate also refuses NUL bytes. */
  if (!g_utf8_validate (text, len, &end))
    {
      if (end < text + len && *end == '\0')
        g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_TEXT,
                             _("The text contains a NUL character"));
      else
        g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_TEXT,
                             _("The text is not valid UTF-8"));
      return FALSE;
    }
  if (len == 0)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_TEXT,
                           _("The text is empty"));
      return FALSE;
    }
  if (has_control (text, len))
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_BAD_TEXT,
                           _("The text contains a control character "
                             "(only newline and tab are allowed)"));
      return FALSE;
    }
  /* Each character takes at least one byte: short texts need no count. */
  if (len > CZ_TEXT_MAX_CHARS
      && (chars = g_utf8_strlen (text, len)) > CZ_TEXT_MAX_CHARS)
    {
      g_set_error (error, CZ_ERROR, CZ_ERROR_TOO_LARGE,
                   _("The text is too long (%ld characters, at most %d)"),
                   chars, CZ_TEXT_MAX_CHARS);
      return FALSE;
    }
  return TRUE;
}
