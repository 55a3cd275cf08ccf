/* standalone-main.c: replays inputs through a fuzz target without
 * libFuzzer (make check, and for debugging a crash with gdb/valgrind).
 *
 *   fuzz-NAME FILE|DIR...   runs every file given or found in the folders
 *   fuzz-NAME               runs $G_TEST_SRCDIR/fuzz/NAME.in/ (the seed
 *                           corpus) and NAME.crashes/ (reproducers), if any
 *
 * Output is TAP, one test per argument.  An input that crashes kills the
 * program (the harness aborts on a broken property): the line "# input
 * PATH" on standard error just before names it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fuzz.h"

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Every regular file under @path (itself if it is a file), sorted. */
static void
collect (const char *path, GPtrArray *files)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) here = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  here = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (here, g_build_filename (path, name, NULL));
  g_ptr_array_sort (here, compare_paths);
  for (guint i = 0; i < here->len; i++)
    collect (here->pdata[i], files);
}

static gboolean
run_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree guint8 *copy = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      g_printerr ("# %s\n", error->message);
      return FALSE;
    }
  g_printerr ("# input %s\n", path);
  /* An exact-size copy, so that AddressSanitizer (when enabled) sees reads
   * past the end as libFuzzer would. */
  copy = g_memdup2 (contents, len);
  LLVMFuzzerTestOneInput (copy, len);
  return TRUE;
}

/* The target's name from argv[0]: ".../fuzz-frame" (or "lt-fuzz-frame") → "frame". */
static char *
target_name (const char *argv0)
{
  g_autofree char *base = g_path_get_basename (argv0);
  const char *p = base;

  if (g_str_has_prefix (p, "lt-"))
    p += 3;
  if (g_str_has_prefix (p, "fuzz-"))
    p += 5;
  return g_strdup (p);
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  guint failed = 0;

  LLVMFuzzerInitialize (&argc, &argv);

  if (argc > 1)
    {
      for (int i = 1; i < argc; i++)
        g_ptr_array_add (args, g_strdup (argv[i]));
    }
  else
    {
      const char *srcdir = g_getenv ("G_TEST_SRCDIR");
      g_autofree char *name = target_name (argv[0]);
      g_autofree char *seeds = NULL;
      g_autofree char *crashes = NULL;

      if (srcdir == NULL)
        {
          printf ("1..0 # SKIP G_TEST_SRCDIR is not set and no input was given\n");
          return 0;
        }
      seeds = g_strdup_printf ("%s/fuzz/%s.in", srcdir, name);
      crashes = g_strdup_printf ("%s/fuzz/%s.crashes", srcdir, name);
      g_ptr_array_add (args, g_strdup (seeds));
      if (g_file_test (crashes, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (args, g_strdup (crashes));
    }

  printf ("1..%u\n", args->len);
  fflush (stdout);
  for (guint i = 0; i < args->len; i++)
    {
      const char *arg = args->pdata[i];
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
      guint ran = 0;

      if (!g_file_test (arg, G_FILE_TEST_EXISTS))
        {
          printf ("not ok %u - %s: no such file or folder\n", i + 1, arg);
          failed++;
          continue;
        }
      collect (arg, files);
      for (guint j = 0; j < files->len; j++)
        if (run_file (files->pdata[j]))
          ran++;
      /* A seed corpus must not be empty: that would test nothing. */
      if (ran == files->len && ran > 0)
        printf ("ok %u - %s (%u inputs)\n", i + 1, arg, ran);
      else
        {
          printf ("not ok %u - %s (%u of %u inputs read)\n", i + 1, arg, ran, files->len);
          failed++;
        }
      fflush (stdout);
    }
  return failed ? 1 : 0;
}
