/* cz-server-app.c: the server window's application: the server options
 * (parsed by GApplication, checked before any window opens), the style
 * sheet, actions and accelerators, the command line's effect on the first
 * window, the "listening on ADDR:PORT" line whenever a window starts its
 * server, and SIGTERM/SIGINT closing the windows cleanly. */
#include "config.h"

#include <stdio.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>

#include "cz-server-app.h"
#include "cz-server-options.h"
#include "cz-server-window.h"
#include "cz-ui-util.h"
#include "cz-util.h"

#define CZ_SERVER_APP_ID "org.causerie.Server"
#define PROGRAM "causerie-server"
#define HELP_ANCHOR_NO_WINDOW "headless"

struct _CzServerApp {
  GtkApplication parent_instance;

  CzServerOptions options;
  gboolean started;             /* the command line was applied once */
  guint sigterm_id, sigint_id;
};

G_DEFINE_TYPE (CzServerApp, cz_server_app, GTK_TYPE_APPLICATION)

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  /* Held: destroying one window may destroy others of the list with it
   * (dialogs transient for it, destroyed with their parent). */
  GList *windows = g_list_copy (gtk_application_get_windows (app));

  for (GList *l = windows; l; l = l->next)
    g_object_ref (l->data);
  /* Destroying a window stops its server off the main thread; the
   * application holds itself until every database is closed. */
  for (GList *l = windows; l; l = l->next)
    gtk_widget_destroy (l->data);
  g_list_free_full (windows, g_object_unref);
}

/* The installed icon (data/icons), or a stock one when run uninstalled. */
static const char *
app_icon_name (void)
{
  GtkIconTheme *theme = gtk_icon_theme_get_default ();

  return gtk_icon_theme_has_icon (theme, CZ_SERVER_APP_ID) ? CZ_SERVER_APP_ID : "network-server";
}

/* ---- Help -------------------------------------------------------------------------- */

static void
show_help_error (GtkWindow *parent, const char *detail)
{
  GtkWidget *dialog = gtk_message_dialog_new (parent,
                                              GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s",
                                              _("Could not open the help"));

  /* Translators: %s is why, then the program's name. */
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog),
                                            _("%s\n\n“man %s” in a terminal shows the manual."),
                                            detail, PROGRAM);
  g_signal_connect (dialog, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Shows @uri (cz_help_uri) on @parent's screen, or says why not. */
static void
show_help (GtkWindow *parent, const char *uri)
{
  g_autoptr(GdkAppLaunchContext) context = NULL;
  g_autoptr(GError) error = NULL;

  if (uri == NULL)
    {
      show_help_error (parent, _("The help pages are not installed."));
      return;
    }
  context = gdk_display_get_app_launch_context (gdk_display_get_default ());
  gdk_app_launch_context_set_timestamp (context, gtk_get_current_event_time ());
  if (!cz_help_show (uri, G_APP_LAUNCH_CONTEXT (context), &error))
    show_help_error (parent, error->message);
}

/* F1 and the menu's Help: the manual page in yelp, or the local help page
 * in the browser (cz_help_uri). */
static void
help_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_autofree char *uri = cz_help_uri (PROGRAM, NULL);

  show_help (gtk_application_get_active_window (user_data), uri);
}

static gboolean
help_link_cb (GtkLinkButton *button, gpointer user_data)
{
  show_help (GTK_WINDOW (gtk_widget_get_toplevel (GTK_WIDGET (button))),
             gtk_link_button_get_uri (button));
  return TRUE;
}

/* The About dialog's links to the sections of the help page, which are
 * the README's: getting started, without a window, files, security. */
