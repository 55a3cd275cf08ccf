/* pg-cluster.c: a throw-away PostgreSQL cluster for the tests
 * (pg-cluster.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>

#include "pg-cluster.h"

struct _CzPgCluster {
  char *dir;           /* owned by the unprivileged user; socket here */
  char *data;
  char *log;
  int reaper_fd;       /* write end: its closing tells the watchdog */
  GPid reaper;
  guint n_dbs;
};

const char *
cz_pg_bindir (void)
{
  static char *found;
  static gboolean looked;

  if (looked)
    return found;
  looked = TRUE;
  if (g_getenv ("CZ_PG_BINDIR") != NULL)
    found = g_strdup (g_getenv ("CZ_PG_BINDIR"));
  else
    {
      g_autoptr(GDir) dir = g_dir_open ("/usr/lib/postgresql", 0, NULL);
      const char *name;
      guint best = 0;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          guint v = (guint) g_ascii_strtoull (name, NULL, 10);
          g_autofree char *bin = g_build_filename ("/usr/lib/postgresql", name, "bin", NULL);
          g_autofree char *initdb = g_build_filename (bin, "initdb", NULL);

          if (v > best && g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE))
            {
              best = v;
              g_free (found);
              found = g_steal_pointer (&bin);
            }
        }
    }
  if (found != NULL)
    {
      g_autofree char *pg_ctl = g_build_filename (found, "pg_ctl", NULL);

      if (!g_file_test (pg_ctl, G_FILE_TEST_IS_EXECUTABLE))
        g_clear_pointer (&found, g_free);
    }
  return found;
}

/* argv of @program run as the unprivileged user (as is when not root). */
static GPtrArray *
as_user_argv (const char *program)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  if (geteuid () == 0)
    {
      struct passwd *pw = getpwnam ("nobody");

      g_assert_nonnull (pw);
      g_ptr_array_add (argv, g_strdup ("setpriv"));
      g_ptr_array_add (argv, g_strdup_printf ("--reuid=%u", (guint) pw->pw_uid));
      g_ptr_array_add (argv, g_strdup_printf ("--regid=%u", (guint) pw->pw_gid));
      g_ptr_array_add (argv, g_strdup ("--clear-groups"));
      g_ptr_array_add (argv, g_strdup ("--"));
    }
  g_ptr_array_add (argv, g_build_filename (cz_pg_bindir (), program, NULL));
  return argv;
}

static gboolean
run_as_user (CzPgCluster *self, GPtrArray *argv, gboolean must)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *envp[] = { "LC_ALL=C", "PATH=/usr/bin:/bin", NULL };
  int status = 0;

  g_ptr_array_add (argv, NULL);
  g_spawn_sync (self->dir, (char **) argv->pdata, (char **) envp, G_SPAWN_SEARCH_PATH,
                NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (must && !g_spawn_check_wait_status (status, NULL))
    {
      g_autofree char *log = NULL;

      g_file_get_contents (self->log, &log, NULL, NULL);
      g_error ("%s failed:\n%s%s\n%s", (char *) argv->pdata[0], out, err, log ? log : "");
    }
  g_ptr_array_unref (argv);
  return g_spawn_check_wait_status (status, NULL);
}

static GPtrArray *
pg_ctl_argv (CzPgCluster *self, const char *action)
{
  GPtrArray *argv = as_user_argv ("pg_ctl");

  g_ptr_array_add (argv, g_strdup ("-D"));
  g_ptr_array_add (argv, g_strdup (self->data));
  g_ptr_array_add (argv, g_strdup ("-w"));
  g_ptr_array_add (argv, g_strdup ("-t"));
  g_ptr_array_add (argv, g_strdup ("60"));
  if (g_str_equal (action, "start"))
    {
      g_ptr_array_add (argv, g_strdup ("-l"));
      g_ptr_array_add (argv, g_strdup (self->log));
      g_ptr_array_add (argv, g_strdup ("-o"));
      /* No TCP: a socket in the folder only.  fsync off: the tests kill
       * nodes, not the machine. */
      g_ptr_array_add (argv, g_strdup_printf ("-k %s -c listen_addresses= -c fsync=off "
                                              "-c max_connections=60", self->dir));
    }
  else
    {
      g_ptr_array_add (argv, g_strdup ("-m"));
      g_ptr_array_add (argv, g_strdup (action));   /* "fast" or "immediate" */
    }
  g_ptr_array_add (argv, g_strdup (g_str_equal (action, "start") ? "start" : "stop"));
  return argv;
}

/* The watchdog: waits until the test process is gone (the pipe's write
 * end closes), then stops the cluster and removes its folder.  Only
 * async-signal-safe calls after fork(). */
