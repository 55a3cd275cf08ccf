/* test-server-window.c: the server window's widgets, in process: the TLS
 * and Diffie-Hellman panes fed with a real session, the Create Certificate
 * dialog (success and errors), and the window driving a real engine with a
 * real CLI client (the message log: test-message-log.c).  Skipped without a
 * display. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <gnutls/x509.h>

#include "testutil.h"
#include "cz-cert.h"
#include "cz-cert-generate.h"
#include "cz-cert-dialog.h"
#include "cz-dh-view.h"
#include "cz-event-sink.h"
#include "cz-message-log.h"
#include "cz-server-form.h"
#include "cz-server-window.h"
#include "cz-tls-view.h"
#include "cz-ui-util.h"
#include "cz-error.h"
#include "cz-util.h"

static gboolean have_display;

static gboolean
need_display (void)
{
  if (!have_display)
    g_test_skip ("no display (run under xvfb-run)");
  return have_display;
}

/* ---- Widget tree helpers ------------------------------------------------------ */

typedef struct {
  const char *name;
  GtkWidget *found;
  GString *texts;
  GtkWidget *root;
} Walk;

static void
walk_cb (GtkWidget *widget, gpointer data)
{
  Walk *w = data;
  const char *name;

  /* Reading what shows: nothing under a hidden widget or a collapsed
   * expander. */
  if (w->texts && widget != w->root && (!gtk_widget_get_visible (widget)
                   || (GTK_IS_EXPANDER (gtk_widget_get_parent (widget))
                       && !gtk_expander_get_expanded (GTK_EXPANDER (gtk_widget_get_parent (widget)))
                       && gtk_bin_get_child (GTK_BIN (gtk_widget_get_parent (widget))) == widget)))
    return;
  name = GTK_IS_BUILDABLE (widget) ? gtk_buildable_get_name (GTK_BUILDABLE (widget)) : NULL;

  if (w->name && w->found == NULL && g_strcmp0 (name, w->name) == 0)
    w->found = widget;
  if (w->texts && GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget))
    {
      g_string_append (w->texts, gtk_label_get_text (GTK_LABEL (widget)));
      g_string_append_c (w->texts, '\n');
    }
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), walk_cb, data);
}

static GtkWidget *
find_widget (GtkWidget *root, const char *name)
{
  Walk w = { name, NULL, NULL };

  walk_cb (root, &w);
  g_assert_nonnull (w.found);
  return w.found;
}

/* The text of every visible label under @root, one a line. */
static char *
label_texts (GtkWidget *root)
{
  Walk w = { NULL, NULL, g_string_new (NULL), root };

  walk_cb (root, &w);
  return g_string_free (w.texts, FALSE);
}

/* @text with all white space removed. */
static char *
squeeze (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

static guint
count (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* ---- A real session to show ---------------------------------------------------- */

typedef struct {
  char *dir;
  CzTlsServerConfig *server_config;
  CzTlsClientConfig *client_config;
} Pki;

static void
pki_setup (Pki *p)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = NULL, *key = NULL, *ca = NULL;
  CzTlsClientOptions options = { .trust = CZ_TRUST_CA };

  p->dir = cz_test_make_pki ();
  cert = g_build_filename (p->dir, "server.pem", NULL);
  key = g_build_filename (p->dir, "server-key.pem", NULL);
  ca = g_build_filename (p->dir, "ca.pem", NULL);
  p->server_config = cz_tls_server_config_new (cert, key, NULL, CZ_CLIENT_CERT_NONE, NULL, &error);
  g_assert_no_error (error);
  options.ca_file = ca;
  p->client_config = cz_tls_client_config_new (&options, &error);
  g_assert_no_error (error);
}

static void
pki_clear (Pki *p)
{
  g_clear_pointer (&p->server_config, cz_tls_server_config_unref);
  g_clear_pointer (&p->client_config, cz_tls_client_config_unref);
  cz_test_rmdir (p->dir);
  g_free (p->dir);
}

/* The server side's session info of a fresh in-memory connection; the
 * connection stays open while *@keep is (NULL: closed at once, and its
 * private value gone with it). */
static CzSessionInfo *
session_info_keep (Pki *p, CzDhGroup group, CzTestPair **keep)
{
  g_autoptr(CzTestPair) pair = cz_test_pair_new (p->server_config, p->client_config,
                                                 "localhost", group);
  CzSessionInfo *info;

  cz_test_pair_pump (pair);
  g_assert_true (pair->server_ready);
  info = cz_channel_get_info (pair->server);
  g_assert_nonnull (info);
  info = cz_session_info_ref (info);
  if (keep)
    *keep = g_steal_pointer (&pair);
  return info;
}

static CzSessionInfo *
session_info (Pki *p, CzDhGroup group)
{
  return session_info_keep (p, group, NULL);
}

static void
test_group_hex (void)
{
  g_autofree char *a = cz_ui_group_hex ("0123456789ABCDEF01");
  g_autofree char *b = cz_ui_group_hex ("00:11:22:33");
  g_autofree char *c = cz_ui_group_hex ("0000000011111111222222223333333344");

  g_assert_cmpstr (a, ==, "0123 4567 89ab cdef 01");
  g_assert_cmpstr (b, ==, "0011 2233");
  /* Eight groups (16 bytes) a line. */
  g_assert_cmpstr (c, ==, "0000 0000 1111 1111 2222 2222 3333 3333\n44");
}

static void
test_tls_view (void)
{
  Pki p = { 0 };
  g_autoptr(CzSessionInfo) info = NULL;
  GtkWidget *view;
  g_autofree char *texts = NULL;

  if (!need_display ())
    return;
  pki_setup (&p);
  info = session_info (&p, CZ_DH_X25519);
  view = g_object_ref_sink (cz_tls_view_new ());

  cz_tls_view_set_client (CZ_TLS_VIEW (view), NULL, NULL, NULL, FALSE);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (view)), ==, "empty");
  cz_tls_view_set_client (CZ_TLS_VIEW (view), "127.0.0.1:4000", NULL, NULL, TRUE);
  texts = label_texts (gtk_stack_get_visible_child (GTK_STACK (view)));
  g_assert_nonnull (strstr (texts, "127.0.0.1:4000"));
  g_clear_pointer (&texts, g_free);

  cz_tls_view_set_client (CZ_TLS_VIEW (view), "127.0.0.1:4000", info, "alice", TRUE);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (view)), ==, "info");
  /* Plain words first: one sentence, "TLS 1.3", "P-256", the issuer's
   * name, a localized date (never ISO 8601), the key fingerprint grouped
   * as the client's trust prompt shows it. */
  gtk_expander_set_expanded (GTK_EXPANDER (find_widget (view, "details_expander")), FALSE);
  texts = label_texts (view);
  g_assert_nonnull (strstr (texts, "Encrypted with TLS 1.3 · no client certificate\n"));
  g_assert_nonnull (strstr (texts, "\nTLS 1.3\n"));
  g_assert_null (strstr (texts, "TLS1.3"));
  g_assert_cmpstr (info->group, ==, "SECP256R1");
  g_assert_nonnull (strstr (texts, "\nP-256\n"));
  g_assert_nonnull (strstr (texts, info->cipher));
  g_assert_nonnull (strstr (texts, "\nalice\n"));
  g_assert_nonnull (strstr (texts, "\nlocalhost\n"));
  g_assert_nonnull (strstr (texts, "\nCauserie test CA\n"));
  {
    g_autofree char *grouped = cz_format_fingerprint (info->server_cert->spki_sha256);
    g_autofree char *until = cz_ui_format_date (info->server_cert->not_after_unix);
    g_assert_nonnull (strstr (texts, "Key fingerprint (SHA-256)"));
    g_assert_nonnull (strstr (texts, grouped));
    g_assert_nonnull (strstr (texts, until));
  }
  g_assert_null (strstr (texts, info->server_cert->not_after));
  g_assert_null (strstr (texts, "T00:"));
  /* No client certificate: said once, in those words, and its rows hidden. */
  g_assert_cmpuint (count (texts, "No client certificate"), ==, 1);
  g_assert_cmpuint (count (texts, "Causerie test CA"), ==, 1);
  /* The raw names sit behind Technical details (present, not shown). */
  g_assert_null (strstr (texts, "SECP256R1"));
  g_assert_null (strstr (texts, info->server_cert->fingerprint));
  gtk_expander_set_expanded (GTK_EXPANDER (find_widget (view, "details_expander")), TRUE);
  g_clear_pointer (&texts, g_free);
  texts = label_texts (view);
  g_assert_nonnull (strstr (texts, "SECP256R1"));
  g_assert_nonnull (strstr (texts, info->signature));
  g_assert_nonnull (strstr (texts, info->mac));
  g_assert_nonnull (strstr (texts, "Certificate hash (SHA-256)"));
  g_assert_cmpuint (count (texts, info->server_cert->fingerprint), ==, 1);
  g_assert_nonnull (strstr (texts, info->verification));
  if (info->alpn)
    g_assert_nonnull (strstr (texts, info->alpn));

  gtk_widget_destroy (view);
  g_object_unref (view);
  pki_clear (&p);
}

