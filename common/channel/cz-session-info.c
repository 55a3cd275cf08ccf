/* cz-session-info.c: the lifetime of the session facts
 * (cz-session-info.h); the channel fills them in (cz-channel-keys.c). */
#include "config.h"

#include <string.h>

#include "cz-session-info.h"
#include "cz-util.h"

/* Shared by the channel's thread (hold, forget) and a window's (reveal). */
struct _CzDhSecret {
  GMutex lock;
  guint8 value[CZ_DH_PRIVATE_MAX];
  gsize len;                 /* 0: none, or forgotten */
};

void
cz_session_info_hold_private (CzSessionInfo *info, const guint8 *priv, gsize len)
{
  g_return_if_fail (info != NULL && info->dh_secret == NULL);
  g_return_if_fail (len > 0 && len <= CZ_DH_PRIVATE_MAX);

  info->dh_secret = g_new0 (CzDhSecret, 1);
  g_mutex_init (&info->dh_secret->lock);
  memcpy (info->dh_secret->value, priv, len);
  info->dh_secret->len = len;
}

void
cz_session_info_forget_private (CzSessionInfo *info)
{
  CzDhSecret *secret = info ? info->dh_secret : NULL;

  if (secret == NULL)
    return;
  g_mutex_lock (&secret->lock);
  cz_memwipe (secret->value, sizeof secret->value);
  secret->len = 0;
  g_mutex_unlock (&secret->lock);
}

gboolean
cz_session_info_reveal_private (const CzSessionInfo *info, CzPrivateHex *out)
{
  static const char digits[] = "0123456789abcdef";
  CzDhSecret *secret;
  gsize len;

  g_return_val_if_fail (info != NULL && out != NULL, FALSE);

  cz_memwipe (out, sizeof *out);
  if ((secret = info->dh_secret) == NULL)
    return FALSE;
  g_mutex_lock (&secret->lock);
  len = secret->len;
  for (gsize i = 0; i < len; i++)
    {
      out->hex[2 * i] = digits[secret->value[i] >> 4];
      out->hex[2 * i + 1] = digits[secret->value[i] & 0xf];
    }
  out->hex[2 * len] = '\0';
  g_mutex_unlock (&secret->lock);
  return len > 0;
}

void
cz_private_hex_clear (CzPrivateHex *out)
{
  cz_memwipe (out, sizeof *out);
}

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
  if (info->dh_secret)
    {
      cz_session_info_forget_private (info);
      g_mutex_clear (&info->dh_secret->lock);
      g_free (info->dh_secret);
    }
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
