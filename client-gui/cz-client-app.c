/* cz-client-app.c: the client's application: one window, options that
 * prefill the connect form (also from a second launch), app actions. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cz-util.h"
#include "cz-client-main.h"
#include "cz-client-app.h"
#include "cz-client-dialogs.h"
#include "cz-client-window.h"

#define CZ_CLIENT_APP_ID "org.causerie.Client"
#define PROGRAM "causerie-client"
#define HELP_ANCHOR_NO_WINDOW "terminal"

struct _CzClientApp {
  GtkApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (CzClientApp, cz_client_app, GTK_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "host", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Server host name or address"), N_("HOST") },
  { "port", 0, 0, G_OPTION_ARG_INT, NULL, N_("Server port (default 7443)"), N_("N") },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("CA certificate to verify the server with"),
    N_("FILE") },
  { "cert", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Client certificate (PEM)"), N_("FILE") },
  { "key", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Private key of the client certificate (PEM)"),
    N_("FILE") },
  { NULL }
};

/* The terminal client's own options, for --help to list (--help-cli):
 * main () hands any command line with --cli to the terminal client first,
 * so here they can only be a mistake. */
typedef struct {
  gboolean cli, tofu, json;
  char *pin, *known_servers;
} CliArgs;

static void
cli_args_free (gpointer data)
{
  CliArgs *a = data;

  g_free (a->pin);
  g_free (a->known_servers);
  g_free (a);
}

static gboolean
cli_args_post_parse (GOptionContext *context, GOptionGroup *group, gpointer data, GError **error)
{
  CliArgs *a = data;

  if (a->tofu || a->json || a->pin || a->known_servers)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("--pin, --trust-on-first-use, --known-servers and --json go with --cli"));
      return FALSE;
    }
  return TRUE;
}

static GOptionGroup *
cli_group_new (void)
{
  CliArgs *a = g_new0 (CliArgs, 1);
  /* The same descriptions as the terminal client's own --help. */
  const GOptionEntry entries[] = {
    { "cli", 0, 0, G_OPTION_ARG_NONE, &a->cli, N_("Terminal mode: commands on standard input"),
      NULL },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &a->pin,
      N_("Trust exactly this server key (SHA-256 of its public key)"), N_("SHA256-HEX") },
    { "trust-on-first-use", 0, 0, G_OPTION_ARG_NONE, &a->tofu,
      N_("Pin the server's key on first connection; refuse if it changes"), NULL },
    { "known-servers", 0, 0, G_OPTION_ARG_FILENAME, &a->known_servers,
      N_("Pin file (default $XDG_DATA_HOME/causerie/known-servers)"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &a->json,
      N_("One JSON object per line on standard output"), NULL },
    { NULL }
  };
  GOptionGroup *group = g_option_group_new ("cli",
                                            _("Terminal client options (with --cli, "
                                              "which also takes the options above):"),
                                            _("Show the terminal client's options"),
                                            a, cli_args_free);

  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_group_set_parse_hooks (group, NULL, cli_args_post_parse);
  return group;
}

/* The installed icon (data/icons), or a stock one when run uninstalled. */
static const char *
app_icon_name (void)
{
  GtkIconTheme *theme = gtk_icon_theme_get_default ();

  return gtk_icon_theme_has_icon (theme, CZ_CLIENT_APP_ID) ? CZ_CLIENT_APP_ID : "user-available";
}

/* The one window: a second launch presents it again (the application is
 * unique, so that launch's command line arrives here). */
static CzClientWindow *
get_window (GtkApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (app);

  if (window == NULL)
    {
      window = GTK_WINDOW (cz_client_window_new (app));
      gtk_window_set_icon_name (window, app_icon_name ());
    }
  return CZ_CLIENT_WINDOW (window);
}

/* ---- Actions -------------------------------------------------------------------- */