static void
test_dh_view (void)
{
  Pki p = { 0 };
  g_autoptr(CzSessionInfo) info = NULL;
  g_autoptr(CzSessionInfo) ff = NULL;
  g_autoptr(CzTestPair) pair = NULL;
  g_autoptr(CzTestPair) ff_pair = NULL;
  g_auto(CzPrivateHex) secret = { { 0 } };
  g_auto(CzPrivateHex) ff_secret = { { 0 } };
  GtkWidget *view;
  g_autofree char *texts = NULL, *flat = NULL, *ff_flat = NULL;

  if (!need_display ())
    return;
  pki_setup (&p);
  info = session_info_keep (&p, CZ_DH_X25519, &pair);
  ff = session_info_keep (&p, CZ_DH_FFDHE2048, &ff_pair);
  g_assert_true (cz_session_info_reveal_private (info, &secret));
  g_assert_true (cz_session_info_reveal_private (ff, &ff_secret));
  view = g_object_ref_sink (cz_dh_view_new ());

  cz_dh_view_set_client (CZ_DH_VIEW (view), "127.0.0.1:4000", info, TRUE);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (view)), ==, "info");
  /* The group's prime and generator are technical details. */
  texts = label_texts (view);
  g_assert_null (strstr (texts, "2^255 − 19"));
  g_assert_nonnull (strstr (texts, "X25519 (Curve25519"));
  g_clear_pointer (&texts, g_free);
  gtk_expander_set_expanded (GTK_EXPANDER (find_widget (view, "details_expander")), TRUE);
  texts = label_texts (view);
  /* The verification code once; hex in groups of four, no hyphens added
   * where it wraps. */
  g_assert_cmpuint (count (texts, info->code), ==, 1);
  {
    GtkLabel *pub = GTK_LABEL (find_widget (view, "server_public"));
    g_autofree char *grouped = cz_ui_group_hex (info->dh_server_public);
    PangoAttrList *attrs = gtk_label_get_attributes (pub);
    PangoAttrIterator *it;
    PangoAttribute *hyphens;

    g_assert_cmpstr (gtk_label_get_text (pub), ==, grouped);
    g_assert_cmpint (grouped[4], ==, ' ');
    g_assert_nonnull (attrs);
    it = pango_attr_list_get_iterator (attrs);
    hyphens = pango_attr_iterator_get (it, PANGO_ATTR_INSERT_HYPHENS);
    g_assert_nonnull (hyphens);
    g_assert_false (((PangoAttrInt *) hyphens)->value);
    pango_attr_iterator_destroy (it);
  }
  /* One reveal control, a toggle button labelled Reveal under "Private value". */
  g_assert_true (GTK_IS_TOGGLE_BUTTON (find_widget (view, "reveal")));
  g_assert_false (GTK_IS_CHECK_BUTTON (find_widget (view, "reveal")));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (find_widget (view, "reveal"))), ==, "_Reveal");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_widget (view, "private_value_caption"))), ==,
                   "Private value");
  flat = squeeze (texts);
  g_assert_nonnull (strstr (texts, "2^255 − 19"));
  g_assert_nonnull (strstr (texts, "u = 9"));
  g_assert_nonnull (strstr (texts, info->code));
  g_assert_nonnull (strstr (flat, info->dh_server_public));
  g_assert_nonnull (strstr (flat, info->dh_client_public));
  g_assert_nonnull (strstr (flat, "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed"));
  /* The private value stays hidden until revealed. */
  g_assert_false (cz_dh_view_get_reveal (CZ_DH_VIEW (view)));
  g_assert_null (strstr (flat, secret.hex));
  cz_dh_view_set_reveal (CZ_DH_VIEW (view), TRUE);
  g_clear_pointer (&texts, g_free);
  g_clear_pointer (&flat, g_free);
  texts = label_texts (view);
  flat = squeeze (texts);
  g_assert_nonnull (strstr (flat, secret.hex));

  /* Hidden again: the value leaves the label. */
  cz_dh_view_set_reveal (CZ_DH_VIEW (view), FALSE);
  g_clear_pointer (&texts, g_free);
  g_clear_pointer (&flat, g_free);
  texts = label_texts (view);
  flat = squeeze (texts);
  g_assert_null (strstr (flat, secret.hex));
  g_assert_nonnull (strstr (texts, "hidden"));

  /* Another client: hidden again; ffdhe shows the whole prime (in the
   * technical details, still expanded). */
  cz_dh_view_set_client (CZ_DH_VIEW (view), "127.0.0.1:4001", ff, TRUE);
  g_assert_false (cz_dh_view_get_reveal (CZ_DH_VIEW (view)));
  g_clear_pointer (&texts, g_free);
  texts = label_texts (view);
  ff_flat = squeeze (texts);
  g_assert_null (strstr (ff_flat, ff_secret.hex));
  g_assert_nonnull (strstr (ff_flat, ff->dh_prime_hex));
  g_assert_cmpuint (strlen (ff->dh_prime_hex), ==, 512);
  g_assert_nonnull (strstr (ff_flat, ff->dh_client_public));

  /* Each value is labelled by its caption for assistive technologies. */
  {
    AtkObject *value = gtk_widget_get_accessible (find_widget (view, "code"));
    AtkObject *caption = gtk_widget_get_accessible (find_widget (view, "code_caption"));
    g_autoptr(AtkRelationSet) relations = atk_object_ref_relation_set (value);
    AtkRelation *labelled_by = atk_relation_set_get_relation_by_type (relations,
                                                                      ATK_RELATION_LABELLED_BY);

    g_assert_nonnull (labelled_by);
    g_assert_true (atk_relation_get_target (labelled_by)->pdata[0] == caption);
    g_assert_cmpstr (atk_object_get_description (value), ==, "Verification code");
  }

  /* The connection closed: the value is no longer kept anywhere, and
   * revealing says so. */
  g_clear_pointer (&ff_pair, cz_test_pair_free);
  cz_dh_view_set_reveal (CZ_DH_VIEW (view), TRUE);
  g_clear_pointer (&texts, g_free);
  g_clear_pointer (&ff_flat, g_free);
  texts = label_texts (view);
  ff_flat = squeeze (texts);
  g_assert_null (strstr (ff_flat, ff_secret.hex));
  g_assert_nonnull (strstr (texts, "no longer kept"));

  cz_dh_view_set_client (CZ_DH_VIEW (view), NULL, NULL, FALSE);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (view)), ==, "empty");
  gtk_widget_destroy (view);
  g_object_unref (view);
  pki_clear (&p);
}

