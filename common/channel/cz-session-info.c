/* cz-session-info.c: the lifetime of the session facts
 * (cz-session-info.h); the channel fills them in (cz-channel-keys.c). */
#include "config.h"

#include "cz-session-info.h"
#include "cz-util.h"

static void
session_info_clear (gpointer data)
{
  CzSessionInfo *info = data;

  g_free (info->protocol);
  g_free (info->cipher);
  g_free (info->mac);
  g_free (info->group);
  g_free (info->signature);
  g_free (info->alpn);
  g_clear_pointer (&info->server_cert, cz_cert_info_free);
  g_clear_pointer (&info->client_cert, cz_cert_info_free);
  g_free (info->verification);
  g_free (info->trust);
  g_free (info->dh_group);
  if (info->dh_private)
    cz_str_wipe_free (info->dh_private);
  g_free (info->dh_server_public);
  g_free (info->dh_client_public);
  g_free (info->code);
  g_free (info->peer_address);
}

G_DEFINE_BOXED_TYPE (CzSessionInfo, cz_session_info, cz_session_info_ref, cz_session_info_unref)

CzSessionInfo *
cz_session_info_new (void)
{
  return g_atomic_rc_box_new0 (CzSessionInfo);
}

CzSessionInfo *
cz_session_info_ref (CzSessionInfo *info)
{
  return g_atomic_rc_box_acquire (info);
}

void
cz_session_info_unref (CzSessionInfo *info)
{
  g_atomic_rc_box_release_full (info, session_info_clear);
}