static void
preferences_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  g_autoptr(GSettings) settings = cz_settings_new ("org.causerie.Client");
  GtkWidget *dialog;

  if (settings == NULL)   /* no schema at all: cz_settings_new said so */
    return;
  dialog = cz_prefs_dialog_new (gtk_application_get_active_window (app), settings);

  g_signal_connect (dialog, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
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
  static const char *const authors[] = { "The Causerie developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (app);
  GtkAboutDialog *about;

  about = g_object_new (GTK_TYPE_ABOUT_DIALOG,
                        "transient-for", parent,
                        "modal", TRUE,
                        "destroy-with-parent", TRUE,
                        "program-name", _("Causerie"),
                        "logo-icon-name", app_icon_name (),
                        "version", PACKAGE_VERSION,
                        "comments", _("Secure chat for a LAN or a small team: TLS 1.3, "
                                      "application Diffie-Hellman and SCRAM logins you "
                                      "can inspect."),
                        "copyright", _("© 2026 The Causerie developers"),
                        "authors", authors,
                        /* Translators: your names, one per line. */
                        "translator-credits", _("translator-credits"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        NULL);
  add_help_links (about);
  g_signal_connect (about, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = user_data;
  GList *windows = gtk_application_get_windows (app);

  /* Closing saves the geometry and says bye. */
  while (windows)
    {
      GList *next = windows->next;
      gtk_window_close (windows->data);
      windows = next;
    }
  g_application_quit (G_APPLICATION (app));
}

static void
show_conversation_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  CzClientWindow *window = get_window (user_data);

  cz_client_window_show_conversation (window, g_variant_get_string (param, NULL));
}

static const GActionEntry app_entries[] = {
  { "preferences", preferences_activated, NULL, NULL, NULL, { 0 } },
  { "help", help_activated, NULL, NULL, NULL, { 0 } },
  { "about", about_activated, NULL, NULL, NULL, { 0 } },
  { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
  { "show-conversation", show_conversation_activated, "s", NULL, NULL, { 0 } },
};

static const struct {
  const char *action;
  const char *accels[3];
} accels[] = {
  { "app.quit", { "<Primary>q", NULL } },
  { "app.help", { "F1", NULL } },
  { "app.preferences", { "<Primary>comma", NULL } },
  { "win.details", { "<Primary>i", NULL } },
  { "win.focus-entry", { "<Primary>l", NULL } },
  { "win.next-conversation", { "<Alt>Down", "<Primary>Page_Down", NULL } },
  { "win.previous-conversation", { "<Alt>Up", "<Primary>Page_Up", NULL } },
  { "win.show-menu", { "F10", NULL } },
};

/* ---- Application ------------------------------------------------------------------- */

static void
cz_client_app_startup (GApplication *app)
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (cz_client_app_parent_class)->startup (app);
  gtk_window_set_default_icon_name (app_icon_name ());
  g_type_ensure (CZ_TYPE_CLIENT_WINDOW);   /* registers the resources */
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_entries, G_N_ELEMENTS (app_entries),
                                   app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action,
                                           accels[i].accels);
  gtk_css_provider_load_from_resource (css, "/org/causerie/Client/cz-client.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static void
cz_client_app_activate (GApplication *app)
{
  gtk_window_present (GTK_WINDOW (get_window (GTK_APPLICATION (app))));
}

/* The file option @name of that launch, as an absolute path (it may have
 * run elsewhere than the first one); NULL when not given. */
static char *
file_option (GApplicationCommandLine *cmdline, GVariantDict *opts, const char *name)
{
  const char *arg = NULL;
  g_autoptr(GFile) file = NULL;

  if (!g_variant_dict_lookup (opts, name, "^&ay", &arg))
    return NULL;
  file = g_application_command_line_create_file_for_arg (cmdline, arg);
  return g_file_get_path (file);
}

static int
cz_client_app_command_line (GApplication *app, GApplicationCommandLine *cmdline)
{
  GVariantDict *opts = g_application_command_line_get_options_dict (cmdline);
  CzClientWindow *window = get_window (GTK_APPLICATION (app));
  const char *host = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *cert_file = NULL;
  g_autofree char *key_file = NULL;
  int port = 0;

  g_variant_dict_lookup (opts, "host", "&s", &host);
  if (g_variant_dict_lookup (opts, "port", "i", &port) && (port < 1 || port > 65535))
    {
      g_application_command_line_printerr (cmdline, "%s\n", _("--port must be 1 to 65535"));
      return 2;
    }
  ca_file = file_option (cmdline, opts, "ca-file");
  cert_file = file_option (cmdline, opts, "cert");
  key_file = file_option (cmdline, opts, "key");
  cz_client_window_prefill (window, host, (guint16) port, ca_file);
  if (cert_file || key_file)
    cz_client_window_prefill_client_cert (window, cert_file, key_file);
  gtk_window_present (GTK_WINDOW (window));
  return 0;
}

static void
cz_client_app_class_init (CzClientAppClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->startup = cz_client_app_startup;
  app_class->activate = cz_client_app_activate;
  app_class->command_line = cz_client_app_command_line;
}

static void
cz_client_app_init (CzClientApp *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_add_option_group (G_APPLICATION (self), cli_group_new ());
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("The Causerie chat window. Use --cli for the "
                                              "terminal client."));
  g_application_set_option_context_description (G_APPLICATION (self),
                                                _("--help-cli lists the terminal client's "
                                                  "options, --help-all every option."));
}

CzClientApp *
cz_client_app_new (void)
{
  return g_object_new (CZ_TYPE_CLIENT_APP,
                       "application-id", CZ_CLIENT_APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       NULL);
}

int
cz_client_window_main (int argc, char **argv)
{
  g_autoptr(CzClientApp) app = NULL;

  g_set_application_name (_("Causerie"));
  app = cz_client_app_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