/* ---- The settings form ---------------------------------------------------------------- */

static void
count_notify_cb (GObject *object, GParamSpec *pspec, guint *n)
{
  (*n)++;
}

/* The DH group and the client certificate mode are enum properties that
 * follow the widgets, and the widgets follow them. */
static void
test_form_properties (void)
{
  g_autoptr(GError) error = NULL;
  GtkWidget *form;
  GtkComboBox *combo;
  CzDhGroup group = CZ_DH_FFDHE3072;
  CzClientCertMode mode = CZ_CLIENT_CERT_REQUIRE;
  CzServerConfig config;
  guint notified = 0;

  if (!need_display ())
    return;
  form = g_object_ref_sink (cz_server_form_new ());
  combo = GTK_COMBO_BOX (find_widget (form, "dh_combo"));

  g_object_get (form, "dh-group", &group, "client-cert-mode", &mode, NULL);
  g_assert_cmpint (group, ==, CZ_DH_X25519);
  g_assert_cmpint (mode, ==, CZ_CLIENT_CERT_NONE);
  g_assert_cmpstr (gtk_combo_box_get_active_id (combo), ==, "x25519");

  gtk_combo_box_set_active_id (combo, "ffdhe3072");
  g_object_get (form, "dh-group", &group, NULL);
  g_assert_cmpint (group, ==, CZ_DH_FFDHE3072);
  g_object_set (form, "dh-group", CZ_DH_FFDHE2048, NULL);
  g_assert_cmpstr (gtk_combo_box_get_active_id (combo), ==, "ffdhe2048");

  /* The mode follows the on/off switch, the client CA and the Require check. */
  g_signal_connect (form, "notify::client-cert-mode", G_CALLBACK (count_notify_cb), &notified);
  g_assert_false (gtk_widget_get_sensitive (find_widget (form, "require_check")));
  g_assert_false (gtk_widget_get_sensitive (find_widget (form, "ca_button")));
  cz_server_form_set_client_ca (CZ_SERVER_FORM (form), "/tmp/ca.pem");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (find_widget (form, "client_cert_switch"))));
  g_assert_true (gtk_widget_get_sensitive (find_widget (form, "ca_button")));
  g_assert_true (gtk_widget_get_sensitive (find_widget (form, "require_check")));
  g_object_get (form, "client-cert-mode", &mode, NULL);
  g_assert_cmpint (mode, ==, CZ_CLIENT_CERT_REQUEST);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (find_widget (form, "require_check")), TRUE);
  g_object_get (form, "client-cert-mode", &mode, NULL);
  g_assert_cmpint (mode, ==, CZ_CLIENT_CERT_REQUIRE);
  g_assert_cmpuint (notified, >=, 2);

  /* File buttons show the file's name; the path is the tooltip and the
   * accessible description. */
  cz_server_form_set_certificate (CZ_SERVER_FORM (form), "/tmp/some/long/folder/server.pem",
                                  "/tmp/server-key.pem");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_widget (form, "cert_button_label"))), ==,
                   "server.pem");
  {
    g_autofree char *tip = gtk_widget_get_tooltip_text (find_widget (form, "cert_button"));
    g_assert_cmpstr (tip, ==, "/tmp/some/long/folder/server.pem");
    g_assert_cmpstr (atk_object_get_description (gtk_widget_get_accessible (find_widget (form, "cert_button"))),
                     ==, "/tmp/some/long/folder/server.pem");
  }
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_widget (form, "ca_button_label"))), ==, "ca.pem");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_widget (form, "key_button_label"))), ==,
                   "server-key.pem");

  /* Where to listen, in words; an address from elsewhere is kept as it is. */
  {
    GtkComboBox *where = GTK_COMBO_BOX (find_widget (form, "address_combo"));
    g_assert_cmpstr (gtk_combo_box_get_active_id (where), ==, "0.0.0.0");
    cz_server_form_set_address (CZ_SERVER_FORM (form), "127.0.0.1", 7000);
    g_assert_true (cz_server_form_get_config (CZ_SERVER_FORM (form), &config, &error));
    g_assert_cmpstr (config.bind_address, ==, "127.0.0.1");
    g_assert_cmpint (config.port, ==, 7000);
    cz_server_form_set_address (CZ_SERVER_FORM (form), "192.0.2.7", -1);
    g_assert_cmpstr (gtk_combo_box_get_active_id (where), ==, "192.0.2.7");
    g_assert_true (cz_server_form_get_config (CZ_SERVER_FORM (form), &config, &error));
    g_assert_cmpstr (config.bind_address, ==, "192.0.2.7");
    gtk_combo_box_set_active_id (where, "0.0.0.0");
  }

  /* And the engine configuration says the same. */
  cz_server_form_set_certificate (CZ_SERVER_FORM (form), "/tmp/server.pem", "/tmp/server-key.pem");
  g_assert_true (cz_server_form_get_config (CZ_SERVER_FORM (form), &config, &error));
  g_assert_no_error (error);
  g_assert_cmpint (config.dh_group, ==, CZ_DH_FFDHE2048);
  g_assert_cmpint (config.client_cert_mode, ==, CZ_CLIENT_CERT_REQUIRE);
  g_assert_cmpstr (config.client_ca_file, ==, "/tmp/ca.pem");

  /* Switched off: no client certificate is asked for, whatever the CA. */
  gtk_switch_set_active (GTK_SWITCH (find_widget (form, "client_cert_switch")), FALSE);
  g_object_get (form, "client-cert-mode", &mode, NULL);
  g_assert_cmpint (mode, ==, CZ_CLIENT_CERT_NONE);
  g_assert_true (cz_server_form_get_config (CZ_SERVER_FORM (form), &config, &error));
  g_assert_null (config.client_ca_file);
  /* Switched on without a CA: the form says what is missing. */
  cz_server_form_set_client_ca (CZ_SERVER_FORM (form), "");
  gtk_switch_set_active (GTK_SWITCH (find_widget (form, "client_cert_switch")), TRUE);
  g_assert_false (cz_server_form_get_config (CZ_SERVER_FORM (form), &config, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_clear_error (&error);

  gtk_widget_destroy (form);
  g_object_unref (form);
}

/* ---- The certificate dialog -------------------------------------------------------- */

typedef struct {
  gboolean done;
  char *generated;
} DialogWait;

static void
generated_cb (CzCertDialog *dialog, const char *cert, DialogWait *w)
{
  w->generated = g_strdup (cert);
  w->done = TRUE;
}

static void
set_entry (GtkWidget *dialog, const char *name, const char *text)
{
  gtk_entry_set_text (GTK_ENTRY (find_widget (dialog, name)), text);
}

/* Clicks Generate and waits for the outcome: the "generated" signal or
 * the end of the work with an error shown.  Returns the error text or NULL. */
static char *
run_dialog (GtkWidget *dialog, DialogWait *w)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  GtkWidget *error_bar = find_widget (dialog, "error_bar");

  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  while (!w->done && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      if (!cz_cert_dialog_is_busy (CZ_CERT_DIALOG (dialog)) && gtk_widget_get_visible (error_bar))
        break;
      g_usleep (1000);
    }
  g_assert_false (cz_cert_dialog_is_busy (CZ_CERT_DIALOG (dialog)));
  if (gtk_widget_get_visible (error_bar))
    return g_strdup (gtk_label_get_text (GTK_LABEL (find_widget (dialog, "error_label"))));
  return NULL;
}

