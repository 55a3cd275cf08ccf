/* cz-known-servers.c: the known-servers pin file of trust on first use
 * (cz-known-servers.h): looking a server up, and storing a pin the person
 * accepted. */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/file.h>
#include <glib/gi18n-lib.h>

#include "cz-known-servers.h"
#include "cz-error.h"
#include "cz-util.h"
#include <glib/gstdio.h>

/* The file's name for a server: IPv6 literals in brackets. */
static char *
server_key (const char *host, guint16 port)
{
  if (strchr (host, ':'))
    return g_strdup_printf ("[%s]:%u", host, port);
  return g_strdup_printf ("%s:%u", host, port);
}

char *
cz_known_servers_lookup (const char *path, const char *host, guint16 port)
{
  g_autofree char *contents = NULL;
  g_autofree char *key = server_key (host, port);
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " \t", 2);
      if (fields[0] && fields[0][0] != '#' && fields[1] && g_str_equal (fields[0], key))
        return g_strdup (g_strstrip (fields[1]));
    }
  return NULL;
}

/* Takes the writers' lock: an exclusive flock on "@path.lock" (a sidecar,
 * since the rename replaces the file itself).  Returns its descriptor, -1
 * with @error. */
static int
lock_file (const char *path, GError **error)
{
  g_autofree char *lock_path = g_strconcat (path, ".lock", NULL);
  int fd, saved;

  fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot open %s: %s"), lock_path,
                   g_strerror (saved));
      return -1;
    }
  while (flock (fd, LOCK_EX) < 0)
    {
      saved = errno;
      if (saved == EINTR)
        continue;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot lock %s: %s"), lock_path,
                   g_strerror (saved));
      close (fd);
      return -1;
    }
  return fd;
}

gboolean
cz_known_servers_store (const char *path, const char *host, guint16 port,
                        const char *fingerprint, GError **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *key = server_key (host, port);
  g_autofree char *dir = g_path_get_dirname (path);
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean ok;
  int lock;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO, _("cannot create %s: %s"), dir,
                   g_strerror (saved));
      return FALSE;
    }
  /* Held from the read to the rename: another client pinning another
   * server at the same time would otherwise rename its copy over ours
   * and drop the pin (issue #15 item 11). */
  if ((lock = lock_file (path, error)) < 0)
    return FALSE;
  if (g_file_get_contents (path, &contents, NULL, NULL))
    lines = g_strsplit (contents, "\n", -1);
  else
    g_string_append (out, "# Causerie known servers: host:port SHA-256 of the server's key\n");
  for (guint i = 0; lines && lines[i]; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (lines[i], " \t", 2);
      if (lines[i][0] == '\0' || (fields[0] && g_str_equal (fields[0], key)))
        continue;
      g_string_append_printf (out, "%s\n", lines[i]);
    }
  g_string_append_printf (out, "%s %s\n", key, fingerprint);
  /* Which servers a person talks to is theirs alone: 0600, and a file
   * an older version left 0644 is replaced by a 0600 one. */
  ok = cz_write_file_atomic (path, out->str, out->len, 0600, error);
  close (lock);      /* releases the lock */
  return ok;
}
