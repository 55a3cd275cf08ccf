/* cz-util.h: small helpers shared by the whole library. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Lower-case hex of @len bytes; free with g_free. */
char *cz_hex_encode (const guint8 *data, gsize len);
/* Hex with ':' between bytes, upper case (certificate fingerprints). */
char *cz_hex_encode_colons (const guint8 *data, gsize len);
/* Parses hex (case-insensitive, ':' and whitespace ignored).  Returns NULL
 * and sets @error on odd length or a non-hex character. */
GBytes *cz_hex_decode (const char *hex, GError **error);
/* "ab12 cd34 …": a key fingerprint (lower-case hex) in groups of four on
 * two lines, the way both windows show it so people can compare them. */
char *cz_format_fingerprint (const char *hex);

/* Zeroes memory in a way the compiler will not elide. */
void cz_memwipe (void *p, gsize len);
/* Wipes then frees a NUL-terminated string (passwords). */
void cz_str_wipe_free (char *s);

/* Writes @len bytes to @path atomically (temporary file created with
 * @mode, fsync, rename, fsync of the folder), leaving exactly @mode
 * whatever the umask (0600 for keys, 0644 for certificates). */
gboolean cz_write_file_atomic (const char *path, const void *data, gsize len,
                               int mode, GError **error);

/* Unix time in milliseconds (wall clock). */
gint64 cz_now_ms (void);
/* @unix_ms as local time, or NULL if out of range.  The local zone is
 * looked up once per process (GLib's _local () calls re-read the zone
 * files every time: too slow for a log line per message). */
GDateTime *cz_local_time (gint64 unix_ms);

/* The resource path where each program embeds data/gschemas.compiled. */
#define CZ_SCHEMAS_RESOURCE "/org/causerie/schemas/gschemas.compiled"

/* GSettings for @schema_id from the installed schemas or, for a program
 * run from its build tree, from the schemas compiled there; when neither
 * has it, the copy embedded at CZ_SCHEMAS_RESOURCE with an in-memory
 * backend (defaults, nothing remembered) and a warning.  NULL, with a
 * warning, only if the program embeds no such schema either. */
GSettings *cz_settings_new (const char *schema_id);

/* Where bindtextdomain () finds the catalogues: the build tree's locale/
 * for a program run from it, else LOCALEDIR. */
const char *cz_locale_dir (void);

/* What shows @program's help (causerie-client, causerie-server): with no
 * @anchor, "man:PROGRAM" when its manual page is installed and something
 * (yelp) shows man: URIs; else the file: URI of its HTML help page, at
 * @anchor if given (the source tree's data/help for a program run from its
 * build tree, else the installed one).  NULL if no page is found. */
char *cz_help_uri (const char *program, const char *anchor);

/* Shows a cz_help_uri () URI: man: through its viewer, a file: page (with
 * its #section) in the default HTML viewer. */
gboolean cz_help_show (const char *uri, GAppLaunchContext *context, GError **error);

/* $XDG_DATA_HOME/causerie, created 0700 if missing. */
char *cz_data_dir (void);

G_END_DECLS