static void
test_cert_dialog_prefill (void)
{
  GtkWidget *dialog;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *sans = NULL;

  if (!need_display ())
    return;
  dialog = cz_cert_dialog_new (NULL);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (find_widget (dialog, "sans_view")));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  sans = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_assert_nonnull (strstr (sans, "DNS:localhost"));
  g_assert_nonnull (strstr (sans, "IP:127.0.0.1"));
  g_assert_cmpstr (gtk_entry_get_text (GTK_ENTRY (find_widget (dialog, "cn_entry"))), !=, "");
  g_assert_true (g_str_has_suffix (gtk_entry_get_text (GTK_ENTRY (find_widget (dialog, "cert_out_entry"))),
                                   ".pem"));
  gtk_widget_destroy (dialog);
}

static void
test_cert_dialog_key_type (void)
{
  GtkWidget *dialog;
  GtkComboBox *combo;
  CzKeyType type = CZ_KEY_RSA_3072;

  if (!need_display ())
    return;
  dialog = cz_cert_dialog_new (NULL);
  combo = GTK_COMBO_BOX (find_widget (dialog, "key_type_combo"));
  g_object_get (dialog, "key-type", &type, NULL);
  g_assert_cmpint (type, ==, CZ_KEY_ECDSA_P256);
  g_assert_cmpstr (gtk_combo_box_get_active_id (combo), ==, "ecdsa-p256");
  gtk_combo_box_set_active_id (combo, "ed25519");
  g_object_get (dialog, "key-type", &type, NULL);
  g_assert_cmpint (type, ==, CZ_KEY_ED25519);
  g_object_set (dialog, "key-type", CZ_KEY_RSA_3072, NULL);
  g_assert_cmpstr (gtk_combo_box_get_active_id (combo), ==, "rsa-3072");
  gtk_widget_destroy (dialog);
}

