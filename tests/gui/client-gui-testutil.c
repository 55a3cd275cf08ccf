/* client-gui-testutil.c: what the client window's test programs share. */
#include "config.h"

#include "client-gui-testutil.h"

GtkWidget *
cz_test_find_named (GtkWidget *root, const char *name)
{
  GtkWidget *found = NULL;
  g_autoptr(GList) children = NULL;

  if (!GTK_IS_LABEL (root)
      && g_strcmp0 (atk_object_get_name (gtk_widget_get_accessible (root)), name) == 0)
    return root;
  if (!GTK_IS_CONTAINER (root))
    return NULL;
  children = gtk_container_get_children (GTK_CONTAINER (root));
  for (GList *l = children; l && found == NULL; l = l->next)
    found = cz_test_find_named (l->data, name);
  /* Internal children (a combo box's entry) are not listed above. */
  if (found == NULL && GTK_IS_BIN (root) && gtk_bin_get_child (GTK_BIN (root))
      && g_list_find (children, gtk_bin_get_child (GTK_BIN (root))) == NULL)
    found = cz_test_find_named (gtk_bin_get_child (GTK_BIN (root)), name);
  return found;
}

gboolean
cz_test_wait_for_session (CzClientWindow *win, CzSessionState state, guint timeout_ms)
{
  CzClientSession *session = cz_client_window_get_session (win);
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (cz_client_session_get_state (session) != state && g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  return cz_client_session_get_state (session) == state;
}