static void
start_reaper (CzPgCluster *self)
{
  g_autoptr(GPtrArray) stop = pg_ctl_argv (self, "immediate");
  char *rm[] = { "/bin/rm", "-rf", self->dir, NULL };
  int fds[2];
  pid_t pid;

  g_ptr_array_add (stop, NULL);
  g_assert_cmpint (pipe2 (fds, O_CLOEXEC), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      char c;
      pid_t child;
      int status;

      for (int fd = 3; fd < 1024; fd++)
        if (fd != fds[0])
          close (fd);
      while (read (fds[0], &c, 1) > 0 || errno == EINTR)
        ;
      if ((child = fork ()) == 0)
        {
          int null = open ("/dev/null", O_WRONLY);
          dup2 (null, 1), dup2 (null, 2);
          execvp (stop->pdata[0], (char **) stop->pdata);
          _exit (127);
        }
      if (child > 0)
        waitpid (child, &status, 0);
      if ((child = fork ()) == 0)
        {
          execv (rm[0], rm);
          _exit (127);
        }
      if (child > 0)
        waitpid (child, &status, 0);
      _exit (0);
    }
  close (fds[0]);
  self->reaper_fd = fds[1];
  self->reaper = pid;
}

CzPgCluster *
cz_pg_cluster_start (void)
{
  g_autoptr(GError) error = NULL;
  CzPgCluster *self;
  GPtrArray *argv;

  if (cz_pg_bindir () == NULL)
    return NULL;
  self = g_new0 (CzPgCluster, 1);
  self->reaper_fd = -1;
  self->dir = g_dir_make_tmp ("cz-pg-XXXXXX", &error);
  g_assert_no_error (error);
  self->data = g_build_filename (self->dir, "data", NULL);
  self->log = g_build_filename (self->dir, "postgresql.log", NULL);
  if (geteuid () == 0)
    {
      struct passwd *pw = getpwnam ("nobody");

      g_assert_nonnull (pw);
      g_assert_cmpint (chown (self->dir, pw->pw_uid, pw->pw_gid), ==, 0);
    }
  g_chmod (self->dir, 0700);

  argv = as_user_argv ("initdb");
  for (const char *arg = "-D"; arg != NULL; arg = NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, g_strdup (self->data));
  g_ptr_array_add (argv, g_strdup ("-U"));
  g_ptr_array_add (argv, g_strdup ("causerie"));
  g_ptr_array_add (argv, g_strdup ("-A"));
  g_ptr_array_add (argv, g_strdup ("trust"));
  g_ptr_array_add (argv, g_strdup ("-E"));
  g_ptr_array_add (argv, g_strdup ("UTF8"));
  g_ptr_array_add (argv, g_strdup ("--locale=C"));
  g_ptr_array_add (argv, g_strdup ("--no-sync"));
  run_as_user (self, argv, TRUE);
  start_reaper (self);
  cz_pg_cluster_start_server (self);
  return self;
}

void
cz_pg_cluster_start_server (CzPgCluster *self)
{
  run_as_user (self, pg_ctl_argv (self, "start"), TRUE);
}

void
cz_pg_cluster_stop_server (CzPgCluster *self)
{
  run_as_user (self, pg_ctl_argv (self, "fast"), TRUE);
}

static char *
uri_of (CzPgCluster *self, const char *db)
{
  return g_strdup_printf ("postgresql://causerie@/%s?host=%s", db, self->dir);
}

char *
cz_pg_query (const char *uri, const char *sql)
{
  PGconn *conn = PQconnectdb (uri);
  PGresult *res;
  char *value;

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("cannot connect to %s: %s", uri, PQerrorMessage (conn));
  res = PQexec (conn, sql);
  if (PQresultStatus (res) != PGRES_TUPLES_OK && PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (res));
  value = g_strdup (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) > 0
                    ? PQgetvalue (res, 0, 0) : "");
  PQclear (res);
  PQfinish (conn);
  return value;
}

char *
cz_pg_cluster_new_db (CzPgCluster *self)
{
  g_autofree char *admin = uri_of (self, "postgres");
  g_autofree char *name = g_strdup_printf ("test%u", ++self->n_dbs);
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);

  g_free (cz_pg_query (admin, sql));
  return uri_of (self, name);
}

void
cz_pg_cluster_free (CzPgCluster *self)
{
  int status;

  if (self == NULL)
    return;
  /* The watchdog stops the server and removes the folder. */
  close (self->reaper_fd);
  waitpid (self->reaper, &status, 0);
  g_free (self->dir);
  g_free (self->data);
  g_free (self->log);
  g_free (self);
}