static void
test_cert_dialog_new_ca (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *ca = NULL, *ca_key = NULL, *cert = NULL, *key = NULL;
  g_autofree char *failure = NULL, *texts = NULL, *pem = NULL, *ca_pem = NULL;
  g_autoptr(CzCertInfo) info = NULL;
  DialogWait w = { 0 };
  GtkWidget *dialog;
  gnutls_x509_crt_t crt, ca_crt;
  gnutls_datum_t d;
  gsize len;
  unsigned int verify = 1;
  struct stat st;

  if (!need_display ())
    return;
  dir = g_dir_make_tmp ("causerie-dialog-XXXXXX", &error);
  g_assert_no_error (error);
  ca = g_build_filename (dir, "new", "ca.pem", NULL);
  ca_key = g_build_filename (dir, "new", "ca-key.pem", NULL);
  cert = g_build_filename (dir, "new", "server.pem", NULL);
  key = g_build_filename (dir, "new", "server-key.pem", NULL);

  dialog = cz_cert_dialog_new (NULL);
  g_signal_connect (dialog, "generated", G_CALLBACK (generated_cb), &w);
  set_entry (dialog, "new_ca_cert_entry", ca);
  set_entry (dialog, "new_ca_key_entry", ca_key);
  set_entry (dialog, "cert_out_entry", cert);
  set_entry (dialog, "key_out_entry", key);
  set_entry (dialog, "cn_entry", "chat.example");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (find_widget (dialog, "sans_view"))),
                            "DNS:chat.example\nIP:127.0.0.1\n", -1);
  failure = run_dialog (dialog, &w);
  g_assert_cmpstr (failure, ==, NULL);
  g_assert_cmpstr (w.generated, ==, cert);

  /* The pair matches, the key is private, the CA signed the certificate. */
  g_assert_true (cz_cert_check_pair (cert, key, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (key, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (cert, &pem, &len, NULL));
  g_assert_true (g_file_get_contents (ca, &ca_pem, NULL, NULL));
  gnutls_x509_crt_init (&crt);
  gnutls_x509_crt_init (&ca_crt);
  d.data = (unsigned char *) pem;
  d.size = (unsigned int) len;
  g_assert_cmpint (gnutls_x509_crt_import (crt, &d, GNUTLS_X509_FMT_PEM), ==, 0);
  d.data = (unsigned char *) ca_pem;
  d.size = (unsigned int) strlen (ca_pem);
  g_assert_cmpint (gnutls_x509_crt_import (ca_crt, &d, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_verify (crt, &ca_crt, 1, 0, &verify), ==, 0);
  g_assert_cmpuint (verify, ==, 0);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_crt_deinit (ca_crt);

  /* The result, on its own page: the file names, the key fingerprint as
   * clients see it, a localized date (no raw timestamp); Use for This
   * Server is the default, Generate is gone. */
  info = cz_cert_info_new_from_file (cert, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->subject, ==, "CN=chat.example");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (find_widget (dialog, "pages"))), ==,
                   "result");
  texts = label_texts (find_widget (dialog, "result_grid"));
  {
    g_autofree char *grouped = cz_format_fingerprint (info->spki_sha256);
    g_autofree char *until = cz_ui_format_date (info->not_after_unix);
    g_assert_nonnull (strstr (texts, grouped));
    g_assert_nonnull (strstr (texts, "Key fingerprint (SHA-256)"));
    g_assert_nonnull (strstr (texts, until));
  }
  g_assert_nonnull (strstr (texts, "\nserver.pem\n"));
  g_assert_nonnull (strstr (texts, "\nserver-key.pem\n"));
  g_assert_nonnull (strstr (texts, "\nca.pem\n"));
  g_assert_null (strstr (texts, info->not_after));
  g_assert_null (strstr (texts, info->fingerprint));
  g_assert_true (gtk_widget_get_visible (find_widget (dialog, "show_files_button")));
  g_assert_true (gtk_widget_get_visible (find_widget (dialog, "use_button")));
  g_assert_true (gtk_widget_get_visible (find_widget (dialog, "done_button")));
  g_assert_false (gtk_widget_get_visible (find_widget (dialog, "generate_button")));
  g_assert_true (gtk_widget_has_default (find_widget (dialog, "use_button")));
  g_assert_false (gtk_widget_has_default (find_widget (dialog, "generate_button")));
  /* Enter there does not generate again. */
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  g_assert_false (cz_cert_dialog_is_busy (CZ_CERT_DIALOG (dialog)));

  /* Back to the form: generating again would overwrite: refused, in the dialog. */
  cz_cert_dialog_show_form (CZ_CERT_DIALOG (dialog));
  g_assert_true (gtk_widget_has_default (find_widget (dialog, "generate_button")));
  w.done = FALSE;
  g_clear_pointer (&failure, g_free);
  failure = run_dialog (dialog, &w);
  g_assert_nonnull (failure);
  g_assert_nonnull (strstr (failure, "already exists"));

  gtk_widget_destroy (dialog);
  g_free (w.generated);
  cz_test_rmdir (dir);
}

static void
use_cb (CzCertDialog *dialog, const char *cert, const char *key, char **out)
{
  *out = g_strdup (cert);
}

/* Server | Client comes first and changes the form; a client certificate
 * is never offered for the server. */
