/* cz-util.c: small helpers shared by the whole library (cz-util.h): hex,
 * wiping secrets, atomic file writes, time, the data folder. */
#include "config.h"

#include "cz-util.h"
#include "cz-error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>


char *
cz_hex_encode (const guint8 *data, gsize len)
{
  static const char digits[] = "0123456789abcdef";
  char *out;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  out = g_malloc (len * 2 + 1);
  for (gsize i = 0; i < len; i++)
    {
      out[2 * i] = digits[data[i] >> 4];
      out[2 * i + 1] = digits[data[i] & 0x0f];
    }
  out[len * 2] = '\0';

  return out;
}

char *
cz_hex_encode_colons (const guint8 *data, gsize len)
{
  static const char digits[] = "0123456789ABCDEF";
  char *out;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len == 0)
    return g_strdup ("");

  /* "AB:CD:EF": three characters per byte, the last ':' becomes the NUL. */
  out = g_malloc (len * 3);
  for (gsize i = 0; i < len; i++)
    {
      out[3 * i] = digits[data[i] >> 4];
      out[3 * i + 1] = digits[data[i] & 0x0f];
      out[3 * i + 2] = (i + 1 < len) ? ':' : '\0';
    }

  return out;
}

GBytes *
cz_hex_decode (const char *hex, GError **error)
{
  g_autoptr(GByteArray) bytes = NULL;
  int high = -1;

  g_return_val_if_fail (hex != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bytes = g_byte_array_sized_new (strlen (hex) / 2);

  for (const char *p = hex; *p != '\0'; p++)
    {
      int value;

      if (*p == ':' || g_ascii_isspace (*p))
        continue;

      value = g_ascii_xdigit_value (*p);
      if (value < 0)
        {
          g_set_error (error, CZ_ERROR, CZ_ERROR_INVALID,
                       _("Invalid hexadecimal string: unexpected character at position %u"),
                       (guint) (p - hex + 1));
          return NULL;
        }

      if (high < 0)
        {
          high = value;
        }
      else
        {
          guint8 byte = (guint8) ((high << 4) | value);

          g_byte_array_append (bytes, &byte, 1);
          high = -1;
        }
    }

  if (high >= 0)
    {
      g_set_error_literal (error, CZ_ERROR, CZ_ERROR_INVALID,
                           _("Invalid hexadecimal string: odd number of digits"));
      return NULL;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

char *
cz_format_fingerprint (const char *hex)
{
  GString *out = g_string_new (NULL);
  gsize len = hex ? strlen (hex) : 0;

  for (gsize i = 0; i < len; i += 4)
    {
      if (i > 0)
        g_string_append_c (out, i == len / 2 ? '\n' : ' ');
      g_string_append_len (out, hex + i, MIN (4, len - i));
    }
  return g_string_free (out, FALSE);
}

void
cz_memwipe (void *p, gsize len)
{
  if (p == NULL || len == 0)
    return;

  explicit_bzero (p, len);
}

void
cz_str_wipe_free (char *s)
{
  if (s == NULL)
    return;

  cz_memwipe (s, strlen (s));
  g_free (s);
}

static gboolean
write_all (int fd, const guint8 *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }

      data += n;
      len -= (gsize) n;
    }

  return TRUE;
}

/* fsync()s the directory @dir so that a rename inside it is durable. */
static gboolean
fsync_dir (const char *dir)
{
  int fd;
  int saved_errno;

  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;

  if (fsync (fd) < 0)
    {
      saved_errno = errno;
      close (fd);
      errno = saved_errno;
      return FALSE;
    }

  return close (fd) == 0;
}

/* Not g_file_set_contents_full (): GLib 2.74 lets the umask narrow @mode (it never fchmod()s). */
gboolean
cz_write_file_atomic (const char  *path,
                      const void  *data,
                      gsize        len,
                      int          mode,
                      GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp_path = NULL;
  g_autofree char *display = NULL;
  int fd;
  int saved_errno;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  tmp_path = g_strdup_printf ("%s%c.%s.XXXXXX", dir, G_DIR_SEPARATOR, base);
  display = g_filename_display_name (path);

  /* g_mkstemp_full() opens with O_CREAT | O_EXCL and @mode; the umask may
   * still have removed bits, so fchmod() sets the exact mode afterwards. */
  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, mode);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO,
                   _("Could not create a temporary file next to “%s”: %s"),
                   display, g_strerror (saved_errno));
      return FALSE;
    }

  if (fchmod (fd, (mode_t) mode) < 0)
    {
      saved_errno = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO,
                   _("Could not set the permissions of the file for “%s”: %s"),
                   display, g_strerror (saved_errno));
      goto fail_close;
    }

  if (!write_all (fd, data, len))
    {
      saved_errno = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO,
                   _("Could not write “%s”: %s"),
                   display, g_strerror (saved_errno));
      goto fail_close;
    }

  if (fsync (fd) < 0)
    {
      saved_errno = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO,
                   _("Could not flush “%s” to disk: %s"),
                   display, g_strerror (saved_errno));
      goto fail_close;
    }

  if (close (fd) < 0)
    {
      saved_errno = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO,
                   _("Could not write “%s”: %s"),
                   display, g_strerror (saved_errno));
      goto fail_unlink;
    }

  if (g_rename (tmp_path, path) < 0)
    {
      saved_errno = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO,
                   _("Could not replace “%s”: %s"),
                   display, g_strerror (saved_errno));
      goto fail_unlink;
    }

  if (!fsync_dir (dir))
    {
      g_autofree char *dir_display = g_filename_display_name (dir);

      saved_errno = errno;
      g_set_error (error, CZ_ERROR, CZ_ERROR_IO,
                   _("“%s” was written but its folder “%s” could not be flushed to disk: %s"),
                   display, dir_display, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;

fail_close:
  close (fd);
fail_unlink:
  g_unlink (tmp_path);
  return FALSE;
}

gint64
cz_now_ms (void)
{
  return g_get_real_time () / 1000;
}

GDateTime *
cz_local_time (gint64 unix_ms)
{
  static GTimeZone *zone;
  g_autoptr(GDateTime) utc = NULL;

  if (g_once_init_enter (&zone))
    g_once_init_leave (&zone, g_time_zone_new_local ());
  utc = g_date_time_new_from_unix_utc (unix_ms / 1000);
  return utc ? g_date_time_to_timezone (utc, zone) : NULL;
}

/* TRUE when the running program is inside the build tree it was built in
 * (_build/causerie-client, _build/tests/gui/..., or libtool's .libs/
 * there): only such a program reads that tree's schemas and catalogues,
 * never an installed one nor a copy taken elsewhere. */
static gboolean
running_from_build_tree (void)
{
#ifdef CZ_BUILD_DIR
  static gsize answer;

  if (g_once_init_enter (&answer))
    {
      g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
      /* Without /proc, trust the build: the old, unchecked behaviour. */
      gboolean inside = exe == NULL || g_str_has_prefix (exe, CZ_BUILD_DIR G_DIR_SEPARATOR_S);

      g_once_init_leave (&answer, inside ? 1 : 2);
    }
  return answer == 1;
#else
  return FALSE;
#endif
}

/* The schemas each program embeds as a resource (CZ_SCHEMAS_RESOURCE),
 * loaded once: GIO reads schemas only from a folder, so they are written
 * to a private temporary one, mapped, and the files removed at once. */
static GSettingsSchemaSource *
embedded_schema_source (void)
{
  static gsize once;
  static GSettingsSchemaSource *source;

  if (g_once_init_enter (&once))
    {
      g_autoptr(GBytes) bytes = g_resources_lookup_data (CZ_SCHEMAS_RESOURCE,
                                                         G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = NULL;
      g_autofree char *file = NULL;

      if (bytes != NULL && (dir = g_dir_make_tmp ("causerie-schemas-XXXXXX", &error)) != NULL)
        {
          gsize len;
          const char *data = g_bytes_get_data (bytes, &len);

          file = g_build_filename (dir, "gschemas.compiled", NULL);
          if (g_file_set_contents (file, data, (gssize) len, &error))
            source = g_settings_schema_source_new_from_directory (dir, NULL, TRUE, &error);
          g_unlink (file);
          g_rmdir (dir);
        }
      if (error != NULL)
        g_warning ("Could not load the built-in settings schemas: %s", error->message);
      g_once_init_leave (&once, 1);
    }
  return source;
}

/* One memory backend per process, so that every GSettings of a schema
 * (the window's, the preferences dialog's) sees the others' changes. */
static GSettingsBackend *
memory_backend (void)
{
  static gsize once;
  static GSettingsBackend *backend;

  if (g_once_init_enter (&once))
    {
      backend = g_memory_settings_backend_new ();
      g_once_init_leave (&once, 1);
    }
  return backend;
}

GSettings *
cz_settings_new (const char *schema_id)
{
  GSettingsSchemaSource *installed = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchemaSource) built = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  GSettingsSchemaSource *embedded;

  if (installed != NULL)
    schema = g_settings_schema_source_lookup (installed, schema_id, TRUE);
#ifdef CZ_BUILD_DIR
  /* Run from _build/ without installing: the schemas `make` compiled. */
  if (schema == NULL && running_from_build_tree ()
      && (built = g_settings_schema_source_new_from_directory (CZ_BUILD_DIR G_DIR_SEPARATOR_S "data",
                                                               installed, FALSE, NULL)) != NULL)
    schema = g_settings_schema_source_lookup (built, schema_id, FALSE);
#endif
  if (schema != NULL)
    return g_settings_new_full (schema, NULL, NULL);

  /* Neither: the program's own copy of the schema, in memory only. */
  embedded = embedded_schema_source ();
  if (embedded != NULL)
    schema = g_settings_schema_source_lookup (embedded, schema_id, FALSE);
  if (schema == NULL)
    {
      g_warning ("The %s settings schema is not installed and not built in; "
                 "settings will not be remembered", schema_id);
      return NULL;
    }
  g_warning ("The %s settings schema is not installed; using the default settings, "
             "which will not be remembered (install Causerie, or set GSETTINGS_SCHEMA_DIR)",
             schema_id);
  return g_settings_new_full (schema, memory_backend (), NULL);
}

/* The catalogues laid out by the build (locale/LANG/LC_MESSAGES) for a
 * program run from its build tree, else the installed ones. */
const char *
cz_locale_dir (void)
{
#ifdef CZ_BUILD_DIR
  if (running_from_build_tree ()
      && g_file_test (CZ_BUILD_DIR G_DIR_SEPARATOR_S "locale", G_FILE_TEST_IS_DIR))
    return CZ_BUILD_DIR G_DIR_SEPARATOR_S "locale";
#endif
  return LOCALEDIR;
}

char *
cz_help_uri (const char *program, const char *anchor)
{
  g_autofree char *page = g_strconcat (program, ".html", NULL);
  g_autofree char *path = NULL;
  g_autofree char *uri = NULL;

#ifdef CZ_MAN_DIR
  /* The manual page, in yelp or whatever shows man: URIs, once installed. */
  if (anchor == NULL && !running_from_build_tree ())
    {
      g_autofree char *man = g_strconcat (CZ_MAN_DIR "/man1/", program, ".1", NULL);
      g_autoptr(GAppInfo) viewer = g_app_info_get_default_for_uri_scheme ("man");

      if (viewer != NULL && g_file_test (man, G_FILE_TEST_EXISTS))
        return g_strconcat ("man:", program, NULL);
    }
#endif
#ifdef CZ_SOURCE_DIR
  if (running_from_build_tree ())
    path = g_build_filename (CZ_SOURCE_DIR, "data", "help", page, NULL);
#endif
#ifdef CZ_HELP_DIR
  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_free (path);
      path = g_build_filename (CZ_HELP_DIR, page, NULL);
    }
#endif
  if (path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS)
      || (uri = g_filename_to_uri (path, NULL, NULL)) == NULL)
    return NULL;
  return anchor ? g_strconcat (uri, "#", anchor, NULL) : g_steal_pointer (&uri);
}

gboolean
cz_help_show (const char *uri, GAppLaunchContext *context, GError **error)
{
  g_autoptr(GAppInfo) browser = NULL;
  GList *uris;
  gboolean launched;

  if (!g_str_has_prefix (uri, "file:"))
    return g_app_info_launch_default_for_uri (uri, context, error);
  /* GIO refuses a file: URI with a #section (it names no file): hand it to
   * the HTML viewer itself, as a desktop's link would. */
  browser = g_app_info_get_default_for_type ("text/html", FALSE);
  if (browser == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("No web browser is installed to show %s."), uri);
      return FALSE;
    }
  uris = g_list_append (NULL, (gpointer) uri);
  launched = g_app_info_launch_uris (browser, uris, context, error);
  g_list_free (uris);
  return launched;
}

char *
cz_data_dir (void)
{
  char *dir = g_build_filename (g_get_user_data_dir (), "causerie", NULL);

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved_errno = errno;

      g_warning ("Could not create the data folder %s: %s",
                 dir, g_strerror (saved_errno));
    }

  return dir;
}