static void
add_help_links (GtkAboutDialog *about)
{
  static const struct { const char *anchor; const char *label; } links[] = {
    { "start", N_("Getting started") },
    { HELP_ANCHOR_NO_WINDOW, N_("Without a window") },
    { "files", N_("Where things live") },
    { "security", N_("How it is secured") },
  };
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    {
      g_autofree char *uri = cz_help_uri (PROGRAM, links[i].anchor);
      GtkWidget *link;

      if (uri == NULL)
        continue;
      link = gtk_link_button_new_with_label (uri, _(links[i].label));
      g_signal_connect (link, "activate-link", G_CALLBACK (help_link_cb), NULL);
      gtk_container_add (GTK_CONTAINER (box), link);
    }
  gtk_widget_show_all (box);
  gtk_box_pack_end (GTK_BOX (gtk_dialog_get_content_area (GTK_DIALOG (about))), box,
                    FALSE, FALSE, 0);
}

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  const char *authors[] = { "The Causerie developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (app);
  GtkAboutDialog *about;

  about = g_object_new (GTK_TYPE_ABOUT_DIALOG,
                        "transient-for", parent,
                        "modal", TRUE,
                        "destroy-with-parent", TRUE,
                        "program-name", _("Causerie Server"),
                        "version", PACKAGE_VERSION,
                        "comments", _("A secure chat server that shows how each connection is "
                                      "secured: TLS 1.3, an application Diffie-Hellman exchange "
                                      "and SCRAM-SHA-256-PLUS logins."),
                        "copyright", _("© 2026 The Causerie developers"),
                        "logo-icon-name", app_icon_name (),
                        "authors", authors,
                        /* Translators: your names, one per line. */
                        "translator-credits", _("translator-credits"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        NULL);
  add_help_links (about);
  g_signal_connect (about, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_entries[] = {
  { "quit", quit_activated, NULL, NULL, NULL },
  { "help", help_activated, NULL, NULL, NULL },
  { "about", about_activated, NULL, NULL, NULL },
};

static gboolean
signal_cb (gpointer user_data)
{
  g_action_group_activate_action (G_ACTION_GROUP (user_data), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

static void
cz_server_app_startup (GApplication *application)
{
  CzServerApp *self = CZ_SERVER_APP (application);
  GtkApplication *app = GTK_APPLICATION (application);
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Primary>q", NULL } },
    { "app.help", { "F1", NULL } },
    { "win.start", { "F5", NULL } },
    { "win.stop", { "<Shift>F5", NULL } },
    { "win.create-certificate", { "<Primary>n", NULL } },
    { "win.show-page::tls", { "<Alt>1", NULL } },
    { "win.show-page::dh", { "<Alt>2", NULL } },
    { "win.show-page::messages", { "<Alt>3", NULL } },
  };

  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (cz_server_app_parent_class)->startup (application);

  g_set_application_name (_("Causerie Server"));
  /* Once for the screen, whatever the number of windows. */
  cz_ui_ensure_resources ();
  gtk_css_provider_load_from_resource (css, "/org/causerie/Server/style.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_window_set_default_icon_name (app_icon_name ());
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_entries, G_N_ELEMENTS (app_entries), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (app, accels[i].action, accels[i].accels);

  self->sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, app);
  self->sigint_id = g_unix_signal_add (SIGINT, signal_cb, app);
}

static void
cz_server_app_shutdown (GApplication *application)
{
  CzServerApp *self = CZ_SERVER_APP (application);

  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  G_APPLICATION_CLASS (cz_server_app_parent_class)->shutdown (application);
}

/* Scripts wait for this line (DESIGN §4), whether the command line, --demo
 * or a click started the server. */
static void
window_running_cb (CzServerWindow *window, GParamSpec *pspec, CzServerApp *self)
{
  if (!cz_server_window_is_running (window))
    return;
  printf ("listening on %s\n", cz_server_window_get_address (window));
  fflush (stdout);
}

static void
cz_server_app_activate (GApplication *application)
{
  CzServerApp *self = CZ_SERVER_APP (application);
  const CzServerOptions *o = &self->options;
  CzServerWindow *window;
  g_autoptr(GError) error = NULL;

  window = cz_server_window_new (GTK_APPLICATION (application));
  g_signal_connect_object (window, "notify::running", G_CALLBACK (window_running_cb), self, 0);
  gtk_window_present (GTK_WINDOW (window));
  if (self->started)
    return;
  self->started = TRUE;

  cz_server_window_apply_options (window, o);
  if (o->demo)
    cz_server_window_start_demo (window, o->port);
  else if (o->port >= 0 || o->cert || o->key)
    {
      /* Scripted start: "listening on ADDR:PORT" on stdout, or the reason. */
      if (!cz_server_window_start (window, FALSE, &error))
        {
          g_printerr ("causerie-server: %s\n", error->message);
          cz_server_window_show_message (window, GTK_MESSAGE_ERROR, error->message);
        }
    }
}

/* After GApplication parsed the options, before it registers: the same
 * checks as --headless, then the display, so that a bad option or a
 * missing display is a message and an exit status, not a window. */
static int
cz_server_app_handle_local_options (GApplication *application, GVariantDict *dict)
{
  CzServerApp *self = CZ_SERVER_APP (application);
  g_autoptr(GError) error = NULL;
  CzServerConfig config;

  if (!cz_server_options_to_config (&self->options, &config, &error))
    {
      g_printerr ("causerie-server: %s\n", error->message);
      return 2;
    }
  /* The window's class and accessible name, even when run through libtool. */
  g_set_prgname ("causerie-server");
  if (!gtk_init_check (NULL, NULL))
    {
      g_printerr ("causerie-server: %s\n",
                  _("cannot open the display; use --headless to run without a window"));
      return 1;
    }
  return -1;
}

static void
cz_server_app_finalize (GObject *object)
{
  CzServerApp *self = CZ_SERVER_APP (object);

  cz_server_options_clear (&self->options);
  G_OBJECT_CLASS (cz_server_app_parent_class)->finalize (object);
}

static void
cz_server_app_init (CzServerApp *self)
{
  g_application_add_option_group (G_APPLICATION (self), cz_server_options_group (&self->options));
  /* Arguments that are not options are ignored, as they always were: the
   * window opens no files. */
  g_application_add_main_option (G_APPLICATION (self), G_OPTION_REMAINING, 0, G_OPTION_FLAG_HIDDEN,
                                 G_OPTION_ARG_STRING_ARRAY, "", NULL);
}

static void
cz_server_app_class_init (CzServerAppClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = cz_server_app_finalize;
  app_class->startup = cz_server_app_startup;
  app_class->shutdown = cz_server_app_shutdown;
  app_class->activate = cz_server_app_activate;
  app_class->handle_local_options = cz_server_app_handle_local_options;
}

CzServerApp *
cz_server_app_new (void)
{
  return g_object_new (CZ_TYPE_SERVER_APP,
                       "application-id", CZ_SERVER_APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       NULL);
}