static void
test_cert_dialog_kind (void)
{
  g_autofree char *a = cz_test_make_pki ();
  g_autofree char *ca = g_build_filename (a, "ca.pem", NULL);
  g_autofree char *ca_key = g_build_filename (a, "ca-key.pem", NULL);
  g_autofree char *cert = g_build_filename (a, "server2.pem", NULL);
  g_autofree char *key = g_build_filename (a, "server2-key.pem", NULL);
  g_autofree char *failure = NULL, *used = NULL;
  g_autoptr(CzCertInfo) info = NULL;
  DialogWait w = { 0 };
  GtkWidget *dialog;

  if (!need_display ())
    goto out;
  dialog = g_object_ref_sink (cz_cert_dialog_new (NULL));
  g_signal_connect (dialog, "generated", G_CALLBACK (generated_cb), &w);
  g_signal_connect (dialog, "use-certificate", G_CALLBACK (use_cb), &used);
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (find_widget (dialog, "server_radio"))));
  g_assert_true (gtk_widget_get_visible (find_widget (dialog, "sans_frame")));
  g_assert_true (g_str_has_suffix (gtk_entry_get_text (GTK_ENTRY (find_widget (dialog, "cert_out_entry"))),
                                   "server.pem"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (find_widget (dialog, "client_radio")), TRUE);
  g_assert_false (gtk_widget_get_visible (find_widget (dialog, "sans_frame")));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_widget (dialog, "cn_label"))), ==, "User name");
  g_assert_true (g_str_has_suffix (gtk_entry_get_text (GTK_ENTRY (find_widget (dialog, "cert_out_entry"))),
                                   "client.pem"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (find_widget (dialog, "server_radio")), TRUE);
  g_assert_true (gtk_widget_get_visible (find_widget (dialog, "sans_frame")));
  g_assert_true (g_str_has_suffix (gtk_entry_get_text (GTK_ENTRY (find_widget (dialog, "cert_out_entry"))),
                                   "server.pem"));

  /* The names box grows with its names instead of scrolling on its own. */
  g_assert_true (GTK_IS_FRAME (gtk_widget_get_parent (find_widget (dialog, "sans_view"))));

  /* A server certificate from an existing CA; Use for This Server hands
   * it on and closes. */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (find_widget (dialog, "existing_ca_radio")), TRUE);
  set_entry (dialog, "ca_cert_entry", ca);
  set_entry (dialog, "ca_key_entry", ca_key);
  set_entry (dialog, "cert_out_entry", cert);
  set_entry (dialog, "key_out_entry", key);
  failure = run_dialog (dialog, &w);
  g_assert_cmpstr (failure, ==, NULL);
  info = cz_cert_info_new_from_file (cert, NULL);
  g_assert_nonnull (info);
  g_assert_false (gtk_widget_get_visible (find_widget (dialog, "result_ca_file")));
  gtk_dialog_response (GTK_DIALOG (dialog), 1);
  g_assert_cmpstr (used, ==, cert);
  g_object_unref (dialog);
  g_free (w.generated);
out:
  cz_test_rmdir (a);
}

static void
test_cert_dialog_errors (void)
{
  g_autofree char *a = cz_test_make_pki ();
  g_autofree char *b = cz_test_make_pki ();
  g_autofree char *ca = g_build_filename (a, "ca.pem", NULL);
  g_autofree char *ca_key = g_build_filename (a, "ca-key.pem", NULL);
  g_autofree char *wrong_key = g_build_filename (b, "ca-key.pem", NULL);
  g_autofree char *cert = g_build_filename (a, "out.pem", NULL);
  g_autofree char *key = g_build_filename (a, "out-key.pem", NULL);
  g_autofree char *failure = NULL;
  DialogWait w = { 0 };
  GtkWidget *dialog;

  if (!need_display ())
    goto out;
  dialog = cz_cert_dialog_new (NULL);
  g_signal_connect (dialog, "generated", G_CALLBACK (generated_cb), &w);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (find_widget (dialog, "existing_ca_radio")), TRUE);
  g_assert_false (gtk_widget_get_sensitive (find_widget (dialog, "new_ca_name_entry")));
  set_entry (dialog, "ca_cert_entry", ca);
  set_entry (dialog, "cert_out_entry", cert);
  set_entry (dialog, "key_out_entry", key);

  /* A CA key that does not match the CA certificate. */
  set_entry (dialog, "ca_key_entry", wrong_key);
  failure = run_dialog (dialog, &w);
  g_assert_nonnull (failure);
  g_assert_false (w.done);
  g_assert_false (g_file_test (cert, G_FILE_TEST_EXISTS));
  g_clear_pointer (&failure, g_free);

  /* An unreadable CA key. */
  set_entry (dialog, "ca_key_entry", "/nonexistent/ca-key.pem");
  failure = run_dialog (dialog, &w);
  g_assert_nonnull (failure);
  g_assert_nonnull (strstr (failure, "/nonexistent/ca-key.pem"));
  g_clear_pointer (&failure, g_free);

  /* An unwritable output path. */
  set_entry (dialog, "ca_key_entry", ca_key);
  set_entry (dialog, "cert_out_entry", "/proc/causerie/out.pem");
  failure = run_dialog (dialog, &w);
  g_assert_nonnull (failure);
  g_assert_false (w.done);
  g_clear_pointer (&failure, g_free);

  /* A missing field is named. */
  set_entry (dialog, "cert_out_entry", "");
  failure = run_dialog (dialog, &w);
  g_assert_nonnull (failure);
  g_assert_nonnull (strstr (failure, "certificate"));
  g_clear_pointer (&failure, g_free);

  /* And with everything right, it works. */
  set_entry (dialog, "cert_out_entry", cert);
  failure = run_dialog (dialog, &w);
  g_assert_cmpstr (failure, ==, NULL);
  g_assert_true (w.done);
  g_assert_true (g_file_test (cert, G_FILE_TEST_EXISTS));
  gtk_widget_destroy (dialog);
  g_free (w.generated);
out:
  cz_test_rmdir (a);
  cz_test_rmdir (b);
}

/* ---- The window with a real engine -------------------------------------------------- */

