/* cz-headless.c: the server without a window. */
#include "config.h"

#include <inttypes.h>

#include <stdio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>

#include "cz-headless.h"

char *
cz_server_event_to_line (const CzServerEvent *e)
{
  /* Looked up once: GLib re-reads the zone files on every _now_local (). */
  static GTimeZone *zone;
  g_autoptr(GDateTime) now = NULL;

  if (g_once_init_enter (&zone))
    g_once_init_leave (&zone, g_time_zone_new_local ());
  now = g_date_time_new_now (zone);
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");

  switch (e->kind)
    {
    case CZ_SERVER_EVENT_CONNECTED:
      return g_strdup_printf (_("%s #%" PRIu64 " connected from %s"),
                              stamp, e->client_id, e->address);
    case CZ_SERVER_EVENT_READY:
      return g_strdup_printf (_("%s #%" PRIu64 " secured: %s %s %s; DH %s; code %s"),
                              stamp, e->client_id, e->info->protocol, e->info->cipher,
                              e->info->group, e->info->dh_group, e->info->code);
    case CZ_SERVER_EVENT_LOGGED_IN:
      return g_strdup_printf (_("%s #%" PRIu64 " logged in as %s"),
                              stamp, e->client_id, e->user);
    case CZ_SERVER_EVENT_MESSAGE:
      return g_strdup_printf (_("%s message %" PRId64 " from %s to %s: %s"),
                              stamp, e->message_id, e->from, e->to ? e->to : "#lobby", e->text);
    case CZ_SERVER_EVENT_DISCONNECTED:
      return g_strdup_printf (_("%s #%" PRIu64 " disconnected%s%s"),
                              stamp, e->client_id, e->text ? ": " : "", e->text ? e->text : "");
    case CZ_SERVER_EVENT_LOG:
      return g_strdup_printf ("%s %s", stamp, e->text);
    }
  return g_strdup (stamp);
}

static void
log_event_cb (const CzServerEvent *event, gpointer user_data)
{
  g_autofree char *line = cz_server_event_to_line (event);
  fprintf (stderr, "%s\n", line);
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

int
cz_headless_run (const CzServerOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  CzServerConfig config;
  CzServer *server;

  if (!cz_server_options_to_config (options, &config, &error))
    {
      g_printerr ("causerie-server: %s\n", error->message);
      return 2;
    }
  server = cz_server_new (&config, &error);
  if (server == NULL)
    {
      g_printerr ("causerie-server: %s\n", error->message);
      return 1;
    }
  cz_server_set_event_func (server, log_event_cb, NULL);
  /* Handlers first: a SIGTERM right after "listening on" must stop cleanly. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  if (!cz_server_start (server, &error))
    {
      g_printerr ("causerie-server: %s\n", error->message);
      cz_server_free (server);
      return 1;
    }
  printf ("listening on %s\n", cz_server_get_address (server));
  fflush (stdout);

  g_main_loop_run (loop);

  fprintf (stderr, "%s\n", _("stopping: saying goodbye to clients and closing the database"));
  cz_server_free (server);
  return 0;
}