static gboolean
model_has (GtkTreeModel *model, int column, const char *value)
{
  GtkTreeIter iter;
  gboolean valid;

  for (valid = gtk_tree_model_get_iter_first (model, &iter); valid;
       valid = gtk_tree_model_iter_next (model, &iter))
    {
      g_autofree char *v = NULL;
      gtk_tree_model_get (model, &iter, column, &v, -1);
      if (g_strcmp0 (v, value) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
poll_until (gboolean (*check) (gpointer), gpointer data, guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (!check (data) && g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
  return check (data);
}

typedef struct {
  CzServerWindow *window;
  GtkTreeModel *clients;
  CzMessageLog *log;
} WindowParts;

static gboolean
alice_listed (gpointer data)
{
  WindowParts *p = data;
  return model_has (p->clients, 2, "alice") && cz_message_log_get_total (p->log) == 1;
}

/* The client's event named @event, already read or still to come. */
static JsonObject *
client_event (CzTestClient *client, const char *event)
{
  for (guint i = 0; i < client->seen->len; i++)
    {
      JsonObject *o = g_ptr_array_index (client->seen, i);
      if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", NULL), event) == 0)
        return o;
    }
  return cz_test_client_expect (client, event, 10000);
}

static gboolean
can_start_window (gpointer data)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (data), "start");
}

static gboolean
no_clients (gpointer data)
{
  WindowParts *p = data;
  return gtk_tree_model_iter_n_children (p->clients, NULL) == 0;
}

static gboolean
dialog_shown (gpointer data)
{
  return cz_server_window_get_stop_dialog (CZ_SERVER_WINDOW (data)) != NULL;
}

static gboolean
can_start (gpointer data)
{
  WindowParts *p = data;
  return g_action_group_get_action_enabled (G_ACTION_GROUP (p->window), "start");
}

/* The controls follow the "running" property. */
static void
assert_controls (CzServerWindow *window, gboolean running)
{
  GtkWidget *root = GTK_WIDGET (window);
  gboolean prop = !running;

  g_object_get (window, "running", &prop, NULL);
  g_assert_cmpint (prop, ==, running);
  g_assert_cmpint (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "stop"), ==, running);
  g_assert_cmpint (gtk_widget_get_visible (find_widget (root, "stop_button")), ==, running);
  g_assert_cmpint (gtk_widget_get_visible (find_widget (root, "start_button")), ==, !running);
  g_assert_cmpint (gtk_revealer_get_reveal_child (GTK_REVEALER (find_widget (root, "form_revealer"))),
                   ==, !running);
  g_assert_cmpint (gtk_widget_get_sensitive (find_widget (root, "form")), ==, !running);
}

static void
test_window_engine (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(CzTestClient) client = NULL;
  g_autoptr(GError) error = NULL;
  CzServerOptions options = { .port = 0, .scram_iterations = 4096 };
  WindowParts parts;
  GtkWidget *view;
  GtkTreeIter iter;
  const char *address;
  guint16 port;
  gboolean stopping = FALSE;

  if (!need_display ())
    return;
  if (cz_test_client_bin () == NULL)
    {
      g_test_skip ("CZ_CLIENT_BIN is not built");
      return;
    }
  dir = cz_test_make_pki ();
  options.bind = g_strdup ("127.0.0.1");
  options.cert = g_build_filename (dir, "server.pem", NULL);
  options.key = g_build_filename (dir, "server-key.pem", NULL);
  options.db = g_build_filename (dir, "server.db", NULL);

  parts.window = g_object_ref_sink (cz_server_window_new (NULL));
  gtk_widget_show (GTK_WIDGET (parts.window));
  cz_server_window_apply_options (parts.window, &options);
  g_assert_true (cz_server_window_start (parts.window, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (cz_server_window_is_running (parts.window));
  g_assert_false (can_start (&parts));
  assert_controls (parts.window, TRUE);
  address = cz_server_window_get_address (parts.window);
  g_assert_true (g_str_has_prefix (address, "127.0.0.1:"));
  port = (guint16) g_ascii_strtoull (strrchr (address, ':') + 1, NULL, 10);
  g_assert_cmpuint (port, >, 0);

  client = cz_test_client_start (dir, port, NULL, &error);
  g_assert_no_error (error);
  cz_test_client_register_login (client, "alice", "secret-pw");
  cz_test_client_send (client, "/say hello window");
  g_assert_nonnull (cz_test_client_expect (client, "ack", 10000));

  view = find_widget (GTK_WIDGET (parts.window), "clients_view");
  parts.clients = gtk_tree_view_get_model (GTK_TREE_VIEW (view));
  parts.log = CZ_MESSAGE_LOG (find_widget (GTK_WIDGET (parts.window), "message_log"));
  g_assert_true (poll_until (alice_listed, &parts, 10000));
  g_assert_true (model_has (parts.clients, 4, "TLS 1.3"));
  /* The user is the first column. */
  g_assert_cmpstr (gtk_tree_view_column_get_title (gtk_tree_view_get_column (GTK_TREE_VIEW (view), 0)),
                   ==, "User");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (find_widget (GTK_WIDGET (parts.window),
                                                                            "clients_stack"))), ==, "list");

  /* The server window shows, at all times, the key fingerprint the client
   * computed for the same certificate, grouped as its trust prompt shows it. */
  {
    JsonObject *connected = client_event (client, "connected");
    JsonObject *tls = json_object_get_object_member (connected, "tls");
    const char *computed = json_object_get_string_member (tls, "fingerprint");
    GtkLabel *shown = GTK_LABEL (find_widget (GTK_WIDGET (parts.window), "identity_fingerprint"));
    g_autofree char *grouped = cz_format_fingerprint (computed);
    g_autofree char *flat = squeeze (gtk_label_get_text (shown));
    g_autofree char *caption_text = label_texts (find_widget (GTK_WIDGET (parts.window), "identity_grid"));

    g_assert_cmpuint (strlen (computed), ==, 64);
    g_assert_cmpstr (flat, ==, computed);
    g_assert_cmpstr (gtk_label_get_text (shown), ==, grouped);
    g_assert_nonnull (strstr (caption_text, "Key fingerprint (SHA-256)\n"));
    g_assert_cmpstr (atk_object_get_description (gtk_widget_get_accessible (GTK_WIDGET (shown))), ==,
                     computed);
  }

  /* Selecting the client fills the panes. */
  g_assert_true (gtk_tree_model_get_iter_first (parts.clients, &iter));
  gtk_tree_selection_select_iter (gtk_tree_view_get_selection (GTK_TREE_VIEW (view)), &iter);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (find_widget (GTK_WIDGET (parts.window),
                                                                            "tls_view"))), ==, "info");
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (find_widget (GTK_WIDGET (parts.window),
                                                                            "dh_view"))), ==, "info");

  /* Stopping with someone connected asks first; Cancel keeps it running. */
  g_action_group_activate_action (G_ACTION_GROUP (parts.window), "stop", NULL);
  g_assert_true (poll_until (dialog_shown, parts.window, 5000));
  {
    GtkWidget *ask = cz_server_window_get_stop_dialog (parts.window);
    g_autofree char *texts = label_texts (ask);
    GtkWidget *stop = gtk_dialog_get_widget_for_response (GTK_DIALOG (ask), GTK_RESPONSE_ACCEPT);

    g_assert_nonnull (strstr (texts, "Stop the server?"));
    g_assert_nonnull (strstr (texts, "1 person will be disconnected."));
    g_assert_true (gtk_style_context_has_class (gtk_widget_get_style_context (stop),
                                                "destructive-action"));
    gtk_dialog_response (GTK_DIALOG (ask), GTK_RESPONSE_CANCEL);
  }
  g_assert_null (cz_server_window_get_stop_dialog (parts.window));
  g_assert_true (cz_server_window_is_running (parts.window));

  /* A client that leaves leaves the list, and the empty page says how to
   * connect: the real address, port and CA file. */
  cz_test_client_finish (client);
  g_clear_pointer (&client, cz_test_client_free);
  g_assert_true (poll_until (no_clients, &parts, 10000));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (find_widget (GTK_WIDGET (parts.window),
                                                                            "clients_stack"))), ==, "empty");
  {
    g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
    const char *body = gtk_label_get_text (GTK_LABEL (find_widget (GTK_WIDGET (parts.window), "empty_body")));
    g_assert_nonnull (strstr (body, address));
    g_assert_nonnull (strstr (body, ca));
    g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_widget (GTK_WIDGET (parts.window), "empty_title"))),
                     ==, "No one connected yet");
  }

  /* With no one connected, Stop stops at once (off the main thread), then
   * the window can start again. */
  g_action_group_activate_action (G_ACTION_GROUP (parts.window), "stop", NULL);
  g_assert_null (cz_server_window_get_stop_dialog (parts.window));
  g_assert_false (cz_server_window_is_running (parts.window));
  assert_controls (parts.window, FALSE);
  g_object_get (parts.window, "stopping", &stopping, NULL);
  g_assert_true (stopping);
  g_assert_false (can_start (&parts));
  g_assert_true (poll_until (can_start, &parts, 15000));
  g_object_get (parts.window, "stopping", &stopping, NULL);
  g_assert_false (stopping);
  cz_test_spin (50);

  gtk_widget_destroy (GTK_WIDGET (parts.window));
  g_object_unref (parts.window);
  cz_server_options_clear (&options);
  cz_test_rmdir (dir);
}

static gboolean
demo_filled (gpointer data)
{
  CzServerForm *form = CZ_SERVER_FORM (find_widget (data, "form"));
  const char *cert = cz_server_form_get_certificate (form);
  return cert != NULL && *cert != '\0';
}

/* First run, no certificate: the window offers the demo CA and server
 * certificate (the --demo code path) in a bar, not just an error; taking
 * it fills the form and the server starts. */
static void
test_window_first_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *demo_ca = g_build_filename (g_get_user_data_dir (), "causerie", "demo", "ca.pem", NULL);
  g_autofree char *db_dir = NULL, *db = NULL;
  CzServerOptions options = { .port = 0, .scram_iterations = 4096 };
  CzServerWindow *window;
  GtkWidget *bar;

  if (!need_display ())
    return;
  db_dir = g_dir_make_tmp ("causerie-firstrun-XXXXXX", &error);
  g_assert_no_error (error);
  db = g_build_filename (db_dir, "server.db", NULL);
  options.bind = g_strdup ("127.0.0.1");
  options.db = g_strdup (db);

  window = g_object_ref_sink (cz_server_window_new (NULL));
  gtk_widget_show (GTK_WIDGET (window));
  cz_server_window_apply_options (window, &options);
  bar = find_widget (GTK_WIDGET (window), "demo_bar");
  g_assert_true (gtk_widget_get_visible (bar));
  /* One column of settings: the window shrinks well below 850 px. */
  {
    int min = 0;
    gtk_widget_get_preferred_width (GTK_WIDGET (window), &min, NULL);
    g_test_message ("minimum width %d", min);
    g_assert_cmpint (min, <, 640);
  }
  {
    g_autofree char *texts = label_texts (bar);
    g_assert_nonnull (strstr (texts, "demo CA"));
  }
  /* Starting now says what is missing. */
  g_assert_false (cz_server_window_start (window, FALSE, &error));
  g_assert_error (error, CZ_ERROR, CZ_ERROR_INVALID);
  g_clear_error (&error);

  cz_server_window_make_demo_certificate (window);
  g_assert_true (poll_until (demo_filled, window, 60000));
  g_assert_false (gtk_widget_get_visible (bar));
  g_assert_true (g_file_test (demo_ca, G_FILE_TEST_EXISTS));
  /* The server identity now shows the demo certificate's key. */
  {
    g_autoptr(CzCertInfo) info = cz_cert_info_new_from_file (cz_server_form_get_certificate (
      CZ_SERVER_FORM (find_widget (GTK_WIDGET (window), "form"))), &error);
    g_autofree char *grouped = NULL;
    g_assert_no_error (error);
    grouped = cz_format_fingerprint (info->spki_sha256);
    g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (find_widget (GTK_WIDGET (window), "identity_fingerprint"))),
                     ==, grouped);
  }
  g_assert_true (cz_server_window_start (window, FALSE, &error));
  g_assert_no_error (error);
  /* Running with no one connected: the empty page names the demo CA. */
  {
    const char *body = gtk_label_get_text (GTK_LABEL (find_widget (GTK_WIDGET (window), "empty_body")));
    g_assert_nonnull (strstr (body, demo_ca));
    g_assert_nonnull (strstr (body, cz_server_window_get_address (window)));
  }
  cz_server_window_stop (window);
  g_assert_true (poll_until (can_start_window, window, 15000));

  gtk_widget_destroy (GTK_WIDGET (window));
  g_object_unref (window);
  cz_server_options_clear (&options);
  cz_test_rmdir (db_dir);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_dir_make_tmp ("causerie-swin-home-XXXXXX", &error);

  /* Nothing lands in the real data directory (demo certificates, dialog
   * defaults); set before GLib caches it. */
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  have_display = g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL;
  if (have_display)
    gtk_test_init (&argc, &argv, NULL);
  else
    g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server-window/group-hex", test_group_hex);
  g_test_add_func ("/server-window/tls-view", test_tls_view);
  g_test_add_func ("/server-window/dh-view", test_dh_view);
  g_test_add_func ("/server-window/form/properties", test_form_properties);
  g_test_add_func ("/server-window/cert-dialog/prefill", test_cert_dialog_prefill);
  g_test_add_func ("/server-window/cert-dialog/key-type", test_cert_dialog_key_type);
  g_test_add_func ("/server-window/cert-dialog/new-ca", test_cert_dialog_new_ca);
  g_test_add_func ("/server-window/cert-dialog/errors", test_cert_dialog_errors);
  g_test_add_func ("/server-window/cert-dialog/kind", test_cert_dialog_kind);
  g_test_add_func ("/server-window/window/engine", test_window_engine);
  g_test_add_func ("/server-window/window/first-run", test_window_first_run);

  {
    int status = g_test_run ();
    cz_test_rmdir (home);
    return status;
  }
}
